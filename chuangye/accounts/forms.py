"""Sign-in, second-factor and password forms; each enforces the lockout and the password policy."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AdminPasswordChangeForm, AuthenticationForm
from django.contrib.auth.forms import PasswordChangeForm as BasePasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from chuangye.accounts import lockout, services
from chuangye.core.middleware import client_ip

INVALID_LOGIN = _("用户名或密码不正确，请重新输入。")
LOCKED = _(
    "登录失败次数过多，已暂时锁定，请 %(minutes)d 分钟后再试；如需立即解锁，请联系安全管理员。"
)


def locked_message() -> str:
    minutes = max(1, round(lockout.duration().total_seconds() / 60))
    return str(LOCKED) % {"minutes": minutes}


class LoginForm(AuthenticationForm):
    """Username and password, refused while the username or the client IP is locked.

    Unknown usernames and wrong passwords get the same message, and both count towards the
    lock, so the form never tells whether an account exists.
    """

    error_messages = {"invalid_login": INVALID_LOGIN, "inactive": INVALID_LOGIN}

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password")
        if not username or not password:
            return super().clean()
        ip = client_ip(self.request) if self.request is not None else None
        if lockout.locked_until(username, ip) is not None:
            services.record_login_refused(username)
            raise ValidationError(locked_message(), code="locked")
        try:
            cleaned = super().clean()
        except ValidationError:
            locked = lockout.register_failure(username, ip)
            services.record_login_failure(username, locked=locked)
            if locked:
                raise ValidationError(locked_message(), code="locked") from None
            raise
        lockout.clear_failures(username)
        return cleaned


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("验证码"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class PasswordChangeForm(BasePasswordChangeForm):
    """Django's form with the policy validators; the new password must differ from the old."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        password = cleaned.get("new_password2")
        if password and "new_password2" not in self.errors and self.user.check_password(password):
            self.add_error(
                "new_password2",
                ValidationError(_("新密码不能与当前密码相同。"), code="password_unchanged"),
            )
        return cleaned

    def save(self, commit: bool = True) -> Any:
        services.change_password(self.user, self.cleaned_data["new_password1"], actor=self.user)
        return self.user


class AdminSetPasswordForm(AdminPasswordChangeForm):
    """A password an administrator sets is temporary: the holder must change it at next sign-in."""

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        user.password_changed_at = None
        if commit:
            user.save()
        return user
