"""Loan pages: the entrepreneur applies and follows the stages; staff work their step's queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from chuangye.accounts.access import access_for
from chuangye.accounts.models import OrgUnit
from chuangye.programs.entrepreneurs import services as registry
from chuangye.programs.entrepreneurs.models import Person
from chuangye.programs.loans import imports, selectors, services, subsidy
from chuangye.programs.loans.choices import (
    DISBURSED,
    REQUIRED_MATERIALS,
    REVIEW_STAGES,
    LoanKind,
    MaterialKind,
    Status,
    StepAction,
)
from chuangye.programs.loans.forms import (
    ApplyForm,
    DecisionForm,
    DisburseForm,
    ImportForm,
    LoanEventForm,
    LprForm,
    PolicyForm,
    ResubmitForm,
    StaffApplyForm,
)
from chuangye.programs.loans.models import (
    LoanApplication,
    LoanPolicy,
    LprRate,
    Material,
)
from chuangye.programs.loans.selectors import LoanRoles, roles_for
from chuangye.reporting.excel import export_table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _staff(request: HttpRequest) -> LoanRoles:
    roles = roles_for(request.user)
    if not (roles.is_staff or roles.city_read):
        raise Http404
    return roles


def _own_person(request: HttpRequest) -> Person | None:
    return Person.objects.filter(user_id=request.user.pk or 0).first()


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def _fail(request: HttpRequest, exc: services.LoanError) -> None:
    messages.error(request, str(exc))


def _form_extras() -> dict[str, Any]:
    """The materials checklist and the upload limit, shown above every application form."""
    names = dict(MaterialKind.choices)
    return {
        "checklist": [
            (label, [str(names[k]) for k in REQUIRED_MATERIALS[kind]])
            for kind, label in LoanKind.choices
        ],
        "max_mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
    }


# --- stage tracker -----------------------------------------------------------------------------

TRACK = (
    ("submit", _lazy("提交申请")),
    (Status.STREET, _lazy("街道收件初审")),
    (Status.HRSS, _lazy("人社审查")),
    (Status.GUARANTOR, _lazy("担保机构审核")),
    (Status.BANK, _lazy("银行审批")),
    ("disburse", _lazy("放款")),
    ("repay", _lazy("还款与贴息")),
    ("close", _lazy("结清")),
)
POSITION: dict[str, int] = {
    Status.STREET: 1,
    Status.HRSS: 2,
    Status.GUARANTOR: 3,
    Status.BANK: 4,
    Status.APPROVED: 5,
    Status.REPAYING: 6,
    Status.OVERDUE: 6,
    Status.SETTLED: 8,
    Status.COMPENSATED: 8,
}
CSS = {
    "done": "status status-approved",
    "current": "status status-submitted",
    "problem": "status status-returned",
    "todo": "status",
}


def tracker(application: LoanApplication) -> list[dict[str, str]]:
    """Each stage with its state (done, current, problem, to do) for the applicant to read."""
    status = application.status
    problem = ""
    if status == Status.RETURNED:
        here, problem = POSITION.get(application.returned_from, 1), _("已退回")
    elif status == Status.REJECTED:
        step = application.steps.filter(action=StepAction.REJECT).last()
        here, problem = POSITION.get(step.stage if step else Status.STREET, 1), _("未通过")
    elif status == Status.OVERDUE:
        here, problem = POSITION[status], _("逾期")
    else:
        here = POSITION.get(status, 1)
    out = []
    for i, (_key, label) in enumerate(TRACK):
        text = str(label)
        if i == len(TRACK) - 1 and status == Status.COMPENSATED:
            text = _("担保代偿")
        if i < here:
            state = "done"
        elif i == here:
            state = "problem" if problem else "current"
            text = f"{text}（{problem or _('办理中')}）"
        else:
            state = "todo"
        out.append({"label": text, "state": state, "css": CSS[state]})
    return out


# --- entrepreneur ------------------------------------------------------------------------------


@login_required
@never_cache
def apply(request: HttpRequest) -> HttpResponse:
    """The entrepreneur applies for their own venture, with the checklist and the consent."""
    person = _own_person(request)
    policy = services.policy_on(timezone.localdate()) if LoanPolicy.objects.exists() else None
    if person is None or not person.ventures.exists() or policy is None:
        return render(request, "loans/apply.html", {"person": person, "form": None})
    form = ApplyForm(request.POST or None, request.FILES or None, person=person)
    rules_failed: list[Any] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = services.submit_application(
                applicant=person,
                venture=data["venture"],
                kind=data["kind"],
                amount=data["amount"],
                term_months=data["term_months"],
                purpose=data["purpose"],
                partners=list(data["partners"]),
                staff_count=data.get("staff_count"),
                new_hires=data.get("new_hires") or 0,
                bank=data["bank"],
                materials=form.uploads(),
                consent=data["consent"],
                actor=request.user,
            )
        except services.NotEligible as exc:
            rules_failed = exc.rules
            form.add_error(None, _("不符合申请条件，请对照下表修改。"))
        except services.LoanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("申请已提交，编号 %(n)s。请留意办理进度。") % {"n": application.number},
            )
            return redirect("loans:detail", pk=application.pk)
    return render(
        request,
        "loans/apply.html",
        {"person": person, "form": form, "policy": policy, "rules": rules_failed, **_form_extras()},
        status=400 if form.errors else 200,
    )


@login_required
@never_cache
def mine(request: HttpRequest) -> HttpResponse:
    """My applications, each with its stage tracker and any return reason."""
    rows = [
        (a, tracker(a)) for a in selectors.own_applications(request.user).prefetch_related("steps")
    ]
    return render(request, "loans/mine.html", {"rows": rows, "person": _own_person(request)})


@login_required
@never_cache
def resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.get_application_for_user(request.user, pk)
    if application.status != Status.RETURNED:
        raise Http404
    policy = services.policy_on(timezone.localdate())
    form = ResubmitForm(request.POST or None, request.FILES or None, application=application)
    rules_failed: list[Any] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.resubmit(
                application,
                actor=request.user,
                amount=data["amount"],
                term_months=data["term_months"],
                purpose=data["purpose"],
                staff_count=data.get("staff_count"),
                new_hires=data.get("new_hires"),
                materials=form.uploads(),
                consent=data["consent"],
            )
        except services.NotEligible as exc:
            rules_failed = exc.rules
            form.add_error(None, _("不符合申请条件，请对照下表修改。"))
        except services.LoanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已重新提交，进入街道收件初审。"))
            return redirect("loans:detail", pk=pk)
    return render(
        request,
        "loans/resubmit.html",
        {
            "application": application,
            "form": form,
            "policy": policy,
            "rules": rules_failed,
            **_form_extras(),
        },
        status=400 if form.errors else 200,
    )


# --- staff -------------------------------------------------------------------------------------


@login_required
@never_cache
def queue(request: HttpRequest) -> HttpResponse:
    """The applications waiting for the user's steps, and a search over all in scope."""
    roles = _staff(request)
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    everything = selectors.applications_visible_to(request.user)
    if q:
        everything = everything.filter(Q(number=q.upper()) | Q(applicant__name=q))
    if status in Status.values:
        everything = everything.filter(status=status)
    page = Paginator(everything.order_by("-submitted_at", "-id"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "loans/queue.html",
        {
            "queues": [(s, label, qs[:100]) for s, label, qs in selectors.queues_for(request.user)],
            "page": page,
            "q": q,
            "status": status,
            "statuses": Status.choices,
            "roles": roles,
            "can_file": bool(roles.street or roles.hrss),
            "banks": selectors.banks_of(request.user),
        },
    )


@login_required
@never_cache
def staff_new(request: HttpRequest) -> HttpResponse:
    """An application entered by staff: the person and venture are found or registered."""
    roles = _staff(request)
    if not (roles.street or roles.hrss):
        raise Http404
    districts = OrgUnit.objects.filter(parent__isnull=False)
    if not roles.hrss:
        districts = districts.filter(pk__in=list(roles.street))
    form = StaffApplyForm(request.POST or None, request.FILES or None, districts=districts)
    rules_failed: list[Any] = []
    if request.method == "POST" and form.is_valid():
        try:
            application = _file_for(request, form)
        except services.NotEligible as exc:
            rules_failed = exc.rules
            form.add_error(None, _("不符合申请条件，未保存任何内容。"))
        except services.LoanError as exc:
            form.add_error(None, str(exc) + _("（未保存任何内容）"))
        else:
            messages.success(request, _("已录入申请 %(n)s。") % {"n": application.number})
            return redirect("loans:detail", pk=application.pk)
    return render(
        request,
        "loans/staff_new.html",
        {
            "form": form,
            "rules": rules_failed,
            "policy": services.policy_on(timezone.localdate()),
            **_form_extras(),
        },
        status=400 if form.errors else 200,
    )


def _file_for(request: HttpRequest, form: StaffApplyForm) -> LoanApplication:
    data = form.cleaned_data
    return services.submit_for(
        name=data["name"],
        id_number=data["id_number"],
        district=data["district"],
        phone=data.get("phone") or "",
        target_group=data["target_group"],
        venture_name=data["venture_name"],
        venture_kind=data["venture_kind"],
        credit_code=data.get("credit_code") or "",
        partner_ids=(data.get("partner_ids") or "").split(),
        kind=data["kind"],
        amount=data["amount"],
        term_months=data["term_months"],
        purpose=data["purpose"],
        staff_count=data.get("staff_count"),
        new_hires=data.get("new_hires") or 0,
        bank=data["bank"],
        materials=form.uploads(),
        consent=data["consent"],
        actor=request.user,
    )


@login_required
@never_cache
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.get_application_for_user(request.user, pk)
    roles = roles_for(request.user)
    own = application.applicant is not None and application.applicant.user_id == request.user.pk
    staff = roles.is_staff or roles.city_read
    context: dict[str, Any] = {
        "a": application,
        "own": own,
        "staff": staff,
        "track": tracker(application),
        "steps": application.steps.select_related("department", "actor"),
        "materials": application.materials.all(),
        "partners": application.partners.all(),
        "loan": getattr(application, "loan", None) if application.status in DISBURSED else None,
    }
    if staff:
        can_act = roles.can_act(application)
        context.update(
            {
                "rules": services.eligibility(application),
                "can_act": can_act,
                "can_unmask": registry.can_unmask(request.user),
                "decision": DecisionForm(initial={"approved_amount": application.amount})
                if can_act and application.status in REVIEW_STAGES
                else None,
                "at_bank": application.status == Status.BANK,
                "disburse_form": DisburseForm(
                    initial={
                        "amount": application.approved_amount,
                        "disbursed_on": timezone.localdate(),
                    }
                )
                if can_act and application.status == Status.APPROVED
                else None,
                "event_form": LoanEventForm(initial={"on": timezone.localdate()})
                if can_act and application.status in (Status.REPAYING, Status.OVERDUE)
                else None,
                "is_bank": application.bank_id in roles.banks,
                "is_guarantor": application.guarantor_id in roles.guarantors,
            }
        )
    return render(request, "loans/detail.html", context)


@login_required
@require_POST
def act(request: HttpRequest, pk: int) -> HttpResponse:
    """Pass, return or reject the current reviewing step."""
    application = selectors.get_application_for_user(request.user, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请检查填写的内容。"))
        return redirect("loans:detail", pk=pk)
    data = form.cleaned_data
    try:
        if data["action"] == "advance":
            services.advance(
                application,
                actor=request.user,
                note=data["reason"],
                approved_amount=data.get("approved_amount"),
                rate=data.get("rate"),
            )
            messages.success(request, _("已通过，转入下一环节。"))
        elif data["action"] == "return":
            services.return_application(application, data["reason"], actor=request.user)
            messages.success(request, _("已退回申请人修改。"))
        else:
            services.reject_application(application, data["reason"], actor=request.user)
            messages.success(request, _("已作出不予通过的决定。"))
    except services.LoanError as exc:
        _fail(request, exc)
    return redirect("loans:detail", pk=pk)


@login_required
@require_POST
def disburse(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.get_application_for_user(request.user, pk)
    form = DisburseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请检查填写的内容。"))
        return redirect("loans:detail", pk=pk)
    try:
        services.disburse(application, actor=request.user, **form.cleaned_data)
        messages.success(request, _("已登记放款。"))
    except services.LoanError as exc:
        _fail(request, exc)
    return redirect("loans:detail", pk=pk)


@login_required
@require_POST
def loan_event(request: HttpRequest, pk: int) -> HttpResponse:
    """Overdue, settlement, extension (bank) or compensation (guarantor)."""
    application = selectors.get_application_for_user(request.user, pk)
    form = LoanEventForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请检查填写的内容。"))
        return redirect("loans:detail", pk=pk)
    data = form.cleaned_data
    try:
        services.record_event(
            application, data["action"], on=data["on"], amount=data["amount"], actor=request.user
        )
        messages.success(request, _("已登记。"))
    except services.LoanError as exc:
        _fail(request, exc)
    return redirect("loans:detail", pk=pk)


@login_required
@require_POST
def unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the applicant's full ID once, to a user allowed to; the unmask is audited."""
    application = selectors.get_application_for_user(request.user, pk)
    _staff(request)
    if application.applicant is None:
        raise Http404
    try:
        value = registry.unmask(
            application.applicant,
            field="id_number",
            actor=request.user,
            reason=request.POST.get("reason", "") or application.number,
        )
    except registry.RegistryError as exc:
        messages.error(request, str(exc))
        return redirect("loans:detail", pk=pk)
    return render(request, "loans/unmasked.html", {"a": application, "value": value})


@login_required
def material(request: HttpRequest, pk: int, mid: int) -> FileResponse:
    """A document of an application the user may see (the download is audited)."""
    application = selectors.get_application_for_user(request.user, pk)
    item = Material.objects.filter(application=application, pk=mid).first()
    if item is None:
        raise Http404
    try:
        handle = services.download_material(item, actor=request.user)
    except FileNotFoundError:
        raise Http404 from None
    name = f"{application.number}-{item.get_kind_display()}{item.extension}"
    return FileResponse(handle, as_attachment=True, filename=name, content_type=item.content_type)


# --- loans: schedule and subsidy ---------------------------------------------------------------


def _loan_for(request: HttpRequest, pk: int) -> Any:
    application = selectors.get_application_for_user(request.user, pk)
    loan = getattr(application, "loan", None) if application.status in DISBURSED else None
    if loan is None:
        raise Http404
    return application, loan


@login_required
@never_cache
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """The repayment schedule with each period's split between borrower and subsidy."""
    application, loan = _loan_for(request, pk)
    periods = services.loan_schedule(loan)
    claims = {c.period_no: c for c in loan.claims.all()}
    rows = [(p, claims.get(p.number)) for p in periods]
    if request.GET.get("format") == "xlsx":
        _staff(request)
        headers = [
            _("申请编号"),
            _("借款人"),
            _("身份证号"),
            _("期次"),
            _("起息日"),
            _("止息日"),
            _("天数"),
            _("本金"),
            _("年利率（%）"),
            _("应付利息"),
            _("借款人承担"),
            _("财政贴息"),
            _("计算依据"),
            _("贴息状态"),
        ]
        data = [
            (
                application.number,
                application.borrower_name,
                application.borrower_id_masked,
                p.number,
                p.start,
                p.end,
                p.days,
                p.principal,
                p.rate,
                p.interest,
                p.borrower_interest,
                p.subsidy,
                p.basis,
                c.get_status_display() if c else _("未申请"),
            )
            for p, c in rows
        ]
        services.record_export(
            "loan_statement",
            actor=request.user,
            rows=len(data),
            unmasked=False,
            scope=application.number,
        )
        content = export_table(_("贴息明细"), headers, data)
        return _xlsx(content, f"贴息明细-{application.number}.xlsx")
    return render(
        request,
        "loans/schedule.html",
        {
            "a": application,
            "loan": loan,
            "rows": rows,
            "total_interest": sum((p.interest for p in periods), Decimal(0)),
            "total_subsidy": sum((p.subsidy for p in periods), Decimal(0)),
            "staff": roles_for(request.user).is_staff or roles_for(request.user).city_read,
        },
    )


def _default_quarter(today: dt.date) -> str:
    first = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return subsidy.quarter_of(first - dt.timedelta(days=1))


@login_required
@never_cache
def subsidies(request: HttpRequest) -> HttpResponse:
    """The subsidy statement of a quarter (claims by the last day of their period)."""
    roles = _staff(request)
    today = timezone.localdate()
    period = request.GET.get("period") or _default_quarter(today)
    try:
        first, last = subsidy.quarter_bounds(period)
    except ValueError:
        raise Http404 from None
    claims = (
        selectors.claims_visible_to(request.user)
        .filter(period_end__gte=first, period_end__lte=last)
        .select_related("loan__application__applicant", "loan__district")
        .order_by("loan__district__order", "loan__disbursed_on", "loan_id", "period_no")
    )
    if request.GET.get("format") == "xlsx":
        return _export_claims(request, claims, period)
    totals = claims.aggregate(
        n=Count("id"),
        interest=Sum("interest"),
        subsidy=Sum("subsidy"),
        borrower=Sum("borrower_interest"),
    )
    by_status = dict(
        claims.values_list("status").annotate(s=Sum("subsidy")).values_list("status", "s")
    )
    page = Paginator(claims, 100).get_page(request.GET.get("page"))
    quarters = []
    q = subsidy.quarter_of(today)
    for _i in range(8):
        quarters.append(q)
        start, _end = subsidy.quarter_bounds(q)
        q = subsidy.quarter_of(start - dt.timedelta(days=1))
    return render(
        request,
        "loans/subsidies.html",
        {
            "period": period,
            "quarters": quarters,
            "page": page,
            "totals": totals,
            "by_status": by_status,
            "banks": selectors.banks_of(request.user),
            "can_pay": bool(roles.hrss),
            "can_unmask": registry.can_unmask(request.user),
        },
    )


def _export_claims(request: HttpRequest, claims: Any, period: str) -> HttpResponse:
    full = request.GET.get("full") == "1" and registry.can_unmask(request.user)
    clear: dict[int, str] = {}
    if full:
        clear = services.clear_ids(
            claims.values("loan__application__applicant_id"), actor=request.user
        )
    headers = [
        _("区市"),
        _("申请编号"),
        _("银行贷款编号"),
        _("借款人"),
        _("身份证号"),
        _("放款日期"),
        _("期次"),
        _("起息日"),
        _("止息日"),
        _("天数"),
        _("本金"),
        _("年利率（%）"),
        _("应付利息"),
        _("借款人承担"),
        _("财政贴息"),
        _("计算依据"),
        _("状态"),
    ]

    def rows() -> Iterable[tuple[Any, ...]]:
        for c in claims.iterator(chunk_size=2000):
            a = c.loan.application
            person = a.applicant
            yield (
                c.loan.district.short_name,
                a.number,
                c.loan.bank_loan_number,
                a.borrower_name,
                clear.get(person.pk, "") if (full and person) else a.borrower_id_masked,
                c.loan.disbursed_on,
                c.period_no,
                c.period_start,
                c.period_end,
                c.days,
                c.principal,
                c.rate,
                c.interest,
                c.borrower_interest,
                c.subsidy,
                c.excluded or c.basis,
                c.get_status_display(),
            )

    count = claims.count()
    services.record_export(
        "subsidy_statement",
        actor=request.user,
        rows=count,
        unmasked=full,
        scope=period,
        persons=sorted(clear) if full else None,
    )
    content = export_table(_("贴息清单") + period, headers, rows())
    return _xlsx(content, f"贴息清单-{period}.xlsx")


@login_required
@require_POST
def claim(request: HttpRequest) -> HttpResponse:
    _staff(request)
    banks = selectors.banks_of(request.user)
    if not banks:
        raise Http404
    total = 0
    try:
        for bank in banks:
            total += len(services.claim_subsidies(bank=bank, actor=request.user))
        messages.success(request, _("已申请 %(n)s 期贴息。") % {"n": total})
    except services.LoanError as exc:
        _fail(request, exc)
    return redirect(f"{reverse('loans:subsidies')}?period={request.POST.get('period', '')}")


@login_required
@require_POST
def pay(request: HttpRequest) -> HttpResponse:
    _staff(request)
    period = request.POST.get("period", "")
    try:
        first, last = subsidy.quarter_bounds(period)
    except ValueError:
        raise Http404 from None
    claims = selectors.claims_visible_to(request.user).filter(
        period_end__gte=first, period_end__lte=last
    )
    try:
        n = services.pay_claims(claims, actor=request.user)
        messages.success(request, _("已确认拨付 %(n)s 期贴息。") % {"n": n})
    except services.LoanError as exc:
        _fail(request, exc)
    return redirect(f"{reverse('loans:subsidies')}?period={period}")


# --- bank import -------------------------------------------------------------------------------


@login_required
@never_cache
def import_view(request: HttpRequest) -> HttpResponse:
    """The bank uploads its disbursement list; every row problem is listed, nothing half-saved."""
    _staff(request)
    banks = selectors.banks_of(request.user)
    if not banks:
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None, banks=banks)
    errors: list[str] = []
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = imports.import_disbursements(
                upload,
                bank=form.cleaned_data["bank"],
                actor=request.user,
                file_name=upload.name,
            )
        except imports.DisbursementImportError as exc:
            errors = exc.errors
        except services.LoanError as exc:
            errors = [str(exc)]
    return render(
        request,
        "loans/import.html",
        {"form": form, "errors": errors, "result": result},
        status=400 if errors else 200,
    )


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    _staff(request)
    if not selectors.banks_of(request.user):
        raise Http404
    return _xlsx(imports.template(), "放款导入模板.xlsx")


# --- policy and LPR ----------------------------------------------------------------------------


def _may_edit_policy(request: HttpRequest) -> bool:
    return access_for(request.user).is_coordinator or bool(roles_for(request.user).hrss)


@login_required
@never_cache
def policy(request: HttpRequest) -> HttpResponse:
    _staff(request)
    today = timezone.localdate()
    policies = list(LoanPolicy.objects.all())
    current = next((p for p in policies if p.effective_from <= today), None)
    return render(
        request,
        "loans/policy.html",
        {
            "policies": policies,
            "current": current,
            "rates": LprRate.objects.all(),
            "lpr_now": subsidy.lpr_on(services.lpr_table(), today)
            if LprRate.objects.exists()
            else None,
            "can_edit": _may_edit_policy(request),
        },
    )


@login_required
@never_cache
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Edit a dated policy, or add a new one (start from the current one's figures)."""
    _staff(request)
    if not _may_edit_policy(request):
        raise Http404
    instance = LoanPolicy.objects.filter(pk=pk).first() if pk else None
    if pk and instance is None:
        raise Http404
    initial = None
    if instance is None:
        latest = LoanPolicy.objects.first()
        if latest is not None:
            initial = PolicyForm(instance=latest).initial
            initial.pop("effective_from", None)
    form = PolicyForm(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.save_policy(form, actor=request.user)
        messages.success(request, _("贷款政策已保存。"))
        return redirect("loans:policy")
    return render(
        request,
        "loans/policy_form.html",
        {"form": form, "instance": instance},
        status=400 if form.errors else 200,
    )


@login_required
@never_cache
def lpr_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _staff(request)
    if not _may_edit_policy(request):
        raise Http404
    instance = LprRate.objects.filter(pk=pk).first() if pk else None
    if pk and instance is None:
        raise Http404
    form = LprForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.save_lpr(form, actor=request.user)
        messages.success(request, _("贷款市场报价利率已保存。"))
        return redirect("loans:policy")
    return render(
        request,
        "loans/lpr_form.html",
        {"form": form, "instance": instance},
        status=400 if form.errors else 200,
    )
