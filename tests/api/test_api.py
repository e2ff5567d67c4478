import copy
from typing import Any

import pytest
from rest_framework.test import APIClient

from chuangye.plans.models import Plan

pytestmark = pytest.mark.django_db


def _api(personas: dict[str, Any], username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(personas[username])
    return client


def test_token_endpoint_issues_a_token_that_authenticates(
    personas: dict[str, Any], plan: Plan
) -> None:
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token",
        {"username": "coordinator", "password": "Test-Passw0rd!"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me").json()
    assert me["username"] == "coordinator" and me["roles"] == ["coordinator"]
    assert me["departments"] == ["rsj"]


def test_token_endpoint_refuses_bad_credentials_with_json_error(personas: dict[str, Any]) -> None:
    response = APIClient().post(
        "/api/v1/auth/token", {"username": "coordinator", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "detail"}


def test_current_plan_is_the_plan_json_contract(
    personas: dict[str, Any], plan: Plan, weihai_json: dict[str, Any]
) -> None:
    expected = copy.deepcopy(weihai_json)
    expected.pop("warnings", None)
    for path in ["/api/v1/plans/current", "/api/v1/plans/current/"]:
        response = _api(personas, "leader").get(path)
        assert response.status_code == 200
        assert response.json() == expected


@pytest.mark.parametrize("username", ["outsider", "entrepreneur", "auditor"])
def test_plan_endpoints_hide_the_plan_from_outsiders(
    personas: dict[str, Any], plan: Plan, username: str
) -> None:
    client = _api(personas, username)
    assert client.get("/api/v1/plans/current").status_code == 404
    assert client.get("/api/v1/plans/").json()["count"] == 0
    assert client.get("/api/v1/measures/").json()["count"] == 0
    assert client.get(f"/api/v1/plans/{plan.pk}/").status_code == 404


def test_anonymous_api_call_is_401_with_message(plan: Plan) -> None:
    response = APIClient().get("/api/v1/plans/current")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_measures_filter_by_department_and_role(personas: dict[str, Any], plan: Plan) -> None:
    client = _api(personas, "coordinator")
    led = client.get("/api/v1/measures/", {"department": "fgw", "role": "lead"}).json()
    assert [m["number"] for m in led["results"]] == [9]
    section = client.get("/api/v1/measures/", {"section": 3}).json()
    assert [m["number"] for m in section["results"]] == [7, 8, 9, 10]
    assert client.get("/api/v1/measures/", {"section": "x"}).status_code == 400


def test_org_units_and_departments_are_scoped(personas: dict[str, Any], plan: Plan) -> None:
    leader = _api(personas, "leader")
    assert leader.get("/api/v1/org-units/").json()["count"] == 9
    huancui = _api(personas, "reporter_huancui")
    codes = [u["code"] for u in huancui.get("/api/v1/org-units/").json()["results"]]
    assert codes == ["371000", "371002"]  # the city, and its own district
    assert huancui.get("/api/v1/org-units/371003/").status_code == 404
    assert huancui.get("/api/v1/departments/371003-rsj/").status_code == 404
    assert huancui.get("/api/v1/departments/371002-rsj/").json()["name"] == "环翠区人社局"


def test_audit_entries_endpoint_is_for_auditors(personas: dict[str, Any], plan: Plan) -> None:
    rows = _api(personas, "auditor").get("/api/v1/audit-entries/", {"action": "plans."}).json()
    assert rows["count"] == 1 and rows["results"][0]["action"] == "plans.plan.import"
    assert _api(personas, "coordinator").get("/api/v1/audit-entries/").json()["count"] == 0


def test_schema_and_docs_are_served_locally(personas: dict[str, Any], plan: Plan) -> None:
    client = _api(personas, "coordinator")
    schema = client.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    assert "/api/v1/plans/current" in schema.json()["paths"] or any(
        p.startswith("/api/v1/plans/current") for p in schema.json()["paths"]
    )
    docs = client.get("/api/docs/").content.decode()
    assert "swagger" in docs.lower()
    assert "//cdn" not in docs and "https://" not in docs


def test_unknown_api_path_is_json_404(personas: dict[str, Any], plan: Plan) -> None:
    response = _api(personas, "coordinator").get("/api/v1/targets/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
