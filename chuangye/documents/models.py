"""Official documents of the supervision loop: 通报, 督办单 and the year-end 考核."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chuangye.accounts.models import Department, OrgUnit
from chuangye.documents.choices import (
    OPEN_NOTICE_STATUSES,
    BulletinStatus,
    NoticeStatus,
    PeriodKind,
    PointsMode,
    SubjectKind,
)
from chuangye.plans.models import Measure, Plan, Target


def bulletin_path(instance: Bulletin, filename: str) -> str:
    return f"documents/bulletins/{instance.dated.year}/{instance.pk}/{filename}"


class Bulletin(models.Model):
    """A progress bulletin (通报) of a period for the city or one district.

    A draft keeps its figures in ``snapshot`` (refreshable); issuing freezes the snapshot and
    stores the generated Word, PDF and Excel files, which are what is downloaded from then on.
    """

    plan = models.ForeignKey(
        Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="bulletins"
    )
    period_kind = models.CharField(_("期间类型"), max_length=10, choices=PeriodKind.choices)
    period_code = models.CharField(
        _("期间"), max_length=10, help_text=_("如 2025-06、2025-Q2 或 2025。")
    )
    period_label = models.CharField(_("期间名称"), max_length=30)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("通报范围"), on_delete=models.PROTECT, related_name="bulletins"
    )
    title = models.CharField(_("标题"), max_length=200)
    number = models.CharField(_("期号"), max_length=30, help_text=_("如“第 6 期”。"))
    dated = models.DateField(_("成文日期"))
    summary = models.TextField(_("总体情况"), help_text=_("根据数据起草，印发前可修改。"))
    snapshot = models.JSONField(_("数据快照"), default=dict)
    status = models.CharField(
        _("状态"), max_length=10, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    issued_at = models.DateTimeField(_("印发时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("印发人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    docx_file = models.FileField(_("Word 文件"), upload_to=bulletin_path, blank=True)
    pdf_file = models.FileField(_("PDF 文件"), upload_to=bulletin_path, blank=True)
    xlsx_file = models.FileField(_("Excel 附表"), upload_to=bulletin_path, blank=True)

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        ordering = ["-dated", "-created_at"]

    def __str__(self) -> str:
        return f"{self.title}（{self.number}）"

    @property
    def is_issued(self) -> bool:
        return self.status == BulletinStatus.ISSUED


class SupervisionNotice(models.Model):
    """A 督办单: what is late, the action required of the lead department and a deadline.

    The lead department replies; the coordinator closes it or escalates it. Each step is an
    audit row, which is the notice's history.
    """

    plan = models.ForeignKey(
        Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="notices"
    )
    number = models.CharField(_("编号"), max_length=40)
    target = models.ForeignKey(
        Target,
        verbose_name=_("滞后目标"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
        help_text=_("滞后目标所在的区市；为空表示全市。"),
    )
    measure = models.ForeignKey(
        Measure,
        verbose_name=_("滞后措施"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("主办单位"),
        on_delete=models.PROTECT,
        related_name="notices_led",
    )
    cc_departments = models.ManyToManyField(
        Department, verbose_name=_("抄送（配合）单位"), blank=True, related_name="notices_copied"
    )
    subject = models.CharField(_("督办事项"), max_length=200)
    issue = models.TextField(_("存在问题"))
    action = models.TextField(_("督办要求"))
    deadline = models.DateField(_("办理时限"))
    status = models.CharField(
        _("状态"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.OPEN
    )
    created_at = models.DateTimeField(_("交办时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("交办人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reply = models.TextField(_("办理情况"), blank=True)
    replied_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("反馈人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.TextField(_("办结/升级意见"), blank=True)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办结人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="notice_number_per_plan"),
            models.CheckConstraint(
                condition=Q(target__isnull=False) | Q(measure__isnull=False),
                name="notice_has_subject",
            ),
        ]
        indexes = [models.Index(fields=["lead_department", "status"])]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_NOTICE_STATUSES


def default_bands() -> list[list[float]]:
    """Completion (%) from which a share (%) of a target's weight is earned."""
    return [[100, 100], [90, 90], [80, 75], [60, 50], [0, 0]]


class AssessmentScheme(models.Model):
    """How a plan year is scored (考核): target weights, points for completion, lead/cooperating
    split, and the weight of reporting timeliness. Edited by the coordinator."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="assessment_schemes"
    )
    year = models.PositiveSmallIntegerField(_("考核年度"))
    weights = models.JSONField(
        _("目标权重"), default=dict, blank=True, help_text=_("目标编号 → 分值；0 表示不考核。")
    )
    mode = models.CharField(
        _("计分方式"), max_length=10, choices=PointsMode.choices, default=PointsMode.LINEAR
    )
    cap = models.DecimalField(
        _("完成率封顶"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.00"),
        help_text=_("按完成率折算时最多按多少倍计分，1.00 表示超额完成不加分。"),
    )
    bands = models.JSONField(
        _("分档"), default=default_bands, blank=True, help_text=_("[完成率下限%, 得分比例%] 列表。")
    )
    lead_share = models.DecimalField(
        _("牵头单位分值比例"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.70"),
        help_text=_("部门考核中目标分值分给牵头单位的比例，其余分给配合单位。"),
    )
    timeliness_weight = models.DecimalField(
        _("报送及时性分值"), max_digits=6, decimal_places=2, default=Decimal("10")
    )
    flag_gap = models.DecimalField(
        _("自评差异提示线"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        help_text=_("自评分与考核分（百分制）相差达到该分数时标注。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["plan", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year"], name="assessment_scheme_per_year"),
            models.CheckConstraint(
                condition=Q(lead_share__gte=0) & Q(lead_share__lte=1), name="lead_share_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年度考核方案"


class SelfAssessment(models.Model):
    """A district's or department's own year-end score and note, beside the coordinator's."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="self_assessments"
    )
    year = models.PositiveSmallIntegerField(_("考核年度"))
    kind = models.CharField(_("考核对象类型"), max_length=12, choices=SubjectKind.choices)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("区市"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="self_assessments",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="self_assessments",
    )
    score = models.DecimalField(_("自评得分"), max_digits=5, decimal_places=2)
    note = models.TextField(_("自评说明"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("单位自评")
        verbose_name_plural = _("单位自评")
        ordering = ["plan", "-year", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "year", "org_unit"],
                condition=Q(kind="district"),
                name="self_assessment_per_district",
            ),
            models.UniqueConstraint(
                fields=["plan", "year", "department"],
                condition=Q(kind="department"),
                name="self_assessment_per_department",
            ),
            models.CheckConstraint(
                condition=(Q(kind="district") & Q(org_unit__isnull=False))
                | (Q(kind="department") & Q(department__isnull=False)),
                name="self_assessment_has_subject",
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="self_score_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.org_unit or self.department} 自评 {self.score}"
