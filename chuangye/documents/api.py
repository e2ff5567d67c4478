"""通报, 督办单 and 考核 over ``/api/v1/``: the same selectors and services as the pages.

Reads are scoped like the pages: city-wide roles see every bulletin (drafts too) and every
notice; other plan members see issued bulletins of the city or their own district and the
notices their department leads or is copied on; anyone else sees nothing (404, empty lists).
Errors follow one rule: an object the caller cannot see is 404; one they see but may not change
is 403; a write the service refuses is 400 with code ``invalid`` and the service's message.
Generated files (Word, PDF, Excel, chart images) are returned as attachments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from chuangye.accounts.access import access_for
from chuangye.accounts.models import Department, OrgUnit
from chuangye.core.models import AuditEntry
from chuangye.core.pagination import MAX_ID
from chuangye.documents import assessment as scoring_data
from chuangye.documents import selectors, services
from chuangye.documents.bulletin import document_for
from chuangye.documents.choices import (
    OPEN_NOTICE_STATUSES,
    BulletinStatus,
    DocFormat,
    NoticeStatus,
    PointsMode,
)
from chuangye.documents.errors import DocumentError
from chuangye.documents.models import Bulletin, SupervisionNotice
from chuangye.documents.periods import parse_period
from chuangye.documents.render import CONTENT_TYPES, bulletin_filename, render_bulletin
from chuangye.plans import selectors as plan_selectors
from chuangye.plans.models import Plan
from chuangye.reporting.calendar import WorkCalendar

#: Working days a department gets to act on a notice when the caller gives no deadline.
NOTICE_WORKDAYS = 10
DEFAULT_ACTION = (
    "请主办单位会同配合单位分析滞后原因，制定针对性整改措施，明确责任人和完成时限，"
    "加快推进，并于办理时限前通过平台反馈办理情况。"
)
CHARTS = ["trend", "ranking"]
PNG = "image/png"

# --- errors -----------------------------------------------------------------------------------


class Refused(exceptions.APIException):
    """The service refused the write (HTTP 400); the message says why."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "操作未完成"


@contextmanager
def refusals() -> Iterator[None]:
    try:
        yield
    except DocumentError as exc:
        raise Refused(str(exc)) from exc


def _require_coordinator(user: Any, what: str) -> None:
    if not access_for(user).is_coordinator:
        raise exceptions.PermissionDenied(f"只有统筹协调员可以{what}")


def _active_plan(user: Any) -> Plan:
    """The plan the pages work on; 404 for anyone outside the plan."""
    if not access_for(user).plan_member:
        raise exceptions.NotFound()
    return plan_selectors.active_plan_for(user)


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


class FileRenderer(renderers.JSONRenderer):
    """Lets a download be asked for with any ``Accept`` (errors still come back as JSON)."""

    media_type = "*/*"
    format = "file"


FILE_RENDERERS = [renderers.JSONRenderer, FileRenderer]

ERRORS = {
    400: OpenApiResponse(description="输入有误或操作被拒绝（code、message、detail）"),
    404: OpenApiResponse(description="不存在或不在调用者的范围内"),
}
FORBIDDEN = {403: OpenApiResponse(description="可以查看但无权执行该操作")}
NOT_FOUND = {404: ERRORS[404]}


def _file(description: str) -> OpenApiResponse:
    return OpenApiResponse(OpenApiTypes.BINARY, description=description)


def _name(user: Any) -> str | None:
    return str(user) if user is not None else None


class HistorySerializer(serializers.ModelSerializer[AuditEntry]):
    class Meta:
        model = AuditEntry
        fields = ["at", "actor_name", "action", "before", "after"]


# --- bulletins --------------------------------------------------------------------------------


class BulletinSerializer(serializers.ModelSerializer[Bulletin]):
    org_unit: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    # Plain strings: several apps have a "status" and the schema names each choice set once.
    status = serializers.CharField(read_only=True, help_text="draft（草稿）或 issued（已印发）")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    created_by = serializers.SerializerMethodField()
    issued_by = serializers.SerializerMethodField()
    formats = serializers.SerializerMethodField()

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "plan",
            "period_kind",
            "period_code",
            "period_label",
            "org_unit",
            "org_unit_name",
            "title",
            "number",
            "dated",
            "summary",
            "status",
            "status_label",
            "created_at",
            "created_by",
            "updated_at",
            "issued_at",
            "issued_by",
            "formats",
        ]

    def get_created_by(self, obj: Bulletin) -> str | None:
        return _name(obj.created_by)

    def get_issued_by(self, obj: Bulletin) -> str | None:
        return _name(obj.issued_by)

    def get_formats(self, obj: Bulletin) -> list[str]:
        """Formats offered at ``download/{fmt}`` (an issued bulletin's stored files)."""
        return list(DocFormat.values)


