"""Forms of the loan pages; the services decide, the forms only collect and shape input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from chuangye.accounts.models import Department, OrgUnit
from chuangye.programs.entrepreneurs.choices import TargetGroup, VentureKind
from chuangye.programs.entrepreneurs.models import Person, Venture
from chuangye.programs.loans.choices import InstitutionKind, LoanKind, MaterialKind
from chuangye.programs.loans.models import LoanApplication, LoanPolicy, LprRate
from chuangye.programs.loans.services import LOAN_EVENTS

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
ACCEPT = ".pdf,.jpg,.jpeg,.png"
MAX_COUNT = 10_000_000


def bank_choices() -> QuerySet[Department]:
    return Department.objects.filter(
        loan_institution__kind=InstitutionKind.BANK, loan_institution__active=True
    ).order_by("order", "code")


class MaterialsMixin(forms.Form):
    """One file input per item of the checklist (``material_<kind>``)."""

    def add_material_fields(self) -> None:
        for kind, label in MaterialKind.choices:
            self.fields[f"material_{kind}"] = forms.FileField(
                label=label,
                required=False,
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
            )
        if "consent" in self.fields:  # the consent comes last, after the materials
            self.fields["consent"] = self.fields.pop("consent")

    def material_fields(self) -> list[Any]:
        return [self[f"material_{k}"] for k in MaterialKind.values]

    def uploads(self) -> list[tuple[str, Any]]:
        return [
            (k, self.cleaned_data[f"material_{k}"])
            for k in MaterialKind.values
            if self.cleaned_data.get(f"material_{k}")
        ]


class LoanFieldsMixin(forms.Form):
    kind = forms.ChoiceField(label=_("贷款类型"), choices=LoanKind.choices)
    amount = forms.DecimalField(
        label=_("申请金额（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    term_months = forms.IntegerField(label=_("申请期限（月）"), min_value=1, max_value=120)
    purpose = forms.CharField(
        label=_("贷款用途"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    staff_count = forms.IntegerField(
        label=_("在职人数（小微企业填写）"), min_value=0, max_value=MAX_COUNT, required=False
    )
    new_hires = forms.IntegerField(
        label=_("新招用符合条件人员数（小微企业填写）"),
        min_value=0,
        max_value=MAX_COUNT,
        required=False,
        initial=0,
    )
    bank = forms.ModelChoiceField(label=_("经办银行"), queryset=Department.objects.none())


class ApplyForm(LoanFieldsMixin, MaterialsMixin):
    """The entrepreneur's own application."""

    venture = forms.ModelChoiceField(label=_("创业实体"), queryset=Venture.objects.none())
    partners = forms.ModelMultipleChoiceField(
        label=_("合伙人（合伙创业时选择，须为该实体的创办人）"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent = forms.BooleanField(label=_("我已阅读并同意上述个人信息处理授权书"))

    field_order = ["venture", "kind", "amount", "term_months", "purpose", "partners"]

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ventures = person.ventures.all()
        self.fields["venture"].queryset = ventures  # type: ignore[attr-defined]
        if len(ventures) == 1:
            self.fields["venture"].initial = ventures[0].pk
        self.fields["partners"].queryset = (  # type: ignore[attr-defined]
            Person.objects.filter(ventures__in=ventures).exclude(pk=person.pk).distinct()
        )
        self.fields["partners"].label_from_instance = lambda p: str(p)  # type: ignore[attr-defined]
        self.fields["bank"].queryset = bank_choices()  # type: ignore[attr-defined]
        self.fields["bank"].initial = bank_choices().values_list("pk", flat=True).first()
        self.add_material_fields()


class StaffApplyForm(LoanFieldsMixin, MaterialsMixin):
    """An application entered by staff for a (possibly not yet registered) entrepreneur."""

    name = forms.CharField(label=_("申请人姓名"), max_length=50)
    id_number = forms.CharField(label=_("申请人身份证号"), max_length=18, min_length=18)
    phone = forms.CharField(label=_("手机号（新登记时填写）"), max_length=20, required=False)
    target_group = forms.ChoiceField(label=_("人员类别"), choices=TargetGroup.choices)
    district = forms.ModelChoiceField(
        label=_("所在区市"), queryset=OrgUnit.objects.filter(parent__isnull=False)
    )
    venture_name = forms.CharField(label=_("创业实体名称"), max_length=200)
    venture_kind = forms.ChoiceField(label=_("创业实体类型"), choices=VentureKind.choices)
    credit_code = forms.CharField(label=_("统一社会信用代码/注册号"), max_length=30, required=False)
    partner_ids = forms.CharField(
        label=_("合伙人身份证号（每行一个，须已登记）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    consent = forms.BooleanField(label=_("申请人已签署个人信息处理授权书"))

    def __init__(self, *args: Any, districts: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts  # type: ignore[attr-defined]
        self.fields["bank"].queryset = bank_choices()  # type: ignore[attr-defined]
        self.fields["bank"].initial = bank_choices().values_list("pk", flat=True).first()
        self.add_material_fields()


class ResubmitForm(MaterialsMixin):
    """What a returned application may change, and the renewed consent."""

    amount = forms.DecimalField(
        label=_("申请金额（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    term_months = forms.IntegerField(label=_("申请期限（月）"), min_value=1, max_value=120)
    purpose = forms.CharField(
        label=_("贷款用途"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    staff_count = forms.IntegerField(
        label=_("在职人数"), min_value=0, max_value=MAX_COUNT, required=False
    )
    new_hires = forms.IntegerField(
        label=_("新招用符合条件人员数"), min_value=0, max_value=MAX_COUNT, required=False
    )
    consent = forms.BooleanField(label=_("我已阅读并同意上述个人信息处理授权书"))

    def __init__(self, *args: Any, application: LoanApplication, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "amount": application.amount,
                "term_months": application.term_months,
                "purpose": application.purpose,
                "staff_count": application.staff_count,
                "new_hires": application.new_hires,
            },
        )
        super().__init__(*args, **kwargs)
        self.add_material_fields()


class DecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("advance", _("通过")), ("return", _("退回修改")), ("reject", _("不予通过"))]
    )
    reason = forms.CharField(
        label=_("意见或原因（退回、不予通过时必填）"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    approved_amount = forms.DecimalField(
        label=_("审批金额（元）"), max_digits=14, decimal_places=2, required=False
    )
    rate = forms.DecimalField(
        label=_("合同年利率（%）"), max_digits=6, decimal_places=3, required=False
    )


class DisburseForm(forms.Form):
    amount = forms.DecimalField(label=_("放款金额（元）"), max_digits=14, decimal_places=2)
    disbursed_on = forms.DateField(label=_("放款日期"), widget=DATE)
    bank_loan_number = forms.CharField(label=_("银行贷款编号"), max_length=40)


class LoanEventForm(forms.Form):
    action = forms.ChoiceField(choices=list(LOAN_EVENTS.items()))
    on = forms.DateField(label=_("日期"), widget=DATE)
    amount = forms.DecimalField(
        label=_("代偿金额（元）"), max_digits=14, decimal_places=2, required=False
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("放款清单（.xlsx）"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )
    bank = forms.ModelChoiceField(label=_("经办银行"), queryset=Department.objects.none())

    def __init__(self, *args: Any, banks: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
            pk__in=[b.pk for b in banks]
        )
        if banks:
            self.fields["bank"].initial = banks[0].pk


class PolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = LoanPolicy
        fields = [
            "name",
            "effective_from",
            "source",
            "individual_cap",
            "partnership_max_partners",
            "partnership_rule",
            "partnership_cap",
            "partnership_markup_percent",
            "enterprise_cap",
            "enterprise_hire_percent",
            "enterprise_hire_percent_large",
            "enterprise_large_staff",
            "individual_max_term_months",
            "enterprise_max_term_months",
            "max_loans_per_borrower",
            "borrower_spread_bp",
            "rate_cap_spread_bp",
            "day_count_basis",
            "eligible_groups",
            "consent_version",
            "consent_text",
        ]
        widgets = {
            "effective_from": DATE,
            "source": forms.Textarea(attrs={"rows": 3}),
            "consent_text": forms.Textarea(attrs={"rows": 6}),
        }

    eligible_groups = forms.MultipleChoiceField(
        label=_("可申请的人员类别"),
        choices=[c for c in TargetGroup.choices if c[0] != TargetGroup.OTHER],
        widget=forms.CheckboxSelectMultiple,
    )


class LprForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = LprRate
        fields = ["effective_on", "one_year", "source", "note"]
        widgets = {"effective_on": DATE}
