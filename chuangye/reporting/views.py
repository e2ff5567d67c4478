"""Pages of the supervision workflow: report, review, rounds, progress, notifications."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import Role
from chuangye.accounts.models import Department
from chuangye.monitoring import metrics
from chuangye.monitoring.models import Fact
from chuangye.plans import selectors as plan_selectors
from chuangye.plans.models import Plan
from chuangye.reporting import selectors, services
from chuangye.reporting.choices import EDITABLE, ValueStatus
from chuangye.reporting.duties import Duty, duties
from chuangye.reporting.forms import AttachmentForm, ProgressForm, ReasonForm, RoundDatesForm
from chuangye.reporting.models import DataValue, ProgressUpdate, ReportingRound


def _plan(request: HttpRequest) -> Plan:
    return plan_selectors.active_plan_for(request.user)


def _previous(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _pick_round(request: HttpRequest, plan: Plan) -> ReportingRound | None:
    rounds = selectors.rounds_visible_to(request.user).filter(plan=plan)
    wanted = request.GET.get("round") or request.POST.get("round")
    if wanted:
        if not str(wanted).isdigit():
            raise Http404
        return rounds.filter(pk=int(wanted)).first() or _raise404()
    today = timezone.localdate()
    for rnd in rounds.order_by("-year", "-month")[:3]:
        if rnd.is_open(today):
            return rnd
    return rounds.order_by("-year", "-month").first()


def _raise404() -> Any:
    raise Http404


@dataclass
class Row:
    duty: Duty
    value: DataValue | None
    last: Decimal | None
    prefilled: Decimal | None = None
    source_label: str = ""
    error: str = ""
    posted: str | None = None
    posted_note: str | None = None

    @property
    def key(self) -> str:
        return f"{self.duty.indicator.pk}-{self.duty.org_unit.pk}"

    @property
    def editable(self) -> bool:
        return not self.duty.prefilled and (self.value is None or self.value.status in EDITABLE)

    @property
    def saved_value(self) -> str:
        if self.value is not None and self.value.value is not None:
            return f"{self.value.value.normalize():f}" if self.value.value else "0"
        return ""

    @property
    def shown_value(self) -> str:
        return self.posted if self.posted is not None else self.saved_value

    @property
    def shown_note(self) -> str:
        if self.posted_note is not None:
            return self.posted_note
        return self.value.note if self.value else ""


@dataclass
class DepartmentSheet:
    department: Department
    rows: list[Row] = field(default_factory=list)

    @property
    def asked(self) -> int:
        return sum(1 for r in self.rows if not r.duty.prefilled)

    @property
    def filled(self) -> int:
        return sum(1 for r in self.rows if r.value is not None and r.value.value is not None)

    @property
    def errors(self) -> list[Row]:
        return [r for r in self.rows if r.error]


def _sheet(plan: Plan, rnd: ReportingRound, department: Department) -> DepartmentSheet:
    rows = duties(plan, rnd.month, departments={department.pk})
    values = {
        (v.indicator_id, v.org_unit_id): v
        for v in DataValue.objects.filter(
            department=department, year=rnd.year, month=rnd.month, indicator__plan=plan
        ).select_related("updated_by")
    }
    py, pm = _previous(rnd.year, rnd.month)
    last = {
        (v["indicator_id"], v["org_unit_id"]): v["value"]
        for v in DataValue.objects.filter(
            department=department, year=py, month=pm, indicator__plan=plan
        ).values("indicator_id", "org_unit_id", "value")
    }
    registry = {
        (f.indicator_id, f.org_unit_id): f.value
        for f in Fact.objects.filter(
            indicator__in=[d.indicator for d in rows if d.prefilled],
            year=rnd.year,
            month=rnd.month,
        )
    }
    sheet = DepartmentSheet(department)
    for d in rows:
        key = (d.indicator.pk, d.org_unit.pk)
        row = Row(d, values.get(key), last.get(key))
        if d.prefilled:
            metric = metrics.get(d.indicator.source)
            row.prefilled = registry.get(key, Decimal(0))
            row.source_label = metric.label if metric else d.indicator.source
        sheet.rows.append(row)
    return sheet


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """The reporter's monthly sheet: one table per department they report for."""
    plan = _plan(request)
    departments = list(selectors.departments_with_role(request.user, Role.REPORTER))
    if not departments:
        raise Http404
    rnd = _pick_round(request, plan)
    sheets = [_sheet(plan, rnd, d) for d in departments] if rnd else []
    if request.method == "POST" and rnd is not None:
        dept_id = request.POST.get("department", "")
        sheet = next((s for s in sheets if str(s.department.pk) == dept_id), None)
        if sheet is None:
            raise Http404
        if _save_sheet(request, plan, rnd, sheet):
            return redirect(f"{reverse('reporting:report')}?round={rnd.pk}")
    today = timezone.localdate()
    return render(
        request,
        "reporting/report.html",
        {
            "plan": plan,
            "round": rnd,
            "rounds": selectors.rounds_visible_to(request.user).filter(plan=plan)[:24],
            "sheets": sheets,
            "is_open": rnd.is_open(today) if rnd else False,
            "today": today,
        },
        status=400 if any(s.errors for s in sheets) else 200,
    )


