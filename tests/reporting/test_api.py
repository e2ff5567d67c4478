import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from chuangye.accounts.models import Department, OrgUnit
from chuangye.plans.models import Plan
from chuangye.plans.services import configure_indicator
from chuangye.reporting import services
from chuangye.reporting.duties import duties
from chuangye.reporting.models import DataValue, Notification, ReportingRound

pytestmark = pytest.mark.django_db

VALUES = "/api/v1/data-values/"
PROGRESS = "/api/v1/progress-updates/"
ALLOCATIONS = "/api/v1/allocations/"


@pytest.fixture
def june(plan: Plan, personas: dict[str, Any]) -> ReportingRound:
    """June 2025's round, its window moved around the real today so services accept writes."""
    services.ensure_rounds(plan, dt.date(2025, 7, 2))
    today = timezone.localdate()
    return services.set_round_dates(
        plan.rounds.get(year=2025, month=6),
        opens_on=today - dt.timedelta(days=1),
        deadline=today + dt.timedelta(days=10),
        locks_on=today + dt.timedelta(days=30),
        actor=personas["coordinator"],
    )


def _api(personas: dict[str, Any], username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(personas[username])
    return client


def _code(plan: Plan, subject: str) -> str:
    return plan.indicators.get(name__contains=subject).code


def _cell(plan: Plan, subject: str = "扶持创业", unit: str = "371002", **kw: Any) -> dict[str, Any]:
    return {
        "indicator": _code(plan, subject),
        "org_unit": unit,
        "year": 2025,
        "month": 6,
        "value": "120",
        **kw,
    }


def _huancui_value(plan: Plan, personas: dict[str, Any], subject: str = "扶持创业") -> DataValue:
    return services.save_value(
        indicator=plan.indicators.get(name__contains=subject),
        org_unit=OrgUnit.objects.get(code="371002"),
        year=2025,
        month=6,
        value="120",
        actor=personas["reporter_huancui"],
    )


def _refused(response: Any, status: int, fragment: str) -> None:
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"code", "message", "detail"}
    assert fragment in body["message"], body


# --- figures ----------------------------------------------------------------------------------


