"""API tokens: expiry, revocation, lockout and rate limit; the public board's rate limit."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from chuangye.accounts.services import create_user
from chuangye.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "Test-Passw0rd!"


@pytest.fixture
def alice(db: Any) -> Any:
    return create_user("alice", actor=None, password=PASSWORD, display_name="演示·路人甲")


def _token(
    client: APIClient, username: str = "alice", password: str = PASSWORD, **extra: Any
) -> Any:
    return client.post(
        "/api/v1/auth/token", {"username": username, "password": password}, format="json", **extra
    )


def test_token_expires_after_the_ttl_and_a_new_sign_in_replaces_it(
    alice: Any, settings: Any
) -> None:
    settings.TOKEN_TTL_HOURS = 12
    client = APIClient()
    issued = _token(client).json()
    assert issued["expires_at"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued['token']}")
    assert client.get("/api/v1/me").status_code == 200
    later = timezone.now() + dt.timedelta(hours=12, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        expired = client.get("/api/v1/me")
        assert expired.status_code == 401
        assert expired.json()["message"] == "令牌已过期，请重新获取。"
        fresh = _token(APIClient()).json()["token"]
    assert fresh != issued["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
    assert client.get("/api/v1/me").status_code == 200


def test_revoke_deletes_the_callers_token(alice: Any) -> None:
    client = APIClient()
    token = _token(client).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/auth/token/revoke").status_code == 405
    assert client.post("/api/v1/auth/token/revoke").status_code == 204
    assert not Token.objects.filter(user=alice).exists()
    assert client.get("/api/v1/me").status_code == 401
    assert AuditEntry.objects.filter(action="accounts.token.revoke", actor=alice).exists()
    assert APIClient().post("/api/v1/auth/token/revoke").status_code == 401


def test_token_endpoint_locks_out_and_does_not_enumerate(alice: Any) -> None:
    unknown = _token(APIClient(), username="nobody", password="x", REMOTE_ADDR="10.1.0.1")
    wrong = _token(APIClient(), password="x", REMOTE_ADDR="10.1.0.2")
    assert unknown.status_code == wrong.status_code == 400
    assert (
        unknown.json()["message"] == wrong.json()["message"] == "用户名或密码不正确，请重新输入。"
    )
    for i in range(4):
        _token(APIClient(), password="x", REMOTE_ADDR=f"10.1.1.{i}")
    locked = _token(APIClient(), REMOTE_ADDR="10.1.2.1")
    assert locked.status_code == 403 and locked.json()["code"] == "locked"
    assert "登录失败次数过多" in locked.json()["message"]
    failed = AuditEntry.objects.filter(action="accounts.login.failed")
    assert failed.count() == 6 and all(e.after["channel"] == "api" for e in failed)


def test_token_endpoint_is_rate_limited_with_a_json_429(alice: Any, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "token": "2/60"}
    for _ in range(2):
        assert _token(APIClient(), REMOTE_ADDR="10.2.0.1").status_code == 200
    limited = _token(APIClient(), REMOTE_ADDR="10.2.0.1")
    assert limited.status_code == 429
    assert limited.json()["code"] == "throttled" and "请求过于频繁" in limited.json()["message"]
    assert int(limited["Retry-After"]) > 0


def test_public_board_is_rate_limited_per_ip(db: Any, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "public": "2/60"}
    client = Client()
    statuses = [client.get("/board/", REMOTE_ADDR="10.3.0.1").status_code for _ in range(3)]
    assert statuses[2] == 429 and 429 not in statuses[:2]
    page = client.get("/board/", REMOTE_ADDR="10.3.0.1")
    assert "请求过于频繁" in page.content.decode() and page["Retry-After"]
    assert client.get("/board/", REMOTE_ADDR="10.3.0.2").status_code != 429


@pytest.mark.parametrize("username", ["reporter_huancui", "coordinator", "entrepreneur"])
def test_one_statement_reads_the_token_its_user_and_their_memberships(
    personas: dict[str, Any], username: str
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chuangye.accounts.access import access_for
    from chuangye.accounts.authentication import token_holder
    from chuangye.accounts.models import User

    key = Token.objects.get_or_create(user=personas[username])[0].key
    with CaptureQueriesContext(connection) as seen:
        found = token_holder(key)
    assert found is not None and len(seen) == 1
    user, token = found
    stored = User.objects.get(pk=user.pk)
    for field in User._meta.concrete_fields:  # the same values, of the same types, as the ORM's
        mine, theirs = getattr(user, field.attname), getattr(stored, field.attname)
        assert (mine, type(mine)) == (theirs, type(theirs)), field.name
    assert token.created == Token.objects.get(key=key).created and token.user is user
    assert user._chuangye_access == access_for(stored)
    assert token_holder(key[::-1]) is None


def test_a_token_of_a_deactivated_user_or_an_unknown_one_is_refused(alice: Any) -> None:
    client = APIClient()
    key = _token(client).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["username"] == "alice"
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert client.get("/api/v1/me").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get("/api/v1/me").status_code == 401
