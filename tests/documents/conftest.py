"""Documents fixtures: June 2025 with two approved figures and one lagging measure.

The scenario, by hand: 扶持创业 (≥19,000 人 by the end of 2026, counted from 2025) has 300 人
approved for 环翠区 and 500 人 for 文登区 in June 2025, so the city has 800 人: 4.2% done against
a 序时进度 of 6/24 = 25.0%, red. Measure 2 (市人力资源社会保障局 leads, 市发展改革委
cooperates) serves it, and 环翠区人社局 reported it behind in 2025 Q2 with a cause and a remedy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from chuangye.accounts.models import Department, OrgUnit
from chuangye.plans.models import Measure, Plan, Target
from chuangye.reporting.models import ProgressUpdate

PASSWORD = "Test-Passw0rd!"
CAUSE = "街区场地改造延期"
REMEDY = "七月底前完成改造并开放入驻"
REMEDY_DUE = dt.date(2025, 7, 31)


@pytest.fixture(autouse=True)
def _documents_settings(settings: Any, tmp_path: Any) -> None:
    # Page tests sign personas in without a second factor; issued files go to a scratch folder.
    settings.CHUANGYE_REQUIRE_2FA = False
    settings.MEDIA_ROOT = str(tmp_path / "media")


@dataclass
class Scenario:
    plan: Plan
    target: Target
    measure: Measure
    update: ProgressUpdate
    personas: dict[str, Any]


def approve_figure(plan: Plan, personas: dict[str, Any], unit: str, value: str) -> None:
    """Report, submit and approve a June 2025 扶持创业 figure for a district."""
    from chuangye.reporting import services

    day = dt.date(2025, 7, 2)
    bureau = f"{unit}-rsj"
    reporter = next(
        u
        for _name, u in sorted(personas.items())
        if u.memberships.filter(department__code=bureau, role="reporter").exists()
    )
    approver = next(
        u
        for name, u in sorted(personas.items())
        if u.memberships.filter(department__code=bureau, role="approver").exists()
    )
    row = services.save_value(
        indicator=plan.indicators.get(name="扶持创业"),
        org_unit=OrgUnit.objects.get(code=unit),
        year=2025,
        month=6,
        value=value,
        actor=reporter,
        today=day,
    )
    services.submit_values([row], actor=reporter, today=day)
    services.approve_value(row, actor=approver)


def build_scenario(plan: Plan, personas: dict[str, Any]) -> Scenario:
    from chuangye.plans.services import activate_allocation, propose_allocation, set_delivery_chain
    from chuangye.reporting import services

    activate_allocation(propose_allocation(plan, actor=None), actor=None)
    services.ensure_rounds(plan, dt.date(2025, 7, 2))
    approve_figure(plan, personas, "371002", "300")
    approve_figure(plan, personas, "371003", "500")
    target = plan.targets.get(subject="扶持创业")
    measure = plan.measures.get(number=2)
    set_delivery_chain(target, [measure], actor=None)
    bureau = Department.objects.get(code="371002-rsj")
    update = services.save_progress(
        measure=measure,
        department=bureau,
        year=2025,
        quarter=2,
        narrative="已完成揭榜项目征集",
        measure_status="behind",
        cause=CAUSE,
        remedy=REMEDY,
        remedy_due=REMEDY_DUE,
        actor=personas["reporter_huancui"],
    )
    services.submit_progress(update, actor=personas["reporter_huancui"])
    services.review_progress(update, approve=True, actor=personas["approver_huancui"])
    return Scenario(plan, target, measure, update, personas)


@pytest.fixture
def scenario(plan: Plan, personas: dict[str, Any]) -> Scenario:
    return build_scenario(plan, personas)


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The helpers and constants above, for tests that build data themselves."""
    return SimpleNamespace(
        build_scenario=build_scenario,
        approve_figure=approve_figure,
        PASSWORD=PASSWORD,
        CAUSE=CAUSE,
        REMEDY=REMEDY,
    )