def _save_sheet(
    request: HttpRequest, plan: Plan, rnd: ReportingRound, sheet: DepartmentSheet
) -> bool:
    """Save every changed row of the sheet in one transaction; submit if asked. All or nothing."""
    submit = request.POST.get("action") == "submit"
    changed = 0
    try:
        with transaction.atomic():
            for row in sheet.rows:
                if not row.editable:
                    continue
                raw = request.POST.get(f"v-{row.key}")
                note = request.POST.get(f"n-{row.key}", "")
                if raw is None:
                    continue
                row.posted, row.posted_note = raw, note
                if raw.strip() == row.saved_value and note.strip() == (
                    row.value.note if row.value else ""
                ):
                    continue
                if not raw.strip() and row.value is None:
                    continue
                version = request.POST.get(f"ver-{row.key}", "")
                try:
                    row.value = services.save_value(
                        indicator=row.duty.indicator,
                        org_unit=row.duty.org_unit,
                        year=rnd.year,
                        month=rnd.month,
                        value=raw,
                        note=note,
                        actor=request.user,
                        expected_version=int(version) if version.isdigit() else None,
                    )
                    changed += 1
                except services.ReportingError as exc:
                    row.error = str(exc)
            if sheet.errors:
                raise services.ReportingError(_("有数据未通过校验，本次修改均未保存。"))
            if submit:
                services.submit_round(
                    plan, rnd.year, rnd.month, sheet.department, actor=request.user
                )
    except services.ReportingError as exc:
        messages.error(request, str(exc))
        return False
    if submit:
        messages.success(request, _("已提交审核。"))
    else:
        messages.success(request, _("已保存 %(n)s 项。") % {"n": changed})
    return True


@login_required
def review(request: HttpRequest) -> HttpResponse:
    """The approver's queue: approve in bulk, or return one figure with a reason."""
    approver_of = selectors.departments_with_role(request.user, Role.APPROVER)
    if not approver_of.exists():
        raise Http404
    queue = selectors.review_queue(request.user).order_by("year", "month", "indicator__code")
    if request.method == "POST":
        action = request.POST.get("action")
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        rows = list(queue.filter(pk__in=ids))
        if not rows:
            messages.error(request, _("请先选择要处理的数据。"))
        elif action == "approve":
            try:
                with transaction.atomic():
                    for row in rows:
                        services.approve_value(row, actor=request.user)
            except services.ReportingError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("已审核通过 %(n)s 项。") % {"n": len(rows)})
                return redirect("reporting:review")
        elif action == "return":
            reason = request.POST.get("reason", "")
            try:
                with transaction.atomic():
                    for row in rows:
                        services.return_value(row, reason, actor=request.user)
            except services.ReportingError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("已退回 %(n)s 项。") % {"n": len(rows)})
                return redirect("reporting:review")
    return render(
        request,
        "reporting/review.html",
        {"queue": queue, "departments": approver_of},
    )


@login_required
def value_detail(request: HttpRequest, pk: int) -> HttpResponse:
    row = selectors.get_value_for_user(request.user, pk)
    access = access_for(request.user)
    can_attach = row.status in EDITABLE and services.has_role_in(
        request.user, Role.REPORTER, row.department
    )
    return render(
        request,
        "reporting/value_detail.html",
        {
            "row": row,
            "history": selectors.history_of(row),
            "attachments": row.attachments.all(),
            "attach_form": AttachmentForm() if can_attach else None,
            "reopen_form": ReasonForm()
            if access.is_coordinator and row.status in (ValueStatus.APPROVED, ValueStatus.LOCKED)
            else None,
        },
    )


@login_required
@require_POST
def value_attach(request: HttpRequest, pk: int) -> HttpResponse:
    row = selectors.get_value_for_user(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_attachment(row, form.cleaned_data["file"], actor=request.user)
            messages.success(request, _("附件已上传。"))
        except services.ReportingError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, _("请选择文件。"))
    return redirect("reporting:value", pk=row.pk)


