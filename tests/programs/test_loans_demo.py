"""The loan demo: officers and institutions, a history near 88% of the 6亿元 target, idempotent."""

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum

from chuangye.accounts.models import User
from chuangye.monitoring import facts
from chuangye.monitoring.models import Fact
from chuangye.plans.models import Plan
from chuangye.programs.loans import services
from chuangye.programs.loans.choices import Status
from chuangye.programs.loans.demo import build_loans_demo
from chuangye.programs.loans.metrics import DISBURSED
from chuangye.programs.loans.models import Loan, LoanApplication, SubsidyClaim

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 29)


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_demo_history_reaches_about_88_percent_and_runs_once(
    plan: Plan, personas: dict[str, Any]
) -> None:
    # Sized from the plan's target: a tenth of 6亿元 keeps the test quick, the shape is the same.
    target = plan.targets.get(subject__contains="创业担保贷款")
    target.value = Decimal(60_000_000)
    target.save(update_fields=["value"])
    result = build_loans_demo(plan, TODAY, seed=7, scale=1)
    assert User.objects.filter(username__in=["guarantor_officer", "bank_officer"]).count() == 2
    total = Loan.objects.aggregate(s=Sum("amount"))["s"]
    assert Decimal("0.80") * 60_000_000 < total < Decimal("0.96") * 60_000_000
    assert result["loans"] == Loan.objects.count() > 100
    statuses = set(LoanApplication.objects.values_list("status", flat=True))
    assert {Status.OVERDUE, Status.COMPENSATED, Status.REPAYING, Status.SETTLED} <= statuses
    assert {Status.STREET, Status.BANK, Status.APPROVED, Status.RETURNED} <= statuses
    assert SubsidyClaim.objects.filter(subsidy__gt=0).count() > 100
    assert LoanApplication.objects.filter(number__startswith="DEMO").count() == 0
    by_district = dict(
        Loan.objects.values_list("district__code")
        .annotate(s=Sum("amount"))
        .values_list("district__code", "s")
    )
    assert by_district["371082"] > by_district["371073"] > 0  # 荣成 is far bigger than 临港
    first = LoanApplication.objects.filter(status=Status.REPAYING).first()
    assert first is not None and all(r.passed is not False for r in services.eligibility(first))

    assert build_loans_demo(plan, TODAY, seed=7, scale=1) == {"loans": 0}
    facts.rebuild()
    assert facts.check() == []
    city = Fact.objects.filter(
        indicator__source=DISBURSED, org_unit__parent__isnull=True
    ).aggregate(s=Sum("value"))["s"]
    assert city == total
