"""Metrics this programme feeds: 扶持创业 (distinct persons) and 带动就业 (jobs)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from chuangye.accounts.models import OrgUnit
from chuangye.monitoring.metrics import register

SUPPORTED = "entrepreneurs.supported_persons"
JOBS = "entrepreneurs.jobs_created"


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    end = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def by_unit_month(
    qs: QuerySet[Any],
    date_field: str,
    unit_field: str,
    first_year: int,
    last_year: int,
    amount: str | None = None,
) -> dict[tuple[int, int, int], tuple[Decimal, int]]:
    """(unit id, year, month) → (value, records) in one grouped query, each record at its unit.

    Groups by the raw date (no date functions, so an index on unit and date serves it) and folds
    days into months here. The value is the record count, or the sum of ``amount``.
    """
    rows = (
        qs.filter(
            **{
                f"{date_field}__gte": dt.date(first_year, 1, 1),
                f"{date_field}__lt": dt.date(last_year + 1, 1, 1),
                f"{unit_field}__isnull": False,
            }
        )
        .order_by()
        .values_list(unit_field, date_field)
        .annotate(n=Count("id"), v=Sum(amount) if amount else Count("id"))
    )
    cells: dict[tuple[int, int, int], tuple[Decimal, int]] = {}
    for unit_id, day, n, v in rows:
        key = (unit_id, day.year, day.month)
        tv, tn = cells.get(key, (Decimal(0), 0))
        cells[key] = (tv + Decimal(v or 0), tn + n)
    return cells


def unit_scope(unit: OrgUnit) -> list[int]:
    """A district is itself; a city is itself and its districts (never another city's)."""
    if unit.parent_id is not None:
        return [unit.pk]
    return [unit.pk, *OrgUnit.objects.filter(parent=unit).values_list("pk", flat=True)]


def supported_persons(unit: OrgUnit, year: int, month: int) -> tuple[Decimal, int]:
    """Persons whose first support falls in the month, counted once, where that support was."""
    from chuangye.programs.entrepreneurs.models import SupportRecord

    start, end = month_bounds(year, month)
    qs = SupportRecord.objects.filter(first=True, date__gte=start, date__lt=end)
    qs = qs.filter(org_unit__in=unit_scope(unit))
    n = qs.count()
    return Decimal(n), n


def jobs_created(unit: OrgUnit, year: int, month: int) -> tuple[Decimal, int]:
    from chuangye.programs.entrepreneurs.models import JobRecord

    start, end = month_bounds(year, month)
    qs = JobRecord.objects.filter(date__gte=start, date__lt=end)
    qs = qs.filter(org_unit__in=unit_scope(unit))
    row = qs.aggregate(v=Sum("jobs"), n=Count("id"))
    return Decimal(row["v"] or 0), row["n"]


def supported_persons_all(
    first_year: int, last_year: int
) -> dict[tuple[int, int, int], tuple[Decimal, int]]:
    from chuangye.programs.entrepreneurs.models import SupportRecord

    return by_unit_month(
        SupportRecord.objects.filter(first=True), "date", "org_unit", first_year, last_year
    )


def jobs_created_all(
    first_year: int, last_year: int
) -> dict[tuple[int, int, int], tuple[Decimal, int]]:
    from chuangye.programs.entrepreneurs.models import JobRecord

    return by_unit_month(
        JobRecord.objects.all(), "date", "org_unit", first_year, last_year, amount="jobs"
    )


register(
    SUPPORTED,
    "创业者登记库：首次获扶持的人数（跨部门去重）",
    unit="人",
    compute=supported_persons,
    compute_all=supported_persons_all,
)
register(
    JOBS,
    "创业者登记库：带动就业人数",
    unit="人",
    compute=jobs_created,
    compute_all=jobs_created_all,
)
