"""Working days (weekends and an editable holiday calendar) and the dates of a reporting round."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from chuangye.reporting.models import Holiday


class WorkCalendar:
    """Answers 'is this a working day' from weekends plus the Holiday table (loaded once)."""

    def __init__(self) -> None:
        self.exceptions = dict(Holiday.objects.values_list("date", "is_workday"))

    def is_workday(self, day: dt.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def nth_workday(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day counting ``start`` itself as the first candidate."""
        day, seen = start, 0
        while True:
            if self.is_workday(day):
                seen += 1
                if seen == n:
                    return day
            day += dt.timedelta(days=1)

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        day = start
        while n > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative if end < start)."""
        if end < start:
            return -self.workdays_between(end, start)
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def round_dates(
    year: int, month: int, cal: WorkCalendar | None = None
) -> tuple[dt.date, dt.date, dt.date]:
    """(opens_on, deadline, locks_on) for a month's figures.

    Figures open on the 1st of the next month, are due on its N-th working day (default 5th) and
    lock M working days later (default 5); both numbers are settings.
    """
    cal = cal or WorkCalendar()
    ny, nm = next_month(year, month)
    opens = dt.date(ny, nm, 1)
    deadline = cal.nth_workday(opens, settings.REPORTING_DEADLINE_WORKDAY)
    locks = cal.add_workdays(deadline, settings.REPORTING_LOCK_AFTER_WORKDAYS)
    return opens, deadline, locks
