from decimal import Decimal
from typing import Any

import pytest

from chuangye.monitoring.models import Fact
from chuangye.plans.models import Plan
from chuangye.reporting.duties import duties
from chuangye.reporting.models import DataValue, ReportingRound

pytestmark = pytest.mark.django_db


def _cells(rnd: ReportingRound, code: str) -> list[Any]:
    return [
        d for d in duties(rnd.plan, rnd.month, include_prefilled=False) if d.department.code == code
    ]


def _form(
    rnd: ReportingRound, code: str, value: str, action: str = "save", **extra: str
) -> dict[str, str]:
    cells = _cells(rnd, code)
    data = {"round": str(rnd.pk), "department": str(cells[0].department.pk), "action": action}
    for d in cells:
        key = f"{d.indicator.pk}-{d.org_unit.pk}"
        data[f"v-{key}"] = value
        data[f"n-{key}"] = ""
        existing = DataValue.objects.filter(
            indicator=d.indicator, org_unit=d.org_unit, year=rnd.year, month=rnd.month
        ).first()
        data[f"ver-{key}"] = str(existing.version if existing else 0)
    data.update(extra)
    return data


def test_reporter_sees_only_own_cells_and_saves_a_draft(
    login: Any, live_round: ReportingRound
) -> None:
    client = login("reporter_huancui")
    page = client.get("/reporting/").content.decode()
    assert "环翠区人社局" in page and "文登区" not in page
    assert "扶持创业" in page
    response = client.post("/reporting/", _form(live_round, "371002-rsj", "12"))
    assert response.status_code == 302
    values = DataValue.objects.filter(department__code="371002-rsj")
    assert values.count() == len(_cells(live_round, "371002-rsj"))
    assert {v.status for v in values} == {"draft"}


