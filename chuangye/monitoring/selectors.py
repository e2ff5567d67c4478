"""Scoped reads for the cockpit: which org units' progress a user may see, and the query inputs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from chuangye.accounts.access import access_for
from chuangye.accounts.models import OrgUnit
from chuangye.plans.models import Plan, Target


class QueryError(ValueError):
    """A malformed or out-of-range request parameter (HTTP 400)."""


class NotVisible(LookupError):
    """A real org unit outside the caller's scope (HTTP 404, like one that does not exist)."""


def units_visible_to(user: Any) -> list[OrgUnit]:
    """The city for everyone in the plan; districts for city-wide roles or their own staff.

    Only the active plan's city and its districts: other cities sharing the database (a
    province's deployment) are not this plan's units.
    """
    access = access_for(user)
    units = list(
        OrgUnit.objects.filter(Q(plans__is_active=True) | Q(parent__plans__is_active=True))
        .distinct()
        .order_by("order", "code")
    )
    if access.city_wide:
        return units
    if not access.plan_member:
        return []
    return [u for u in units if u.parent_id is None or u.pk in access.org_unit_ids]


def parse_date(raw: str | None, plan: Plan) -> dt.date:
    if not raw:
        return dt.date.today()
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise QueryError(_("date 应为 YYYY-MM-DD 格式的日期")) from None
    first = dt.date(plan.period_start, 1, 1)
    last = dt.date(plan.period_end + 1, 12, 31)
    if not first <= day <= last:
        raise QueryError(
            _("date 应在方案期内（%(a)s 至 %(b)s）")
            % {"a": first.isoformat(), "b": last.isoformat()}
        )
    return day


def parse_units(raw: str | None, user: Any) -> list[OrgUnit]:
    """``org_unit=CODE`` (one), ``all`` (every visible unit) or nothing (the city)."""
    visible = units_visible_to(user)
    if not raw:
        return [u for u in visible if u.parent_id is None]
    if raw == "all":
        return visible
    codes = [c.strip() for c in raw.split(",") if c.strip()]
    shown = {u.code: u for u in visible}
    others = [c for c in codes if c not in shown]
    if others:
        known = set(OrgUnit.objects.filter(code__in=others).values_list("code", flat=True))
        unknown = [c for c in others if c not in known]
        if unknown:
            raise QueryError(_("未知的区划代码：%(codes)s") % {"codes": "、".join(unknown)})
        raise NotVisible(raw)
    return [shown[c] for c in codes]


def parse_targets(raw: str | None, plan: Plan) -> list[Target] | None:
    if not raw:
        return None
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not all(p.isdigit() and int(p) < 2**63 for p in parts):
        raise QueryError(_("target 应为逗号分隔的整数编号"))
    ids = [int(p) for p in parts]
    found = list(
        plan.targets.filter(pk__in=ids)
        .select_related("indicator", "plan", "measure")
        .order_by("order")
    )
    missing = sorted(set(ids) - {t.pk for t in found})
    if missing:
        raise QueryError(_("未知的目标编号：%(ids)s") % {"ids": ", ".join(map(str, missing))})
    return found


# --- what the cockpit's pages and the API compute alike -----------------------------------------


def filter_targets(plan: Plan, section: str = "", department: str = "") -> list[Target]:
    """The plan's targets, optionally only those served by a section's or department's measures."""
    targets = plan.targets.select_related("indicator", "plan", "measure").order_by("order")
    if section.isdigit():
        targets = targets.filter(served_by__section__number=int(section)).distinct()
    if department:
        targets = targets.filter(
            served_by__responsibilities__department__code=department
        ).distinct()
    return list(targets)


@dataclass
class DrillDown:
    """Target → districts → months → the reported figures behind one month's number."""

    rows: list[Any]  # one Progress per visible org unit
    city: Any  # the city's Progress, if visible
    shown: Any  # the focused unit's Progress (the city's when none is focused)
    monthly: list[tuple[str, Any]]  # ("YYYY-MM", cumulative actual)
    records: list[Any]  # DataValues of the chosen month (the unit, or the city and its districts)


def drill_down(
    user: Any,
    plan: Plan,
    target: Target,
    day: dt.date,
    *,
    seasonal: bool = False,
    unit_code: str | None = None,
    month: str = "",
) -> DrillDown:
    """The drill-down of one target; ``NotVisible`` for a unit the user may not see."""
    from chuangye.monitoring.progress import progress_for
    from chuangye.reporting.models import DataValue

    visible = units_visible_to(user)
    focus = next((u for u in visible if u.code == unit_code), None) if unit_code else None
    if unit_code and focus is None:
        raise NotVisible(unit_code)
    rows = progress_for(plan, visible, day, targets=[target], seasonal=seasonal)
    city_row = next((r for r in rows if r.org_unit.parent_id is None), None)
    shown = next((r for r in rows if focus and r.org_unit.pk == focus.pk), city_row)
    records: list[Any] = []
    if shown is not None and month.count("-") == 1:
        y, m = month.split("-")
        if y.isdigit() and m.isdigit():
            unit_ids = [shown.org_unit.pk]
            if shown.org_unit.parent_id is None:
                unit_ids += [u.pk for u in visible if u.parent_id == shown.org_unit.pk]
            records = list(
                DataValue.objects.filter(
                    indicator=target.indicator, org_unit_id__in=unit_ids, year=int(y), month=int(m)
                ).select_related("org_unit", "department")
            )
    monthly = []
    if shown is not None:
        for (year, mon), cum in zip(shown.months, shown.cumulative, strict=True):
            monthly.append((f"{year}-{mon:02d}", cum))
    return DrillDown(rows=rows, city=city_row, shown=shown, monthly=monthly, records=records)


