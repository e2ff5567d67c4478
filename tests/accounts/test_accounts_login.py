"""Sign-in: lockout per username and per client IP, no enumeration, sessions, rate limit."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from chuangye.accounts.services import create_user
from chuangye.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "Test-Passw0rd!"
WRONG = "Wrong-Passw0rd!"
INVALID = "用户名或密码不正确"
LOCKED = "登录失败次数过多"


@pytest.fixture
def alice(db: Any) -> Any:
    """A member of the public: no second factor, so sign-in ends at the password."""
    return create_user("alice", actor=None, password=PASSWORD, display_name="演示·路人甲")


def _post(client: Client, username: str, password: str, ip: str = "10.0.0.1", **extra: Any) -> Any:
    return client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_unknown_user_and_wrong_password_get_the_same_message(alice: Any) -> None:
    wrong_password = _post(Client(), "alice", WRONG)
    unknown_user = _post(Client(), "nobody", WRONG, ip="10.0.0.2")
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert wrong_password.context["form"].errors == unknown_user.context["form"].errors
    assert INVALID in wrong_password.content.decode()


def test_five_failures_lock_the_username_even_with_the_right_password(alice: Any) -> None:
    for i in range(4):
        assert INVALID in _post(Client(), "alice", WRONG, ip=f"10.0.1.{i}").content.decode()
    fifth = _post(Client(), "alice", WRONG, ip="10.0.1.9").content.decode()
    assert LOCKED in fifth and "15 分钟" in fifth
    client = Client()
    refused = _post(client, "Alice", PASSWORD, ip="10.0.1.10").content.decode()
    assert LOCKED in refused and not _signed_in(client)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions.count("accounts.login.failed") == 5
    assert actions.count("accounts.login.locked") == 2  # when it locked, and the refused attempt
    failed = AuditEntry.objects.filter(action="accounts.login.failed").first()
    assert failed is not None and failed.actor is None and failed.ip.startswith("10.0.1.")
    assert "password" not in str(failed.after).lower()


def test_an_unknown_username_locks_with_the_same_message(alice: Any) -> None:
    for i in range(5):
        _post(Client(), "nobody", WRONG, ip=f"10.0.2.{i}")
    known = [_post(Client(), "alice", WRONG, ip=f"10.0.3.{i}") for i in range(5)][-1]
    unknown = _post(Client(), "nobody", WRONG, ip="10.0.2.99")
    assert LOCKED in known.content.decode() and LOCKED in unknown.content.decode()


def test_five_failures_from_one_ip_lock_that_ip_for_every_username(alice: Any) -> None:
    for name in ["bob", "carol", "dave", "erin", "frank"]:
        _post(Client(), name, WRONG, ip="10.0.4.1")
    blocked = Client()
    assert LOCKED in _post(blocked, "alice", PASSWORD, ip="10.0.4.1").content.decode()
    assert not _signed_in(blocked)
    elsewhere = Client()
    assert _post(elsewhere, "alice", PASSWORD, ip="10.0.4.2").status_code == 302
    assert _signed_in(elsewhere)


def test_success_forgets_the_users_failures(alice: Any) -> None:
    for i in range(4):
        _post(Client(), "alice", WRONG, ip=f"10.0.5.{i}")
    assert _post(Client(), "alice", PASSWORD, ip="10.0.5.8").status_code == 302
    for i in range(4):
        _post(Client(), "alice", WRONG, ip=f"10.0.6.{i}")
    assert _post(Client(), "alice", PASSWORD, ip="10.0.6.8").status_code == 302


def test_lock_ends_after_the_configured_duration(alice: Any, settings: Any) -> None:
    settings.LOGIN_LOCKOUT_SECONDS = 600
    for i in range(5):
        _post(Client(), "alice", WRONG, ip=f"10.0.7.{i}")
    assert LOCKED in _post(Client(), "alice", PASSWORD, ip="10.0.7.9").content.decode()
    later = timezone.now() + dt.timedelta(seconds=540)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert LOCKED in _post(Client(), "alice", PASSWORD, ip="10.0.7.9").content.decode()
    later = timezone.now() + dt.timedelta(seconds=601)
    with mock.patch("django.utils.timezone.now", return_value=later):
        client = Client()
        assert _post(client, "alice", PASSWORD, ip="10.0.7.9").status_code == 302
        assert _signed_in(client)


def test_forwarded_for_is_ignored_without_a_trusted_proxy(alice: Any, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    for i in range(5):  # an attacker rotating a forged header still counts against REMOTE_ADDR
        _post(Client(), f"user{i}", WRONG, ip="10.0.8.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    client = Client()
    response = _post(client, "alice", PASSWORD, ip="10.0.8.1", HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert LOCKED in response.content.decode() and not _signed_in(client)
    entry = AuditEntry.objects.filter(action="accounts.login.failed").first()
    assert entry is not None and entry.ip == "10.0.8.1"


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(alice: Any, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.9.1"
    for i in range(5):
        _post(Client(), f"user{i}", WRONG, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
    # The same client cannot escape by prepending a forged hop: the proxy's entry is the last.
    spoofed = Client()
    response = _post(
        spoofed, "alice", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5"
    )
    assert LOCKED in response.content.decode() and not _signed_in(spoofed)
    # Another client behind the same proxy is not locked out with it.
    other = Client()
    assert (
        _post(other, "alice", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code
        == 302
    )
    assert _signed_in(other)
    entry = AuditEntry.objects.filter(action="accounts.login.failed").first()
    assert entry is not None and entry.ip == "203.0.113.5"


def test_sign_in_gives_a_new_session_key_and_is_audited(alice: Any) -> None:
    client = Client()
    session = client.session
    session["visited"] = True
    session.save()
    before = session.session_key
    assert _post(client, "alice", PASSWORD).status_code == 302
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()
    success = AuditEntry.objects.get(action="accounts.login.success")
    assert success.object_id == str(alice.pk)


def test_logout_is_post_only_and_ends_the_session(alice: Any) -> None:
    client = Client()
    client.force_login(alice)
    key = client.session.session_key
    assert client.get("/logout/").status_code == 405
    assert client.get("/").status_code == 200
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/")["Location"].startswith("/login/")
    assert AuditEntry.objects.filter(action="accounts.logout").exists()


def test_idle_session_expires_but_activity_keeps_it_alive(alice: Any, settings: Any) -> None:
    age = settings.SESSION_COOKIE_AGE
    assert settings.SESSION_SAVE_EVERY_REQUEST
    client = Client()
    client.force_login(alice)
    start = timezone.now()
    for offset in [age - 60, 2 * age - 120]:  # each request restarts the idle clock
        with mock.patch(
            "django.utils.timezone.now", return_value=start + dt.timedelta(seconds=offset)
        ):
            assert client.get("/").status_code == 200
    idle = start + dt.timedelta(seconds=3 * age)
    with mock.patch("django.utils.timezone.now", return_value=idle):
        response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_login_is_rate_limited_per_ip_and_per_username(alice: Any, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/60", "login_user": "100/60"}
    for _ in range(3):
        assert _post(Client(), "alice", PASSWORD, ip="10.0.10.1").status_code == 302
    limited = _post(Client(), "alice", PASSWORD, ip="10.0.10.1")
    assert limited.status_code == 429
    assert "请求过于频繁" in limited.content.decode()
    assert int(limited["Retry-After"]) > 0
    assert _post(Client(), "alice", PASSWORD, ip="10.0.10.2").status_code == 302

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "100/60", "login_user": "2/60"}
    for i in range(2):
        _post(Client(), "carol", WRONG, ip=f"10.0.11.{i}")
    assert _post(Client(), "carol", WRONG, ip="10.0.11.9").status_code == 429


def test_rate_limit_window_resets(alice: Any, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "1/60"}
    now = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=now):
        _post(Client(), "alice", PASSWORD, ip="10.0.12.1")
        assert _post(Client(), "alice", PASSWORD, ip="10.0.12.1").status_code == 429
    with mock.patch("django.utils.timezone.now", return_value=now + dt.timedelta(seconds=61)):
        assert _post(Client(), "alice", PASSWORD, ip="10.0.12.1").status_code == 302
