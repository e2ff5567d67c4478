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
    ADMIN = "admin", _("平台超级管理员")
    SYS_ADMIN = "sys_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
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

#: The three separated administrators (三员): each maps to a permission group (data migration 0003).
ROLE_GROUPS: dict[str, str] = {
    Role.SYS_ADMIN: "系统管理员",
    Role.SECURITY_ADMIN: "安全管理员",
    Role.AUDITOR: "审计管理员",
}
#: Roles that open the back office (/admin/) with the permissions of their group.
BACK_OFFICE_ROLES = frozenset({Role.SYS_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
#: Roles only a superuser may grant: the administrators themselves.
ADMIN_ROLES = frozenset({Role.ADMIN, Role.SYS_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
#: Roles that need no second factor (members of the public); every other role does.
PUBLIC_ROLES = frozenset({Role.ENTREPRENEUR})
