"""Back office: documents are read here; they are written through the app's pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chuangye.documents.models import AssessmentScheme, Bulletin, SelfAssessment, SupervisionNotice


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Bulletin)
class BulletinAdmin(ReadOnly):
    list_display = ("title", "number", "org_unit", "period_label", "status", "dated")
    list_filter = ("status", "period_kind")
    exclude = ("snapshot",)


@admin.register(SupervisionNotice)
class NoticeAdmin(ReadOnly):
    list_display = ("number", "subject", "lead_department", "deadline", "status")
    list_filter = ("status",)
    search_fields = ("number", "subject")


@admin.register(AssessmentScheme)
class SchemeAdmin(ReadOnly):
    list_display = ("plan", "year", "mode", "lead_share", "timeliness_weight")


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(ReadOnly):
    list_display = ("year", "kind", "org_unit", "department", "score")
