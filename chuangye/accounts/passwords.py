"""Password policy: complexity (等保 2.0), rotation, temporary passwords set by administrators."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

#: The four character classes; a password needs at least ``min_classes`` of them.
CHARACTER_CLASSES: tuple[tuple[str, Any], ...] = (
    ("upper", str.isupper),
    ("lower", str.islower),
    ("digit", str.isdigit),
    ("other", lambda c: not c.isalnum() and not c.isspace()),
)
#: Usernames shorter than this are not searched for inside passwords (too many false hits).
MIN_USERNAME_TO_CHECK = 3


def character_classes(password: str) -> set[str]:
    """Return the classes (upper, lower, digit, other) present in ``password``."""
    return {name for name, test in CHARACTER_CLASSES if any(test(c) for c in password)}


class PasswordPolicyValidator:
    """At least ``min_length`` characters, ``min_classes`` of 4 classes, and not the username."""

    def __init__(self, min_length: int = 8, min_classes: int = 3) -> None:
        self.min_length = min_length
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        errors: list[ValidationError] = []
        if len(password) < self.min_length:
            errors.append(
                ValidationError(
                    _("密码至少需要 %(n)d 个字符。"),
                    code="password_too_short",
                    params={"n": self.min_length},
                )
            )
        if len(character_classes(password)) < self.min_classes:
            errors.append(
                ValidationError(
                    _("密码须包含大写字母、小写字母、数字、特殊符号中的至少 %(n)d 类。"),
                    code="password_too_simple",
                    params={"n": self.min_classes},
                )
            )
        username = str(getattr(user, "username", "") or "").lower()
        if len(username) >= MIN_USERNAME_TO_CHECK and username in password.lower():
            errors.append(
                ValidationError(_("密码不能包含用户名。"), code="password_contains_username")
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _(
            "至少 %(length)d 个字符，包含大写字母、小写字母、数字、特殊符号中的"
            "至少 %(classes)d 类，且不能包含用户名。"
        ) % {"length": self.min_length, "classes": self.min_classes}


def max_age() -> dt.timedelta | None:
    """The rotation period (``PASSWORD_MAX_AGE_DAYS``); None when rotation is switched off."""
    days = int(getattr(settings, "PASSWORD_MAX_AGE_DAYS", 90))
    return dt.timedelta(days=days) if days > 0 else None


def expires_at(user: Any) -> dt.datetime | None:
    """When the user's password expires (None: never, or already due because it was reset)."""
    period = max_age()
    changed = getattr(user, "password_changed_at", None)
    if period is None or changed is None:
        return None
    return changed + period


def password_expired(user: Any) -> bool:
    """True when the user must choose a new password before doing anything else."""
    if not getattr(user, "is_authenticated", False) or not user.has_usable_password():
        return False
    if user.password_changed_at is None:
        return True  # set by an administrator: the holder must replace it
    deadline = expires_at(user)
    return deadline is not None and timezone.now() >= deadline


def temporary_password(length: int = 14) -> str:
    """A random password that meets the policy, for an administrator's reset."""
    alphabet = string.ascii_letters + string.digits + "@#%*-_+="
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if len(character_classes(candidate)) == len(CHARACTER_CLASSES):
            return candidate
