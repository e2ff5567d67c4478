"""Metrics this programme feeds: 扶持创业 (distinct persons) and 带动就业 (jobs)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Sum

from chuangye.accounts.models import OrgUnit
from chuangye.monitoring.metrics import register

SUPPORTED = "entrepreneurs.supported_persons"
JOBS = "entrepreneurs.jobs_created"


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    end = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def supported_persons(unit: OrgUnit, year: int, month: int) -> tuple[Decimal, int]:
    """Persons whose first support falls in the month, counted once, where that support was."""
    from chuangye.programs.entrepreneurs.models import Person

    start, end = month_bounds(year, month)
    qs = Person.objects.filter(first_supported_on__gte=start, first_supported_on__lt=end)
    if unit.parent_id is not None:
        qs = qs.filter(first_support_district=unit)
    n = qs.count()
    return Decimal(n), n


def jobs_created(unit: OrgUnit, year: int, month: int) -> tuple[Decimal, int]:
    from chuangye.programs.entrepreneurs.models import JobRecord

    start, end = month_bounds(year, month)
    qs = JobRecord.objects.filter(date__gte=start, date__lt=end)
    if unit.parent_id is not None:
        qs = qs.filter(org_unit=unit)
    row = qs.aggregate(v=Sum("jobs"), n=Count("id"))
    return Decimal(row["v"] or 0), row["n"]


register(
    SUPPORTED, "创业者登记库：首次获扶持的人数（跨部门去重）", unit="人", compute=supported_persons
)
register(JOBS, "创业者登记库：带动就业人数", unit="人", compute=jobs_created)