def test_one_bad_cell_saves_nothing_and_names_the_cell(
    login: Any, live_round: ReportingRound
) -> None:
    client = login("reporter_huancui")
    data = _form(live_round, "371002-rsj", "12")
    first = _cells(live_round, "371002-rsj")[0]
    data[f"v-{first.indicator.pk}-{first.org_unit.pk}"] = "-3"
    response = client.post("/reporting/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "不能为负数" in body and "本次修改均未保存" in body
    assert DataValue.objects.count() == 0


def test_submit_then_approve_updates_the_fact(login: Any, live_round: ReportingRound) -> None:
    reporter = login("reporter_huancui")
    reporter.post("/reporting/", _form(live_round, "371002-rsj", "7", action="submit"))
    assert set(DataValue.objects.values_list("status", flat=True)) == {"submitted"}
    approver = login("approver_huancui")
    queue = approver.get("/reporting/review/").content.decode()
    assert "扶持创业" in queue
    ids = [str(pk) for pk in DataValue.objects.values_list("pk", flat=True)]
    approver.post("/reporting/review/", {"action": "approve", "ids": ids})
    assert set(DataValue.objects.values_list("status", flat=True)) == {"approved"}
    fact = Fact.objects.get(indicator__name="扶持创业", org_unit__code="371002", year=2025, month=6)
    assert fact.value == Decimal(7)


def test_return_needs_a_reason_and_shows_it_to_the_reporter(
    login: Any, live_round: ReportingRound
) -> None:
    login("reporter_huancui").post(
        "/reporting/", _form(live_round, "371002-rsj", "7", action="submit")
    )
    approver = login("approver_huancui")
    one = DataValue.objects.first()
    assert one is not None
    approver.post("/reporting/review/", {"action": "return", "ids": [str(one.pk)], "reason": ""})
    one.refresh_from_db()
    assert one.status == "submitted"
    approver.post(
        "/reporting/review/", {"action": "return", "ids": [str(one.pk)], "reason": "与台账不符"}
    )
    one.refresh_from_db()
    assert one.status == "returned"
    page = login("reporter_huancui").get("/reporting/").content.decode()
    assert "退回原因：与台账不符" in page


def test_stale_form_is_refused_with_who_changed_it(login: Any, live_round: ReportingRound) -> None:
    client = login("reporter_huancui")
    stale = _form(live_round, "371002-rsj", "12")
    client.post("/reporting/", stale)
    client.post("/reporting/", _form(live_round, "371002-rsj", "13"))
    stale = {k: ("14" if k.startswith("v-") else v) for k, v in stale.items()}
    response = client.post("/reporting/", stale)
    assert response.status_code == 400
    assert "已被 演示·环翠区填报员 于" in response.content.decode()
    assert set(DataValue.objects.values_list("value", flat=True)) == {Decimal(13)}


def test_other_district_cannot_post_into_huancui(login: Any, live_round: ReportingRound) -> None:
    client = login("reporter_wendeng")
    response = client.post("/reporting/", _form(live_round, "371002-rsj", "99"))
    assert response.status_code == 404
    assert DataValue.objects.count() == 0


@pytest.mark.parametrize("username", ["outsider", "entrepreneur", "auditor"])
def test_reporting_pages_are_404_for_outsiders(
    login: Any, live_round: ReportingRound, username: str
) -> None:
    login("reporter_huancui").post("/reporting/", _form(live_round, "371002-rsj", "5"))
    value = DataValue.objects.first()
    assert value is not None
    client = login(username)
    for url in [
        "/reporting/",
        "/reporting/review/",
        "/reporting/rounds/",
        f"/reporting/values/{value.pk}/",
        "/reporting/progress/",
        "/allocation/",
    ]:
        assert client.get(url).status_code == 404, url


def test_value_page_shows_history_and_is_scoped(login: Any, live_round: ReportingRound) -> None:
    login("reporter_huancui").post(
        "/reporting/", _form(live_round, "371002-rsj", "5", action="submit")
    )
    value = DataValue.objects.first()
    assert value is not None
    body = login("approver_huancui").get(f"/reporting/values/{value.pk}/").content.decode()
    assert "reporting.value.create" in body and "reporting.value.submit" in body
    assert login("reporter_wendeng").get(f"/reporting/values/{value.pk}/").status_code == 404
    assert login("leader").get(f"/reporting/values/{value.pk}/").status_code == 200


def test_coordinator_reopens_from_the_value_page(login: Any, live_round: ReportingRound) -> None:
    login("reporter_huancui").post(
        "/reporting/", _form(live_round, "371002-rsj", "5", action="submit")
    )
    value = DataValue.objects.first()
    assert value is not None
    login("approver_huancui").post(
        "/reporting/review/", {"action": "approve", "ids": [str(value.pk)]}
    )
    coordinator = login("coordinator")
    assert "重新开放" in coordinator.get(f"/reporting/values/{value.pk}/").content.decode()
    coordinator.post(f"/reporting/values/{value.pk}/reopen/", {"reason": "区里更正台账"})
    value.refresh_from_db()
    assert value.status == "returned" and value.reopened


def test_rounds_page_shows_completeness_and_burden(login: Any, live_round: ReportingRound) -> None:
    login("reporter_huancui").post("/reporting/", _form(live_round, "371002-rsj", "5"))
    body = login("coordinator").get(f"/reporting/rounds/?round={live_round.pk}").content.decode()
    assert "环翠区人社局" in body and "系统汇总" in body
    assert login("reporter_huancui").get("/reporting/rounds/").status_code == 404


def test_round_export_is_a_real_workbook_scoped_to_the_user(
    login: Any, live_round: ReportingRound
) -> None:
    import io

    import openpyxl

    login("reporter_huancui").post("/reporting/", _form(live_round, "371002-rsj", "5"))
    response = login("coordinator").get(f"/reporting/rounds/export/?round={live_round.pk}")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "指标代码" and len(rows) == 1 + DataValue.objects.count()
    wendeng = login("reporter_wendeng").get(f"/reporting/rounds/export/?round={live_round.pk}")
    only_header = list(
        openpyxl.load_workbook(io.BytesIO(wendeng.content)).active.iter_rows(values_only=True)
    )  # type: ignore[union-attr]
    assert len(only_header) == 1


def test_allocation_ledger_edit_and_activate(login: Any, plan: Plan) -> None:
    from chuangye.plans.models import AllocationVersion

    client = login("coordinator")
    client.post("/allocation/", {"action": "propose", "reason": ""})
    version = AllocationVersion.objects.get()
    assert version.status == "draft"
    target = plan.targets.get(subject="扶持创业")
    line = version.lines.filter(target=target, org_unit__code="371002").order_by("year").first()
    assert line is not None
    response = client.post(
        "/allocation/",
        {
            "version": version.pk,
            "action": "save",
            f"q-{target.pk}-{line.org_unit_id}-{line.year}": str(line.quota + 5),
        },
    )
    assert response.status_code == 302
    client.post("/allocation/", {"version": version.pk, "action": "activate"})
    version.refresh_from_db()
    assert version.status == "draft"  # five over the target: refused
    page = client.get(f"/allocation/?version={version.pk}").content.decode()
    assert "相差 5" in page or "row-error" in page
    client.post(
        "/allocation/",
        {
            "version": version.pk,
            "action": "save",
            f"q-{target.pk}-{line.org_unit_id}-{line.year}": str(line.quota),
        },
    )
    client.post("/allocation/", {"version": version.pk, "action": "activate"})
    version.refresh_from_db()
    assert version.status == "active"
    huancui = login("reporter_huancui").get("/allocation/").content.decode()
    assert '<th class="num">环翠区</th>' in huancui
    assert '<th class="num">文登区</th>' not in huancui
    assert "市级预留</th>" not in huancui
    assert (
        login("leader").post("/allocation/", {"action": "propose", "reason": "x"}).status_code
        == 404
    )
