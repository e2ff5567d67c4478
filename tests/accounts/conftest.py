"""Fixtures for the security tests: the second factor is on, and the shared cache starts empty."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

PASSWORD = "Test-Passw0rd!"


@pytest.fixture(autouse=True)
def _security_settings(settings: Any) -> Iterator[None]:
    """Enforce 2FA as production does, whatever the root conftest chose for other tests."""
    settings.CHUANGYE_REQUIRE_2FA = True
    settings.CHUANGYE_DEMO_2FA_EXEMPT = False
    cache.clear()
    yield
    cache.clear()  # lockout and rate-limit counters must not leak into other tests


@pytest.fixture
def totp() -> Callable[..., str]:
    """``totp(username, step=0)``: a demo persona's authenticator code, ``step`` × 30 s from now."""
    from chuangye.accounts.twofactor import current_code, demo_key

    def _totp(username: str, *, step: int = 0) -> str:
        return current_code(demo_key(username, PASSWORD), at=time.time() + 30 * step)

    return _totp


@pytest.fixture
def verified(personas: dict[str, Any]) -> Callable[[str], Client]:
    """A client signed in as a persona whose session passed the second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def _verified(username: str) -> Client:
        user = personas[username]
        client = Client()
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return _verified


@pytest.fixture
def sign_in() -> Callable[..., Any]:
    """``sign_in(client, username, password=PASSWORD, **extra)``: POST the login form."""

    def _sign_in(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
        return client.post("/login/", {"username": username, "password": password}, **extra)

    return _sign_in