def latest_progress(plan: Plan, user: Any) -> dict[int, list[Any]]:
    """Per measure, each department's latest progress update the user may see."""
    from chuangye.reporting.selectors import progress_visible_to

    latest: dict[int, list[Any]] = defaultdict(list)
    rows = progress_visible_to(user).filter(measure__plan=plan).select_related("department")
    best: dict[tuple[int, int], Any] = {}
    for u in rows:
        key = (u.measure_id, u.department_id)
        if key not in best or (u.year, u.quarter) > (best[key].year, best[key].quarter):
            best[key] = u
    for (measure_id, _dept), u in best.items():
        latest[measure_id].append(u)
    return latest


def delivery_chain(
    user: Any, plan: Plan, units: list[OrgUnit], day: dt.date, targets: list[Target]
) -> list[tuple[Any, list[tuple[Any, list[Any]]]]]:
    """Per target (city-level progress): the measures serving it with their latest updates."""
    from chuangye.monitoring.progress import progress_for
    from chuangye.plans import selectors as plan_selectors

    city = [u for u in units if u.parent_id is None] or units
    rows = progress_for(plan, city, day, targets=targets)
    latest = latest_progress(plan, user)
    measures = {m.pk: m for m in plan_selectors.measures_of(plan).prefetch_related("serves")}
    served: dict[int, list[Any]] = defaultdict(list)
    for m in measures.values():
        for t in m.serves.all():
            served[t.pk].append(m)
    chain = []
    for r in rows:
        items = [
            (m, latest.get(m.pk, [])) for m in sorted(served[r.target.pk], key=lambda m: m.number)
        ]
        chain.append((r, items))
    return chain


@dataclass
class DepartmentBoard:
    grouped: dict[str, list[Any]]  # role → measures
    year: int
    quarter: int
    updates: dict[int, Any]  # measure id → the quarter's ProgressUpdate
    overdue: list[Any]  # measures without a submitted update for the quarter
    behind: list[Any]  # updates reporting a measure behind or not started
    timeliness: list[tuple[str, int, int]]  # (round, on time, reported)


def department_board(plan: Plan, department: Any, today: dt.date) -> DepartmentBoard:
    """A department's measures, overdue progress updates and reporting timeliness."""
    from chuangye.plans import selectors as plan_selectors
    from chuangye.reporting.models import ProgressUpdate

    lookup = department.counterpart or department
    grouped = plan_selectors.responsibilities_of(plan, lookup)
    q = (today.month - 1) // 3
    year, quarter = (today.year - 1, 4) if q == 0 else (today.year, q)
    updates = {
        u.measure_id: u
        for u in ProgressUpdate.objects.filter(
            department=department, year=year, quarter=quarter, measure__plan=plan
        )
    }
    overdue = [
        m
        for measures in grouped.values()
        for m in measures
        if m.pk not in updates or updates[m.pk].status in ("draft", "returned")
    ]
    behind = [u for u in updates.values() if u.measure_status in ("behind", "not_started")]
    return DepartmentBoard(
        grouped=grouped,
        year=year,
        quarter=quarter,
        updates=updates,
        overdue=overdue,
        behind=behind,
        timeliness=timeliness(plan, department),
    )


def timeliness(plan: Plan, department: Any) -> list[tuple[str, int, int]]:
    """Per recent round: figures submitted by the deadline out of those the unit reported."""
    from django.utils import timezone

    from chuangye.reporting.models import DataValue

    rounds = list(plan.rounds.order_by("-year", "-month")[:6])
    out = []
    for rnd in reversed(rounds):
        values = DataValue.objects.filter(
            department=department, year=rnd.year, month=rnd.month, indicator__plan=plan
        )
        total = values.count()
        deadline_end = dt.datetime.combine(
            rnd.deadline, dt.time.max, tzinfo=timezone.get_current_timezone()
        )
        on_time = values.filter(submitted_at__lte=deadline_end).count()
        out.append((rnd.label, on_time, total))
    return out


def public_plan() -> Plan | None:
    """The plan the public board shows: the active one."""
    return Plan.objects.filter(is_active=True).first()


def public_board_rows(plan: Plan, day: dt.date) -> list[Any]:
    """City-level progress of every target of ``plan``: no district, no person."""
    from chuangye.monitoring.progress import progress_for

    city = OrgUnit.objects.filter(parent__isnull=True).first()
    return progress_for(plan, [city], day) if city else []
