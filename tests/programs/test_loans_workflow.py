"""The loan journey through every role, its two failure paths, the metric, dedup and retention."""

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from chuangye.accounts.models import Department, OrgUnit
from chuangye.accounts.services import create_user, grant_role
from chuangye.core.models import AuditEntry
from chuangye.monitoring import facts
from chuangye.monitoring.models import Fact
from chuangye.plans.models import Plan
from chuangye.plans.services import configure_indicator
from chuangye.programs.entrepreneurs import services as registry
from chuangye.programs.entrepreneurs.metrics import SUPPORTED
from chuangye.programs.entrepreneurs.models import SupportRecord
from chuangye.programs.loans import selectors, services, subsidy, testing
from chuangye.programs.loans.choices import ClaimStatus, LoanKind, Status, StepAction
from chuangye.programs.loans.metrics import DISBURSED
from chuangye.programs.loans.models import Loan, LoanApplication, Material, SubsidyClaim

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loan_settings")]
PASSWORD = testing.PASSWORD
ID_A = testing.IDS[0]


@pytest.fixture
def world(plan: Plan, personas: dict[str, Any]) -> dict[str, Any]:
    testing.setup(personas, PASSWORD)
    registry.ensure_support_types()
    configure_indicator(
        plan.indicators.get(name__contains="创业担保贷款"), actor=None, source=DISBURSED
    )
    configure_indicator(plan.indicators.get(name="扶持创业"), actor=None, source=SUPPORTED)
    return personas


def _loan_fact(plan: Plan, unit: str, day: dt.date) -> Decimal | None:
    row = Fact.objects.filter(
        indicator__plan=plan,
        indicator__source=DISBURSED,
        org_unit__code=unit,
        year=day.year,
        month=day.month,
    ).first()
    return row.value if row else None


def _own(world: dict[str, Any]) -> tuple[Any, Any]:
    person = testing.borrower(world, user=world["entrepreneur"])
    return person, testing.venture(world, [person])


def test_journey_through_every_role_to_disbursement_and_settlement(
    plan: Plan, world: dict[str, Any]
) -> None:
    person, shop = _own(world)
    application = testing.apply(world, person, shop, actor=world["entrepreneur"])
    assert application.number.startswith("DK") and application.status == Status.STREET
    assert application.consent_version and "个人信息" in application.consent_text
    assert Material.objects.filter(application=application).count() == 4

    order = [
        ("street_officer", Status.HRSS),
        ("loan_officer", Status.GUARANTOR),
        ("guarantor_officer", Status.BANK),
    ]
    for username, after in order:
        for other in ("guarantor_officer", "bank_officer", "loan_officer", "street_officer"):
            if other != username:
                with pytest.raises(services.LoanError, match="不是该环节的经办人"):
                    services.advance(application, actor=world[other])
        application = services.advance(application, actor=world[username], note="材料齐全")
        assert application.status == after
    with pytest.raises(services.LoanError, match="审批金额和合同年利率"):
        services.advance(application, actor=world["bank_officer"])
    with pytest.raises(services.LoanError, match="LPR"):
        services.advance(
            application, actor=world["bank_officer"], approved_amount="200000", rate="3.51"
        )
    application = services.advance(
        application, actor=world["bank_officer"], approved_amount="200000", rate="3.50"
    )
    assert application.status == Status.APPROVED and application.rate == Decimal("3.500")

    today = timezone.localdate()
    assert _loan_fact(plan, "371002", today) is None
    loan = services.disburse(
        application,
        amount="200000",
        disbursed_on=today,
        bank_loan_number="WH-0001",
        actor=world["bank_officer"],
    )
    application.refresh_from_db()
    assert application.status == Status.REPAYING
    assert loan.maturity_on == subsidy.add_months(today, 36)
    assert _loan_fact(plan, "371002", today) == Decimal(200_000)
    assert _loan_fact(plan, "371000", today) == Decimal(200_000)
    support = SupportRecord.objects.get(person=person)
    assert support.support_type.code == "guarantee_loan" and support.source == "loans"
    assert support.amount == Decimal(200_000) and support.org_unit.code == "371002"

    actions = list(application.steps.values_list("action", flat=True))
    assert actions == ["submit", "advance", "advance", "advance", "advance", "disburse"]
    audited = set(
        AuditEntry.objects.filter(action__startswith="loans.").values_list("action", "actor_name")
    )
    assert {
        ("loans.application.submit", "entrepreneur"),
        ("loans.application.advance", "street_officer"),
        ("loans.application.advance", "loan_officer"),
        ("loans.application.advance", "guarantor_officer"),
        ("loans.application.advance", "bank_officer"),
        ("loans.loan.disburse", "bank_officer"),
    } <= audited

    # The bank claims a period's subsidy once it has ended; 人社 confirms payment.
    first_due = subsidy.add_months(today, 3)
    claims = services.claim_subsidies(
        bank=Department.objects.get(code="bank-demo"), actor=world["bank_officer"], up_to=first_due
    )
    period = services.loan_schedule(loan)[0]
    assert len(claims) == 1 and claims[0].subsidy == period.subsidy > 0
    again = services.claim_subsidies(
        bank=Department.objects.get(code="bank-demo"), actor=world["bank_officer"], up_to=first_due
    )
    assert again == []
    with pytest.raises(services.LoanError):
        services.pay_claims(SubsidyClaim.objects.all(), actor=world["bank_officer"])
    assert services.pay_claims(SubsidyClaim.objects.all(), actor=world["loan_officer"]) == 1
    assert SubsidyClaim.objects.get().status == ClaimStatus.PAID

    services.settle(application, on=today, actor=world["bank_officer"])
    application.refresh_from_db()
    assert application.status == Status.SETTLED and application.closed_at is not None


