"""Guarantee loans over ``/api/v1/``: applications (with their workflow actions, disbursement,
loan events, schedule, materials and the bank's disbursement list), subsidies (claim and
payment) and the LPR table.

Reads are scoped like the pages (another person's application is 404); writes go through
``loans.services``. Personal data is masked: names and the masked ID only, the full ID through
the audited ``unmask``. A refused write is HTTP 400 with code ``invalid`` (``not_eligible`` with
every rule's outcome when the policy's conditions are not met); an action that belongs to
another role, asked by loan staff who see the data, is 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from chuangye.accounts.access import access_for
from chuangye.accounts.models import Department
from chuangye.programs.entrepreneurs import selectors as registry_selectors
from chuangye.programs.entrepreneurs import services as registry
from chuangye.programs.entrepreneurs.models import Person
from chuangye.programs.loans import imports, selectors, services, subsidy
from chuangye.programs.loans.choices import DISBURSED, LoanKind, MaterialKind
from chuangye.programs.loans.forms import LprForm
from chuangye.programs.loans.models import (
    LoanApplication,
    LoanPolicy,
    LprRate,
    Material,
    SubsidyClaim,
)


class Refused(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "操作未完成"


class NotEligible(exceptions.APIException):
    """The policy's conditions are not met; ``detail.rules`` has every rule's outcome."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "not_eligible"
    default_detail = "不符合申请条件"

    def __init__(self, message: str, rules: list[dict[str, Any]]) -> None:
        super().__init__(message)
        # Kept as plain JSON (booleans stay booleans) rather than DRF's error strings.
        self.detail = cast(Any, {"detail": message, "rules": rules})

    def get_codes(self) -> str:  # type: ignore[override]
        return self.default_code


def _rules(outcome: list[Any]) -> list[dict[str, Any]]:
    return [
        {"code": r.code, "label": r.label, "passed": r.passed, "detail": r.detail} for r in outcome
    ]


@contextmanager
def refusals() -> Iterator[None]:
    try:
        yield
    except services.NotEligible as exc:
        raise NotEligible(str(exc), _rules(exc.rules)) from exc
    except services.LoanError as exc:
        raise Refused(str(exc)) from exc


#: Ids and counts are bounded so no input reaches the database outside its integer range.
MAX_ID = 2**63 - 1
MAX_COUNT = 10_000_000