def test_value_journey_from_draft_through_return_to_approval(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    reporter = _api(personas, "reporter_huancui")
    approver = _api(personas, "approver_huancui")

    created = reporter.post(VALUES, _cell(plan), format="json")
    assert created.status_code == 201, created.json()
    row = created.json()
    assert row["status"] == "draft" and row["value"] == "120.00" and row["version"] == 1
    assert row["org_unit"] == "371002" and row["department"] == "371002-rsj"
    assert row["indicator_name"] == "扶持创业" and row["unit"] == "人"
    assert row["updated_by"] == "演示·环翠区填报员"
    url = f"{VALUES}{row['id']}/"

    assert reporter.post(f"{url}submit").json()["status"] == "submitted"
    _refused(approver.post(f"{url}return", {"reason": " "}, format="json"), 400, "原因")
    returned = approver.post(f"{url}return", {"reason": "数字与台账不符"}, format="json").json()
    assert returned["status"] == "returned" and returned["return_reason"] == "数字与台账不符"

    fixed = reporter.patch(
        url, {"value": 118, "note": "按台账更正", "version": returned["version"]}, format="json"
    )
    assert fixed.status_code == 200, fixed.json()
    assert fixed.json()["value"] == "118.00" and fixed.json()["note"] == "按台账更正"
    assert reporter.post(f"{url}submit").json()["return_reason"] == ""
    approved = approver.post(f"{url}approve").json()
    assert approved["status"] == "approved"
    assert DataValue.objects.get(pk=row["id"]).approved_by == personas["approver_huancui"]

    history = reporter.get(f"{url}history").json()
    assert [h["action"].rsplit(".", 1)[1] for h in history] == [
        "create",
        "submit",
        "return",
        "update",
        "submit",
        "approve",
    ]
    assert history[2]["actor_name"] == "approver_huancui"
    assert history[2]["after"]["return_reason"] == "数字与台账不符"
    assert history[3]["before"]["value"] == "120.00" and history[3]["after"]["value"] == "118"
    assert set(history[0]) == {"at", "actor_name", "action", "before", "after"}


def test_stale_version_is_409_and_nothing_is_overwritten(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    reporter = _api(personas, "reporter_huancui")
    row = reporter.post(VALUES, _cell(plan), format="json").json()
    url = f"{VALUES}{row['id']}/"
    assert reporter.patch(url, {"value": "130", "version": 1}, format="json").status_code == 200
    stale = reporter.patch(url, {"value": "140", "version": 1}, format="json")
    _refused(stale, 409, "已被 演示·环翠区填报员 于")
    assert stale.json()["code"] == "stale"
    # Posting the cell again as if it were new is the same conflict.
    assert reporter.post(VALUES, _cell(plan, value="150"), format="json").status_code == 409
    # Posting with the current version updates the cell in place.
    again = reporter.post(VALUES, _cell(plan, value="150", version=2), format="json")
    assert again.status_code == 200 and again.json()["version"] == 3
    _refused(reporter.patch(url, {"value": "160"}, format="json"), 400, "")
    assert DataValue.objects.get().value == Decimal("150")


def test_a_stale_patch_is_refused_from_the_row_just_read(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    reporter = _api(personas, "reporter_huancui")
    row = reporter.post(VALUES, _cell(plan), format="json").json()
    url = f"{VALUES}{row['id']}/"
    assert reporter.patch(url, {"value": "130", "version": 1}, format="json").status_code == 200
    with CaptureQueriesContext(connection) as seen:
        stale = reporter.patch(url, {"value": "140", "version": 1}, format="json")
    _refused(stale, 409, "已被 演示·环翠区填报员 于")
    sql = " ".join(q["sql"] for q in seen.captured_queries)
    # Older than the row the request read: neither the round nor a row lock is needed.
    assert "reporting_reportinground" not in sql and "FOR UPDATE" not in sql
    # A version the caller cannot have read goes the whole way, and is refused there.
    ahead = reporter.patch(url, {"value": "140", "version": 7}, format="json")
    _refused(ahead, 409, "已被 演示·环翠区填报员 于")
    # Checks that come first still do: a bad figure with an old version is a 400.
    _refused(reporter.patch(url, {"value": "-1", "version": 1}, format="json"), 400, "负数")
    assert DataValue.objects.get().value == Decimal("130")


BAD_FIGURES = [
    ("-1", "不能为负数"),
    (-5, "不能为负数"),
    ("abc", "“abc”不是数字"),
    (12.5, "应为整数"),
]


def test_bad_figures_are_400_with_the_reason(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    reporter = _api(personas, "reporter_huancui")
    for value, message in BAD_FIGURES:
        response = reporter.post(VALUES, _cell(plan, value=value), format="json")
        _refused(response, 400, message)
        assert response.json()["code"] == "invalid"
    assert DataValue.objects.count() == 0


def test_cells_the_callers_unit_does_not_report_are_refused(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    studios = plan.indicators.get(name__contains="导师工作室")
    configure_indicator(
        studios, actor=None, owner=Department.objects.get(code="rsj"), by_district=False
    )
    reporter = _api(personas, "reporter_huancui")
    _refused(
        reporter.post(VALUES, _cell(plan, "导师工作室"), format="json"), 400, "环翠区本月无需填报"
    )
    _refused(
        reporter.post(VALUES, _cell(plan, unit="371003"), format="json"),
        400,
        "您不是文登区人社局的填报员",
    )
    assert DataValue.objects.count() == 0


MALFORMED = [
    ({"year": "二〇二五"}, "year"),
    ({"month": 13}, "month"),
    ({"indicator": "NOPE"}, "indicator"),
    ({"org_unit": "999999"}, "org_unit"),
    ({"value": True}, "value"),
]


def test_malformed_input_is_400_naming_the_field(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    reporter = _api(personas, "reporter_huancui")
    for change, field in MALFORMED:
        response = reporter.post(VALUES, _cell(plan, **change), format="json")
        assert response.status_code == 400, change
        assert field in response.json()["detail"], change
    assert DataValue.objects.count() == 0


def test_missing_fields_and_bad_filters_are_400(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    reporter = _api(personas, "reporter_huancui")
    missing = reporter.post(VALUES, {"value": "1"}, format="json").json()
    assert set(missing["detail"]) >= {"indicator", "org_unit", "year", "month"}
    assert reporter.get(VALUES, {"year": "x"}).status_code == 400
    assert reporter.get(VALUES, {"status": "nope"}).status_code == 400
    row = _huancui_value(plan, personas)
    assert "version" in reporter.patch(f"{VALUES}{row.pk}/", {}, format="json").json()["detail"]
    assert reporter.put(f"{VALUES}{row.pk}/", {}, format="json").status_code == 405


def test_list_filters_by_cell_and_status(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    first = _huancui_value(plan, personas)
    _huancui_value(plan, personas, "带动就业")
    services.submit_values([first], actor=personas["reporter_huancui"])
    client = _api(personas, "coordinator")
    assert client.get(VALUES, {"year": 2025, "month": 6}).json()["count"] == 2
    only = client.get(VALUES, {"indicator": _code(plan, "扶持创业")}).json()["results"]
    assert [r["id"] for r in only] == [first.pk]
    assert client.get(VALUES, {"status": "submitted"}).json()["count"] == 1
    assert (
        client.get(VALUES, {"department": "371002-rsj", "org_unit": "371002"}).json()["count"] == 2
    )
    assert client.get(VALUES, {"org_unit": "371003"}).json()["count"] == 0


def test_value_list_queries_do_not_grow_with_rows(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    client = _api(personas, "reporter_huancui")
    client.get(VALUES)  # the caller's access is read once, then kept on the user
    _huancui_value(plan, personas)
    with CaptureQueriesContext(connection) as one:
        assert client.get(VALUES).json()["count"] == 1
    for subject in ("带动就业", "创业促进活动", "青年人才"):
        _huancui_value(plan, personas, subject)
    with CaptureQueriesContext(connection) as four:
        assert client.get(VALUES).json()["count"] == 4
    assert len(four) == len(one)


@pytest.mark.parametrize("username", ["reporter_wendeng", "outsider"])
def test_other_units_see_none_of_huancuis_figures(
    plan: Plan, personas: dict[str, Any], june: ReportingRound, username: str
) -> None:
    row = _huancui_value(plan, personas)
    client = _api(personas, username)
    assert client.get(VALUES).json()["count"] == 0
    url = f"{VALUES}{row.pk}/"
    assert client.get(url).status_code == 404
    assert client.get(f"{url}history").status_code == 404
    assert client.patch(url, {"value": "1", "version": 1}, format="json").status_code == 404
    for verb in ("submit", "approve"):
        assert client.post(f"{url}{verb}").status_code == 404
    for verb in ("return", "reopen"):
        assert client.post(f"{url}{verb}", {"reason": "x"}, format="json").status_code == 404
    assert client.get(f"{VALUES}abc/").status_code == 404
    row.refresh_from_db()
    assert row.status == "draft" and row.version == 1


def test_leader_sees_everything_but_every_write_is_refused_with_a_message(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    row = _huancui_value(plan, personas)
    leader = _api(personas, "leader")
    assert leader.get(VALUES).json()["count"] == 1
    url = f"{VALUES}{row.pk}/"
    assert leader.get(url).json()["value"] == "120.00"
    _refused(leader.post(VALUES, _cell(plan), format="json"), 400, "不是环翠区人社局的填报员")
    _refused(leader.patch(url, {"value": "1", "version": 1}, format="json"), 400, "填报员")
    _refused(leader.post(f"{url}submit"), 400, "填报员")
    _refused(leader.post(f"{url}approve"), 400, "审核员")
    _refused(leader.post(f"{url}reopen", {"reason": "更正"}, format="json"), 400, "统筹协调员")
    _refused(leader.post(ALLOCATIONS, {}, format="json"), 403, "统筹协调员")
    row.refresh_from_db()
    assert row.status == "draft" and row.value == Decimal("120")


def test_coordinator_reopens_an_approved_figure(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    row = _huancui_value(plan, personas)
    services.submit_values([row], actor=personas["reporter_huancui"])
    services.approve_value(row, actor=personas["approver_huancui"])
    coordinator = _api(personas, "coordinator")
    url = f"{VALUES}{row.pk}/reopen"
    _refused(coordinator.post(url, {"reason": ""}, format="json"), 400, "原因")
    reopened = coordinator.post(url, {"reason": "区里更正了台账"}, format="json").json()
    assert reopened["status"] == "returned" and reopened["reopened"] is True


# --- rounds -----------------------------------------------------------------------------------


def test_rounds_list_is_cheap_and_an_item_counts_my_duties(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    row = _huancui_value(plan, personas)
    services.submit_values([row], actor=personas["reporter_huancui"])
    client = _api(personas, "reporter_huancui")
    rounds = client.get("/api/v1/rounds/").json()
    assert rounds["count"] == 6
    assert all("my_duties" not in r for r in rounds["results"])
    item = client.get(f"/api/v1/rounds/{june.pk}/").json()
    assert item["label"] == "2025年6月" and item["is_open"] is True
    huancui = Department.objects.get(code="371002-rsj")
    expected = len(duties(plan, 6, departments={huancui.pk}, include_prefilled=False))
    assert item["my_duties"] == {
        "departments": ["371002-rsj"],
        "to_report": expected,
        "filled": 1,
        "submitted": 1,
        "approved": 0,
        "returned": 0,
    }
    assert _api(personas, "leader").get(f"/api/v1/rounds/{june.pk}/").json()["my_duties"] is None
    outsider = _api(personas, "outsider")
    assert outsider.get("/api/v1/rounds/").json()["count"] == 0
    assert outsider.get(f"/api/v1/rounds/{june.pk}/").status_code == 404


# --- measure progress -------------------------------------------------------------------------


def test_progress_journey_with_return_and_version(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    reporter = _api(personas, "reporter_huancui")
    approver = _api(personas, "approver_huancui")
    body = {
        "measure": 20,
        "department": "371002-rsj",
        "year": 2025,
        "quarter": 2,
        "narrative": "已建成导师工作室 3 个",
        "measure_status": "behind",
    }
    _refused(reporter.post(PROGRESS, body, format="json"), 400, "滞后原因")
    _refused(reporter.post(PROGRESS, {**body, "measure": 9}, format="json"), 400, "不是")
    assert reporter.post(PROGRESS, {**body, "measure": 99}, format="json").status_code == 400
    plan_b = {"cause": "场地未落实", "remedy": "协调园区", "remedy_due": "2025-09-30"}
    created = reporter.post(PROGRESS, {**body, **plan_b}, format="json")
    assert created.status_code == 201, created.json()
    row = created.json()
    assert row["measure"] == 20 and row["department"] == "371002-rsj" and row["version"] == 1
    url = f"{PROGRESS}{row['id']}/"

    reporter.post(f"{url}submit")
    returned = approver.post(f"{url}return", {"reason": "请补充数量"}, format="json").json()
    assert returned["status"] == "returned" and returned["return_reason"] == "请补充数量"
    patch = {"narrative": "已建成导师工作室 5 个", "version": returned["version"]}
    stale = reporter.patch(url, {**patch, "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    fixed = reporter.patch(url, patch, format="json").json()
    assert fixed["narrative"] == "已建成导师工作室 5 个" and fixed["cause"] == "场地未落实"
    assert reporter.post(f"{url}submit").json()["status"] == "submitted"
    _refused(reporter.post(f"{url}approve"), 400, "审核员")
    assert approver.post(f"{url}approve").json()["status"] == "approved"

    assert reporter.get(PROGRESS, {"measure": 20, "quarter": 2}).json()["count"] == 1
    assert reporter.get(PROGRESS, {"quarter": 1}).json()["count"] == 0
    assert reporter.get(PROGRESS, {"quarter": "x"}).status_code == 400
    wendeng = _api(personas, "reporter_wendeng")
    assert wendeng.get(PROGRESS).json()["count"] == 0
    assert wendeng.get(url).status_code == 404
    assert wendeng.post(f"{url}approve").status_code == 404
    assert _api(personas, "leader").get(url).status_code == 200


# --- allocations ------------------------------------------------------------------------------


def test_allocation_propose_set_quota_and_activate_only_when_balanced(
    plan: Plan, personas: dict[str, Any]
) -> None:
    coordinator = _api(personas, "coordinator")
    reporter = _api(personas, "reporter_huancui")
    assert _api(personas, "outsider").post(ALLOCATIONS, {}, format="json").status_code == 404
    _refused(reporter.post(ALLOCATIONS, {}, format="json"), 403, "统筹协调员")

    proposed = coordinator.post(ALLOCATIONS, {}, format="json")
    assert proposed.status_code == 201, proposed.json()
    draft = proposed.json()
    assert draft["status"] == "draft" and draft["number"] == 1
    assert all(row["balanced"] for row in draft["ledger"])
    _refused(coordinator.post(ALLOCATIONS, {}, format="json"), 400, "草稿")
    url = f"{ALLOCATIONS}{draft['id']}/"

    supports = plan.indicators.get(name__contains="扶持创业").code
    line = next(
        ln
        for ln in draft["lines"]
        if ln["indicator"] == supports and ln["org_unit"] == "371002" and ln["year"] == 2025
    )
    quota = Decimal(line["quota"])
    change = {"target": line["target"], "org_unit": "371002", "year": 2025}
    _refused(reporter.post(f"{url}set-quota", {**change, "quota": "1"}, format="json"), 403, "统筹")
    _refused(
        coordinator.post(f"{url}set-quota", {**change, "quota": "-1"}, format="json"), 400, "负数"
    )
    assert (
        coordinator.post(
            f"{url}set-quota", {**change, "target": 999999, "quota": "1"}, format="json"
        ).status_code
        == 400
    )
    raised = coordinator.post(f"{url}set-quota", {**change, "quota": str(quota + 1)}, format="json")
    assert raised.status_code == 200 and Decimal(raised.json()["quota"]) == quota + 1

    refused = coordinator.post(f"{url}activate")
    _refused(refused, 400, supports)
    errors = refused.json()["detail"]["errors"]
    assert len(errors) == 1 and errors[0].startswith(f"{supports} 扶持创业（方案期）")
    _refused(reporter.post(f"{url}activate"), 403, "统筹协调员")

    # Take the extra one out of the reserve instead: the ledger balances again.
    reserve = next(
        ln for ln in draft["lines"] if ln["target"] == line["target"] and ln["org_unit"] is None
    )
    taken = Decimal(reserve["quota"]) - 1
    moved = coordinator.post(
        f"{url}set-quota",
        {**change, "org_unit": None, "year": reserve["year"], "quota": str(taken)},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["org_unit"] is None
    active = coordinator.post(f"{url}activate")
    assert active.status_code == 200, active.json()
    assert active.json()["status"] == "active"
    _refused(
        coordinator.post(f"{url}set-quota", {**change, "quota": "1"}, format="json"), 400, "草稿"
    )

    mine = reporter.get(url).json()
    assert {ln["org_unit"] for ln in mine["lines"]} == {"371002"} and mine["ledger"] == []
    city_staff = _api(personas, "reporter_rsj").get(url).json()
    assert city_staff["lines"] == [] and city_staff["ledger"] == []
    assert len(_api(personas, "leader").get(url).json()["ledger"]) == len(draft["ledger"])
    assert reporter.get(ALLOCATIONS).json()["results"][0]["id"] == draft["id"]
    outsider = _api(personas, "outsider")
    assert outsider.get(ALLOCATIONS).json()["count"] == 0
    assert outsider.get(url).status_code == 404
    assert outsider.post(f"{url}activate").status_code == 404


# --- notifications and tokens -----------------------------------------------------------------


def test_notifications_are_the_callers_own_and_can_be_marked_read(
    plan: Plan, personas: dict[str, Any]
) -> None:
    mine = Notification.objects.create(user=personas["reporter_huancui"], title="6月数据待填报")
    Notification.objects.create(user=personas["reporter_huancui"], title="数据已退回")
    theirs = Notification.objects.create(user=personas["reporter_wendeng"], title="文登催办")
    client = _api(personas, "reporter_huancui")
    listed = client.get("/api/v1/notifications/").json()
    assert {n["title"] for n in listed["results"]} == {"6月数据待填报", "数据已退回"}
    read = client.post(f"/api/v1/notifications/{mine.pk}/read").json()
    assert read["read_at"] is not None
    again = client.post(f"/api/v1/notifications/{mine.pk}/read").json()
    assert again["read_at"] == read["read_at"]
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_token_authenticates_the_workflow_endpoints(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    row = _huancui_value(plan, personas)
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token",
        {"username": "reporter_huancui", "password": "Test-Passw0rd!"},
        format="json",
    ).json()["token"]
    assert APIClient().get(VALUES).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert [r["id"] for r in client.get(VALUES).json()["results"]] == [row.pk]
    assert client.post(f"{VALUES}{row.pk}/submit").json()["status"] == "submitted"
    for path in ("/api/v1/rounds/", PROGRESS, ALLOCATIONS, "/api/v1/notifications/"):
        assert client.get(path).status_code == 200, path


def test_outsider_cannot_name_an_indicator_of_a_plan_it_cannot_see(
    plan: Plan, personas: dict[str, Any], june: ReportingRound
) -> None:
    response = _api(personas, "outsider").post(VALUES, _cell(plan), format="json")
    _refused(response, 400, "")
    assert "当前方案没有代码为" in response.json()["detail"]["indicator"][0]
