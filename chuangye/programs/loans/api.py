"""Guarantee loans over ``/api/v1/``: applications (with their workflow actions) and subsidies.

Reads are scoped like the pages (another person's application is 404); writes go through
``loans.services``. Personal data is masked: names and the masked ID only. A refused write is
HTTP 400 with code ``invalid`` (``not_eligible`` with every rule's outcome when the policy's
conditions are not met).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from chuangye.accounts.models import Department
from chuangye.programs.entrepreneurs import selectors as registry_selectors
from chuangye.programs.entrepreneurs.models import Person
from chuangye.programs.loans import selectors, services, subsidy
from chuangye.programs.loans.choices import DISBURSED, LoanKind, MaterialKind
from chuangye.programs.loans.models import LoanApplication, SubsidyClaim


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


class SubsidyClaimSerializer(serializers.ModelSerializer[SubsidyClaim]):
    application = serializers.CharField(source="loan.application.number", read_only=True)
    bank_loan_number = serializers.CharField(source="loan.bank_loan_number", read_only=True)
    borrower_name = serializers.CharField(source="loan.application.borrower_name", read_only=True)
    borrower_id_masked = serializers.CharField(
        source="loan.application.borrower_id_masked", read_only=True
    )
    district = serializers.CharField(source="loan.district.code", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = SubsidyClaim
        fields = [
            "id",
            "application",
            "bank_loan_number",
            "borrower_name",
            "borrower_id_masked",
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
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)
