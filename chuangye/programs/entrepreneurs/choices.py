from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class TargetGroup(models.TextChoices):
    """The “十类群体” eligible for guarantee loans (list kept editable through choices + policy)."""

    UNEMPLOYED = "unemployed", _("城镇登记失业人员")
    DIFFICULTY = "difficulty", _("就业困难人员（含残疾人）")
    VETERAN = "veteran", _("退役军人")
    RELEASED = "released", _("刑满释放人员")
    GRADUATE = "graduate", _("高校毕业生（含留学回国人员）")
    OVERCAPACITY = "overcapacity", _("化解过剩产能企业职工和失业人员")
    RETURNEE = "returnee", _("返乡创业农民工")
    ONLINE = "online", _("网络商户")
    POOR = "poor", _("建档立卡贫困人口")
    FARMER = "farmer", _("农村自主创业农民")
    OTHER = "other", _("其他")


class VentureKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    INDIVIDUAL = "individual", _("个体工商户")
    COOPERATIVE = "cooperative", _("农民专业合作社")
    OTHER = "other", _("其他")


class JobBasis(models.TextChoices):
    SOCIAL_INSURANCE = "social_insurance", _("社保参保人数")
    CONTRACTS = "contracts", _("劳动合同")
    VERIFIED = "verified", _("实地核查")
