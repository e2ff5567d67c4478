from __future__ import annotations

from django.contrib import admin

from chuangye.core.admin import AuditedAdmin
from chuangye.plans.models import Indicator, Measure, Plan, Responsibility, Section, Target


class SectionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Section
    extra = 0


class ResponsibilityInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Responsibility
    extra = 0


@admin.register(Plan)
class PlanAdmin(AuditedAdmin):
    list_display = ["title", "doc_number", "version", "issued_on", "is_active", "period_start"]
    exclude = ["source_text"]
    inlines = [SectionInline]


@admin.register(Measure)
class MeasureAdmin(AuditedAdmin):
    list_display = ["number", "title", "section", "plan"]
    list_filter = ["plan", "section"]
    search_fields = ["title", "text"]
    inlines = [ResponsibilityInline]


@admin.register(Indicator)
class IndicatorAdmin(AuditedAdmin):
    list_display = ["code", "name", "unit", "aggregation", "source", "owner", "plan"]
    list_filter = ["plan", "source"]


@admin.register(Target)
class TargetAdmin(AuditedAdmin):
    list_display = ["order", "subject", "comparator", "value", "unit", "per_year", "org_unit"]
    list_filter = ["plan", "per_year", "comparator"]
    search_fields = ["text", "subject"]
