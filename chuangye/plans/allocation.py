"""The allocation ledger: city target = Σ district quotas + reserve, per year or over the plan."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from chuangye.accounts.models import OrgUnit
from chuangye.plans.choices import Comparator
from chuangye.plans.models import AllocationLine, AllocationVersion, Plan, Target

ZERO = Decimal(0)


def allocatable(target: Target) -> bool:
    """Relative targets compare two series and cannot be split; every other kind can."""
    return target.comparator != Comparator.RELATIVE


def allocation_base(target: Target) -> Decimal:
    """The amount to split: the value, or the lower bound of a range."""
    if target.comparator == Comparator.RANGE:
        return target.min_value or ZERO
    return target.value or ZERO


def plan_years(plan: Plan) -> list[int]:
    return list(range(plan.period_start, plan.period_end + 1))


@dataclass
class LedgerRow:
    """One target's ledger for one year (per-year targets) or for the whole plan (year None)."""

    target: Target
    year: int | None
    base: Decimal
    quotas: dict[int, Decimal] = field(default_factory=dict)  # org unit id → quota
    reserve: Decimal = ZERO

    @property
    def allocated(self) -> Decimal:
        return sum(self.quotas.values(), ZERO) + self.reserve

    @property
    def balanced(self) -> bool:
        return self.allocated == self.base

    @property
    def difference(self) -> Decimal:
        return self.allocated - self.base


def ledger(version: AllocationVersion, districts: list[OrgUnit]) -> list[LedgerRow]:
    """Rows for every allocatable target of the plan; plan-scope quotas add up across years."""
    plan = version.plan
    years = plan_years(plan)
    targets = [
        t for t in plan.targets.select_related("indicator").order_by("order") if allocatable(t)
    ]
    lines: dict[tuple[int, int | None, int], Decimal] = defaultdict(lambda: ZERO)
    for line in AllocationLine.objects.filter(version=version).only(
        "target_id", "org_unit_id", "year", "quota"
    ):
        lines[(line.target_id, line.org_unit_id, line.year)] += line.quota
    rows: list[LedgerRow] = []
    for t in targets:
        scopes: list[int | None] = list(years) if t.per_year else [None]
        for year in scopes:
            row = LedgerRow(t, year, allocation_base(t))
            for_years = [year] if year is not None else years
            for d in districts:
                row.quotas[d.pk] = sum((lines[(t.pk, d.pk, y)] for y in for_years), ZERO)
            row.reserve = sum((lines[(t.pk, None, y)] for y in for_years), ZERO)
            rows.append(row)
    return rows


def quota_for(version: AllocationVersion, target: Target, org_unit: OrgUnit, year: int) -> Decimal:
    line = AllocationLine.objects.filter(
        version=version, target=target, org_unit=org_unit, year=year
    ).first()
    return line.quota if line else ZERO