class BulletinDetailSerializer(BulletinSerializer):
    snapshot = serializers.JSONField(
        read_only=True, help_text="起草（或印发）时的数据快照：各项目标的数值、完成率与状态"
    )

    class Meta(BulletinSerializer.Meta):
        fields = [*BulletinSerializer.Meta.fields, "snapshot"]


class BulletinCreateSerializer(serializers.Serializer[Any]):
    period = serializers.CharField(
        max_length=10, help_text="月度写作 2025-06，季度写作 2025-Q2，年度写作 2025"
    )
    org_unit = serializers.CharField(
        max_length=12, required=False, help_text="通报范围的区划代码；省略为全市"
    )
    number = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text="期号；省略则按本年已印发期数"
    )
    dated = serializers.DateField(required=False, help_text="成文日期；省略为今天")


EDITABLE = ("title", "number", "dated", "summary")


class BulletinUpdateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200, required=False)
    number = serializers.CharField(max_length=30, required=False)
    dated = serializers.DateField(required=False)
    summary = serializers.CharField(max_length=5000, required=False)


@extend_schema(responses={200: BulletinDetailSerializer, **ERRORS})
class BulletinViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Bulletin]
):
    """通报 in the caller's scope. The coordinator drafts one from the data (``POST``), edits
    its written parts (``PATCH``), refreshes its figures, issues it (which freezes it and stores
    its files) or discards a draft (``DELETE``)."""

    serializer_class = BulletinSerializer

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return BulletinSerializer if self.action == "list" else BulletinDetailSerializer

    def get_queryset(self) -> QuerySet[Bulletin]:
        user = self.request.user
        qs = selectors.bulletins_visible_to(user).filter(
            plan__in=plan_selectors.plans_visible_to(user)
        )
        if self.action == "list":
            params = self.request.query_params
            state = params.get("status")
            if state:
                if state not in BulletinStatus.values:
                    raise serializers.ValidationError(
                        {"status": ["应为 " + "、".join(BulletinStatus.values)]}
                    )
                qs = qs.filter(status=state)
            if params.get("org_unit"):
                qs = qs.filter(org_unit__code=params["org_unit"])
            if params.get("period"):
                qs = qs.filter(period_code=params["period"])
        return qs.order_by("-dated", "-created_at", "-id")

    def _fresh(self, row: Bulletin, code: int = status.HTTP_200_OK) -> Response:
        row = selectors.get_bulletin_for_user(self.request.user, row.pk)
        return Response(BulletinDetailSerializer(row).data, status=code)

    def _draft_for_coordinator(self, what: str) -> Bulletin:
        row = self.get_object()
        _require_coordinator(self.request.user, what)
        return row

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=BulletinStatus.values, description="状态"),
            OpenApiParameter("org_unit", str, description="通报范围的区划代码"),
            OpenApiParameter("period", str, description="期间，如 2025-06、2025-Q2、2025"),
        ],
        responses={200: BulletinSerializer(many=True), 400: ERRORS[400]},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=BulletinCreateSerializer,
        responses={201: BulletinDetailSerializer, **ERRORS, **FORBIDDEN},
    )
    def create(self, request: Request) -> Response:
        """Draft a bulletin: its figures and summary are composed from the data as they stand."""
        plan = _active_plan(request.user)
        _require_coordinator(request.user, "起草通报")
        data = BulletinCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            period = parse_period(
                v["period"], first_year=plan.period_start, last_year=plan.period_end
            )
        except DocumentError as exc:
            raise serializers.ValidationError({"period": [str(exc)]}) from None
        if v.get("org_unit"):
            unit = OrgUnit.objects.filter(code=v["org_unit"]).first()
            if unit is None:
                raise serializers.ValidationError(
                    {"org_unit": [f"没有代码为“{v['org_unit']}”的区划"]}
                )
        else:
            unit = OrgUnit.objects.filter(parent__isnull=True).first()
            if unit is None:
                raise Refused("尚未建立行政区划")
        with refusals():
            row = services.create_bulletin(
                plan,
                period=period,
                org_unit=unit,
                number=v.get("number", ""),
                dated=v.get("dated"),
                actor=request.user,
            )
        return self._fresh(row, status.HTTP_201_CREATED)

    @extend_schema(
        request=BulletinUpdateSerializer,
        responses={200: BulletinDetailSerializer, **ERRORS, **FORBIDDEN},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Edit a draft's title, number, date or summary (fields left out keep their value)."""
        row = self._draft_for_coordinator("修改通报")
        data = BulletinUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {k: data.validated_data.get(k, getattr(row, k)) for k in EDITABLE}
        with refusals():
            services.update_bulletin(row, actor=request.user, **fields)
        return self._fresh(row)

    @extend_schema(request=None, responses={204: None, **ERRORS, **FORBIDDEN})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Discard a draft (an issued bulletin is kept for good: 400)."""
        row = self._draft_for_coordinator("删除通报草稿")
        with refusals():
            services.discard_bulletin(row, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: BulletinDetailSerializer, **ERRORS, **FORBIDDEN})
    @action(detail=True, methods=["post"])
    def refresh(self, request: Request, pk: str | None = None) -> Response:
        """Recompose a draft's figures from the data now (an edited summary is kept)."""
        row = self._draft_for_coordinator("更新通报数据")
        with refusals():
            services.refresh_bulletin(row, actor=request.user)
        return self._fresh(row)

    @extend_schema(request=None, responses={200: BulletinDetailSerializer, **ERRORS, **FORBIDDEN})
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: str | None = None) -> Response:
        """Issue a draft: its content is frozen and its Word, PDF and Excel files stored."""
        row = self._draft_for_coordinator("印发通报")
        with refusals():
            services.issue_bulletin(row, actor=request.user)
        return self._fresh(row)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "fmt", str, OpenApiParameter.PATH, enum=DocFormat.values, description="文件格式"
            )
        ],
        responses={200: _file("通报文件（docx、pdf 或 xlsx）"), **NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"download/(?P<fmt>[^/.]+)",
        url_name="download",
        renderer_classes=FILE_RENDERERS,
    )
    def download(self, request: Request, pk: str | None = None, fmt: str = "") -> HttpResponse:
        """An issued bulletin's stored file; a draft's is made now and marked as a draft."""
        if fmt not in DocFormat.values:
            raise exceptions.NotFound("格式应为 docx、pdf 或 xlsx")
        row = self.get_object()
        doc = document_for(row)
        stored = getattr(row, f"{fmt}_file")
        if row.is_issued and stored:
            try:
                with stored.open("rb") as handle:
                    return _attachment(
                        handle.read(), CONTENT_TYPES[fmt], bulletin_filename(doc, fmt)
                    )
            except FileNotFoundError:
                pass  # rebuilt below from the frozen snapshot
        with refusals():
            content = render_bulletin(doc, fmt)
        return _attachment(content, CONTENT_TYPES[fmt], bulletin_filename(doc, fmt))

    @extend_schema(
        parameters=[
            OpenApiParameter("chart", str, OpenApiParameter.PATH, enum=CHARTS, description="图表")
        ],
        responses={200: _file("PNG 图片"), **NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"charts/(?P<chart>[^/.]+)",
        url_name="chart",
        renderer_classes=FILE_RENDERERS,
    )
    def chart(self, request: Request, pk: str | None = None, chart: str = "") -> HttpResponse:
        """A chart of the bulletin (trend or ranking), drawn from its snapshot."""
        from chuangye.documents.render import charts

        if chart not in CHARTS:
            raise exceptions.NotFound("图表应为 trend 或 ranking")
        row = self.get_object()
        try:
            image = charts.render(document_for(row), chart)
        except DocumentError:
            image = None
        if image is None:
            raise exceptions.NotFound("该通报没有可绘制的数据")
        response = HttpResponse(image.png, content_type=PNG)
        response["Cache-Control"] = "private, max-age=300"
        return response


# --- supervision notices ----------------------------------------------------------------------


class NoticeSerializer(serializers.ModelSerializer[SupervisionNotice]):
    status = serializers.CharField(
        read_only=True, help_text="open、replied、escalated 或 closed（见 status_label）"
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    lead_department: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lead_department_name = serializers.CharField(source="lead_department.name", read_only=True)
    cc_departments: Any = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    org_unit: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    target_subject = serializers.SerializerMethodField()
    measure_title = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    replied_by = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = SupervisionNotice
        fields = [
            "id",
            "plan",
            "number",
            "subject",
            "issue",
            "action",
            "deadline",
            "overdue",
            "status",
            "status_label",
            "lead_department",
            "lead_department_name",
            "cc_departments",
            "target",
            "target_subject",
            "org_unit",
            "measure",
            "measure_title",
            "created_at",
            "created_by",
            "reply",
            "replied_at",
            "replied_by",
            "resolution",
            "escalated_at",
            "closed_at",
        ]

    def get_target_subject(self, obj: SupervisionNotice) -> str | None:
        return obj.target.subject if obj.target else None

    def get_measure_title(self, obj: SupervisionNotice) -> str | None:
        return obj.measure.title if obj.measure else None

    def get_created_by(self, obj: SupervisionNotice) -> str | None:
        return _name(obj.created_by)

    def get_replied_by(self, obj: SupervisionNotice) -> str | None:
        return _name(obj.replied_by)

    def get_overdue(self, obj: SupervisionNotice) -> bool:
        return obj.is_open and obj.deadline < timezone.localdate()


class NoticeDetailSerializer(NoticeSerializer):
    history = serializers.SerializerMethodField()

    class Meta(NoticeSerializer.Meta):
        fields = [*NoticeSerializer.Meta.fields, "history"]

    @extend_schema_field(HistorySerializer(many=True))
    def get_history(self, obj: SupervisionNotice) -> list[dict[str, Any]]:
        return list(HistorySerializer(selectors.history_of(obj), many=True).data)


class NoticeCreateSerializer(serializers.Serializer[Any]):
    lead_department = serializers.CharField(max_length=40, help_text="主办单位的部门代码")
    cc_departments = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=list,
        max_length=50,
        help_text="抄送（配合）单位的部门代码",
    )
    subject = serializers.CharField(max_length=200)
    issue = serializers.CharField(max_length=5000, help_text="存在问题")
    action = serializers.CharField(
        max_length=5000, required=False, help_text="督办要求；省略为标准表述"
    )
    deadline = serializers.DateField(
        required=False, help_text=f"办理时限；省略为 {NOTICE_WORKDAYS} 个工作日后"
    )
    target = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="滞后目标编号"
    )
    org_unit = serializers.CharField(
        max_length=12, required=False, help_text="滞后目标所在区市的代码；省略为全市"
    )
    measure = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="滞后措施编号"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("target") is None and attrs.get("measure") is None:
            raise serializers.ValidationError(
                "督办单应针对一个滞后目标（target）或一项滞后措施（measure）"
            )
        return attrs