def test_return_fix_and_resubmit(world: dict[str, Any]) -> None:
    person, shop = _own(world)
    application = testing.apply(world, person, shop, actor=world["entrepreneur"])
    application = services.advance(application, actor=world["street_officer"])
    with pytest.raises(services.LoanError, match="说明原因"):
        services.return_application(application, "  ", actor=world["loan_officer"])
    application = services.return_application(
        application, "创业计划书缺少资金用途明细", actor=world["loan_officer"]
    )
    assert application.status == Status.RETURNED and application.returned_from == Status.HRSS
    with pytest.raises(services.LoanError, match="不在审核环节"):
        services.advance(application, actor=world["loan_officer"])
    with pytest.raises(services.NotEligible, match="贷款额度"):
        services.resubmit(application, actor=world["entrepreneur"], amount="250000", consent=True)
    application.refresh_from_db()
    assert application.status == Status.RETURNED and application.amount == Decimal(200_000)
    with pytest.raises(services.LoanError, match="授权书"):
        services.resubmit(application, actor=world["entrepreneur"], amount="180000")
    application = services.resubmit(
        application,
        actor=world["entrepreneur"],
        amount="180000",
        materials=[("business_plan", testing.pdf())],
        consent=True,
    )
    assert application.status == Status.STREET and application.amount == Decimal(180_000)
    assert application.materials.filter(kind="business_plan").count() == 1
    steps = list(application.steps.values_list("stage", "action", "reason"))
    assert (Status.HRSS, StepAction.RETURN, "创业计划书缺少资金用途明细") in steps
    assert steps[-1][1] == StepAction.RESUBMIT
    testing.approve(world, application)


def test_overdue_then_guarantor_compensates(plan: Plan, world: dict[str, Any]) -> None:
    person = testing.borrower(world)
    application = testing.apply(world, person, testing.venture(world, [person]))
    application = testing.approve(world, application, today=dt.date(2025, 6, 1))
    day = dt.date(2025, 6, 3)
    services.disburse(
        application,
        amount="200000",
        disbursed_on=day,
        bank_loan_number="WH-0002",
        actor=world["bank_officer"],
        today=day,
    )
    assert _loan_fact(plan, "371002", day) == Decimal(200_000)
    with pytest.raises(services.LoanError, match="逾期"):
        services.compensate(
            application, on="2025-12-20", amount="200000", actor=world["guarantor_officer"]
        )
    loan = services.mark_overdue(
        application, since="2025-10-15", actor=world["bank_officer"], today=dt.date(2025, 11, 1)
    )
    with pytest.raises(services.LoanError, match="担保机构"):
        services.compensate(
            application,
            on="2025-12-20",
            amount="200000",
            actor=world["bank_officer"],
            today=dt.date(2025, 12, 31),
        )
    loan = services.compensate(
        application,
        on="2025-12-20",
        amount="201500.50",
        actor=world["guarantor_officer"],
        today=dt.date(2025, 12, 31),
    )
    application.refresh_from_db()
    assert application.status == Status.COMPENSATED and application.closed_at is not None
    assert loan.compensation_amount == Decimal("201500.50")
    subsidised = [p.subsidy for p in services.loan_schedule(loan)]
    assert subsidised[0] > 0 and subsidised[1:] == [0] * (len(subsidised) - 1)
    assert [s.action for s in application.steps.all()][-2:] == ["overdue", "compensate"]
    steps = application.steps.count()
    with pytest.raises(services.LoanError, match="未知的操作"):
        services.record_event(application, "forgive", on="2025-12-31", actor=world["bank_officer"])
    assert application.steps.count() == steps


