"""The plan as data: Plan → Section → Measure → Responsibility; Indicator and Target."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chuangye.accounts.models import Department, OrgUnit
from chuangye.plans.choices import (
    COUNT_UNITS,
    MONEY_UNITS,
    Aggregation,
    AllocationStatus,
    Comparator,
    DraftStatus,
    Frequency,
    ResponsibilityRole,
)


class Plan(models.Model):
    """One version of an action plan document, imported from plan JSON."""

    title = models.CharField(_("标题"), max_length=200)
    issuer = models.CharField(_("发文机关"), max_length=100, blank=True)
    doc_number = models.CharField(_("文号"), max_length=60, blank=True)
    issued_on = models.DateField(_("成文日期"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    is_active = models.BooleanField(_("当前执行"), default=False)
    period_start = models.PositiveSmallIntegerField(
        _("累计起始年度"),
        help_text=_("期末目标从哪一年起累计（如 2025）。由统筹协调员确认。"),
    )
    period_end = models.PositiveSmallIntegerField(_("截止年度"))
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("实施区划"), on_delete=models.PROTECT, related_name="plans"
    )
    source_text = models.TextField(_("原文"), blank=True)
    source_name = models.CharField(_("原文文件"), max_length=200, blank=True)
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    coordinating_department = models.ForeignKey(
        Department,
        verbose_name=_("统筹部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("负责统筹协调的部门；各区市的对口部门填报本区市数据。"),
    )
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("替代的版本"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="superseded_by",
    )

    class Meta:
        verbose_name = _("行动方案")
        verbose_name_plural = _("行动方案")
        ordering = ["-is_active", "-issued_on", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_plan"
            ),
            models.UniqueConstraint(fields=["doc_number", "version"], name="plan_doc_version"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.doc_number}）" if self.doc_number else self.title


class Section(models.Model):
    """A sub-plan (一、…) grouping measures."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="sections"
    )
    number = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("标题"), max_length=200)

    class Meta:
        verbose_name = _("专项计划")
        verbose_name_plural = _("专项计划")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="section_number_per_plan")
        ]

    def __str__(self) -> str:
        return self.title


class Measure(models.Model):
    """A numbered task of the plan with its text and responsible departments."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="measures"
    )
    section = models.ForeignKey(
        Section,
        verbose_name=_("专项计划"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="measures",
    )
    number = models.PositiveSmallIntegerField(_("序号"))
    printed = models.CharField(_("原文编号"), max_length=20, blank=True)
    title = models.CharField(_("标题"), max_length=300)
    text = models.TextField(_("全文"))
    source_start = models.PositiveIntegerField(_("原文起始位置"), null=True, blank=True)
    source_end = models.PositiveIntegerField(_("原文结束位置"), null=True, blank=True)

    class Meta:
        verbose_name = _("措施")
        verbose_name_plural = _("措施")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="measure_number_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Responsibility(models.Model):
    """A department's part in a measure: lead, cooperating or jointly responsible."""

    measure = models.ForeignKey(
        Measure, verbose_name=_("措施"), on_delete=models.CASCADE, related_name="responsibilities"
    )
    department_name = models.CharField(_("原文单位名称"), max_length=100)
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsibilities",
        help_text=_("未能匹配到部门名录时为空，需人工核对。"),
    )
    role = models.CharField(_("职责"), max_length=20, choices=ResponsibilityRole.choices)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("责任分工")
        verbose_name_plural = _("责任分工")
        ordering = ["measure", "order"]

    def __str__(self) -> str:
        return f"{self.department_name}（{self.get_role_display()}）"


