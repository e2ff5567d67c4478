"""Cockpit (驾驶舱), drill-down, delivery chain, department board and the public board."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from chuangye.accounts.access import access_for
from chuangye.accounts.selectors import get_department_for_user
from chuangye.monitoring import exports, selectors
from chuangye.monitoring.progress import LIGHT_LABELS, Light, Progress, league, progress_for
from chuangye.plans import selectors as plan_selectors
from chuangye.plans.models import Plan


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def chart_data(p: Progress) -> dict[str, Any]:
    """What the trend chart draws: months, cumulative actual, expected path, target line."""
    return {
        "months": [f"{y}-{m:02d}" for y, m in p.months],
        "actual": [_num(v) for v in p.cumulative],
        "expected": [_num(v) for v in p.expected_path],
        "target": _num(p.min_value if p.target.comparator == "range" else p.target_value),
        "unit": p.target.unit,
        "label": p.target.subject,
    }


def _filters(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    try:
        day = selectors.parse_date(request.GET.get("date"), plan)
        units = selectors.parse_units(request.GET.get("org_unit"), request.user)
    except (selectors.QueryError, selectors.NotVisible) as exc:
        raise Http404(str(exc)) from None
    section = request.GET.get("section", "")
    department = request.GET.get("department", "")
    targets = selectors.filter_targets(plan, section, department)
    return {
        "day": day,
        "units": units,
        "targets": targets,
        "section": section,
        "department": department,
        "seasonal": request.GET.get("seasonal") == "1",
    }


def _lights(rows: list[Progress]) -> list[tuple[str, str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r.status] += 1
    order = [Light.DONE, Light.GREEN, Light.YELLOW, Light.RED, Light.NO_DATA]
    return [(s, LIGHT_LABELS[s], counts[s]) for s in order]


@login_required
def cockpit(request: HttpRequest) -> HttpResponse:
    plan = plan_selectors.active_plan_for(request.user)
    f = _filters(request, plan)
    rows = progress_for(plan, f["units"], f["day"], targets=f["targets"], seasonal=f["seasonal"])
    district_rows: list[Progress] = []
    visible = selectors.units_visible_to(request.user)
    districts = [u for u in visible if u.parent_id is not None]
    if districts:
        district_rows = progress_for(plan, districts, f["day"], targets=f["targets"])
    ranking = league(district_rows) if access_for(request.user).city_wide else []
    if request.GET.get("format") == "xlsx":
        # The selected units, then every visible district not already among them.
        chosen = {u.pk for u in f["units"]}
        extra = [r for r in district_rows if r.org_unit.pk not in chosen]
        return exports.progress_download(rows + extra, f["day"])
    cards = [(r, chart_data(r)) for r in rows]
    return render(
        request,
        "monitoring/cockpit.html",
        {
            "plan": plan,
            "f": f,
            "cards": cards,
            "lights": _lights(rows),
            "ranking": ranking,
            "ranking_chart": {
                "names": [u.short_name for u, *_ in ranking],
                "scores": [round(score * 100, 1) for _u, score, *_ in ranking],
            },
            "sections": plan.sections.order_by("number"),
            "units": visible,
            "departments": plan_selectors.departments_in_plan(plan),
        },
    )


@login_required
def target_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Drill-down: target → districts → months → the figures behind a number."""
    plan = plan_selectors.active_plan_for(request.user)
    target = plan.targets.select_related("indicator", "plan", "measure").filter(pk=pk).first()
    if target is None:
        raise Http404
    f = _filters(request, plan)
    try:
        d = selectors.drill_down(
            request.user,
            plan,
            target,
            f["day"],
            seasonal=f["seasonal"],
            unit_code=request.GET.get("unit"),
            month=request.GET.get("month", ""),
        )
    except selectors.NotVisible:
        raise Http404 from None
    rows, city_row, shown, monthly, records = d.rows, d.city, d.shown, d.monthly, d.records
    month = request.GET.get("month", "")
    return render(
        request,
        "monitoring/target_detail.html",
        {
            "plan": plan,
            "target": target,
            "rows": [r for r in rows if r.org_unit.parent_id is not None],
            "city": city_row,
            "shown": shown,
            "chart": chart_data(shown) if shown else None,
            "monthly": monthly,
            "month": month,
            "records": records,
            "f": f,
            "chain": target.served_by.prefetch_related("responsibilities__department").order_by(
                "number"
            ),
        },
    )


@login_required
def delivery_chain(request: HttpRequest) -> HttpResponse:
    """Which measures (and departments) serve which targets, with their latest progress."""
    plan = plan_selectors.active_plan_for(request.user)
    f = _filters(request, plan)
    chain = selectors.delivery_chain(request.user, plan, f["units"], f["day"], f["targets"])
    return render(request, "monitoring/chain.html", {"plan": plan, "chain": chain, "f": f})


@login_required
def department_board(request: HttpRequest, code: str) -> HttpResponse:
    """A department's measures, overdue progress updates and reporting timeliness."""
    if not access_for(request.user).plan_member:
        raise Http404
    department = get_department_for_user(request.user, code)
    plan = plan_selectors.active_plan_for(request.user)
    board = selectors.department_board(plan, department, timezone.localdate())
    grouped, updates, overdue = board.grouped, board.updates, board.overdue
    year, quarter, behind, timeliness = board.year, board.quarter, board.behind, board.timeliness
    return render(
        request,
        "monitoring/department_board.html",
        {
            "department": department,
            "plan": plan,
            "grouped": [
                (label, [(m, updates.get(m.pk), m in overdue) for m in grouped.get(role, [])])
                for role, label in (
                    ("lead", _("牵头")),
                    ("joint", _("按职责分工负责")),
                    ("cooperating", _("配合")),
                )
            ],
            "year": year,
            "quarter": quarter,
            "updates": updates,
            "overdue": overdue,
            "behind": behind,
            "timeliness": timeliness,
        },
    )


@cache_control(public=True, no_cache=True)
def public_board(request: HttpRequest) -> HttpResponse:
    """City-level progress of every target, for everyone, without login or personal data."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    from chuangye.monitoring.facts import current_version

    plan = selectors.public_plan()
    if plan is None:
        raise Http404
    try:
        day = selectors.parse_date(request.GET.get("date"), plan)
    except selectors.QueryError:
        day = dt.date.today()
    key = f"board:{plan.pk}:{current_version()}:{day.isoformat()}:{get_language()}"
    # Browsers revalidate every time (no-cache) and get a 304 while no figure has changed.
    etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    anonymous = not request.user.is_authenticated
    if anonymous and request.headers.get("If-None-Match") == etag:
        response304 = HttpResponse(status=304)
        response304["ETag"] = etag
        return response304
    body = cache.get(key) if anonymous else None
    if body is None:
        rows = selectors.public_board_rows(plan, day)
        response = render(
            request,
            "monitoring/public_board.html",
            {
                "plan": plan,
                "day": day,
                "cards": [(r, chart_data(r)) for r in rows],
                "lights": _lights(rows),
            },
        )
        # The page has no per-user content (no CSRF form is rendered for anonymous visitors).
        if anonymous:
            cache.set(key, response.content, timeout=600)
            response["ETag"] = etag
        return response
    cached = HttpResponse(body)
    cached["ETag"] = etag
    return cached
