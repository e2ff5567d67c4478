"""``GET /api/v1/progress/export``: the rows of ``GET /api/v1/progress`` as an Excel workbook."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from chuangye.accounts.models import OrgUnit
from chuangye.monitoring.exports import XLSX
from chuangye.monitoring.progress import LIGHT_LABELS
from chuangye.monitoring.selectors import units_visible_to
from chuangye.plans.models import Plan

pytestmark = pytest.mark.django_db

URL = "/api/v1/progress/export"
DAY = "2025-07-15"


def _api(personas: dict[str, Any], username: str | None) -> APIClient:
    client = APIClient()
    if username:
        client.force_authenticate(personas[username])
    return client


def _allocated(plan: Plan) -> None:
    """The plan's targets allocated to the districts (the rows of every district exist)."""
    from chuangye.plans.services import activate_allocation, propose_allocation

    activate_allocation(propose_allocation(plan, actor=None), actor=None)


def _sheet(content: bytes) -> tuple[list[Any], list[tuple[Any, ...]]]:
    ws = load_workbook(io.BytesIO(content)).active
    assert ws is not None
    header, *rows = list(ws.iter_rows(values_only=True))
    return list(header), rows


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _from_json(plan: Plan, body: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What the workbook must say for each JSON row: unit, target, actual, expected, light."""
    names = dict(OrgUnit.objects.values_list("code", "name"))
    texts = dict(plan.targets.values_list("pk", "text"))
    return [
        (
            names[r["org_unit"]],
            texts[r["target_id"]],
            r["actual"],
            r["expected"],
            LIGHT_LABELS[r["status"]],
        )
        for r in body["results"]
    ]


def _from_sheet(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [(r[0], r[1], _num(r[5]), _num(r[6]), r[9]) for r in rows]


@pytest.mark.parametrize(
    "query",
    [
        {"date": DAY},
        {"date": DAY, "org_unit": "all"},
        {"date": DAY, "org_unit": "371002,371003", "seasonal": "1"},
    ],
)
def test_workbook_has_the_rows_of_the_json_for_the_same_filters(
    personas: dict[str, Any], plan: Plan, query: dict[str, str], approve_june: Any
) -> None:
    _allocated(plan)
    approve_june(plan)
    client = _api(personas, "leader")
    body = client.get("/api/v1/progress", query).json()
    response = client.get(URL, query)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert unquote(response["Content-Disposition"]).endswith(f"目标进度-{DAY}.xlsx")
    header, rows = _sheet(response.content)
    assert header[:2] == ["区划", "目标"] and header[9] == "状态"
    assert len(rows) == body["count"] > 0
    assert _from_sheet(rows) == _from_json(plan, body)
    assert any(r[5] == 300 for r in rows)  # the approved figure is in it


def test_target_filter_narrows_the_workbook_like_the_json(
    personas: dict[str, Any], plan: Plan, approve_june: Any
) -> None:
    _allocated(plan)
    approve_june(plan)
    target = plan.targets.get(subject="扶持创业")
    client = _api(personas, "coordinator")
    query = {"date": DAY, "org_unit": "all", "target": str(target.pk)}
    body = client.get("/api/v1/progress", query).json()
    _header, rows = _sheet(client.get(URL, query).content)
    assert _from_sheet(rows) == _from_json(plan, body)
    assert {r[1] for r in rows} == {target.text}
    assert len(rows) == len(units_visible_to(personas["coordinator"])) > 1


def test_any_accept_header_gets_the_file_and_refusals_stay_json(
    personas: dict[str, Any], plan: Plan
) -> None:
    client = _api(personas, "leader")
    for accept in (XLSX, "application/json", "*/*", "text/html"):
        response = client.get(URL, {"date": DAY}, HTTP_ACCEPT=accept)
        assert response.status_code == 200 and response["Content-Type"] == XLSX
    refused = client.get(URL, {"date": "tomorrow"}, HTTP_ACCEPT=XLSX)
    assert refused.status_code == 400 and refused["Content-Type"].startswith("application/json")


def test_district_reporter_gets_their_scope_like_the_json(
    personas: dict[str, Any], plan: Plan, approve_june: Any
) -> None:
    _allocated(plan)
    approve_june(plan)
    client = _api(personas, "reporter_huancui")
    for query in ({"date": DAY}, {"date": DAY, "org_unit": "all"}):
        body = client.get("/api/v1/progress", query).json()
        _header, rows = _sheet(client.get(URL, query).content)
        assert _from_sheet(rows) == _from_json(plan, body)
        assert {r[0] for r in rows} <= {"威海市", "环翠区"}
    _header, everything = _sheet(client.get(URL, {"date": DAY, "org_unit": "all"}).content)
    assert {r[0] for r in everything} == {"威海市", "环翠区"}
    other = client.get(URL, {"date": DAY, "org_unit": "371003"})  # 文登区: not theirs
    assert other.status_code == 404
    assert other.json()["code"] == "not_found" and other.json()["message"]


@pytest.mark.parametrize(
    "query",
    [
        {"org_unit": "999999"},
        {"org_unit": "371002,nope"},
        {"date": "2025-13-01"},
        {"date": "1999-01-01"},
        {"date": "yesterday"},
        {"target": "x"},
        {"target": "999999"},
    ],
)
def test_bad_parameters_are_400_json(
    personas: dict[str, Any], plan: Plan, query: dict[str, str]
) -> None:
    response = _api(personas, "leader").get(URL, query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["message"]
    assert body == _api(personas, "leader").get("/api/v1/progress", query).json()


@pytest.mark.parametrize("username", ["outsider", "entrepreneur", "auditor"])
def test_outside_the_plan_is_404(personas: dict[str, Any], plan: Plan, username: str) -> None:
    assert _api(personas, username).get(URL).status_code == 404


def test_anonymous_is_refused(personas: dict[str, Any], plan: Plan) -> None:
    response = _api(personas, None).get(URL, {"date": DAY})
    assert response.status_code in (401, 403)
    assert response.json()["code"] and response.json()["message"]


def test_page_export_uses_the_same_builder_without_repeating_rows(
    login: Any, personas: dict[str, Any], plan: Plan, approve_june: Any
) -> None:
    _allocated(plan)
    approve_june(plan)
    query = {"date": DAY, "org_unit": "all"}
    page = login("leader").get("/cockpit/", {**query, "format": "xlsx"})
    api = _api(personas, "leader").get(URL, query)
    assert page.status_code == 200 and page["Content-Disposition"] == api["Content-Disposition"]
    page_header, page_rows = _sheet(page.content)
    api_header, api_rows = _sheet(api.content)
    assert page_header == api_header
    assert sorted(page_rows, key=repr) == sorted(api_rows, key=repr)
    keys = [(r[0], r[1]) for r in page_rows]
    assert len(keys) == len(set(keys))  # a selected district is not listed twice
