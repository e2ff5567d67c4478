from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgUnitKind(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县（市、区）")
    ZONE = "zone", _("功能区")


class DepartmentLevel(models.TextChoices):
    CITY = "city", _("市直部门")
    DISTRICT = "district", _("区市部门")


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("统筹协调员")
    LEADER = "leader", _("领导（只读）")
    REPORTER = "reporter", _("填报员")
    APPROVER = "approver", _("审核员")
    PROGRAMME_STAFF = "programme_staff", _("业务经办人员")
    AUDITOR = "auditor", _("审计员")
    ADMIN = "admin", _("系统管理员")
    ENTREPRENEUR = "entrepreneur", _("创业者")


#: Roles that see the whole city regardless of their unit.
CITY_WIDE_ROLES = frozenset({Role.COORDINATOR, Role.LEADER, Role.ADMIN})
#: Roles that work inside the plan (see plan pages).
PLAN_ROLES = frozenset(
    {
        Role.COORDINATOR,
        Role.LEADER,
        Role.REPORTER,
        Role.APPROVER,
        Role.PROGRAMME_STAFF,
        Role.ADMIN,
    }
)
