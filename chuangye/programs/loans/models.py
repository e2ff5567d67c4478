"""Guarantee loans (创业担保贷款): the policy in force, applications, loans and interest subsidy.

The rules are data: a dated :class:`LoanPolicy` and an editable :class:`LprRate` table, so a
policy change is a new row, not a code change. Personal data stays in the entrepreneur registry
(encrypted there); an application points at the person and shows only the masked number.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chuangye.accounts.models import Department, OrgUnit
from chuangye.programs.entrepreneurs.choices import TargetGroup
from chuangye.programs.entrepreneurs.models import Person, Venture
from chuangye.programs.loans.choices import (
    ClaimStatus,
    InstitutionKind,
    LoanKind,
    MaterialKind,
    PartnershipRule,
    Status,
    StepAction,
)


def default_groups() -> list[str]:
    return [g for g in TargetGroup.values if g != TargetGroup.OTHER]


# USER_REFERENCE — who recorded a row of the high-volume ledgers (``Loan.created_by``,
# ``LoanStep.actor``, ``SupportRecord.created_by``) is a reference without a database
# constraint. Every such write is audited, and the audit entry's reference to the same user
# (``PROTECT``) keeps the user from being deleted; were it ever deleted through the ORM, these
# columns would be cleared (``SET_NULL``) all the same. A constraint here would be checked once
# for every row written — three of the checks on each row of a bank's disbursement import —
# and would guard nothing the audit log does not.
#
# REFERENCE_DATA — the same holds for the ledgers' references to the city's reference data: a
# loan's bank, district and import batch, a step's department, a support record's department,
# district and type. These rows are few, set up by the coordinator, and referred to by
# thousands of ledger rows each; a database constraint would look the same row up again for
# every row written (seven of the checks on each row of a bank's disbursement import). Their
# values come from the services, which read them from the database in the same transaction;
# deleting a referenced row through the ORM is refused all the same (``PROTECT``, tested);
# and a loan's bank and district are copies of its application's, which keeps its own
# constraints. References between ledger entities (a loan's application, a record's person or
# venture) keep their constraints.


class LoanPolicy(models.Model):
    """The rules applied to applications submitted on or after ``effective_from``."""

    name = models.CharField(_("名称"), max_length=100)
    effective_from = models.DateField(_("施行日期"), unique=True)
    source = models.TextField(
        _("政策依据"), help_text=_("文件名称和文号；未经核实的参数请注明“待核实”。")
    )
    individual_cap = models.DecimalField(
        _("个人创业贷款上限（元）"), default=Decimal(200_000), max_digits=14, decimal_places=2
    )
    partnership_max_partners = models.PositiveSmallIntegerField(_("合伙创业最多人数"), default=3)
    partnership_rule = models.CharField(
        _("合伙创业额度规则"),
        max_length=10,
        choices=PartnershipRule.choices,
        default=PartnershipRule.FIXED,
    )
    partnership_cap = models.DecimalField(
        _("合伙创业贷款上限（元）"),
        default=Decimal(600_000),
        help_text=_("按人数累加时的总额上限。"),
        max_digits=14,
        decimal_places=2,
    )
    partnership_markup_percent = models.DecimalField(
        _("合伙创业上浮比例（%）"),
        default=Decimal(10),
        help_text=_("个人额度之和上浮时使用。"),
        max_digits=6,
        decimal_places=3,
    )
    enterprise_cap = models.DecimalField(
        _("小微企业贷款上限（元）"), default=Decimal(3_000_000), max_digits=14, decimal_places=2
    )
    enterprise_hire_percent = models.DecimalField(
        _("新招用人员占比下限（%）"), default=Decimal(15), max_digits=6, decimal_places=3
    )
    enterprise_hire_percent_large = models.DecimalField(
        _("超过规定人数时的占比下限（%）"), default=Decimal(8), max_digits=6, decimal_places=3
    )
    enterprise_large_staff = models.PositiveIntegerField(_("规定人数（在职）"), default=100)
    individual_max_term_months = models.PositiveSmallIntegerField(
        _("个人和合伙创业最长期限（月）"), default=36
    )
    enterprise_max_term_months = models.PositiveSmallIntegerField(
        _("小微企业最长期限（月）"), default=24
    )
    max_loans_per_borrower = models.PositiveSmallIntegerField(
        _("每个借款人最多贷款次数"), default=3
    )
    borrower_spread_bp = models.PositiveSmallIntegerField(
        _("借款人承担利率：LPR 减（基点）"),
        default=150,
        help_text=_("借款人承担不超过 LPR 减该基点的利息，其余由财政贴息。"),
    )
    rate_cap_spread_bp = models.PositiveSmallIntegerField(
        _("贷款利率上限：LPR 加（基点）"), default=50
    )
    day_count_basis = models.PositiveSmallIntegerField(_("计息天数基数"), default=360)
    eligible_groups = models.JSONField(
        _("可申请的人员类别"), default=default_groups, help_text=_("人员类别代码列表。")
    )
    consent_version = models.CharField(_("授权书版本"), max_length=20)
    consent_text = models.TextField(_("个人信息处理授权书"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("贷款政策")
        verbose_name_plural = _("贷款政策")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.name}（{self.effective_from:%Y-%m-%d} 起）"


class LprRate(models.Model):
    """The one-year loan prime rate published on a date (in percent)."""

    effective_on = models.DateField(_("执行日期"), unique=True)
    one_year = models.DecimalField(_("一年期 LPR（%）"), max_digits=5, decimal_places=2)
    source = models.CharField(_("来源"), max_length=200, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("贷款市场报价利率")
        verbose_name_plural = _("贷款市场报价利率")
        ordering = ["-effective_on"]

    def __str__(self) -> str:
        return f"{self.effective_on:%Y-%m-%d} {self.one_year}%"


class LoanInstitution(models.Model):
    """A department taking part in the loan workflow: 人社 review, a guarantor or a bank."""

    department = models.OneToOneField(
        Department,
        verbose_name=_("部门或机构"),
        on_delete=models.PROTECT,
        related_name="loan_institution",
    )
    kind = models.CharField(_("角色"), max_length=10, choices=InstitutionKind.choices)
    active = models.BooleanField(_("有效"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("贷款经办机构")
        verbose_name_plural = _("贷款经办机构")
        ordering = ["kind", "order", "id"]

    def __str__(self) -> str:
        return f"{self.department.name}（{self.get_kind_display()}）"


class DisbursementImport(models.Model):
    """One bank upload of disbursements (the file's digest identifies what was imported)."""

    bank = models.ForeignKey(
        Department, verbose_name=_("经办银行"), on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    rows = models.PositiveIntegerField(_("放款笔数"), default=0)
    amount = models.DecimalField(
        _("放款金额（元）"), default=Decimal(0), max_digits=16, decimal_places=2
    )
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("放款导入批次")
        verbose_name_plural = _("放款导入批次")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.file_name}（{self.rows} 笔）"


class LoanApplication(models.Model):
    """An application for a guarantee loan, and (through ``loan``) the loan it became."""

    # Unique through ``Meta.constraints``: ``unique=True`` would add a pattern-ops twin of the
    # index on PostgreSQL, which no query uses (numbers are looked up by equality).
    number = models.CharField(_("申请编号"), max_length=20)
    kind = models.CharField(_("贷款类型"), max_length=12, choices=LoanKind.choices)
    applicant = models.ForeignKey(
        Person,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="loan_applications",
    )
    venture = models.ForeignKey(
        Venture,
        verbose_name=_("创业实体"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="loan_applications",
    )
    partners = models.ManyToManyField(
        Person, verbose_name=_("合伙人"), blank=True, related_name="loan_partnerships"
    )
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("所在区市"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("申请金额（元）"), max_digits=14, decimal_places=2)
    term_months = models.PositiveSmallIntegerField(_("申请期限（月）"))
    purpose = models.CharField(_("贷款用途"), max_length=500)
    staff_count = models.PositiveIntegerField(_("在职人数"), default=0)
    new_hires = models.PositiveIntegerField(_("新招用符合条件人员数"), default=0)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.STREET
    )
    furthest = models.PositiveSmallIntegerField(_("已到达环节"), default=1)
    # Every disbursement import rewrites each index of this table (the status changes), so
    # it keeps only those queries use: the guarantor and bank are searched through the
    # ``(guarantor, status)`` and ``(bank, status)`` indexes; the policy and the creator are
    # never searched (deleting a policy or a user, which is rare, scans the table).
    policy = models.ForeignKey(
        LoanPolicy,
        verbose_name=_("适用政策"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    guarantor = models.ForeignKey(
        Department,
        verbose_name=_("担保机构"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (guarantor, status) index serves it
    )
    bank = models.ForeignKey(
        Department,
        verbose_name=_("经办银行"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (bank, status) index serves it
    )
    consent_version = models.CharField(_("授权书版本"), max_length=20)
    consent_text = models.TextField(_("授权书内容"))
    consented_at = models.DateTimeField(_("授权时间"))
    approved_amount = models.DecimalField(
        _("银行审批金额（元）"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    rate = models.DecimalField(
        _("合同年利率（%）"), null=True, blank=True, max_digits=6, decimal_places=3
    )
    bank_approved_on = models.DateField(_("银行审批日期"), null=True, blank=True)
    returned_from = models.CharField(
        _("退回环节"), max_length=12, choices=Status.choices, blank=True
    )
    return_reason = models.TextField(_("退回原因"), blank=True)
    reject_reason = models.TextField(_("不予通过原因"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("贷款申请")
        verbose_name_plural = _("贷款申请")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="loans_application_number_unique")
        ]
        indexes = [
            models.Index(fields=["status", "district"]),
            models.Index(fields=["bank", "status"]),
            models.Index(fields=["guarantor", "status"]),
            # For the retention purge, which looks at closed applications only: open ones
            # (every application a disbursement import updates) add no entry to it.
            models.Index(
                fields=["closed_at"],
                condition=models.Q(closed_at__isnull=False),
                name="loans_application_closed_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def borrower_name(self) -> str:
        if self.applicant is None:
            return "（已匿名化）"
        return self.applicant.name

    @property
    def borrower_id_masked(self) -> str:
        return self.applicant.id_masked if self.applicant is not None else ""


def material_path(instance: Material, filename: str) -> str:
    """A path with no personal data in it: the application id and a random name."""
    suffix = PurePath(filename).suffix.lower()
    return f"loans/{instance.application_id}/{uuid.uuid4().hex}{suffix}"


class Material(models.Model):
    """One document of the checklist; served only through the scoped download view."""

    application = models.ForeignKey(
        LoanApplication,
        verbose_name=_("贷款申请"),
        on_delete=models.CASCADE,
        related_name="materials",
    )
    kind = models.CharField(_("材料"), max_length=20, choices=MaterialKind.choices)
    file = models.FileField(_("文件"), upload_to=material_path, max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["application", "kind", "id"]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def extension(self) -> str:
        return PurePath(self.file.name or "").suffix.lower()


class LoanStep(models.Model):
    """What happened at a step, by whom and why: the stage tracker the applicant sees."""

    application = models.ForeignKey(
        LoanApplication,
        verbose_name=_("贷款申请"),
        on_delete=models.CASCADE,
        related_name="steps",
    )
    stage = models.CharField(_("环节"), max_length=12, choices=Status.choices)
    action = models.CharField(_("操作"), max_length=12, choices=StepAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # steps are read by application only
        db_constraint=False,  # see USER_REFERENCE at the top of the module
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("经办单位"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,  # see REFERENCE_DATA at the top of the module
    )
    reason = models.TextField(_("意见或原因"), blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["application", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.get_action_display()}"


class Loan(models.Model):
    """A disbursed guarantee loan; its status lives on the application."""

    application = models.OneToOneField(
        LoanApplication, verbose_name=_("贷款申请"), on_delete=models.PROTECT, related_name="loan"
    )
    # Unique through ``Meta.constraints`` (no pattern-ops twin; looked up by equality only).
    bank_loan_number = models.CharField(_("银行贷款编号"), max_length=40)
    bank = models.ForeignKey(
        Department,
        verbose_name=_("经办银行"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,  # see REFERENCE_DATA at the top of the module
    )
    district = models.ForeignKey(
        OrgUnit,
        verbose_name=_("计入区市"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (district, disbursed_on) index serves every lookup
        db_constraint=False,  # see REFERENCE_DATA at the top of the module
    )
    amount = models.DecimalField(_("放款金额（元）"), max_digits=14, decimal_places=2)
    rate = models.DecimalField(_("合同年利率（%）"), max_digits=6, decimal_places=3)
    disbursed_on = models.DateField(_("放款日期"))
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    maturity_on = models.DateField(_("到期日"))
    extended_to = models.DateField(_("展期至"), null=True, blank=True)
    overdue_since = models.DateField(_("逾期起始日"), null=True, blank=True)
    settled_on = models.DateField(_("结清日期"), null=True, blank=True)
    compensated_on = models.DateField(_("代偿日期"), null=True, blank=True)
    compensation_amount = models.DecimalField(
        _("代偿金额（元）"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    import_batch = models.ForeignKey(
        DisbursementImport,
        verbose_name=_("导入批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="loans",
        db_index=False,  # never searched by batch; fewer indexes keep the bulk import fast
        db_constraint=False,  # see REFERENCE_DATA at the top of the module
    )
    source_row = models.PositiveIntegerField(_("导入文件行号"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,  # see USER_REFERENCE at the top of the module
    )

    class Meta:
        verbose_name = _("贷款")
        verbose_name_plural = _("贷款")
        ordering = ["-disbursed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_loan_number"], name="loans_bank_loan_number_unique"
            )
        ]
        indexes = [
            # Serves every count of disbursements: a district's, a city's (its districts as
            # ``= ANY``) and the full rebuild; an index on the date alone served none of them
            # and added an entry to every loan a bank's import writes.
            models.Index(fields=["district", "disbursed_on"]),
        ]

    def __str__(self) -> str:
        return self.bank_loan_number

    @property
    def ends_on(self) -> Any:
        """The day interest stops: settlement, compensation, or the (extended) maturity."""
        return self.settled_on or self.compensated_on or self.extended_to or self.maturity_on


class SubsidyClaim(models.Model):
    """The interest subsidy of one loan for one interest period, as claimed by the bank."""

    loan = models.ForeignKey(
        Loan, verbose_name=_("贷款"), on_delete=models.CASCADE, related_name="claims"
    )
    period_no = models.PositiveSmallIntegerField(_("计息期"))
    period_start = models.DateField(_("起息日"))
    period_end = models.DateField(_("止息日"))
    days = models.PositiveSmallIntegerField(_("天数"))
    principal = models.DecimalField(_("本金（元）"), max_digits=14, decimal_places=2)
    rate = models.DecimalField(_("合同年利率（%）"), max_digits=6, decimal_places=3)
    interest = models.DecimalField(_("应付利息（元）"), max_digits=14, decimal_places=2)
    borrower_interest = models.DecimalField(_("借款人承担（元）"), max_digits=14, decimal_places=2)
    subsidy = models.DecimalField(_("财政贴息（元）"), max_digits=14, decimal_places=2)
    basis = models.CharField(_("计算依据"), max_length=300, blank=True)
    excluded = models.CharField(_("不予贴息原因"), max_length=100, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.CLAIMED
    )
    claimed_at = models.DateTimeField(_("申请时间"))
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("拨付时间"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("拨付经办人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("贴息申请")
        verbose_name_plural = _("贴息申请")
        ordering = ["loan", "period_no"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "period_no"], name="loan_claim_per_period")
        ]
        indexes = [models.Index(fields=["period_end"])]

    def __str__(self) -> str:
        return f"{self.loan} 第 {self.period_no} 期"
