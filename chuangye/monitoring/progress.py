"""Progress against 序时进度: actual, expected, completion, light, run-rate and forecast.

All arithmetic is on Fact rows already in memory, so the cost of a page does not depend on the
size of the registries behind the figures.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from chuangye.accounts.models import OrgUnit
from chuangye.monitoring.models import Fact
from chuangye.plans.choices import Aggregation, AllocationStatus, Comparator
from chuangye.plans.models import AllocationLine, Plan, Target

ZERO = Decimal(0)
Series = dict[tuple[int, int], Decimal]  # (year, month) → value


class Light:
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    DONE = "done"
    NO_DATA = "no_data"


LIGHT_LABELS = {
    Light.GREEN: "正常",
    Light.YELLOW: "预警",
    Light.RED: "滞后",
    Light.DONE: "已完成",
    Light.NO_DATA: "暂无数据",
}
OUTLOOK_LABELS = {"on_track": "可完成", "at_risk": "有风险", "off_track": "难完成", None: "—"}


def cutoff_month(day: dt.date) -> tuple[int, int]:
    """Figures count through the month before ``day`` (a month is reported after it ends)."""
    return (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)


def months_between(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    out = []
    y, m = start
    while (y, m) <= end:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@dataclass
class Progress:
    """One target's standing for one org unit on one date."""

    target: Target
    org_unit: OrgUnit
    scope: str  # per_year | plan
    year: int | None
    target_value: Decimal | None
    min_value: Decimal | None
    max_value: Decimal | None
    actual: Decimal | None
    expected: Decimal | None
    completion: float | None
    time_elapsed: float
    status: str
    gap: Decimal | None = None
    required_monthly: Decimal | None = None
    forecast: Decimal | None = None
    outlook: str | None = None
    reference_actual: Decimal | None = None
    months: list[tuple[int, int]] = field(default_factory=list)
    cumulative: list[Decimal | None] = field(default_factory=list)
    expected_path: list[Decimal] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return LIGHT_LABELS[self.status]

    @property
    def outlook_label(self) -> str:
        return OUTLOOK_LABELS[self.outlook]

    def as_api(self) -> dict[str, Any]:
        def num(v: Decimal | None) -> float | None:
            return None if v is None else float(v)

        return {
            "target_id": self.target.pk,
            "indicator": self.target.indicator.code,
            "subject": self.target.subject,
            "unit": self.target.unit,
            "comparator": self.target.comparator,
            "target_value": num(self.target_value),
            "min": num(self.min_value),
            "max": num(self.max_value),
            "scope": self.scope,
            "year": self.year,
            "org_unit": self.org_unit.code,
            "actual": num(self.actual),
            "expected": num(self.expected),
            "completion": None if self.completion is None else round(self.completion, 4),
            "time_elapsed": round(self.time_elapsed, 4),
            "gap": num(self.gap),
            "required_monthly": num(self.required_monthly),
            "status": self.status,
            "forecast": num(self.forecast),
            "outlook": self.outlook,
            "reference": self.target.reference or None,
            "reference_actual": num(self.reference_actual),
        }


Window = tuple[str, int | None, list[tuple[int, int]], list[tuple[int, int]]]


def _window(target: Target, plan: Plan, day: dt.date) -> Window:
    """(scope, year, all months of the period, months counted so far).

    A per-year target is judged on the year of the last counted month, so early in January the
    cockpit still shows the year just ended, complete.
    """
    cut = cutoff_month(day)
    if target.per_year:
        year = min(max(cut[0], plan.period_start), plan.period_end)
        period = months_between((year, 1), (year, 12))
        scope = "per_year"
    else:
        year = None
        end_year = target.deadline_year or plan.period_end
        period = months_between((plan.period_start, 1), (end_year, 12))
        scope = "plan"
    counted = [ym for ym in period if ym <= cut]
    return scope, year, period, counted


def _profile(series: Series, period: list[tuple[int, int]], seasonal: bool) -> list[float]:
    """Cumulative expected share at the end of each month of the period."""
    n = len(period)
    if seasonal:
        weights = []
        for y, m in period:
            prior = series.get((y - 1, m))
            weights.append(float(prior) if prior is not None else None)
        if all(w is not None for w in weights) and sum(weights) > 0:  # type: ignore[arg-type]
            total = sum(weights)  # type: ignore[arg-type]
            shares, acc = [], 0.0
            for w in weights:
                acc += w / total  # type: ignore[operator]
                shares.append(acc)
            return shares
    return [(i + 1) / n for i in range(n)]


