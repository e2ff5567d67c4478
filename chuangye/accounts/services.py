"""Every write to accounts: reference data, users and memberships."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from chuangye.accounts.choices import DepartmentLevel, Role
from chuangye.accounts.models import Department, Membership, OrgUnit, User
from chuangye.accounts.reference import DEPARTMENTS, ORG_UNITS
from chuangye.core import audit

#: District counterparts of the city departments that districts staff (e.g. 环翠区人社局).
DISTRICT_COUNTERPARTS: tuple[tuple[str, str], ...] = (
    ("rsj", "人社局"),
    ("scjgj", "市场监管局"),
    ("gxj", "工信局"),
    ("czj", "财政局"),
)


@transaction.atomic
def ensure_reference_data(*, actor: Any = None) -> tuple[int, int]:
    """Create or update the org units and departments of the city; return (units, departments)."""
    units: dict[str, OrgUnit] = {}
    for order, ref in enumerate(ORG_UNITS):
        unit, _ = OrgUnit.objects.update_or_create(
            code=ref.code,
            defaults={
                "name": ref.name,
                "short_name": ref.short_name,
                "kind": ref.kind,
                "parent": units.get(ref.parent) if ref.parent else None,
                "order": order,
            },
        )
        units[ref.code] = unit
    city = next(u for u in units.values() if u.parent_id is None)
    count = 0
    city_departments: dict[str, Department] = {}
    for order, dref in enumerate(DEPARTMENTS):
        dept, _ = Department.objects.update_or_create(
            code=dref.code,
            defaults={
                "name": dref.name,
                "aliases": list(dref.aliases),
                "level": DepartmentLevel.CITY,
                "org_unit": city,
                "order": order,
            },
        )
        city_departments[dref.code] = dept
        count += 1
    for unit in units.values():
        if unit.parent_id is None:
            continue
        for order, (code, suffix) in enumerate(DISTRICT_COUNTERPARTS):
            Department.objects.update_or_create(
                code=f"{unit.code}-{code}",
                defaults={
                    "name": f"{unit.short_name}{suffix}",
                    "aliases": [f"{unit.name}{suffix}"],
                    "level": DepartmentLevel.DISTRICT,
                    "org_unit": unit,
                    "counterpart": city_departments[code],
                    "order": order,
                },
            )
            count += 1
    audit.record(
        "accounts.reference.ensure",
        actor=actor,
        object_type="accounts.reference",
        object_repr="行政区划与部门名录",
        after={"org_units": len(units), "departments": count},
    )
    return len(units), count


@transaction.atomic
def create_user(
    username: str,
    *,
    actor: Any,
    password: str | None,
    display_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create an account (an unusable password when ``password`` is None)."""
    user = User(
        username=username,
        display_name=display_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(
        "accounts.user.create",
        actor=actor,
        obj=user,
        after={"username": username, "is_staff": is_staff, "is_superuser": is_superuser},
    )
    return user


@transaction.atomic
def grant_role(
    user: User,
    role: str,
    *,
    actor: Any,
    department: Department | None = None,
    org_unit: OrgUnit | None = None,
) -> Membership:
    """Give ``user`` a role in a department or an org unit (idempotent)."""
    if department is None and org_unit is None:
        raise ValueError("a membership needs a department or an org unit")
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    membership, created = Membership.objects.get_or_create(
        user=user, role=role, department=department, org_unit=org_unit
    )
    if created:
        audit.record(
            "accounts.membership.grant",
            actor=actor,
            obj=membership,
            after={
                "user": user.username,
                "role": role,
                "department": department.code if department else None,
                "org_unit": org_unit.code if org_unit else None,
            },
        )
    return membership
