import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from chuangye.accounts.models import Department, OrgUnit
from chuangye.core.models import AuditEntry
from chuangye.monitoring.models import Fact
from chuangye.plans.models import Indicator, Measure, Plan
from chuangye.reporting import services
from chuangye.reporting.calendar import WorkCalendar, round_dates
from chuangye.reporting.duties import duties
from chuangye.reporting.models import DataValue, Holiday

pytestmark = pytest.mark.django_db

JULY = dt.date(2025, 7, 2)  # June's figures are open, due 2025-07-07


@pytest.fixture
def rounds(plan: Plan, personas: dict[str, Any]) -> Plan:
    services.ensure_rounds(plan, JULY)
    return plan


def _indicator(plan: Plan, subject: str) -> Indicator:
    return plan.indicators.get(name__contains=subject)


def _unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def _save(
    personas: dict[str, Any],
    who: str,
    plan: Plan,
    subject: str = "扶持创业",
    unit: str = "371002",
    month: int = 6,
    value: Any = "120",
    **kw: Any,
) -> DataValue:
    return services.save_value(
        indicator=_indicator(plan, subject),
        org_unit=_unit(unit),
        year=2025,
        month=month,
        value=value,
        actor=personas[who],
        today=kw.pop("today", JULY),
        **kw,
    )


def test_round_dates_skip_weekends_and_holidays() -> None:
    # June 2025: opens Tue 1 July; 5th working day is Mon 7 July; locks 5 working days later.
    assert round_dates(2025, 6) == (dt.date(2025, 7, 1), dt.date(2025, 7, 7), dt.date(2025, 7, 14))
    Holiday.objects.create(date=dt.date(2025, 7, 3), name="测试假日")
    assert round_dates(2025, 6, WorkCalendar())[1] == dt.date(2025, 7, 8)
    # A working Sunday (调休) counts.
    Holiday.objects.create(date=dt.date(2025, 9, 28), name="调休", is_workday=True)
    assert WorkCalendar().is_workday(dt.date(2025, 9, 28))


def test_ensure_rounds_is_idempotent_and_stops_at_today(rounds: Plan) -> None:
    assert list(rounds.rounds.order_by("month").values_list("month", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    assert services.ensure_rounds(rounds, JULY) == []


def test_district_bureau_reports_unowned_indicators_for_its_district(rounds: Plan) -> None:
    huancui = Department.objects.get(code="371002-rsj")
    mine = duties(rounds, 6, departments={huancui.pk})
    assert mine and all(d.org_unit.code == "371002" for d in mine)
    assert {d.indicator.code for d in mine} == set(
        rounds.indicators.filter(owner__isnull=True).values_list("code", flat=True)
    )


def test_reporter_saves_then_submits_and_approver_approves(
    rounds: Plan, personas: dict[str, Any]
) -> None:
    row = _save(personas, "reporter_huancui", rounds)
    assert row.status == "draft" and row.value == Decimal("120")
    services.submit_values([row], actor=personas["reporter_huancui"], today=JULY)
    row.refresh_from_db()
    assert row.status == "submitted"
    services.approve_value(row, actor=personas["approver_huancui"])
    row.refresh_from_db()
    assert row.status == "approved" and row.approved_by == personas["approver_huancui"]
    fact = Fact.objects.get(indicator=row.indicator, org_unit__code="371002", year=2025, month=6)
    assert fact.value == Decimal("120")
    city = Fact.objects.get(indicator=row.indicator, org_unit__code="371000", year=2025, month=6)
    assert city.value == Decimal("120")
    actions = list(
        AuditEntry.objects.filter(object_id=str(row.pk)).values_list("action", flat=True)
    )
    assert set(actions) >= {
        "reporting.value.create",
        "reporting.value.submit",
        "reporting.value.approve",
    }


def test_return_requires_reason_and_reporter_can_fix(
    rounds: Plan, personas: dict[str, Any]
) -> None:
    row = _save(personas, "reporter_huancui", rounds)
    services.submit_values([row], actor=personas["reporter_huancui"], today=JULY)
    with pytest.raises(services.ReportingError, match="原因"):
        services.return_value(row, "  ", actor=personas["approver_huancui"])
    services.return_value(row, "数字与台账不符", actor=personas["approver_huancui"])
    row.refresh_from_db()
    assert row.status == "returned" and row.return_reason == "数字与台账不符"
    fixed = _save(personas, "reporter_huancui", rounds, value="118", expected_version=row.version)
    assert fixed.value == Decimal("118") and fixed.status == "returned"
    services.submit_values([fixed], actor=personas["reporter_huancui"], today=JULY)
    fixed.refresh_from_db()
    assert fixed.status == "submitted" and fixed.return_reason == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "负数"), ("12.5", "整数"), ("abc", "不是数字"), ("NaN", "不是数字"), ("1e20", "过大")],
)
def test_bad_numbers_are_refused_and_nothing_saved(
    rounds: Plan, personas: dict[str, Any], value: str, message: str
) -> None:
    with pytest.raises(services.ReportingError, match=message):
        _save(personas, "reporter_huancui", rounds, value=value)
    assert DataValue.objects.count() == 0


