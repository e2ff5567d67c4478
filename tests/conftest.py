"""Shared fixtures: the city, the bundled plan, and named personas (including an outsider)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_JSON = ROOT / "data" / "plans" / "weihai-2025-8.json"
BUNDLED_TEXT = ROOT / "data" / "plans" / "weihai-2025-8.txt"
PASSWORD = "Test-Passw0rd!"


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Pages are tested behind a password login; the second factor has its own tests.
    settings.CHUANGYE_REQUIRE_2FA = False
    # Rate-limit counters and cached progress must not leak from one test into the next.
    from django.core.cache import cache

    cache.clear()
    # Tests render templates without a collectstatic run, so no hashed manifest exists.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def weihai_json() -> dict[str, Any]:
    return json.loads(BUNDLED_JSON.read_text(encoding="utf-8"))


@pytest.fixture
def city(db: Any) -> None:
    from chuangye.accounts.services import ensure_reference_data

    ensure_reference_data(actor=None)


@pytest.fixture
def plan(city: None, weihai_json: dict[str, Any]) -> Any:
    from chuangye.plans.services import import_plan

    return import_plan(
        weihai_json, actor=None, source_text=BUNDLED_TEXT.read_text(encoding="utf-8")
    )


@pytest.fixture
def personas(plan: Any) -> dict[str, Any]:
    """The demo personas of ARCHITECTURE.md plus ``outsider``: signed in, no role anywhere."""
    from chuangye.accounts.models import User
    from chuangye.accounts.services import create_user
    from chuangye.demo import build_demo

    build_demo(scale=1, password=PASSWORD)
    create_user("outsider", actor=None, password=PASSWORD, display_name="路人")
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def login(personas: dict[str, Any]) -> Any:
    """Return a logged-in test client for a persona name."""

    def _login(username: str) -> Client:
        client = Client()
        client.force_login(personas[username])
        return client

    return _login


@pytest.fixture
def live_round(plan: Any, personas: dict[str, Any]) -> Any:
    """June 2025's round, with its window moved around today so pages can write to it."""
    from chuangye.reporting import services
    from chuangye.reporting.models import ReportingRound

    services.ensure_rounds(plan, dt.date(2025, 7, 2))
    today = timezone.localdate()
    rnd = ReportingRound.objects.get(plan=plan, year=2025, month=6)
    return services.set_round_dates(
        rnd,
        opens_on=today - dt.timedelta(days=3),
        deadline=today + dt.timedelta(days=3),
        locks_on=today + dt.timedelta(days=10),
        actor=personas["coordinator"],
    )
