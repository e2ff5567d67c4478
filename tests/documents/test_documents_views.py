"""Bulletin pages: draft from data, edit the summary, issue (frozen), download; who sees what."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from chuangye.core.models import AuditEntry
from chuangye.documents.models import Bulletin

pytestmark = pytest.mark.django_db


def _draft(client: Any, period: str = "2025-06", unit: str = "371000", **extra: str) -> Bulletin:
    response = client.post(
        "/documents/bulletins/",
        {"period": period, "org_unit": unit, "number": "", "dated": "2025-07-08", **extra},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Bulletin.objects.order_by("-pk").first()  # type: ignore[return-value]


def test_coordinator_drafts_edits_and_issues_a_bulletin(scenario: Any, login: Any) -> None:
    client = login("coordinator")
    row = _draft(client)
    assert row.status == "draft" and row.number == "第 1 期"
    page = client.get(f"/documents/bulletins/{row.pk}/").content.decode()
    assert "一、总体情况" in page and "扶持创业累计800人" in page and 'id="bulletin-edit"' in page
    assert f"/documents/bulletins/{row.pk}/charts/trend.png" in page
    chart = client.get(f"/documents/bulletins/{row.pk}/charts/trend.png")
    assert chart["Content-Type"] == "image/png" and chart.content[:4] == b"\x89PNG"
    summary = "截至6月底，全市扶持创业800人，请各单位加快进度。"
    client.post(
        f"/documents/bulletins/{row.pk}/edit/",
        {"title": row.title, "number": "第 6 期", "dated": "2025-07-08", "summary": summary},
    )
    client.post(f"/documents/bulletins/{row.pk}/issue/")
    row.refresh_from_db()
    assert row.status == "issued" and row.number == "第 6 期" and row.summary == summary
    assert row.docx_file.name.endswith(".docx") and row.pdf_file and row.xlsx_file
    issue = AuditEntry.objects.get(action="documents.bulletin.issue", object_id=str(row.pk))
    assert set(issue.after["sha256"]) == {"docx", "pdf", "xlsx"}
    document = Document(
        io.BytesIO(client.get(f"/documents/bulletins/{row.pk}/download/docx/").content)
    )
    texts = [p.text for p in document.paragraphs]
    assert summary in texts and "第 6 期" in texts


def test_issued_bulletin_is_frozen(scenario: Any, login: Any, kit: Any) -> None:
    client = login("coordinator")
    row = _draft(client)
    client.post(f"/documents/bulletins/{row.pk}/issue/")
    stored = client.get(f"/documents/bulletins/{row.pk}/download/xlsx/").content
    # New figures arrive after issue: the issued bulletin does not change.
    kit.approve_figure(scenario.plan, scenario.personas, "371082", "900")
    assert client.get(f"/documents/bulletins/{row.pk}/download/xlsx/").content == stored
    sheet = load_workbook(io.BytesIO(stored))["目标完成情况"]
    assert next(sheet.iter_rows(min_row=3, values_only=True))[7] == 800
    page = client.get(f"/documents/bulletins/{row.pk}/").content.decode()
    assert "800人" in page and "1,700人" not in page and 'id="bulletin-edit"' not in page
    response = client.post(
        f"/documents/bulletins/{row.pk}/edit/",
        {"title": "改", "number": "第 9 期", "dated": "2025-07-08", "summary": "改"},
        follow=True,
    )
    assert "内容已冻结" in response.content.decode()
    client.post(f"/documents/bulletins/{row.pk}/refresh/")
    row.refresh_from_db()
    assert row.title != "改" and row.snapshot["targets"][0]["actual"] == "800.00"


def test_refresh_recomputes_a_draft_and_keeps_an_edited_summary(
    scenario: Any, login: Any, kit: Any
) -> None:
    client = login("coordinator")
    row = _draft(client)
    kit.approve_figure(scenario.plan, scenario.personas, "371082", "900")
    client.post(f"/documents/bulletins/{row.pk}/refresh/")
    row.refresh_from_db()
    assert row.snapshot["targets"][0]["actual"] == "1700.00"
    assert "扶持创业累计1,700人" in row.summary  # not edited: redrafted
    client.post(
        f"/documents/bulletins/{row.pk}/edit/",
        {"title": row.title, "number": row.number, "dated": "2025-07-08", "summary": "人工修改"},
    )
    client.post(f"/documents/bulletins/{row.pk}/refresh/")
    row.refresh_from_db()
    assert row.summary == "人工修改"


def test_issue_refuses_a_number_already_issued_that_year(scenario: Any, login: Any) -> None:
    client = login("coordinator")
    first = _draft(client, number="第 3 期")
    client.post(f"/documents/bulletins/{first.pk}/issue/")
    second = _draft(client, period="2025-Q2", number="第 3 期")
    response = client.post(f"/documents/bulletins/{second.pk}/issue/", follow=True)
    assert "已印发过第 3 期" in response.content.decode()
    second.refresh_from_db()
    assert second.status == "draft"


def test_bad_period_is_explained_on_the_form(plan: Any, login: Any) -> None:
    client = login("coordinator")
    response = client.post("/documents/bulletins/", {"period": "2025年6月", "org_unit": "371000"})
    assert response.status_code == 200 and "无法识别的期间" in response.content.decode()
    response = client.post("/documents/bulletins/", {"period": "2030", "org_unit": "371000"})
    assert "不在方案期" in response.content.decode()
    assert not Bulletin.objects.exists()


def test_draft_for_a_period_without_data_says_so(plan: Any, login: Any) -> None:
    client = login("coordinator")
    row = _draft(client, period="2025-09")
    page = client.get(f"/documents/bulletins/{row.pk}/").content.decode()
    assert "暂无2025年9月已审核的填报数据" in page and "doc-table" not in page


def test_units_see_issued_bulletins_of_the_city_and_their_district(
    scenario: Any, login: Any
) -> None:
    client = login("coordinator")
    city = _draft(client)
    wendeng = _draft(client, unit="371003", number="第 2 期")
    draft = _draft(client, period="2025-Q2", number="第 3 期")
    for row in (city, wendeng):
        client.post(f"/documents/bulletins/{row.pk}/issue/")
    huancui = login("reporter_huancui")
    assert huancui.get(f"/documents/bulletins/{city.pk}/").status_code == 200
    assert huancui.get(f"/documents/bulletins/{city.pk}/download/pdf/").status_code == 200
    assert huancui.get(f"/documents/bulletins/{wendeng.pk}/").status_code == 404
    assert huancui.get(f"/documents/bulletins/{draft.pk}/").status_code == 404
    assert huancui.post(f"/documents/bulletins/{city.pk}/issue/").status_code == 404
    assert 'id="bulletin-create"' not in huancui.get("/documents/bulletins/").content.decode()
    assert login("reporter_wendeng").get(f"/documents/bulletins/{wendeng.pk}/").status_code == 200
    assert login("leader").get(f"/documents/bulletins/{draft.pk}/").status_code == 200
    for name in ("outsider", "entrepreneur", "auditor"):
        other = login(name)
        for url in (
            "/documents/",
            "/documents/bulletins/",
            f"/documents/bulletins/{city.pk}/",
            f"/documents/bulletins/{city.pk}/download/docx/",
            f"/documents/bulletins/{city.pk}/charts/trend.png",
        ):
            assert other.get(url).status_code == 404, (name, url)


def test_overview_and_navigation(scenario: Any, login: Any) -> None:
    page = login("reporter_huancui").get("/documents/").content.decode()
    assert "通报、督办与考核" in page and 'href="/documents/"' in page
    home = login("reporter_huancui").get("/cockpit/").content.decode()
    assert "通报督办" in home
    assert "<script>" not in page
