"""Pages of 通报, 督办单 and 考核. Reads go through selectors, writes through services."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuangye.accounts.access import access_for
from chuangye.accounts.models import OrgUnit
from chuangye.documents import assessment as scoring_data
from chuangye.documents import selectors, services
from chuangye.documents.bulletin import document_for
from chuangye.documents.choices import OPEN_NOTICE_STATUSES, DocFormat, NoticeStatus, PointsMode
from chuangye.documents.errors import DocumentError
from chuangye.documents.forms import (
    BulletinCreateForm,
    BulletinEditForm,
    NoticeForm,
    ReplyForm,
    ResolutionForm,
    SchemeForm,
    SelfAssessmentForm,
)
from chuangye.documents.models import Bulletin, SupervisionNotice
from chuangye.documents.render import CONTENT_TYPES, bulletin_filename, render_bulletin
from chuangye.documents.render.outline import (
    fmt_pct,
    fmt_value,
    masthead,
    outline,
    title_lines,
)
from chuangye.monitoring.progress import cutoff_month, progress_for
from chuangye.plans import selectors as plan_selectors
from chuangye.plans.models import Plan
from chuangye.reporting.calendar import WorkCalendar
from chuangye.reporting.choices import MeasureStatus

#: Working days a department gets to act on a notice, unless the coordinator sets otherwise.
NOTICE_WORKDAYS = 10
DEFAULT_ACTION = (
    "请主办单位会同配合单位分析滞后原因，制定针对性整改措施，明确责任人和完成时限，"
    "加快推进，并于办理时限前通过平台反馈办理情况。"
)


def _plan(request: HttpRequest) -> Plan:
    if not access_for(request.user).plan_member:
        raise Http404
    return plan_selectors.active_plan_for(request.user)


def _require_coordinator(request: HttpRequest) -> None:
    if not access_for(request.user).is_coordinator:
        raise Http404


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --- overview ---------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    plan = _plan(request)
    access = access_for(request.user)
    notices = selectors.notices_visible_to(request.user).filter(
        plan=plan, status__in=OPEN_NOTICE_STATUSES
    )
    return render(
        request,
        "documents/index.html",
        {
            "plan": plan,
            "bulletins": selectors.bulletins_visible_to(request.user).filter(plan=plan)[:6],
            "notices": notices.order_by("deadline")[:10],
            "open_count": notices.count(),
            "overdue_count": notices.filter(deadline__lt=timezone.localdate()).count(),
            "is_coordinator": access.is_coordinator,
            "today": timezone.localdate(),
        },
    )


# --- bulletins --------------------------------------------------------------------------------


def _default_period() -> str:
    year, month = cutoff_month(timezone.localdate())
    return f"{year}-{month:02d}"


@login_required
def bulletins(request: HttpRequest) -> HttpResponse:
    """Bulletins visible to the user; the coordinator drafts new ones here."""
    plan = _plan(request)
    access = access_for(request.user)
    form = None
    if access.is_coordinator:
        city = OrgUnit.objects.filter(parent__isnull=True).first()
        form = BulletinCreateForm(
            request.POST or None,
            first_year=plan.period_start,
            last_year=plan.period_end,
            initial={
                "period": _default_period(),
                "org_unit": city.code if city else None,
                "dated": timezone.localdate(),
            },
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                row = services.create_bulletin(
                    plan,
                    period=data["period"],
                    org_unit=data["org_unit"],
                    number=data["number"],
                    dated=data["dated"],
                    actor=request.user,
                )
            except DocumentError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已根据数据起草通报，请核对后印发。"))
                return redirect("documents:bulletin", row.pk)
    elif request.method == "POST":
        raise Http404
    rows = selectors.bulletins_visible_to(request.user).filter(plan=plan)
    return render(
        request,
        "documents/bulletin_list.html",
        {"plan": plan, "rows": rows, "form": form},
    )


def _bulletin_page(
    request: HttpRequest, row: Bulletin, edit_form: BulletinEditForm | None = None
) -> HttpResponse:
    doc = document_for(row)
    can_edit = access_for(request.user).is_coordinator and not row.is_issued
    if can_edit and edit_form is None:
        edit_form = BulletinEditForm(
            initial={
                "title": row.title,
                "number": row.number,
                "dated": row.dated,
                "summary": row.summary,
            }
        )
    return render(
        request,
        "documents/bulletin_detail.html",
        {
            "row": row,
            "doc": doc,
            "head": masthead(doc),
            "title": title_lines(doc["title"]),
            "blocks": outline(doc),
            "edit_form": edit_form if can_edit else None,
            "formats": DocFormat.choices,
            "summary_edited": row.summary.strip()
            != (row.snapshot.get("auto_summary") or "").strip(),
        },
    )


@login_required
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Preview: the bulletin as it will read, from its snapshot."""
    _plan(request)
    return _bulletin_page(request, selectors.get_bulletin_for_user(request.user, pk))


