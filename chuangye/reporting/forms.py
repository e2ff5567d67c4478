from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chuangye.reporting.choices import MeasureStatus


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("附件"))


class ProgressForm(forms.Form):
    narrative = forms.CharField(label=_("工作进展"), widget=forms.Textarea(attrs={"rows": 4}))
    measure_status = forms.ChoiceField(label=_("自评状态"), choices=MeasureStatus.choices)
    cause = forms.CharField(
        label=_("滞后原因"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    remedy = forms.CharField(
        label=_("整改措施"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    remedy_due = forms.DateField(
        label=_("整改完成时限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class RoundDatesForm(forms.Form):
    opens_on = forms.DateField(label=_("开始填报"), widget=forms.DateInput(attrs={"type": "date"}))
    deadline = forms.DateField(label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}))
    locks_on = forms.DateField(label=_("锁定日期"), widget=forms.DateInput(attrs={"type": "date"}))
