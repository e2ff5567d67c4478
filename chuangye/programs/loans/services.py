"""Every write of the loan programme: each atomic, each audited, no clear ID in any audit row.

The workflow: 街道收件初审 → 人社审查 → 担保机构审核 → 银行审批 → 放款 → 还款 and 贴息 per period →
结清, or 逾期 → 代偿. Each step is taken by its own role (see ``selectors.LoanRoles``); a reviewing
step may pass, return the application to the applicant with a reason, or reject it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangye.accounts.choices import DepartmentLevel
from chuangye.accounts.models import Department, OrgUnit
from chuangye.core import audit, crypto
from chuangye.core.validators import validate_resident_id
from chuangye.monitoring import facts
from chuangye.programs.entrepreneurs import services as registry
from chuangye.programs.entrepreneurs.models import Person, SupportType, Venture
from chuangye.programs.loans import rules, subsidy
from chuangye.programs.loans.choices import (
    DISBURSED,
    IN_PROGRESS,
    REVIEW_STAGES,
    STAGE_ORDER,
    ClaimStatus,
    InstitutionKind,
    LoanKind,
    MaterialKind,
    Status,
    StepAction,
)
from chuangye.programs.loans.metrics import DISBURSED as DISBURSED_METRIC
from chuangye.programs.loans.models import (
    Loan,
    LoanApplication,
    LoanInstitution,
    LoanPolicy,
    LoanStep,
    LprRate,
    Material,
    SubsidyClaim,
)
from chuangye.programs.loans.selectors import LoanRoles, roles_for

GUARANTEE_LOAN = "guarantee_loan"
NEXT_STAGE: dict[str, str] = {
    Status.STREET: Status.HRSS,
    Status.HRSS: Status.GUARANTOR,
    Status.GUARANTOR: Status.BANK,
    Status.BANK: Status.APPROVED,
}
#: Accepted uploads: extension → (content type, leading bytes of such a file).
UPLOAD_TYPES: dict[str, tuple[str, bytes]] = {
    ".pdf": ("application/pdf", b"%PDF"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
}
MAX_EXTENSION_MONTHS = 12


class LoanError(ValueError):
    """A refused write: a message for the user (Chinese); ``field`` names the input at fault."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class NotEligible(LoanError):
    """The application fails one or more rules of the policy; ``rules`` has every outcome."""

    def __init__(self, outcome: list[rules.Rule]) -> None:
        self.rules = outcome
        failed = rules.failures(outcome)
        super().__init__(
            _("不符合申请条件：") + "；".join(f"{r.label}（{r.detail}）" for r in failed)
        )


# --- policy, rates and institutions ------------------------------------------------------------


def policy_on(day: dt.date) -> LoanPolicy:
    policy = LoanPolicy.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    if policy is None:
        raise LoanError(_("尚未设置贷款政策，请联系市人社局"))
    return policy


def lpr_table() -> list[tuple[dt.date, Decimal]]:
    return list(LprRate.objects.order_by("effective_on").values_list("effective_on", "one_year"))


def institutions(kind: str) -> list[Department]:
    return [
        i.department
        for i in LoanInstitution.objects.filter(kind=kind, active=True).select_related("department")
    ]


def bureau_for(district: OrgUnit) -> Department:
    """The district's HR bureau (which receives applications), else the 人社 review department."""
    bureau = Department.objects.filter(
        level=DepartmentLevel.DISTRICT,
        org_unit=district,
        counterpart__loan_institution__kind=InstitutionKind.HRSS,
    ).first()
    if bureau is not None:
        return bureau
    hrss = institutions(InstitutionKind.HRSS)
    if not hrss:
        raise LoanError(_("尚未设置人社审查部门"))
    return hrss[0]


# --- uploads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A checked file of the materials checklist."""

    kind: str
    file: Any
    extension: str
    content_type: str
    size: int


