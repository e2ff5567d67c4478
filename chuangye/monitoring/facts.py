"""Keep Fact cells equal to their sources: refresh one cell on every write, rebuild or check all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum

from chuangye.accounts.models import OrgUnit
from chuangye.monitoring import metrics
from chuangye.monitoring.models import Fact
from chuangye.plans.models import Indicator

ZERO = Decimal(0)
COUNTED = ("approved", "locked")


def _manual_cell(indicator: Indicator, unit: OrgUnit, year: int, month: int) -> tuple[Decimal, int]:
    from chuangye.reporting.models import DataValue

    rows = DataValue.objects.filter(
        indicator=indicator, year=year, month=month, status__in=COUNTED, value__isnull=False
    )
    own = rows.filter(org_unit=unit).aggregate(v=Sum("value"), n=Count("id"))
    if own["n"]:
        return own["v"] or ZERO, own["n"]
    if unit.parent_id is None:
        # The city: the sum of what its districts reported (additive indicators).
        children = rows.filter(org_unit__parent=unit).aggregate(v=Sum("value"), n=Count("id"))
        return children["v"] or ZERO, children["n"]
    return ZERO, 0


def compute_cell(indicator: Indicator, unit: OrgUnit, year: int, month: int) -> tuple[Decimal, int]:
    """The value of one cell, read from its source (reported figures or a programme registry)."""
    if indicator.is_manual:
        return _manual_cell(indicator, unit, year, month)
    metric = metrics.get(indicator.source)
    if metric is None:
        return ZERO, 0
    return metric.compute(unit, year, month)


def _store(indicator: Indicator, unit: OrgUnit, year: int, month: int) -> Fact | None:
    value, records = compute_cell(indicator, unit, year, month)
    if records == 0:
        Fact.objects.filter(indicator=indicator, org_unit=unit, year=year, month=month).delete()
        return None
    fact, _ = Fact.objects.update_or_create(
        indicator=indicator,
        org_unit=unit,
        year=year,
        month=month,
        defaults={"value": value, "records": records},
    )
    return fact


def refresh(indicator: Indicator, unit: OrgUnit, year: int, month: int) -> None:
    """Recompute a cell and its parent's (the city) in the caller's transaction."""
    with transaction.atomic():
        _store(indicator, unit, year, month)
        if unit.parent_id is not None:
            parent = unit.parent
            assert parent is not None
            _store(indicator, parent, year, month)


def refresh_metric(key: str, unit: OrgUnit, year: int, month: int) -> None:
    """Recompute the indicators fed by metric ``key`` for a unit and month (programmes call it)."""
    for indicator in Indicator.objects.filter(source=key, plan__is_active=True):
        refresh(indicator, unit, year, month)


@dataclass(frozen=True)
class Mismatch:
    indicator: str
    org_unit: str
    year: int
    month: int
    stored: Decimal | None
    source: Decimal | None


def _cells(plan_indicators: list[Indicator]) -> Iterator[tuple[Indicator, OrgUnit, int, int]]:
    units = list(OrgUnit.objects.all())
    for indicator in plan_indicators:
        plan = indicator.plan
        for year in range(plan.period_start, plan.period_end + 1):
            for month in range(1, 13):
                for unit in units:
                    yield indicator, unit, year, month


def _indicators() -> list[Indicator]:
    return list(Indicator.objects.filter(plan__is_active=True).select_related("plan"))


def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Recompute every cell of the active plan from its source; returns the number of facts."""
    indicators = _indicators()
    with transaction.atomic():
        Fact.objects.filter(indicator__in=indicators).delete()
        for indicator in indicators:
            for ind, unit, year, month in _cells([indicator]):
                _store(ind, unit, year, month)
            if progress:
                progress(1)
    return Fact.objects.filter(indicator__in=indicators).count()


def check(progress: Callable[[int], None] | None = None) -> list[Mismatch]:
    """Cells whose stored value differs from what the source says now."""
    indicators = _indicators()
    stored = {
        (f.indicator_id, f.org_unit_id, f.year, f.month): f.value
        for f in Fact.objects.filter(indicator__in=indicators)
    }
    bad: list[Mismatch] = []
    for indicator in indicators:
        for ind, unit, year, month in _cells([indicator]):
            value, records = compute_cell(ind, unit, year, month)
            source = value if records else None
            have = stored.pop((ind.pk, unit.pk, year, month), None)
            if have != source:
                bad.append(Mismatch(ind.code, unit.code, year, month, have, source))
        if progress:
            progress(1)
    for (ind_id, unit_id, year, month), value in stored.items():
        bad.append(Mismatch(str(ind_id), str(unit_id), year, month, value, None))
    return bad
