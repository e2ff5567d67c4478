"""What a bulletin says, drafted from the data.

:func:`compose` reads progress, the district league, measure progress and the reported causes
and remedies into a JSON-able snapshot; every renderer (page, Word, PDF, Excel) works from that
snapshot alone, so an issued bulletin can be shown again exactly as it was issued.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation

from chuangye.accounts.choices import OrgUnitKind
from chuangye.accounts.models import OrgUnit
from chuangye.documents.models import Bulletin
from chuangye.documents.periods import Period
from chuangye.documents.render.outline import fmt_pct, fmt_value
from chuangye.monitoring.models import Fact
from chuangye.monitoring.progress import LIGHT_LABELS, Light, Progress, league, progress_for
from chuangye.plans.choices import Aggregation, Comparator, ResponsibilityRole
from chuangye.plans.models import Measure, Plan, Target
from chuangye.reporting.choices import BEHIND_STATUSES, MeasureStatus, ValueStatus
from chuangye.reporting.models import ProgressUpdate

SNAPSHOT_VERSION = 1
#: How many targets the summary quotes, and how many the trend chart draws.
KEY_FIGURES = 4
TREND_TARGETS = 4
LIGHT_ORDER = (Light.DONE, Light.GREEN, Light.YELLOW, Light.RED, Light.NO_DATA)


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def issuer_of(plan: Plan) -> str:
    """The issuing office: the plan's coordinating department under the city's name."""
    name = (
        plan.coordinating_department.name
        if plan.coordinating_department
        else "市人力资源社会保障局"
    )
    if name.startswith("市"):
        return plan.org_unit.name.removesuffix("市") + name
    return name


def programme_name(plan: Plan) -> str:
    """The plan as a bulletin names it: 威海市“创业威海”行动方案 → “创业威海”行动方案."""
    city = plan.org_unit.name
    return plan.title.removeprefix(city) or plan.title


def title_for(plan: Plan, period: Period, unit: OrgUnit) -> str:
    scope = "" if unit.parent_id is None else unit.name
    return f"关于{scope}{period.label}{programme_name(plan)}推进情况的通报"


def districts() -> list[OrgUnit]:
    return list(
        OrgUnit.objects.filter(kind__in=[OrgUnitKind.COUNTY, OrgUnitKind.ZONE]).order_by(
            "order", "code"
        )
    )


# --- pieces of the snapshot -------------------------------------------------------------------


def _period_facts(
    targets: list[Target], unit: OrgUnit, period: Period
) -> dict[int, dict[tuple[int, int], Decimal]]:
    """Facts of the period's months for the unit: indicator id → (year, month) → value."""
    months = set(period.months)
    out: dict[int, dict[tuple[int, int], Decimal]] = defaultdict(dict)
    rows = Fact.objects.filter(
        indicator_id__in={t.indicator_id for t in targets},
        org_unit=unit,
        year__in={y for y, _ in months},
        month__in={m for _, m in months},
    ).values_list("indicator_id", "year", "month", "value")
    for indicator_id, year, month, value in rows:
        if (year, month) in months:
            out[indicator_id][(year, month)] = value
    return out


def _period_value(target: Target, cells: dict[tuple[int, int], Decimal]) -> Decimal | None:
    """What the period itself added (a sum), or its closing value for stock indicators."""
    if not cells:
        return None
    if target.indicator.aggregation == Aggregation.SUM:
        return sum(cells.values(), Decimal(0))
    return cells[max(cells)]


def _goal(row: Progress) -> Decimal | None:
    return row.min_value if row.target.comparator == Comparator.RANGE else row.target_value