@login_required
@require_POST
def value_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    row = selectors.get_value_for_user(request.user, pk)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise services.ReportingError(_("重新开放时必须填写原因"))
        services.reopen_value(row, form.cleaned_data["reason"], actor=request.user)
        messages.success(request, _("已重新开放，填报单位可以修改后重新提交。"))
    except services.ReportingError as exc:
        messages.error(request, str(exc))
    return redirect("reporting:value", pk=row.pk)


@dataclass
class Completeness:
    department: Department
    asked: int = 0
    prefilled: int = 0
    filled: int = 0
    submitted: int = 0
    approved: int = 0
    returned: int = 0

    @property
    def missing(self) -> int:
        return self.asked - self.filled


@login_required
def rounds(request: HttpRequest) -> HttpResponse:
    """Coordinator's view of a round: completeness per unit, reporting burden, deadlines."""
    access = access_for(request.user)
    if not access.city_wide:
        raise Http404
    plan = _plan(request)
    rnd = _pick_round(request, plan)
    rows: dict[int, Completeness] = {}
    if rnd is not None:
        for d in duties(plan, rnd.month):
            c = rows.setdefault(d.department.pk, Completeness(d.department))
            if d.prefilled:
                c.prefilled += 1
            else:
                c.asked += 1
        for v in DataValue.objects.filter(indicator__plan=plan, year=rnd.year, month=rnd.month):
            found = rows.get(v.department_id)
            if found is None or v.value is None:
                continue
            found.filled += 1
            if v.status == ValueStatus.SUBMITTED:
                found.submitted += 1
            elif v.status in (ValueStatus.APPROVED, ValueStatus.LOCKED):
                found.approved += 1
            elif v.status == ValueStatus.RETURNED:
                found.returned += 1
    dates_form = None
    if rnd is not None and access.is_coordinator:
        dates_form = RoundDatesForm(
            request.POST or None,
            initial={"opens_on": rnd.opens_on, "deadline": rnd.deadline, "locks_on": rnd.locks_on},
        )
        if request.method == "POST" and dates_form.is_valid():
            try:
                services.set_round_dates(rnd, actor=request.user, **dates_form.cleaned_data)
                messages.success(request, _("报送时间已调整。"))
                return redirect(f"{reverse('reporting:rounds')}?round={rnd.pk}")
            except services.ReportingError as exc:
                messages.error(request, str(exc))
    table = sorted(
        rows.values(), key=lambda c: (c.department.level, c.department.order, c.department.code)
    )
    return render(
        request,
        "reporting/rounds.html",
        {
            "plan": plan,
            "round": rnd,
            "rounds": selectors.rounds_visible_to(request.user).filter(plan=plan)[:24],
            "table": table,
            "dates_form": dates_form,
            "totals": Completeness(
                Department(name=_("合计")),
                asked=sum(c.asked for c in table),
                prefilled=sum(c.prefilled for c in table),
                filled=sum(c.filled for c in table),
                submitted=sum(c.submitted for c in table),
                approved=sum(c.approved for c in table),
                returned=sum(c.returned for c in table),
            ),
        },
    )


def _quarter_of(day: dt.date) -> tuple[int, int]:
    """The quarter being reported: the last finished one."""
    q = (day.month - 1) // 3
    return (day.year - 1, 4) if q == 0 else (day.year, q)


@login_required
def progress(request: HttpRequest) -> HttpResponse:
    """Quarterly 工作进展 of the measures the user's departments lead or cooperate on."""
    plan = _plan(request)
    reporter_of = list(selectors.departments_with_role(request.user, Role.REPORTER))
    approver_of = list(selectors.departments_with_role(request.user, Role.APPROVER))
    if not (reporter_of or approver_of or access_for(request.user).city_wide):
        raise Http404
    year, quarter = _quarter_of(timezone.localdate())
    if request.GET.get("q", "").count("Q") == 1:
        y, q = request.GET["q"].split("Q")
        if y.isdigit() and q in {"1", "2", "3", "4"}:
            year, quarter = int(y), int(q)
    updates = selectors.progress_visible_to(request.user).filter(
        measure__plan=plan, year=year, quarter=quarter
    )
    by_key = {(u.measure_id, u.department_id): u for u in updates}
    tasks = []
    for dept in reporter_of:
        lookup = dept.counterpart or dept
        for r in lookup.responsibilities.filter(measure__plan=plan).select_related("measure"):
            tasks.append((dept, r, by_key.get((r.measure_id, dept.pk))))
    return render(
        request,
        "reporting/progress.html",
        {
            "plan": plan,
            "year": year,
            "quarter": quarter,
            "tasks": tasks,
            "to_review": [
                u for u in updates if u.department in approver_of and u.status == "submitted"
            ],
            "all_updates": updates if access_for(request.user).city_wide else None,
        },
    )


