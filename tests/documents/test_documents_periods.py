import datetime as dt

import pytest

from chuangye.documents.errors import DocumentError
from chuangye.documents.periods import parse_period


def test_month_period_counts_through_its_month() -> None:
    p = parse_period("2025-06")
    assert (p.code, p.label, p.months) == ("2025-06", "2025年6月", [(2025, 6)])
    assert p.as_of == dt.date(2025, 7, 1) and p.end_label == "2025年6月底"


def test_quarter_and_year_periods() -> None:
    q = parse_period("2025-q2")
    assert q.code == "2025-Q2" and q.label == "2025年第二季度"
    assert q.months == [(2025, 4), (2025, 5), (2025, 6)] and q.quarters == ((2025, 2), (2025, 2))
    y = parse_period("2025")
    assert len(y.months) == 12 and y.as_of == dt.date(2026, 1, 1) and y.label == "2025年"
    assert parse_period("2025-12").as_of == dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2025-13", "月份应在 1 至 12 之间"),
        ("June", "无法识别的期间"),
        ("2025-Q5", "无法识别的期间"),
        ("", "无法识别的期间"),
    ],
)
def test_bad_periods_are_refused_in_chinese(raw: str, message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        parse_period(raw)


def test_period_outside_the_plan_is_refused() -> None:
    with pytest.raises(DocumentError, match="不在方案期（2025—2026年）内"):
        parse_period("2024-12", first_year=2025, last_year=2026)
