"""Reporting rounds, reported figures and measure progress, reminders and notifications."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chuangye.accounts.models import Department, OrgUnit
from chuangye.plans.models import Indicator, Measure, Plan
from chuangye.reporting.choices import MeasureStatus, ReminderKind, ValueStatus


class Holiday(models.Model):
    """A calendar exception: a public holiday, or a weekend made a working day (调休)."""

    date = models.DateField(_("日期"), unique=True)
    name = models.CharField(_("名称"), max_length=50)
    is_workday = models.BooleanField(
        _("调休上班"), default=False, help_text=_("勾选表示该日为周末但需上班。")
    )

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class ReportingRound(models.Model):
    """The monthly window in which units report a month's figures."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="rounds"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    opens_on = models.DateField(_("开始填报"))
    deadline = models.DateField(_("截止日期"))
    locks_on = models.DateField(_("锁定日期"))
    locked_at = models.DateTimeField(_("已锁定于"), null=True, blank=True)

    class Meta:
        verbose_name = _("报送轮次")
        verbose_name_plural = _("报送轮次")
        ordering = ["plan", "-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year", "month"], name="round_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.month}月"

    def is_open(self, today: dt.date) -> bool:
        return self.opens_on <= today and self.locked_at is None and today < self.locks_on

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"


class DataValue(models.Model):
    """A unit's figure for an indicator in one month (the month's own value, not cumulative)."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="values"
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="values"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("填报单位"), on_delete=models.PROTECT, related_name="values"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    value = models.DecimalField(_("数值"), max_digits=20, decimal_places=2, null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ValueStatus.choices, default=ValueStatus.DRAFT
    )
    reopened = models.BooleanField(_("已重新开放"), default=False)
    return_reason = models.TextField(_("退回原因"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("填报数据")
        verbose_name_plural = _("填报数据")
        ordering = ["year", "month", "indicator__code", "org_unit__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "org_unit", "year", "month"], name="value_per_cell"
            ),
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | models.Q(value__gte=0),
                name="value_nonnegative",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "year", "month"]),
            models.Index(fields=["indicator", "org_unit", "year", "month", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name} {self.org_unit.short_name} {self.year}-{self.month:02d}"


def attachment_path(instance: Attachment, filename: str) -> str:
    value = instance.value
    return f"attachments/{value.year}/{value.month:02d}/{instance.value_id}/{filename}"


class Attachment(models.Model):
    """Supporting material for a figure (type and size limited by the service)."""

    value = models.ForeignKey(
        DataValue, verbose_name=_("填报数据"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=attachment_path)
    name = models.CharField(_("文件名"), max_length=200)
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
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.name


class ProgressUpdate(models.Model):
    """A department's quarterly account (工作进展) of a measure it leads or cooperates on."""

    measure = models.ForeignKey(
        Measure, verbose_name=_("措施"), on_delete=models.CASCADE, related_name="progress_updates"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        related_name="progress_updates",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    narrative = models.TextField(_("工作进展"))
    measure_status = models.CharField(
        _("自评状态"), max_length=12, choices=MeasureStatus.choices, default=MeasureStatus.ON_TRACK
    )
    cause = models.TextField(_("滞后原因"), blank=True)
    remedy = models.TextField(_("整改措施"), blank=True)
    remedy_due = models.DateField(_("整改完成时限"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ValueStatus.choices, default=ValueStatus.DRAFT
    )
    return_reason = models.TextField(_("退回原因"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("措施进展")
        verbose_name_plural = _("措施进展")
        ordering = ["-year", "-quarter", "measure__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "department", "year", "quarter"], name="progress_per_quarter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.department} {self.year}Q{self.quarter}"


class Notification(models.Model):
    """An in-app message to one user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class Reminder(models.Model):
    """A reminder sent to a unit on a day; the unique key makes sending idempotent."""

    round = models.ForeignKey(
        ReportingRound, verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="reminders"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=ReminderKind.choices)
    sent_on = models.DateField(_("发送日期"))
    missing = models.PositiveIntegerField(_("未完成项数"))
    channels = models.JSONField(_("发送渠道"), default=list)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = _("提醒记录")
        ordering = ["-sent_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "department", "kind", "sent_on"], name="reminder_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.round} {self.department} {self.get_kind_display()} {self.sent_on}"


class Webhook(models.Model):
    """A group-chat robot (企业微信 or 钉钉) that receives reminders for a department or all."""

    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("地址"), max_length=500)
    department = models.ForeignKey(
        Department,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhooks",
        help_text=_("为空表示接收所有单位的提醒。"),
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")

    def __str__(self) -> str:
        return self.name
