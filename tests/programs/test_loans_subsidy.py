"""Interest subsidy arithmetic on hand-computed cases (actual/360, borrower pays ≤ LPR − 150BP)."""

import datetime as dt
from decimal import Decimal

from chuangye.programs.loans.subsidy import (
    Terms,
    add_months,
    lpr_on,
    quarter_bounds,
    quarter_of,
    schedule,
    split,
)

D = Decimal
TABLE = [
    (dt.date(2023, 8, 21), D("3.45")),
    (dt.date(2024, 7, 22), D("3.35")),
    (dt.date(2024, 10, 21), D("3.10")),
    (dt.date(2025, 5, 20), D("3.00")),
]


def periods(terms: Terms) -> list:
    return schedule(terms, TABLE, spread_bp=150, basis=360)


def test_split_caps_the_borrower_at_lpr_minus_150bp() -> None:
    assert split(D("3.50"), D("3.00"), 150) == (D("1.50"), D("2.00"))
    assert split(D("1.20"), D("3.00"), 150) == (D("1.20"), D("0.00"))
    assert lpr_on(TABLE, dt.date(2024, 7, 21)) == D("3.45")
    assert lpr_on(TABLE, dt.date(2024, 7, 22)) == D("3.35")


def test_period_across_an_lpr_change_is_split_by_day() -> None:
    # 2024-07-01..09-30: 21 days at LPR 3.45 (borrower 1.95%, subsidy 1.50%),
    # 71 days at LPR 3.35 (borrower 1.85%, subsidy 1.60%); rate 3.45%, 200,000 元.
    # interest = 200000 × 3.45% × 92 / 360 = 1,763.333… → 1,763.33
    # subsidy  = 200000 × (1.50% × 21 + 1.60% × 71) / 360 = 290,200 / 360 = 806.111… → 806.11
    (p,) = periods(Terms(D(200_000), D("3.45"), dt.date(2024, 7, 1), 3))
    assert (p.start, p.end, p.days) == (dt.date(2024, 7, 1), dt.date(2024, 9, 30), 92)
    assert [s.days for s in p.segments] == [21, 71]
    assert p.interest == D("1763.33")
    assert p.subsidy == D("806.11")
    assert p.borrower_interest == D("957.22")
    assert p.principal_due == D(200_000)
    assert "LPR 3.45%×21天" in p.basis and "LPR 3.35%×71天" in p.basis


def test_quarter_under_one_lpr() -> None:
    # 2025-06-01..08-31, LPR 3.00, rate 3.50: borrower 1.50%, subsidy 2.00%.
    # interest = 200000 × 3.5% × 92 / 360 = 1,788.89; subsidy = 200000 × 2% × 92 / 360 = 1,022.22
    first = periods(Terms(D(200_000), D("3.50"), dt.date(2025, 6, 1), 36))[0]
    assert (first.interest, first.subsidy, first.borrower_interest) == (
        D("1788.89"),
        D("1022.22"),
        D("766.67"),
    )
    assert first.principal_due == 0


def test_rate_below_lpr_minus_150bp_gets_no_subsidy() -> None:
    first = periods(Terms(D(100_000), D("1.20"), dt.date(2025, 6, 1), 12))[0]
    assert first.subsidy == 0 and first.borrower_interest == first.interest == D("306.67")


def test_overdue_periods_get_no_subsidy() -> None:
    rows = periods(
        Terms(D(200_000), D("3.50"), dt.date(2025, 6, 1), 12, overdue_since=dt.date(2025, 10, 15))
    )
    assert [p.subsidy for p in rows] == [D("1022.22"), 0, 0, 0]
    assert rows[1].excluded == "逾期，不予贴息" and rows[1].interest == D("1769.44")


def test_extended_days_get_no_subsidy() -> None:
    # Four-month loan (matures 2025-10-01) extended to 2025-12-01: the second period has
    # 30 subsidised days and 61 days of extension.
    # interest = 200000 × 3.5% × 91 / 360 = 1,769.44; subsidy = 200000 × 2% × 30 / 360 = 333.33
    rows = periods(
        Terms(D(200_000), D("3.50"), dt.date(2025, 6, 1), 4, extended_to=dt.date(2025, 12, 1))
    )
    assert len(rows) == 2
    second = rows[1]
    assert (second.days, second.interest, second.subsidy) == (91, D("1769.44"), D("333.33"))
    assert "展期 61 天不贴息" in second.basis
    whole = periods(
        Terms(D(200_000), D("3.50"), dt.date(2025, 6, 1), 6, extended_to=dt.date(2026, 3, 1))
    )
    assert whole[-1].excluded == "展期，不予贴息" and whole[-1].subsidy == 0


def test_early_settlement_ends_the_schedule() -> None:
    rows = periods(
        Terms(D(200_000), D("3.50"), dt.date(2025, 6, 1), 36, settled_on=dt.date(2025, 7, 16))
    )
    assert len(rows) == 1 and rows[0].days == 45 and rows[0].principal_due == D(200_000)


def test_month_arithmetic_and_quarters() -> None:
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)
    assert quarter_of(dt.date(2025, 9, 30)) == "2025Q3"
    assert quarter_bounds("2025Q3") == (dt.date(2025, 7, 1), dt.date(2025, 9, 30))
