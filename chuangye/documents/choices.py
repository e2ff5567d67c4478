from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    MONTH = "month", _("月度")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年度")


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("已印发")


class NoticeStatus(models.TextChoices):
    OPEN = "open", _("待办理")
    REPLIED = "replied", _("已反馈")
    ESCALATED = "escalated", _("升级督办")
    CLOSED = "closed", _("已办结")


#: A notice stays on the department's board and in reminders until it is closed.
OPEN_NOTICE_STATUSES = frozenset({NoticeStatus.OPEN, NoticeStatus.REPLIED, NoticeStatus.ESCALATED})
#: States in which the lead department is expected to act (reply).
AWAITING_REPLY = frozenset({NoticeStatus.OPEN, NoticeStatus.ESCALATED})


class DocFormat(models.TextChoices):
    DOCX = "docx", _("Word（.docx）")
    PDF = "pdf", _("PDF")
    XLSX = "xlsx", _("Excel 附表（.xlsx）")


class PointsMode(models.TextChoices):
    LINEAR = "linear", _("按完成率折算")
    BANDS = "bands", _("分档计分")


class SubjectKind(models.TextChoices):
    DISTRICT = "district", _("区市")
    DEPARTMENT = "department", _("部门")
