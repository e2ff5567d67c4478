"""The back office (/admin/): open to administrator roles, and only after the second factor."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from chuangye.accounts.access import access_for


class AdminSite(admin.AdminSite):
    """Django's admin site with the platform's sign-in, roles and second factor.

    Signing in goes through the platform's login page (lockout, rate limit, audit); the system,
    security and audit administrator roles enter without ``is_staff`` and see what their
    group's permissions allow.
    """

    def has_permission(self, request: HttpRequest) -> bool:
        from chuangye.accounts import twofactor  # models: not importable while apps load

        user = request.user
        return user.is_active and access_for(user).back_office and twofactor.is_satisfied(request)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        from chuangye.accounts import twofactor

        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            return redirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': next_url})}")
        if not twofactor.is_satisfied(request):
            return redirect(f"{reverse('otp-verify')}?{urlencode({'next': next_url})}")
        raise PermissionDenied  # signed in, verified, but no back-office role

    # The stubs narrow these views to TemplateResponse; Django itself accepts any response.
    def logout(  # type: ignore[override]
        self, request: HttpRequest, extra_context: Any = None
    ) -> HttpResponse:
        from chuangye.accounts.views import LogoutView

        return LogoutView.as_view()(request)

    def password_change(  # type: ignore[override]
        self, request: HttpRequest, extra_context: Any = None
    ) -> HttpResponse:
        """One password-change page for everyone: the platform's, with policy and audit."""
        return redirect("password-change")


class AccountsAdminConfig(AdminConfig):
    """``django.contrib.admin`` with :class:`AdminSite` as ``admin.site``."""

    default_site = "chuangye.accounts.admin_site.AdminSite"