class ReplySerializer(serializers.Serializer[Any]):
    reply = serializers.CharField(max_length=5000, help_text="办理情况")


class CloseSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="办结意见"
    )


class EscalateSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000, help_text="升级督办意见")
    deadline = serializers.DateField(required=False, help_text="新的办理时限；省略则不变")


class CandidateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["target", "measure"])
    target = serializers.IntegerField(allow_null=True)
    org_unit = serializers.CharField(allow_null=True, help_text="区划代码（目标）")
    measure = serializers.IntegerField(allow_null=True)
    subject = serializers.CharField()
    detail = serializers.CharField(help_text="滞后情况")
    lead_department = serializers.CharField(allow_null=True, help_text="建议的主办单位代码")
    cc_departments = serializers.ListField(child=serializers.CharField())
    open_notice = serializers.CharField(allow_null=True, help_text="已交办且未办结的督办单编号")


def _department(code: str, field: str) -> Department:
    row = Department.objects.filter(code=code).first()
    if row is None:
        raise serializers.ValidationError({field: [f"没有代码为“{code}”的部门"]})
    return row


@extend_schema(responses={200: NoticeDetailSerializer, **ERRORS})
class NoticeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[SupervisionNotice]
):
    """督办单 in the caller's scope. The coordinator issues one (``POST``) for a red target or a
    lagging measure, closes or escalates it; the lead department's staff reply."""

    serializer_class = NoticeSerializer

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return NoticeSerializer if self.action == "list" else NoticeDetailSerializer

    def get_queryset(self) -> QuerySet[SupervisionNotice]:
        user = self.request.user
        qs = selectors.notices_visible_to(user).filter(
            plan__in=plan_selectors.plans_visible_to(user)
        )
        if self.action == "list":
            params = self.request.query_params
            state = params.get("status")
            if state == "pending":
                qs = qs.filter(status__in=OPEN_NOTICE_STATUSES)
            elif state:
                if state not in NoticeStatus.values:
                    raise serializers.ValidationError(
                        {"status": ["应为 pending、" + "、".join(NoticeStatus.values)]}
                    )
                qs = qs.filter(status=state)
            if params.get("lead_department"):
                qs = qs.filter(lead_department__code=params["lead_department"])
            if params.get("overdue") in ("1", "true"):
                qs = qs.filter(status__in=OPEN_NOTICE_STATUSES, deadline__lt=timezone.localdate())
        return qs.order_by("deadline", "pk")

    def _fresh(self, row: SupervisionNotice, code: int = status.HTTP_200_OK) -> Response:
        row = selectors.get_notice_for_user(self.request.user, row.pk)
        return Response(NoticeDetailSerializer(row).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=["pending", *NoticeStatus.values],
                description="状态；pending 为未办结",
            ),
            OpenApiParameter("lead_department", str, description="主办单位代码"),
            OpenApiParameter("overdue", bool, description="只看已逾期未办结的"),
        ],
        responses={200: NoticeSerializer(many=True), 400: ERRORS[400]},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=NoticeCreateSerializer,
        responses={201: NoticeDetailSerializer, **ERRORS, **FORBIDDEN},
    )
    def create(self, request: Request) -> Response:
        """Issue a notice; the lead and copied departments' staff are notified."""
        plan = _active_plan(request.user)
        _require_coordinator(request.user, "交办督办单")
        data = NoticeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        today = timezone.localdate()
        target = None
        if v.get("target") is not None:
            target = plan.targets.filter(pk=v["target"]).first()
            if target is None:
                raise serializers.ValidationError({"target": ["当前方案没有该目标"]})
        measure = None
        if v.get("measure") is not None:
            measure = plan_selectors.measures_of(plan).filter(pk=v["measure"]).first()
            if measure is None:
                raise serializers.ValidationError({"measure": ["当前方案没有该措施"]})
        unit = None
        if v.get("org_unit"):
            unit = OrgUnit.objects.filter(code=v["org_unit"]).first()
            if unit is None:
                raise serializers.ValidationError(
                    {"org_unit": [f"没有代码为“{v['org_unit']}”的区划"]}
                )
        deadline = v.get("deadline") or WorkCalendar().add_workdays(today, NOTICE_WORKDAYS)
        with refusals():
            notice = services.create_notice(
                plan,
                actor=request.user,
                lead_department=_department(v["lead_department"], "lead_department"),
                cc_departments=[_department(c, "cc_departments") for c in v["cc_departments"]],
                subject=v["subject"],
                issue=v["issue"],
                action=v.get("action") or DEFAULT_ACTION,
                deadline=deadline,
                target=target,
                org_unit=unit,
                measure=measure,
                today=today,
            )
        return self._fresh(notice, status.HTTP_201_CREATED)

    @extend_schema(
        request=ReplySerializer, responses={200: NoticeDetailSerializer, **ERRORS, **FORBIDDEN}
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        """Report what was done (staff of the lead department; again until it is closed)."""
        notice = self.get_object()
        if not selectors.can_reply(request.user, notice):
            raise exceptions.PermissionDenied(
                f"只有主办单位{notice.lead_department.name}的填报员或审核员可以反馈"
            )
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refusals():
            services.reply_notice(notice, actor=request.user, reply=data.validated_data["reply"])
        return self._fresh(notice)

    @extend_schema(
        request=CloseSerializer, responses={200: NoticeDetailSerializer, **ERRORS, **FORBIDDEN}
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        """Accept the result: the notice leaves boards and reminders (the coordinator)."""
        notice = self.get_object()
        _require_coordinator(request.user, "办结督办单")
        data = CloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refusals():
            services.close_notice(notice, actor=request.user, note=data.validated_data["note"])
        return self._fresh(notice)

    @extend_schema(
        request=EscalateSerializer, responses={200: NoticeDetailSerializer, **ERRORS, **FORBIDDEN}
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        """Raise the notice, maybe with a new deadline; the lead department must reply again."""
        notice = self.get_object()
        _require_coordinator(request.user, "升级督办")
        data = EscalateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refusals():
            services.escalate_notice(
                notice,
                actor=request.user,
                note=data.validated_data["note"],
                deadline=data.validated_data.get("deadline"),
            )
        return self._fresh(notice)

    @extend_schema(responses={200: _file("督办单 Word 文件"), **NOT_FOUND})
    @action(detail=True, methods=["get"], renderer_classes=FILE_RENDERERS)
    def docx(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The notice as a Word form."""
        from chuangye.documents.render.notice import notice_document, notice_filename
        from chuangye.documents.render.word import notice_docx as render_notice

        notice = self.get_object()
        return _attachment(
            render_notice(notice_document(notice)), CONTENT_TYPES["docx"], notice_filename(notice)
        )

    @extend_schema(
        responses={200: CandidateSerializer(many=True), **FORBIDDEN, **NOT_FOUND},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def candidates(self, request: Request) -> Response:
        """Red targets (city and districts) and lagging measures that may call for a notice,
        each with the suggested addressees and any open notice already issued for it."""
        plan = _active_plan(request.user)
        _require_coordinator(request.user, "交办督办单")
        return Response(
            CandidateSerializer(_candidates(plan, timezone.localdate()), many=True).data
        )


def _candidates(plan: Plan, today: dt.date) -> list[dict[str, Any]]:
    found = selectors.notice_candidates(plan, today)
    out: list[dict[str, Any]] = []
    for r, number in found.targets:
        to = selectors.addressees_for_target(plan, r.target, r.org_unit)
        scope = "全市" if r.org_unit.parent_id is None else r.org_unit.name
        out.append(
            {
                "kind": "target",
                "target": r.target.pk,
                "org_unit": r.org_unit.code,
                "measure": None,
                "subject": f"{scope}{r.target.subject}滞后于序时进度",
                "detail": r.status_label,
                "lead_department": to.lead.code if to.lead else None,
                "cc_departments": [d.code for d in to.cc],
                "open_notice": number,
            }
        )
    for u, number in found.measures:
        to = selectors.addressees_for_measure(u.measure)
        out.append(
            {
                "kind": "measure",
                "target": None,
                "org_unit": None,
                "measure": u.measure_id,
                "subject": f"措施“{u.measure.printed}{u.measure.title}”推进滞后",
                "detail": f"{u.department.name} {u.year}年第{u.quarter}季度：{u.cause or ''}",
                "lead_department": to.lead.code if to.lead else None,
                "cc_departments": [d.code for d in to.cc],
                "open_notice": number,
            }
        )
    return out


# --- assessment -------------------------------------------------------------------------------


class ScoreLineSerializer(serializers.Serializer[Any]):
    label = serializers.CharField(help_text="计分项（目标或报送及时性）")  # type: ignore[assignment]
    role = serializers.CharField(help_text="lead（牵头）、cooperating（配合）或空")
    basis = serializers.CharField(help_text="依据")
    weight = serializers.DecimalField(max_digits=12, decimal_places=4, help_text="分值")
    share = serializers.DecimalField(max_digits=12, decimal_places=4, help_text="得分比例")
    points = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="得分")


class ScoreSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="district:区划代码 或 department:部门代码")
    name = serializers.CharField()
    kind = serializers.CharField(help_text="district 或 department")
    rank = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="百分制得分")
    points = serializers.DecimalField(max_digits=12, decimal_places=2)
    max_points = serializers.DecimalField(max_digits=12, decimal_places=2)
    self_score = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    self_note = serializers.CharField()
    gap = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    flagged = serializers.BooleanField(help_text="自评与考核得分相差达到提示线")
    lines = ScoreLineSerializer(many=True)


class SubjectSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


class AssessmentYearSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    day = serializers.DateField(help_text="数据截止日（年度未结束时为今天）")
    final = serializers.BooleanField(help_text="年度已结束（否则为预评估）")
    scheme_saved = serializers.BooleanField(help_text="已保存当年考核方案（否则按默认方案）")


class AssessmentSerializer(AssessmentYearSerializer):
    mode = serializers.CharField()
    mode_label = serializers.CharField()
    districts = ScoreSerializer(many=True)
    departments = ScoreSerializer(many=True)
    self_subjects = SubjectSerializer(
        many=True, help_text="调用者可以填写自评的单位（key 用于 self 接口）"
    )


class SchemeSerializer(serializers.Serializer[Any]):
    """A year's scheme; in a ``PUT`` every field may be left out to keep its current value."""

    year = serializers.IntegerField(read_only=True)
    saved = serializers.BooleanField(
        read_only=True, help_text="false 表示尚未保存，显示的是默认方案"
    )
    weights = serializers.DictField(
        child=serializers.DecimalField(
            max_digits=8, decimal_places=2, min_value=Decimal(0), max_value=Decimal(1000)
        ),
        required=False,
        help_text="目标编号 → 分值（0 表示不考核）；未列出的目标保持原分值",
    )
    mode = serializers.ChoiceField(choices=PointsMode.choices, required=False)
    cap = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.1"),
        max_value=Decimal(5),
        required=False,
        help_text="完成率封顶（倍）",
    )
    bands = serializers.ListField(
        child=serializers.ListField(
            child=serializers.DecimalField(
                max_digits=8, decimal_places=2, min_value=Decimal(0), max_value=Decimal(1000)
            ),
            min_length=2,
            max_length=2,
        ),
        required=False,
        max_length=50,
        help_text="分档：[完成率下限%, 得分比例%] 列表",
    )
    lead_share = serializers.DecimalField(
        max_digits=4, decimal_places=2, min_value=Decimal(0), max_value=Decimal(1), required=False
    )
    timeliness_weight = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(1000),
        required=False,
    )
    flag_gap = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100), required=False
    )