@login_required
@require_POST
def bulletin_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _plan(request)
    _require_coordinator(request)
    row = selectors.get_bulletin_for_user(request.user, pk)
    form = BulletinEditForm(request.POST)
    if form.is_valid():
        try:
            services.update_bulletin(row, actor=request.user, **form.cleaned_data)
        except DocumentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已保存。"))
            return redirect("documents:bulletin", row.pk)
    return _bulletin_page(request, row, form)


@login_required
@require_POST
def bulletin_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Refresh a draft's figures, issue it, or discard it."""
    _plan(request)
    _require_coordinator(request)
    row = selectors.get_bulletin_for_user(request.user, pk)
    try:
        if action == "refresh":
            services.refresh_bulletin(row, actor=request.user)
            messages.success(request, _("已按最新数据更新通报。"))
        elif action == "issue":
            services.issue_bulletin(row, actor=request.user)
            messages.success(request, _("通报已印发，内容已冻结。"))
        elif action == "discard":
            services.discard_bulletin(row, actor=request.user)
            messages.success(request, _("已删除通报草稿。"))
            return redirect("documents:bulletins")
        else:
            raise Http404
    except DocumentError as exc:
        messages.error(request, str(exc))
    return redirect("documents:bulletin", row.pk)


@login_required
def bulletin_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """An issued bulletin's stored file; a draft's made now and marked as a draft."""
    _plan(request)
    if fmt not in DocFormat.values:
        raise Http404
    row = selectors.get_bulletin_for_user(request.user, pk)
    doc = document_for(row)
    stored = getattr(row, f"{fmt}_file")
    if row.is_issued and stored:
        try:
            with stored.open("rb") as handle:
                content = handle.read()
        except FileNotFoundError:
            content = None
        if content is not None:
            return _attachment(content, CONTENT_TYPES[fmt], bulletin_filename(doc, fmt))
    try:
        # An issued bulletin whose file went missing is rebuilt from its frozen snapshot.
        content = render_bulletin(doc, fmt)
    except DocumentError as exc:
        messages.error(request, str(exc))
        return redirect("documents:bulletin", row.pk)
    return _attachment(content, CONTENT_TYPES[fmt], bulletin_filename(doc, fmt))


