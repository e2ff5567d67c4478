"""Reporting periods of a bulletin: a month (2025-06), a quarter (2025-Q2) or a year (2025)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from chuangye.documents.choices import PeriodKind
from chuangye.documents.errors import DocumentError

QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year; ``index`` is the month or quarter (0 for a year)."""

    kind: str
    year: int
    index: int = 0

    @property
    def code(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return f"{self.year}-{self.index:02d}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.year}-Q{self.index}"
        return str(self.year)

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return f"{self.year}年{self.index}月"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.year}年第{QUARTER_NAMES[self.index]}季度"
        return f"{self.year}年"

    @property
    def months(self) -> list[tuple[int, int]]:
        if self.kind == PeriodKind.MONTH:
            return [(self.year, self.index)]
        if self.kind == PeriodKind.QUARTER:
            first = 3 * (self.index - 1) + 1
            return [(self.year, m) for m in range(first, first + 3)]
        return [(self.year, m) for m in range(1, 13)]

    @property
    def last(self) -> tuple[int, int]:
        return self.months[-1]

    @property
    def end_label(self) -> str:
        """Through when the figures count: 2025年6月底."""
        year, month = self.last
        return f"{year}年{month}月底"

    @property
    def as_of(self) -> dt.date:
        """The day whose progress counts every month through the end of the period."""
        year, month = self.last
        return dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)

    @property
    def quarters(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """First and last (year, quarter) the period touches."""
        (y1, m1), (y2, m2) = self.months[0], self.last
        return (y1, (m1 - 1) // 3 + 1), (y2, (m2 - 1) // 3 + 1)


def parse_period(
    raw: str, *, first_year: int | None = None, last_year: int | None = None
) -> Period:
    """Read ``2025-06``, ``2025-Q2`` or ``2025``; optionally require a year inside a plan."""
    text = (raw or "").strip()
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise DocumentError(f"期间“{text}”的月份应在 1 至 12 之间")
        period = Period(PeriodKind.MONTH, year, month)
    elif m := _QUARTER.match(text):
        period = Period(PeriodKind.QUARTER, int(m.group(1)), int(m.group(2)))
    elif m := _YEAR.match(text):
        period = Period(PeriodKind.YEAR, int(m.group(1)))
    else:
        raise DocumentError(
            f"无法识别的期间“{text}”：月度写作 2025-06，季度写作 2025-Q2，年度写作 2025"
        )
    if (
        first_year is not None
        and last_year is not None
        and not (first_year <= period.year <= last_year)
    ):
        raise DocumentError(f"期间“{period.label}”不在方案期（{first_year}—{last_year}年）内")
    return period


def period_from_parts(kind: str, code: str) -> Period:
    """Rebuild a stored period (kind and code as saved on a bulletin)."""
    period = parse_period(code)
    if period.kind != kind:
        raise DocumentError(f"期间类型与期间“{code}”不一致")
    return period
