"""Back office: policy, LPR and institutions are edited here (audited); records are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from chuangye.core.admin import AuditedAdmin
from chuangye.programs.loans.models import (
    Loan,
    LoanApplication,
    LoanInstitution,
    LoanPolicy,
    LprRate,
    SubsidyClaim,
)


@admin.register(LoanPolicy)
class LoanPolicyAdmin(AuditedAdmin):
    list_display = ["name", "effective_from", "individual_cap", "partnership_cap", "enterprise_cap"]
    ordering = ["-effective_from"]


@admin.register(LprRate)
class LprRateAdmin(AuditedAdmin):
    list_display = ["effective_on", "one_year", "source", "note"]
    ordering = ["-effective_on"]


@admin.register(LoanInstitution)
class LoanInstitutionAdmin(AuditedAdmin):
    list_display = ["department", "kind", "active", "order"]
    list_filter = ["kind", "active"]


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Records change only through the workflow (audited there), never by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


APPLICATION_FIELDS: tuple[str, ...] = (
    "number",
    "kind",
    "borrower",
    "id_masked",
    "district",
    "amount",
    "term_months",
    "status",
    "approved_amount",
    "rate",
    "consent_version",
    "consented_at",
    "submitted_at",
    "closed_at",
    "anonymised_at",
)


@admin.register(LoanApplication)
class LoanApplicationAdmin(ReadOnlyAdmin):
    """Masked: the applicant shows as name and masked ID only."""

    list_display = ["number", "borrower", "id_masked", "kind", "amount", "district", "status"]
    list_filter = ["status", "kind", "district"]
    search_fields = ["number"]
    fields = APPLICATION_FIELDS
    readonly_fields = APPLICATION_FIELDS

    @admin.display(description=_("申请人"))
    def borrower(self, obj: LoanApplication) -> str:
        return obj.borrower_name

    @admin.display(description=_("身份证号"))
    def id_masked(self, obj: LoanApplication) -> str:
        return obj.borrower_id_masked

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("applicant", "district")


LOAN_FIELDS: tuple[str, ...] = (
    "bank_loan_number",
    "application",
    "bank",
    "district",
    "amount",
    "rate",
    "disbursed_on",
    "maturity_on",
    "extended_to",
    "overdue_since",
    "settled_on",
    "compensated_on",
    "compensation_amount",
    "import_batch",
)


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = ["bank_loan_number", "application", "amount", "disbursed_on", "district"]
    list_filter = ["district"]
    search_fields = ["bank_loan_number", "application__number"]
    fields = LOAN_FIELDS
    readonly_fields = LOAN_FIELDS


CLAIM_FIELDS: tuple[str, ...] = (
    "loan",
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
)


@admin.register(SubsidyClaim)
class SubsidyClaimAdmin(ReadOnlyAdmin):
    list_display = ["loan", "period_no", "period_start", "period_end", "subsidy", "status"]
    list_filter = ["status"]
    fields = CLAIM_FIELDS
    readonly_fields = CLAIM_FIELDS