@login_required
def bulletin_chart(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """A chart of the preview, drawn from the snapshot."""
    from chuangye.documents.render import charts

    _plan(request)
    if name not in ("trend", "ranking"):
        raise Http404
    row = selectors.get_bulletin_for_user(request.user, pk)
    try:
        image = charts.render(document_for(row), name)
    except DocumentError:
        image = None
    if image is None:
        raise Http404
    response = HttpResponse(image.png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- supervision notices ----------------------------------------------------------------------


def _candidates(plan: Plan, today: dt.date) -> dict[str, Any]:
    """Red targets (city and districts) and lagging measures, each with a prefilled link."""
    found = selectors.notice_candidates(plan, today)
    return {
        "targets": [
            (r, urlencode({"target": r.target.pk, "unit": r.org_unit.code}), number)
            for r, number in found.targets
        ],
        "measures": [
            (u, urlencode({"measure": u.measure_id}), number) for u, number in found.measures
        ],
    }


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    plan = _plan(request)
    access = access_for(request.user)
    rows: QuerySet[SupervisionNotice] = selectors.notices_visible_to(request.user).filter(plan=plan)
    status = request.GET.get("status", "pending")
    if status == "pending":
        rows = rows.filter(status__in=OPEN_NOTICE_STATUSES)
    elif status in NoticeStatus.values:
        rows = rows.filter(status=status)
    else:
        status = "all"
    return render(
        request,
        "documents/notice_list.html",
        {
            "plan": plan,
            "rows": rows.order_by("deadline", "pk"),
            "status": status,
            "statuses": [("pending", _("未办结")), *NoticeStatus.choices, ("all", _("全部"))],
            "today": timezone.localdate(),
            "candidates": _candidates(plan, timezone.localdate())
            if access.is_coordinator
            else None,
            "my_departments": access.department_ids,
        },
    )


def _prefill(request: HttpRequest, plan: Plan, today: dt.date) -> dict[str, Any]:
    """Initial notice fields from ``?target=&unit=`` or ``?measure=``."""
    initial: dict[str, Any] = {
        "deadline": WorkCalendar().add_workdays(today, NOTICE_WORKDAYS),
        "action": DEFAULT_ACTION,
    }
    target_id, unit_code, measure_id = (
        request.GET.get("target", ""),
        request.GET.get("unit", ""),
        request.GET.get("measure", ""),
    )
    if target_id.isdigit():
        target = (
            plan.targets.select_related("indicator", "plan", "measure")
            .filter(pk=int(target_id))
            .first()
        )
        if target is None:
            raise Http404
        unit = (
            OrgUnit.objects.filter(code=unit_code).first()
            if unit_code
            else OrgUnit.objects.filter(parent__isnull=True).first()
        )
        if unit is None:
            raise Http404
        to = selectors.addressees_for_target(plan, target, unit)
        rows = progress_for(plan, [unit], today, targets=[target])
        scope = "全市" if unit.parent_id is None else unit.name
        initial.update(
            target=target.pk,
            org_unit=unit.code,
            subject=f"{scope}{target.subject}滞后于序时进度",
            lead_department=to.lead,
            cc_departments=to.cc,
        )
        if rows and rows[0].actual is not None:
            r = rows[0]
            year, month = cutoff_month(today)
            initial["issue"] = (
                f"截至{year}年{month}月底，{scope}{target.subject}累计完成"
                f"{fmt_value(r.actual, target.unit)}，目标{target.display_value}，"
                f"完成率{fmt_pct(r.completion)}，序时进度{fmt_pct(r.time_elapsed)}，"
                f"状态为“{r.status_label}”。"
            )
        else:
            initial["issue"] = f"{scope}{target.subject}暂无已审核数据，无法判断进度。"
    elif measure_id.isdigit():
        measure = plan_selectors.measures_of(plan).filter(pk=int(measure_id)).first()
        if measure is None:
            raise Http404
        to = selectors.addressees_for_measure(measure)
        lagging = [u for u in selectors.lagging_updates(plan, today) if u.measure_id == measure.pk]
        lines = []
        for u in lagging:
            line = (
                f"{u.department.name}报告{u.year}年第{u.quarter}季度进展为"
                f"“{MeasureStatus(u.measure_status).label}”"
            )
            if u.cause:
                line += f"，原因：{u.cause}"
            if u.remedy_due:
                overdue = "，已逾期" if u.remedy_due < today else ""
                line += f"；整改完成时限 {u.remedy_due}{overdue}"
            lines.append(line + "。")
        initial.update(
            measure=measure.pk,
            subject=f"措施“{measure.printed}{measure.title}”推进滞后",
            lead_department=to.lead,
            cc_departments=to.cc,
            issue="\n".join(lines) or f"措施“{measure.title}”推进滞后。",
        )
    return initial


@login_required
def notice_new(request: HttpRequest) -> HttpResponse:
    """The coordinator issues a notice, prefilled from a red target or a lagging measure."""
    plan = _plan(request)
    _require_coordinator(request)
    today = timezone.localdate()
    if request.method == "POST":
        form = NoticeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            measure = None
            if data["measure"]:
                measure = plan_selectors.measures_of(plan).filter(pk=data["measure"]).first()
                if measure is None:
                    raise Http404
            try:
                notice = services.create_notice(
                    plan,
                    actor=request.user,
                    lead_department=data["lead_department"],
                    cc_departments=data["cc_departments"],
                    subject=data["subject"],
                    issue=data["issue"],
                    action=data["action"],
                    deadline=data["deadline"],
                    target=data["target"],
                    org_unit=data["org_unit"],
                    measure=measure,
                    today=today,
                )
            except DocumentError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("督办单已交办，并已通知主办和配合单位。"))
                return redirect("documents:notice", notice.pk)
    else:
        form = NoticeForm(initial=_prefill(request, plan, today))
    return render(request, "documents/notice_form.html", {"plan": plan, "form": form})


@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _plan(request)
    notice = selectors.get_notice_for_user(request.user, pk)
    coordinator = access_for(request.user).is_coordinator
    open_ = notice.status != NoticeStatus.CLOSED
    return render(
        request,
        "documents/notice_detail.html",
        {
            "notice": notice,
            "cc": list(notice.cc_departments.all()),
            "reply_form": ReplyForm(initial={"reply": notice.reply})
            if open_ and selectors.can_reply(request.user, notice)
            else None,
            "close_form": ResolutionForm(prefix="close") if coordinator and open_ else None,
            "escalate_form": ResolutionForm(prefix="escalate")
            if coordinator and notice.status in (NoticeStatus.OPEN, NoticeStatus.REPLIED)
            else None,
            "history": selectors.history_of(notice),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def notice_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Reply (lead department), close or escalate (coordinator)."""
    _plan(request)
    notice = selectors.get_notice_for_user(request.user, pk)
    try:
        if action == "reply":
            reply = ReplyForm(request.POST)
            if not reply.is_valid():
                raise DocumentError(_("请填写办理情况"))
            services.reply_notice(notice, actor=request.user, reply=reply.cleaned_data["reply"])
            messages.success(request, _("已反馈办理情况。"))
        elif action in ("close", "escalate"):
            _require_coordinator(request)
            form = ResolutionForm(request.POST, prefix=action)
            if not form.is_valid():
                raise DocumentError(_("请检查填写的内容"))
            note, deadline = form.cleaned_data["note"], form.cleaned_data["deadline"]
            if action == "close":
                services.close_notice(notice, actor=request.user, note=note)
                messages.success(request, _("督办单已办结。"))
            else:
                services.escalate_notice(notice, actor=request.user, note=note, deadline=deadline)
                messages.success(request, _("已升级督办。"))
        else:
            raise Http404
    except DocumentError as exc:
        messages.error(request, str(exc))
    return redirect("documents:notice", notice.pk)


@login_required
def notice_docx(request: HttpRequest, pk: int) -> HttpResponse:
    from chuangye.documents.render.notice import notice_document, notice_filename
    from chuangye.documents.render.word import notice_docx as render_notice

    _plan(request)
    notice = selectors.get_notice_for_user(request.user, pk)
    return _attachment(
        render_notice(notice_document(notice)), CONTENT_TYPES["docx"], notice_filename(notice)
    )


# --- assessment -------------------------------------------------------------------------------


def _year(request: HttpRequest, plan: Plan) -> int:
    raw = request.GET.get("year") or request.POST.get("year") or ""
    if raw.isdigit() and plan.period_start <= int(raw) <= plan.period_end:
        return int(raw)
    if raw:
        raise Http404
    return min(max(timezone.localdate().year, plan.period_start), plan.period_end)


@login_required
def assessment(request: HttpRequest) -> HttpResponse:
    """Scores with their working; each unit sees its own, city-wide roles see all."""
    plan = _plan(request)
    access = access_for(request.user)
    year = _year(request, plan)
    result = scoring_data.compute(plan, year)
    subjects = selectors.self_assessment_subjects(request.user)
    if request.GET.get("format") == "xlsx":
        if not access.city_wide:
            raise Http404
        return _attachment(
            scoring_data.export(result), CONTENT_TYPES["xlsx"], f"{year}年度考核得分.xlsx"
        )
    if access.city_wide:
        district_rows, department_rows = result.districts, result.departments
    else:
        own = {s.key for s in subjects}
        district_rows = [s for s in result.districts if s.key in own]
        department_rows = [s for s in result.departments if s.key in own]
    self_form = None
    if subjects:
        self_form = SelfAssessmentForm(subjects=[(s.key, s.name) for s in subjects])
    return render(
        request,
        "documents/assessment.html",
        {
            "plan": plan,
            "year": year,
            "years": range(plan.period_start, plan.period_end + 1),
            "result": result,
            "district_rows": district_rows,
            "department_rows": department_rows,
            "self_form": self_form,
            "can_edit_scheme": access.is_coordinator,
            "can_export": access.city_wide,
            "mode_label": PointsMode(result.scheme.mode).label,
        },
    )


@login_required
@require_POST
def assessment_self(request: HttpRequest) -> HttpResponse:
    plan = _plan(request)
    year = _year(request, plan)
    subjects = selectors.self_assessment_subjects(request.user)
    if not subjects:
        raise Http404
    form = SelfAssessmentForm(request.POST, subjects=[(s.key, s.name) for s in subjects])
    if form.is_valid():
        try:
            services.save_self_assessment(
                plan,
                year,
                actor=request.user,
                subject_key=form.cleaned_data["subject"],
                score=form.cleaned_data["score"],
                note=form.cleaned_data["note"],
            )
        except DocumentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已保存自评。"))
    else:
        messages.error(request, _("自评得分应为 0 至 100 之间的数"))
    return redirect(f"{reverse('documents:assessment')}?year={year}")


@login_required
def scheme(request: HttpRequest) -> HttpResponse:
    """The coordinator sets the year's weights, points mapping, split and timeliness weight."""
    plan = _plan(request)
    _require_coordinator(request)
    year = _year(request, plan)
    current = scoring_data.scheme_for(plan, year)
    targets = list(plan.targets.order_by("order"))
    initial: dict[str, Any] = {
        "mode": current.mode,
        "cap": current.cap,
        "bands": "\n".join(f"{a:g} {b:g}" for a, b in current.bands or []),
        "lead_share": current.lead_share,
        "timeliness_weight": current.timeliness_weight,
        "flag_gap": current.flag_gap,
    }
    for t in targets:
        initial[f"w_{t.pk}"] = scoring_data.weight_of(current, t)
    form = SchemeForm(request.POST or None, targets=targets, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_scheme(
                plan,
                year,
                actor=request.user,
                weights=form.weights(),
                mode=data["mode"],
                cap=data["cap"],
                bands=data["bands"],
                lead_share=data["lead_share"],
                timeliness_weight=data["timeliness_weight"],
                flag_gap=data["flag_gap"],
            )
        except DocumentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("考核方案已保存。"))
            return redirect(f"{reverse('documents:assessment')}?year={year}")
    return render(
        request,
        "documents/scheme_form.html",
        {
            "plan": plan,
            "year": year,
            "years": range(plan.period_start, plan.period_end + 1),
            "form": form,
            "saved": current.pk is not None,
        },
    )