def test_reviewer_rejects_with_reason(world: dict[str, Any]) -> None:
    person = testing.borrower(world)
    application = testing.apply(world, person, testing.venture(world, [person]))
    with pytest.raises(services.LoanError, match="说明原因"):
        services.reject_application(application, "", actor=world["street_officer"])
    application = services.reject_application(
        application, "经营场所与登记不符", actor=world["street_officer"]
    )
    assert application.status == Status.REJECTED and application.closed_at is not None
    with pytest.raises(services.LoanError):
        services.advance(application, actor=world["loan_officer"])


def test_refused_applications_save_nothing(world: dict[str, Any], settings: Any) -> None:
    person = testing.borrower(world)
    shop = testing.venture(world, [person])
    cases = [
        ({"amount": Decimal("200000.01")}, "贷款额度"),
        ({"term": 37}, "贷款期限"),
    ]
    for changes, message in cases:
        with pytest.raises(services.NotEligible, match=message):
            testing.apply(world, person, shop, **changes)
    loner = testing.borrower(world, id_number=testing.IDS[1], name="钱某", target_group="other")
    with pytest.raises(services.NotEligible, match="人员类别"):
        testing.apply(world, loner, testing.venture(world, [loner], name="钱某小店"))
    with pytest.raises(services.LoanError, match="文件内容与扩展名不符"):
        services.submit_application(
            applicant=person,
            venture=shop,
            kind=LoanKind.INDIVIDUAL,
            amount="100000",
            term_months=12,
            purpose="进货",
            materials=[("id_card", SimpleUploadedFile("身份证.pdf", b"\x89PNG\r\n\x1a\n"))],
            consent=True,
            actor=world["street_officer"],
        )
    with pytest.raises(services.LoanError, match="PDF、JPG 或 PNG"):
        services.check_upload("id_card", SimpleUploadedFile("a.exe", b"MZ"))
    with pytest.raises(services.LoanError, match="授权书"):
        services.submit_application(
            applicant=person,
            venture=shop,
            kind=LoanKind.INDIVIDUAL,
            amount="100000",
            term_months=12,
            purpose="进货",
            materials=testing.checklist(),
            consent=False,
            actor=world["street_officer"],
        )
    assert LoanApplication.objects.count() == 0 and Material.objects.count() == 0
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_fourth_loan_is_refused(world: dict[str, Any]) -> None:
    person = testing.borrower(world)
    shop = testing.venture(world, [person])
    for _ in range(3):
        testing.apply(world, person, shop, amount=Decimal(50_000))
    with pytest.raises(services.NotEligible, match="本次为第 4 笔"):
        testing.apply(world, person, shop, amount=Decimal(50_000))
    assert LoanApplication.objects.count() == 3


def test_roles_and_scope(world: dict[str, Any]) -> None:
    wendeng = create_user("street_wendeng", actor=None, password=PASSWORD)
    grant_role(
        wendeng, "programme_staff", actor=None, department=Department.objects.get(code="371003-rsj")
    )
    person, shop = _own(world)
    mine = testing.apply(world, person, shop, actor=world["entrepreneur"])
    other = testing.borrower(world, id_number=testing.IDS[1], name="李某")
    theirs = testing.apply(world, other, testing.venture(world, [other], name="李某小店"))

    def visible(username: str) -> set[int]:
        user = type(world["outsider"]).objects.get(username=username)
        return set(selectors.applications_visible_to(user).values_list("pk", flat=True))

    assert visible("entrepreneur") == {mine.pk}
    assert visible("street_officer") == {mine.pk, theirs.pk}
    assert visible("loan_officer") == {mine.pk, theirs.pk}
    assert visible("street_wendeng") == set()
    assert visible("outsider") == set()
    assert visible("guarantor_officer") == set() and visible("bank_officer") == set()
    with pytest.raises(services.LoanError):
        services.advance(mine, actor=wendeng)
    services.advance(
        services.advance(mine, actor=world["street_officer"]), actor=world["loan_officer"]
    )
    assert visible("guarantor_officer") == {mine.pk} and visible("bank_officer") == set()


def test_disbursement_updates_the_fact_in_the_same_transaction(
    plan: Plan, world: dict[str, Any]
) -> None:
    person = testing.borrower(world)
    application = testing.approve(
        world, testing.apply(world, person, testing.venture(world, [person]))
    )
    today = timezone.localdate()
    with transaction.atomic():
        services.disburse(
            application,
            amount="150000",
            disbursed_on=today,
            bank_loan_number="WH-TX",
            actor=world["bank_officer"],
        )
        assert _loan_fact(plan, "371002", today) == Decimal(150_000)
        transaction.set_rollback(True)
    assert _loan_fact(plan, "371002", today) is None and not Loan.objects.exists()
    services.disburse(
        application,
        amount="150000",
        disbursed_on=today,
        bank_loan_number="WH-TX",
        actor=world["bank_officer"],
    )
    assert facts.check() == []


