"""The second factor: enrolment, verification, recovery codes, the admin site, the API token."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from chuangye.accounts.models import Department
from chuangye.accounts.services import create_user, grant_role
from chuangye.accounts.twofactor import current_code
from chuangye.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "Test-Passw0rd!"


def _password(client: Client, username: str) -> Any:
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def _verified_via_code(client: Client, code: str) -> Any:
    return client.post("/account/2fa/verify/", {"code": code, "next": "/"})


@pytest.fixture
def newcomer(city: None) -> Any:
    """A district reporter who has never enrolled an authenticator."""
    user = create_user("newcomer", actor=None, password=PASSWORD, display_name="演示·新人")
    grant_role(user, "reporter", actor=None, department=Department.objects.get(code="371002-rsj"))
    return user


def test_enrolment_then_verification_then_recovery_code_once(newcomer: Any) -> None:
    client = Client()
    response = _password(client, "newcomer")
    assert response["Location"] == "/account/2fa/verify/?next=%2F"
    response = client.get(response["Location"])
    assert response["Location"] == "/account/2fa/enrol/?next=%2F"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # no inline script (strict CSP)
    assert "no-store" in page["Cache-Control"]
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    secret = page.context["secret"].replace(" ", "")
    assert len(secret) == 32  # 20-byte key in base32

    assert client.get("/plan/")["Location"].startswith("/account/2fa/enrol/")  # still gated
    wrong = client.post("/account/2fa/enrol/", {"code": "000000", "next": "/"})
    assert "验证码不正确" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # the failed try above started django-otp's back-off

    confirmed = client.post("/account/2fa/enrol/", {"code": current_code(device.key), "next": "/"})
    codes = confirmed.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "只显示这一次" in confirmed.content.decode()
    assert client.get("/").status_code == 200  # this session is verified now
    assert AuditEntry.objects.filter(action="accounts.otp.enrol", actor=newcomer).exists()

    # A later sign-in asks for the code; a recovery code works exactly once.
    second = Client()
    _password(second, "newcomer")
    assert second.get("/")["Location"].startswith("/account/2fa/verify/")
    assert _verified_via_code(second, codes[0].upper())["Location"] == "/"
    assert second.get("/").status_code == 200
    assert StaticToken.objects.filter(device__user=newcomer).count() == 9
    assert AuditEntry.objects.filter(action="accounts.otp.recovery_used").count() == 1
    third = Client()
    _password(third, "newcomer")
    reused = _verified_via_code(third, codes[0])
    assert reused.status_code == 200 and "验证码不正确或已使用" in reused.content.decode()
    assert third.get("/")["Location"].startswith("/account/2fa/verify/")


def test_unverified_staff_reach_only_the_second_factor_pages(personas: Any) -> None:
    client = Client()
    _password(client, "coordinator")
    plan = client.get("/plan/")
    assert plan.status_code == 302
    assert plan["Location"] == "/account/2fa/verify/?next=%2Fplan%2F"
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["code"] == "otp_required"
    assert client.get("/admin/")["Location"].startswith("/account/2fa/verify/")
    assert client.get("/account/2fa/verify/").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}).status_code == 302
    assert client.post("/logout/")["Location"] == "/login/"


def test_authenticator_code_verifies_the_session_and_cannot_be_replayed(
    personas: Any, totp: Any
) -> None:
    client = Client()
    _password(client, "coordinator")
    key_before = client.session.session_key
    code = totp("coordinator")
    response = client.post("/account/2fa/verify/", {"code": code, "next": "/plan/"})
    assert response["Location"] == "/plan/"
    assert client.session.session_key != key_before
    assert client.get("/plan/").status_code == 200
    assert AuditEntry.objects.filter(action="accounts.otp.verify").count() == 1

    replay = Client()
    _password(replay, "coordinator")
    assert "验证码不正确" in _verified_via_code(replay, code).content.decode()


def test_wrong_codes_count_towards_the_lockout(personas: Any) -> None:
    client = Client()
    _password(client, "coordinator")
    for _ in range(4):
        assert _verified_via_code(client, "000000").status_code == 200
    response = _verified_via_code(client, "000000")
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="accounts.otp.failed").count() == 5
    assert AuditEntry.objects.filter(action="accounts.login.locked").exists()
    again = Client()
    refused = again.post("/login/", {"username": "coordinator", "password": PASSWORD})
    assert "登录失败次数过多" in refused.content.decode()


def test_admin_site_requires_the_verified_state(personas: Any, totp: Any) -> None:
    from django.contrib import admin

    assert Client().get("/admin/")["Location"] == "/admin/login/?next=/admin/"
    assert Client().get("/admin/login/?next=/admin/")["Location"] == "/login/?next=%2Fadmin%2F"

    request = RequestFactory().get("/admin/")
    request.user = personas["admin"]
    request.user.is_verified = lambda: False
    assert not admin.site.has_permission(request)
    request.user.is_verified = lambda: True
    assert admin.site.has_permission(request)

    client = Client()
    _password(client, "admin")
    assert client.get("/admin/")["Location"].startswith("/account/2fa/verify/")
    _verified_via_code(client, totp("admin"))
    assert client.get("/admin/").status_code == 200


def test_members_of_the_public_need_no_second_factor(personas: Any) -> None:
    client = Client()
    _password(client, "entrepreneur")
    assert client.get("/").status_code == 200


def test_switching_2fa_off_lets_password_sessions_through(personas: Any, settings: Any) -> None:
    settings.CHUANGYE_REQUIRE_2FA = False
    client = Client()
    client.force_login(personas["admin"])
    assert client.get("/admin/").status_code == 200
    assert client.get("/").status_code == 200


def test_recovery_codes_can_be_replaced(personas: Any, verified: Any) -> None:
    client = verified("coordinator")
    page = client.get("/account/security/").content.decode()
    assert "已绑定身份验证器" in page
    first = client.post("/account/2fa/recovery-codes/").context["codes"]
    second = client.post("/account/2fa/recovery-codes/").context["codes"]
    assert set(first).isdisjoint(second)
    stored = set(
        StaticToken.objects.filter(device__user=personas["coordinator"]).values_list(
            "token", flat=True
        )
    )
    assert stored == set(second)
    assert client.get("/account/2fa/recovery-codes/").status_code == 405


def test_demo_totp_prints_the_current_code_of_demo_personas_only(
    personas: Any, settings: Any, totp: Any, newcomer: Any
) -> None:
    settings.DEMO_PASSWORD = PASSWORD
    out = StringIO()
    call_command("demo_totp", "coordinator", stdout=out)
    assert out.getvalue().strip() in {totp("coordinator"), totp("coordinator", step=1)}
    with pytest.raises(CommandError):
        call_command("demo_totp", "entrepreneur")
    with pytest.raises(CommandError):
        call_command("demo_totp", "newcomer")


def test_staff_api_token_needs_an_authenticator_code(
    personas: Any, totp: Any, newcomer: Any
) -> None:
    client = APIClient()
    body = {"username": "coordinator", "password": PASSWORD}
    missing = client.post("/api/v1/auth/token", body, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "otp_invalid"
    issued = client.post("/api/v1/auth/token", {**body, "otp": totp("coordinator")}, format="json")
    assert issued.status_code == 200 and issued.json()["token"]
    not_enrolled = client.post(
        "/api/v1/auth/token", {"username": "newcomer", "password": PASSWORD}, format="json"
    )
    assert not_enrolled.status_code == 403
    assert not_enrolled.json()["code"] == "otp_enrolment_required"
    public = client.post(
        "/api/v1/auth/token", {"username": "entrepreneur", "password": PASSWORD}, format="json"
    )
    assert public.status_code == 200


def test_demo_exemption_lets_personas_in_with_the_password_alone(
    settings: Any, client: Any, db: Any
) -> None:
    """A fresh demo can be tried; a real staff account still needs its second factor."""
    from chuangye.accounts.models import Department
    from chuangye.accounts.services import create_user, grant_role
    from chuangye.demo import build_demo

    settings.CHUANGYE_DEMO_2FA_EXEMPT = True
    build_demo(password="Test-Passw0rd!")
    token = client.post(
        "/api/v1/auth/token",
        {"username": "coordinator", "password": "Test-Passw0rd!"},
        content_type="application/json",
    )
    assert token.status_code == 200 and token.json()["token"]
    # The loan programme's demo officers are personas too: the bank's officer can be tried.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from chuangye.accounts.twofactor import demo_key
    from chuangye.programs.loans.demo import ensure_loan_setup

    ensure_loan_setup(password="Test-Passw0rd!")
    for officer in ("bank_officer", "guarantor_officer"):
        signed_in = client.post(
            "/api/v1/auth/token",
            {"username": officer, "password": "Test-Passw0rd!"},
            content_type="application/json",
        )
        assert signed_in.status_code == 200, officer
        device = TOTPDevice.objects.get(user__username=officer)
        assert device.key == demo_key(officer, "Test-Passw0rd!")  # demo_totp can show its code
    real = create_user("zhang_real", actor=None, password="Real-Passw0rd!")
    grant_role(real, "reporter", actor=None, department=Department.objects.get(code="rsj"))
    refused = client.post(
        "/api/v1/auth/token",
        {"username": "zhang_real", "password": "Real-Passw0rd!"},
        content_type="application/json",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "otp_enrolment_required"
