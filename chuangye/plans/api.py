from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from chuangye.accounts.access import access_for
from chuangye.core.pagination import MAX_ID
from chuangye.plans import selectors, services
from chuangye.plans.choices import ResponsibilityRole
from chuangye.plans.contract import PlanContractError
from chuangye.plans.diff import diff_plans
from chuangye.plans.models import Measure, Plan, PlanDraft, Responsibility, Target
from chuangye.plans.review import KINDS, highlight, unknown_departments


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


# --- plan documents: upload → parsed draft → review/correct → import (coordinators) --------------


class DraftSerializer(serializers.ModelSerializer[PlanDraft]):
    title = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True, help_text="draft、imported 或 discarded")
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = PlanDraft
        fields = [
            "id",
            "title",
            "source_name",
            "status",
            "warnings",
            "created_at",
            "created_by",
            "updated_at",
            "plan",
        ]

    def get_title(self, obj: PlanDraft) -> str:
        return str(obj.data.get("title") or "")

    def get_created_by(self, obj: PlanDraft) -> str | None:
        return str(obj.created_by) if obj.created_by_id else None


class UnknownDepartmentSerializer(serializers.Serializer[Any]):
    measure = serializers.IntegerField(allow_null=True, help_text="措施序号")
    department = serializers.CharField(help_text="方案原文中的单位名称")


def _unknown(draft: PlanDraft) -> list[dict[str, Any]]:
    return [
        {"measure": number if isinstance(number, int) else None, "department": str(name)}
        for number, name in unknown_departments(draft.data)
    ]


class DraftDetailSerializer(DraftSerializer):
    plan_json = serializers.JSONField(
        source="data", read_only=True, help_text="方案 JSON（与 plan show --format json 同一格式）"
    )
    unknown_departments = serializers.SerializerMethodField(
        help_text="不在部门名录中的责任单位（导入后保留原文名称，需核对）"
    )

    class Meta(DraftSerializer.Meta):
        fields = [*DraftSerializer.Meta.fields, "plan_json", "unknown_departments"]

    @extend_schema_field(UnknownDepartmentSerializer(many=True))
    def get_unknown_departments(self, obj: PlanDraft) -> list[dict[str, Any]]:
        return _unknown(obj)


class SegmentSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(trim_whitespace=False, help_text="原文片段")
    start = serializers.IntegerField(help_text="片段在原文中的起始位置（字符）")
    end = serializers.IntegerField(help_text="片段在原文中的结束位置（不含）")
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=list(KINDS.items())),
        help_text="片段所属的识别结果（可有多项）；空表示普通文字",
    )
    anchor = serializers.CharField(
        allow_blank=True,
        help_text="从此处开始的条目：m{措施序号}、m{措施序号}t{序号}（措施的目标）、t{序号}（总体"
        "目标）；空表示无",
    )


class DraftSegmentsSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    source_name = serializers.CharField()
    length = serializers.IntegerField(help_text="原文字符数")
    segments = SegmentSerializer(many=True, help_text="依次连接即为原文全文")
    unknown_departments = UnknownDepartmentSerializer(many=True)


class DraftUploadSerializer(serializers.Serializer[Any]):
    document = serializers.FileField(help_text=".txt、.docx、有文字层的 .pdf 或方案 JSON")


class DraftEditSerializer(serializers.Serializer[Any]):
    plan_json = serializers.JSONField(help_text="核对修改后的方案 JSON")

    def validate_plan_json(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError("应为 JSON 对象")
        return value


class DraftImportSerializer(serializers.Serializer[Any]):
    supersedes = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="作为该方案的新版本导入；省略则作为新方案导入",
    )
    activate = serializers.BooleanField(default=True, help_text="导入后设为当前执行方案")


def _draft_error(exc: Exception) -> Response:
    return Response({"code": "invalid", "message": str(exc), "detail": {}}, status=400)


class PlanDraftViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[PlanDraft],
):
    """Parsed plan documents awaiting review: the plan coordinators' working material.

    ``POST`` uploads a document and returns the parsed draft (400 with the reason when the file
    is not a plan); ``PATCH`` replaces the draft JSON with corrections (validated against the
    contract); ``import`` makes it a new plan or a new version of an existing one.
    """

    def get_queryset(self) -> QuerySet[PlanDraft]:
        return selectors.drafts_visible_to(self.request.user).order_by("-created_at", "-id")

    def get_serializer_class(self) -> type[DraftSerializer]:
        return DraftSerializer if self.action == "list" else DraftDetailSerializer

    def _coordinator(self) -> None:
        if not access_for(self.request.user).is_coordinator:
            raise exceptions.NotFound("未找到。")

    @extend_schema(
        parameters=[
            OpenApiParameter("compare", int, description="与该方案比较（默认：文号相同的最新版本）")
        ],
        responses={200: DraftDetailSerializer},
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """The draft with its JSON and, against its likely predecessor, what would change."""
        draft = self.get_object()
        plans = selectors.plans_visible_to(request.user)
        raw = request.query_params.get("compare", "")
        if raw:
            if not (raw.isdigit() and int(raw) <= MAX_ID):
                return _draft_error(ValueError("compare 应为方案编号"))
            predecessor = plans.filter(pk=int(raw)).first()
            if predecessor is None:
                return _draft_error(ValueError("compare：未知的方案编号"))
        else:
            predecessor = selectors.likely_predecessor(draft, plans)
        body = dict(DraftDetailSerializer(draft).data)
        body["predecessor"] = predecessor.pk if predecessor else None
        body["diff"] = (
            diff_plans(selectors.plan_as_json(predecessor), draft.data).as_dict()
            if predecessor
            else None
        )
        return Response(body)

    @extend_schema(
        request={"multipart/form-data": DraftUploadSerializer},
        responses={201: DraftDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        from chuangye.plans.forms import UploadForm
        from chuangye.plans.parsing import PlanParseError

        self._coordinator()
        form = UploadForm(data={}, files=request.FILES)
        if not form.is_valid():
            message = "；".join(str(e) for errors in form.errors.values() for e in errors)
            return _draft_error(ValueError(message))
        try:
            draft = services.draft_from_upload(form.cleaned_data["document"], actor=request.user)
        except (PlanParseError, ValueError) as exc:
            return _draft_error(exc)
        return Response(DraftDetailSerializer(draft).data, status=201)

    @extend_schema(request=DraftEditSerializer, responses={200: DraftDetailSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        draft = self.get_object()
        form = DraftEditSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            services.update_draft(draft, form.validated_data["plan_json"], actor=request.user)
        except (ValueError, PlanContractError) as exc:
            return _draft_error(exc)
        return Response(DraftDetailSerializer(draft).data)

    @extend_schema(request=DraftImportSerializer, responses={201: PlanSerializer})
    @action(detail=True, methods=["post"], url_path="import", url_name="import")
    def import_(self, request: Request, pk: str | None = None) -> Response:
        """Import the reviewed draft as a new plan, or as a new version of ``supersedes``."""
        draft = self.get_object()
        form = DraftImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        supersedes = None
        if form.validated_data.get("supersedes"):
            supersedes = (
                selectors.plans_visible_to(request.user)
                .filter(pk=form.validated_data["supersedes"])
                .first()
            )
            if supersedes is None:
                return _draft_error(ValueError("supersedes：未知的方案编号"))
        try:
            plan = services.import_draft(
                draft,
                actor=request.user,
                supersedes=supersedes,
                activate=form.validated_data["activate"],
            )
        except (ValueError, PlanContractError) as exc:
            return _draft_error(exc)
        return Response(PlanSerializer(plan).data, status=201)

    @extend_schema(responses={200: DraftSegmentsSerializer})
    @action(detail=True, methods=["get"])
    def segments(self, request: Request, pk: str | None = None) -> Response:
        """The source text cut into segments marking each measure, bracket and target, as the
        review page shows it beside the recognised plan."""
        draft = self.get_object()
        body = {
            "id": draft.pk,
            "source_name": draft.source_name,
            "length": len(draft.source_text),
            "segments": [
                {
                    "text": s.text,
                    "start": s.start,
                    "end": s.end,
                    "kinds": s.classes.split(),
                    "anchor": s.anchor,
                }
                for s in highlight(draft.source_text, draft.data)
            ],
            "unknown_departments": _unknown(draft),
        }
        return Response(DraftSegmentsSerializer(body).data)

    @extend_schema(request=None, responses={200: DraftDetailSerializer})
    @action(detail=True, methods=["post"])
    def discard(self, request: Request, pk: str | None = None) -> Response:
        """Set the draft aside; it can no longer be edited or imported."""
        draft = self.get_object()
        try:
            services.discard_draft(draft, actor=request.user)
        except ValueError as exc:
            return _draft_error(exc)
        return Response(DraftDetailSerializer(draft).data)