def compute(
    target: Target,
    org_unit: OrgUnit,
    day: dt.date,
    series: Series,
    *,
    base: Decimal | None = None,
    reference: Series | None = None,
    seasonal: bool = False,
    paths: bool = True,
) -> Progress:
    """Progress of ``target`` for ``org_unit`` given its monthly ``series`` (Fact values)."""
    plan = target.plan
    scope, year, period, counted = _window(target, plan, day)
    comparator = target.comparator
    tvalue = base if base is not None else target.value
    tmin, tmax = target.min_value, target.max_value
    if base is not None and comparator == Comparator.RANGE:
        tmin, tmax = base, base
    goal = tmin if comparator == Comparator.RANGE else tvalue
    shares = _profile(series, period, seasonal)
    elapsed = shares[len(counted) - 1] if counted else 0.0
    stock = target.indicator.aggregation != Aggregation.SUM
    have = [series[ym] for ym in counted if ym in series]
    # Running totals for the trend chart (skipped when only the figures are wanted).
    cumulative: list[Decimal | None] = []
    if paths:
        running = ZERO
        seen = False
        counted_set = set(counted)
        for ym in period:
            if ym in counted_set and ym in series:
                running = series[ym] if stock else running + series[ym]
                seen = True
            cumulative.append((running if seen else None) if ym in counted_set else None)
    progress = Progress(
        target=target,
        org_unit=org_unit,
        scope=scope,
        year=year,
        target_value=tvalue,
        min_value=tmin,
        max_value=tmax,
        actual=None,
        expected=None,
        completion=None,
        time_elapsed=elapsed,
        status=Light.NO_DATA,
        months=period,
        cumulative=cumulative,
    )
    if goal is not None and paths:
        progress.expected_path = [goal * Decimal(str(round(s, 6))) for s in shares]
    if comparator == Comparator.RELATIVE:
        ref_have = [reference[ym] for ym in counted if reference and ym in reference]
        if not have or not ref_have:
            return progress
        progress.actual, progress.reference_actual = have[-1], ref_have[-1]
        diff = float(progress.actual - progress.reference_actual)
        progress.gap = progress.actual - progress.reference_actual
        if diff >= 0:
            progress.status = Light.GREEN
        elif -diff <= settings.PROGRESS_RELATIVE_MARGIN:
            progress.status = Light.YELLOW
        else:
            progress.status = Light.RED
        return progress
    if not have or goal is None:
        return progress
    actual = have[-1] if stock else sum(have, ZERO)
    progress.actual = actual
    expected = goal * Decimal(str(round(elapsed, 6)))
    progress.expected = expected.quantize(Decimal("0.01"))
    progress.gap = actual - progress.expected
    progress.completion = float(actual / goal) if goal else None
    remaining = len(period) - len(counted)
    deadline_passed = remaining == 0
    tol = Decimal(str(settings.PROGRESS_APPROX_TOLERANCE / 100))
    yellow = Decimal(str(settings.PROGRESS_YELLOW_POINTS / 100)) * goal
    if comparator == Comparator.LTE:
        if actual > goal:
            progress.status = Light.RED
        elif deadline_passed:
            progress.status = Light.DONE
        else:
            progress.status = Light.GREEN if actual <= expected else Light.YELLOW
    else:
        floor = goal * (1 - tol) if comparator == Comparator.APPROX else goal
        if actual >= floor:
            progress.status = Light.DONE
        elif deadline_passed:
            progress.status = Light.RED
        else:
            bar = expected * (1 - tol) if comparator == Comparator.APPROX else expected
            if actual >= bar:
                progress.status = Light.GREEN
            elif bar - actual <= yellow:
                progress.status = Light.YELLOW
            else:
                progress.status = Light.RED
    # Run-rate and forecast: what each remaining month needs, and where the trend ends.
    if remaining > 0 and comparator != Comparator.LTE and not stock:
        progress.required_monthly = max(goal - actual, ZERO) / remaining
    if stock:
        progress.forecast = actual
    elif counted:
        if seasonal and elapsed > 0:
            progress.forecast = (actual / Decimal(str(elapsed))).quantize(Decimal("0.01"))
        else:
            rate = actual / len(counted)
            progress.forecast = (actual + rate * remaining).quantize(Decimal("0.01"))
    if progress.forecast is not None and goal:
        share = float(progress.forecast / goal) * 100
        if comparator == Comparator.LTE:
            progress.outlook = "on_track" if progress.forecast <= goal else "off_track"
        elif share >= 100 * (1 - float(tol) if comparator == Comparator.APPROX else 1):
            progress.outlook = "on_track"
        elif share >= settings.PROGRESS_AT_RISK_SHARE:
            progress.outlook = "at_risk"
        else:
            progress.outlook = "off_track"
    return progress


