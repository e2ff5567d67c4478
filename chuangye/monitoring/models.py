"""The Fact table: the only thing the cockpit reads."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from chuangye.accounts.models import OrgUnit
from chuangye.plans.models import Indicator


class Fact(models.Model):
    """An indicator's value for an org unit in one month, recomputed from its source on change."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="facts"
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("区划"), on_delete=models.CASCADE, related_name="facts"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    value = models.DecimalField(_("数值"), max_digits=20, decimal_places=2)
    records = models.PositiveIntegerField(_("来源记录数"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("指标事实")
        verbose_name_plural = _("指标事实")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "org_unit", "year", "month"], name="fact_per_cell"
            )
        ]
        indexes = [models.Index(fields=["indicator", "year", "month"])]

    def __str__(self) -> str:
        cell = f"{self.indicator.code} {self.org_unit.code} {self.year}-{self.month:02d}"
        return f"{cell} = {self.value}"


class FactState(models.Model):
    """A counter bumped in the same transaction as every Fact change: the cockpit's cache key."""

    version = models.BigIntegerField(_("版本"), default=0)
    token = models.UUIDField(_("代号"), default=uuid.uuid4)

    class Meta:
        verbose_name = _("指标事实版本")
        verbose_name_plural = _("指标事实版本")

    def __str__(self) -> str:
        return str(self.version)
