from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chuangye.accounts.models import OrgUnit
from chuangye.programs.entrepreneurs.choices import JobBasis, TargetGroup, VentureKind
from chuangye.programs.entrepreneurs.models import SupportType, Venture


def _districts() -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return forms.ModelChoiceField(
        label=_("区市"), queryset=OrgUnit.objects.filter(kind__in=["county", "zone"])
    )


class PersonForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, min_length=18)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    target_group = forms.ChoiceField(label=_("人员类别"), choices=TargetGroup.choices)
    district = _districts()


class ContactForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)


class VentureForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=200)
    kind = forms.ChoiceField(label=_("类型"), choices=VentureKind.choices)
    credit_code = forms.CharField(label=_("统一社会信用代码/注册号"), max_length=30, required=False)
    industry = forms.CharField(label=_("行业"), max_length=100, required=False)
    registered_on = forms.DateField(
        label=_("登记日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    address = forms.CharField(label=_("经营地址"), max_length=300, required=False)
    staff = forms.IntegerField(label=_("从业人数"), min_value=0, initial=0)
    district = _districts()


class SupportForm(forms.Form):
    support_type = forms.ModelChoiceField(label=_("扶持类型"), queryset=SupportType.objects.all())
    venture: forms.ModelChoiceField = forms.ModelChoiceField(  # type: ignore[type-arg]
        label=_("创业实体"), queryset=Venture.objects.none(), required=False
    )
    date = forms.DateField(label=_("扶持日期"), widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(
        label=_("金额（元）"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    note = forms.CharField(label=_("备注"), max_length=300, required=False)


class JobForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    jobs = forms.IntegerField(label=_("带动就业人数"), min_value=1, max_value=100000)
    basis = forms.ChoiceField(label=_("认定依据"), choices=JobBasis.choices)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)