ERRORS = {
    400: OpenApiResponse(description="输入有误或操作被拒绝（code、message、detail）"),
    404: OpenApiResponse(description="不存在或不在调用者的范围内"),
}
FORBIDDEN = {403: OpenApiResponse(description="可以查看但无权执行该操作")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FileRenderer(renderers.JSONRenderer):
    """Lets a download be asked for with any ``Accept`` (errors still come back as JSON)."""

    media_type = "*/*"
    format = "file"


FILE_RENDERERS = [renderers.JSONRenderer, FileRenderer]


def _file(description: str) -> OpenApiResponse:
    return OpenApiResponse(OpenApiTypes.BINARY, description=description)


def _staff(user: Any) -> selectors.LoanRoles:
    """Loan staff and city-wide readers (as the staff pages); anyone else: 404."""
    roles = selectors.roles_for(user)
    if not (roles.is_staff or roles.city_read):
        raise exceptions.NotFound()
    return roles


class RuleSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the rule's name, not Field.label
    passed = serializers.BooleanField(allow_null=True, help_text="null 表示不适用")
    detail = serializers.CharField()


class LoanApplicationSerializer(serializers.ModelSerializer[LoanApplication]):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    applicant_name = serializers.CharField(source="borrower_name", read_only=True)
    applicant_id_masked = serializers.CharField(source="borrower_id_masked", read_only=True)
    venture = serializers.SerializerMethodField()
    district: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    bank: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    guarantor: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    partners = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()
    loan = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()

    class Meta:
        model = LoanApplication
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "status_label",
            "applicant_name",
            "applicant_id_masked",
            "venture",
            "district",
            "amount",
            "term_months",
            "purpose",
            "staff_count",
            "new_hires",
            "partners",
            "guarantor",
            "bank",
            "approved_amount",
            "rate",
            "bank_approved_on",
            "returned_from",
            "return_reason",
            "reject_reason",
            "consent_version",
            "consented_at",
            "submitted_at",
            "updated_at",
            "steps",
            "loan",
            "materials",
        ]

    def get_materials(self, obj: LoanApplication) -> list[dict[str, Any]]:
        """The application's documents; each is fetched at ``materials/{id}`` (audited)."""
        return [
            {
                "id": m.pk,
                "kind": m.kind,
                "label": str(m.get_kind_display()),
                "content_type": m.content_type,
                "size": m.size,
            }
            for m in obj.materials.all()
        ]

    def get_venture(self, obj: LoanApplication) -> dict[str, Any] | None:
        v = obj.venture
        return {"id": v.pk, "name": v.name, "credit_code": v.credit_code} if v else None

    def get_partners(self, obj: LoanApplication) -> list[dict[str, str]]:
        return [{"name": p.name, "id_masked": p.id_masked} for p in obj.partners.all()]

    def get_steps(self, obj: LoanApplication) -> list[dict[str, Any]]:
        return [
            {
                "at": s.at.isoformat(),
                "stage": s.stage,
                "action": s.action,
                "department": s.department.name if s.department else None,
                "reason": s.reason,
            }
            for s in obj.steps.select_related("department")
        ]

    def get_loan(self, obj: LoanApplication) -> dict[str, Any] | None:
        loan = getattr(obj, "loan", None) if obj.status in DISBURSED else None
        if loan is None:
            return None
        return {
            "bank_loan_number": loan.bank_loan_number,
            "amount": str(loan.amount),
            "rate": str(loan.rate),
            "disbursed_on": loan.disbursed_on.isoformat(),
            "maturity_on": loan.maturity_on.isoformat(),
            "extended_to": loan.extended_to.isoformat() if loan.extended_to else None,
            "overdue_since": loan.overdue_since.isoformat() if loan.overdue_since else None,
        }


class LoanApplicationCreateSerializer(serializers.Serializer[Any]):
    applicant = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="创业者编号（经办人员代为申请时填写；创业者本人省略）",
    )
    venture = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="创业实体编号（申请人须为其创办人）"
    )
    kind = serializers.ChoiceField(choices=LoanKind.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    term_months = serializers.IntegerField(min_value=1, max_value=120)
    purpose = serializers.CharField(max_length=500)
    partners = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=10,
        help_text="合伙人编号",
    )
    staff_count = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False)
    new_hires = serializers.IntegerField(
        min_value=0, max_value=MAX_COUNT, required=False, default=0
    )
    bank = serializers.CharField(required=False, help_text="经办银行的部门代码；省略时为第一家")
    consent = serializers.BooleanField(help_text="已阅读并同意个人信息处理授权书")


class LoanReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class AdvanceSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(allow_blank=True, required=False, default="")
    approved_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, help_text="银行审批时必填"
    )
    rate = serializers.DecimalField(
        max_digits=6, decimal_places=3, required=False, help_text="合同年利率（%），银行审批时必填"
    )


class ResubmitSerializer(serializers.Serializer[Any]):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    term_months = serializers.IntegerField(min_value=1, max_value=120, required=False)
    purpose = serializers.CharField(max_length=500, required=False)
    staff_count = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False)
    new_hires = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False)
    consent = serializers.BooleanField(help_text="已阅读并同意个人信息处理授权书")


class DisburseSerializer(serializers.Serializer[Any]):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="放款金额（元）")
    disbursed_on = serializers.DateField(help_text="放款日期")
    bank_loan_number = serializers.CharField(max_length=40, help_text="银行贷款编号")


class LoanEventSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=list(services.LOAN_EVENTS.items()))
    on = serializers.DateField(help_text="日期（逾期起始日、结清日、展期后到期日或代偿日）")
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, help_text="代偿金额（元），代偿时填写"
    )


class UnmaskSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="查看事由（省略为申请编号）"
    )


class UnmaskedSerializer(serializers.Serializer[Any]):
    value = serializers.CharField(help_text="完整身份证号")


class SchedulePeriodSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField(help_text="止息日（含）")
    due_on = serializers.DateField()
    days = serializers.IntegerField()
    principal = serializers.DecimalField(max_digits=14, decimal_places=2)
    principal_due = serializers.DecimalField(max_digits=14, decimal_places=2)
    rate = serializers.DecimalField(max_digits=8, decimal_places=4)
    interest = serializers.DecimalField(max_digits=14, decimal_places=2)
    borrower_interest = serializers.DecimalField(max_digits=14, decimal_places=2)
    subsidy = serializers.DecimalField(max_digits=14, decimal_places=2)
    basis = serializers.CharField()
    excluded = serializers.CharField()
    claim_status = serializers.CharField(allow_null=True, help_text="贴息申请状态；未申请为 null")


class ImportSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="放款清单（.xlsx，格式见 import-template）")
    bank = serializers.CharField(
        required=False, help_text="经办银行的部门代码；省略时为调用者所在的第一家"
    )


class ImportResultSerializer(serializers.Serializer[Any]):
    loans = serializers.IntegerField(help_text="登记的放款笔数")
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="放款总额（元）")
    batch = serializers.IntegerField(allow_null=True, help_text="导入批次编号")