def test_person_supported_elsewhere_is_counted_once(plan: Plan, world: dict[str, Any]) -> None:
    person = testing.borrower(world)
    shop = testing.venture(world, [person])
    types = {t.code: t for t in registry.ensure_support_types()}
    may = dt.date(2025, 5, 10)
    registry.record_support(
        person=person,
        support_type=types["training"],
        date=may,
        actor=world["street_officer"],
        venture=shop,
    )
    application = testing.approve(
        world, testing.apply(world, person, shop), today=dt.date(2025, 6, 1)
    )
    june = dt.date(2025, 6, 5)
    services.disburse(
        application,
        amount="200000",
        disbursed_on=june,
        bank_loan_number="WH-DEDUP",
        actor=world["bank_officer"],
        today=june,
    )
    supported = Fact.objects.filter(indicator__source=SUPPORTED, org_unit__code="371000")
    assert {(f.year, f.month): f.value for f in supported} == {(2025, 5): Decimal(1)}
    assert SupportRecord.objects.filter(person=person).count() == 2
    assert _loan_fact(plan, "371000", june) == Decimal(200_000)


def test_audit_rows_never_hold_the_clear_id(world: dict[str, Any]) -> None:
    person, shop = _own(world)
    application = testing.approve(world, testing.apply(world, person, shop))
    services.disburse(
        application,
        amount="200000",
        disbursed_on=timezone.localdate(),
        bank_loan_number="WH-AUD",
        actor=world["bank_officer"],
    )
    rows = AuditEntry.objects.all()
    assert rows.filter(action__startswith="loans.").count() >= 6
    for entry in rows:
        assert ID_A not in f"{entry.before} {entry.after} {entry.object_repr}"


def test_purge_deletes_refused_and_anonymises_closed_after_retention(
    world: dict[str, Any], settings: Any
) -> None:
    person = testing.borrower(world)
    shop = testing.venture(world, [person])
    refused = services.reject_application(
        testing.apply(world, person, shop), "不符合条件", actor=world["street_officer"]
    )
    kept = testing.approve(world, testing.apply(world, person, shop))
    today = timezone.localdate()
    services.disburse(
        kept,
        amount="100000",
        disbursed_on=today,
        bank_loan_number="WH-P",
        actor=world["bank_officer"],
    )
    services.settle(kept, on=today, actor=world["bank_officer"])
    files = [Path(m.file.path) for m in Material.objects.filter(application=refused)]
    assert files and all(f.exists() for f in files)

    assert services.purge(today=today).total == 0
    later = today + dt.timedelta(days=settings.RETENTION_DAYS["loans.rejected"] + 1)
    dry = services.purge(today=later, dry_run=True)
    assert dry.deleted == [refused.number] and dry.anonymised == []
    assert LoanApplication.objects.filter(pk=refused.pk).exists()
    call_command("purge_loans", "--dry-run")

    report = services.purge(today=later)
    assert report.deleted == [refused.number]
    assert not LoanApplication.objects.filter(pk=refused.pk).exists()
    assert not any(f.exists() for f in files)

    much_later = today + dt.timedelta(days=settings.RETENTION_DAYS["loans.closed"] + 1)
    report = services.purge(today=much_later)
    kept.refresh_from_db()
    assert report.anonymised == [kept.number]
    assert kept.applicant is None and kept.venture is None and kept.purpose == ""
    assert kept.anonymised_at is not None and not kept.materials.exists()
    assert Loan.objects.get(application=kept).amount == Decimal(100_000)
    entry = AuditEntry.objects.filter(action="loans.purge").order_by("id").last()
    assert entry is not None and entry.after["anonymised"] == [kept.number]
    assert facts.check() == []


def test_policy_in_force_is_the_latest_dated_row(world: dict[str, Any]) -> None:
    from chuangye.programs.loans.models import LoanPolicy

    base = LoanPolicy.objects.get()
    base.pk = None
    base.effective_from = dt.date(2026, 1, 1)
    base.individual_cap = Decimal(300_000)
    base.save()
    assert services.policy_on(dt.date(2025, 12, 31)).individual_cap == Decimal(200_000)
    assert services.policy_on(dt.date(2026, 1, 1)).individual_cap == Decimal(300_000)
    assert OrgUnit.objects.filter(code="371002").exists()
