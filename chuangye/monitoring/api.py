"""The cockpit over the API: ``GET /api/v1/progress`` (ARCHITECTURE.md contract) and its Excel
export, the drill-down, the delivery chain, the department board and the public board (the only
anonymous endpoint).

The same selectors as the pages; bad query parameters are 400, a unit or object outside the
caller's scope is 404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chuangye.accounts.access import access_for
from chuangye.accounts.models import OrgUnit
from chuangye.accounts.selectors import get_department_for_user
from chuangye.monitoring import exports, facts, selectors
from chuangye.monitoring.progress import Progress, progress_for
from chuangye.plans.models import Plan, Target
from chuangye.plans.selectors import active_plan_for


def _bad(message: str) -> Response:
    return Response({"code": "invalid", "message": message, "detail": {}}, status=400)


def _not_found() -> Response:
    return Response({"code": "not_found", "message": "未找到。", "detail": {}}, status=404)


PROGRESS_PARAMETERS = [
    OpenApiParameter("date", OpenApiTypes.DATE, description="评估日期，默认今天"),
    OpenApiParameter("org_unit", str, description="区划代码（逗号分隔）、all 或省略（全市）"),
    OpenApiParameter("target", str, description="目标编号（逗号分隔）"),
    OpenApiParameter("seasonal", bool, description="按上年月度分布计算序时进度"),
]


@dataclass(frozen=True)
class ProgressQuery:
    plan: Plan
    day: dt.date
    units: list[OrgUnit]
    targets: list[Target] | None
    seasonal: bool

    def rows(self) -> list[Progress]:
        return progress_for(
            self.plan,
            self.units,
            self.day,
            targets=self.targets,
            seasonal=self.seasonal,
            paths=False,
        )


def _progress_query(request: Request) -> ProgressQuery | Response:
    """The query of ``progress`` and its export, or the 400/404 answer to a bad one."""
    plan = active_plan_for(request.user)
    params = request.query_params
    try:
        day = selectors.parse_date(params.get("date"), plan)
        units = selectors.parse_units(params.get("org_unit"), request.user)
        targets = selectors.parse_targets(params.get("target"), plan)
    except selectors.QueryError as exc:
        return _bad(str(exc))
    except selectors.NotVisible:
        return _not_found()
    seasonal = params.get("seasonal", "").lower() in {"1", "true", "yes"}
    return ProgressQuery(plan, day, units, targets, seasonal)


@extend_schema(parameters=PROGRESS_PARAMETERS, responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def progress(request: Request) -> Response | HttpResponse:
    """Progress of every target in scope against 序时进度, with light and forecast."""
    query = _progress_query(request)
    if isinstance(query, Response):
        return query
    # Progress changes only when a Fact does: cache on the facts' version counter.
    key = "progress:" + ":".join(
        [
            str(query.plan.pk),
            str(facts.current_version()),
            query.day.isoformat(),
            ",".join(u.code for u in query.units),
            ",".join(str(t.pk) for t in query.targets) if query.targets else "*",
            "s" if query.seasonal else "l",
        ]
    )
    body = cache.get(key)
    if body is None:
        rows = query.rows()
        payload = {
            "date": query.day.isoformat(),
            "plan": query.plan.pk,
            "count": len(rows),
            "results": [r.as_api() for r in rows],
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        cache.set(key, body, timeout=600)
    # The cached bytes are the response: no re-serialising of an unchanged answer.
    return HttpResponse(body, content_type="application/json")


class JsonErrors(BaseContentNegotiation):
    """A download answers with its file whatever ``Accept`` says, and with JSON when refused."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class ProgressExport(APIView):
    """``GET /api/v1/progress/export``: the rows of ``GET /api/v1/progress`` as Excel."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrors

    @extend_schema(
        parameters=PROGRESS_PARAMETERS,
        responses={
            (200, exports.XLSX): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="Excel 工作簿：与 GET /api/v1/progress 同样筛选条件下的同一组行",
            ),
            400: OpenApiResponse(description="参数有误（code、message、detail）"),
            404: OpenApiResponse(description="区划不在调用者的范围内，或调用者不在方案中"),
        },
    )
    def get(self, request: Request) -> Response | HttpResponse:
        """Progress of every target in scope as an Excel workbook (the cockpit's export)."""
        query = _progress_query(request)
        if isinstance(query, Response):
            return query
        response = exports.progress_download(query.rows(), query.day)
        response["Cache-Control"] = "no-store"
        return response


# --- drill-down, delivery chain, department board, public board ---------------------------------


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _series(p: Any) -> list[dict[str, Any]]:
    return [
        {"month": f"{y}-{m:02d}", "actual": _num(a), "expected": _num(e)}
        for (y, m), a, e in zip(p.months, p.cumulative, p.expected_path, strict=True)
    ]


def _record(v: Any) -> dict[str, Any]:
    return {
        "id": v.pk,
        "org_unit": v.org_unit.code,
        "department": v.department.code if v.department_id else None,
        "year": v.year,
        "month": v.month,
        "value": _num(v.value),
        "status": v.status,
        "submitted_at": v.submitted_at.isoformat() if v.submitted_at else None,
    }


def _update(u: Any) -> dict[str, Any]:
    return {
        "id": u.pk,
        "department": u.department.code,
        "year": u.year,
        "quarter": u.quarter,
        "status": u.status,
        "measure_status": u.measure_status,
    }


def _measure(m: Any) -> dict[str, Any]:
    return {"id": m.pk, "number": m.number, "title": m.title}


MONTH_RE = re.compile(r"^\d{4}-\d{2}$")
COMMON = [
    OpenApiParameter("date", OpenApiTypes.DATE, description="评估日期，默认今天"),
    OpenApiParameter("seasonal", bool, description="按上年月度分布计算序时进度"),
]


@extend_schema(
    parameters=[
        *COMMON,
        OpenApiParameter("unit", str, description="聚焦的区划代码（默认全市）"),
        OpenApiParameter("month", str, description="YYYY-MM：列出该月构成数字的填报记录"),
    ],
    responses=OpenApiTypes.OBJECT,
)
@api_view(["GET"])
def target_detail(request: Request, pk: int) -> Response:
    """Drill-down of one target: every visible unit, the months, the figures behind a month."""
    plan = active_plan_for(request.user)
    target = plan.targets.select_related("indicator", "plan", "measure").filter(pk=pk).first()
    if target is None or not selectors.units_visible_to(request.user):
        return _not_found()
    params = request.query_params
    month = params.get("month", "")
    if month and not (MONTH_RE.match(month) and 1 <= int(month[5:]) <= 12):
        return _bad("month 应为 YYYY-MM 格式")
    try:
        day = selectors.parse_date(params.get("date"), plan)
        d = selectors.drill_down(
            request.user,
            plan,
            target,
            day,
            seasonal=params.get("seasonal", "").lower() in {"1", "true", "yes"},
            unit_code=params.get("unit") or None,
            month=month,
        )
    except selectors.QueryError as exc:
        return _bad(str(exc))
    except selectors.NotVisible:
        return _not_found()
    return Response(
        {
            "date": day.isoformat(),
            "target": target.pk,
            "city": d.city.as_api() if d.city else None,
            "districts": [r.as_api() for r in d.rows if r.org_unit.parent_id is not None],
            "shown": d.shown.as_api() if d.shown else None,
            "months": _series(d.shown) if d.shown else [],
            "month": month or None,
            "records": [_record(v) for v in d.records],
            "measures": [
                _measure(m)
                for m in target.served_by.order_by("number")  # the delivery chain
            ],
        }
    )


@extend_schema(
    parameters=[
        *COMMON[:1],
        OpenApiParameter("org_unit", str, description="区划代码、all 或省略（全市）"),
        OpenApiParameter("section", int, description="只看该部分的举措所服务的目标"),
        OpenApiParameter("department", str, description="只看该部门承担的举措所服务的目标"),
    ],
    responses=OpenApiTypes.OBJECT,
)
@api_view(["GET"])
def delivery_chain(request: Request) -> Response:
    """Per target: the measures serving it, each with the latest progress of its departments."""
    plan = active_plan_for(request.user)
    params = request.query_params
    section = params.get("section", "")
    if section and not (section.isdigit() and int(section) < 2**31):
        return _bad("section 应为整数")
    try:
        day = selectors.parse_date(params.get("date"), plan)
        units = selectors.parse_units(params.get("org_unit"), request.user)
    except selectors.QueryError as exc:
        return _bad(str(exc))
    except selectors.NotVisible:
        return _not_found()
    targets = selectors.filter_targets(plan, section, params.get("department", ""))
    chain = selectors.delivery_chain(request.user, plan, units, day, targets) if units else []
    results = [
        {
            **r.as_api(),
            "measures": [
                {**_measure(m), "progress": [_update(u) for u in updates]} for m, updates in items
            ],
        }
        for r, items in chain
    ]
    return Response({"date": day.isoformat(), "count": len(results), "results": results})


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def department_board(request: Request, code: str) -> Response:
    """A department's measures (led, joint, co-operated), overdue updates and timeliness."""
    if not access_for(request.user).plan_member:
        return _not_found()
    department = get_department_for_user(request.user, code)
    plan = active_plan_for(request.user)
    board = selectors.department_board(plan, department, timezone.localdate())
    overdue = {m.pk for m in board.overdue}

    def row(m: Any) -> dict[str, Any]:
        u = board.updates.get(m.pk)
        return {**_measure(m), "update": _update(u) if u else None, "overdue": m.pk in overdue}

    return Response(
        {
            "department": department.code,
            "name": department.name,
            "year": board.year,
            "quarter": board.quarter,
            "measures": {
                role: [row(m) for m in board.grouped.get(role, [])]
                for role in ("lead", "joint", "cooperating")
            },
            "overdue": [_measure(m) for m in board.overdue],
            "behind": [_update(u) | {"measure": u.measure_id} for u in board.behind],
            "timeliness": [
                {"round": label, "on_time": on_time, "reported": total}
                for label, on_time, total in board.timeliness
            ],
        }
    )


@extend_schema(parameters=COMMON[:1], responses=OpenApiTypes.OBJECT, auth=[])
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def board(request: Request) -> Response:
    """The public board: city-level progress of every target, no login, no personal data."""
    plan = selectors.public_plan()
    if plan is None:
        return _not_found()
    try:
        day = selectors.parse_date(request.query_params.get("date"), plan)
    except selectors.QueryError as exc:
        return _bad(str(exc))
    rows = selectors.public_board_rows(plan, day)
    results = [
        {
            k: v
            for k, v in r.as_api().items()
            if k not in {"reference", "reference_actual", "required_monthly", "gap"}
        }
        for r in rows
    ]
    return Response(
        {"date": day.isoformat(), "plan": plan.title, "count": len(results), "results": results}
    )
