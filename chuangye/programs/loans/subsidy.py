"""Repayment schedule and interest subsidy: arithmetic on a loan's terms and the LPR table.

Interest runs from the disbursement date in three-month periods (按季结息), principal is repaid at
the end (到期还本). Each day of a period takes the one-year LPR in force on that day; the borrower
pays the contract rate but no more than LPR − ``spread`` (150BP by default) and public finance
pays the rest. Overdue periods and days of an extension get no subsidy. Interest is
principal × annual rate × days / ``basis`` (360), rounded to the fen per period.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

FEN = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
MONTHS_PER_PERIOD = 3

LprTable = Sequence[tuple[dt.date, Decimal]]  # (effective_on, one-year LPR %) ascending


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def money(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def lpr_on(table: LprTable, day: dt.date) -> Decimal:
    """The LPR in force on ``day`` (the earliest known one before the table starts)."""
    if not table:
        raise ValueError(_("尚未录入贷款市场报价利率（LPR）"))
    current = table[0][1]
    for effective_on, value in table:
        if effective_on > day:
            break
        current = value
    return current


def split(rate: Decimal, lpr: Decimal, spread_bp: int) -> tuple[Decimal, Decimal]:
    """(borrower's rate, subsidised rate) in percent for a contract ``rate`` under ``lpr``."""
    ceiling = max(lpr - Decimal(spread_bp) / HUNDRED, ZERO)
    borrower = min(rate, ceiling)
    return borrower, rate - borrower


@dataclass(frozen=True)
class Terms:
    """What the arithmetic needs to know about a loan."""

    amount: Decimal
    rate: Decimal
    disbursed_on: dt.date
    term_months: int
    extended_to: dt.date | None = None
    overdue_since: dt.date | None = None
    settled_on: dt.date | None = None
    compensated_on: dt.date | None = None

    @property
    def maturity_on(self) -> dt.date:
        return add_months(self.disbursed_on, self.term_months)

    @property
    def ends_on(self) -> dt.date:
        return self.settled_on or self.compensated_on or self.extended_to or self.maturity_on


@dataclass(frozen=True)
class Segment:
    """Days of a period under one LPR (and on one side of the original maturity)."""

    start: dt.date
    end: dt.date  # exclusive
    lpr: Decimal
    borrower_rate: Decimal
    subsidy_rate: Decimal
    extension: bool

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class Period:
    """One interest period of the schedule with its split between borrower and subsidy."""

    number: int
    start: dt.date
    end: dt.date  # last day of interest, inclusive
    due_on: dt.date
    days: int
    principal: Decimal
    principal_due: Decimal
    rate: Decimal
    interest: Decimal
    borrower_interest: Decimal
    subsidy: Decimal
    segments: tuple[Segment, ...]
    excluded: str

    @property
    def basis(self) -> str:
        """How the subsidy was worked out, for the statement (LPR and days per segment)."""
        if self.excluded:
            return self.excluded
        parts = []
        for s in self.segments:
            if s.extension:
                parts.append(_("展期 %(d)s 天不贴息") % {"d": s.days})
            else:
                parts.append(
                    _("LPR %(lpr)s%%×%(d)s天：借款人 %(b)s%%，贴息 %(s)s%%")
                    % {"lpr": s.lpr, "d": s.days, "b": s.borrower_rate, "s": s.subsidy_rate}
                )
        return "；".join(parts)


def _boundaries(terms: Terms) -> list[tuple[dt.date, dt.date]]:
    """[start, end) of each period, counted from the disbursement day so dates do not drift."""
    end = terms.ends_on
    out: list[tuple[dt.date, dt.date]] = []
    k = 0
    start = terms.disbursed_on
    while start < end:
        k += 1
        stop = min(add_months(terms.disbursed_on, MONTHS_PER_PERIOD * k), end)
        out.append((start, stop))
        start = stop
    return out


def _segments(
    start: dt.date, end: dt.date, terms: Terms, table: LprTable, spread_bp: int
) -> list[Segment]:
    cuts = {start, end}
    cuts.update(d for d, _v in table if start < d < end)
    if start < terms.maturity_on < end:
        cuts.add(terms.maturity_on)
    edges = sorted(cuts)
    out = []
    for a, b in itertools.pairwise(edges):
        lpr = lpr_on(table, a)
        extension = a >= terms.maturity_on
        borrower, subsidised = split(terms.rate, lpr, spread_bp)
        if extension:
            borrower, subsidised = terms.rate, ZERO
        out.append(Segment(a, b, lpr, borrower, subsidised, extension))
    return out


def schedule(terms: Terms, table: LprTable, *, spread_bp: int, basis: int) -> list[Period]:
    """Every interest period from disbursement to the loan's end, with its subsidy."""
    periods = []
    spans = _boundaries(terms)
    divisor = HUNDRED * basis
    for number, (start, end) in enumerate(spans, start=1):
        segments = _segments(start, end, terms, table, spread_bp)
        principal = terms.amount
        interest_raw = sum((principal * terms.rate * s.days for s in segments), ZERO) / divisor
        subsidy_raw = sum((principal * s.subsidy_rate * s.days for s in segments), ZERO) / divisor
        excluded = ""
        if terms.overdue_since is not None and terms.overdue_since < end:
            excluded, subsidy_raw = _("逾期，不予贴息"), ZERO
        elif segments and all(s.extension for s in segments):
            excluded = _("展期，不予贴息")
        interest, subsidy = money(interest_raw), money(subsidy_raw)
        periods.append(
            Period(
                number=number,
                start=start,
                end=end - dt.timedelta(days=1),
                due_on=end,
                days=(end - start).days,
                principal=principal,
                principal_due=principal if number == len(spans) else ZERO,
                rate=terms.rate,
                interest=interest,
                borrower_interest=interest - subsidy,
                subsidy=subsidy,
                segments=tuple(segments),
                excluded=excluded,
            )
        )
    return periods


def quarter_of(day: dt.date) -> str:
    """``2025Q3``: the statement period a subsidy claim belongs to (by its last day)."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(key: str) -> tuple[dt.date, dt.date]:
    """First and last day of a ``YYYYQn`` key; ValueError when malformed."""
    year_text, _sep, q_text = key.upper().partition("Q")
    year, q = int(year_text), int(q_text)
    if not 1 <= q <= 4 or not 2000 <= year <= 2100:
        raise ValueError(key)
    first = dt.date(year, 3 * q - 2, 1)
    return first, add_months(first, 3) - dt.timedelta(days=1)
