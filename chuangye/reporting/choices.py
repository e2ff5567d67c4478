from django.db import models
from django.utils.translation import gettext_lazy as _


class ValueStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已审核")
    RETURNED = "returned", _("已退回")
    LOCKED = "locked", _("已锁定")


#: States in which the reporting unit may still edit the figure.
EDITABLE = frozenset({ValueStatus.DRAFT, ValueStatus.RETURNED})


class MeasureStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未启动")
    ON_TRACK = "on_track", _("按计划推进")
    AHEAD = "ahead", _("超前完成")
    BEHIND = "behind", _("滞后")
    DONE = "done", _("已完成")


BEHIND_STATUSES = frozenset({MeasureStatus.BEHIND, MeasureStatus.NOT_STARTED})


class ReminderKind(models.TextChoices):
    UPCOMING = "upcoming", _("临近提醒")
    OVERDUE = "overdue", _("到期催办")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("站内消息")
    EMAIL = "email", _("电子邮件")
    WEBHOOK = "webhook", _("企业微信/钉钉机器人")
