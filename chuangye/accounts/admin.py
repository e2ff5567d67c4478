from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from chuangye.accounts.models import Department, Membership, OrgUnit, User
from chuangye.core.admin import AuditedAdmin


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    autocomplete_fields = ["department", "org_unit"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):  # type: ignore[misc]
    list_display = ["username", "display_name", "is_active", "is_staff", "last_login"]
    search_fields = ["username", "display_name"]
    inlines = [MembershipInline]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (_("平台信息"), {"fields": ("display_name",)}),
    )


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditedAdmin):
    list_display = ["code", "name", "short_name", "kind", "parent", "population"]
    search_fields = ["code", "name", "short_name"]


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["code", "name", "level", "org_unit", "counterpart"]
    list_filter = ["level", "org_unit"]
    search_fields = ["code", "name"]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "role", "department", "org_unit", "active"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "user__display_name"]
    autocomplete_fields = ["user", "department", "org_unit"]
