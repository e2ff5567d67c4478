"""What a user may see, derived once per request from their memberships."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chuangye.accounts.choices import (
    BACK_OFFICE_ROLES,
    CITY_WIDE_ROLES,
    PLAN_ROLES,
    PUBLIC_ROLES,
    DepartmentLevel,
    Role,
)


@dataclass(frozen=True)
class Access:
    """The roles and scopes of one user."""

    roles: frozenset[str]
    org_unit_ids: frozenset[int]
    department_ids: frozenset[int]
    is_superuser: bool = False
    is_staff: bool = False
    # (role, department id) of every active membership held in a department.
    department_roles: frozenset[tuple[str, int]] = frozenset()

    @property
    def city_wide(self) -> bool:
        return self.is_superuser or bool(self.roles & CITY_WIDE_ROLES)

    @property
    def plan_member(self) -> bool:
        return self.is_superuser or bool(self.roles & PLAN_ROLES)

    @property
    def is_coordinator(self) -> bool:
        return self.is_superuser or Role.COORDINATOR in self.roles

    @property
    def is_auditor(self) -> bool:
        return self.is_superuser or Role.AUDITOR in self.roles

    @property
    def back_office(self) -> bool:
        """May open /admin/ (what they see there follows their group's permissions)."""
        return self.is_superuser or self.is_staff or bool(self.roles & BACK_OFFICE_ROLES)

    @property
    def needs_second_factor(self) -> bool:
        """Staff and administrators sign in with a second factor; the public does not."""
        return self.is_superuser or self.is_staff or bool(self.roles - PUBLIC_ROLES)

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


NO_ACCESS = Access(frozenset(), frozenset(), frozenset())


def access_for(user: Any) -> Access:
    """Return (and cache on the user object) the Access of ``user``; anonymous gets none."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, "_chuangye_access", None)
    if cached is not None:
        return cached
    # Plain tuples, not model instances: this runs on every authenticated request.
    rows = user.memberships.filter(active=True).values_list(*MEMBERSHIP_COLUMNS)
    return remember_access(user, rows)


# What ``remember_access`` needs of each active membership, in this order.
MEMBERSHIP_COLUMNS = (
    "role",
    "org_unit_id",
    "department_id",
    "department__level",
    "department__org_unit_id",
)


def remember_access(user: Any, rows: Iterable[tuple[Any, ...]]) -> Access:
    """Build the Access of ``user`` from its active memberships' rows and keep it on the user."""
    roles: set[str] = set()
    units: set[int] = set()
    departments: set[int] = set()
    department_roles: set[tuple[str, int]] = set()
    for role, org_unit_id, department_id, level, department_unit_id in rows:
        roles.add(role)
        if org_unit_id:
            units.add(org_unit_id)
        if department_id:
            departments.add(department_id)
            department_roles.add((role, department_id))
            if level == DepartmentLevel.DISTRICT:
                units.add(department_unit_id)
    access = Access(
        frozenset(roles),
        frozenset(units),
        frozenset(departments),
        user.is_superuser,
        user.is_staff,
        frozenset(department_roles),
    )
    user._chuangye_access = access
    return access
