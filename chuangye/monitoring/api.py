"""``GET /api/v1/progress``: one row per target in scope (ARCHITECTURE.md contract)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from chuangye.monitoring import selectors
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
def progress(request: Request) -> Response:
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
    rows = progress_for(plan, units, day, targets=targets, seasonal=seasonal)
    return Response(
        {
            "date": day.isoformat(),
            "plan": plan.pk,
            "count": len(rows),
            "results": [r.as_api() for r in rows],
        }
    )