def check_upload(kind: str, fileobj: Any) -> Upload:
    """Refuse a file of the wrong type or size before anything is stored."""
    names = dict(MaterialKind.choices)
    if kind not in names:
        raise LoanError(_("未知的材料类型"))
    label = names[kind]
    ext = PurePath(getattr(fileobj, "name", "") or "").suffix.lower()
    if ext not in UPLOAD_TYPES:
        raise LoanError(_("“%(m)s”只能上传 PDF、JPG 或 PNG 文件") % {"m": label})
    size = getattr(fileobj, "size", None)
    if size is None:
        fileobj.seek(0, 2)
        size = fileobj.tell()
    limit = settings.ATTACHMENT_MAX_BYTES
    if size > limit:
        raise LoanError(_("“%(m)s”超过 %(n)s MB") % {"m": label, "n": limit // (1024 * 1024)})
    if size == 0:
        raise LoanError(_("“%(m)s”是空文件") % {"m": label})
    content_type, magic = UPLOAD_TYPES[ext]
    fileobj.seek(0)
    head = fileobj.read(len(magic))
    fileobj.seek(0)
    if head != magic:
        raise LoanError(_("“%(m)s”的文件内容与扩展名不符") % {"m": label})
    return Upload(kind, fileobj, ext, content_type, int(size))


def _store(application: LoanApplication, uploads: Iterable[Upload], actor: Any) -> None:
    for up in uploads:
        for old in application.materials.filter(kind=up.kind):
            _delete_material(old)
        material = Material(
            application=application,
            kind=up.kind,
            content_type=up.content_type,
            size=up.size,
            uploaded_by=_user(actor),
        )
        material.file.save(f"material{up.extension}", File(up.file), save=False)
        material.save()


def _delete_material(material: Material) -> None:
    name = material.file.name
    material.delete()
    # Demo rows may share one placeholder file: remove the file when nothing points at it.
    if name and not Material.objects.filter(file=name).exists():
        material.file.storage.delete(name)


# --- eligibility -------------------------------------------------------------------------------


def _member(p: Person) -> rules.Member:
    return rules.Member(p.name, p.target_group)


def _counts(kind: str, applicant: Person, venture: Venture, exclude: int | None) -> tuple[int, int]:
    """(loans received, applications still open) of the borrower, not counting ``exclude``."""
    qs = LoanApplication.objects.exclude(pk=exclude or 0)
    qs = (
        qs.filter(venture=venture)
        if kind == LoanKind.ENTERPRISE
        else qs.filter(applicant=applicant)
    )
    prior = qs.filter(status__in=DISBURSED).count()
    open_ = qs.filter(status__in=(*IN_PROGRESS, Status.RETURNED)).count()
    return prior, open_


def build_case(
    *,
    kind: str,
    amount: Decimal,
    term_months: int,
    applicant: Person,
    venture: Venture,
    partners: Sequence[Person] = (),
    staff_count: int = 0,
    new_hires: int = 0,
    materials: Iterable[str] = (),
    exclude: int | None = None,
) -> rules.Case:
    prior, open_ = _counts(kind, applicant, venture, exclude)
    return rules.Case(
        kind=kind,
        amount=amount,
        term_months=term_months,
        applicant=_member(applicant),
        partners=tuple(_member(p) for p in partners),
        venture_kind=venture.kind,
        credit_code=venture.credit_code,
        staff_count=staff_count,
        new_hires=new_hires,
        prior_loans=prior,
        open_applications=open_,
        materials=frozenset(materials),
    )


def eligibility(application: LoanApplication) -> list[rules.Rule]:
    """The rules of the application's policy, checked against what is stored now."""
    if application.applicant is None or application.venture is None:
        return []
    case = build_case(
        kind=application.kind,
        amount=application.amount,
        term_months=application.term_months,
        applicant=application.applicant,
        venture=application.venture,
        partners=list(application.partners.all()),
        staff_count=application.staff_count,
        new_hires=application.new_hires,
        materials=application.materials.values_list("kind", flat=True),
        exclude=application.pk,
    )
    return rules.check(case, application.policy)


# --- helpers -----------------------------------------------------------------------------------


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None


def _decimal(value: Any, label: str) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise LoanError(_("%(f)s应为数字") % {"f": label}) from None
    if not number.is_finite():
        raise LoanError(_("%(f)s应为数字") % {"f": label})
    return number


def _step(
    application: LoanApplication,
    stage: str,
    action: str,
    *,
    actor: Any,
    department_id: int | None = None,
    reason: str = "",
) -> LoanStep:
    return LoanStep.objects.create(
        application=application,
        stage=stage,
        action=action,
        actor=_user(actor),
        department_id=department_id,
        reason=reason,
        at=timezone.now(),
    )


def _locked(application: LoanApplication) -> LoanApplication:
    """Re-read the row under a lock so two reviewers cannot both move it."""
    return (
        LoanApplication.objects.select_for_update(of=("self",))
        .select_related("applicant", "venture", "district", "policy")
        .get(pk=application.pk)
    )


def _may_file(roles: LoanRoles, actor: Any, applicant: Person, venture: Venture) -> bool:
    own = applicant.user_id is not None and applicant.user_id == getattr(actor, "pk", None)
    return own or bool(roles.hrss) or venture.district_id in roles.street


def _check_people(applicant: Person, venture: Venture, partners: Sequence[Person]) -> None:
    founders = set(venture.founders.values_list("pk", flat=True))
    if applicant.pk not in founders:
        raise LoanError(_("申请人不是该创业实体的创办人"))
    ids = [p.pk for p in partners]
    if applicant.pk in ids or len(set(ids)) != len(ids):
        raise LoanError(_("合伙人不能重复，也不能包括申请人本人"))
    if any(i not in founders for i in ids):
        raise LoanError(_("合伙人须为该创业实体登记的创办人"))


def _consent(policy: LoanPolicy, consent: bool) -> None:
    if not consent:
        raise LoanError(
            _("请阅读并同意《%(v)s》个人信息处理授权书") % {"v": policy.consent_version}
        )


# --- application -------------------------------------------------------------------------------


@transaction.atomic
def submit_application(
    *,
    applicant: Person,
    venture: Venture,
    kind: str,
    amount: Any,
    term_months: int,
    purpose: str,
    actor: Any,
    partners: Sequence[Person] = (),
    staff_count: int | None = None,
    new_hires: int = 0,
    bank: Department | None = None,
    materials: Sequence[tuple[str, Any]] = (),
    consent: bool = False,
    today: dt.date | None = None,
) -> LoanApplication:
    """File an application (the entrepreneur online, or staff on their behalf)."""
    today = today or timezone.localdate()
    roles = roles_for(actor)
    if not _may_file(roles, actor, applicant, venture):
        raise LoanError(_("您不能为该创业者提交贷款申请"))
    if kind not in LoanKind.values:
        raise LoanError(_("请选择贷款类型"))
    amount = _decimal(amount, _("申请金额"))
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > 500:
        raise LoanError(_("请填写贷款用途（不超过 500 字）"))
    _check_people(applicant, venture, partners)
    if kind != LoanKind.PARTNERSHIP and partners:
        raise LoanError(_("只有合伙创业可以填写合伙人"))
    staff = venture.staff if staff_count is None else staff_count
    policy = policy_on(today)
    _consent(policy, consent)
    uploads = [check_upload(k, f) for k, f in materials]
    outcome = rules.check(
        build_case(
            kind=kind,
            amount=amount,
            term_months=term_months,
            applicant=applicant,
            venture=venture,
            partners=partners,
            staff_count=staff,
            new_hires=new_hires,
            materials={u.kind for u in uploads},
        ),
        policy,
    )
    if rules.failures(outcome):
        raise NotEligible(outcome)
    guarantors = institutions(InstitutionKind.GUARANTOR)
    banks = institutions(InstitutionKind.BANK)
    if not guarantors or not banks:
        raise LoanError(_("尚未设置担保机构或经办银行，请联系市人社局"))
    if bank is None:
        bank = banks[0]
    elif bank.pk not in {b.pk for b in banks}:
        raise LoanError(_("请选择合作经办银行"))
    now = timezone.now()
    application = LoanApplication.objects.create(
        number=f"T{uuid.uuid4().hex[:19]}",  # replaced below once the id is known
        kind=kind,
        applicant=applicant,
        venture=venture,
        district=venture.district,
        amount=amount,
        term_months=term_months,
        purpose=purpose,
        staff_count=staff,
        new_hires=new_hires,
        status=Status.STREET,
        furthest=STAGE_ORDER[Status.STREET],
        policy=policy,
        guarantor=guarantors[0],
        bank=bank,
        consent_version=policy.consent_version,
        consent_text=policy.consent_text,
        consented_at=now,
        submitted_at=now,
        created_by=_user(actor),
    )
    application.number = f"DK{today.year}{application.pk:06d}"
    application.save(update_fields=["number"])
    application.partners.set(partners)
    _step(application, Status.STREET, StepAction.SUBMIT, actor=actor)
    audit.record(
        "loans.application.submit",
        actor=actor,
        obj=application,
        after={
            "number": application.number,
            "kind": kind,
            "amount": amount,
            "term_months": term_months,
            "applicant": applicant.pk,
            "venture": venture.pk,
            "partners": [p.pk for p in partners],
            "district": venture.district.code,
            "consent_version": policy.consent_version,
        },
    )
    _store(application, uploads, actor)
    return application


@transaction.atomic
def submit_for(
    *,
    name: str,
    id_number: str,
    district: OrgUnit,
    target_group: str,
    venture_name: str,
    venture_kind: str,
    kind: str,
    amount: Any,
    term_months: int,
    purpose: str,
    actor: Any,
    phone: str = "",
    credit_code: str = "",
    partner_ids: Sequence[str] = (),
    staff_count: int | None = None,
    new_hires: int = 0,
    bank: Department | None = None,
    materials: Sequence[tuple[str, Any]] = (),
    consent: bool = False,
) -> LoanApplication:
    """Staff file for an entrepreneur: the person, partners and venture are found or registered.

    All or nothing: an invalid ID or credit code, or any refusal, leaves nothing behind.
    """
    try:
        number = validate_resident_id(id_number)
        person = registry.find_by_id_number(number)
        if person is None:
            person = registry.register_person(
                name=name,
                id_number=number,
                district=district,
                actor=actor,
                phone=phone,
                target_group=target_group,
            )
        elif person.name != name.strip():
            raise LoanError(_("姓名与身份证号不符"))
        partners = []
        for other in partner_ids:
            partner = registry.find_by_id_number(other)
            if partner is None:
                masked = crypto.mask_id(other.strip())
                raise LoanError(_("合伙人身份证号 %(m)s 未登记") % {"m": masked})
            partners.append(partner)
        code = credit_code.strip().upper()
        venture = person.ventures.filter(credit_code=code).first() if code else None
        venture = venture or person.ventures.filter(name=venture_name.strip()).first()
        if venture is None:
            venture = registry.register_venture(
                name=venture_name,
                kind=venture_kind,
                district=district,
                actor=actor,
                founders=[person, *partners],
                credit_code=code,
                staff=staff_count or 0,
            )
    except ValidationError as exc:
        raise LoanError(exc.messages[0]) from None
    except registry.RegistryError as exc:
        raise LoanError(str(exc)) from None
    return submit_application(
        applicant=person,
        venture=venture,
        kind=kind,
        amount=amount,
        term_months=term_months,
        purpose=purpose,
        partners=partners,
        staff_count=staff_count,
        new_hires=new_hires,
        bank=bank,
        materials=materials,
        consent=consent,
        actor=actor,
    )


@transaction.atomic
def resubmit(
    application: LoanApplication,
    *,
    actor: Any,
    amount: Any = None,
    term_months: int | None = None,
    purpose: str | None = None,
    partners: Sequence[Person] | None = None,
    staff_count: int | None = None,
    new_hires: int | None = None,
    materials: Sequence[tuple[str, Any]] = (),
    consent: bool = False,
    today: dt.date | None = None,
) -> LoanApplication:
    """The applicant fixes a returned application and sends it back to 街道收件初审."""
    today = today or timezone.localdate()
    application = _locked(application)
    if application.status != Status.RETURNED:
        raise LoanError(_("只有退回修改的申请可以重新提交"))
    applicant, venture = application.applicant, application.venture
    if applicant is None or venture is None:
        raise LoanError(_("该申请已匿名化"))
    if not _may_file(roles_for(actor), actor, applicant, venture):
        raise LoanError(_("您不能修改该申请"))
    before = {
        "amount": application.amount,
        "term_months": application.term_months,
        "partners": sorted(application.partners.values_list("pk", flat=True)),
    }
    if amount is not None:
        application.amount = _decimal(amount, _("申请金额"))
    if term_months is not None:
        application.term_months = term_months
    if purpose is not None:
        purpose = purpose.strip()
        if not purpose or len(purpose) > 500:
            raise LoanError(_("请填写贷款用途（不超过 500 字）"))
        application.purpose = purpose
    if staff_count is not None:
        application.staff_count = staff_count
    if new_hires is not None:
        application.new_hires = new_hires
    members = list(application.partners.all()) if partners is None else list(partners)
    _check_people(applicant, venture, members)
    if application.kind != LoanKind.PARTNERSHIP and members:
        raise LoanError(_("只有合伙创业可以填写合伙人"))
    policy = policy_on(today)
    _consent(policy, consent)
    uploads = [check_upload(k, f) for k, f in materials]
    kinds = set(application.materials.values_list("kind", flat=True)) | {u.kind for u in uploads}
    outcome = rules.check(
        build_case(
            kind=application.kind,
            amount=application.amount,
            term_months=application.term_months,
            applicant=applicant,
            venture=venture,
            partners=members,
            staff_count=application.staff_count,
            new_hires=application.new_hires,
            materials=kinds,
            exclude=application.pk,
        ),
        policy,
    )
    if rules.failures(outcome):
        raise NotEligible(outcome)
    now = timezone.now()
    application.policy = policy
    application.consent_version = policy.consent_version
    application.consent_text = policy.consent_text
    application.consented_at = now
    application.status = Status.STREET
    application.save()
    application.partners.set(members)
    _step(application, Status.STREET, StepAction.RESUBMIT, actor=actor)
    audit.record(
        "loans.application.resubmit",
        actor=actor,
        obj=application,
        before=before,
        after={
            "amount": application.amount,
            "term_months": application.term_months,
            "partners": sorted(p.pk for p in members),
            "materials": sorted(u.kind for u in uploads),
            "consent_version": policy.consent_version,
        },
    )
    _store(application, uploads, actor)
    return application


def _require_role(application: LoanApplication, actor: Any) -> LoanRoles:
    roles = roles_for(actor)
    if not roles.can_act(application):
        raise LoanError(
            _("当前环节为“%(s)s”，您不是该环节的经办人") % {"s": application.get_status_display()}
        )
    return roles


@transaction.atomic
def advance(
    application: LoanApplication,
    *,
    actor: Any,
    note: str = "",
    approved_amount: Any = None,
    rate: Any = None,
    today: dt.date | None = None,
) -> LoanApplication:
    """Pass the current reviewing step; the bank's approval sets the amount and the rate."""
    today = today or timezone.localdate()
    application = _locked(application)
    stage = application.status
    if stage not in REVIEW_STAGES:
        raise LoanError(_("该申请当前不在审核环节"))
    roles = _require_role(application, actor)
    outcome = eligibility(application)
    if rules.failures(outcome):
        raise NotEligible(outcome)
    after: dict[str, Any] = {}
    if stage == Status.BANK:
        if approved_amount in (None, "") or rate in (None, ""):
            raise LoanError(_("银行审批须填写审批金额和合同年利率"))
        money = _decimal(approved_amount, _("审批金额"))
        annual = _decimal(rate, _("合同年利率"))
        if not Decimal(0) < money <= application.amount:
            raise LoanError(_("审批金额应大于 0 且不超过申请金额"))
        lpr = subsidy.lpr_on(lpr_table(), today)
        ceiling = lpr + Decimal(application.policy.rate_cap_spread_bp) / 100
        if not Decimal(0) < annual <= ceiling:
            raise LoanError(
                _("合同年利率应大于 0 且不超过 LPR（%(lpr)s%%）加 %(bp)s 个基点，即 %(c)s%%")
                % {"lpr": lpr, "bp": application.policy.rate_cap_spread_bp, "c": ceiling}
            )
        application.approved_amount, application.rate = money, annual
        application.bank_approved_on = today
        after = {"approved_amount": money, "rate": annual}
    department = roles.department_for(application)
    application.status = NEXT_STAGE[stage]
    application.furthest = max(application.furthest, STAGE_ORDER[application.status])
    application.save()
    _step(
        application, stage, StepAction.ADVANCE, actor=actor, department_id=department, reason=note
    )
    audit.record(
        "loans.application.advance",
        actor=actor,
        obj=application,
        before={"status": stage},
        after={"status": application.status, **after},
    )
    return application


@transaction.atomic
def return_application(application: LoanApplication, reason: str, *, actor: Any) -> LoanApplication:
    """Send the application back to the applicant with what to fix."""
    application = _locked(application)
    stage = application.status
    if stage not in REVIEW_STAGES:
        raise LoanError(_("该申请当前不在审核环节"))
    roles = _require_role(application, actor)
    reason = (reason or "").strip()
    if not reason:
        raise LoanError(_("退回须说明原因"))
    department = roles.department_for(application)
    application.status = Status.RETURNED
    application.returned_from = stage
    application.return_reason = reason
    application.save()
    _step(
        application, stage, StepAction.RETURN, actor=actor, department_id=department, reason=reason
    )
    audit.record(
        "loans.application.return",
        actor=actor,
        obj=application,
        before={"status": stage},
        after={"status": Status.RETURNED, "reason": reason},
    )
    return application


@transaction.atomic
def reject_application(application: LoanApplication, reason: str, *, actor: Any) -> LoanApplication:
    """Refuse the application (a reviewing step, or the bank before it pays out)."""
    application = _locked(application)
    stage = application.status
    if stage not in (*REVIEW_STAGES, Status.APPROVED):
        raise LoanError(_("该申请当前不能作出不予通过的决定"))
    roles = _require_role(application, actor)
    reason = (reason or "").strip()
    if not reason:
        raise LoanError(_("不予通过须说明原因"))
    department = roles.department_for(application)
    application.status = Status.REJECTED
    application.reject_reason = reason
    application.closed_at = timezone.now()
    application.save()
    _step(
        application, stage, StepAction.REJECT, actor=actor, department_id=department, reason=reason
    )
    audit.record(
        "loans.application.reject",
        actor=actor,
        obj=application,
        before={"status": stage},
        after={"status": Status.REJECTED, "reason": reason},
    )
    return application


# --- loan --------------------------------------------------------------------------------------


def _date(value: Any, label: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise LoanError(_("%(f)s应为日期（YYYY-MM-DD）") % {"f": label}) from None


def guarantee_loan_type() -> SupportType:
    found = SupportType.objects.filter(code=GUARANTEE_LOAN).first()
    if found is not None:
        return found
    return next(t for t in registry.ensure_support_types() if t.code == GUARANTEE_LOAN)


def check_disbursement(
    *,
    status: str,
    approved_amount: Decimal | None,
    bank_approved_on: dt.date | None,
    amount: Decimal,
    disbursed_on: dt.date,
    bank_loan_number: str,
    today: dt.date,
) -> None:
    """The rules a disbursement must meet (shared by the form and the bank's import)."""
    if status in DISBURSED:
        raise LoanError(_("该申请已放款，不能重复放款"), "application")
    if status != Status.APPROVED or approved_amount is None:
        label = dict(Status.choices).get(status, status)
        raise LoanError(_("该申请尚未通过银行审批（当前：%(s)s）") % {"s": label}, "application")
    if not Decimal(0) < amount <= approved_amount:
        raise LoanError(
            _("放款金额应大于 0 且不超过银行审批金额 %(a)s 元") % {"a": f"{approved_amount:,.2f}"},
            "amount",
        )
    if disbursed_on > today:
        raise LoanError(_("放款日期不能晚于今天"), "date")
    if bank_approved_on and disbursed_on < bank_approved_on:
        raise LoanError(_("放款日期不能早于银行审批日期"), "date")
    if not bank_loan_number or len(bank_loan_number) > 40:
        raise LoanError(_("请填写银行贷款编号（不超过 40 个字符）"), "bank_loan_number")


@transaction.atomic
def disburse(
    application: LoanApplication,
    *,
    amount: Any,
    disbursed_on: Any,
    bank_loan_number: str,
    actor: Any,
    today: dt.date | None = None,
) -> Loan:
    """Record the bank's payout: the loan, the person's support record and the month's figure."""
    today = today or timezone.localdate()
    application = _locked(application)
    if application.status == Status.APPROVED:
        _require_role(application, actor)
    money = _decimal(amount, _("放款金额"))
    day = _date(disbursed_on, _("放款日期"))
    number = (bank_loan_number or "").strip()
    check_disbursement(
        status=application.status,
        approved_amount=application.approved_amount,
        bank_approved_on=application.bank_approved_on,
        amount=money,
        disbursed_on=day,
        bank_loan_number=number,
        today=today,
    )
    if Loan.objects.filter(bank_loan_number=number).exists():
        raise LoanError(_("银行贷款编号 %(n)s 已使用") % {"n": number})
    assert application.applicant is not None and application.venture is not None
    assert application.rate is not None and application.bank_id is not None
    loan = Loan.objects.create(
        application=application,
        bank_loan_number=number,
        bank_id=application.bank_id,
        district=application.district,
        amount=money,
        rate=application.rate,
        disbursed_on=day,
        term_months=application.term_months,
        maturity_on=subsidy.add_months(day, application.term_months),
        created_by=_user(actor),
    )
    application.status = Status.REPAYING
    application.furthest = STAGE_ORDER[Status.REPAYING]
    application.save(update_fields=["status", "furthest", "updated_at"])
    _step(
        application,
        Status.APPROVED,
        StepAction.DISBURSE,
        actor=actor,
        department_id=application.bank_id,
        reason=_("放款 %(a)s 元") % {"a": f"{money:,.2f}"},
    )
    registry.record_support(
        person=application.applicant,
        support_type=guarantee_loan_type(),
        date=day,
        actor=actor,
        venture=application.venture,
        amount=money,
        department=bureau_for(application.district),
        note=application.number,
        source="loans",
    )
    facts.refresh_metric(DISBURSED_METRIC, application.district, day.year, day.month)
    audit.record(
        "loans.loan.disburse",
        actor=actor,
        obj=loan,
        after={
            "application": application.number,
            "bank_loan_number": number,
            "amount": money,
            "disbursed_on": day,
        },
    )
    return loan


def _loan_of(application: LoanApplication) -> Loan:
    loan = Loan.objects.filter(application=application).first()
    if loan is None:
        raise LoanError(_("该申请尚未放款"))
    return loan


def _loan_event(
    application: LoanApplication,
    loan: Loan,
    action: str,
    *,
    actor: Any,
    department_id: int | None,
    reason: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    stage = before.get("status", application.status)
    _step(application, stage, action, actor=actor, department_id=department_id, reason=reason)
    audit.record(f"loans.loan.{action}", actor=actor, obj=loan, before=before, after=after)


def _on(value: Any, label: str, loan: Loan, today: dt.date) -> dt.date:
    day = _date(value, label)
    if day < loan.disbursed_on or day > today:
        raise LoanError(_("%(f)s应在放款日期与今天之间") % {"f": label})
    return day


@transaction.atomic
def mark_overdue(
    application: LoanApplication, *, since: Any, actor: Any, today: dt.date | None = None
) -> Loan:
    """The bank reports the loan overdue: no subsidy from the period this falls in."""
    today = today or timezone.localdate()
    application = _locked(application)
    if application.status != Status.REPAYING:
        raise LoanError(_("只有还款中的贷款可以登记逾期"))
    _require_role(application, actor)
    loan = _loan_of(application)
    loan.overdue_since = _on(since, _("逾期起始日"), loan, today)
    loan.save(update_fields=["overdue_since"])
    application.status = Status.OVERDUE
    application.save(update_fields=["status", "updated_at"])
    _loan_event(
        application,
        loan,
        StepAction.OVERDUE,
        actor=actor,
        department_id=application.bank_id,
        reason=_("自 %(d)s 起逾期") % {"d": loan.overdue_since},
        before={"status": Status.REPAYING},
        after={"status": Status.OVERDUE, "overdue_since": loan.overdue_since},
    )
    return loan


@transaction.atomic
def settle(
    application: LoanApplication, *, on: Any, actor: Any, today: dt.date | None = None
) -> Loan:
    """The borrower repaid in full (on time, early, or late after an overdue spell)."""
    today = today or timezone.localdate()
    application = _locked(application)
    if application.status not in (Status.REPAYING, Status.OVERDUE):
        raise LoanError(_("该贷款当前不能登记结清"))
    roles = _require_role(application, actor)
    if application.bank_id not in roles.banks:
        raise LoanError(_("结清由经办银行登记"))
    loan = _loan_of(application)
    before = application.status
    loan.settled_on = _on(on, _("结清日期"), loan, today)
    loan.save(update_fields=["settled_on"])
    application.status = Status.SETTLED
    application.closed_at = timezone.now()
    application.save(update_fields=["status", "closed_at", "updated_at"])
    _loan_event(
        application,
        loan,
        StepAction.SETTLE,
        actor=actor,
        department_id=application.bank_id,
        reason=_("%(d)s 结清") % {"d": loan.settled_on},
        before={"status": before},
        after={"status": Status.SETTLED, "settled_on": loan.settled_on},
    )
    return loan


@transaction.atomic
def compensate(
    application: LoanApplication,
    *,
    on: Any,
    amount: Any,
    actor: Any,
    today: dt.date | None = None,
) -> Loan:
    """The guarantor repays the bank for an overdue loan (代偿)."""
    today = today or timezone.localdate()
    application = _locked(application)
    if application.status != Status.OVERDUE:
        raise LoanError(_("只有逾期贷款可以登记代偿"))
    roles = _require_role(application, actor)
    if application.guarantor_id not in roles.guarantors:
        raise LoanError(_("代偿由担保机构登记"))
    loan = _loan_of(application)
    day = _on(on, _("代偿日期"), loan, today)
    money = _decimal(amount, _("代偿金额"))
    if not Decimal(0) < money <= loan.amount * 2:
        raise LoanError(_("代偿金额应大于 0"))
    loan.compensated_on, loan.compensation_amount = day, money
    loan.save(update_fields=["compensated_on", "compensation_amount"])
    application.status = Status.COMPENSATED
    application.closed_at = timezone.now()
    application.save(update_fields=["status", "closed_at", "updated_at"])
    _loan_event(
        application,
        loan,
        StepAction.COMPENSATE,
        actor=actor,
        department_id=application.guarantor_id,
        reason=_("%(d)s 代偿 %(a)s 元") % {"d": day, "a": f"{money:,.2f}"},
        before={"status": Status.OVERDUE},
        after={"status": Status.COMPENSATED, "compensated_on": day, "amount": money},
    )
    return loan


@transaction.atomic
def extend(
    application: LoanApplication, *, to: Any, actor: Any, today: dt.date | None = None
) -> Loan:
    """The bank extends the term once: the extra days get no subsidy."""
    today = today or timezone.localdate()
    application = _locked(application)
    if application.status != Status.REPAYING:
        raise LoanError(_("只有还款中的贷款可以展期"))
    _require_role(application, actor)
    loan = _loan_of(application)
    if loan.extended_to is not None:
        raise LoanError(_("该贷款已展期一次"))
    day = _date(to, _("展期到期日"))
    latest = subsidy.add_months(loan.maturity_on, MAX_EXTENSION_MONTHS)
    if not loan.maturity_on < day <= latest:
        raise LoanError(_("展期到期日应晚于原到期日，且展期不超过 12 个月"))
    loan.extended_to = day
    loan.save(update_fields=["extended_to"])
    _loan_event(
        application,
        loan,
        StepAction.EXTEND,
        actor=actor,
        department_id=application.bank_id,
        reason=_("展期至 %(d)s，展期部分不予贴息") % {"d": day},
        before={"status": application.status, "maturity_on": loan.maturity_on},
        after={"extended_to": day},
    )
    return loan


# The loan's later events, by the name a form or an API call gives them, and who records each.
LOAN_EVENTS = {
    "overdue": gettext_lazy("登记逾期"),
    "settle": gettext_lazy("登记结清"),
    "extend": gettext_lazy("登记展期"),
    "compensate": gettext_lazy("登记代偿"),
}


def record_event(
    application: LoanApplication, action: str, *, on: Any, actor: Any, amount: Any = None
) -> Loan:
    """Overdue, settlement or extension (the bank), or compensation (the guarantor), by name.

    ``on`` is the day of the event: when the loan fell overdue, was settled or compensated, or
    the extended maturity. ``amount`` is the compensation's (the loan's balance when omitted).
    """
    if action == "overdue":
        return mark_overdue(application, since=on, actor=actor)
    if action == "settle":
        return settle(application, on=on, actor=actor)
    if action == "extend":
        return extend(application, to=on, actor=actor)
    if action == "compensate":
        return compensate(application, on=on, amount=amount, actor=actor)
    raise LoanError(_("未知的操作：%(a)s") % {"a": action})


# --- interest subsidy --------------------------------------------------------------------------


def terms_of(loan: Loan) -> subsidy.Terms:
    return subsidy.Terms(
        amount=loan.amount,
        rate=loan.rate,
        disbursed_on=loan.disbursed_on,
        term_months=loan.term_months,
        extended_to=loan.extended_to,
        overdue_since=loan.overdue_since,
        settled_on=loan.settled_on,
        compensated_on=loan.compensated_on,
    )


def loan_schedule(
    loan: Loan, table: list[tuple[dt.date, Decimal]] | None = None
) -> list[subsidy.Period]:
    policy = loan.application.policy
    return subsidy.schedule(
        terms_of(loan),
        lpr_table() if table is None else table,
        spread_bp=policy.borrower_spread_bp,
        basis=policy.day_count_basis,
    )


def claim_from(loan: Loan, period: subsidy.Period, *, actor: Any, at: dt.datetime) -> SubsidyClaim:
    return SubsidyClaim(
        loan=loan,
        period_no=period.number,
        period_start=period.start,
        period_end=period.end,
        days=period.days,
        principal=period.principal,
        rate=period.rate,
        interest=period.interest,
        borrower_interest=period.borrower_interest,
        subsidy=period.subsidy,
        basis=period.basis[:300],
        excluded=period.excluded,
        claimed_at=at,
        claimed_by=_user(actor),
    )


@transaction.atomic
def claim_subsidies(
    *, bank: Department, actor: Any, up_to: dt.date | None = None
) -> list[SubsidyClaim]:
    """The bank claims the subsidy of every interest period that has ended and is not claimed."""
    up_to = up_to or timezone.localdate()
    if bank.pk not in roles_for(actor).banks:
        raise LoanError(_("贴息由经办银行申请"))
    loans = Loan.objects.filter(bank=bank, application__status__in=DISBURSED).select_related(
        "application__policy"
    )
    done = set(SubsidyClaim.objects.filter(loan__bank=bank).values_list("loan_id", "period_no"))
    table = lpr_table()
    now = timezone.now()
    new: list[SubsidyClaim] = []
    for loan in loans.iterator(chunk_size=2000):
        for period in loan_schedule(loan, table):
            if period.due_on <= up_to and (loan.pk, period.number) not in done:
                new.append(claim_from(loan, period, actor=actor, at=now))
    SubsidyClaim.objects.bulk_create(new, batch_size=2000)
    audit.record(
        "loans.subsidy.claim",
        actor=actor,
        obj=bank,
        after={
            "claims": len(new),
            "subsidy": sum((c.subsidy for c in new), Decimal(0)),
            "up_to": up_to,
        },
    )
    return new


@transaction.atomic
def pay_claims(claims: QuerySet[SubsidyClaim], *, actor: Any) -> int:
    """人社 confirms the subsidy of claimed periods as paid (拨付)."""
    if not roles_for(actor).hrss:
        raise LoanError(_("贴息拨付由市人社局确认"))
    pending = claims.filter(status=ClaimStatus.CLAIMED)
    ids = list(pending.values_list("pk", flat=True))
    total = sum(pending.values_list("subsidy", flat=True), Decimal(0))
    SubsidyClaim.objects.filter(pk__in=ids).update(
        status=ClaimStatus.PAID, paid_at=timezone.now(), paid_by=_user(actor)
    )
    audit.record(
        "loans.subsidy.pay",
        actor=actor,
        object_type="loans.subsidyclaim",
        object_repr=_("贴息拨付"),
        after={"claims": len(ids), "subsidy": total},
    )
    return len(ids)


# --- personal data: exports, unmasking, retention ----------------------------------------------


def record_export(
    what: str,
    *,
    actor: Any,
    rows: int,
    unmasked: bool,
    scope: str,
    persons: list[int] | None = None,
) -> None:
    """Every export of personal data leaves an audit row (never the data itself).

    An export with clear ID numbers (only for users allowed to unmask) names the persons whose
    numbers it contains, by registry id.
    """
    after: dict[str, Any] = {"rows": rows, "unmasked": unmasked, "scope": scope}
    if persons is not None:
        after["persons"] = persons
    audit.record(
        f"loans.export.{what}",
        actor=actor,
        object_type="loans.export",
        object_repr=scope[:300],
        after=after,
    )


@transaction.atomic
def save_policy(form: Any, *, actor: Any) -> LoanPolicy:
    """Save a policy edited on the policy page (a ``PolicyForm``), with before and after."""
    before = None
    if form.instance.pk:
        before = _policy_snapshot(LoanPolicy.objects.get(pk=form.instance.pk))
    policy: LoanPolicy = form.save()
    audit.record(
        "loans.policy.save", actor=actor, obj=policy, before=before, after=_policy_snapshot(policy)
    )
    return policy


def _policy_snapshot(policy: LoanPolicy) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in LoanPolicy._meta.fields:
        if f.name in ("id", "updated_at", "consent_text"):
            continue
        value = getattr(policy, f.name)
        out[f.name] = value if isinstance(value, int | list) else str(value)
    return out


@transaction.atomic
def save_lpr(form: Any, *, actor: Any) -> LprRate:
    """Save a one-year LPR row edited on the policy page (an ``LprForm``)."""
    before = None
    if form.instance.pk:
        old = LprRate.objects.get(pk=form.instance.pk)
        before = {"effective_on": old.effective_on, "one_year": old.one_year}
    rate: LprRate = form.save()
    audit.record(
        "loans.lpr.save",
        actor=actor,
        obj=rate,
        before=before,
        after={"effective_on": rate.effective_on, "one_year": rate.one_year, "source": rate.source},
    )
    return rate


def clear_ids(person_ids: Any, *, actor: Any) -> dict[int, str]:
    """Clear ID numbers for an export by a user allowed to unmask.

    The export's own audit row (``record_export`` with ``persons``) names whose numbers left.
    """
    if not registry.can_unmask(actor):
        raise LoanError(_("您没有查看完整证件号的权限"))
    rows = Person.objects.filter(pk__in=person_ids).values_list("pk", "id_cipher")
    return {pk: crypto.decrypt(cipher) for pk, cipher in rows}


def retention_days(key: str, default: int) -> int:
    return int(getattr(settings, "RETENTION_DAYS", {}).get(key, default))


@dataclass(frozen=True)
class PurgeReport:
    deleted: list[str]
    anonymised: list[str]

    @property
    def total(self) -> int:
        return len(self.deleted) + len(self.anonymised)


def purge_candidates(today: dt.date) -> tuple[QuerySet[LoanApplication], QuerySet[LoanApplication]]:
    """(to delete, to anonymise): closed applications whose retention period has run out."""

    def cutoff(key: str, default: int) -> dt.datetime:
        day = today - dt.timedelta(days=retention_days(key, default))
        return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())

    rejected = LoanApplication.objects.filter(
        status=Status.REJECTED, closed_at__lt=cutoff("loans.rejected", 730)
    )
    abandoned = LoanApplication.objects.filter(
        status=Status.RETURNED, updated_at__lt=cutoff("loans.returned", 365)
    )
    closed = LoanApplication.objects.filter(
        status__in=(Status.SETTLED, Status.COMPENSATED),
        closed_at__lt=cutoff("loans.closed", 1825),
        anonymised_at__isnull=True,
    )
    return (rejected | abandoned).order_by("id"), closed.order_by("id")


def purge(*, today: dt.date | None = None, dry_run: bool = False, actor: Any = None) -> PurgeReport:
    """Delete refused or abandoned applications and anonymise closed loans past retention.

    The loan's amount, date and district stay (the indicator counts them); the person, venture,
    materials, partners and free text go. A dry run changes nothing and writes no audit row.
    """
    today = today or timezone.localdate()
    drop, anonymise = purge_candidates(today)
    report = PurgeReport(
        deleted=list(drop.values_list("number", flat=True)),
        anonymised=list(anonymise.values_list("number", flat=True)),
    )
    if dry_run or not report.total:
        return report
    with transaction.atomic():
        now = timezone.now()
        for application in drop.prefetch_related("materials"):
            for m in application.materials.all():
                _delete_material(m)
            application.partners.clear()
            application.delete()
        for application in anonymise.prefetch_related("materials"):
            for m in application.materials.all():
                _delete_material(m)
            application.partners.clear()
            application.steps.update(reason="")
            LoanApplication.objects.filter(pk=application.pk).update(
                applicant=None,
                venture=None,
                purpose="",
                return_reason="",
                reject_reason="",
                consent_text="",
                anonymised_at=now,
            )
        audit.record(
            "loans.purge",
            actor=actor,
            object_type="loans.loanapplication",
            object_repr=_("超过保存期限的贷款申请"),
            after={
                "deleted": report.deleted,
                "anonymised": report.anonymised,
                "today": today,
            },
        )
    return report


# --- set-up ------------------------------------------------------------------------------------


@transaction.atomic
def register_institution(department: Department, kind: str, *, actor: Any) -> LoanInstitution:
    """Say that a department takes part in the workflow as 人社 review, guarantor or bank."""
    if kind not in InstitutionKind.values:
        raise LoanError(_("未知的机构类型"))
    inst, created = LoanInstitution.objects.update_or_create(
        department=department, defaults={"kind": kind, "active": True}
    )
    audit.record(
        "loans.institution.register",
        actor=actor,
        obj=inst,
        after={"department": department.code, "kind": kind, "created": created},
    )
    return inst


@transaction.atomic
def download_material(material: Material, *, actor: Any) -> IO[bytes]:
    """Open a material for a user who may see the application; the access is audited."""
    audit.record(
        "loans.material.download",
        actor=actor,
        obj=material.application,
        after={"material": material.pk, "kind": material.kind},
    )
    return material.file.open("rb")