# --- reading the facts ------------------------------------------------------------------------


def _series_for(
    plan: Plan, units: list[OrgUnit], indicator_ids: list[int]
) -> dict[tuple[int, int], Series]:
    """One query: the Facts of these indicators and units in the plan period and the year before."""
    out: dict[tuple[int, int], Series] = defaultdict(dict)
    rows = Fact.objects.filter(
        indicator_id__in=indicator_ids,
        org_unit__in=units,
        year__gte=plan.period_start - 1,
        year__lte=plan.period_end,
    ).values_list("indicator_id", "org_unit_id", "year", "month", "value")
    for ind, unit, year, month, value in rows:
        out[(ind, unit)][(year, month)] = value
    return out


def _quotas(plan: Plan, units: list[OrgUnit]) -> dict[tuple[int, int], dict[int, Decimal]]:
    """Active allocation: (target, unit) → {year: quota}."""
    out: dict[tuple[int, int], dict[int, Decimal]] = defaultdict(dict)
    lines = AllocationLine.objects.filter(
        version__plan=plan, version__status=AllocationStatus.ACTIVE, org_unit__in=units
    ).values_list("target_id", "org_unit_id", "year", "quota")
    for target_id, unit_id, year, quota in lines:
        out[(target_id, unit_id)][year] = quota
    return out


def progress_for(
    plan: Plan,
    units: list[OrgUnit],
    day: dt.date,
    *,
    targets: list[Target] | None = None,
    seasonal: bool = False,
    paths: bool = True,
) -> list[Progress]:
    """Progress rows for every target × unit in scope: city targets for the city, quotas below."""
    targets = (
        targets
        if targets is not None
        else list(plan.targets.select_related("indicator", "plan", "measure").order_by("order"))
    )
    indicator_ids = [t.indicator_id for t in targets] + [
        t.reference_indicator_id for t in targets if t.reference_indicator_id
    ]
    series = _series_for(plan, units, indicator_ids)
    quotas = _quotas(plan, [u for u in units if u.parent_id is not None])
    rows: list[Progress] = []
    for unit in units:
        for t in targets:
            own = series.get((t.indicator_id, unit.pk), {})
            if unit.parent_id is None:
                base = None
            else:
                q = quotas.get((t.pk, unit.pk))
                if not q:
                    continue  # not allocated to this district (e.g. a relative target)
                if t.per_year:
                    year = min(max(cutoff_month(day)[0], plan.period_start), plan.period_end)
                    base = q.get(year, ZERO)
                else:
                    base = sum(q.values(), ZERO)
            ref = (
                series.get((t.reference_indicator_id, unit.pk))
                if t.reference_indicator_id
                else None
            )
            rows.append(
                compute(t, unit, day, own, base=base, reference=ref, seasonal=seasonal, paths=paths)
            )
    return rows


def league(rows: list[Progress]) -> list[tuple[OrgUnit, float, int, dict[str, int]]]:
    """Districts ranked by mean completion of their outcome targets (capped at 120%)."""
    by_unit: dict[int, list[Progress]] = defaultdict(list)
    units: dict[int, OrgUnit] = {}
    for r in rows:
        if r.org_unit.parent_id is None or r.completion is None or r.target_value in (None, ZERO):
            continue
        if r.target.comparator in (Comparator.LTE, Comparator.RELATIVE):
            continue
        if not r.expected:
            continue
        by_unit[r.org_unit.pk].append(r)
        units[r.org_unit.pk] = r.org_unit
    table = []
    for pk, items in by_unit.items():
        # Against 序时进度: completion relative to what should be done by now.
        scores = [min(float(r.actual or 0) / float(r.expected or 1), 1.2) for r in items]
        lights: dict[str, int] = defaultdict(int)
        for r in items:
            lights[r.status] += 1
        table.append((units[pk], sum(scores) / len(scores), len(items), dict(lights)))
    table.sort(key=lambda row: -row[1])
    return table
