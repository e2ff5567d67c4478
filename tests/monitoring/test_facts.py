"""Facts stay equal to their sources after any sequence of writes (property test)."""

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chuangye.accounts.models import OrgUnit
from chuangye.core.audit import record
from chuangye.monitoring import facts
from chuangye.monitoring.models import Fact
from chuangye.plans.models import Plan
from chuangye.reporting import services
from chuangye.reporting.models import DataValue

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 7, 2)
CELLS = [
    ("扶持创业", "371002", 6),
    ("扶持创业", "371003", 6),
    ("带动就业", "371002", 6),
    ("扶持创业", "371002", 5),
]
OPS = st.lists(
    st.tuples(
        st.sampled_from(["save", "submit", "approve", "return", "reopen", "lock"]),
        st.integers(0, len(CELLS) - 1),
        st.integers(0, 500),
    ),
    max_size=12,
)


def _apply(plan: Plan, personas: dict[str, Any], op: str, cell: int, value: int) -> None:
    name, code, month = CELLS[cell]
    indicator = plan.indicators.get(name=name)
    unit = OrgUnit.objects.get(code=code)
    reporter = personas["reporter_huancui" if code == "371002" else "reporter_wendeng"]
    approver = personas["approver_huancui"]
    row = DataValue.objects.filter(
        indicator=indicator, org_unit=unit, year=2025, month=month
    ).first()
    day = dt.date(2025, month + 1, 3)
    try:
        if op == "save":
            services.save_value(
                indicator=indicator,
                org_unit=unit,
                year=2025,
                month=month,
                value=value,
                note="测试",
                actor=reporter,
                today=day,
            )
        elif row is None:
            return
        elif op == "submit":
            services.submit_values([row], actor=reporter, today=day)
        elif op == "approve":
            services.approve_value(
                row, actor=approver if code == "371002" else personas["coordinator"]
            )
        elif op == "return":
            services.return_value(row, "核对", actor=approver)
        elif op == "reopen":
            services.reopen_value(row, "更正", actor=personas["coordinator"])
        elif op == "lock":
            services.lock_due_rounds(dt.date(2025, month + 1, 28))
    except services.ReportingError:
        pass


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_any_sequence_of_writes_keeps_facts_consistent(
    plan: Plan, personas: dict[str, Any], ops: list[tuple[str, int, int]]
) -> None:
    services.ensure_rounds(plan, DAY)
    for op, cell, value in ops:
        _apply(plan, personas, op, cell, value)
    assert facts.check() == []


def test_rebuild_restores_a_tampered_fact(plan: Plan, personas: dict[str, Any]) -> None:
    services.ensure_rounds(plan, DAY)
    for op in ("save", "submit", "approve"):
        _apply(plan, personas, op, 0, 42)
    Fact.objects.filter(org_unit__code="371002").update(value=1)
    bad = facts.check()
    assert [(m.indicator, m.org_unit, m.stored, m.source) for m in bad] == [
        ("T01", "371002", 1, 42)
    ]
    facts.rebuild()
    assert facts.check() == []
    record("test.noop", actor=None)  # the audit chain is untouched by fact maintenance


def test_city_fact_is_the_sum_of_districts(plan: Plan, personas: dict[str, Any]) -> None:
    services.ensure_rounds(plan, DAY)
    for cell, value in ((0, 10), (1, 7)):
        _apply(plan, personas, "save", cell, value)
        _apply(plan, personas, "submit", cell, value)
    row = DataValue.objects.get(org_unit__code="371003")
    services.approve_value(
        DataValue.objects.get(org_unit__code="371002"), actor=personas["approver_huancui"]
    )
    city = Fact.objects.get(org_unit__code="371000", indicator__name="扶持创业", month=6)
    assert city.value == 10
    assert row.status == "submitted"  # not yet approved: not counted