def test_money_allows_two_decimals_only(rounds: Plan, personas: dict[str, Any]) -> None:
    loans = _indicator(rounds, "创业担保贷款")
    assert loans.is_money
    assert services.parse_number("1234.56", loans) == Decimal("1234.56")
    with pytest.raises(services.ReportingError, match="两位小数"):
        services.parse_number("1.234", loans)


def test_another_districts_cell_is_refused(rounds: Plan, personas: dict[str, Any]) -> None:
    with pytest.raises(services.ReportingError, match="不是文登区人社局的填报员"):
        _save(personas, "reporter_huancui", rounds, unit="371003")
    with pytest.raises(services.ReportingError):
        _save(personas, "approver_huancui", rounds)
    with pytest.raises(services.ReportingError):
        _save(personas, "outsider", rounds)
    assert DataValue.objects.count() == 0


def test_out_of_window_and_locked_rounds_are_refused(
    rounds: Plan, personas: dict[str, Any]
) -> None:
    with pytest.raises(services.ReportingError, match="尚未开启"):
        _save(personas, "reporter_huancui", rounds, month=7)
    row = _save(personas, "reporter_huancui", rounds)
    services.submit_values([row], actor=personas["reporter_huancui"], today=JULY)
    services.approve_value(row, actor=personas["approver_huancui"])
    locked = services.lock_due_rounds(dt.date(2025, 7, 14))
    assert sorted(r.month for r in locked) == [1, 2, 3, 4, 5, 6]
    row.refresh_from_db()
    assert row.status == "locked"
    with pytest.raises(services.ReportingError, match="锁定"):
        _save(personas, "reporter_wendeng", rounds, unit="371003", today=dt.date(2025, 7, 14))
    # Locked figures still count.
    assert Fact.objects.get(indicator=row.indicator, org_unit__code="371002", month=6).value == 120


def test_coordinator_reopens_a_locked_value_with_reason(
    rounds: Plan, personas: dict[str, Any]
) -> None:
    row = _save(personas, "reporter_huancui", rounds)
    services.submit_values([row], actor=personas["reporter_huancui"], today=JULY)
    services.approve_value(row, actor=personas["approver_huancui"])
    services.lock_due_rounds(dt.date(2025, 7, 14))
    with pytest.raises(services.ReportingError):
        services.reopen_value(row, "更正", actor=personas["reporter_huancui"])
    with pytest.raises(services.ReportingError, match="原因"):
        services.reopen_value(row, "", actor=personas["coordinator"])
    services.reopen_value(row, "区里更正了台账", actor=personas["coordinator"])
    row.refresh_from_db()
    assert row.status == "returned" and row.reopened
    assert not Fact.objects.filter(
        indicator=row.indicator, org_unit__code="371002", month=6
    ).exists()
    late = dt.date(2025, 8, 1)
    fixed = _save(personas, "reporter_huancui", rounds, value="121", today=late)
    services.submit_values([fixed], actor=personas["reporter_huancui"], today=late)
    services.approve_value(fixed, actor=personas["approver_huancui"])
    assert Fact.objects.get(indicator=row.indicator, org_unit__code="371002", month=6).value == 121


