"""Progress arithmetic on hand-computed cases, one per comparator and scope."""

import copy
import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from chuangye.accounts.models import OrgUnit
from chuangye.monitoring.progress import Light, compute, cutoff_month, league
from chuangye.plans.models import Plan, Target

pytestmark = pytest.mark.django_db


@pytest.fixture
def city_unit(plan: Plan) -> OrgUnit:
    return OrgUnit.objects.get(code="371000")


def _t(plan: Plan, subject: str) -> Target:
    return plan.targets.select_related("indicator", "plan").get(subject=subject)


def _months(year: int, values: list[int | str]) -> dict[tuple[int, int], D]:
    return {(year, i + 1): D(str(v)) for i, v in enumerate(values)}


def test_cutoff_is_the_month_before() -> None:
    assert cutoff_month(dt.date(2025, 6, 15)) == (2025, 5)
    assert cutoff_month(dt.date(2026, 1, 3)) == (2025, 12)


def test_per_year_target_behind_by_a_little_is_yellow(plan: Plan, city_unit: OrgUnit) -> None:
    target = _t(plan, "专精特新企业")  # ≥ 50 a year
    p = compute(target, city_unit, dt.date(2025, 6, 15), _months(2025, [4, 4, 4, 4, 4]))
    assert p.scope == "per_year" and p.year == 2025
    assert p.actual == 20
    assert p.time_elapsed == pytest.approx(5 / 12)
    assert p.expected == D("20.83")
    assert p.completion == pytest.approx(0.4)
    assert p.status == Light.YELLOW  # 0.83 behind, inside the 10-point (5) margin
    assert p.required_monthly == pytest.approx(D(30) / 7)
    assert p.forecast == D("48.00")  # 20 + 4 × 7
    assert p.outlook == "at_risk"  # 96 % of the goal


def test_per_year_target_far_behind_is_red_and_ahead_is_green(
    plan: Plan, city_unit: OrgUnit
) -> None:
    target = _t(plan, "专精特新企业")
    day = dt.date(2025, 6, 15)
    assert compute(target, city_unit, day, _months(2025, [2, 2, 2, 2, 2])).status == Light.RED
    assert compute(target, city_unit, day, _months(2025, [5, 5, 5, 5, 5])).status == Light.GREEN
    done = compute(target, city_unit, day, _months(2025, [10, 10, 10, 10, 10]))
    assert done.status == Light.DONE and done.completion == pytest.approx(1.0)


def test_year_just_ended_is_judged_in_january(plan: Plan, city_unit: OrgUnit) -> None:
    target = _t(plan, "专精特新企业")
    p = compute(target, city_unit, dt.date(2026, 1, 5), _months(2025, [3] * 12))
    assert p.year == 2025 and p.time_elapsed == 1.0
    assert p.actual == 36 and p.status == Light.RED  # deadline passed short of 50
    assert p.required_monthly is None


def test_plan_target_counts_from_the_period_start(plan: Plan, city_unit: OrgUnit) -> None:
    target = _t(plan, "扶持创业")  # ≥ 19000 by 2026, counted from 2025
    series = _months(2025, [800] * 12)
    p = compute(target, city_unit, dt.date(2026, 1, 10), series)
    assert p.scope == "plan" and p.year is None
    assert p.time_elapsed == pytest.approx(0.5)
    assert p.expected == D("9500.00")
    assert p.actual == 9600 and p.status == Light.GREEN
    assert p.forecast == D("19200.00") and p.outlook == "on_track"
    assert p.required_monthly == pytest.approx(D(9400) / 12)


def test_approx_target_is_met_inside_the_tolerance(plan: Plan, city_unit: OrgUnit) -> None:
    target = _t(plan, "名特优新个体工商户")  # ~70 a year, ±10 %: 63 is enough
    year_end = dt.date(2026, 1, 5)
    short = compute(target, city_unit, year_end, _months(2025, [5] * 11 + [0]))
    assert short.actual == 55 and short.status == Light.RED
    met = compute(target, city_unit, year_end, _months(2025, [6] * 10 + [3, 0]))
    assert met.actual == 63 and met.status == Light.DONE