def _display_goal(row: Progress) -> str:
    t = row.target
    if t.comparator == Comparator.RELATIVE:
        return f"不低于{t.reference}"
    if t.comparator == Comparator.RANGE:
        low, high = row.min_value, row.max_value
        if low is not None and high is not None and low != high:
            return f"{fmt_value(_num(low), '')}—{fmt_value(_num(high), t.unit)}"
    symbol = {">=": "≥", "<=": "≤", "~": "约", "=": "", "range": ""}.get(t.comparator, "")
    return f"{symbol}{fmt_value(_num(_goal(row)), t.unit)}"


def _target_row(row: Progress, cells: dict[tuple[int, int], Decimal]) -> dict[str, Any]:
    t = row.target
    return {
        "id": t.pk,
        "order": t.order,
        "subject": t.subject,
        "text": t.text,
        "unit": t.unit,
        "comparator": t.comparator,
        "scope": row.scope,
        "year": row.year,
        "goal": _num(_goal(row)),
        "goal_display": _display_goal(row),
        "actual": _num(row.actual),
        "period_value": _num(_period_value(t, cells)),
        "expected": _num(row.expected),
        "completion": row.completion,
        "time_elapsed": row.time_elapsed,
        "status": row.status,
        "status_label": LIGHT_LABELS[row.status],
        "forecast": _num(row.forecast),
        "outlook": row.outlook,
        "reference_actual": _num(row.reference_actual),
    }


def _updates(plan: Plan, period: Period, unit: OrgUnit) -> dict[int, list[ProgressUpdate]]:
    """Latest approved measure progress per department, from the quarter before the period to
    its last quarter; for a district only its own departments. Measure id → updates."""
    (y1, q1), last = period.quarters
    first = (y1 - 1, 4) if q1 == 1 else (y1, q1 - 1)
    rows = (
        ProgressUpdate.objects.filter(
            measure__plan=plan,
            status__in=[ValueStatus.APPROVED, ValueStatus.LOCKED],
            year__gte=first[0],
            year__lte=last[0],
        )
        .select_related("measure", "department")
        .order_by("year", "quarter")
    )
    if unit.parent_id is not None:
        rows = rows.filter(department__org_unit=unit)
    best: dict[tuple[int, int], ProgressUpdate] = {}
    for u in rows:
        if first <= (u.year, u.quarter) <= last:
            best[(u.measure_id, u.department_id)] = u
    out: dict[int, list[ProgressUpdate]] = defaultdict(list)
    for (measure_id, _dept), u in sorted(
        best.items(), key=lambda kv: (kv[1].measure.number, kv[1].department.order)
    ):
        out[measure_id].append(u)
    return out


def _quarter_label(u: ProgressUpdate) -> str:
    return f"{u.year}年第{u.quarter}季度"


def _measure_entry(m: Measure, updates: list[ProgressUpdate]) -> dict[str, Any]:
    leads: list[str] = []
    coops: list[str] = []
    for r in m.responsibilities.all():
        name = r.department.name if r.department else r.department_name
        (coops if r.role == ResponsibilityRole.COOPERATING else leads).append(name)
    return {
        "number": m.number,
        "title": f"{m.printed}{m.title}",
        "lead": leads,
        "cooperating": coops,
        "lagging": any(u.measure_status in BEHIND_STATUSES for u in updates),
        "latest": [
            {
                "department": u.department.name,
                "status": u.measure_status,
                "status_label": str(MeasureStatus(u.measure_status).label),
                "quarter": _quarter_label(u),
            }
            for u in updates
        ],
    }


