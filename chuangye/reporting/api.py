"""The supervision workflow over ``/api/v1/``: figures, rounds, measure progress, notifications.

Reads go through the scoped selectors, writes through ``reporting.services``; a row outside the
caller's scope is 404. A write the workflow refuses is HTTP 400 with code ``invalid`` and the
service's message; an edit made against an outdated ``version`` is HTTP 409 with code ``stale``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import Role
from chuangye.accounts.models import OrgUnit
from chuangye.accounts.selectors import departments_visible_to
from chuangye.core.models import AuditEntry
from chuangye.core.pagination import MAX_ID, Pagination
from chuangye.plans.models import Indicator, Measure
from chuangye.plans.selectors import measures_of_plans, plans_visible_to
from chuangye.reporting import selectors, services
from chuangye.reporting.choices import MeasureStatus, ValueStatus
from chuangye.reporting.duties import duties
from chuangye.reporting.models import (
    Attachment,
    DataValue,
    Notification,
    ProgressUpdate,
    ReportingRound,
)

# --- errors -----------------------------------------------------------------------------------


class Refused(exceptions.APIException):
    """The workflow refused the write (HTTP 400); the message says why."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "操作未完成"


class Stale(exceptions.APIException):
    """The row changed since the caller read it (HTTP 409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "stale"
    default_detail = "该数据已被其他用户修改，请刷新后再编辑"


@contextmanager
def refusals() -> Iterator[None]:
    """Turn the services' refusals into API errors carrying their Chinese message."""
    try:
        yield
    except services.StaleWrite as exc:
        raise Stale(str(exc)) from exc
    except services.ReportingError as exc:
        raise Refused(str(exc)) from exc


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    if not raw.isdigit():
        raise serializers.ValidationError({name: ["应为整数"]})
    return int(raw)


def _display_name(user: Any) -> str | None:
    return str(user) if user is not None else None


ERRORS = {
    400: OpenApiResponse(description="输入有误或操作被拒绝（code、message、detail）"),
    404: OpenApiResponse(description="不存在或不在调用者的范围内"),
}
STALE = {409: OpenApiResponse(description="版本已过期（code 为 stale），请重新读取后再编辑")}


# --- shared input -----------------------------------------------------------------------------


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "number"}]})
class FigureField(serializers.CharField):
    """A figure as the user typed it, a string such as "1,200" or a JSON number."""


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True, help_text="退回或重新开放的原因")


class AuditTrailSerializer(serializers.ModelSerializer[AuditEntry]):
    class Meta:
        model = AuditEntry
        fields = ["at", "actor_name", "action", "before", "after"]


class FieldsOnce:
    # Introspect a model serializer's fields once per class; each instance gets a fresh copy.
    # DRF rebuilds them from the model on every instance (every response), which on the busiest
    # routes costs more than the query behind them; the copy is what DRF itself does with
    # declared fields. (A comment, not a docstring: the API schema would show a docstring as
    # the description of every serializer using this.)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        cls = type(self)
        built = cls.__dict__.get("_fields_once")
        if built is None:
            built = super().get_fields()  # type: ignore[misc]
            cls._fields_once = built  # type: ignore[attr-defined]
        return copy.deepcopy(built)


class ShortPagePagination(Pagination):
    """The API's paging, without the COUNT query when the page itself shows the total.

    A page that holds some rows but fewer than the limit is the last one, so the total is the
    offset plus its length (a bureau's figures for a month always fit in one page). Anything
    else is counted as before; the response is the same either way.
    """

    def paginate_queryset(
        self, queryset: Any, request: Request, view: Any = None
    ) -> list[Any] | None:
        self.request = request
        limit = self.get_limit(request)
        if limit is None:
            return None
        self.limit = limit
        self.offset = self.get_offset(request)
        page = list(queryset[self.offset : self.offset + limit])
        if 0 < len(page) < limit or (self.offset == 0 and not page):
            self.count = self.offset + len(page)
        else:
            self.count = self.get_count(queryset)
            if self.offset > self.count:
                page = []
        if self.count > limit and self.template is not None:
            self.display_page_controls = True
        return page


# --- figures ----------------------------------------------------------------------------------


