"""Eligibility rules at their boundaries, read from the dated policy (no database needed)."""

from decimal import Decimal
from typing import Any

import pytest

from chuangye.programs.loans import rules
from chuangye.programs.loans.choices import REQUIRED_MATERIALS, LoanKind
from chuangye.programs.loans.models import LoanPolicy

ME = rules.Member("王某", "graduate")
MATE = rules.Member("李某", "veteran")


def policy(**changes: Any) -> LoanPolicy:
    return LoanPolicy(name="测试政策", consent_version="t1", consent_text="同意", **changes)


def check(policy_: LoanPolicy | None = None, **facts: Any) -> dict[str, rules.Rule]:
    kind = facts.setdefault("kind", LoanKind.INDIVIDUAL)
    facts.setdefault("amount", Decimal(200_000))
    facts.setdefault("term_months", 36)
    facts.setdefault("applicant", ME)
    facts.setdefault("materials", frozenset(REQUIRED_MATERIALS[kind]))
    if kind == LoanKind.ENTERPRISE:
        facts.setdefault("venture_kind", "enterprise")
        facts.setdefault("credit_code", "91110000600037341L")
    outcome = rules.check(rules.Case(**facts), policy_ or policy())
    return {r.code: r for r in outcome}


def failed(outcome: dict[str, rules.Rule]) -> set[str]:
    return {code for code, r in outcome.items() if r.passed is False}


def test_individual_cap_exactly_at_limit_passes_and_one_fen_above_fails() -> None:
    assert failed(check(amount=Decimal("200000.00"))) == set()
    over = check(amount=Decimal("200000.01"))
    assert failed(over) == {"amount"}
    assert "200,000.01 元" in over["amount"].detail and "200,000.00 元" in over["amount"].detail


def test_partnership_of_three_passes_and_four_is_refused() -> None:
    three = check(kind=LoanKind.PARTNERSHIP, partners=(MATE, MATE), amount=Decimal(600_000))
    assert failed(three) == set()
    four = check(kind=LoanKind.PARTNERSHIP, partners=(MATE, MATE, MATE), amount=Decimal(600_000))
    assert failed(four) == {"partners"}
    assert "合伙人 4 人" in four["partners"].detail


def test_partnership_cap_counts_heads_up_to_the_weihai_ceiling() -> None:
    two = {"kind": LoanKind.PARTNERSHIP, "partners": (MATE,)}
    assert failed(check(amount=Decimal(400_000), **two)) == set()
    assert failed(check(amount=Decimal("400000.01"), **two)) == {"amount"}
    three = {"kind": LoanKind.PARTNERSHIP, "partners": (MATE, MATE)}
    assert failed(check(amount=Decimal("600000.01"), **three)) == {"amount"}


def test_partnership_national_rule_is_sum_of_caps_plus_ten_percent() -> None:
    national = policy(partnership_rule="sum_plus", partnership_markup_percent=Decimal(10))
    three = {"kind": LoanKind.PARTNERSHIP, "partners": (MATE, MATE)}
    ok = check(national, amount=Decimal(660_000), **three)
    assert failed(ok) == set() and "660,000.00 元" in ok["amount"].detail
    assert failed(check(national, amount=Decimal("660000.01"), **three)) == {"amount"}


def test_enterprise_needs_fifteen_percent_new_hires_up_to_100_staff() -> None:
    base = {"kind": LoanKind.ENTERPRISE, "term_months": 24, "amount": Decimal(3_000_000)}
    ok = check(staff_count=100, new_hires=15, **base)
    assert failed(ok) == set()
    assert "15 人 / 在职 100 人 = 15.00%" in ok["hiring"].detail
    short = check(staff_count=100, new_hires=14, **base)
    assert failed(short) == {"hiring"} and "不低于 15%" in short["hiring"].detail


def test_enterprise_above_100_staff_needs_eight_percent() -> None:
    base = {"kind": LoanKind.ENTERPRISE, "term_months": 24}
    assert failed(check(staff_count=125, new_hires=10, **base)) == set()  # exactly 8%
    assert failed(check(staff_count=125, new_hires=9, **base)) == {"hiring"}
    assert failed(check(staff_count=101, new_hires=9, **base)) == set()  # 8.91%
    assert failed(check(staff_count=101, new_hires=8, **base)) == {"hiring"}  # 7.92%
    at_100 = check(staff_count=100, new_hires=9, **base)
    assert failed(at_100) == {"hiring"}  # 100 is not above 100: 15% applies


def test_enterprise_cap_and_no_target_group_rule() -> None:
    base = {"kind": LoanKind.ENTERPRISE, "term_months": 24, "staff_count": 20, "new_hires": 3}
    ok = check(amount=Decimal(3_000_000), applicant=rules.Member("赵某", "other"), **base)
    assert failed(ok) == set() and ok["target_group"].passed is None
    assert failed(check(amount=Decimal("3000000.01"), **base)) == {"amount"}


@pytest.mark.parametrize(
    ("kind", "ok", "too_long"),
    [(LoanKind.INDIVIDUAL, 36, 37), (LoanKind.PARTNERSHIP, 36, 37), (LoanKind.ENTERPRISE, 24, 25)],
)
def test_term_limits(kind: str, ok: int, too_long: int) -> None:
    extra: dict[str, Any] = {"kind": kind, "amount": Decimal(100_000)}
    if kind == LoanKind.PARTNERSHIP:
        extra["partners"] = (MATE,)
    if kind == LoanKind.ENTERPRISE:
        extra.update(staff_count=10, new_hires=2)
    assert failed(check(term_months=ok, **extra)) == set()
    refused = check(term_months=too_long, **extra)
    assert failed(refused) == {"term"} and f"最长 {ok} 个月" in refused["term"].detail


def test_fourth_loan_is_refused_counting_open_applications() -> None:
    assert failed(check(prior_loans=2)) == set()
    fourth = check(prior_loans=3)
    assert failed(fourth) == {"count"} and "本次为第 4 笔" in fourth["count"].detail
    assert failed(check(prior_loans=2, open_applications=1)) == {"count"}


def test_target_group_other_is_not_eligible_nor_is_a_partner_in_it() -> None:
    alone = check(applicant=rules.Member("钱某", "other"))
    assert failed(alone) == {"target_group"} and "钱某" in alone["target_group"].detail
    team = check(
        kind=LoanKind.PARTNERSHIP,
        partners=(rules.Member("孙某", "other"),),
        amount=Decimal(300_000),
    )
    assert failed(team) == {"target_group"} and "孙某 不属于" in team["target_group"].detail


def test_missing_material_and_bad_credit_code_are_named() -> None:
    bare = check(materials=frozenset({"id_card"}))
    assert failed(bare) == {"materials"} and "营业执照" in bare["materials"].detail
    bad_code = check(
        kind=LoanKind.ENTERPRISE,
        term_months=24,
        staff_count=10,
        new_hires=2,
        credit_code="91110000600037341X",
    )
    assert failed(bad_code) == {"borrower"} and "校验位" in bad_code["borrower"].detail


def test_a_new_policy_row_changes_the_cap_without_code() -> None:
    national_2026 = policy(individual_cap=Decimal(300_000))
    assert failed(check(national_2026, amount=Decimal(300_000))) == set()
    assert failed(check(amount=Decimal(300_000))) == {"amount"}
