"""Password policy, rotation and the change page."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from chuangye.accounts.models import User
from chuangye.accounts.passwords import PasswordPolicyValidator, temporary_password
from chuangye.accounts.services import create_user, reset_password
from chuangye.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "Test-Passw0rd!"


@pytest.mark.parametrize(
    "password",
    ["Abcdef1!", "abcdefg1!", "ABCDEFG1!", "Abcdefgh1", "Chuangye@2025", "weihai_2025_X"],
)
def test_policy_accepts_eight_characters_of_three_classes(password: str) -> None:
    PasswordPolicyValidator().validate(password, User(username="zhangsan"))


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab1!xyz", "password_too_short"),  # 7 characters
        ("abcdefgh12", "password_too_simple"),  # two classes
        ("ABCDEFGH!!", "password_too_simple"),
        ("12345678", "password_too_simple"),
        ("Zhangsan@2025", "password_contains_username"),  # case-insensitive
        ("my-ZHANGSAN-1", "password_contains_username"),
    ],
)
def test_policy_refuses_with_a_chinese_reason(password: str, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PasswordPolicyValidator().validate(password, User(username="zhangsan"))
    assert code in [e.code for e in caught.value.error_list]
    assert all("密码" in m for m in caught.value.messages)


def test_short_usernames_are_not_searched_for() -> None:
    PasswordPolicyValidator().validate("Li-Passw0rd", User(username="li"))


def test_the_policy_is_installed_in_settings() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_password("abcdefgh", User(username="someone"))
    assert "至少 3 类" in " ".join(caught.value.messages)


def test_temporary_passwords_meet_the_policy() -> None:
    for _ in range(20):
        validate_password(temporary_password(), User(username="someone"))


@pytest.fixture
def alice(db: Any) -> Any:
    return create_user("alice", actor=None, password=PASSWORD, display_name="演示·路人甲")


def test_expired_password_forces_the_change_page(alice: Any, settings: Any) -> None:
    settings.PASSWORD_MAX_AGE_DAYS = 90
    client = Client()
    client.force_login(alice)
    assert client.get("/").status_code == 200
    User.objects.filter(pk=alice.pk).update(
        password_changed_at=timezone.now() - dt.timedelta(days=90, minutes=1)
    )
    response = client.get("/plan/")
    assert response.status_code == 302
    assert response["Location"] == "/account/password/?next=%2Fplan%2F"
    assert "您的密码已过期" in client.get("/account/password/").content.decode()
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["code"] == "password_expired"
    changed = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Fresh-Passw0rd#",
            "new_password2": "Fresh-Passw0rd#",
        },
    )
    assert changed.status_code == 302
    assert client.get("/").status_code == 200  # still signed in, no longer redirected
    alice.refresh_from_db()
    assert alice.check_password("Fresh-Passw0rd#")
    assert timezone.now() - alice.password_changed_at < dt.timedelta(minutes=1)
    assert AuditEntry.objects.filter(action="accounts.password.change", actor=alice).exists()


def test_password_expires_with_time(alice: Any, settings: Any) -> None:
    from chuangye.accounts.passwords import password_expired

    settings.PASSWORD_MAX_AGE_DAYS = 90
    day_89 = timezone.now() + dt.timedelta(days=89)
    day_91 = timezone.now() + dt.timedelta(days=91)
    with mock.patch("django.utils.timezone.now", return_value=day_89):
        assert not password_expired(alice)
    with mock.patch("django.utils.timezone.now", return_value=day_91):
        assert password_expired(alice)


def test_rotation_can_be_switched_off(alice: Any, settings: Any) -> None:
    from chuangye.accounts.passwords import password_expired

    settings.PASSWORD_MAX_AGE_DAYS = 0
    with mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + dt.timedelta(days=400)
    ):
        assert not password_expired(alice)


def test_change_page_applies_the_policy_and_refuses_the_same_password(alice: Any) -> None:
    client = Client()
    client.force_login(alice)
    weak = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "alice-123", "new_password2": "alice-123"},
    )
    body = weak.content.decode()
    assert weak.status_code == 200 and "不能包含用户名" in body
    same = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert "不能与当前密码相同" in same.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_changing_the_password_revokes_api_tokens(alice: Any) -> None:
    Token.objects.create(user=alice)
    client = Client()
    client.force_login(alice)
    client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Fresh-Passw0rd#",
            "new_password2": "Fresh-Passw0rd#",
        },
    )
    assert not Token.objects.filter(user=alice).exists()


def test_a_password_reset_by_an_administrator_must_be_changed(alice: Any) -> None:
    temporary = reset_password(alice, actor=None)
    client = Client()
    response = client.post("/login/", {"username": "alice", "password": temporary})
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert follow.status_code == 302 and follow["Location"].startswith("/account/password/")
    assert AuditEntry.objects.filter(action="accounts.password.reset").exists()
