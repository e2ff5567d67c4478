"""Deterministic synthetic data: the city's units and staff, and the demo personas.

Everything is fictitious. ``scale`` multiplies the volumes (for benchmarks); ``seed`` makes
the output repeatable.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from chuangye.accounts import services as accounts
from chuangye.accounts.choices import DepartmentLevel, Role
from chuangye.accounts.models import Department, OrgUnit, User
from chuangye.accounts.reference import CITY_CODE

#: Resident population by unit, summing to the city's ~2.8 million (demo sizing only).
POPULATION = {
    "371002": 520_000,
    "371003": 560_000,
    "371082": 700_000,
    "371083": 450_000,
    "371071": 250_000,
    "371072": 230_000,
    "371073": 80_000,
    "371074": 10_000,
}
POPULATION[CITY_CODE] = sum(POPULATION.values())

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


@dataclass(frozen=True)
class Persona:
    username: str
    display_name: str
    role: str
    department: str | None = None  # department code
    org_unit: str | None = None  # org unit code
    superuser: bool = False


PERSONAS: tuple[Persona, ...] = (
    Persona("coordinator", "演示·统筹协调员", Role.COORDINATOR, department="rsj"),
    Persona("leader", "演示·市领导", Role.LEADER, org_unit=CITY_CODE),
    Persona("reporter_huancui", "演示·环翠区填报员", Role.REPORTER, department="371002-rsj"),
    Persona("approver_huancui", "演示·环翠区审核员", Role.APPROVER, department="371002-rsj"),
    Persona("reporter_wendeng", "演示·文登区填报员", Role.REPORTER, department="371003-rsj"),
    Persona("reporter_rsj", "演示·市人社局填报员", Role.REPORTER, department="rsj"),
    Persona("auditor", "演示·审计员", Role.AUDITOR, org_unit=CITY_CODE),
    Persona("entrepreneur", "演示·创业者", Role.ENTREPRENEUR, org_unit="371002"),
    Persona("admin", "演示·系统管理员", Role.ADMIN, org_unit=CITY_CODE, superuser=True),
)


@dataclass
class DemoResult:
    personas: list[str] = field(default_factory=list)
    staff_accounts: int = 0
    org_units: int = 0
    departments: int = 0


def _grant(user: User, persona: Persona) -> None:
    department = Department.objects.get(code=persona.department) if persona.department else None
    org_unit = OrgUnit.objects.get(code=persona.org_unit) if persona.org_unit else None
    accounts.grant_role(user, persona.role, actor=None, department=department, org_unit=org_unit)


@transaction.atomic
def build_demo(
    *,
    scale: int = 1,
    seed: int = 2025,
    password: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Create (idempotently) the reference data, the personas and the district staff."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fictitious names, not secrets
    password = password or settings.DEMO_PASSWORD
    result = DemoResult()
    result.org_units, result.departments = accounts.ensure_reference_data(actor=None)
    for unit in OrgUnit.objects.filter(code__in=POPULATION):
        if unit.population != POPULATION[unit.code]:
            unit.population = POPULATION[unit.code]
            unit.save(update_fields=["population"])
    for persona in PERSONAS:
        user = User.objects.filter(username=persona.username).first()
        if user is None:
            user = accounts.create_user(
                persona.username,
                actor=None,
                password=password,
                display_name=persona.display_name,
                is_staff=persona.superuser,
                is_superuser=persona.superuser,
            )
        _grant(user, persona)
        result.personas.append(persona.username)
    if progress:
        progress(len(PERSONAS))
    # Each district bureau gets ``scale`` reporters and one approver: the people who file figures.
    bureaus = Department.objects.filter(level=DepartmentLevel.DISTRICT).select_related("org_unit")
    existing = set(
        User.objects.filter(username__startswith="staff_").values_list("username", flat=True)
    )
    for bureau in bureaus:
        for i in range(scale + 1):
            role = Role.APPROVER if i == 0 else Role.REPORTER
            username = f"staff_{bureau.code}_{role}_{i}"
            if username not in existing:
                name = f"{rng.choice(SURNAMES)}某{i}（演示）"
                user = accounts.create_user(username, actor=None, password=None, display_name=name)
                accounts.grant_role(user, role, actor=None, department=bureau)
            result.staff_accounts += 1
        if progress:
            progress(1)
    return result
