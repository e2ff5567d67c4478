"""Sign-in and sign-out, the second factor (enrol, verify, recovery codes), password change."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticToken

from chuangye.accounts import lockout, passwords, ratelimit, services, twofactor
from chuangye.accounts.forms import CodeForm, LoginForm, PasswordChangeForm, locked_message
from chuangye.core.middleware import client_ip


def rate_limited(request: HttpRequest, retry_after: int) -> HttpResponse:
    """429 with a Chinese message: JSON for the API, a page otherwise."""
    message = _("请求过于频繁，请 %(seconds)d 秒后再试。") % {"seconds": retry_after}
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"code": "throttled", "message": message, "detail": {"retry_after": retry_after}},
            status=429,
        )
    else:
        response = render(request, "accounts/rate_limited.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def safe_next(request: HttpRequest, default: str = "") -> str:
    """The ``next`` parameter when it points into this site, else the home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or resolve_url(settings.LOGIN_REDIRECT_URL)


def with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


class LoginView(auth_views.LoginView):
    """Password sign-in with rate limit and lockout; staff continue to the second factor."""

    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        retry = ratelimit.check(
            "login", ip=client_ip(request), username=request.POST.get("username", "")
        )
        if retry is not None:
            return rate_limited(request, retry)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)  # logs in and gives the session a new key
        services.record_login_success(form.get_user())
        if not twofactor.is_satisfied(self.request):
            return redirect(with_next("otp-verify", self.get_success_url()))
        return response


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only): the session is flushed and its cookie cleared."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            services.record_logout(request.user)  # type: ignore[arg-type]
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password (also where an expired password sends its holder)."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("home")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["expired"] = passwords.password_expired(self.request.user)
        context["max_age_days"] = getattr(settings, "PASSWORD_MAX_AGE_DAYS", 90)
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("密码已修改。"))
        return response


def _lock_and_sign_out(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.error(request, locked_message())
    return redirect("login")


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask a staff user for the authenticator's code (or a recovery code) after the password."""
    user: Any = request.user
    next_url = safe_next(request)
    if twofactor.is_satisfied(request):
        return redirect(next_url)
    if not twofactor.has_device(user):
        return redirect(with_next("otp-enrol", next_url))
    ip = client_ip(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if lockout.locked_until(user.username, ip) is not None:
            services.record_login_refused(user.username, channel="otp")
            return _lock_and_sign_out(request)
        if form.is_valid():
            result = twofactor.verify(user, form.cleaned_data["code"])
            if result is not None:
                device, recovery = result
                request.session.cycle_key()
                otp_login(request, device)
                lockout.clear_failures(user.username)
                services.record_otp_result(user, ok=True, recovery=recovery)
                if recovery:
                    left = StaticToken.objects.filter(device__user=user).count()
                    messages.warning(
                        request,
                        _("您使用了一个恢复码，还剩 %(n)d 个。请尽快在“账号安全”中生成新的恢复码。")
                        % {"n": left},
                    )
                return redirect(next_url)
            locked = lockout.register_failure(user.username, ip)
            services.record_otp_result(user, ok=False, locked=locked)
            if locked:
                return _lock_and_sign_out(request)
            form.add_error("code", _("验证码不正确或已使用，请重新输入。"))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app: scan the QR code, confirm a code, keep the recovery codes."""
    user: Any = request.user
    next_url = safe_next(request)
    if not twofactor.needs_second_factor(user):
        return redirect(next_url)
    if twofactor.has_device(user):
        return redirect(with_next("otp-verify", next_url))
    device = services.start_enrolment(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.confirm_enrolment(user, device, form.cleaned_data["code"])
        if codes is not None:
            request.session.cycle_key()
            otp_login(request, device)
            return _recovery_codes_page(request, codes, next_url, first=True)
        form.add_error("code", _("验证码不正确，请核对手机时间后重新输入。"))
    secret = twofactor.secret_b32(device)
    context = {
        "form": form,
        "next": next_url,
        "qr": twofactor.qr_svg_data_uri(device),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    response = render(request, "accounts/otp_enrol.html", context)
    add_never_cache_headers(response)
    return response


def _recovery_codes_page(
    request: HttpRequest, codes: list[str], next_url: str, *, first: bool
) -> HttpResponse:
    """Show the recovery codes once, in the response to the POST that made them."""
    response = render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": next_url, "first": first},
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Replace one's recovery codes (after losing them or using several)."""
    user: Any = request.user
    if not twofactor.has_device(user):
        return redirect("account-security")
    codes = services.regenerate_recovery_codes(user, actor=user)
    return _recovery_codes_page(request, codes, reverse("account-security"), first=False)


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """One's own sign-in security: password age, second factor, recovery codes left."""
    user: Any = request.user
    context = {
        "password_changed_at": user.password_changed_at,
        "password_expires_at": passwords.expires_at(user),
        "has_device": twofactor.has_device(user),
        "required": twofactor.needs_second_factor(user),
        "recovery_left": StaticToken.objects.filter(device__user=user).count(),
    }
    return render(request, "accounts/security.html", context)
