"""Demo data for guarantee loans: the guarantor and bank, their officers, and a loan history.

Everything is fictitious. The history is sized so that new disbursements reach about 88% of
the plan's 创业担保贷款 target by ``today``, spread over the districts by population, with a few
loans overdue or compensated and the subsidy of every finished period claimed. It is written
in bulk; the caller rebuilds the Fact table afterwards (``facts.rebuild()``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat, ExtractYear, LPad
from django.utils import timezone

from chuangye.accounts import services as accounts
from chuangye.accounts.choices import DepartmentLevel, Role
from chuangye.accounts.models import Department, OrgUnit, User
from chuangye.accounts.twofactor import demo_key
from chuangye.core import crypto
from chuangye.programs.loans import services, subsidy
from chuangye.programs.loans.choices import (
    REQUIRED_MATERIALS,
    STAGE_ORDER,
    ClaimStatus,
    InstitutionKind,
    LoanKind,
    Status,
    StepAction,
)
from chuangye.programs.loans.defaults import ensure_defaults
from chuangye.programs.loans.metrics import DISBURSED as DISBURSED_METRIC

GUARANTOR = ("guarantor", "威海市创业担保贷款担保中心（演示）")
BANK = ("bank-demo", "威海演示商业银行")
HRSS = "rsj"
OFFICERS = (
    ("guarantor_officer", "演示·担保中心经办", GUARANTOR[0]),
    ("bank_officer", "演示·银行信贷经办", BANK[0]),
)
SHARE_OF_TARGET = 0.88
PLACEHOLDER = "loans/demo/placeholder.pdf"
#: A one-page PDF saying the document is a demo placeholder.
PLACEHOLDER_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 44>>stream\nBT /F1 12 Tf 20 50 Td (DEMO MATERIAL) Tj ET\nendstream endobj\n"
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
RETURN_REASONS = (
    "人员类别证明不清晰，请重新上传失业登记证明",
    "创业项目计划书缺少资金用途明细，请补充",
)
REJECT_REASONS = ("经核实，申请人存在未结清的其他经营性贷款逾期记录",)


def ensure_loan_setup(*, password: str | None = None) -> dict[str, Department]:
    """Default policy and rates, the guarantor and bank, the three institutions, two officers."""
    ensure_defaults()
    city = OrgUnit.objects.get(parent__isnull=True)
    departments: dict[str, Department] = {}
    for order, (code, name) in enumerate((GUARANTOR, BANK), start=90):
        departments[code], _created = Department.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": DepartmentLevel.CITY,
                "org_unit": city,
                "order": order,
            },
        )
    departments[HRSS] = Department.objects.get(code=HRSS)
    for code, kind in (
        (HRSS, InstitutionKind.HRSS),
        (GUARANTOR[0], InstitutionKind.GUARANTOR),
        (BANK[0], InstitutionKind.BANK),
    ):
        if not hasattr(departments[code], "loan_institution"):
            services.register_institution(departments[code], kind, actor=None)
    for username, display, code in OFFICERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = accounts.create_user(
                username,
                actor=None,
                password=password or settings.DEMO_PASSWORD,
                display_name=display,
            )
        accounts.grant_role(user, Role.PROGRAMME_STAFF, actor=None, department=departments[code])
        # As the other demo personas: an authenticator whose key comes from the demo password
        # (``chuangye manage demo_totp bank_officer``), exempt while the demo exemption is on.
        accounts.install_totp_device(
            user, demo_key(username, password or settings.DEMO_PASSWORD), actor=None
        )
    return departments


def _configure_indicator(plan: Any) -> None:
    from chuangye.plans.services import configure_indicator

    for indicator in plan.indicators.filter(name__contains="创业担保贷款"):
        if indicator.source != DISBURSED_METRIC:
            configure_indicator(
                indicator,
                actor=None,
                owner=Department.objects.filter(code=HRSS).first(),
                by_district=True,
                frequency=indicator.frequency,
                source=DISBURSED_METRIC,
            )


@dataclass
class _Borrower:
    person_id: int | None
    venture_id: int | None
    venture_kind: str
    staff: int
    district: OrgUnit
    key: int  # index into new borrowers when person_id is None


@dataclass
class _Plan:
    borrower: _Borrower
    kind: str
    amount: Decimal
    term: int
    disbursed_on: dt.date | None
    status: str
    submitted: dt.datetime


def _aware(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def _months(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    out, (y, m) = [], (start.year, start.month)
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


class _Pool:
    """Registry persons who may borrow, by district, in order of their first support."""

    def __init__(self, eligible: list[str], rng: random.Random) -> None:
        from chuangye.programs.entrepreneurs.models import SupportRecord, Venture

        self.rng = rng
        self.used: set[int] = set()
        self.by_district: dict[int, list[tuple[dt.date, int, int, str, int]]] = defaultdict(list)
        firsts = dict(
            SupportRecord.objects.filter(first=True).order_by().values_list("person_id", "date")
        )
        rows = Venture.founders.through.objects.filter(
            person__target_group__in=eligible, person__user__isnull=True
        ).values_list(
            "person_id",
            "venture_id",
            "venture__kind",
            "venture__staff",
            "venture__district_id",
        )
        for person, venture, kind, staff, district in rows:
            first = firsts.get(person)
            if first is not None:
                self.by_district[district].append((first, person, venture, kind, staff))
        for items in self.by_district.values():
            items.sort()
        self.dates = {d: [i[0] for i in items] for d, items in self.by_district.items()}

    def take(self, district: int, day: dt.date) -> tuple[int, int, str, int] | None:
        limit = bisect.bisect_right(self.dates.get(district, []), day)
        items = self.by_district.get(district, [])
        for _try in range(12):
            if limit == 0:
                return None
            _first, person, venture, kind, staff = items[self.rng.randrange(limit)]
            if person not in self.used:
                self.used.add(person)
                return person, venture, kind, staff
        return None


def _new_borrowers(
    specs: list[tuple[OrgUnit, dt.date]], rng: random.Random
) -> list[tuple[int, int]]:
    """Persons and ventures for borrowers the registry could not supply: (person, venture)."""
    from chuangye.core.validators import id_check_char
    from chuangye.programs.entrepreneurs.models import Person, Venture

    taken = set(Person.objects.values_list("id_hash", flat=True))
    persons, ventures = [], []
    for i, (district, day) in enumerate(specs):
        region = district.code if district.kind == "county" else "371002"
        while True:
            birth = dt.date(rng.randint(1970, 2002), rng.randint(1, 12), rng.randint(1, 28))
            body = f"{region}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
            number = body + id_check_char(body)
            digest = crypto.search_hash(number)
            if digest not in taken:
                taken.add(digest)
                break
        phone = f"15{rng.randint(0, 10**9 - 1):09d}"
        persons.append(
            Person(
                name=f"{rng.choice(SURNAMES)}某贷{i + 1}",
                id_cipher=crypto.encrypt(number),
                id_hash=digest,
                id_masked=crypto.mask_id(number),
                phone_cipher=crypto.encrypt(phone),
                phone_hash=crypto.search_hash(phone),
                phone_masked=crypto.mask_phone(phone),
                gender="M" if int(number[16]) % 2 else "F",
                birth_date=birth,
                target_group=rng.choice(["graduate", "returnee", "unemployed", "veteran"]),
                district=district,
            )
        )
        ventures.append(
            Venture(
                name=f"威海演示贷款户{i + 1}号",
                kind="individual",
                district=district,
                staff=rng.randint(1, 8),
                registered_on=day - dt.timedelta(days=rng.randint(30, 400)),
            )
        )
    Person.objects.bulk_create(persons, batch_size=2000)
    Venture.objects.bulk_create(ventures, batch_size=2000)
    through = Venture.founders.through
    through.objects.bulk_create(
        [through(person_id=p.pk, venture_id=v.pk) for p, v in zip(persons, ventures, strict=True)],
        batch_size=5000,
    )
    return [(p.pk, v.pk) for p, v in zip(persons, ventures, strict=True)]


def _pick_amount(rng: random.Random, venture_kind: str, staff: int) -> tuple[str, Decimal, int]:
    if venture_kind == "enterprise" and rng.random() < 0.3:
        return (
            LoanKind.ENTERPRISE,
            Decimal(rng.choice((50, 80, 100, 150, 200, 300)) * 10_000),
            (rng.choice((12, 24))),
        )
    amount = rng.choice((100_000, 120_000, 150_000, 180_000, 200_000, 200_000, 200_000))
    return LoanKind.INDIVIDUAL, Decimal(amount), rng.choice((24, 36, 36))


@transaction.atomic
def build_loans_demo(
    plan: Any, today: dt.date | None = None, *, seed: int = 2025, scale: int = 1
) -> dict[str, int]:
    """Set up the workflow and, once, a realistic history of loans (idempotent)."""
    from chuangye.programs.loans.models import Loan

    today = today or timezone.localdate()
    departments = ensure_loan_setup()
    if plan is not None:
        _configure_indicator(plan)
    if Loan.objects.exists():
        return {"loans": 0}
    return _history(plan, today, departments, seed=seed, scale=scale)


def _history(
    plan: Any, today: dt.date, departments: dict[str, Department], *, seed: int, scale: int
) -> dict[str, int]:
    from chuangye.programs.entrepreneurs.services import NewSupport, record_supports_bulk
    from chuangye.programs.loans.models import (
        Loan,
        LoanApplication,
        LoanStep,
        Material,
        SubsidyClaim,
    )

    rng = random.Random(seed + 66)  # noqa: S311 - reproducible fictitious records
    policy = services.policy_on(today)
    table = services.lpr_table()
    target = plan.targets.filter(subject__contains="创业担保贷款").first() if plan else None
    total = float(target.value) if target and target.value else 600_000_000.0
    start = dt.date(plan.period_start, 1, 1) if plan else dt.date(today.year - 1, 1, 1)
    last = today - dt.timedelta(days=1)
    months = _months(start, last)
    budget = total * SHARE_OF_TARGET * max(scale, 1)
    days_total = (last - start).days + 1
    districts = list(OrgUnit.objects.filter(parent__isnull=False).order_by("order"))
    weights = [d.population or 1 for d in districts]
    bureau = {d.pk: services.bureau_for(d) for d in districts}
    pool = _Pool(list(policy.eligible_groups), rng)

    plans: list[_Plan] = []
    fresh: list[tuple[OrgUnit, dt.date]] = []
    for y, m in months:
        first = dt.date(y, m, 1)
        end = min(subsidy.add_months(first, 1) - dt.timedelta(days=1), last)
        share = ((end - first).days + 1) / days_total
        spend, month_budget = 0.0, budget * share * rng.uniform(0.85, 1.15)
        while spend < month_budget:
            district = rng.choices(districts, weights)[0]
            day = dt.date(y, m, rng.randint(1, end.day))
            found = pool.take(district.pk, day)
            if found is None:
                borrower = _Borrower(None, None, "individual", 3, district, len(fresh))
                fresh.append((district, day))
            else:
                person, venture, vkind, staff = found
                borrower = _Borrower(person, venture, vkind, staff, district, -1)
            kind, amount, term = _pick_amount(rng, borrower.venture_kind, borrower.staff)
            spend += float(amount)
            submitted = _aware(day - dt.timedelta(days=rng.randint(20, 45)), rng.randint(8, 17))
            plans.append(_Plan(borrower, kind, amount, term, day, Status.REPAYING, submitted))
    # Applications still on their way, and some returned or refused.
    pending = (
        [Status.STREET] * 4
        + [Status.HRSS] * 3
        + [Status.GUARANTOR] * 2
        + [Status.BANK] * 2
        + [Status.APPROVED] * 3
        + [Status.RETURNED] * 2
        + [Status.REJECTED] * 1
    )
    huancui = next((d for d in districts if d.code == "371002"), districts[0])
    for i, status in enumerate(pending):
        district = huancui if i % 2 == 0 else rng.choices(districts, weights)[0]
        day = last - dt.timedelta(days=rng.randint(1, 20))
        found = pool.take(district.pk, day)
        if found is None:
            borrower = _Borrower(None, None, "individual", 3, district, len(fresh))
            fresh.append((district, day))
        else:
            person, venture, vkind, staff = found
            borrower = _Borrower(person, venture, vkind, staff, district, -1)
        kind, amount, term = (
            LoanKind.INDIVIDUAL,
            Decimal(rng.choice((100_000, 150_000, 200_000))),
            36,
        )
        plans.append(_Plan(borrower, kind, amount, term, None, status, _aware(day, 9)))
    made = _new_borrowers(fresh, rng) if fresh else []
    for p in plans:
        if p.borrower.person_id is None:
            p.borrower.person_id, p.borrower.venture_id = made[p.borrower.key]

    now = timezone.now()
    apps: list[LoanApplication] = []
    for i, p in enumerate(plans):
        disbursed = p.disbursed_on
        approved_on = (disbursed - dt.timedelta(days=rng.randint(2, 6))) if disbursed else None
        lpr = subsidy.lpr_on(table, approved_on or today)
        rate = lpr + Decimal(rng.choice(("0", "0.25", "0.5")))
        staff = max(p.borrower.staff, 10)
        at_bank = p.status in (Status.APPROVED, Status.REPAYING)
        apps.append(
            LoanApplication(
                number=f"DEMO{seed}-{i}",
                kind=p.kind,
                applicant_id=p.borrower.person_id,
                venture_id=p.borrower.venture_id,
                district=p.borrower.district,
                amount=p.amount,
                term_months=p.term,
                purpose=rng.choice(
                    ("购置设备", "店面装修和首批进货", "补充经营流动资金", "扩大生产")
                ),
                staff_count=staff if p.kind == LoanKind.ENTERPRISE else 0,
                new_hires=math.ceil(staff * 0.2) if p.kind == LoanKind.ENTERPRISE else 0,
                status=p.status,
                furthest=STAGE_ORDER.get(p.status, 2),
                policy=policy,
                guarantor=departments[GUARANTOR[0]],
                bank=departments[BANK[0]],
                consent_version=policy.consent_version,
                consent_text=policy.consent_text,
                consented_at=p.submitted,
                approved_amount=p.amount if at_bank else None,
                rate=rate if at_bank else None,
                bank_approved_on=approved_on or (today if at_bank else None),
                returned_from=Status.HRSS if p.status == Status.RETURNED else "",
                return_reason=rng.choice(RETURN_REASONS) if p.status == Status.RETURNED else "",
                reject_reason=REJECT_REASONS[0] if p.status == Status.REJECTED else "",
                submitted_at=p.submitted,
                closed_at=now if p.status == Status.REJECTED else None,
            )
        )
    LoanApplication.objects.bulk_create(apps, batch_size=2000)
    # The same numbering as a submitted application (DK + year + id), in one statement.
    LoanApplication.objects.filter(number__startswith=f"DEMO{seed}-").update(
        number=Concat(
            Value("DK"),
            Cast(ExtractYear("submitted_at"), CharField()),
            LPad(Cast("id", CharField()), 6, Value("0")),
        )
    )
    for a in apps:
        a.number = f"DK{timezone.localtime(a.submitted_at).year}{a.pk:06d}"

    if not default_storage.exists(PLACEHOLDER):
        default_storage.save(PLACEHOLDER, ContentFile(PLACEHOLDER_PDF))
    Material.objects.bulk_create(
        [
            Material(
                application=a,
                kind=k,
                file=PLACEHOLDER,
                content_type="application/pdf",
                size=len(PLACEHOLDER_PDF),
            )
            for a in apps
            for k in REQUIRED_MATERIALS[a.kind]
        ],
        batch_size=5000,
    )

    steps: list[LoanStep] = []
    loans: list[Loan] = []
    order = [Status.STREET, Status.HRSS, Status.GUARANTOR, Status.BANK]
    departments_by_stage = {
        Status.HRSS: departments[HRSS],
        Status.GUARANTOR: departments[GUARANTOR[0]],
        Status.BANK: departments[BANK[0]],
    }
    for a, p in zip(apps, plans, strict=True):
        at = p.submitted
        steps.append(LoanStep(application=a, stage=Status.STREET, action=StepAction.SUBMIT, at=at))
        reached = STAGE_ORDER.get(p.status, 2)
        for stage in order:
            if p.status in (Status.RETURNED, Status.REJECTED) and stage == Status.HRSS:
                at += dt.timedelta(days=rng.randint(1, 3))
                action = StepAction.RETURN if p.status == Status.RETURNED else StepAction.REJECT
                reason = a.return_reason or a.reject_reason
                steps.append(
                    LoanStep(
                        application=a,
                        stage=stage,
                        action=action,
                        department=departments[HRSS],
                        reason=reason,
                        at=at,
                    )
                )
                break
            if STAGE_ORDER[stage] >= reached:
                break
            at += dt.timedelta(days=rng.randint(1, 5))
            steps.append(
                LoanStep(
                    application=a,
                    stage=stage,
                    action=StepAction.ADVANCE,
                    department=departments_by_stage.get(stage, bureau[a.district_id]),
                    at=at,
                )
            )
        if p.disbursed_on is not None:
            loans.append(_loan(a, p, rng, today, departments[BANK[0]]))
            steps.append(
                LoanStep(
                    application=a,
                    stage=Status.APPROVED,
                    action=StepAction.DISBURSE,
                    department=departments[BANK[0]],
                    reason=f"放款 {p.amount:,.2f} 元",
                    at=_aware(p.disbursed_on, 15),
                )
            )
    Loan.objects.bulk_create(loans, batch_size=2000)
    steps += _loan_events(loans, departments)
    LoanStep.objects.bulk_create(steps, batch_size=5000)
    _set_loan_statuses(loans)
    support_type = services.guarantee_loan_type()
    # Through the registry's one counting rule: a borrower the registry had not supported
    # before is counted in 扶持创业 by this record.
    record_supports_bulk(
        [
            NewSupport(
                person_id=loan.application.applicant_id or 0,
                venture_id=loan.application.venture_id,
                department_id=bureau[loan.district_id].pk,
                org_unit_id=loan.district_id,
                date=loan.disbursed_on,
                amount=loan.amount,
                note=loan.application.number,
            )
            for loan in loans
        ],
        support_type=support_type,
        actor=None,
        source="loans",
        refresh=False,
    )
    claims = []
    for loan in loans:
        for period in subsidy.schedule(
            services.terms_of(loan),
            table,
            spread_bp=policy.borrower_spread_bp,
            basis=policy.day_count_basis,
        ):
            if period.due_on > today:
                break
            claim = services.claim_from(loan, period, actor=None, at=_aware(period.due_on, 11))
            if period.due_on <= today - dt.timedelta(days=45):
                claim.status, claim.paid_at = (
                    ClaimStatus.PAID,
                    _aware(period.due_on + dt.timedelta(days=30), 16),
                )
            claims.append(claim)
    SubsidyClaim.objects.bulk_create(claims, batch_size=5000)
    _demo_entrepreneur(policy, departments, today)
    return {
        "applications": len(apps),
        "loans": len(loans),
        "amount": int(sum(loan.amount for loan in loans)),
        "claims": len(claims),
    }


def _loan(a: Any, p: _Plan, rng: random.Random, today: dt.date, bank: Department) -> Any:
    from chuangye.programs.loans.models import Loan

    assert p.disbursed_on is not None
    day = p.disbursed_on
    maturity = subsidy.add_months(day, p.term)
    loan = Loan(
        application=a,
        bank_loan_number=f"WHYS{day:%Y%m%d}{a.pk:06d}",
        bank=bank,
        district_id=a.district_id,
        amount=p.amount,
        rate=a.rate,
        disbursed_on=day,
        term_months=p.term,
        maturity_on=maturity,
    )
    age = (today - day).days
    roll = rng.random()
    if age > 240 and roll < 0.02:
        loan.overdue_since = day + dt.timedelta(days=rng.randint(150, age - 60))
        if roll < 0.01 and (today - loan.overdue_since).days > 60:
            loan.compensated_on = loan.overdue_since + dt.timedelta(days=rng.randint(45, 60))
            loan.compensation_amount = p.amount
    elif age > 90 and roll < 0.08:
        loan.settled_on = day + dt.timedelta(days=rng.randint(90, age - 1))
    elif maturity < today:
        loan.settled_on = maturity
    return loan


def _loan_events(loans: list[Any], departments: dict[str, Department]) -> list[Any]:
    from chuangye.programs.loans.models import LoanStep

    out = []
    for loan in loans:
        a = loan.application
        if loan.overdue_since:
            out.append(
                LoanStep(
                    application=a,
                    stage=Status.REPAYING,
                    action=StepAction.OVERDUE,
                    department=departments[BANK[0]],
                    reason=f"自 {loan.overdue_since} 起逾期",
                    at=_aware(loan.overdue_since + dt.timedelta(days=1)),
                )
            )
        if loan.compensated_on:
            out.append(
                LoanStep(
                    application=a,
                    stage=Status.OVERDUE,
                    action=StepAction.COMPENSATE,
                    department=departments[GUARANTOR[0]],
                    reason=f"{loan.compensated_on} 代偿 {loan.compensation_amount:,.2f} 元",
                    at=_aware(loan.compensated_on),
                )
            )
        if loan.settled_on:
            out.append(
                LoanStep(
                    application=a,
                    stage=Status.REPAYING,
                    action=StepAction.SETTLE,
                    department=departments[BANK[0]],
                    reason=f"{loan.settled_on} 结清",
                    at=_aware(loan.settled_on),
                )
            )
    return out


def _set_loan_statuses(loans: list[Any]) -> None:
    from chuangye.programs.loans.models import LoanApplication

    groups: dict[str, list[int]] = defaultdict(list)
    closed: dict[int, dt.datetime] = {}
    for loan in loans:
        if loan.compensated_on:
            groups[Status.COMPENSATED].append(loan.application_id)
            closed[loan.application_id] = _aware(loan.compensated_on)
        elif loan.overdue_since:
            groups[Status.OVERDUE].append(loan.application_id)
        elif loan.settled_on:
            groups[Status.SETTLED].append(loan.application_id)
            closed[loan.application_id] = _aware(loan.settled_on)
    for status, ids in groups.items():
        LoanApplication.objects.filter(pk__in=ids).update(
            status=status, furthest=STAGE_ORDER[status]
        )
    for app_id, at in closed.items():
        LoanApplication.objects.filter(pk=app_id).update(closed_at=at)


def _demo_entrepreneur(policy: Any, departments: dict[str, Department], today: dt.date) -> None:
    """The demo entrepreneur owns a venture and has one application under 人社审查."""
    from chuangye.programs.entrepreneurs.models import Person, Venture
    from chuangye.programs.loans.models import LoanApplication, LoanStep, Material

    person = Person.objects.filter(user__username="entrepreneur").first()
    if person is None or person.ventures.exists():
        return
    venture = Venture.objects.create(
        name="环翠区演示创业者咖啡馆",
        kind="individual",
        district=person.district,
        staff=3,
        registered_on=today - dt.timedelta(days=200),
    )
    venture.founders.add(person)
    submitted = _aware(today - dt.timedelta(days=6))
    a = LoanApplication.objects.create(
        number=f"T{today:%Y%m%d}{person.pk}",
        kind=LoanKind.INDIVIDUAL,
        applicant=person,
        venture=venture,
        district=person.district,
        amount=Decimal(150_000),
        term_months=36,
        purpose="购置咖啡机和店面装修",
        status=Status.HRSS,
        furthest=STAGE_ORDER[Status.HRSS],
        policy=policy,
        guarantor=departments[GUARANTOR[0]],
        bank=departments[BANK[0]],
        consent_version=policy.consent_version,
        consent_text=policy.consent_text,
        consented_at=submitted,
        submitted_at=submitted,
    )
    a.number = f"DK{today.year}{a.pk:06d}"
    a.save(update_fields=["number"])
    for k in REQUIRED_MATERIALS[LoanKind.INDIVIDUAL]:
        Material.objects.create(
            application=a,
            kind=k,
            file=PLACEHOLDER,
            content_type="application/pdf",
            size=len(PLACEHOLDER_PDF),
        )
    street = Department.objects.filter(code=f"{person.district.code}-rsj").first()
    LoanStep.objects.bulk_create(
        [
            LoanStep(application=a, stage=Status.STREET, action=StepAction.SUBMIT, at=submitted),
            LoanStep(
                application=a,
                stage=Status.STREET,
                action=StepAction.ADVANCE,
                department=street,
                at=submitted + dt.timedelta(days=2),
            ),
        ]
    )
