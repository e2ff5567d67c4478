from django.db import models
from django.utils.translation import gettext_lazy as _


class ResponsibilityRole(models.TextChoices):
    LEAD = "lead", _("牵头")
    COOPERATING = "cooperating", _("配合")
    JOINT = "joint", _("按职责分工负责")


class Comparator(models.TextChoices):
    GTE = ">=", _("不低于")
    LTE = "<=", _("不超过")
    EQ = "=", _("等于")
    APPROX = "~", _("左右")
    RANGE = "range", _("区间")
    RELATIVE = "relative", _("相对")


class Aggregation(models.TextChoices):
    SUM = "sum", _("累加")
    LAST = "last", _("取期末值")
    MAX = "max", _("取最大值")


class TargetScope(models.TextChoices):
    PER_YEAR = "per_year", _("年度目标")
    PLAN = "plan", _("期末目标")


class DraftStatus(models.TextChoices):
    DRAFT = "draft", _("待审核")
    IMPORTED = "imported", _("已导入")
    DISCARDED = "discarded", _("已放弃")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("按月")
    QUARTERLY = "quarterly", _("按季度")


class AllocationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("执行中")
    SUPERSEDED = "superseded", _("已被替代")


#: Units whose figures are whole numbers (people, firms, events …).
COUNT_UNITS = frozenset({"人", "家", "个", "场", "场次", "名", "人次", "户", "项", "次", "期"})
MONEY_UNITS = frozenset({"元"})
