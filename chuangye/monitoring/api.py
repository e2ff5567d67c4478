"""``GET /api/v1/progress``: one row per target in scope (ARCHITECTURE.md contract)."""

from __future__ import annotations

import json

from django.core.cache import cache
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from chuangye.monitoring import facts, selectors
from chuangye.monitoring.progress import progress_for
from chuangye.plans.selectors import active_plan_for


def _bad(message: str) -> Response:
    return Response({"code": "invalid", "message": message, "detail": {}}, status=400)


@extend_schema(
    parameters=[
        OpenApiParameter("date", OpenApiTypes.DATE, description="评估日期，默认今天"),
        OpenApiParameter("org_unit", str, description="区划代码（逗号分隔）、all 或省略（全市）"),
        OpenApiParameter("target", str, description="目标编号（逗号分隔）"),
        OpenApiParameter("seasonal", bool, description="按上年月度分布计算序时进度"),
    ],
    responses=OpenApiTypes.OBJECT,
)
@api_view(["GET"])
def progress(request: Request) -> Response | HttpResponse:
    """Progress of every target in scope against 序时进度, with light and forecast."""
    plan = active_plan_for(request.user)
    params = request.query_params
    try:
        day = selectors.parse_date(params.get("date"), plan)
        units = selectors.parse_units(params.get("org_unit"), request.user)
        targets = selectors.parse_targets(params.get("target"), plan)
    except selectors.QueryError as exc:
        return _bad(str(exc))
    except selectors.NotVisible:
        return Response({"code": "not_found", "message": "未找到。", "detail": {}}, status=404)
    seasonal = params.get("seasonal", "").lower() in {"1", "true", "yes"}
    # Progress changes only when a Fact does: cache on the facts' version counter.
    key = "progress:" + ":".join(
        [
            str(plan.pk),
            str(facts.current_version()),
            day.isoformat(),
            ",".join(u.code for u in units),
            ",".join(str(t.pk) for t in targets) if targets else "*",
            "s" if seasonal else "l",
        ]
    )
    body = cache.get(key)
    if body is None:
        rows = progress_for(plan, units, day, targets=targets, seasonal=seasonal, paths=False)
        payload = {
            "date": day.isoformat(),
            "plan": plan.pk,
            "count": len(rows),
            "results": [r.as_api() for r in rows],
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        cache.set(key, body, timeout=600)
    # The cached bytes are the response: no re-serialising of an unchanged answer.
    return HttpResponse(body, content_type="application/json")
