"""Cockpit capabilities over the API: drill-down, delivery chain, department board, public board."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from chuangye.accounts.models import OrgUnit
from chuangye.plans.models import Plan
from chuangye.reporting import services

pytestmark = pytest.mark.django_db


def api(personas: dict[str, Any], username: str | None) -> APIClient:
    client = APIClient()
    if username:
        client.force_authenticate(personas[username])
    return client


def approve_june(plan: Plan, personas: dict[str, Any], unit: str = "371002") -> None:
    """An approved June 2025 figure of 扶持创业 for ``unit`` (环翠区 by default), with the
    targets allocated to the districts."""
    from chuangye.plans.services import activate_allocation, propose_allocation

    activate_allocation(propose_allocation(plan, actor=None), actor=None)
    reporter, approver = "reporter_huancui", "approver_huancui"
    day = dt.date(2025, 7, 2)
    services.ensure_rounds(plan, day)
    row = services.save_value(
        indicator=plan.indicators.get(name="扶持创业"),
        org_unit=OrgUnit.objects.get(code=unit),
        year=2025,
        month=6,
        value="300",
        actor=personas[reporter],
        today=day,
    )
    services.submit_values([row], actor=personas[reporter], today=day)
    services.approve_value(row, actor=personas[approver])


# --- drill-down ----------------------------------------------------------------------------------


def test_drill_down_goes_from_target_to_districts_months_and_records(
    plan: Plan, personas: dict[str, Any]
) -> None:
    approve_june(plan, personas)
    target = plan.targets.get(subject="扶持创业")
    url = f"/api/v1/cockpit/targets/{target.pk}"
    body = (
        api(personas, "leader")
        .get(url, {"date": "2025-07-15", "unit": "371002", "month": "2025-06"})
        .json()
    )
    assert body["target"] == target.pk and body["city"]["org_unit"] == "371000"
    assert {r["org_unit"] for r in body["districts"]} >= {"371002", "371003"}
    assert body["shown"]["org_unit"] == "371002" and body["shown"]["actual"] == 300.0
    june = next(m for m in body["months"] if m["month"] == "2025-06")
    assert june["actual"] == 300.0 and june["expected"] is not None
    (record,) = body["records"]
    assert record["org_unit"] == "371002" and record["value"] == 300.0
    # The city's June holds the district's figure too.
    city = api(personas, "leader").get(url, {"date": "2025-07-15", "month": "2025-06"}).json()
    assert [r["org_unit"] for r in city["records"]] == ["371002"]


def test_drill_down_is_scoped_to_the_callers_units(plan: Plan, personas: dict[str, Any]) -> None:
    approve_june(plan, personas)
    target = plan.targets.get(subject="扶持创业")
    url = f"/api/v1/cockpit/targets/{target.pk}"
    wendeng = api(personas, "reporter_wendeng")
    assert wendeng.get(url, {"unit": "371002"}).status_code == 404
    body = wendeng.get(url, {"date": "2025-07-15", "month": "2025-06"}).json()
    assert {r["org_unit"] for r in body["districts"]} == {"371003"}
    assert body["records"] == []  # 环翠区's figure is not 文登区's to see
    assert api(personas, "outsider").get(url).status_code == 404
    assert api(personas, "entrepreneur").get(url).status_code == 404
    assert api(personas, None).get(url).status_code in (401, 403)
    assert api(personas, "leader").get("/api/v1/cockpit/targets/999999").status_code == 404


@pytest.mark.parametrize(
    "query",
    [{"date": "2025-13-01"}, {"date": "1990-01-01"}, {"month": "2025-13"}, {"month": "x"}],
)
def test_drill_down_refuses_bad_parameters(
    plan: Plan, personas: dict[str, Any], query: dict[str, str]
) -> None:
    target = plan.targets.get(subject="扶持创业")
    response = api(personas, "leader").get(f"/api/v1/cockpit/targets/{target.pk}", query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and response.json()["message"]


def test_drill_down_of_an_unknown_unit_is_not_found(plan: Plan, personas: dict[str, Any]) -> None:
    target = plan.targets.get(subject="扶持创业")
    response = api(personas, "leader").get(f"/api/v1/cockpit/targets/{target.pk}", {"unit": "0"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


# --- delivery chain ------------------------------------------------------------------------------


def chain_world(plan: Plan, personas: dict[str, Any]) -> Any:
    from chuangye.accounts.models import Department
    from chuangye.demo import configure_delivery_chain

    configure_delivery_chain(plan)
    measure = plan.measures.filter(responsibilities__department__code="rsj").first()
    services.save_progress(
        measure=measure,
        department=Department.objects.get(code="371002-rsj"),
        year=2025,
        quarter=2,
        narrative="环翠区进展",
        measure_status="behind",
        cause="审批周期长",
        remedy="开通绿色通道",
        remedy_due=dt.date(2025, 9, 30),
        actor=personas["reporter_huancui"],
    )
    return measure


def test_delivery_chain_lists_measures_with_their_latest_progress(
    plan: Plan, personas: dict[str, Any]
) -> None:
    measure = chain_world(plan, personas)
    body = api(personas, "leader").get("/api/v1/cockpit/chain", {"date": "2025-07-15"}).json()
    assert body["count"] == len(body["results"]) > 0
    served = [m for r in body["results"] for m in r["measures"] if m["id"] == measure.pk]
    assert served
    assert any(
        u["department"] == "371002-rsj" and u["measure_status"] == "behind"
        for m in served
        for u in m["progress"]
    )
    # 文登区 sees the chain but not 环翠区's progress.
    wendeng = api(personas, "reporter_wendeng").get("/api/v1/cockpit/chain").json()
    assert all(
        u["department"] != "371002-rsj"
        for r in wendeng["results"]
        for m in r["measures"]
        for u in m["progress"]
    )
    only = api(personas, "leader").get("/api/v1/cockpit/chain", {"department": "rsj"}).json()
    assert 0 < only["count"] <= body["count"]


def test_delivery_chain_scoping_and_bad_input(plan: Plan, personas: dict[str, Any]) -> None:
    chain_world(plan, personas)
    assert api(personas, "outsider").get("/api/v1/cockpit/chain").status_code == 404
    assert api(personas, None).get("/api/v1/cockpit/chain").status_code in (401, 403)
    wendeng = api(personas, "reporter_wendeng")
    assert wendeng.get("/api/v1/cockpit/chain", {"org_unit": "371002"}).status_code == 404
    leader = api(personas, "leader")
    for query in ({"section": "x"}, {"date": "nope"}, {"org_unit": "999999"}):
        response = leader.get("/api/v1/cockpit/chain", query)
        assert response.status_code == 400 and response.json()["code"] == "invalid"


# --- department board ----------------------------------------------------------------------------


def test_department_board_shows_measures_overdue_updates_and_timeliness(
    plan: Plan, personas: dict[str, Any]
) -> None:
    chain_world(plan, personas)
    approve_june(plan, personas)
    body = api(personas, "reporter_rsj").get("/api/v1/cockpit/departments/rsj").json()
    assert body["department"] == "rsj"
    assert set(body["measures"]) == {"lead", "joint", "cooperating"}
    led = body["measures"]["lead"]
    assert led and {"id", "number", "title", "update", "overdue"} <= set(led[0])
    assert {m["id"] for m in body["overdue"]} == {
        m["id"] for role in body["measures"].values() for m in role if m["overdue"]
    }
    assert all({"round", "on_time", "reported"} == set(t) for t in body["timeliness"])
    huancui = api(personas, "reporter_huancui").get("/api/v1/cockpit/departments/371002-rsj")
    assert huancui.status_code == 200
    assert sum(t["reported"] for t in huancui.json()["timeliness"]) >= 1


def test_department_board_is_scoped(plan: Plan, personas: dict[str, Any]) -> None:
    url = "/api/v1/cockpit/departments/371002-rsj"
    assert api(personas, "reporter_wendeng").get(url).status_code == 404
    assert api(personas, "outsider").get(url).status_code == 404
    assert api(personas, "entrepreneur").get(url).status_code == 404
    assert api(personas, None).get(url).status_code in (401, 403)
    assert api(personas, "leader").get("/api/v1/cockpit/departments/nope").status_code == 404


# --- public board --------------------------------------------------------------------------------


def test_public_board_is_open_city_level_and_without_personal_data(
    plan: Plan, personas: dict[str, Any]
) -> None:
    approve_june(plan, personas)
    body = api(personas, None).get("/api/v1/board", {"date": "2025-07-15"}).json()
    assert body["count"] == len(body["results"]) > 0
    assert {r["org_unit"] for r in body["results"]} == {"371000"}
    row = next(r for r in body["results"] if r["subject"] == "扶持创业")
    assert row["actual"] == 300.0 and row["status"]
    text = str(body)
    assert "reporter_huancui" not in text and "371002" not in text
    assert api(personas, "outsider").get("/api/v1/board").status_code == 200


def test_public_board_refuses_a_bad_date(plan: Plan, personas: dict[str, Any]) -> None:
    response = api(personas, None).get("/api/v1/board", {"date": "2025-02-30"})
    assert response.status_code == 400 and response.json()["message"]


def test_public_board_without_an_active_plan_is_not_found(personas: dict[str, Any]) -> None:
    Plan.objects.update(is_active=False)
    assert api(personas, None).get("/api/v1/board").status_code == 404


# --- reporting: Excel template and upload, the round's export, attachments ------------------------

XLSX_ROW, XLSX_VALUE = 3, 7  # first data row; 本月数值 column of the template


def template(client: APIClient, rnd: Any) -> Any:
    import io

    import openpyxl

    response = client.get(f"/api/v1/rounds/{rnd.pk}/excel-template", {"department": "371002-rsj"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def upload(client: APIClient, rnd: Any, wb: Any) -> Any:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    out = io.BytesIO()
    wb.save(out)
    f = SimpleUploadedFile("模板.xlsx", out.getvalue())
    return client.post(
        f"/api/v1/rounds/{rnd.pk}/excel-upload",
        {"department": "371002-rsj", "file": f},
        format="multipart",
    )


def test_excel_template_and_all_or_nothing_upload(
    live_round: Any, personas: dict[str, Any]
) -> None:
    from chuangye.reporting.models import DataValue

    reporter = api(personas, "reporter_huancui")
    wb = template(reporter, live_round)
    ws = wb["填报"]
    rows = [r for r in range(XLSX_ROW, ws.max_row + 1) if ws.cell(row=r, column=1).value]
    assert rows
    before = DataValue.objects.count()
    for r in rows:
        ws.cell(row=r, column=XLSX_VALUE, value="不是数字")
    refused = upload(reporter, live_round, wb)
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid" and refused.json()["detail"]["errors"]
    assert DataValue.objects.count() == before  # nothing saved
    wb = template(reporter, live_round)
    wb["填报"].cell(row=rows[0], column=XLSX_VALUE, value=7)
    accepted = upload(reporter, live_round, wb)
    assert accepted.status_code == 200 and accepted.json()["saved"] == 1
    assert DataValue.objects.count() == before + 1


def test_excel_endpoints_are_for_the_departments_reporters(
    live_round: Any, personas: dict[str, Any]
) -> None:
    url = f"/api/v1/rounds/{live_round.pk}/excel-template"
    for name in ("reporter_wendeng", "leader", "approver_huancui", "outsider"):
        assert api(personas, name).get(url, {"department": "371002-rsj"}).status_code == 404
    assert api(personas, None).get(url, {"department": "371002-rsj"}).status_code in (401, 403)
    reporter = api(personas, "reporter_huancui")
    assert reporter.get(url).status_code == 404  # no department given
    post = f"/api/v1/rounds/{live_round.pk}/excel-upload"
    missing = reporter.post(post, {"department": "371002-rsj"}, format="multipart")
    assert missing.status_code == 400 and missing.json()["message"]
    assert (
        api(personas, "reporter_wendeng")
        .post(post, {"department": "371002-rsj"}, format="multipart")
        .status_code
        == 404
    )
    assert reporter.get("/api/v1/rounds/999999/excel-template").status_code == 404


def test_round_export_holds_only_the_callers_figures(
    live_round: Any, personas: dict[str, Any], plan: Plan
) -> None:
    import io

    import openpyxl

    reporter = api(personas, "reporter_huancui")
    wb = template(reporter, live_round)
    ws = wb["填报"]
    ws.cell(row=XLSX_ROW, column=XLSX_VALUE, value=7)
    assert upload(reporter, live_round, wb).status_code == 200

    def units(name: str) -> set[str]:
        response = api(personas, name).get(f"/api/v1/rounds/{live_round.pk}/export")
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        return {row[3] for row in sheet.iter_rows(min_row=2, values_only=True) if row[3]}

    assert "环翠区" in units("leader")
    assert "环翠区" in units("reporter_huancui")
    assert "环翠区" not in units("reporter_wendeng")
    assert (
        api(personas, "outsider").get(f"/api/v1/rounds/{live_round.pk}/export").status_code == 404
    )


def test_attachments_upload_list_and_download(live_round: Any, personas: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chuangye.core.models import AuditEntry

    reporter = api(personas, "reporter_huancui")
    wb = template(reporter, live_round)
    wb["填报"].cell(row=XLSX_ROW, column=XLSX_VALUE, value=7)
    assert upload(reporter, live_round, wb).status_code == 200
    value = reporter.get("/api/v1/data-values", {"department": "371002-rsj"}).json()["results"][0]
    url = f"/api/v1/data-values/{value['id']}/attachments"
    made = reporter.post(
        url, {"file": SimpleUploadedFile("台账.pdf", b"%PDF-1.4 ledger")}, format="multipart"
    )
    assert made.status_code == 201 and made.json()["name"] == "台账.pdf"
    assert AuditEntry.objects.filter(action="reporting.attachment.add").count() == 1
    listed = api(personas, "leader").get(url).json()
    assert [a["name"] for a in listed] == ["台账.pdf"]
    download = api(personas, "approver_huancui").get(f"{url}/{made.json()['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 ledger"
    # Refusals: a wrong type is 400, someone else's figure 404, an approver may not add.
    bad = reporter.post(url, {"file": SimpleUploadedFile("x.exe", b"MZ")}, format="multipart")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert reporter.post(url, {}, format="multipart").status_code == 400
    other = SimpleUploadedFile("y.pdf", b"%PDF")
    assert api(personas, "approver_huancui").post(url, {"file": other}).status_code == 400
    for name in ("reporter_wendeng", "outsider"):
        assert api(personas, name).get(url).status_code == 404
        assert api(personas, name).get(f"{url}/{made.json()['id']}").status_code == 404
    assert reporter.get(f"{url}/999999").status_code == 404
    assert reporter.get(f"{url}/abc").status_code == 404


def test_coordinator_sets_round_dates(live_round: Any, personas: dict[str, Any]) -> None:
    from chuangye.core.models import AuditEntry

    url = f"/api/v1/rounds/{live_round.pk}/dates"
    dates = {"opens_on": "2025-07-01", "deadline": "2025-07-10", "locks_on": "2025-07-20"}
    audited = AuditEntry.objects.filter(action="reporting.round.dates").count()
    done = api(personas, "coordinator").post(url, dates, format="json")
    assert done.status_code == 200 and done.json()["deadline"] == "2025-07-10"
    live_round.refresh_from_db()
    assert live_round.locks_on == dt.date(2025, 7, 20)
    assert AuditEntry.objects.filter(action="reporting.round.dates").count() == audited + 1
    backwards = {**dates, "deadline": "2025-06-01"}
    refused = api(personas, "coordinator").post(url, backwards, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"
    garbage = api(personas, "coordinator").post(url, {"opens_on": "soon"}, format="json")
    assert garbage.status_code == 400
    assert api(personas, "leader").post(url, dates, format="json").status_code == 403
    assert api(personas, "reporter_huancui").post(url, dates, format="json").status_code == 403
    assert api(personas, "outsider").post(url, dates, format="json").status_code == 404
    assert api(personas, None).post(url, dates, format="json").status_code in (401, 403)


# --- plans: upload → parsed draft → review/correct → import -----------------------------------


def upload_plan(client: APIClient, content: bytes, name: str = "方案.txt") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/api/v1/plan-drafts", {"document": SimpleUploadedFile(name, content)}, format="multipart"
    )


def test_plan_document_becomes_a_draft_is_corrected_and_imported_as_a_new_version(
    plan: Plan, personas: dict[str, Any]
) -> None:
    from chuangye.core.models import AuditEntry
    from tests.conftest import BUNDLED_TEXT

    coordinator = api(personas, "coordinator")
    made = upload_plan(coordinator, BUNDLED_TEXT.read_bytes())
    assert made.status_code == 201, made.content
    draft = made.json()
    assert draft["status"] == "draft" and draft["plan_json"]["targets"]
    listed = coordinator.get("/api/v1/plan-drafts").json()
    assert [d["id"] for d in listed["results"]] == [draft["id"]]
    url = f"/api/v1/plan-drafts/{draft['id']}"
    corrected = {**draft["plan_json"], "title": draft["plan_json"]["title"] + "（修订）"}
    saved = coordinator.patch(url, {"plan_json": corrected}, format="json")
    assert saved.status_code == 200 and saved.json()["title"].endswith("（修订）")
    broken = coordinator.patch(url, {"plan_json": {"title": 1}}, format="json")
    assert broken.status_code == 400 and broken.json()["message"]
    assert coordinator.patch(url, {"plan_json": [1]}, format="json").status_code == 400
    missing = coordinator.post(f"{url}/import", {"supersedes": 999999}, format="json")
    assert missing.status_code == 400
    imported = coordinator.post(
        f"{url}/import", {"supersedes": plan.pk, "activate": False}, format="json"
    )
    assert imported.status_code == 201, imported.content
    assert imported.json()["version"] == plan.version + 1
    assert AuditEntry.objects.filter(action="plans.draft.import").count() == 1
    again = coordinator.post(f"{url}/import", {}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "invalid"
    assert coordinator.post(f"{url}/discard").status_code == 400


def test_plan_drafts_refuse_bad_files_and_other_personas(
    plan: Plan, personas: dict[str, Any]
) -> None:
    coordinator = api(personas, "coordinator")
    assert upload_plan(coordinator, b"MZ", "x.exe").status_code == 400
    assert upload_plan(coordinator, b"", "empty.txt").status_code == 400
    not_a_plan = upload_plan(coordinator, "今天天气很好。".encode(), "随笔.txt")
    assert not_a_plan.status_code == 400 and not_a_plan.json()["message"]
    assert coordinator.post("/api/v1/plan-drafts", {}, format="multipart").status_code == 400
    from chuangye.plans import services as plan_services

    draft = plan_services.create_draft(
        {"title": "待审方案", "sections": [], "measures": [], "targets": []},
        actor=personas["coordinator"],
        source_text="待审",
        source_name="待审.txt",
    )
    url = f"/api/v1/plan-drafts/{draft.pk}"
    for name in ("leader", "reporter_huancui", "outsider", "entrepreneur"):
        client = api(personas, name)
        assert client.get("/api/v1/plan-drafts").json()["results"] == []
        assert client.get(url).status_code == 404
        assert client.post(f"{url}/discard").status_code == 404
        assert upload_plan(client, b"x").status_code == 404
    assert api(personas, None).get(url).status_code in (401, 403)
    discarded = coordinator.post(f"{url}/discard")
    assert discarded.status_code == 200 and discarded.json()["status"] == "discarded"


def test_plan_draft_shows_what_would_change_against_a_plan(
    plan: Plan, personas: dict[str, Any]
) -> None:
    from chuangye.plans import services as plan_services
    from chuangye.plans.selectors import plan_as_json

    data = plan_as_json(plan)
    data["title"] = data["title"] + "（修订）"
    draft = plan_services.create_draft(
        data, actor=personas["coordinator"], source_text="修订稿", source_name="修订稿.json"
    )
    coordinator = api(personas, "coordinator")
    body = coordinator.get(f"/api/v1/plan-drafts/{draft.pk}").json()
    assert body["predecessor"] == plan.pk and any("标题" in h for h in body["diff"]["header"])
    same = coordinator.get(f"/api/v1/plan-drafts/{draft.pk}", {"compare": plan.pk}).json()
    assert same["diff"] == body["diff"]
    for bad in ("x", "999999"):
        response = coordinator.get(f"/api/v1/plan-drafts/{draft.pk}", {"compare": bad})
        assert response.status_code == 400 and response.json()["code"] == "invalid"