class ImportRefused(exceptions.APIException):
    """The file was refused as a whole; ``detail.errors`` lists every problem."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "放款清单未通过校验，未导入任何内容"


def _banks_of(user: Any) -> list[Any]:
    """The banks the caller works for; loan staff without one: 403; anyone else: 404."""
    _staff(user)
    banks = selectors.banks_of(user)
    if not banks:
        raise exceptions.PermissionDenied("只有经办银行的经办人员可以办理")
    return banks


@extend_schema(responses={200: LoanApplicationSerializer, **ERRORS})
class LoanApplicationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[LoanApplication]
):
    """Guarantee-loan applications in the caller's scope and their way through the workflow.

    ``POST`` (multipart, one file per checklist item named ``material_<kind>``) files an
    application; ``advance``, ``return`` and ``reject`` act on the current step by its role.
    """

    serializer_class = LoanApplicationSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[LoanApplication]:
        qs = selectors.applications_visible_to(self.request.user).prefetch_related("partners")
        if self.action == "list":
            params = self.request.query_params
            if params.get("status"):
                qs = qs.filter(status=params["status"])
            if params.get("number"):
                qs = qs.filter(number=params["number"].upper())
        return qs.order_by("-submitted_at", "-id")

    def _fresh(self, obj: LoanApplication, code: int = status.HTTP_200_OK) -> Response:
        obj = selectors.get_application_for_user(self.request.user, obj.pk)
        return Response(LoanApplicationSerializer(obj).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="状态"),
            OpenApiParameter("number", str, description="申请编号"),
        ],
        responses={200: LoanApplicationSerializer(many=True)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": LoanApplicationCreateSerializer},
        responses={201: LoanApplicationSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        data = LoanApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v.get("applicant") is not None:
            person = (
                registry_selectors.persons_visible_to(request.user)
                .filter(pk=v["applicant"])
                .first()
            )
        else:
            person = Person.objects.filter(user_id=request.user.pk or 0).first()
        if person is None:
            raise exceptions.NotFound("找不到申请人")
        venture = person.ventures.filter(pk=v["venture"]).first()
        if venture is None:
            raise Refused("申请人名下没有该创业实体")
        partners = list(Person.objects.filter(pk__in=v["partners"], ventures=venture).distinct())
        if len(partners) != len(set(v["partners"])):
            raise Refused("合伙人须为该创业实体登记的创办人")
        bank = None
        if v.get("bank"):
            bank = Department.objects.filter(code=v["bank"]).first()
            if bank is None:
                raise Refused("经办银行代码不存在")
        materials = [
            (k, request.FILES[f"material_{k}"])
            for k in MaterialKind.values
            if f"material_{k}" in request.FILES
        ]
        with refusals():
            application = services.submit_application(
                applicant=person,
                venture=venture,
                kind=v["kind"],
                amount=v["amount"],
                term_months=v["term_months"],
                purpose=v["purpose"],
                partners=partners,
                staff_count=v.get("staff_count"),
                new_hires=v["new_hires"],
                bank=bank,
                materials=materials,
                consent=v["consent"],
                actor=request.user,
            )
        return self._fresh(application, status.HTTP_201_CREATED)

    @extend_schema(request=AdvanceSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request: Request, pk: str | None = None) -> Response:
        """Pass the current step (the bank's approval carries amount and rate)."""
        obj = self.get_object()
        data = AdvanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refusals():
            services.advance(obj, actor=request.user, **data.validated_data)
        return self._fresh(obj)

    @extend_schema(request=LoanReasonSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        """Send the application back to the applicant with a reason."""
        obj = self.get_object()
        data = LoanReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refusals():
            services.return_application(obj, data.validated_data["reason"], actor=request.user)
        return self._fresh(obj)

    @extend_schema(request=LoanReasonSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Refuse the application with a reason."""
        obj = self.get_object()
        data = LoanReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refusals():
            services.reject_application(obj, data.validated_data["reason"], actor=request.user)
        return self._fresh(obj)

    @extend_schema(responses={200: RuleSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"])
    def eligibility(self, request: Request, pk: str | None = None) -> Response:
        """Each rule of the policy in force: passed, failed or not applicable, with the figures."""
        obj = self.get_object()
        return Response(_rules(services.eligibility(obj)))

    @extend_schema(
        request={"multipart/form-data": ResubmitSerializer},
        responses={200: LoanApplicationSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def resubmit(self, request: Request, pk: str | None = None) -> Response:
        """Send a returned application back to 街道收件初审, with the changes the return asked
        for (fields left out keep their value; replaced materials as ``material_<kind>``)."""
        obj = self.get_object()
        data = ResubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        materials = [
            (k, request.FILES[f"material_{k}"])
            for k in MaterialKind.values
            if f"material_{k}" in request.FILES
        ]
        with refusals():
            services.resubmit(obj, actor=request.user, materials=materials, **data.validated_data)
        return self._fresh(obj)

    @extend_schema(request=DisburseSerializer)
    @action(detail=True, methods=["post"])
    def disburse(self, request: Request, pk: str | None = None) -> Response:
        """Record the disbursement of an approved application (the bank)."""
        obj = self.get_object()
        data = DisburseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refusals():
            services.disburse(obj, actor=request.user, **data.validated_data)
        return self._fresh(obj)

    @extend_schema(request=LoanEventSerializer)
    @action(detail=True, methods=["post"])
    def event(self, request: Request, pk: str | None = None) -> Response:
        """Overdue, settlement or extension (the bank), or compensation (the guarantor)."""
        obj = self.get_object()
        data = LoanEventSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        with refusals():
            services.record_event(
                obj, v["action"], on=v["on"], amount=v.get("amount"), actor=request.user
            )
        return self._fresh(obj)

    @extend_schema(
        request=UnmaskSerializer,
        responses={200: UnmaskedSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def unmask(self, request: Request, pk: str | None = None) -> Response:
        """The applicant's full ID number, for staff with the unmask permission (audited)."""
        obj = self.get_object()
        _staff(request.user)
        if obj.applicant is None:
            raise exceptions.NotFound()
        data = UnmaskSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            value = registry.unmask(
                obj.applicant,
                field="id_number",
                actor=request.user,
                reason=data.validated_data.get("reason") or obj.number,
            )
        except registry.RegistryError as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        response = Response({"value": value})
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        parameters=[OpenApiParameter("mid", int, OpenApiParameter.PATH, description="材料编号")],
        responses={200: _file("申请材料文件"), 404: ERRORS[404]},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"materials/(?P<mid>[^/.]+)",
        url_name="material",
        renderer_classes=FILE_RENDERERS,
    )
    def material(
        self, request: Request, pk: str | None = None, mid: str = ""
    ) -> FileResponse | HttpResponse:
        """A document of the application (the download is audited)."""
        obj = self.get_object()
        item = (
            Material.objects.filter(application=obj, pk=int(mid)).first()
            if mid.isdigit() and int(mid) <= MAX_ID
            else None
        )
        if item is None:
            raise exceptions.NotFound()
        try:
            handle = services.download_material(item, actor=request.user)
        except FileNotFoundError:
            raise exceptions.NotFound() from None
        name = f"{obj.number}-{item.get_kind_display()}{item.extension}"
        return FileResponse(
            handle, as_attachment=True, filename=name, content_type=item.content_type
        )

    @extend_schema(responses={200: SchedulePeriodSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], pagination_class=None)
    def schedule(self, request: Request, pk: str | None = None) -> Response:
        """The repayment schedule of a disbursed loan: each period's interest, the borrower's
        part and the subsidy, with the claim status."""
        obj = self.get_object()
        loan = getattr(obj, "loan", None) if obj.status in DISBURSED else None
        if loan is None:
            raise exceptions.NotFound("该申请尚未放款")
        claims = {c.period_no: c for c in loan.claims.all()}
        rows = []
        for p in services.loan_schedule(loan):
            claim = claims.get(p.number)
            rows.append(
                {
                    "number": p.number,
                    "start": p.start,
                    "end": p.end,
                    "due_on": p.due_on,
                    "days": p.days,
                    "principal": p.principal,
                    "principal_due": p.principal_due,
                    "rate": p.rate,
                    "interest": p.interest,
                    "borrower_interest": p.borrower_interest,
                    "subsidy": p.subsidy,
                    "basis": p.basis,
                    "excluded": p.excluded,
                    "claim_status": claim.status if claim else None,
                }
            )
        return Response(SchedulePeriodSerializer(rows, many=True).data)

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={201: ImportResultSerializer, **ERRORS, **FORBIDDEN},
    )
    @action(detail=False, methods=["post"], url_path="import-disbursements")
    def import_disbursements(self, request: Request) -> Response:
        """A bank's disbursement list (.xlsx): every row is recorded, or none (400 lists every
        problem in ``detail.errors``)."""
        banks = _banks_of(request.user)
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bank = banks[0]
        if data.validated_data.get("bank"):
            bank = next((b for b in banks if b.code == data.validated_data["bank"]), None)
            if bank is None:
                raise Refused("您不是该银行的经办人员")
        upload = data.validated_data["file"]
        try:
            result = imports.import_disbursements(
                upload, bank=bank, actor=request.user, file_name=upload.name
            )
        except imports.DisbursementImportError as exc:
            raise ImportRefused({"detail": str(exc), "errors": exc.errors}) from exc
        except services.LoanError as exc:
            raise Refused(str(exc)) from exc
        body = {
            "loans": result.loans,
            "amount": result.amount,
            "batch": result.batch.pk if result.batch else None,
        }
        return Response(ImportResultSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: _file("放款导入模板（.xlsx）"), **FORBIDDEN})
    @action(
        detail=False,
        methods=["get"],
        url_path="import-template",
        renderer_classes=FILE_RENDERERS,
    )
    def import_template(self, request: Request) -> HttpResponse:
        """The empty sheet a bank fills in for ``import-disbursements``."""
        _banks_of(request.user)
        response = HttpResponse(imports.template(), content_type=XLSX)
        response["Content-Disposition"] = "attachment; filename*=UTF-8''import-template.xlsx"
        return response


