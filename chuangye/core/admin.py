from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest

from chuangye.core import audit
from chuangye.core.models import AuditEntry


def _snapshot(obj: models.Model) -> dict[str, Any]:
    data = model_to_dict(obj)
    data.pop("password", None)  # never copy hashes into the audit log
    return {
        k: (str(v) if not isinstance(v, int | float | bool | type(None)) else v)
        for k, v in data.items()
    }


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Back-office edits are writes too: record each save and delete in the audit log."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = _snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else None
            super().save_model(request, obj, form, change)
            action = "change" if change else "create"
            audit.record(
                f"admin.{obj._meta.label_lower}.{action}",
                actor=request.user,
                obj=obj,
                before=before,
                after=_snapshot(obj),
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            before = _snapshot(obj)
            audit.record(
                f"admin.{obj._meta.label_lower}.delete", actor=request.user, obj=obj, before=before
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["at", "actor_name", "action", "object_type", "object_repr", "ip"]
    list_filter = ["action"]
    search_fields = ["actor_name", "action", "object_repr"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
