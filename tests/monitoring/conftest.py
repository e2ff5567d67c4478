"""Fixtures of the cockpit tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from chuangye.accounts.models import OrgUnit
from chuangye.plans.models import Plan
from chuangye.reporting import services


@pytest.fixture
def approve_june(personas: dict[str, Any]) -> Callable[..., None]:
    """Approve 环翠区's June 2025 figure of 扶持创业 (filed, submitted, approved on 2 July)."""

    def approve(plan: Plan, value: str = "300") -> None:
        day = dt.date(2025, 7, 2)
        services.ensure_rounds(plan, day)
        row = services.save_value(
            indicator=plan.indicators.get(name="扶持创业"),
            org_unit=OrgUnit.objects.get(code="371002"),
            year=2025,
            month=6,
            value=value,
            actor=personas["reporter_huancui"],
            today=day,
        )
        services.submit_values([row], actor=personas["reporter_huancui"], today=day)
        services.approve_value(row, actor=personas["approver_huancui"])

    return approve
