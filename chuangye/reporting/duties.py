"""Who must report which figure: (indicator, org unit) → reporting department, per month."""

from __future__ import annotations

from dataclasses import dataclass

from chuangye.accounts.choices import DepartmentLevel
from chuangye.accounts.models import Department, OrgUnit
from chuangye.plans.models import Indicator, Plan


@dataclass(frozen=True)
class Duty:
    indicator: Indicator
    org_unit: OrgUnit
    department: Department

    @property
    def prefilled(self) -> bool:
        """Fed by a programme registry: shown with its source, never asked (collect once)."""
        return not self.indicator.is_manual


def _districts(city: OrgUnit) -> list[OrgUnit]:
    """The plan's districts and zones (never another city's, should the database hold several)."""
    return list(
        OrgUnit.objects.filter(parent=city, kind__in=["county", "zone"]).order_by("order", "code")
    )


def district_bureaus(plan: Plan) -> dict[int, Department]:
    """Each district's counterpart of the plan's coordinating department (e.g. 环翠区人社局)."""
    if plan.coordinating_department_id is None:
        return {}
    return {
        d.org_unit_id: d
        for d in Department.objects.filter(
            level=DepartmentLevel.DISTRICT, counterpart_id=plan.coordinating_department_id
        ).select_related("org_unit")
    }


def duties(
    plan: Plan, month: int, *, departments: set[int] | None = None, include_prefilled: bool = True
) -> list[Duty]:
    """Every figure of the month and who reports it, optionally only for some departments."""
    city = plan.org_unit
    districts = _districts(city)
    bureaus = district_bureaus(plan)
    result: list[Duty] = []
    indicators = plan.indicators.select_related("owner").order_by("code")
    for indicator in indicators:
        if not indicator.asked_in_month(month):
            continue
        if not include_prefilled and not indicator.is_manual:
            continue
        if indicator.owner is not None:
            units = districts if indicator.by_district else [city]
            rows = [Duty(indicator, u, indicator.owner) for u in units]
        else:
            rows = [Duty(indicator, d, bureaus[d.pk]) for d in districts if d.pk in bureaus]
        result += [r for r in rows if departments is None or r.department.pk in departments]
    return result