class DataValueSerializer(FieldsOnce, serializers.ModelSerializer[DataValue]):
    indicator: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)
    unit = serializers.CharField(source="indicator.unit", read_only=True)
    org_unit: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    updated_by = serializers.SerializerMethodField()

    class Meta:
        model = DataValue
        fields = [
            "id",
            "indicator",
            "indicator_name",
            "unit",
            "org_unit",
            "department",
            "year",
            "month",
            "value",
            "note",
            "status",
            "version",
            "return_reason",
            "reopened",
            "updated_at",
            "updated_by",
        ]

    def get_updated_by(self, obj: DataValue) -> str | None:
        return _display_name(obj.updated_by)


class DataValueCreateSerializer(serializers.Serializer[Any]):
    indicator = serializers.CharField(max_length=40, help_text="指标代码（当前方案）")
    org_unit = serializers.CharField(max_length=12, help_text="区划代码")
    year = serializers.IntegerField(min_value=1, max_value=9999)
    month = serializers.IntegerField(min_value=1, max_value=12)
    value = FigureField(allow_null=True, allow_blank=True, help_text="数值，可为字符串或数字")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        required=False, min_value=0, help_text="已有数据的版本号；新建时省略"
    )

    def validate_indicator(self, code: str) -> Indicator:
        user = self.context["request"].user
        active = plans_visible_to(user).filter(is_active=True)
        indicator = (
            Indicator.objects.filter(plan__in=active, code=code).select_related("plan").first()
        )
        if indicator is None:
            raise serializers.ValidationError(f"当前方案没有代码为“{code}”的指标")
        return indicator

    def validate_org_unit(self, code: str) -> OrgUnit:
        # Units are reference data; whether the caller reports for one is the service's call.
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is None:
            raise serializers.ValidationError(f"没有代码为“{code}”的区划")
        return unit


class DataValueUpdateSerializer(serializers.Serializer[Any]):
    value = FigureField(
        required=False, allow_null=True, allow_blank=True, help_text="数值，可为字符串或数字"
    )
    note = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(min_value=0, help_text="读取时的版本号")


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "uploaded_at"]


class AttachmentUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="附件（类型与大小受限）")