class SelfAssessmentSerializer(serializers.Serializer[Any]):
    subject = serializers.CharField(max_length=60, help_text="自评单位的 key（见 self_subjects）")
    score = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100)
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class SelfAssessmentResultSerializer(serializers.Serializer[Any]):
    subject = serializers.CharField()
    year = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2)
    note = serializers.CharField()


YEAR = OpenApiParameter("year", int, OpenApiParameter.PATH, description="考核年度")


def _year_row(plan: Plan, year: int) -> dict[str, Any]:
    day = scoring_data.assessment_date(year)
    return {
        "year": year,
        "day": day,
        "final": day == dt.date(year + 1, 1, 1),
        "scheme_saved": plan.assessment_schemes.filter(year=year).exists(),
    }


def _scheme_data(scheme: Any, plan: Plan) -> dict[str, Any]:
    return {
        "year": scheme.year,
        "saved": scheme.pk is not None,
        "weights": {
            str(t.pk): scoring_data.weight_of(scheme, t) for t in plan.targets.order_by("order")
        },
        "mode": scheme.mode,
        "cap": scheme.cap,
        "bands": [[Decimal(str(a)), Decimal(str(b))] for a, b in scheme.bands or []],
        "lead_share": scheme.lead_share,
        "timeliness_weight": scheme.timeliness_weight,
        "flag_gap": scheme.flag_gap,
    }


