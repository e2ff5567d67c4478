"""Security headers, no-store on signed-in pages, and a clean ``check --deploy`` for HTTPS."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from chuangye.accounts.services import create_user

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_public_page_has_the_security_headers() -> None:
    response = Client().get("/login/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"


def test_signed_in_pages_and_api_answers_are_not_stored(db: Any) -> None:
    user = create_user("alice", actor=None, password="Test-Passw0rd!")
    client = Client()
    client.force_login(user)
    page = client.get("/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    api = client.get("/api/v1/me")
    assert api.status_code == 200 and "no-store" in api["Cache-Control"]
    assert "no-store" not in Client().get("/healthz").get("Cache-Control", "")


@override_settings(SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_hsts_is_sent_over_https() -> None:
    response = Client().get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https_except_the_health_probe() -> None:
    response = Client().get("/login/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    assert Client().get("/healthz").status_code == 200


@override_settings(
    DEBUG=False,
    SECRET_KEY=secrets.token_urlsafe(60),
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=31_536_000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
    ALLOWED_HOSTS=["chuangye.example.gov.cn"],
)
def test_check_deploy_is_clean_with_production_settings() -> None:
    out = StringIO()
    call_command("check", "--deploy", "--fail-level", "WARNING", stdout=out, stderr=out)
    assert "no issues" in out.getvalue()


def test_check_deploy_is_clean_from_the_environment(tmp_path: Path) -> None:
    """The settings file itself: CHUANGYE_HTTPS=1 and a real key are all production needs."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CHUANGYE_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        CHUANGYE_DATA_DIR=str(tmp_path),
        CHUANGYE_HTTPS="1",
        CHUANGYE_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_SETTINGS_MODULE="chuangye.config.settings",
    )
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
