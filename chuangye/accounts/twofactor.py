"""The second factor (TOTP, with single-use recovery codes) for staff and administrators.

Built on django-otp: a confirmed ``TOTPDevice`` is the authenticator app, a ``StaticDevice``
holds the recovery codes. A session is verified once ``django_otp.login`` has stored a device.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from binascii import unhexlify
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_otp import user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from chuangye.accounts.access import access_for

TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"
RECOVERY_CODES = 10


def required() -> bool:
    """Whether the platform enforces the second factor (``CHUANGYE_REQUIRE_2FA``, read per call)."""
    return bool(getattr(settings, "CHUANGYE_REQUIRE_2FA", True))


def demo_exempt(user: Any) -> bool:
    """Demo personas sign in with the published demo password alone while the demo exemption
    (``CHUANGYE_DEMO_2FA_EXEMPT``, on by default so a fresh demo can be tried) is on; a
    production deployment turns it off and every staff account then needs its second factor."""
    if not getattr(settings, "CHUANGYE_DEMO_2FA_EXEMPT", True):
        return False
    from chuangye.demo import persona_names

    return getattr(user, "username", None) in {name for name, _display in persona_names()}


def needs_second_factor(user: Any) -> bool:
    """Staff roles (all but the public's), ``is_staff`` and superusers need a second factor."""
    return required() and access_for(user).needs_second_factor and not demo_exempt(user)


def is_satisfied(request: HttpRequest) -> bool:
    """The session may proceed: no second factor is needed, or a device verified this session.

    With ``CHUANGYE_REQUIRE_2FA`` off every session counts as verified (local development,
    tests that sign in with ``force_login``).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return True
    if not needs_second_factor(user):
        return True
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def has_device(user: Any) -> bool:
    """The user finished enrolment (a confirmed authenticator)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def has_any_device(user: Any) -> bool:
    return bool(user_has_device(user, confirmed=True))


def pending_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def secret_b32(device: TOTPDevice) -> str:
    """The secret as the authenticator app shows it (base32, no padding)."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def qr_svg_data_uri(device: TOTPDevice) -> str:
    """The enrolment QR code as an SVG ``data:`` URI (allowed by the CSP's ``img-src data:``)."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(device.config_url, image_factory=SvgPathImage, box_size=8)
    svg = image.to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def current_code(key_hex: str, *, at: float | None = None) -> str:
    """The six-digit code of a hex TOTP key at ``at`` (now by default)."""
    totp = TOTP(unhexlify(key_hex.encode()), step=30, t0=0, digits=6)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def demo_key(username: str, password: str) -> str:
    """The demo personas' TOTP key: derived from the demo password, so anyone can reproduce it."""
    digest = hmac.new(password.encode(), f"chuangye-demo-totp:{username}".encode(), hashlib.sha1)
    return digest.hexdigest()


def verify(user: Any, code: str) -> tuple[Any, bool] | None:
    """Check ``code``: six digits against the authenticator, anything else as a recovery code.

    Return (device, was_recovery_code) on success, None otherwise. Recovery codes are deleted
    as they are used; the authenticator refuses a code it already accepted. Keeping the two
    apart means a mistyped app code does not throttle the recovery codes, nor the reverse.
    """
    from django_otp import verify_token

    code = "".join(code.split()).lower()
    if not code:
        return None
    if len(code) == 6 and code.isdigit():
        for totp in TOTPDevice.objects.filter(user=user, confirmed=True):
            if verify_token(user, totp.persistent_id, code):
                return totp, False
        return None
    for static in StaticDevice.objects.filter(user=user, confirmed=True):
        if verify_token(user, static.persistent_id, code):
            return static, True
    return None
