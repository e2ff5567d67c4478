"""Allocation of the active plan's targets to districts and years, over ``/api/v1/allocations``.

Plan members see the versions; as on the allocation page, city-wide roles see every line, the
reserve and the ledger, everyone else only the lines of their own districts. Writes are the
coordinator's. Errors follow one rule: a version the caller cannot see is 404; a visible one the
caller may not change is 403; a change the ledger refuses is 400 with the reasons listed in
``detail.errors``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import OrgUnitKind
from chuangye.accounts.models import OrgUnit
from chuangye.plans import services
from chuangye.plans.allocation import LedgerRow, ledger
from chuangye.plans.models import AllocationLine, AllocationVersion
from chuangye.plans.selectors import active_plan_for, plans_visible_to

DISTRICT_KINDS = [OrgUnitKind.COUNTY, OrgUnitKind.ZONE]


class AllocationRefused(exceptions.APIException):
    """The ledger refused the change (HTTP 400); ``detail.errors`` lists every reason."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "目标分解未通过校验"


def _refused(exc: services.AllocationError) -> AllocationRefused:
    return AllocationRefused({"detail": str(exc), "errors": exc.errors})


def _require_coordinator(user: Any) -> None:
    if not access_for(user).is_coordinator:
        raise exceptions.PermissionDenied("只有统筹协调员可以调整目标分解")


def district_scope(user: Any) -> frozenset[int] | None:
    """The districts whose lines the caller sees, or None when the caller sees the whole city."""
    access = access_for(user)
    return None if access.city_wide else access.org_unit_ids


def lines_visible_to(user: Any) -> QuerySet[AllocationLine]:
    qs = AllocationLine.objects.select_related("target__indicator", "org_unit").order_by(
        "target__order", "year", "org_unit__order", "id"
    )
    scope = district_scope(user)
    return qs if scope is None else qs.filter(org_unit_id__in=scope)


def versions_visible_to(user: Any) -> QuerySet[AllocationVersion]:
    """Versions of the active plan, for plan members; each carries only the lines they may see."""
    plans = plans_visible_to(user).filter(is_active=True)
    return (
        AllocationVersion.objects.filter(plan__in=plans)
        .select_related("plan")
        .prefetch_related(Prefetch("lines", queryset=lines_visible_to(user)))
        .order_by("-number")
    )


class AllocationLineSerializer(serializers.ModelSerializer[AllocationLine]):
    indicator = serializers.CharField(source="target.indicator.code", read_only=True)
    org_unit: Any = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="区市代码；空为市级预留"
    )

    class Meta:
        model = AllocationLine
        fields = ["target", "indicator", "org_unit", "year", "quota"]


class LedgerRowSerializer(serializers.Serializer[LedgerRow]):
    target = serializers.IntegerField(source="target.pk")
    indicator = serializers.CharField(source="target.indicator.code")
    subject = serializers.CharField(source="target.subject")
    year = serializers.IntegerField(allow_null=True, help_text="年度；空表示整个方案期")
    base = serializers.DecimalField(max_digits=24, decimal_places=4, help_text="应分解的目标")
    allocated = serializers.DecimalField(max_digits=24, decimal_places=4, help_text="分解合计")
    reserve = serializers.DecimalField(max_digits=24, decimal_places=4, help_text="市级预留")
    difference = serializers.DecimalField(max_digits=24, decimal_places=4)
    balanced = serializers.BooleanField()


class AllocationSerializer(serializers.ModelSerializer[AllocationVersion]):
    # A plain string in the schema: an enum here would share the name "status" with the
    # reporting workflow's states and make the generated enum names ambiguous.
    status = serializers.CharField(
        read_only=True, help_text="draft（草稿）、active（执行中）或 superseded（已被替代）"
    )
    lines = AllocationLineSerializer(many=True, read_only=True)

    class Meta:
        model = AllocationVersion
        fields = ["id", "number", "status", "reason", "created_at", "activated_at", "lines"]