class Indicator(models.Model):
    """What is counted for a target, and where its figures come from."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.CharField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=200)
    unit = models.CharField(_("计量单位"), max_length=20, blank=True)
    aggregation = models.CharField(
        _("汇总方式"), max_length=10, choices=Aggregation.choices, default=Aggregation.SUM
    )
    source = models.CharField(
        _("数据来源"),
        max_length=80,
        default="manual",
        help_text=_(
            "manual 表示由填报单位报送；其他值为业务系统指标键，如 loans.disbursed_amount。"
        ),
    )
    owner = models.ForeignKey(
        Department,
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="indicators",
        help_text=_("为空时由各区市人社部门填报本区市数据。"),
    )
    by_district = models.BooleanField(
        _("按区市报送"),
        default=True,
        help_text=_("责任部门按区市分别报送；取消则只报全市合计。"),
    )
    frequency = models.CharField(
        _("报送频次"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["plan", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="indicator_code_per_plan")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_count(self) -> bool:
        return self.unit in COUNT_UNITS

    @property
    def is_money(self) -> bool:
        return self.unit in MONEY_UNITS

    @property
    def is_manual(self) -> bool:
        return self.source == "manual"

    def asked_in_month(self, month: int) -> bool:
        return self.frequency == Frequency.MONTHLY or month % 3 == 0


class Target(models.Model):
    """A quantitative target of the plan, for an org unit (the city when taken from the text)."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="targets"
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="targets"
    )
    measure = models.ForeignKey(
        Measure,
        verbose_name=_("所属措施"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="targets",
        help_text=_("为空表示方案总体目标。"),
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="targets"
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    text = models.CharField(_("原文"), max_length=500)
    subject = models.CharField(_("目标事项"), max_length=200)
    comparator = models.CharField(_("比较方式"), max_length=10, choices=Comparator.choices)
    value = models.DecimalField(_("目标值"), max_digits=20, decimal_places=4, null=True, blank=True)
    min_value = models.DecimalField(
        _("下限"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("上限"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    per_year = models.BooleanField(_("每年目标"), default=False)
    deadline_year = models.PositiveSmallIntegerField(_("截止年度"), null=True, blank=True)
    reference = models.CharField(_("参照指标"), max_length=200, blank=True)
    reference_indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("参照序列"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referenced_by",
        help_text=_("相对目标所比较的另一序列，如“各项贷款增速”。"),
    )
    source_start = models.PositiveIntegerField(_("原文起始位置"), null=True, blank=True)
    source_end = models.PositiveIntegerField(_("原文结束位置"), null=True, blank=True)
    served_by = models.ManyToManyField(
        Measure,
        verbose_name=_("支撑措施"),
        blank=True,
        related_name="serves",
        help_text=_("哪些措施的落实带动这个目标（交付链条）。"),
    )

    class Meta:
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        ordering = ["plan", "order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0), name="target_value_nonnegative"
            )
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def display_value(self) -> str:
        """The target as a person reads it: ≥19000 人, 2—3 个, 不低于 各项贷款增速."""
        if self.comparator == Comparator.RANGE:
            return f"{_num(self.min_value)}—{_num(self.max_value)} {self.unit}"
        if self.comparator == Comparator.RELATIVE:
            return f"不低于 {self.reference}"
        symbol = {">=": "≥", "<=": "≤", "=": "", "~": "约"}[self.comparator]
        return f"{symbol}{_num(self.value)} {self.unit}".strip()


class AllocationVersion(models.Model):
    """One version of how the plan's city targets are split across districts and years."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="allocations"
    )
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(
        _("状态"), max_length=12, choices=AllocationStatus.choices, default=AllocationStatus.DRAFT
    )
    reason = models.TextField(_("调整原因"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("目标分解版本")
        verbose_name_plural = _("目标分解版本")
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="allocation_number_per_plan"),
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(status="active"),
                name="one_active_allocation_per_plan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.title} 目标分解 第{self.number}版（{self.get_status_display()}）"


class AllocationLine(models.Model):
    """A district's quota of a target for a year; a line without a district is the reserve."""

    version = models.ForeignKey(
        AllocationVersion,
        verbose_name=_("分解版本"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    target = models.ForeignKey(
        Target, verbose_name=_("目标"), on_delete=models.CASCADE, related_name="allocation_lines"
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("区市"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocation_lines",
        help_text=_("为空表示市级预留。"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    quota = models.DecimalField(_("分解任务"), max_digits=20, decimal_places=4)

    class Meta:
        verbose_name = _("目标分解")
        verbose_name_plural = _("目标分解")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "target", "org_unit", "year"],
                condition=Q(org_unit__isnull=False),
                name="allocation_line_unique",
            ),
            models.UniqueConstraint(
                fields=["version", "target", "year"],
                condition=Q(org_unit__isnull=True),
                name="allocation_reserve_unique",
            ),
            models.CheckConstraint(condition=Q(quota__gte=0), name="allocation_quota_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.target.subject} {self.org_unit or '预留'} {self.year}: {self.quota}"


class PlanDraft(models.Model):
    """A parsed document awaiting review: the draft plan JSON beside the text it came from."""

    source_name = models.CharField(_("文件名"), max_length=200)
    source_text = models.TextField(_("解析所用文本"))
    data = models.JSONField(_("方案草稿"))
    warnings = models.JSONField(_("待核对事项"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=DraftStatus.choices, default=DraftStatus.DRAFT
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("导入结果"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="drafts",
    )

    class Meta:
        verbose_name = _("方案草稿")
        verbose_name_plural = _("方案草稿")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.data.get('title') or self.source_name}（{self.get_status_display()}）"


def _num(value: Decimal | None) -> str:
    if value is None:
        return "—"
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,}"