@extend_schema(responses={200: DataValueSerializer, **ERRORS})
class DataValueViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[DataValue]
):
    """Monthly figures in the caller's scope, and their way through review.

    ``POST`` saves a draft for a cell the caller's unit reports (201 when new, 200 when it
    updated the cell at the given ``version``); ``PATCH`` edits value or note at ``version``.
    """

    serializer_class = DataValueSerializer
    pagination_class = ShortPagePagination

    def get_queryset(self) -> QuerySet[DataValue]:
        qs = selectors.values_visible_to(self.request.user)
        if self.action != "list":
            # A save needs the indicator's plan (its duties and round): read it with the row.
            return qs.select_related("indicator__plan")
        params = self.request.query_params
        for name in ("year", "month"):
            number = _int_param(self.request, name)
            if number is not None:
                qs = qs.filter(**{name: number})
        for name in ("indicator", "org_unit", "department"):
            if params.get(name):
                qs = qs.filter(**{f"{name}__code": params[name]})
        state = params.get("status")
        if state:
            if state not in ValueStatus.values:
                raise serializers.ValidationError({"status": ["应为 " + "、".join(ValueStatus)]})
            qs = qs.filter(status=state)
        return qs.order_by("-year", "-month", "indicator__code", "org_unit__order", "id")

    def _fresh(self, row: DataValue, code: int = status.HTTP_200_OK) -> Response:
        row = selectors.get_value_for_user(self.request.user, row.pk)
        return Response(DataValueSerializer(row).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description="年度"),
            OpenApiParameter("month", int, description="月份"),
            OpenApiParameter("indicator", str, description="指标代码"),
            OpenApiParameter("org_unit", str, description="区划代码"),
            OpenApiParameter("department", str, description="填报单位代码"),
            OpenApiParameter("status", str, enum=ValueStatus.values, description="状态"),
        ],
        responses={200: DataValueSerializer(many=True), 400: ERRORS[400]},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=DataValueCreateSerializer,
        responses={201: DataValueSerializer, 200: DataValueSerializer, **ERRORS, **STALE},
    )
    def create(self, request: Request) -> Response:
        data = DataValueCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        with refusals():
            row = services.save_value(
                indicator=v["indicator"],
                org_unit=v["org_unit"],
                year=v["year"],
                month=v["month"],
                value=v["value"],
                note=v["note"],
                actor=request.user,
                # Without a version the caller believes the cell is new; if it is not, 409.
                expected_version=v.get("version", 0),
            )
        # A new row starts at version 1; every later save raises it. The saved row has its
        # indicator, unit, department and author loaded: answered without reading it again.
        code = status.HTTP_201_CREATED if row.version == 1 else status.HTTP_200_OK
        return Response(DataValueSerializer(row).data, status=code)

    @extend_schema(
        request=DataValueUpdateSerializer,
        responses={200: DataValueSerializer, **ERRORS, **STALE},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = self.get_object()
        data = DataValueUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        with refusals():
            row = services.save_value(
                indicator=row.indicator,
                org_unit=row.org_unit,
                year=row.year,
                month=row.month,
                value=v.get("value", row.value),
                note=v.get("note", row.note),
                actor=request.user,
                expected_version=v["version"],
                seen=row,
            )
        return Response(DataValueSerializer(row).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Submit the figure for approval (the unit's reporter)."""
        row = self.get_object()
        with refusals():
            services.submit_values([row], actor=request.user)
        return self._fresh(row)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve a submitted figure (the unit's approver)."""
        row = self.get_object()
        with refusals():
            services.approve_value(row, actor=request.user)
        return self._fresh(row)

    @extend_schema(request=ReasonSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        """Send a submitted figure back to the reporter with a reason (the unit's approver)."""
        row = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refusals():
            services.return_value(row, data.validated_data["reason"], actor=request.user)
        return self._fresh(row)

    @extend_schema(request=ReasonSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        """Reopen an approved or locked figure for correction (the coordinator)."""
        row = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refusals():
            services.reopen_value(row, data.validated_data["reason"], actor=request.user)
        return self._fresh(row)

    @extend_schema(responses={200: AuditTrailSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request: Request, pk: str | None = None) -> Response:
        """Who did what to the figure, oldest first."""
        row = self.get_object()
        return Response(AuditTrailSerializer(selectors.history_of(row), many=True).data)

    @extend_schema(
        methods=["GET"],
        responses={200: AttachmentSerializer(many=True), 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **ERRORS},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=None,
        parser_classes=[MultiPartParser, FormParser],
    )
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        """The figure's supporting files; ``POST`` adds one (reporters, while editable)."""
        row = self.get_object()
        if request.method == "POST":
            form = AttachmentUploadSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            with refusals():
                made = services.add_attachment(row, form.validated_data["file"], actor=request.user)
            return Response(AttachmentSerializer(made).data, status=status.HTTP_201_CREATED)
        return Response(AttachmentSerializer(row.attachments.order_by("id"), many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("attachment", int, OpenApiParameter.PATH, description="附件编号")
        ],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment>[^/.]+)",
        url_name="attachment-download",
        pagination_class=None,
    )
    def attachment_download(
        self, request: Request, pk: str | None = None, attachment: str = ""
    ) -> FileResponse:
        """Download one of the figure's files."""
        row = self.get_object()
        ok = attachment.isdigit() and int(attachment) <= MAX_ID
        found = row.attachments.filter(pk=int(attachment)).first() if ok else None
        if found is None:
            raise exceptions.NotFound("未找到。")
        return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)


# --- rounds -----------------------------------------------------------------------------------


class DutySummarySerializer(serializers.Serializer[Any]):
    departments = serializers.ListField(child=serializers.CharField(), help_text="部门代码")
    to_report = serializers.IntegerField(help_text="本轮须填报的数据项")
    filled = serializers.IntegerField(help_text="已填写数值")
    submitted = serializers.IntegerField(help_text="待审核")
    approved = serializers.IntegerField(help_text="已审核（含已锁定）")
    returned = serializers.IntegerField(help_text="已退回，待修改")


def duty_summary(rnd: ReportingRound, user: Any) -> dict[str, Any] | None:
    """How far the caller's departments are with the round; None outside any department."""
    departments = list(selectors.departments_with_role(user, *Role.values).order_by("code"))
    if not departments:
        return None
    ids = {d.pk for d in departments}
    cells = {
        (d.indicator.pk, d.org_unit.pk)
        for d in duties(rnd.plan, rnd.month, departments=ids, include_prefilled=False)
    }
    rows = (
        selectors.values_visible_to(user)
        .filter(indicator__plan=rnd.plan, year=rnd.year, month=rnd.month, department_id__in=ids)
        .values_list("indicator_id", "org_unit_id", "value", "status")
    )
    summary = {"to_report": len(cells), "filled": 0, "submitted": 0, "approved": 0, "returned": 0}
    for indicator_id, org_unit_id, value, state in rows:
        # Counted as on the rounds page: only cells that hold a figure, by their state.
        if (indicator_id, org_unit_id) not in cells or value is None:
            continue
        summary["filled"] += 1
        if state == ValueStatus.SUBMITTED:
            summary["submitted"] += 1
        elif state in (ValueStatus.APPROVED, ValueStatus.LOCKED):
            summary["approved"] += 1
        elif state == ValueStatus.RETURNED:
            summary["returned"] += 1
    return {"departments": [d.code for d in departments], **summary}


class RoundSerializer(serializers.ModelSerializer[ReportingRound]):
    is_open = serializers.SerializerMethodField()

    class Meta:
        model = ReportingRound
        fields = [
            "id",
            "year",
            "month",
            "label",
            "opens_on",
            "deadline",
            "locks_on",
            "locked_at",
            "is_open",
        ]

    def get_is_open(self, obj: ReportingRound) -> bool:
        return obj.is_open(timezone.localdate())


class RoundDetailSerializer(RoundSerializer):
    my_duties = serializers.SerializerMethodField()

    class Meta(RoundSerializer.Meta):
        fields = [*RoundSerializer.Meta.fields, "my_duties"]

    @extend_schema_field(DutySummarySerializer(allow_null=True))
    def get_my_duties(self, obj: ReportingRound) -> dict[str, Any] | None:
        return duty_summary(obj, self.context["request"].user)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response


class RoundDatesSerializer(serializers.Serializer[Any]):
    opens_on = serializers.DateField(help_text="开始填报")
    deadline = serializers.DateField(help_text="截止日期")
    locks_on = serializers.DateField(help_text="锁定日期")


class ExcelUploadSerializer(serializers.Serializer[Any]):
    department = serializers.CharField(help_text="填报单位代码")
    file = serializers.FileField(help_text="填好的填报模板（.xlsx）")


class ExcelImportSerializer(serializers.Serializer[Any]):
    saved = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    skipped = serializers.IntegerField()


class RoundViewSet(viewsets.ReadOnlyModelViewSet[ReportingRound]):
    """Reporting rounds of the active plan; an item adds the caller's ``my_duties``."""

    def get_queryset(self) -> QuerySet[ReportingRound]:
        return selectors.rounds_visible_to(self.request.user)

    def get_serializer_class(self) -> type[RoundSerializer]:
        return RoundDetailSerializer if self.action == "retrieve" else RoundSerializer

    def _department(self, code: str) -> Any:
        dept = selectors.reporting_department(self.request.user, code)
        if dept is None:
            raise exceptions.NotFound("您不是该单位的填报员。")
        return dept

    @extend_schema(
        parameters=[OpenApiParameter("department", str, required=True, description="填报单位代码")],
        responses={(200, XLSX): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path="excel-template", pagination_class=None)
    def excel_template(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The round's Excel template for one department the caller reports for."""
        from chuangye.reporting.excel import build_template

        rnd = self.get_object()
        dept = self._department(request.query_params.get("department", ""))
        content = build_template(rnd.plan, rnd.year, rnd.month, dept)
        return _xlsx(content, f"{dept.name}-{rnd.year}年{rnd.month}月-填报模板.xlsx")

    @extend_schema(
        request={"multipart/form-data": ExcelUploadSerializer},
        responses={200: ExcelImportSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="excel-upload",
        parser_classes=[MultiPartParser, FormParser],
    )
    def excel_upload(self, request: Request, pk: str | None = None) -> Response:
        """Save a filled template as draft figures: every row, or nothing (400 lists why)."""
        from chuangye.reporting.excel import ExcelImportError, import_workbook

        rnd = self.get_object()
        data: Any = request.data
        dept = self._department(str(data.get("department", "")))
        form = ExcelUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            result = import_workbook(
                form.validated_data["file"], rnd.plan, rnd.year, rnd.month, dept, actor=request.user
            )
        except ExcelImportError as exc:
            return Response(
                {"code": "invalid", "message": str(exc), "detail": {"errors": exc.errors}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            {"saved": result.saved, "unchanged": result.unchanged, "skipped": result.skipped}
        )

    @extend_schema(request=RoundDatesSerializer, responses={200: RoundSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def dates(self, request: Request, pk: str | None = None) -> Response:
        """Move the round's opening, deadline and lock dates (plan coordinators)."""
        rnd = self.get_object()
        if not access_for(request.user).is_coordinator:
            raise exceptions.PermissionDenied("只有统筹协调员可以调整报送时间")
        form = RoundDatesSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with refusals():
            services.set_round_dates(rnd, actor=request.user, **form.validated_data)
        return Response(RoundSerializer(rnd, context={"request": request}).data)

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], pagination_class=None)
    def export(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The round's figures the caller may see, as Excel."""
        from chuangye.reporting.excel import export_round

        rnd = self.get_object()
        values = selectors.round_values(request.user, rnd)
        return _xlsx(export_round(values.iterator(), rnd.label), f"{rnd.label}填报数据.xlsx")


# --- measure progress -------------------------------------------------------------------------


class ProgressSerializer(serializers.ModelSerializer[ProgressUpdate]):
    measure = serializers.IntegerField(source="measure.number", read_only=True)
    measure_title = serializers.CharField(source="measure.title", read_only=True)
    department: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    updated_by = serializers.SerializerMethodField()

    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "measure",
            "measure_title",
            "department",
            "department_name",
            "year",
            "quarter",
            "narrative",
            "measure_status",
            "cause",
            "remedy",
            "remedy_due",
            "status",
            "version",
            "return_reason",
            "updated_at",
            "updated_by",
        ]

    def get_updated_by(self, obj: ProgressUpdate) -> str | None:
        return _display_name(obj.updated_by)


class ProgressCreateSerializer(serializers.Serializer[Any]):
    measure = serializers.IntegerField(min_value=1, help_text="措施序号（当前方案）")
    department = serializers.CharField(max_length=40, help_text="部门代码")
    year = serializers.IntegerField(min_value=1, max_value=9999)
    quarter = serializers.IntegerField(min_value=1, max_value=4)
    narrative = serializers.CharField(allow_blank=True)
    measure_status = serializers.ChoiceField(choices=MeasureStatus.choices)
    cause = serializers.CharField(required=False, allow_blank=True, default="")
    remedy = serializers.CharField(required=False, allow_blank=True, default="")
    remedy_due = serializers.DateField(required=False, allow_null=True, default=None)
    version = serializers.IntegerField(
        required=False, min_value=0, help_text="已有进展的版本号；新建时省略"
    )

    def validate_measure(self, number: int) -> Measure:
        plans = plans_visible_to(self.context["request"].user).filter(is_active=True)
        measure = measures_of_plans(plans).filter(number=number).first()
        if measure is None:
            raise serializers.ValidationError(f"当前方案没有第 {number} 项措施")
        return measure

    def validate_department(self, code: str) -> Any:
        department = departments_visible_to(self.context["request"].user).filter(code=code).first()
        if department is None:
            raise serializers.ValidationError(f"没有代码为“{code}”的部门")
        return department


class ProgressUpdateSerializer(serializers.Serializer[Any]):
    narrative = serializers.CharField(required=False, allow_blank=True)
    measure_status = serializers.ChoiceField(choices=MeasureStatus.choices, required=False)
    cause = serializers.CharField(required=False, allow_blank=True)
    remedy = serializers.CharField(required=False, allow_blank=True)
    remedy_due = serializers.DateField(required=False, allow_null=True)
    version = serializers.IntegerField(min_value=0, help_text="读取时的版本号")


PROGRESS_FIELDS = ("narrative", "measure_status", "cause", "remedy", "remedy_due")


@extend_schema(responses={200: ProgressSerializer, **ERRORS})
class ProgressViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ProgressUpdate]
):
    """Quarterly accounts of measures by their responsible departments, and their review.

    ``POST`` saves a draft (201 when new, 200 when it updated the quarter's account at the given
    ``version``); ``PATCH`` edits it at ``version``.
    """

    serializer_class = ProgressSerializer

    def get_queryset(self) -> QuerySet[ProgressUpdate]:
        qs = selectors.progress_visible_to(self.request.user)
        if self.action != "list":
            return qs
        for name in ("year", "quarter"):
            number = _int_param(self.request, name)
            if number is not None:
                qs = qs.filter(**{name: number})
        measure = _int_param(self.request, "measure")
        if measure is not None:
            qs = qs.filter(measure__plan__is_active=True, measure__number=measure)
        department = self.request.query_params.get("department")
        if department:
            qs = qs.filter(department__code=department)
        return qs.order_by("-year", "-quarter", "measure__number", "department__code", "id")

    def _fresh(self, row: ProgressUpdate, code: int = status.HTTP_200_OK) -> Response:
        row = selectors.get_progress_for_user(self.request.user, row.pk)
        return Response(ProgressSerializer(row).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description="年度"),
            OpenApiParameter("quarter", int, description="季度"),
            OpenApiParameter("measure", int, description="措施序号（当前方案）"),
            OpenApiParameter("department", str, description="部门代码"),
        ],
        responses={200: ProgressSerializer(many=True), 400: ERRORS[400]},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=ProgressCreateSerializer,
        responses={201: ProgressSerializer, 200: ProgressSerializer, **ERRORS, **STALE},
    )
    def create(self, request: Request) -> Response:
        data = ProgressCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        with refusals():
            row = services.save_progress(
                measure=v["measure"],
                department=v["department"],
                year=v["year"],
                quarter=v["quarter"],
                **{name: v[name] for name in PROGRESS_FIELDS},
                actor=request.user,
                expected_version=v.get("version", 0),
            )
        return self._fresh(row, status.HTTP_201_CREATED if row.version == 1 else status.HTTP_200_OK)

    @extend_schema(
        request=ProgressUpdateSerializer,
        responses={200: ProgressSerializer, **ERRORS, **STALE},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = self.get_object()
        data = ProgressUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        with refusals():
            row = services.save_progress(
                measure=row.measure,
                department=row.department,
                year=row.year,
                quarter=row.quarter,
                **{name: v.get(name, getattr(row, name)) for name in PROGRESS_FIELDS},
                actor=request.user,
                expected_version=v["version"],
            )
        return self._fresh(row)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Submit the account for approval (the department's reporter)."""
        row = self.get_object()
        with refusals():
            services.submit_progress(row, actor=request.user)
        return self._fresh(row)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve a submitted account (the department's approver)."""
        row = self.get_object()
        with refusals():
            services.review_progress(row, approve=True, actor=request.user)
        return self._fresh(row)

    @extend_schema(request=ReasonSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        """Send a submitted account back with a reason (the department's approver)."""
        row = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refusals():
            services.review_progress(
                row, approve=False, reason=data.validated_data["reason"], actor=request.user
            )
        return self._fresh(row)


# --- notifications ----------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "created_at", "read_at"]


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Notification]
):
    """The caller's own in-app messages, newest first; other people's are 404."""

    serializer_class = NotificationSerializer

    def get_queryset(self) -> QuerySet[Notification]:
        return selectors.notifications_of(self.request.user).order_by("-created_at", "-id")

    @extend_schema(request=None, responses={200: NotificationSerializer, 404: ERRORS[404]})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        """Mark the message read (idempotent: the first reading time is kept)."""
        note = self.get_object()
        services.mark_notifications_read(request.user, [note.pk])
        return Response(NotificationSerializer(self.get_queryset().get(pk=note.pk)).data)