def _at_risk(
    rows: list[Progress],
    district_rows: list[Progress],
    updates: dict[int, list[ProgressUpdate]],
    is_city: bool,
) -> list[dict[str, Any]]:
    """Targets behind 序时进度 (red), each with the measures serving it and their units."""
    red = [r for r in rows if r.status == Light.RED]
    if not red:
        return []
    targets = Target.objects.filter(pk__in=[r.target.pk for r in red]).prefetch_related(
        "served_by__responsibilities__department"
    )
    serving = {t.pk: sorted(t.served_by.all(), key=lambda m: m.number) for t in targets}
    lagging_districts: dict[int, list[str]] = defaultdict(list)
    if is_city:
        for d in district_rows:
            if d.status == Light.RED:
                lagging_districts[d.target.pk].append(d.org_unit.short_name)
    out = []
    for r in red:
        measures = [_measure_entry(m, updates.get(m.pk, [])) for m in serving.get(r.target.pk, [])]
        out.append(
            {
                "id": r.target.pk,
                "subject": r.target.subject,
                "unit": r.target.unit,
                "actual": _num(r.actual),
                "goal_display": _display_goal(r),
                "completion": r.completion,
                "time_elapsed": r.time_elapsed,
                "districts": lagging_districts.get(r.target.pk, []),
                "measures": measures,
            }
        )
    return out


def _remedies(updates: dict[int, list[ProgressUpdate]]) -> list[dict[str, Any]]:
    """The causes and remedies units wrote for measures they report as behind."""
    out = []
    for items in updates.values():
        for u in items:
            if u.measure_status not in BEHIND_STATUSES:
                continue
            out.append(
                {
                    "measure": f"{u.measure.printed}{u.measure.title}",
                    "department": u.department.name,
                    "quarter": _quarter_label(u),
                    "status_label": str(MeasureStatus(u.measure_status).label),
                    "cause": u.cause,
                    "remedy": u.remedy,
                    "remedy_due": u.remedy_due.isoformat() if u.remedy_due else None,
                }
            )
    return out


def _trend(rows: list[Progress]) -> list[dict[str, Any]]:
    """Cumulative actual against the 序时进度 path, for the first targets that have both."""
    out = []
    for r in rows:
        goal = _goal(r)
        if r.target.comparator == Comparator.RELATIVE or goal is None or r.actual is None:
            continue
        out.append(
            {
                "subject": r.target.subject,
                "unit": r.target.unit,
                "goal": float(goal),
                "months": [f"{y}-{m:02d}" for y, m in r.months],
                "actual": [_float(v) for v in r.cumulative],
                "expected": [float(v) for v in r.expected_path],
            }
        )
        if len(out) == TREND_TARGETS:
            break
    return out


# --- the snapshot -----------------------------------------------------------------------------


def compose(plan: Plan, period: Period, unit: OrgUnit) -> dict[str, Any]:
    """Every figure a bulletin for ``period`` and ``unit`` shows, as plain JSON data.

    An official document is written in Chinese whatever language the reader's screen uses.
    """
    with translation.override("zh-hans"):
        return _compose(plan, period, unit)


def _compose(plan: Plan, period: Period, unit: OrgUnit) -> dict[str, Any]:
    is_city = unit.parent_id is None
    targets = list(plan.targets.select_related("indicator", "plan", "measure").order_by("order"))
    rows = progress_for(plan, [unit], period.as_of, targets=targets)
    facts = _period_facts(targets, unit, period)
    has_data = any(facts.values())
    district_rows = progress_for(plan, districts(), period.as_of, targets=targets)
    counts = dict.fromkeys(LIGHT_ORDER, 0)
    for r in rows:
        counts[r.status] += 1
    ranking = []
    if has_data:
        for position, (u, score, n, lights) in enumerate(league(district_rows), start=1):
            ranking.append(
                {
                    "rank": position,
                    "code": u.code,
                    "name": u.short_name,
                    "score": round(score, 4),
                    "targets": n,
                    "lights": {k: lights.get(k, 0) for k in LIGHT_ORDER if k != Light.NO_DATA},
                }
            )
    updates = _updates(plan, period, unit) if has_data else {}
    return {
        "version": SNAPSHOT_VERSION,
        "plan": {"title": plan.title, "doc_number": plan.doc_number, "name": programme_name(plan)},
        "issuer": issuer_of(plan),
        "period": {
            "kind": period.kind,
            "code": period.code,
            "label": period.label,
            "end_label": period.end_label,
            "as_of": period.as_of.isoformat(),
        },
        "unit": {
            "code": unit.code,
            "name": unit.name,
            "short_name": unit.short_name,
            "is_city": is_city,
        },
        "has_data": has_data,
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "counts": counts,
        "targets": [_target_row(r, facts.get(r.target.indicator_id, {})) for r in rows],
        "ranking": ranking,
        "at_risk": _at_risk(rows, district_rows, updates, is_city) if has_data else [],
        "warnings": [r.target.subject for r in rows if r.status == Light.YELLOW],
        "remedies": _remedies(updates),
        "charts": {"trend": _trend(rows) if has_data else []},
    }


