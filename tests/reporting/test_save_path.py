"""The figure-save path: who reports a cell, what a draft leaves alone, deadlock retries."""

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import OperationalError

from chuangye.accounts.models import OrgUnit
from chuangye.monitoring import facts
from chuangye.plans.models import Plan
from chuangye.reporting import services
from chuangye.reporting.duties import duties

pytestmark = pytest.mark.django_db

JULY = dt.date(2025, 7, 2)  # June's figures are open


@pytest.fixture
def rounds(plan: Plan, personas: dict[str, Any]) -> Plan:
    services.ensure_rounds(plan, JULY)
    return plan


def test_the_one_cell_lookup_agrees_with_duties_for_every_cell(rounds: Plan) -> None:
    expected = {
        (d.indicator.pk, d.org_unit.pk): d.department.pk
        for d in duties(rounds, 6, include_prefilled=False)
    }
    assert expected
    indicators = [i for i in rounds.indicators.all() if i.is_manual and i.asked_in_month(6)]
    for indicator in indicators:
        for unit in OrgUnit.objects.all():
            try:
                found = services._duty_department(indicator, unit).pk
            except services.ReportingError:
                found = None
            assert found == expected.get((indicator.pk, unit.pk)), (indicator.code, unit.code)


def test_a_draft_save_leaves_the_cockpit_cache_alone(
    rounds: Plan, personas: dict[str, Any]
) -> None:
    indicator = rounds.indicators.get(name__contains="扶持创业")
    unit = OrgUnit.objects.get(code="371002")
    reporter = personas["reporter_huancui"]
    before = facts.current_version()
    row = services.save_value(
        indicator=indicator,
        org_unit=unit,
        year=2025,
        month=6,
        value="12",
        actor=reporter,
        today=JULY,
    )
    services.save_value(
        indicator=indicator,
        org_unit=unit,
        year=2025,
        month=6,
        value="13",
        actor=reporter,
        expected_version=row.version,
        today=JULY,
    )
    assert facts.current_version() == before  # drafts feed no Fact
    row.refresh_from_db()
    services.submit_values([row], actor=reporter, today=JULY)
    assert facts.current_version() == before
    services.approve_value(row, actor=personas["approver_huancui"])
    assert facts.current_version() != before  # an approved figure does


class _Deadlock(Exception):
    sqlstate = services.DEADLOCK


def _deadlock() -> OperationalError:
    exc = OperationalError("deadlock detected")
    exc.__cause__ = _Deadlock()
    return exc


def test_an_outermost_write_is_retried_after_a_deadlock(monkeypatch: Any) -> None:
    calls: list[int] = []

    @services.retry_on_deadlock
    def write() -> str:
        calls.append(1)
        if len(calls) < 2:
            raise _deadlock()
        return "saved"

    outside = SimpleNamespace(in_atomic_block=False)  # as in a request: no caller transaction
    monkeypatch.setattr(services.transaction, "get_connection", lambda: outside)
    assert write() == "saved" and len(calls) == 2


def test_a_deadlock_inside_a_callers_transaction_is_not_retried() -> None:
    calls: list[int] = []

    @services.retry_on_deadlock
    def write() -> None:
        calls.append(1)
        raise _deadlock()

    with pytest.raises(OperationalError):
        write()  # the test runs inside a transaction: retrying would act on an aborted one
    assert len(calls) == 1


def test_figure_pages_count_the_same_with_or_without_the_count_query(
    rounds: Plan, personas: dict[str, Any]
) -> None:
    from rest_framework.test import APIClient

    from chuangye.reporting.models import DataValue

    indicator = rounds.indicators.get(name__contains="扶持创业")
    for code in ("371002", "371003", "371082"):
        DataValue.objects.create(
            indicator=indicator,
            org_unit=OrgUnit.objects.get(code=code),
            department=services._duty_department(indicator, OrgUnit.objects.get(code=code)),
            year=2025,
            month=6,
        )
    client = APIClient()
    client.force_authenticate(personas["coordinator"])

    def page(query: str) -> tuple[int, int, bool, bool]:
        body = client.get(f"/api/v1/data-values?{query}").json()
        return body["count"], len(body["results"]), bool(body["next"]), bool(body["previous"])

    assert page("limit=100") == (3, 3, False, False)  # short first page: no COUNT needed
    assert page("limit=2") == (3, 2, True, False)  # full page: counted
    assert page("limit=2&offset=2") == (3, 1, False, True)  # short last page
    assert page("limit=2&offset=3") == (3, 0, False, True)  # past the end: counted
    assert page("limit=2&offset=9") == (3, 0, False, True)
    assert page("year=1999") == (0, 0, False, False)


def test_a_cell_created_by_a_colleague_meanwhile_is_a_stale_write(
    rounds: Plan, personas: dict[str, Any], monkeypatch: Any
) -> None:
    from chuangye.reporting.models import DataValue

    indicator = rounds.indicators.get(name__contains="扶持创业")
    unit = OrgUnit.objects.get(code="371002")
    reporter = personas["reporter_huancui"]
    cell = {"indicator": indicator, "org_unit": unit, "year": 2025, "month": 6}
    services.save_value(**cell, value="12", actor=reporter, today=JULY)

    real = DataValue.objects

    class NotYetThere:  # the look-up ran before the colleague's row was committed
        def select_for_update(self, **kw: Any) -> "NotYetThere":
            return self

        def filter(self, **kw: Any) -> "NotYetThere":
            return self

        def first(self) -> None:
            return None

    class Manager:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def select_related(self, *fields: str) -> NotYetThere:
            return NotYetThere()

    class Shim:
        objects = Manager()

    monkeypatch.setattr(services, "DataValue", Shim)
    with pytest.raises(services.StaleWrite, match="其他用户"):
        services.save_value(**cell, value="13", actor=reporter, today=JULY)
    assert real.get(**cell).value == 12  # the first figure stands
