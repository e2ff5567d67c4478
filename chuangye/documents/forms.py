from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chuangye.accounts.models import Department, OrgUnit
from chuangye.documents.choices import PointsMode
from chuangye.documents.errors import DocumentError
from chuangye.documents.periods import Period, parse_period
from chuangye.plans.models import Target

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BulletinCreateForm(forms.Form):
    period = forms.CharField(
        label=_("期间"),
        max_length=10,
        help_text=_("月度写作 2025-06，季度写作 2025-Q2，年度写作 2025。"),
        widget=forms.TextInput(attrs={"placeholder": "2025-06"}),
    )
    org_unit = forms.ModelChoiceField(
        label=_("通报范围"),
        queryset=OrgUnit.objects.order_by("order", "code"),
        to_field_name="code",
    )
    number = forms.CharField(
        label=_("期号"), max_length=30, required=False, help_text=_("留空则按本年已印发期数编号。")
    )
    dated = forms.DateField(label=_("成文日期"), required=False, widget=DATE)

    def __init__(self, *args: Any, first_year: int, last_year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.first_year, self.last_year = first_year, last_year

    def clean_period(self) -> Period:
        try:
            return parse_period(
                self.cleaned_data["period"], first_year=self.first_year, last_year=self.last_year
            )
        except DocumentError as exc:
            raise forms.ValidationError(str(exc)) from None


class BulletinEditForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    number = forms.CharField(label=_("期号"), max_length=30)
    dated = forms.DateField(label=_("成文日期"), widget=DATE)
    summary = forms.CharField(
        label=_("总体情况"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8})
    )


class NoticeForm(forms.Form):
    subject = forms.CharField(label=_("督办事项"), max_length=200)
    issue = forms.CharField(label=_("存在问题"), widget=forms.Textarea(attrs={"rows": 4}))
    action = forms.CharField(label=_("督办要求"), widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label=_("办理时限"), widget=DATE)
    lead_department = forms.ModelChoiceField(
        label=_("主办单位"), queryset=Department.objects.order_by("level", "order", "code")
    )
    cc_departments = forms.ModelMultipleChoiceField(
        label=_("抄送（配合）单位"),
        queryset=Department.objects.order_by("level", "order", "code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    target = forms.ModelChoiceField(
        queryset=Target.objects.all(), required=False, widget=forms.HiddenInput
    )
    org_unit = forms.ModelChoiceField(
        queryset=OrgUnit.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.HiddenInput,
    )
    measure = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("办理情况"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )


class ResolutionForm(forms.Form):
    note = forms.CharField(
        label=_("意见"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    deadline = forms.DateField(label=_("新的办理时限"), required=False, widget=DATE)


def parse_bands(raw: str) -> list[tuple[Decimal, Decimal]]:
    """Lines of “完成率下限 得分比例”, e.g. ``90 90``; blank lines are ignored."""
    bands = []
    for number, line in enumerate((raw or "").splitlines(), start=1):
        parts = line.replace("%", " ").replace("，", " ").replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise forms.ValidationError(
                _("第 %(n)s 行应为两个数：完成率下限和得分比例") % {"n": number}
            )
        try:
            bands.append((Decimal(parts[0]), Decimal(parts[1])))
        except ArithmeticError:
            raise forms.ValidationError(_("第 %(n)s 行不是数字") % {"n": number}) from None
    return bands


class SchemeForm(forms.Form):
    mode = forms.ChoiceField(label=_("计分方式"), choices=PointsMode.choices)
    cap = forms.DecimalField(
        label=_("完成率封顶（倍）"),
        min_value=Decimal("0.1"),
        max_value=Decimal(5),
        decimal_places=2,
        help_text=_("按完成率折算时使用：1.00 表示超额完成不加分，1.20 表示最多按 120% 计。"),
    )
    bands = forms.CharField(
        label=_("分档"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("分档计分时使用，每行“完成率下限% 得分比例%”，如“90 90”。"),
    )
    lead_share = forms.DecimalField(
        label=_("牵头单位分值比例"), min_value=Decimal(0), max_value=Decimal(1), decimal_places=2
    )
    timeliness_weight = forms.DecimalField(
        label=_("报送及时性分值"), min_value=Decimal(0), max_value=Decimal(1000), decimal_places=2
    )
    flag_gap = forms.DecimalField(
        label=_("自评差异提示线（分）"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
    )

    def __init__(self, *args: Any, targets: list[Target], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = targets
        for t in targets:
            self.fields[f"w_{t.pk}"] = forms.DecimalField(
                label=t.subject,
                min_value=Decimal(0),
                max_value=Decimal(1000),
                decimal_places=2,
                widget=forms.NumberInput(attrs={"step": "0.5", "class": "numinput"}),
            )

    def clean_bands(self) -> list[tuple[Decimal, Decimal]]:
        return parse_bands(self.cleaned_data.get("bands", ""))

    def weight_fields(self) -> list[tuple[Target, forms.BoundField]]:
        return [(t, self[f"w_{t.pk}"]) for t in self.targets]

    def weights(self) -> dict[int, Decimal]:
        return {t.pk: self.cleaned_data[f"w_{t.pk}"] for t in self.targets}


class SelfAssessmentForm(forms.Form):
    subject = forms.ChoiceField(label=_("自评单位"))
    score = forms.DecimalField(
        label=_("自评得分（百分制）"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
    )
    note = forms.CharField(
        label=_("自评说明"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, subjects: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = subjects  # type: ignore[attr-defined]
