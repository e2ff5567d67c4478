from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from chuangye.plans.contract import PlanContractError, validate_plan_json

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DOCUMENT_SUFFIXES = (".txt", ".docx", ".pdf", ".json")


class UploadForm(forms.Form):
    document = forms.FileField(
        label=_("方案文件"),
        help_text=_("支持 .txt、.docx、有文字层的 .pdf，或方案 JSON；不超过 20 MB。"),
    )

    def clean_document(self) -> Any:
        f = self.cleaned_data["document"]
        name = f.name.lower()
        if not name.endswith(DOCUMENT_SUFFIXES):
            raise ValidationError(_("不支持的文件类型，请上传 .txt、.docx、.pdf 或 .json 文件。"))
        if f.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("文件超过 20 MB。"))
        if f.size == 0:
            raise ValidationError(_("文件为空。"))
        return f


class DraftJsonForm(forms.Form):
    plan_json = forms.CharField(label=_("方案 JSON"), widget=forms.Textarea(attrs={"rows": 24}))

    def clean_plan_json(self) -> dict[str, Any]:
        raw = self.cleaned_data["plan_json"]
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("JSON 格式错误（第 %(line)s 行第 %(col)s 列）：%(msg)s"),
                params={"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
            ) from None
        try:
            return validate_plan_json(data)
        except PlanContractError as exc:
            raise ValidationError(exc.errors) from None


class PlanChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return _("作为新版本替代：%(plan)s 第 %(v)s 版") % {"plan": obj, "v": obj.version}


class ImportForm(forms.Form):
    supersedes = PlanChoiceField(
        label=_("导入方式"),
        queryset=None,
        required=False,
        empty_label=_("作为新方案导入"),
        help_text=_("选择已有方案则作为其新版本导入。"),
    )
    activate = forms.BooleanField(label=_("导入后设为当前执行方案"), required=False, initial=True)

    def __init__(self, *args: Any, plans: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["supersedes"]
        assert isinstance(field, PlanChoiceField)
        field.queryset = plans
