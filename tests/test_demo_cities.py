"""`chuangye demo --cities N`: fictitious cities hold records; Weihai's cockpit is untouched."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.db.models import Count
from rest_framework.test import APIClient

from chuangye.accounts.models import Department
from chuangye.demo import (
    EXTRA_CITY_PREFIX,
    build_registry,
    configure_indicators,
    ensure_extra_cities,
    extra_city_units,
)
from chuangye.monitoring import facts
from chuangye.monitoring.models import Fact
from chuangye.plans.services import activate_allocation, propose_allocation
from chuangye.programs.entrepreneurs.models import JobRecord, Person, SupportRecord, Venture
from chuangye.reporting.duties import duties

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 7, 1)
WEIHAI = ["371000", "371002", "371003", "371082", "371083", "371071", "371072", "371073", "371074"]


def _weihai_cockpit(leader: Any, org_unit: str) -> list[dict[str, Any]]:
    cache.clear()
    client = APIClient()
    client.force_authenticate(leader)
    response = client.get("/api/v1/progress", {"org_unit": org_unit, "date": "2025-07-15"})
    assert response.status_code == 200, response.content[:300]
    rows: list[dict[str, Any]] = response.json()["results"]
    return rows


@pytest.fixture
def weihai_registry(plan: Any, personas: dict[str, Any]) -> Any:
    configure_indicators(plan)
    activate_allocation(propose_allocation(plan, actor=None), actor=None)
    build_registry(plan, TODAY, scale=1, share=0.05)
    facts.rebuild()
    return plan


def test_extra_cities_hold_records_and_leave_weihai_unchanged(
    weihai_registry: Any, personas: dict[str, Any]
) -> None:
    plan = weihai_registry
    leader = personas["leader"]
    before = _weihai_cockpit(leader, "all")
    weihai_facts = set(
        Fact.objects.filter(org_unit__code__in=WEIHAI).values_list(
            "indicator_id", "org_unit__code", "year", "month", "value", "records"
        )
    )
    assert {r["org_unit"] for r in before} <= set(WEIHAI)
    assert any(r["actual"] for r in before)

    districts = ensure_extra_cities(16)
    assert ensure_extra_cities(16) == districts  # idempotent
    written = build_registry(
        plan, TODAY, seed=2026, scale=1, share=0.5, districts=districts, link_persona=False
    )
    facts.rebuild()

    # 15 fictitious cities, each with 8 district-level units, all clearly marked as demo data.
    units = extra_city_units()
    roots = [u for u in units if u.parent_id is None]
    assert len(roots) == 15 and len(units) == 15 * 9
    assert all("演示" in u.name and "演示" in u.short_name for u in units)
    assert {u.kind for u in roots} == {"city"}
    assert all(u.parent_id in {r.pk for r in roots} for u in units if u.parent_id)
    assert Department.objects.filter(code__startswith=EXTRA_CITY_PREFIX).count() == 15

    # The records are spread over (nearly) all of their districts, and more than Weihai's.
    extra = Person.objects.filter(district__code__startswith=EXTRA_CITY_PREFIX)
    spread = extra.values("district").annotate(n=Count("id"))
    assert len(spread) >= 110
    assert extra.count() > Person.objects.filter(district__code__in=WEIHAI).count()
    assert written == (
        extra.count()
        + Venture.objects.filter(district__code__startswith=EXTRA_CITY_PREFIX).count()
        + SupportRecord.objects.filter(org_unit__code__startswith=EXTRA_CITY_PREFIX).count()
        + JobRecord.objects.filter(org_unit__code__startswith=EXTRA_CITY_PREFIX).count()
    )
    assert not SupportRecord.objects.filter(
        org_unit__code__startswith=EXTRA_CITY_PREFIX, department__code__in=["rsj"]
    ).exists()

    # Their Facts exist and every Fact agrees with its source.
    assert Fact.objects.filter(org_unit__code__startswith=EXTRA_CITY_PREFIX).exists()
    assert facts.check() == []

    # Weihai's Facts and cockpit are exactly what they were before the other cities existed.
    assert (
        set(
            Fact.objects.filter(org_unit__code__in=WEIHAI).values_list(
                "indicator_id", "org_unit__code", "year", "month", "value", "records"
            )
        )
        == weihai_facts
    )
    assert _weihai_cockpit(leader, ",".join(WEIHAI)) == before
    # Reporting duties stay the plan's: Weihai and its districts only.
    assert {d.org_unit.code for d in duties(plan, 6)} <= set(WEIHAI)
    board = APIClient().get("/board/", {"date": "2025-07-15"})
    assert board.status_code == 200
    assert "演示第" not in board.content.decode()


def test_demo_refuses_a_bad_number_of_cities(capsys: Any) -> None:
    from chuangye.cli import main

    assert main(["demo", "--cities", "0"]) == 2
    assert "--cities" in capsys.readouterr().err
