"""A person in the system Chromium: log in, open the plan, open a measure."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHUANGYE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get(
        "CHUANGYE_ARTIFACTS", Path(__file__).resolve().parents[2] / "var" / "screenshots"
    )
)

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


def test_coordinator_logs_in_opens_plan_and_measure(
    live_server: Any, personas: dict[str, Any], browser_page: Any
) -> None:
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("#id_username", "coordinator")
    page.fill("#id_password", "Test-Passw0rd!")
    page.click("button[type=submit]")
    page.wait_for_selector("text=个量化目标")
    page.click("nav.mainnav >> text=行动方案")
    page.wait_for_selector("h1:has-text('威海市“创业威海”行动方案')")
    assert page.locator("a.mtitle").count() == 24
    page.click("a.mtitle:has-text('强化创业导师服务')")
    page.wait_for_selector("h1:has-text('强化创业导师服务')")
    assert page.locator("text=创业导师库不少于150人").count() >= 1
    assert page.locator(".role-lead").first.inner_text().startswith("市人力资源社会保障局")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "measure-20.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert errors == []


def test_coordinator_uploads_reviews_and_imports_a_plan_document(
    live_server: Any, personas: dict[str, Any], browser_page: Any, tmp_path: Path
) -> None:
    from chuangye.plans.models import Plan

    source = Path(__file__).resolve().parents[2] / "data" / "plans" / "weihai-2025-8.txt"
    edited = tmp_path / "weihai-revised.txt"
    edited.write_text(
        source.read_text(encoding="utf-8").replace("不少于 65场", "不少于 70场"), encoding="utf-8"
    )
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "coordinator")
    page.fill("#id_password", "Test-Passw0rd!")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/plan/upload/")
    page.set_input_files("input[type=file]", str(edited))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("text=识别结果")
    assert page.locator("mark.measure").count() >= 24
    assert "目标“创业促进活动”：每年>=65场 → 每年>=70场" in page.locator("#diff").inner_text()
    page.click("a[href='#src-t9']")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "plan-review.png"), full_page=False)
    page.select_option("#id_supersedes", index=1)
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("text=已导入")
    active = Plan.objects.get(is_active=True)
    assert active.version == 2
    assert active.targets.get(subject__contains="创业促进活动").value == 70


def _login(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Test-Passw0rd!")
    page.click("button[type=submit]")
    page.wait_for_selector("text=您好")


def test_report_return_fix_resubmit_approve(
    live_server: Any, live_round: Any, browser_page: Any
) -> None:
    from chuangye.reporting.models import DataValue

    page, base = browser_page, live_server.url
    _login(page, base, "reporter_huancui")
    page.click("nav.mainnav >> text=数据填报")
    inputs = page.locator("#sheet-371002-rsj input.numinput")
    for i in range(inputs.count()):
        inputs.nth(i).fill(str(10 + i))
    page.click("#sheet-371002-rsj button[value=submit]")
    page.wait_for_selector("text=已提交审核")
    _login(page, base, "approver_huancui")
    page.click("nav.mainnav >> text=数据审核")
    page.locator("#review-form input[name=ids]").first.check()
    page.fill("#reason", "数字与台账不符，请核对")
    page.click("#review-form button[value=return]")
    page.wait_for_selector("text=已退回 1 项")
    _login(page, base, "reporter_huancui")
    page.goto(f"{base}/reporting/")
    assert page.locator("text=退回原因：数字与台账不符，请核对").count() == 1
    returned = page.locator("#sheet-371002-rsj tr.row-error, #sheet-371002-rsj tr").filter(
        has_text="退回原因"
    )
    returned.locator("input.numinput").fill("11")
    page.click("#sheet-371002-rsj button[value=submit]")
    page.wait_for_selector("text=已提交审核")
    _login(page, base, "approver_huancui")
    page.goto(f"{base}/reporting/review/")
    boxes = page.locator("#review-form input[name=ids]")
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.click("#review-form button[value=approve]")
    page.wait_for_selector("text=没有待审核的数据")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-done.png"))
    statuses = set(DataValue.objects.values_list("status", flat=True))
    assert statuses == {"approved"}


def test_approved_figure_appears_on_cockpit_and_public_board(
    live_server: Any, live_round: Any, personas: dict[str, Any], browser_page: Any
) -> None:
    from chuangye.accounts.models import OrgUnit
    from chuangye.reporting import services

    plan = live_round.plan
    row = services.save_value(
        indicator=plan.indicators.get(name="扶持创业"),
        org_unit=OrgUnit.objects.get(code="371002"),
        year=2025,
        month=6,
        value="4321",
        actor=personas["reporter_huancui"],
    )
    services.submit_values([row], actor=personas["reporter_huancui"])
    page, base = browser_page, live_server.url
    page.goto(f"{base}/board/")
    card = page.locator("article.tcard").filter(has_text="扶持创业").first
    assert "4,321" not in card.inner_text()
    _login(page, base, "approver_huancui")
    page.goto(f"{base}/reporting/review/")
    page.locator("#review-form input[name=ids]").first.check()
    page.click("#review-form button[value=approve]")
    page.wait_for_selector("text=已审核通过 1 项")
    page.goto(f"{base}/cockpit/")
    card = page.locator("article.tcard").filter(has_text="扶持创业").first
    assert "4,321人" in card.inner_text()
    page.wait_for_selector("[data-chart][data-drawn='1']")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cockpit.png"), full_page=True)
    page.context.clear_cookies()
    page.goto(f"{base}/board/")
    board_card = page.locator("article.tcard").filter(has_text="扶持创业").first
    assert "4,321人" in board_card.inner_text()
