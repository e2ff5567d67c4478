"""Users, the org units of the city and the departments that carry out the plan."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chuangye.accounts.choices import DepartmentLevel, OrgUnitKind, Role
from chuangye.core.models import AuditEntry


class User(AbstractUser):
    """A person who signs in: department or district staff, a leader, or a member of the public."""

    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    # Empty means the password was set by an administrator and must be changed at next sign-in.
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        permissions = [
            ("unlock_login", _("解除登录锁定")),
            ("reset_second_factor", _("重置双因素认证")),
            ("reset_password", _("重置密码")),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()


class OrgUnit(models.Model):
    """An administrative unit: the city, a county-level district, or a development zone."""

    code = models.CharField(_("代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30)
    kind = models.CharField(_("类型"), max_length=10, choices=OrgUnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    population = models.PositiveIntegerField(_("常住人口"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_district(self) -> bool:
        return self.kind in (OrgUnitKind.COUNTY, OrgUnitKind.ZONE)


class Department(models.Model):
    """A government department (city-level, or a district's counterpart bureau)."""

    code = models.CharField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("全称"), max_length=100)
    aliases = models.JSONField(_("简称/别名"), default=list, blank=True)
    level = models.CharField(_("层级"), max_length=10, choices=DepartmentLevel.choices)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="departments"
    )
    counterpart = models.ForeignKey(
        "self",
        verbose_name=_("对口市直部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="district_counterparts",
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["level", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "name"], name="department_name_per_unit")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in a department or an org unit; access is derived from these rows."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "department", "org_unit"], name="membership_unique"
            ),
            models.CheckConstraint(
                condition=Q(department__isnull=False) | Q(org_unit__isnull=False),
                name="membership_has_scope",
            ),
        ]

    def __str__(self) -> str:
        scope = self.department or self.org_unit
        return f"{self.user} · {self.get_role_display()} · {scope}"


class SecurityAuditEntry(AuditEntry):
    """The audit rows about sign-in, second factor, passwords and tokens (security administrators).

    A proxy: the rows live in the one append-only audit log; this only gives them their own
    permission so the security administrator reads these and no others.
    """

    class Meta:
        proxy = True
        verbose_name = _("安全审计记录")
        verbose_name_plural = _("安全审计记录")