class SubsidyClaimSerializer(serializers.ModelSerializer[SubsidyClaim]):
    application = serializers.CharField(source="loan.application.number", read_only=True)
    bank_loan_number = serializers.CharField(source="loan.bank_loan_number", read_only=True)
    borrower_name = serializers.CharField(source="loan.application.borrower_name", read_only=True)
    borrower_id_masked = serializers.CharField(
        source="loan.application.borrower_id_masked", read_only=True
    )
    district = serializers.CharField(source="loan.district.code", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    borrower_id = serializers.SerializerMethodField()

    class Meta:
        model = SubsidyClaim
        fields = [
            "id",
            "application",
            "bank_loan_number",
            "borrower_name",
            "borrower_id_masked",
            "borrower_id",
            "district",
            "period_no",
            "period_start",
            "period_end",
            "days",
            "principal",
            "rate",
            "interest",
            "borrower_interest",
            "subsidy",
            "basis",
            "excluded",
            "status",
            "status_label",
        ]

    def get_borrower_id(self, obj: SubsidyClaim) -> str | None:
        """The full ID number: only in a ``full=true`` list, for staff allowed to unmask."""
        clear: dict[int, str] = self.context.get("clear", {})
        return clear.get(obj.loan.application.applicant_id or 0)


class PaySerializer(serializers.Serializer[Any]):
    period = serializers.CharField(max_length=10, help_text="季度（按止息日），如 2025Q3")


class PaidSerializer(serializers.Serializer[Any]):
    paid = serializers.IntegerField(help_text="确认拨付的期数")


class SubsidyClaimViewSet(viewsets.ReadOnlyModelViewSet[SubsidyClaim]):
    """Interest subsidy per loan and period, in the caller's scope."""

    serializer_class = SubsidyClaimSerializer

    def get_queryset(self) -> QuerySet[SubsidyClaim]:
        qs = selectors.claims_visible_to(self.request.user)
        params = self.request.query_params
        if params.get("application"):
            qs = qs.filter(loan__application__number=params["application"].upper())
        if params.get("period"):
            try:
                first, last = subsidy.quarter_bounds(params["period"])
            except ValueError:
                raise serializers.ValidationError({"period": ["应为 YYYYQn，如 2025Q3"]}) from None
            qs = qs.filter(period_end__gte=first, period_end__lte=last)
        return qs.order_by("loan_id", "period_no")

    @extend_schema(
        parameters=[
            OpenApiParameter("application", str, description="申请编号"),
            OpenApiParameter("period", str, description="季度（按止息日），如 2025Q3"),
            OpenApiParameter(
                "full",
                bool,
                description="附完整身份证号（拨付清单；须有查看完整证件号的权限，记入审计）",
            ),
        ],
        responses={200: SubsidyClaimSerializer(many=True), **ERRORS, **FORBIDDEN},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if request.query_params.get("full") not in ("1", "true"):
            return super().list(request, *args, **kwargs)
        _staff(request.user)
        if not registry.can_unmask(request.user):
            raise exceptions.PermissionDenied("您没有查看完整证件号的权限")
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        with refusals():
            clear = services.clear_ids(
                {r.loan.application.applicant_id for r in rows} - {None}, actor=request.user
            )
        services.record_export(
            "subsidy_statement",
            actor=request.user,
            rows=len(rows),
            unmasked=True,
            scope=request.query_params.get("period")
            or request.query_params.get("application")
            or "api",
            persons=sorted(clear),
        )
        data = SubsidyClaimSerializer(rows, many=True, context={"clear": clear}).data
        response = self.get_paginated_response(data) if page is not None else Response(data)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        request=None,
        responses={200: SubsidyClaimSerializer(many=True), **ERRORS, **FORBIDDEN},
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def claim(self, request: Request) -> Response:
        """Claim the subsidy of every finished period of the caller's banks' loans (the bank)."""
        made: list[SubsidyClaim] = []
        with refusals():
            for bank in _banks_of(request.user):
                made += services.claim_subsidies(bank=bank, actor=request.user)
        return Response(SubsidyClaimSerializer(made, many=True).data)

    @extend_schema(
        request=PaySerializer,
        responses={200: PaidSerializer, **ERRORS, **FORBIDDEN},
    )
    @action(detail=False, methods=["post"])
    def pay(self, request: Request) -> Response:
        """Confirm as paid (拨付) the claimed subsidy of a quarter (市人社局)."""
        roles = _staff(request.user)
        if not roles.hrss:
            raise exceptions.PermissionDenied("贴息拨付由市人社局确认")
        data = PaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            first, last = subsidy.quarter_bounds(data.validated_data["period"])
        except ValueError:
            raise serializers.ValidationError({"period": ["应为 YYYYQn，如 2025Q3"]}) from None
        claims = selectors.claims_visible_to(request.user).filter(
            period_end__gte=first, period_end__lte=last
        )
        with refusals():
            paid = services.pay_claims(claims, actor=request.user)
        return Response({"paid": paid})


class LprRateSerializer(serializers.ModelSerializer[LprRate]):
    class Meta:
        model = LprRate
        fields = ["id", "effective_on", "one_year", "source", "note"]


def _may_edit_rates(user: Any) -> bool:
    """As on the policy page: the coordinator or 市人社局's loan staff."""
    return access_for(user).is_coordinator or bool(selectors.roles_for(user).hrss)


@extend_schema(responses={200: LprRateSerializer, **ERRORS})
class LprRateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[LprRate],
):
    """The one-year LPR table the interest subsidy is worked out from, newest first. Loan staff
    and city-wide readers see it; the coordinator and 市人社局 add (``POST``) or correct rows."""

    serializer_class = LprRateSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[LprRate]:
        roles = selectors.roles_for(self.request.user)
        if not (roles.is_staff or roles.city_read):
            return LprRate.objects.none()
        return LprRate.objects.order_by("-effective_on")

    def _save(self, request: Request, instance: LprRate | None, partial: bool) -> LprRate:
        if not _may_edit_rates(request.user):
            raise exceptions.PermissionDenied("只有统筹协调员或市人社局经办人员可以维护利率表")
        data = LprRateSerializer(instance, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        fields = LprForm.Meta.fields
        values = {k: getattr(instance, k) for k in fields} if instance else {}
        values.update(data.validated_data)
        # The page's form is what the service saves: the same validation as on the page.
        form = LprForm(
            {k: "" if values.get(k) is None else values[k] for k in fields}, instance=instance
        )
        if not form.is_valid():
            raise serializers.ValidationError(form.errors.get_json_data())
        return services.save_lpr(form, actor=request.user)

    @extend_schema(
        request=LprRateSerializer, responses={201: LprRateSerializer, **ERRORS, **FORBIDDEN}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rate = self._save(request, None, partial=False)
        return Response(LprRateSerializer(rate).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=LprRateSerializer, responses={200: LprRateSerializer, **ERRORS, **FORBIDDEN}
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rate = self._save(request, self.get_object(), partial=kwargs.get("partial", False))
        return Response(LprRateSerializer(rate).data)


class LoanPolicySerializer(serializers.ModelSerializer[LoanPolicy]):
    class Meta:
        model = LoanPolicy
        exclude = ["consent_text"]


class LoanPolicyViewSet(viewsets.ReadOnlyModelViewSet[LoanPolicy]):
    """The dated eligibility policies (caps, terms, target groups, subsidy spreads), newest
    first; the one in force on a day is the latest whose ``effective_from`` is not after it.
    Loan staff and city-wide readers see them; they are edited on the policy page."""

    serializer_class = LoanPolicySerializer

    def get_queryset(self) -> QuerySet[LoanPolicy]:
        roles = selectors.roles_for(self.request.user)
        if not (roles.is_staff or roles.city_read):
            return LoanPolicy.objects.none()
        return LoanPolicy.objects.order_by("-effective_from")