def test_range_target_is_done_at_the_lower_bound(plan: Plan, city_unit: OrgUnit) -> None:
    target = _t(plan, "省级创业街区")  # 2—3
    p = compute(target, city_unit, dt.date(2025, 9, 1), {(2025, 3): D(1), (2025, 7): D(1)})
    assert (p.min_value, p.max_value) == (2, 3)
    assert p.actual == 2 and p.status == Light.DONE


def test_at_most_target_turns_red_only_when_exceeded(plan: Plan, city_unit: OrgUnit) -> None:
    target = copy.copy(_t(plan, "专精特新企业"))
    target.comparator = "<="
    day = dt.date(2025, 7, 1)
    assert compute(target, city_unit, day, _months(2025, [4] * 6)).status == Light.GREEN  # 24 ≤ 25
    assert compute(target, city_unit, day, _months(2025, [6] * 6)).status == Light.YELLOW  # 36 > 25
    assert compute(target, city_unit, day, _months(2025, [9] * 6)).status == Light.RED  # 54 > 50


def test_relative_target_compares_two_series(plan: Plan, city_unit: OrgUnit) -> None:
    target = _t(plan, "普惠小微企业贷款余额同比增速")
    day = dt.date(2025, 7, 1)
    ours = {(2025, 6): D("11.5")}
    assert (
        compute(target, city_unit, day, ours, reference={(2025, 6): D("9")}).status == Light.GREEN
    )
    close = compute(target, city_unit, day, {(2025, 6): D("8.5")}, reference={(2025, 6): D("9")})
    assert close.status == Light.YELLOW and close.reference_actual == 9
    assert (
        compute(target, city_unit, day, {(2025, 6): D("7")}, reference={(2025, 6): D("9")}).status
        == Light.RED
    )
    assert compute(target, city_unit, day, ours, reference={}).status == Light.NO_DATA


def test_no_data_is_not_zero_and_not_green(plan: Plan, city_unit: OrgUnit) -> None:
    p = compute(_t(plan, "扶持创业"), city_unit, dt.date(2025, 6, 1), {})
    assert p.status == Light.NO_DATA and p.actual is None and p.completion is None


def test_seasonal_profile_follows_last_years_shape(plan: Plan, city_unit: OrgUnit) -> None:
    target = _t(plan, "专精特新企业")
    history = _months(2024, list(range(1, 13)))  # Jan 1 … Dec 12: total 78
    series = {**history, **_months(2025, [1, 2, 3])}
    p = compute(target, city_unit, dt.date(2025, 4, 2), series, seasonal=True)
    assert p.time_elapsed == pytest.approx(6 / 78)
    assert p.expected == (D(50) * D(str(round(6 / 78, 6)))).quantize(D("0.01"))
    assert p.status == Light.GREEN  # 6 done, 3.85 expected
    assert p.forecast == (D(6) / D(str(6 / 78))).quantize(D("0.01"))  # 78: last year's total
    linear = compute(target, city_unit, dt.date(2025, 4, 2), series)
    assert linear.expected == D("12.50") and linear.status == Light.RED  # 6.5 behind > 5


def test_league_ranks_on_outcomes_against_expected(plan: Plan, city_unit: OrgUnit) -> None:
    target = _t(plan, "专精特新企业")
    day = dt.date(2025, 7, 1)
    a = OrgUnit.objects.get(code="371002")
    b = OrgUnit.objects.get(code="371003")
    rows = [
        compute(target, a, day, _months(2025, [1] * 6), base=D(12)),  # 6 of 6 expected
        compute(target, b, day, _months(2025, [1] * 3), base=D(12)),  # 3 of 6 expected
    ]
    ranking: list[Any] = league(rows)
    assert [u.code for u, *_ in ranking] == ["371002", "371003"]
    assert ranking[0][1] == pytest.approx(1.0) and ranking[1][1] == pytest.approx(0.5)
