"""Request gates: second factor before anything else, expired passwords, rate limits, no-store."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from chuangye.accounts import passwords, ratelimit, twofactor
from chuangye.accounts.views import rate_limited, with_next
from chuangye.core.middleware import client_ip

Handler = Callable[[HttpRequest], HttpResponse]

#: What a signed-in but unverified staff user may still open.
SECOND_FACTOR_OPEN = frozenset({"otp-verify", "otp-enrol", "logout", "set_language"})
#: What a user whose password has expired may still open.
PASSWORD_EXPIRED_OPEN = SECOND_FACTOR_OPEN | {"password-change"}


def _url_name(request: HttpRequest) -> str:
    try:
        return resolve(request.path_info).url_name or ""
    except Resolver404:
        return ""


def _open(request: HttpRequest, names: frozenset[str]) -> bool:
    return request.path_info.startswith(settings.STATIC_URL) or _url_name(request) in names


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _next(request: HttpRequest) -> str:
    return (
        request.get_full_path()
        if request.method == "GET"
        else resolve_url(settings.LOGIN_REDIRECT_URL)
    )


class SecondFactorMiddleware:
    """A staff session that has not passed the second factor reaches only the 2FA pages.

    The rule follows ``settings.CHUANGYE_REQUIRE_2FA`` at request time (off: nothing is gated).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if twofactor.is_satisfied(request) or _open(request, SECOND_FACTOR_OPEN):
            return self.get_response(request)
        if _is_api(request):
            return JsonResponse(
                {"code": "otp_required", "message": _("请先完成双因素认证。"), "detail": None},
                status=403,
            )
        target = "otp-verify" if twofactor.has_device(request.user) else "otp-enrol"
        return redirect(with_next(target, _next(request)))


class PasswordExpiryMiddleware:
    """A user whose password has expired (or was set by an administrator) must change it first."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not _open(request, PASSWORD_EXPIRED_OPEN)
            and passwords.password_expired(user)
        ):
            if _is_api(request):
                return JsonResponse(
                    {
                        "code": "password_expired",
                        "message": _("密码已过期，请先登录网页修改密码。"),
                        "detail": None,
                    },
                    status=403,
                )
            return redirect(with_next("password-change", _next(request)))
        return self.get_response(request)


class RateLimitMiddleware:
    """Per-IP limits on public paths (``settings.RATE_LIMITED_PATHS``: prefix → rate scope)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for prefix, scope in getattr(settings, "RATE_LIMITED_PATHS", {}).items():
            if request.path_info.startswith(prefix):
                retry = ratelimit.hit(scope, client_ip(request) or "unknown")
                if retry is not None:
                    return rate_limited(request, retry)
                break
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages for a signed-in user carry personal data: browsers and proxies must not keep them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