def draft_summary(snapshot: dict[str, Any]) -> str:
    """The 总体情况 paragraph, drafted from the figures (the coordinator may rewrite it)."""
    period, unit = snapshot["period"], snapshot["unit"]
    scope = "全市" if unit["is_city"] else unit["name"]
    if not snapshot["has_data"]:
        return (
            f"截至{period['end_label']}，{scope}暂无{period['label']}已审核的填报数据，"
            "本期不统计目标完成情况，也不进行区市排名。请各责任单位按时报送数据。"
        )
    rows = snapshot["targets"]
    if not rows:
        return f"截至{period['end_label']}，{scope}暂无分解下达的量化目标。"
    c = snapshot["counts"]
    parts = [
        f"截至{period['end_label']}，{scope}{snapshot['plan']['name']}{len(rows)}项量化目标中，"
        f"已完成{c['done']}项，按序时进度正常推进{c['green']}项，预警{c['yellow']}项，"
        f"滞后{c['red']}项" + (f"，{c['no_data']}项暂无数据" if c["no_data"] else "") + "。"
    ]
    quoted = [
        r
        for r in rows
        if r["actual"] is not None and r["completion"] is not None and r["comparator"] != "<="
    ][:KEY_FIGURES]
    if quoted:
        parts.append(
            "其中，"
            + "；".join(
                f"{r['subject']}累计{fmt_value(r['actual'], r['unit'])}，"
                f"完成目标的{fmt_pct(r['completion'])}（序时进度{fmt_pct(r['time_elapsed'])}）"
                for r in quoted
            )
            + "。"
        )
    ranking = snapshot["ranking"]
    if ranking and unit["is_city"]:
        top = "、".join(r["name"] for r in ranking[:3])
        bottom = "、".join(r["name"] for r in ranking[-2:]) if len(ranking) > 4 else ""
        text = f"各区市中，{top}推进较快"
        parts.append(text + (f"，{bottom}相对滞后。" if bottom else "。"))
    elif ranking:
        mine = next((r for r in ranking if r["code"] == unit["code"]), None)
        if mine:
            parts.append(f"{unit['name']}在{len(ranking)}个区市中排名第{mine['rank']}位。")
    red = snapshot["at_risk"]
    if red:
        names = "、".join(r["subject"] for r in red)
        parts.append(f"{names}{len(red)}项目标滞后于序时进度，请牵头单位加快推进。")
    else:
        parts.append("本期无滞后于序时进度的目标。")
    return "".join(parts)


def document_of(
    snapshot: dict[str, Any],
    *,
    title: str,
    number: str,
    dated: dt.date,
    summary: str,
    draft: bool,
) -> dict[str, Any]:
    """The snapshot with the parts a person writes: what the renderers take."""
    return {
        **snapshot,
        "title": title,
        "number": number,
        "dated": dated.isoformat(),
        "summary": summary,
        "draft": draft,
    }


def document_for(row: Bulletin, *, draft: bool | None = None) -> dict[str, Any]:
    """A stored bulletin as the renderers take it; an issued one is never marked draft."""
    return document_of(
        row.snapshot,
        title=row.title,
        number=row.number,
        dated=row.dated,
        summary=row.summary,
        draft=(not row.is_issued) if draft is None else draft,
    )
