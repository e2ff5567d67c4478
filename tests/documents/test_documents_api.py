"""``/api/v1/bulletins``, ``/api/v1/supervision-notices`` and ``/api/v1/assessments``: the pages'
capabilities with the same services and scoping; refusals are JSON with a code and a message."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from chuangye.core.models import AuditEntry
from chuangye.documents.models import AssessmentScheme, Bulletin, SelfAssessment, SupervisionNotice
from chuangye.reporting.models import Notification

pytestmark = pytest.mark.django_db

BULLETINS = "/api/v1/bulletins"
NOTICES = "/api/v1/supervision-notices"
ASSESSMENTS = "/api/v1/assessments"


@pytest.fixture
def api(scenario: Any) -> Any:
    """A signed-in API client for a persona name."""

    def _client(name: str) -> Client:
        client = Client()
        client.force_login(scenario.personas[name])
        return client

    return _client


def _json(client: Client, url: str, body: dict[str, Any], method: str = "post") -> Any:
    return getattr(client, method)(url, body, content_type="application/json")


def _error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()[:2000]
    body = response.json()
    assert body["message"] and body["code"]
    if code is not None:
        assert body["code"] == code, body
    return body


def _draft(client: Client, **extra: Any) -> dict[str, Any]:
    response = _json(client, BULLETINS, {"period": "2025-06", "dated": "2025-07-08", **extra})
    assert response.status_code == 201, response.content.decode()[:2000]
    return response.json()


# --- bulletins --------------------------------------------------------------------------------


def test_coordinator_drafts_edits_refreshes_and_issues_a_bulletin(api: Any) -> None:
    client = api("coordinator")
    row = _draft(client)
    assert row["status"] == "draft" and row["number"] == "第 1 期" and row["org_unit"] == "371000"
    assert row["snapshot"]["has_data"] is True and "扶持创业" in str(row["snapshot"])
    pk = row["id"]
    summary = "截至6月底，全市扶持创业800人，请各单位加快进度。"
    edited = _json(client, f"{BULLETINS}/{pk}", {"summary": summary, "number": "第 6 期"}, "patch")
    assert edited.status_code == 200, edited.content
    assert edited.json()["summary"] == summary and edited.json()["title"] == row["title"]
    refreshed = client.post(f"{BULLETINS}/{pk}/refresh")
    assert refreshed.status_code == 200 and refreshed.json()["summary"] == summary  # kept
    chart = client.get(f"{BULLETINS}/{pk}/charts/trend")
    assert chart["Content-Type"] == "image/png" and chart.content[:4] == b"\x89PNG"
    issued = client.post(f"{BULLETINS}/{pk}/issue")
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    stored = Bulletin.objects.get(pk=pk)
    assert stored.docx_file and stored.pdf_file and stored.xlsx_file
    word = client.get(f"{BULLETINS}/{pk}/download/docx", HTTP_ACCEPT="application/octet-stream")
    assert word.status_code == 200 and "attachment" in word["Content-Disposition"]
    assert summary in [p.text for p in Document(io.BytesIO(word.content)).paragraphs]
    pdf = client.get(f"{BULLETINS}/{pk}/download/pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    sheet = client.get(f"{BULLETINS}/{pk}/download/xlsx")
    assert load_workbook(io.BytesIO(sheet.content)).sheetnames
    actions = set(
        AuditEntry.objects.filter(object_id=str(pk), object_type="documents.bulletin").values_list(
            "action", flat=True
        )
    )
    assert {
        "documents.bulletin.create",
        "documents.bulletin.update",
        "documents.bulletin.refresh",
        "documents.bulletin.issue",
    } <= actions
    # Frozen now: another edit, refresh or discard is refused with the service's reason.
    for response in (
        _json(client, f"{BULLETINS}/{pk}", {"summary": "改"}, "patch"),
        client.post(f"{BULLETINS}/{pk}/refresh"),
        client.delete(f"{BULLETINS}/{pk}"),
    ):
        assert "冻结" in _error(response, 400, "invalid")["message"]


def test_discard_deletes_a_draft_and_is_audited(api: Any) -> None:
    client = api("coordinator")
    pk = _draft(client)["id"]
    assert client.delete(f"{BULLETINS}/{pk}").status_code == 204
    assert not Bulletin.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(action="documents.bulletin.discard").exists()
    _error(client.get(f"{BULLETINS}/{pk}"), 404, "not_found")


def test_bulletin_list_filters_and_pages(api: Any) -> None:
    client = api("coordinator")
    _draft(client)
    _draft(client, org_unit="371003", number="第 2 期")
    _draft(client, period="2025-Q2", number="第 3 期")
    body = client.get(BULLETINS, {"limit": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert [
        r["org_unit"] for r in client.get(BULLETINS, {"org_unit": "371003"}).json()["results"]
    ] == ["371003"]
    assert client.get(BULLETINS, {"period": "2025-Q2"}).json()["count"] == 1
    assert client.get(BULLETINS, {"status": "issued"}).json()["count"] == 0
    _error(client.get(BULLETINS, {"status": "nonsense"}), 400, "invalid")


def test_units_see_issued_bulletins_of_the_city_and_their_district(api: Any) -> None:
    client = api("coordinator")
    city = _draft(client)["id"]
    wendeng = _draft(client, org_unit="371003", number="第 2 期")["id"]
    draft = _draft(client, period="2025-Q2", number="第 3 期")["id"]
    for pk in (city, wendeng):
        assert client.post(f"{BULLETINS}/{pk}/issue").status_code == 200
    huancui = api("reporter_huancui")
    assert [r["id"] for r in huancui.get(BULLETINS).json()["results"]] == [city]
    assert huancui.get(f"{BULLETINS}/{city}").status_code == 200
    assert huancui.get(f"{BULLETINS}/{city}/download/pdf").status_code == 200
    for pk in (wendeng, draft):
        _error(huancui.get(f"{BULLETINS}/{pk}"), 404)
        _error(huancui.get(f"{BULLETINS}/{pk}/download/xlsx"), 404)
    # Seen but not theirs to change: 403, and nothing is written.
    _error(huancui.post(f"{BULLETINS}/{city}/refresh"), 403, "permission_denied")
    _error(_json(huancui, BULLETINS, {"period": "2025-06"}), 403, "permission_denied")
    assert api("reporter_wendeng").get(f"{BULLETINS}/{wendeng}").status_code == 200
    leader = api("leader")
    assert leader.get(f"{BULLETINS}/{draft}").status_code == 200
    _error(leader.post(f"{BULLETINS}/{draft}/issue"), 403)
    assert Bulletin.objects.get(pk=draft).status == "draft"
    for name in ("outsider", "entrepreneur", "auditor"):
        other = api(name)
        assert other.get(BULLETINS).json()["results"] == []
        for url in (f"{BULLETINS}/{city}", f"{BULLETINS}/{city}/download/docx"):
            _error(other.get(url), 404)
        _error(_json(other, BULLETINS, {"period": "2025-06"}), 404)
    assert Client().get(BULLETINS).status_code in (401, 403)


def test_bad_bulletin_input_is_a_json_4xx(api: Any) -> None:
    client = api("coordinator")
    assert "period" in _error(_json(client, BULLETINS, {"period": "June"}), 400)["detail"]
    assert "period" in _error(_json(client, BULLETINS, {"period": "1999-06"}), 400)["detail"]
    _error(_json(client, BULLETINS, {"period": "2025-06", "org_unit": "999999"}), 400)
    _error(_json(client, BULLETINS, {"period": "2025-06", "dated": "not-a-date"}), 400)
    pk = _draft(client)["id"]
    _error(_json(client, f"{BULLETINS}/{pk}", {"title": "  "}, "patch"), 400)
    _error(client.get(f"{BULLETINS}/{pk}/download/doc"), 404)
    _error(client.get(f"{BULLETINS}/{pk}/charts/pie"), 404)
    _error(client.get(f"{BULLETINS}/abc"), 404)
    assert Bulletin.objects.count() == 1


def test_issue_refuses_a_number_already_issued_that_year(api: Any) -> None:
    client = api("coordinator")
    first = _draft(client, number="第 1 期")["id"]
    second = _draft(client, org_unit="371003", number="第 1 期")["id"]
    assert client.post(f"{BULLETINS}/{first}/issue").status_code == 200
    assert "期号" in _error(client.post(f"{BULLETINS}/{second}/issue"), 400, "invalid")["message"]


# --- supervision notices ----------------------------------------------------------------------


def _notice_body(scenario: Any, **extra: Any) -> dict[str, Any]:
    return {
        "lead_department": "371002-rsj",
        "cc_departments": ["rsj"],
        "subject": "环翠区扶持创业滞后于序时进度",
        "issue": "截至6月底完成300人，完成率明显低于序时进度。",
        "action": "请分析原因、制定整改措施并按期反馈。",
        "deadline": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        "target": scenario.target.pk,
        "org_unit": "371002",
        **extra,
    }


def _issue(api: Any, scenario: Any, **extra: Any) -> dict[str, Any]:
    response = _json(api("coordinator"), NOTICES, _notice_body(scenario, **extra))
    assert response.status_code == 201, response.content.decode()[:2000]
    return response.json()


def test_notice_lifecycle_over_the_api(api: Any, scenario: Any) -> None:
    notice = _issue(api, scenario)
    pk = notice["id"]
    assert notice["status"] == "open" and notice["lead_department"] == "371002-rsj"
    assert notice["cc_departments"] == ["rsj"] and notice["org_unit"] == "371002"
    assert [h["action"] for h in notice["history"]] == ["documents.notice.create"]
    assert Notification.objects.filter(
        user__username="reporter_huancui", url=f"/documents/notices/{pk}/"
    ).exists()

    reporter = api("reporter_huancui")
    replied = _json(reporter, f"{NOTICES}/{pk}/reply", {"reply": "已制定整改方案。"})
    assert replied.status_code == 200 and replied.json()["status"] == "replied"
    coordinator = api("coordinator")
    new_deadline = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    escalated = _json(
        coordinator,
        f"{NOTICES}/{pk}/escalate",
        {"note": "整改措施不具体", "deadline": new_deadline},
    )
    assert (
        escalated.json()["status"] == "escalated" and escalated.json()["deadline"] == new_deadline
    )
    _json(reporter, f"{NOTICES}/{pk}/reply", {"reply": "已补充具体措施和时限。"})
    closed = _json(coordinator, f"{NOTICES}/{pk}/close", {"note": "整改到位"})
    body = closed.json()
    assert body["status"] == "closed" and body["resolution"] == "整改到位"
    assert [h["action"] for h in body["history"]] == [
        "documents.notice.create",
        "documents.notice.reply",
        "documents.notice.escalate",
        "documents.notice.reply",
        "documents.notice.close",
    ]
    assert coordinator.get(NOTICES, {"status": "pending"}).json()["count"] == 0
    assert coordinator.get(NOTICES, {"status": "closed"}).json()["count"] == 1
    _error(_json(reporter, f"{NOTICES}/{pk}/reply", {"reply": "再次"}), 400, "invalid")
    _error(_json(coordinator, f"{NOTICES}/{pk}/close", {}), 400, "invalid")
    word = reporter.get(f"{NOTICES}/{pk}/docx")
    assert word.status_code == 200
    texts = " ".join(c.text for t in Document(io.BytesIO(word.content)).tables for c in t._cells)
    assert notice["number"] in texts


def test_notice_defaults_and_filters(api: Any, scenario: Any) -> None:
    body = _notice_body(scenario)
    del body["deadline"], body["action"]
    created = _json(api("coordinator"), NOTICES, body)
    assert created.status_code == 201
    assert created.json()["deadline"] > timezone.localdate().isoformat()
    assert "整改措施" in created.json()["action"]
    _issue(api, scenario, lead_department="371003-rsj", cc_departments=[], org_unit="371003")
    coordinator = api("coordinator")
    assert coordinator.get(NOTICES).json()["count"] == 2
    led = coordinator.get(NOTICES, {"lead_department": "371003-rsj"}).json()["results"]
    assert [r["lead_department"] for r in led] == ["371003-rsj"]
    assert coordinator.get(NOTICES, {"overdue": "true"}).json()["count"] == 0
    _error(coordinator.get(NOTICES, {"status": "late"}), 400)


def test_departments_see_their_own_and_copied_notices_only(api: Any, scenario: Any) -> None:
    huancui = _issue(api, scenario)["id"]
    wendeng = _issue(
        api, scenario, lead_department="371003-rsj", cc_departments=[], org_unit="371003"
    )["id"]
    for name in ("reporter_huancui", "approver_huancui"):
        assert [r["id"] for r in api(name).get(NOTICES).json()["results"]] == [huancui]
    assert [r["id"] for r in api("reporter_wendeng").get(NOTICES).json()["results"]] == [wendeng]
    # 市人社局 is copied on 环翠区's notice: it sees it but may not reply.
    rsj = api("reporter_rsj")
    assert [r["id"] for r in rsj.get(NOTICES).json()["results"]] == [huancui]
    _error(_json(rsj, f"{NOTICES}/{huancui}/reply", {"reply": "x"}), 403, "permission_denied")
    wendeng_reporter = api("reporter_wendeng")
    _error(wendeng_reporter.get(f"{NOTICES}/{huancui}"), 404)
    _error(_json(wendeng_reporter, f"{NOTICES}/{huancui}/reply", {"reply": "x"}), 404)
    _error(wendeng_reporter.get(f"{NOTICES}/{huancui}/docx"), 404)
    leader = api("leader")
    assert leader.get(NOTICES).json()["count"] == 2
    _error(_json(leader, f"{NOTICES}/{huancui}/close", {}), 403)
    _error(_json(api("reporter_huancui"), f"{NOTICES}/{huancui}/escalate", {"note": "x"}), 403)
    for name in ("outsider", "entrepreneur", "auditor"):
        other = api(name)
        assert other.get(NOTICES).json()["results"] == []
        _error(other.get(f"{NOTICES}/{huancui}"), 404)
        _error(_json(other, NOTICES, _notice_body(scenario)), 404)
    assert SupervisionNotice.objects.get(pk=huancui).status == "open"


def test_bad_notice_input_is_a_json_4xx(api: Any, scenario: Any) -> None:
    coordinator = api("coordinator")
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    for change in (
        {"target": None},  # neither a target nor a measure
        {"lead_department": "nowhere"},
        {"cc_departments": ["nowhere"]},
        {"target": 2**62},
        {"org_unit": "999999"},
        {"subject": ""},
    ):
        body = {k: v for k, v in _notice_body(scenario, **change).items() if v is not None}
        _error(_json(coordinator, NOTICES, body), 400)
    assert (
        "时限"
        in _error(
            _json(coordinator, NOTICES, _notice_body(scenario, deadline=yesterday)), 400, "invalid"
        )["message"]
    )
    _error(_json(api("reporter_huancui"), NOTICES, _notice_body(scenario)), 403)
    assert not SupervisionNotice.objects.exists()
    pk = _issue(api, scenario)["id"]
    _error(_json(api("reporter_huancui"), f"{NOTICES}/{pk}/reply", {"reply": ""}), 400)
    _error(
        _json(coordinator, f"{NOTICES}/{pk}/escalate", {"note": "x", "deadline": yesterday}), 400
    )


def test_candidates_are_red_targets_and_lagging_measures(api: Any, scenario: Any) -> None:
    coordinator = api("coordinator")
    rows = coordinator.get(f"{NOTICES}/candidates").json()
    measure = next(r for r in rows if r["kind"] == "measure")
    assert measure["measure"] == scenario.measure.pk and measure["lead_department"] == "rsj"
    red = [r for r in rows if r["kind"] == "target" and r["target"] == scenario.target.pk]
    assert {r["org_unit"] for r in red} >= {"371000", "371002"}
    assert all(r["open_notice"] is None for r in rows)
    number = _issue(api, scenario)["number"]
    rows = coordinator.get(f"{NOTICES}/candidates").json()
    huancui = next(
        r
        for r in rows
        if r["kind"] == "target" and r["target"] == scenario.target.pk and r["org_unit"] == "371002"
    )
    assert huancui["open_notice"] == number and huancui["lead_department"] == "371002-rsj"
    _error(api("leader").get(f"{NOTICES}/candidates"), 403)
    _error(api("outsider").get(f"{NOTICES}/candidates"), 404)


# --- assessment -------------------------------------------------------------------------------


def test_assessment_years_and_scores_scoped_like_the_page(api: Any, scenario: Any) -> None:
    coordinator = api("coordinator")
    years = coordinator.get(ASSESSMENTS).json()
    plan = scenario.plan
    assert [r["year"] for r in years["results"]] == list(
        range(plan.period_start, plan.period_end + 1)
    )
    full = coordinator.get(f"{ASSESSMENTS}/2025").json()
    assert {s["key"] for s in full["districts"]} >= {"district:371002", "district:371003"}
    assert full["departments"] and full["self_subjects"] == []
    line = full["districts"][0]["lines"][0]
    assert {"label", "weight", "share", "points", "basis"} <= set(line)
    own = api("reporter_huancui").get(f"{ASSESSMENTS}/2025").json()
    assert [s["key"] for s in own["districts"]] == ["district:371002"] and own["departments"] == []
    assert own["self_subjects"] == [
        {"key": "district:371002", "name": "环翠区", "kind": "district"}
    ]
    _error(coordinator.get(f"{ASSESSMENTS}/1999"), 404)
    _error(coordinator.get(f"{ASSESSMENTS}/abc"), 404)
    for name in ("outsider", "entrepreneur", "auditor"):
        _error(api(name).get(f"{ASSESSMENTS}/2025"), 404)
        _error(api(name).get(ASSESSMENTS), 404)


def test_assessment_export_is_for_city_wide_roles(api: Any, scenario: Any) -> None:
    sheet = api("leader").get(f"{ASSESSMENTS}/2025/xlsx")
    assert sheet.status_code == 200
    assert load_workbook(io.BytesIO(sheet.content)).sheetnames[0] == "区市得分"
    _error(api("reporter_huancui").get(f"{ASSESSMENTS}/2025/xlsx"), 403)
    _error(api("outsider").get(f"{ASSESSMENTS}/2025/xlsx"), 404)


def test_scheme_is_read_and_changed_by_the_coordinator(api: Any, scenario: Any) -> None:
    coordinator = api("coordinator")
    current = coordinator.get(f"{ASSESSMENTS}/2025/scheme").json()
    assert current["saved"] is False and current["mode"] == "linear"
    target = str(scenario.target.pk)
    changed = _json(
        coordinator,
        f"{ASSESSMENTS}/2025/scheme",
        {"mode": "bands", "weights": {target: "12"}, "bands": [[90, 100], [0, 0]]},
        "put",
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["saved"] is True and body["mode"] == "bands"
    assert body["weights"][target] == "12.00" and body["cap"] == current["cap"]
    others = {k: v for k, v in body["weights"].items() if k != target}
    assert others == {k: v for k, v in current["weights"].items() if k != target}
    scheme = AssessmentScheme.objects.get(plan=scenario.plan, year=2025)
    assert scheme.mode == "bands" and scheme.bands == [[90.0, 100.0], [0.0, 0.0]]
    assert AuditEntry.objects.filter(action="documents.scheme.save").count() == 1
    for bad in (
        {"weights": {"999999999": "1"}},
        {"mode": "dice"},
        {"cap": "9"},
        {"bands": [[1, 2, 3]]},
        {"mode": "bands", "bands": []},
    ):
        _error(_json(coordinator, f"{ASSESSMENTS}/2025/scheme", bad, "put"), 400)
    _error(api("leader").get(f"{ASSESSMENTS}/2025/scheme"), 403)
    _error(_json(api("reporter_huancui"), f"{ASSESSMENTS}/2025/scheme", {}, "put"), 403)
    _error(api("outsider").get(f"{ASSESSMENTS}/2025/scheme"), 404)
    assert AuditEntry.objects.filter(action="documents.scheme.save").count() == 1


def test_units_self_assess_only_themselves(api: Any, scenario: Any) -> None:
    reporter = api("reporter_huancui")
    saved = _json(
        reporter,
        f"{ASSESSMENTS}/2025/self",
        {"subject": "district:371002", "score": "95", "note": "全面完成"},
    )
    assert saved.status_code == 200 and saved.json()["score"] == "95.00"
    row = SelfAssessment.objects.get(plan=scenario.plan, year=2025)
    assert row.org_unit.code == "371002" and row.note == "全面完成"
    assert AuditEntry.objects.filter(action="documents.self_assessment.save").exists()
    scores = reporter.get(f"{ASSESSMENTS}/2025").json()["districts"][0]
    assert scores["self_score"] == "95.00" and scores["flagged"] is True
    _error(
        _json(reporter, f"{ASSESSMENTS}/2025/self", {"subject": "district:371003", "score": 90}),
        400,
        "invalid",
    )
    _error(
        _json(reporter, f"{ASSESSMENTS}/2025/self", {"subject": "district:371002", "score": 120}),
        400,
    )
    _error(_json(api("leader"), f"{ASSESSMENTS}/2025/self", {"subject": "x", "score": 1}), 403)
    _error(_json(api("outsider"), f"{ASSESSMENTS}/2025/self", {"subject": "x", "score": 1}), 404)
    assert SelfAssessment.objects.count() == 1


def test_new_operations_are_in_the_schema(api: Any) -> None:
    paths = api("coordinator").get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in (
        "/api/v1/bulletins/",
        "/api/v1/bulletins/{id}/download/{fmt}/",
        "/api/v1/bulletins/{id}/issue/",
        "/api/v1/supervision-notices/{id}/reply/",
        "/api/v1/supervision-notices/{id}/escalate/",
        "/api/v1/supervision-notices/candidates/",
        "/api/v1/assessments/{year}/scheme/",
        "/api/v1/assessments/{year}/self/",
    ):
        assert path in paths, path
    assert "patch" in paths["/api/v1/bulletins/{id}/"]
    assert "delete" in paths["/api/v1/bulletins/{id}/"]