@extend_schema(parameters=[YEAR], responses={200: AssessmentSerializer, **NOT_FOUND})
class AssessmentViewSet(viewsets.GenericViewSet[Any]):
    """考核 of the active plan by year: scores with their working (each unit sees its own,
    city-wide roles all), the Excel export, the scheme (the coordinator's) and self-assessment."""

    lookup_field = "year"
    serializer_class = AssessmentSerializer

    def _plan_year(self, raw: str | None) -> tuple[Plan, int]:
        plan = _active_plan(self.request.user)
        if not raw or not raw.isdigit() or not plan.period_start <= int(raw) <= plan.period_end:
            raise exceptions.NotFound(f"考核年度应在 {plan.period_start}—{plan.period_end} 年之间")
        return plan, int(raw)

    @extend_schema(parameters=[], responses={200: AssessmentYearSerializer(many=True), **NOT_FOUND})
    def list(self, request: Request) -> Response:
        """The plan's years, and whether each is final and has a saved scheme."""
        plan = _active_plan(request.user)
        rows = [_year_row(plan, y) for y in range(plan.period_start, plan.period_end + 1)]
        page = self.paginate_queryset(rows)  # type: ignore[arg-type]
        data = AssessmentYearSerializer(page if page is not None else rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, year: str | None = None) -> Response:
        plan, number = self._plan_year(year)
        access = access_for(request.user)
        result = scoring_data.compute(plan, number)
        subjects = selectors.self_assessment_subjects(request.user)
        if access.city_wide:
            districts, departments = result.districts, result.departments
        else:
            own = {s.key for s in subjects}
            districts = [s for s in result.districts if s.key in own]
            departments = [s for s in result.departments if s.key in own]
        body = {
            **_year_row(plan, number),
            "day": result.day,
            "final": result.final,
            "mode": result.scheme.mode,
            "mode_label": PointsMode(result.scheme.mode).label,
            "districts": districts,
            "departments": departments,
            "self_subjects": subjects,
        }
        return Response(AssessmentSerializer(body).data)

    @extend_schema(
        parameters=[YEAR], responses={200: _file("考核得分 Excel"), **FORBIDDEN, **NOT_FOUND}
    )
    @action(detail=True, methods=["get"], renderer_classes=FILE_RENDERERS)
    def xlsx(self, request: Request, year: str | None = None) -> HttpResponse:
        """The year's scores and their working as a workbook (city-wide roles)."""
        plan, number = self._plan_year(year)
        if not access_for(request.user).city_wide:
            raise exceptions.PermissionDenied("只有市级统筹、领导可以导出全部考核得分")
        return _attachment(
            scoring_data.export(scoring_data.compute(plan, number)),
            CONTENT_TYPES["xlsx"],
            f"{number}年度考核得分.xlsx",
        )

    @extend_schema(
        methods=["GET"],
        parameters=[YEAR],
        responses={200: SchemeSerializer, **FORBIDDEN, **NOT_FOUND},
    )
    @extend_schema(
        methods=["PUT"],
        parameters=[YEAR],
        request=SchemeSerializer,
        responses={200: SchemeSerializer, **ERRORS, **FORBIDDEN},
    )
    @action(detail=True, methods=["get", "put"])
    def scheme(self, request: Request, year: str | None = None) -> Response:
        """The year's scoring scheme (the coordinator's); ``PUT`` changes the fields given."""
        plan, number = self._plan_year(year)
        _require_coordinator(request.user, "设置考核方案")
        current = scoring_data.scheme_for(plan, number)
        if request.method == "PUT":
            data = SchemeSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            known = {str(t.pk): t.pk for t in plan.targets.all()}
            unknown = sorted(set(v.get("weights", {})) - set(known))
            if unknown:
                raise serializers.ValidationError(
                    {"weights": [f"目标 {', '.join(unknown)} 不属于当前方案"]}
                )
            was = _scheme_data(current, plan)
            weights = {known[k]: w for k, w in {**was["weights"], **v.get("weights", {})}.items()}
            with refusals():
                current = services.save_scheme(
                    plan,
                    number,
                    actor=request.user,
                    weights=weights,
                    mode=v.get("mode", was["mode"]),
                    cap=v.get("cap", was["cap"]),
                    bands=[tuple(b) for b in v.get("bands", was["bands"])],
                    lead_share=v.get("lead_share", was["lead_share"]),
                    timeliness_weight=v.get("timeliness_weight", was["timeliness_weight"]),
                    flag_gap=v.get("flag_gap", was["flag_gap"]),
                )
        return Response(SchemeSerializer(_scheme_data(current, plan)).data)

    @extend_schema(
        parameters=[YEAR],
        request=SelfAssessmentSerializer,
        responses={200: SelfAssessmentResultSerializer, **ERRORS, **FORBIDDEN},
    )
    @action(detail=True, methods=["post"], url_path="self", url_name="self")
    def self_assessment(self, request: Request, year: str | None = None) -> Response:
        """Record the own score of a unit the caller reports or approves for."""
        plan, number = self._plan_year(year)
        if not selectors.self_assessment_subjects(request.user):
            raise exceptions.PermissionDenied("只有区市或部门的填报员、审核员可以填写自评")
        data = SelfAssessmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        with refusals():
            row = services.save_self_assessment(
                plan,
                number,
                actor=request.user,
                subject_key=v["subject"],
                score=v["score"],
                note=v["note"],
            )
        return Response(
            SelfAssessmentResultSerializer(
                {"subject": v["subject"], "year": row.year, "score": row.score, "note": row.note}
            ).data
        )
