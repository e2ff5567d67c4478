"""Keep Fact cells equal to their sources: refresh one cell on every write, rebuild or check all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Sum

from chuangye.accounts.models import OrgUnit
from chuangye.monitoring import metrics
from chuangye.monitoring.models import Fact, FactState
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


def bump_version() -> None:
    """Invalidate cached progress: readers key their cache on this counter."""
    if not FactState.objects.filter(pk=1).update(version=F("version") + 1):
        FactState.objects.get_or_create(pk=1, defaults={"version": 1})


def current_version() -> str:
    """A key that changes with every Fact change (and differs between databases)."""
    row = FactState.objects.filter(pk=1).values_list("token", "version").first()
    if row is None:
        state, _ = FactState.objects.get_or_create(pk=1)
        row = (state.token, state.version)
    return f"{row[0].hex}-{row[1]}"


def refresh(indicator: Indicator, unit: OrgUnit, year: int, month: int) -> None:
    """Recompute a cell and its parent's (the city) in the caller's transaction."""
    with transaction.atomic():
        bump_version()
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


Cell = tuple[int, int, int, int]  # indicator id, org unit id, year, month


def _indicators() -> list[Indicator]:
    return list(Indicator.objects.filter(plan__is_active=True).select_related("plan"))


def expected_cells(
    indicators: list[Indicator], progress: Callable[[int], None] | None = None
) -> dict[Cell, tuple[Decimal, int]]:
    """Every non-empty cell as its source says now, computed in bulk (one query per source)."""
    from chuangye.reporting.models import DataValue

    units = list(OrgUnit.objects.all())
    city_of = {u.pk: u.parent_id for u in units}
    cells: dict[Cell, tuple[Decimal, int]] = {}
    manual = [i for i in indicators if i.is_manual]
    rows = (
        DataValue.objects.filter(indicator__in=manual, status__in=COUNTED, value__isnull=False)
        .values("indicator_id", "org_unit_id", "year", "month")
        .annotate(v=Sum("value"), n=Count("id"))
    )
    rolled: dict[Cell, tuple[Decimal, int]] = {}
    for r in rows:
        key = (r["indicator_id"], r["org_unit_id"], r["year"], r["month"])
        cells[key] = (r["v"], r["n"])
        parent = city_of.get(r["org_unit_id"])
        if parent is not None:
            pkey = (r["indicator_id"], parent, r["year"], r["month"])
            v, n = rolled.get(pkey, (ZERO, 0))
            rolled[pkey] = (v + r["v"], n + r["n"])
    for key, total in rolled.items():
        cells.setdefault(key, total)  # a unit's own figure wins over the sum of its children
    if progress:
        progress(len(manual))
    for indicator in indicators:
        if indicator.is_manual:
            continue
        plan = indicator.plan
        metric = metrics.get(indicator.source)
        if metric is not None and metric.compute_all is not None:
            # Set-based: one grouped query, then each unit's records added to its city.
            totals: dict[tuple[int, int, int], tuple[Decimal, int]] = {}
            for (unit_id, year, month), (v, n) in metric.compute_all(
                plan.period_start, plan.period_end
            ).items():
                for at in (unit_id, city_of.get(unit_id)):
                    if at is not None:
                        tv, tn = totals.get((at, year, month), (ZERO, 0))
                        totals[(at, year, month)] = (tv + v, tn + n)
            for (unit_id, year, month), (v, n) in totals.items():
                if n:
                    cells[(indicator.pk, unit_id, year, month)] = (v, n)
            if progress:
                progress(1)
            continue
        for year in range(plan.period_start, plan.period_end + 1):
            for month in range(1, 13):
                for unit in units:
                    value, records = compute_cell(indicator, unit, year, month)
                    if records:
                        cells[(indicator.pk, unit.pk, year, month)] = (value, records)
        if progress:
            progress(1)
    return cells


def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Recompute every cell of the active plan from its source; returns the number of facts."""
    indicators = _indicators()
    with transaction.atomic():
        bump_version()
        Fact.objects.filter(indicator__in=indicators).delete()
        cells = expected_cells(indicators, progress)
        Fact.objects.bulk_create(
            [
                Fact(indicator_id=i, org_unit_id=u, year=y, month=m, value=v, records=n)
                for (i, u, y, m), (v, n) in cells.items()
            ],
            batch_size=2000,
        )
    return len(cells)


def check(progress: Callable[[int], None] | None = None) -> list[Mismatch]:
    """Cells whose stored value differs from what the source says now."""
    indicators = _indicators()
    codes = {i.pk: i.code for i in indicators}
    unit_codes = dict(OrgUnit.objects.values_list("pk", "code"))
    stored = {
        (f.indicator_id, f.org_unit_id, f.year, f.month): f.value
        for f in Fact.objects.filter(indicator__in=indicators)
    }
    expected = {k: v for k, (v, _n) in expected_cells(indicators, progress).items()}
    bad = []
    for key in sorted(set(stored) | set(expected)):
        have, want = stored.get(key), expected.get(key)
        if have != want:
            i, u, y, m = key
            bad.append(Mismatch(codes[i], unit_codes[u], y, m, have, want))
    return bad
