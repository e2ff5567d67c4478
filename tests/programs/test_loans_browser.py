"""In the system Chromium: an entrepreneur applies, staff move the loan on, the cockpit moves."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

CHROMIUM = os.environ.get("CHUANGYE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get(
        "CHUANGYE_ARTIFACTS", Path(__file__).resolve().parents[2] / "var" / "screenshots"
    )
)
PASSWORD = "Test-Passw0rd!"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None and not os.environ.get("CI"),
        reason="system Chromium not installed (CI installs it)",
    ),
]


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Any:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself are plain synchronous calls, so Django's async guard does not apply to them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        yield page
        browser.close()


@pytest.fixture
def loan_world(plan: Any, personas: dict[str, Any], settings: Any, tmp_path: Path) -> Any:
    from chuangye.plans.services import configure_indicator
    from chuangye.programs.entrepreneurs.services import ensure_support_types
    from chuangye.programs.loans import testing
    from chuangye.programs.loans.metrics import DISBURSED

    # These personas sign in with a password only; the second factor has its own tests.
    settings.CHUANGYE_REQUIRE_2FA = False
    settings.MEDIA_ROOT = tmp_path / "media"
    testing.setup(personas, PASSWORD)
    ensure_support_types()
    configure_indicator(
        plan.indicators.get(name__contains="创业担保贷款"), actor=None, source=DISBURSED
    )
    person = testing.borrower(personas, user=personas["entrepreneur"], name="演示创业者")
    testing.venture(personas, [person], name="环翠区演示咖啡馆")
    material = tmp_path / "材料.pdf"
    material.write_bytes(testing.PDF)
    return material


def _login(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=您好")


def _loan_card(page: Any, base: str) -> str:
    day = timezone.localdate()
    following = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    page.goto(f"{base}/cockpit/?date={following.isoformat()}")
    return page.locator("article.tcard").filter(has_text="创业担保贷款").first.inner_text()


def _pass_step(page: Any, base: str, username: str, number: str) -> None:
    _login(page, base, username)
    page.goto(f"{base}/programs/loans/")
    page.click(f"a:has-text('{number}')")
    page.click("#decision-form button[value=advance]")
    page.wait_for_selector("text=已通过")


def test_entrepreneur_applies_and_the_loan_reaches_the_cockpit(
    live_server: Any, loan_world: Path, browser_page: Any
) -> None:
    from chuangye.programs.loans.models import LoanApplication

    page, base = browser_page, live_server.url
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _login(page, base, "loan_officer")
    before = _loan_card(page, base)
    assert "20.00万元" not in before

    _login(page, base, "entrepreneur")
    page.click("nav.mainnav >> text=我的贷款")
    page.click("text=申请创业担保贷款")
    page.wait_for_selector("text=个人信息处理授权书")
    page.select_option("#id_venture", index=1)
    page.select_option("#id_kind", "individual")
    page.fill("#id_amount", "200000")
    page.fill("#id_term_months", "36")
    page.fill("#id_purpose", "购置咖啡机和店面装修")
    for kind in ("id_card", "target_group", "license", "business_plan"):
        page.set_input_files(f"#id_material_{kind}", str(loan_world))
    page.check("#id_consent")
    page.click("#apply-form button[type=submit]")
    page.wait_for_selector("text=申请已提交")
    number = LoanApplication.objects.get().number
    assert page.locator("text=街道收件初审（办理中）").count() == 1

    for username in ("street_officer", "loan_officer", "guarantor_officer"):
        _pass_step(page, base, username, number)
    _login(page, base, "bank_officer")
    page.goto(f"{base}/programs/loans/")
    page.click(f"a:has-text('{number}')")
    page.fill("#id_rate", "3.45")
    page.click("#decision-form button[value=advance]")
    page.wait_for_selector("text=已通过")
    page.fill("#id_bank_loan_number", "WHYS-0001")
    page.click("#disburse-form button.primary")
    page.wait_for_selector("text=已登记放款")

    _login(page, base, "entrepreneur")
    page.goto(f"{base}/programs/loans/mine/")
    assert page.locator(".stage").first.inner_text() == "还款中"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "loan-mine.png"), full_page=True)

    _login(page, base, "loan_officer")
    after = _loan_card(page, base)
    assert after != before and "20.00万元" in after
    assert errors == []
