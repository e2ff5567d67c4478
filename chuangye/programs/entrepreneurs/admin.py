from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from chuangye.core.admin import AuditedAdmin
from chuangye.programs.entrepreneurs.models import Person, SupportType


@admin.register(SupportType)
class SupportTypeAdmin(AuditedAdmin):
    list_display = ["code", "name", "has_amount", "order"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Masked, read-only: personal data changes go through the registry pages (audited)."""

    list_display = ["name", "id_masked", "phone_masked", "district", "first_supported_on"]
    search_fields = ["name"]
    fields = (
        "name",
        "id_masked",
        "phone_masked",
        "gender",
        "birth_date",
        "target_group",
        "district",
        "first_supported_on",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Person]:
        return super().get_queryset(request).with_first_support()  # type: ignore[attr-defined,no-any-return]

    @admin.display(description="首次获扶持日期", ordering="first_supported_on")
    def first_supported_on(self, obj: Any) -> Any:
        return getattr(obj, "first_supported_on", None)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