class AllocationDetailSerializer(AllocationSerializer):
    ledger = serializers.SerializerMethodField()

    class Meta(AllocationSerializer.Meta):
        fields = [*AllocationSerializer.Meta.fields, "ledger"]

    @extend_schema_field(LedgerRowSerializer(many=True))
    def get_ledger(self, obj: AllocationVersion) -> list[dict[str, Any]]:
        """Every allocatable target's balance; empty for callers without the city-wide view."""
        if district_scope(self.context["request"].user) is not None:
            return []
        districts = list(OrgUnit.objects.filter(kind__in=DISTRICT_KINDS).order_by("order", "code"))
        rows: Any = ledger(obj, districts)
        return list(LedgerRowSerializer(rows, many=True).data)


class ProposeSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="调整原因（已有启用版本时必填）"
    )


class SetQuotaSerializer(serializers.Serializer[Any]):
    target = serializers.IntegerField(help_text="目标 id")
    org_unit = serializers.CharField(allow_null=True, help_text="区市代码；null 为市级预留")
    year = serializers.IntegerField(min_value=1, max_value=9999)
    quota = serializers.DecimalField(max_digits=20, decimal_places=4)

    def validate_org_unit(self, code: str | None) -> OrgUnit | None:
        if code is None:
            return None
        unit = OrgUnit.objects.filter(code=code, kind__in=DISTRICT_KINDS).first()
        if unit is None:
            raise serializers.ValidationError(f"没有代码为“{code}”的区市")
        return unit


ERRORS = {
    400: OpenApiResponse(description="目标分解未通过校验，detail.errors 列出原因"),
    403: OpenApiResponse(description="只有统筹协调员可以调整目标分解"),
    404: OpenApiResponse(description="不存在或调用者看不到"),
}


class AllocationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[AllocationVersion]
):
    """Allocation versions of the active plan; an item adds the ledger.

    Writes (propose, set-quota, activate, discard a draft) are the coordinator's: 404 when the
    caller cannot see the plan or version, 403 when they can see it but may not change it.
    """

    def get_queryset(self) -> QuerySet[AllocationVersion]:
        return versions_visible_to(self.request.user)

    def get_serializer_class(self) -> type[AllocationSerializer]:
        return AllocationSerializer if self.action == "list" else AllocationDetailSerializer

    def _detail(self, version: AllocationVersion, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=version.pk)
        data = AllocationDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=code)

    @extend_schema(
        request=ProposeSerializer,
        responses={201: AllocationDetailSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        """Propose a new draft: a copy of the active version, or a split by population."""
        plan = active_plan_for(request.user)
        _require_coordinator(request.user)
        data = ProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            version = services.propose_allocation(
                plan, actor=request.user, reason=data.validated_data["reason"]
            )
        except services.AllocationError as exc:
            raise _refused(exc) from exc
        return self._detail(version, status.HTTP_201_CREATED)

    @extend_schema(request=SetQuotaSerializer, responses={200: AllocationLineSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="set-quota", url_name="set-quota")
    def set_quota(self, request: Request, pk: str | None = None) -> Response:
        """Set one district's (or, with ``org_unit`` null, the reserve's) quota in a draft."""
        version = self.get_object()
        _require_coordinator(request.user)
        data = SetQuotaSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        target = version.plan.targets.select_related("indicator").filter(pk=v["target"]).first()
        if target is None:
            message = f"本方案没有 id 为 {v['target']} 的目标"
            raise serializers.ValidationError({"target": [message]})
        quota: Decimal = v["quota"]
        try:
            line = services.set_quota(
                version, target, v["year"], quota, actor=request.user, org_unit=v["org_unit"]
            )
        except services.AllocationError as exc:
            raise _refused(exc) from exc
        return Response(AllocationLineSerializer(line).data)

    @extend_schema(request=None, responses={204: None, **ERRORS})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Discard a draft version (the version in force and superseded ones are kept)."""
        version = self.get_object()
        _require_coordinator(request.user)
        try:
            services.discard_allocation(version, actor=request.user)
        except services.AllocationError as exc:
            raise _refused(exc) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: AllocationDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        """Put a balanced draft into force; an unbalanced one is refused target by target."""
        version = self.get_object()
        _require_coordinator(request.user)
        try:
            services.activate_allocation(version, actor=request.user)
        except services.AllocationError as exc:
            raise _refused(exc) from exc
        return self._detail(version)
