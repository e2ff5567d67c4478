from __future__ import annotations

from django.contrib import admin

from chuangye.core.admin import AuditedAdmin
from chuangye.reporting.models import Holiday, Reminder, ReportingRound, Webhook


@admin.register(Holiday)
class HolidayAdmin(AuditedAdmin):
    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    search_fields = ["name"]


@admin.register(Webhook)
class WebhookAdmin(AuditedAdmin):
    list_display = ["name", "department", "active"]
    list_filter = ["active"]


@admin.register(ReportingRound)
class ReportingRoundAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only here: dates change through the rounds page so the change is audited."""

    list_display = ["plan", "year", "month", "opens_on", "deadline", "locks_on", "locked_at"]
    readonly_fields = ["plan", "year", "month", "opens_on", "deadline", "locks_on", "locked_at"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["round", "department", "kind", "sent_on", "missing", "channels"]
    list_filter = ["kind", "sent_on"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
