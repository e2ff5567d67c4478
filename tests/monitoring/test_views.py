from typing import Any

import pytest

from chuangye.plans.models import Plan

pytestmark = pytest.mark.django_db


def test_cockpit_cards_lights_and_league(
    login: Any, plan: Plan, personas: Any, approve_june: Any
) -> None:
    from chuangye.plans.services import activate_allocation, propose_allocation

    activate_allocation(propose_allocation(plan, actor=None), actor=None)
    approve_june(plan)
    body = login("coordinator").get("/cockpit/", {"date": "2025-07-10"}).content.decode()
    assert body.count('class="tcard') == 22
    assert "300人" in body  # the approved figure, on the 扶持创业 card
    assert "区市排名" in body and 'data-kind="ranking"' in body
    assert "<script>" not in body  # chart data travels in JSON blocks, not inline script


def test_cockpit_filters_by_subplan(login: Any, plan: Plan) -> None:
    body = login("leader").get("/cockpit/", {"section": "6", "date": "2025-07-10"}).content.decode()
    assert "高素质农民创业创新培训" in body
    assert body.count('class="tcard') == 7  # the targets of measures 19 and 20


def test_district_staff_see_city_and_own_district_only(login: Any, plan: Plan) -> None:
    client = login("reporter_wendeng")
    assert client.get("/cockpit/").status_code == 200
    assert client.get("/cockpit/", {"org_unit": "371002"}).status_code == 404
    target = plan.targets.get(subject="扶持创业")
    assert client.get(f"/cockpit/targets/{target.pk}/", {"unit": "371002"}).status_code == 404
    assert "区市排名" not in client.get("/cockpit/").content.decode()


def test_drill_down_reaches_the_reported_figures(
    login: Any, plan: Plan, personas: Any, approve_june: Any
) -> None:
    from chuangye.plans.services import activate_allocation, propose_allocation

    activate_allocation(propose_allocation(plan, actor=None), actor=None)
    approve_june(plan)
    target = plan.targets.get(subject="扶持创业")
    client = login("coordinator")
    page = client.get(f"/cockpit/targets/{target.pk}/", {"date": "2025-07-10"}).content.decode()
    assert 'data-kind="trend"' in page and "各区市" in page
    records = client.get(
        f"/cockpit/targets/{target.pk}/", {"month": "2025-06", "date": "2025-07-10"}
    ).content.decode()
    assert "环翠区人社局" in records and "/reporting/values/" in records


def test_export_is_a_workbook(login: Any, plan: Plan) -> None:
    response = login("leader").get("/cockpit/", {"format": "xlsx", "date": "2025-07-10"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_delivery_chain_and_department_board(login: Any, plan: Plan) -> None:
    client = login("coordinator")
    chain = client.get("/cockpit/chain/").content.decode()
    assert "强化创业导师服务" in chain  # measure 20 serves its own targets
    board = client.get("/cockpit/departments/rsj/").content.decode()
    assert "填报及时率" in board and "强化创业导师服务" in board
    assert login("reporter_wendeng").get("/cockpit/departments/rsj/").status_code == 404


@pytest.mark.parametrize("username", ["outsider", "entrepreneur", "auditor"])
def test_cockpit_pages_are_404_for_outsiders(login: Any, plan: Plan, username: str) -> None:
    client = login(username)
    target = plan.targets.first()
    assert target is not None
    for url in [
        "/cockpit/",
        f"/cockpit/targets/{target.pk}/",
        "/cockpit/chain/",
        "/cockpit/departments/rsj/",
    ]:
        assert client.get(url).status_code == 404, url


def test_public_board_needs_no_login_and_shows_no_personal_data(
    client: Any, plan: Plan, personas: Any, approve_june: Any
) -> None:
    approve_june(plan)
    body = client.get("/board/", {"date": "2025-07-10"}).content.decode()
    assert "进度公开" in body and body.count('class="tcard') == 22
    assert "300人" in body
    assert "演示·" not in body and "环翠区人社局" not in body
    assert 'name="viewport"' in body


def test_public_board_is_cached_until_a_figure_changes(
    client: Any, plan: Plan, personas: Any, approve_june: Any
) -> None:
    first = client.get("/board/", {"date": "2025-07-10"}).content.decode()
    assert "csrfmiddlewaretoken" not in first  # nothing per-visitor in a shared page
    assert "300人" not in first
    approve_june(plan)
    assert "300人" in client.get("/board/", {"date": "2025-07-10"}).content.decode()
