from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from chuangye.core.pagination import MAX_ID
from chuangye.plans import selectors
from chuangye.plans.choices import ResponsibilityRole
from chuangye.plans.models import Measure, Plan, Responsibility, Target


class PlanSerializer(serializers.ModelSerializer[Plan]):
    class Meta:
        model = Plan
        fields = [
            "id",
            "title",
            "issuer",
            "doc_number",
            "issued_on",
            "version",
            "is_active",
            "period_start",
            "period_end",
        ]


class ResponsibilitySerializer(serializers.ModelSerializer[Responsibility]):
    department = serializers.CharField(source="department_name")
    department_code: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        source="department", slug_field="code", read_only=True
    )

    class Meta:
        model = Responsibility
        fields = ["department", "department_code", "role"]


class TargetSerializer(serializers.ModelSerializer[Target]):
    indicator: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    measure: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )

    class Meta:
        model = Target
        fields = [
            "id",
            "indicator",
            "measure",
            "text",
            "subject",
            "comparator",
            "value",
            "min_value",
            "max_value",
            "unit",
            "per_year",
            "deadline_year",
            "reference",
        ]


class MeasureSerializer(serializers.ModelSerializer[Measure]):
    section = serializers.SerializerMethodField()
    responsibilities = ResponsibilitySerializer(many=True, read_only=True)
    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = Measure
        fields = [
            "id",
            "plan",
            "number",
            "printed",
            "section",
            "title",
            "text",
            "responsibilities",
            "targets",
        ]

    def get_section(self, obj: Measure) -> int | None:
        return obj.section.number if obj.section else None


class PlanViewSet(viewsets.ReadOnlyModelViewSet[Plan]):
    """Plans the caller may see; ``current`` returns the active plan as plan JSON."""

    serializer_class = PlanSerializer

    def get_queryset(self) -> Any:
        return selectors.plans_visible_to(self.request.user)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def current(self, request: Request) -> Response:
        return Response(selectors.plan_as_json(selectors.active_plan_for(request.user)))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"], url_path="json")
    def as_json(self, request: Request, pk: str | None = None) -> Response:
        return Response(selectors.plan_as_json(self.get_object()))


class MeasureViewSet(viewsets.ReadOnlyModelViewSet[Measure]):
    serializer_class = MeasureSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("plan", int, description="方案 id（默认当前方案）"),
            OpenApiParameter("section", int, description="专项计划序号"),
            OpenApiParameter("department", str, description="部门代码"),
            OpenApiParameter("role", str, description="lead / cooperating / joint"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        qs = selectors.measures_of_plans(selectors.plans_visible_to(self.request.user))
        if self.action != "list":
            return qs
        params = self.request.query_params
        plan = params.get("plan")
        if plan:
            if not plan.isdigit() or int(plan) > MAX_ID:
                raise serializers.ValidationError({"plan": "应为整数"})
            qs = qs.filter(plan_id=int(plan))
        else:
            qs = qs.filter(plan__is_active=True)
        section = params.get("section")
        if section:
            if not section.isdigit() or int(section) > MAX_ID:
                raise serializers.ValidationError({"section": "应为整数"})
            qs = qs.filter(section__number=int(section))
        department, role = params.get("department"), params.get("role")
        if role and role not in ResponsibilityRole.values:
            raise serializers.ValidationError({"role": "应为 lead、cooperating 或 joint"})
        if department or role:
            # One filter() call so department and role apply to the same responsibility row.
            conditions: dict[str, str] = {}
            if department:
                conditions["responsibilities__department__code"] = department
            if role:
                conditions["responsibilities__role"] = role
            qs = qs.filter(**conditions)
        return qs.distinct().order_by("plan_id", "number")


class TargetViewSet(viewsets.ReadOnlyModelViewSet[Target]):
    serializer_class = TargetSerializer

    def get_queryset(self) -> Any:
        return (
            Target.objects.filter(plan__in=selectors.plans_visible_to(self.request.user))
            .filter(plan__is_active=True)
            .select_related("indicator")
            .order_by("order")
        )
