from typing import Any

import pytest
from rest_framework.test import APIClient

from chuangye.plans.models import Plan

pytestmark = pytest.mark.django_db

FIELDS = {
    "target_id",
    "subject",
    "unit",
    "comparator",
    "target_value",
    "min",
    "max",
    "scope",
    "org_unit",
    "actual",
    "expected",
    "completion",
    "time_elapsed",
    "status",
    "forecast",
}


def _api(personas: dict[str, Any], username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(personas[username])
    return client


def test_progress_rows_follow_the_contract(personas: dict[str, Any], plan: Plan) -> None:
    body = _api(personas, "leader").get("/api/v1/progress", {"date": "2025-07-15"}).json()
    assert body["count"] == 22
    row = body["results"][0]
    assert set(row) >= FIELDS
    assert row["org_unit"] == "371000" and row["subject"] == "扶持创业"
    assert row["status"] == "no_data" and row["actual"] is None  # nothing reported yet


def test_approved_figure_shows_up_immediately(
    personas: dict[str, Any], plan: Plan, approve_june: Any
) -> None:
    target = plan.targets.get(subject="扶持创业").pk
    before = _api(personas, "leader").get(
        "/api/v1/progress", {"date": "2025-07-15", "target": target}
    )
    assert before.json()["results"][0]["status"] == "no_data"  # and now cached
    approve_june(plan)
    body = (
        _api(personas, "leader")
        .get(
            "/api/v1/progress",
            {"date": "2025-07-15", "target": plan.targets.get(subject="扶持创业").pk},
        )
        .json()
    )
    (row,) = body["results"]
    assert row["actual"] == 300.0
    assert row["time_elapsed"] == pytest.approx(6 / 24, abs=1e-4)
    assert row["expected"] == pytest.approx(19000 * 6 / 24, abs=0.01)


def test_district_rows_use_the_active_allocation(
    personas: dict[str, Any], plan: Plan, approve_june: Any
) -> None:
    from chuangye.plans.services import activate_allocation, propose_allocation

    activate_allocation(propose_allocation(plan, actor=None), actor=None)
    approve_june(plan)
    body = (
        _api(personas, "coordinator")
        .get("/api/v1/progress", {"date": "2025-07-15", "org_unit": "371002"})
        .json()
    )
    subjects = {r["subject"] for r in body["results"]}
    assert (
        "扶持创业" in subjects and "普惠小微企业贷款余额同比增速" not in subjects
    )  # relative: not split
    row = next(r for r in body["results"] if r["subject"] == "扶持创业")
    assert row["org_unit"] == "371002" and row["actual"] == 300.0 and row["target_value"] > 0


def test_scope_limits_districts_to_their_own(personas: dict[str, Any], plan: Plan) -> None:
    client = _api(personas, "reporter_wendeng")
    assert client.get("/api/v1/progress", {"org_unit": "371002"}).status_code == 404
    assert (
        client.get("/api/v1/progress", {"org_unit": "371003", "date": "2025-07-01"}).status_code
        == 200
    )
    everything = client.get("/api/v1/progress", {"org_unit": "all", "date": "2025-07-01"}).json()
    assert {r["org_unit"] for r in everything["results"]} <= {"371000", "371003"}
    assert _api(personas, "outsider").get("/api/v1/progress").status_code == 404
    assert APIClient().get("/api/v1/progress").status_code == 401


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date": "2025-13-01"}, "YYYY-MM-DD"),
        ({"date": "yesterday"}, "YYYY-MM-DD"),
        ({"date": "2019-01-01"}, "方案期内"),
        ({"org_unit": "999999"}, "未知的区划代码"),
        ({"target": "abc"}, "整数"),
        ({"target": "999999"}, "未知的目标编号"),
    ],
)
def test_malformed_parameters_are_400_with_a_message(
    personas: dict[str, Any], plan: Plan, params: dict[str, str], message: str
) -> None:
    response = _api(personas, "leader").get("/api/v1/progress", params)
    assert response.status_code == 400
    assert message in response.json()["message"]