@login_required
def progress_edit(request: HttpRequest, measure: int, department: str) -> HttpResponse:
    plan = _plan(request)
    dept = next(
        (
            d
            for d in selectors.departments_with_role(request.user, Role.REPORTER)
            if d.code == department
        ),
        None,
    )
    if dept is None:
        raise Http404
    m = plan_selectors.measures_of(plan).filter(pk=measure).first()
    if m is None:
        raise Http404
    year, quarter = _quarter_of(timezone.localdate())
    row = ProgressUpdate.objects.filter(
        measure=m, department=dept, year=year, quarter=quarter
    ).first()
    initial: dict[str, Any] = {}
    if row is not None:
        initial = {
            "narrative": row.narrative,
            "measure_status": row.measure_status,
            "cause": row.cause,
            "remedy": row.remedy,
            "remedy_due": row.remedy_due,
            "version": row.version,
        }
    form = ProgressForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                row = services.save_progress(
                    measure=m,
                    department=dept,
                    year=year,
                    quarter=quarter,
                    narrative=data["narrative"],
                    measure_status=data["measure_status"],
                    cause=data["cause"],
                    remedy=data["remedy"],
                    remedy_due=data["remedy_due"],
                    actor=request.user,
                    expected_version=data["version"],
                )
                if request.POST.get("action") == "submit":
                    services.submit_progress(row, actor=request.user)
        except services.ReportingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("工作进展已保存。"))
            return redirect("reporting:progress")
    return render(
        request,
        "reporting/progress_edit.html",
        {
            "measure": m,
            "department": dept,
            "form": form,
            "row": row,
            "year": year,
            "quarter": quarter,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def progress_review(request: HttpRequest, pk: int) -> HttpResponse:
    row = selectors.get_progress_for_user(request.user, pk)
    approve = request.POST.get("action") == "approve"
    try:
        services.review_progress(
            row, approve=approve, reason=request.POST.get("reason", ""), actor=request.user
        )
        messages.success(request, _("已审核通过。") if approve else _("已退回。"))
    except services.ReportingError as exc:
        messages.error(request, str(exc))
    return redirect("reporting:progress")


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = selectors.notifications_of(request.user)
    if request.method == "POST":
        services.mark_notifications_read(request.user)
        return redirect("reporting:notifications")
    return render(request, "reporting/notifications.html", {"items": items[:100]})


# --- Excel: template, upload, exports ------------------------------------------------------------


def _excel_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response


def _reporting_department(request: HttpRequest, code: str) -> Department:
    dept = selectors.reporting_department(request.user, code)
    if dept is None:
        raise Http404
    return dept


@login_required
def excel_template(request: HttpRequest) -> HttpResponse:
    from chuangye.reporting.excel import build_template

    plan = _plan(request)
    rnd = _pick_round(request, plan)
    if rnd is None:
        raise Http404
    dept = _reporting_department(request, request.GET.get("department", ""))
    content = build_template(plan, rnd.year, rnd.month, dept)
    return _excel_response(content, f"{dept.name}-{rnd.year}年{rnd.month}月-填报模板.xlsx")


@login_required
@require_POST
def excel_upload(request: HttpRequest) -> HttpResponse:
    from chuangye.reporting.excel import ExcelImportError, import_workbook

    plan = _plan(request)
    rnd = _pick_round(request, plan)
    if rnd is None:
        raise Http404
    dept = _reporting_department(request, request.POST.get("department", ""))
    upload = request.FILES.get("file")
    target = f"{reverse('reporting:report')}?round={rnd.pk}"
    if upload is None:
        messages.error(request, _("请选择要上传的 Excel 文件。"))
        return redirect(target)
    try:
        result = import_workbook(upload, plan, rnd.year, rnd.month, dept, actor=request.user)
    except ExcelImportError as exc:
        messages.error(request, _("导入失败，未保存任何数据：") + "；".join(exc.errors[:50]))
    else:
        messages.success(
            request,
            _("导入成功：保存 %(saved)s 项，未变化 %(unchanged)s 项，空白 %(skipped)s 项。")
            % {"saved": result.saved, "unchanged": result.unchanged, "skipped": result.skipped},
        )
    return redirect(target)


@login_required
def rounds_export(request: HttpRequest) -> HttpResponse:
    """The values of a round visible to the user, as Excel."""
    from chuangye.reporting.excel import export_round

    plan = _plan(request)
    rnd = _pick_round(request, plan)
    if rnd is None:
        raise Http404
    values = selectors.round_values(request.user, rnd).filter(indicator__plan=plan)
    content = export_round(values.iterator(), rnd.label)
    return _excel_response(content, f"{rnd.label}填报数据.xlsx")