def test_second_editor_with_stale_version_is_refused(
    rounds: Plan, personas: dict[str, Any]
) -> None:
    first = _save(personas, "reporter_huancui", rounds)
    read_version = first.version
    _save(personas, "reporter_huancui", rounds, value="130", expected_version=read_version)
    with pytest.raises(services.StaleWrite, match="已被 演示·环翠区填报员 于"):
        _save(personas, "reporter_huancui", rounds, value="140", expected_version=read_version)
    assert DataValue.objects.get().value == Decimal("130")


def test_unusual_value_needs_a_comment(rounds: Plan, personas: dict[str, Any]) -> None:
    reporter = personas["reporter_huancui"]
    for month in range(1, 6):
        during = dt.date(2025, month + 1, 3)
        row = _save(personas, "reporter_huancui", rounds, month=month, value="100", today=during)
        services.submit_values([row], actor=reporter, today=during)
    jump = _save(personas, "reporter_huancui", rounds, value="400")
    with pytest.raises(services.ReportingError, match="3 倍"):
        services.submit_values([jump], actor=reporter, today=JULY)
    zero = _save(personas, "reporter_huancui", rounds, value="0", expected_version=jump.version)
    with pytest.raises(services.ReportingError, match="降为 0"):
        services.submit_values([zero], actor=reporter, today=JULY)
    explained = _save(
        personas,
        "reporter_huancui",
        rounds,
        value="400",
        note="集中认定一批",
        expected_version=zero.version,
    )
    services.submit_values([explained], actor=reporter, today=JULY)
    assert DataValue.objects.get(pk=explained.pk).status == "submitted"


def test_submit_round_requires_every_cell(rounds: Plan, personas: dict[str, Any]) -> None:
    huancui = Department.objects.get(code="371002-rsj")
    _save(personas, "reporter_huancui", rounds)
    with pytest.raises(services.ReportingError, match="尚未填写"):
        services.submit_round(
            rounds, 2025, 6, huancui, actor=personas["reporter_huancui"], today=JULY
        )
    assert DataValue.objects.filter(status="submitted").count() == 0
    for duty in duties(rounds, 6, departments={huancui.pk}, include_prefilled=False):
        services.save_value(
            indicator=duty.indicator,
            org_unit=duty.org_unit,
            year=2025,
            month=6,
            value="3",
            actor=personas["reporter_huancui"],
            today=JULY,
        )
    submitted = services.submit_round(
        rounds, 2025, 6, huancui, actor=personas["reporter_huancui"], today=JULY
    )
    assert len(submitted) == len(
        duties(rounds, 6, departments={huancui.pk}, include_prefilled=False)
    )


def test_progress_behind_plan_needs_cause_remedy_and_date(
    rounds: Plan, personas: dict[str, Any]
) -> None:
    rsj = Department.objects.get(code="rsj")
    measure = Measure.objects.get(plan=rounds, number=20)
    kwargs = {
        "measure": measure,
        "department": rsj,
        "year": 2025,
        "quarter": 2,
        "narrative": "已建成导师工作室 12 个",
        "actor": personas["reporter_rsj"],
    }
    with pytest.raises(services.ReportingError, match="滞后原因"):
        services.save_progress(measure_status="behind", **kwargs)
    row = services.save_progress(
        measure_status="behind",
        cause="场地未落实",
        remedy="协调园区",
        remedy_due=dt.date(2025, 9, 30),
        **kwargs,
    )
    services.submit_progress(row, actor=personas["reporter_rsj"])
    with pytest.raises(services.ReportingError):
        services.review_progress(row, approve=True, actor=personas["approver_huancui"])
    other = Measure.objects.get(plan=rounds, number=9)  # led by 市发展改革委
    with pytest.raises(services.ReportingError, match="不是"):
        services.save_progress(measure_status="on_track", **{**kwargs, "measure": other})
