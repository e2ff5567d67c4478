from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from chuangye.accounts import lockout, services
from chuangye.accounts.choices import ADMIN_ROLES, Role
from chuangye.accounts.forms import AdminSetPasswordForm
from chuangye.accounts.models import Department, Membership, OrgUnit, SecurityAuditEntry, User
from chuangye.core.admin import AuditedAdmin

#: Fields only a superuser may change: they would let an administrator widen their own powers.
SUPERUSER_ONLY_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def is_administrator(user: User) -> bool:
    """A superuser or a holder of an administrator role: only a superuser may change them."""
    return user.is_superuser or user.memberships.filter(role__in=list(ADMIN_ROLES)).exists()


def _grantable_roles(request: HttpRequest) -> list[tuple[str, Any]]:
    if request.user.is_superuser:
        return list(Role.choices)
    return [(value, label) for value, label in Role.choices if value not in ADMIN_ROLES]


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    autocomplete_fields = ["department", "org_unit"]

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role":
            kwargs["choices"] = _grantable_roles(request)
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):  # type: ignore[misc]
    list_display = [
        "username",
        "display_name",
        "is_active",
        "is_staff",
        "last_login",
        "password_changed_at",
        "second_factor",
        "login_lock",
    ]
    search_fields = ["username", "display_name"]
    inlines = [MembershipInline]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (gettext_lazy("平台信息"), {"fields": ("display_name", "password_changed_at")}),
    )
    change_password_form = AdminSetPasswordForm
    actions = ["unlock_login", "reset_second_factor", "reset_password"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        fields.append("password_changed_at")
        if not request.user.is_superuser:
            fields.extend(SUPERUSER_ONLY_FIELDS)
        return fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if obj is not None and not request.user.is_superuser and is_administrator(obj):
            return False
        return allowed

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        if obj is not None and not request.user.is_superuser and is_administrator(obj):
            return False
        return allowed

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.password_changed_at = None  # the first password is the administrator's: replace it
        super().save_model(request, obj, form, change)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        """Setting someone's password is the security administrator's (or a superuser's) task."""
        if not request.user.has_perm("accounts.reset_password"):
            raise PermissionDenied
        user = self.get_object(request, unquote(id))
        if user is not None and not request.user.is_superuser and is_administrator(user):
            raise PermissionDenied
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302 and user is not None:
            services.record_password_set_by_admin(user, actor=request.user)
        return response

    @admin.display(description=gettext_lazy("双因素认证"), boolean=True)
    def second_factor(self, obj: User) -> bool:
        return TOTPDevice.objects.filter(user=obj, confirmed=True).exists()

    @admin.display(description=gettext_lazy("登录锁定至"))
    def login_lock(self, obj: User) -> str:
        until = lockout.user_locked_until(obj.username)
        return until.astimezone().strftime("%Y-%m-%d %H:%M") if until else ""

    # --- security administrator's actions ------------------------------------------------------

    def has_unlock_login_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.unlock_login")

    def has_reset_second_factor_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.reset_second_factor")

    def has_reset_password_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.reset_password")

    def _targets(self, request: HttpRequest, queryset: QuerySet[User]) -> list[User]:
        """Users the caller may act on; administrators are left to a superuser."""
        users = list(queryset)
        if request.user.is_superuser:
            return users
        allowed = [u for u in users if not is_administrator(u)]
        skipped = [u.username for u in users if u not in allowed]
        if skipped:
            self.message_user(
                request,
                _("管理员账号只能由超级管理员处理，已跳过：%(names)s")
                % {"names": "、".join(skipped)},
                messages.WARNING,
            )
        return allowed

    @admin.action(description=gettext_lazy("解除登录锁定"), permissions=["unlock_login"])
    def unlock_login(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset)
        for user in users:
            services.unlock_login(actor=request.user, user=user)
        self.message_user(request, _("已解除 %(n)d 个账号的登录锁定。") % {"n": len(users)})

    @admin.action(
        description=gettext_lazy("重置双因素认证（下次登录重新绑定）"),
        permissions=["reset_second_factor"],
    )
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = self._targets(request, queryset)
        for user in users:
            services.reset_second_factor(user, actor=request.user)
        self.message_user(request, _("已重置 %(n)d 个账号的双因素认证。") % {"n": len(users)})

    @admin.action(
        description=gettext_lazy("重置密码（生成临时密码，下次登录须修改）"),
        permissions=["reset_password"],
    )
    def reset_password(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        users = self._targets(request, queryset)
        if not users:
            return None
        rows = [(user, services.reset_password(user, actor=request.user)) for user in users]
        context = {
            **self.admin_site.each_context(request),
            "title": _("临时密码"),
            "rows": rows,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "accounts/admin_temporary_passwords.html", context)


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

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role":
            kwargs["choices"] = _grantable_roles(request)
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if obj is not None and not request.user.is_superuser and obj.role in ADMIN_ROLES:
            return False
        return allowed

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        if obj is not None and not request.user.is_superuser and obj.role in ADMIN_ROLES:
            return False
        return allowed


@admin.register(SecurityAuditEntry)
class SecurityAuditEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Sign-in, second-factor, password and token rows, read-only, for security administrators."""

    list_display = ["at", "actor_name", "action", "object_repr", "ip"]
    list_filter = ["action"]
    search_fields = ["actor_name", "action", "object_repr", "ip"]
    readonly_fields = [f.name for f in SecurityAuditEntry._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SecurityAuditEntry]:
        condition = Q()
        for prefix in services.SECURITY_AUDIT_PREFIXES:
            condition |= Q(action__startswith=prefix)
        return super().get_queryset(request).filter(condition)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
