from django.db import models
from django.utils.translation import gettext_lazy as _


class LoanKind(models.TextChoices):
    INDIVIDUAL = "individual", _("个人创业")
    PARTNERSHIP = "partnership", _("合伙创业")
    ENTERPRISE = "enterprise", _("小微企业")


class Status(models.TextChoices):
    """Where an application (and, once disbursed, its loan) stands."""

    STREET = "street", _("街道收件初审")
    HRSS = "hrss", _("人社审查")
    GUARANTOR = "guarantor", _("担保机构审核")
    BANK = "bank", _("银行审批")
    APPROVED = "approved", _("待放款")
    REPAYING = "repaying", _("还款中")
    OVERDUE = "overdue", _("逾期")
    SETTLED = "settled", _("已结清")
    COMPENSATED = "compensated", _("已代偿")
    RETURNED = "returned", _("退回修改")
    REJECTED = "rejected", _("未通过")


#: The reviewing steps, in order; each one may pass, return or reject.
REVIEW_STAGES = (Status.STREET, Status.HRSS, Status.GUARANTOR, Status.BANK)
#: How far along the way each status is (the stage tracker and “has reached” scoping).
STAGE_ORDER: dict[str, int] = {
    Status.STREET: 1,
    Status.HRSS: 2,
    Status.GUARANTOR: 3,
    Status.BANK: 4,
    Status.APPROVED: 5,
    Status.REPAYING: 6,
    Status.OVERDUE: 6,
    Status.SETTLED: 7,
    Status.COMPENSATED: 7,
}
#: Statuses of an application still on its way (counted against the loan limit).
IN_PROGRESS = (Status.STREET, Status.HRSS, Status.GUARANTOR, Status.BANK, Status.APPROVED)
#: Statuses of a disbursed loan.
DISBURSED = (Status.REPAYING, Status.OVERDUE, Status.SETTLED, Status.COMPENSATED)
#: Statuses after which nothing more happens (retention runs from the closing date).
CLOSED = (Status.SETTLED, Status.COMPENSATED, Status.REJECTED)


class InstitutionKind(models.TextChoices):
    HRSS = "hrss", _("人社审查部门")
    GUARANTOR = "guarantor", _("担保机构")
    BANK = "bank", _("经办银行")


class PartnershipRule(models.TextChoices):
    FIXED = "fixed", _("按人数累加，不超过合伙创业上限")
    SUM_PLUS = "sum_plus", _("个人额度之和上浮一定比例")


class MaterialKind(models.TextChoices):
    ID_CARD = "id_card", _("身份证（正反面）")
    TARGET_GROUP = "target_group", _("人员类别证明（失业登记、毕业证书、退役证明等）")
    LICENSE = "license", _("营业执照")
    BUSINESS_PLAN = "business_plan", _("创业项目计划书或经营情况说明")
    PARTNERSHIP = "partnership", _("合伙协议")
    HIRING = "hiring", _("新招用人员劳动合同及社保缴费证明")
    OTHER = "other", _("其他材料")


#: The checklist: what each kind of application must include.
REQUIRED_MATERIALS: dict[str, tuple[str, ...]] = {
    LoanKind.INDIVIDUAL: (
        MaterialKind.ID_CARD,
        MaterialKind.TARGET_GROUP,
        MaterialKind.LICENSE,
        MaterialKind.BUSINESS_PLAN,
    ),
    LoanKind.PARTNERSHIP: (
        MaterialKind.ID_CARD,
        MaterialKind.TARGET_GROUP,
        MaterialKind.LICENSE,
        MaterialKind.BUSINESS_PLAN,
        MaterialKind.PARTNERSHIP,
    ),
    LoanKind.ENTERPRISE: (
        MaterialKind.ID_CARD,
        MaterialKind.LICENSE,
        MaterialKind.BUSINESS_PLAN,
        MaterialKind.HIRING,
    ),
}


class StepAction(models.TextChoices):
    SUBMIT = "submit", _("提交申请")
    RESUBMIT = "resubmit", _("修改后重新提交")
    ADVANCE = "advance", _("审核通过")
    RETURN = "return", _("退回修改")
    REJECT = "reject", _("不予通过")
    DISBURSE = "disburse", _("放款")
    EXTEND = "extend", _("展期")
    OVERDUE = "overdue", _("逾期")
    SETTLE = "settle", _("结清")
    COMPENSATE = "compensate", _("担保代偿")


class ClaimStatus(models.TextChoices):
    CLAIMED = "claimed", _("已申请")
    PAID = "paid", _("已拨付")
