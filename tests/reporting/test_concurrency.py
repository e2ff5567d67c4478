"""Two people save the same figure at the same moment: one wins, the other is told."""

import threading
from typing import Any

import pytest
from django.db import connection, connections

from chuangye.plans.models import Plan
from chuangye.reporting import services
from chuangye.reporting.models import DataValue, ReportingRound

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_concurrent_saves_with_the_same_version_lose_no_update(
    plan: Plan, personas: dict[str, Any], live_round: ReportingRound
) -> None:
    indicator = plan.indicators.get(name="扶持创业")
    unit = indicator.plan.org_unit.children.get(code="371002")
    first = services.save_value(
        indicator=indicator,
        org_unit=unit,
        year=2025,
        month=6,
        value="10",
        actor=personas["reporter_huancui"],
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(value: str) -> None:
        try:
            barrier.wait()
            services.save_value(
                indicator=indicator,
                org_unit=unit,
                year=2025,
                month=6,
                value=value,
                actor=personas["reporter_huancui"],
                expected_version=first.version,
            )
            outcomes.append("saved")
        except services.StaleWrite:
            outcomes.append("stale")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(v,)) for v in ("20", "30")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["saved", "stale"]
    row = DataValue.objects.get()
    assert row.version == first.version + 1
    assert row.value in (20, 30)
