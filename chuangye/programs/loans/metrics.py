"""The metric this programme feeds: 新发放创业担保贷款 (amount disbursed in a month)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum

from chuangye.accounts.models import OrgUnit
from chuangye.monitoring.metrics import register
from chuangye.programs.entrepreneurs.metrics import by_unit_month, month_bounds, unit_scope

DISBURSED = "loans.disbursed_amount"


def disbursed_amount(unit: OrgUnit, year: int, month: int) -> tuple[Decimal, int]:
    """Loans disbursed in the month, by the venture's district; the city is every district."""
    from chuangye.programs.loans.models import Loan

    start, end = month_bounds(year, month)
    qs = Loan.objects.filter(disbursed_on__gte=start, disbursed_on__lt=end)
    qs = qs.filter(district__in=unit_scope(unit))
    row = qs.aggregate(v=Sum("amount"), n=Count("id"))
    return Decimal(row["v"] or 0), row["n"]


def disbursed_amount_all(
    first_year: int, last_year: int
) -> dict[tuple[int, int, int], tuple[Decimal, int]]:
    from chuangye.programs.loans.models import Loan

    return by_unit_month(
        Loan.objects.all(), "disbursed_on", "district", first_year, last_year, amount="amount"
    )


register(
    DISBURSED,
    "创业担保贷款：新发放金额",
    unit="元",
    compute=disbursed_amount,
    compute_all=disbursed_amount_all,
)
