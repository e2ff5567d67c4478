"""Plan pages: the plan, a measure, a department's part, a district's page."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import Role
from chuangye.accounts.models import Membership
from chuangye.accounts.selectors import (
    departments_visible_to,
    districts_visible_to,
    get_department_for_user,
    get_org_unit_for_user,
)
from chuangye.plans import selectors, services
from chuangye.plans.choices import ResponsibilityRole
from chuangye.plans.contract import PlanContractError
from chuangye.plans.diff import diff_plans
from chuangye.plans.forms import DraftJsonForm, ImportForm, UploadForm
from chuangye.plans.models import Plan, PlanDraft
from chuangye.plans.parsing import PlanParseError
from chuangye.plans.review import highlight, unknown_departments


def _require_plan_member(request: HttpRequest) -> None:
    if not access_for(request.user).plan_member:
        raise Http404


@login_required
def plan_detail(request: HttpRequest) -> HttpResponse:
    plan = selectors.active_plan_for(request.user)
    sections = selectors.sections_with_measures(plan)
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "sections": sections,
            "preamble_targets": selectors.preamble_targets(plan),
            "measure_count": sum(len(ms) for _, ms in sections),
            "target_count": plan.targets.count(),
        },
    )


@login_required
def measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    measure = selectors.get_measure_for_user(request.user, pk)
    return render(request, "plans/measure_detail.html", {"measure": measure})


@login_required
def department_list(request: HttpRequest) -> HttpResponse:
    _require_plan_member(request)
    departments = departments_visible_to(request.user).filter(level="city")
    plan = selectors.plans_visible_to(request.user).filter(is_active=True).first()
    counts = selectors.responsibility_counts(plan) if plan else {}
    rows = [(d, counts.get(d.pk, {})) for d in departments]
    unmatched = selectors.unmatched_responsibilities(plan) if plan else []
    return render(
        request,
        "plans/department_list.html",
        {"rows": rows, "plan": plan, "unmatched": unmatched},
    )


@login_required
def department_detail(request: HttpRequest, code: str) -> HttpResponse:
    _require_plan_member(request)
    department = get_department_for_user(request.user, code)
    plan = selectors.active_plan_for(request.user)
    lookup = department.counterpart or department
    grouped = selectors.responsibilities_of(plan, lookup)
    roles = [
        (ResponsibilityRole.LEAD.label, grouped.get(ResponsibilityRole.LEAD, [])),
        (ResponsibilityRole.JOINT.label, grouped.get(ResponsibilityRole.JOINT, [])),
        (ResponsibilityRole.COOPERATING.label, grouped.get(ResponsibilityRole.COOPERATING, [])),
    ]
    return render(
        request,
        "plans/department_detail.html",
        {
            "department": department,
            "lookup": lookup,
            "plan": plan,
            "roles": roles,
            "counterparts": department.district_counterparts.select_related("org_unit"),
        },
    )


@login_required
def district_list(request: HttpRequest) -> HttpResponse:
    _require_plan_member(request)
    return render(
        request, "plans/district_list.html", {"districts": districts_visible_to(request.user)}
    )


@login_required
def district_detail(request: HttpRequest, code: str) -> HttpResponse:
    _require_plan_member(request)
    unit = get_org_unit_for_user(request.user, code)
    if not unit.is_district:
        raise Http404
    plan = selectors.active_plan_for(request.user)
    staff = (
        Membership.objects.filter(active=True, department__org_unit=unit)
        .filter(role__in=[Role.REPORTER, Role.APPROVER])
        .select_related("user", "department")
        .order_by("department__order", "role", "user__username")
    )
    return render(
        request,
        "plans/district_detail.html",
        {
            "unit": unit,
            "plan": plan,
            "bureaus": unit.departments.select_related("counterpart"),
            "staff": staff[:50],
            "staff_total": staff.count(),
            "targets": plan.targets.select_related("measure").order_by("order"),
            "share": 100 * (unit.population or 0) / unit.parent.population
            if unit.parent and unit.parent.population
            else None,
        },
    )


# --- upload → review → import (coordinator) ---------------------------------------------------


def _require_coordinator(request: HttpRequest) -> None:
    if not access_for(request.user).is_coordinator:
        raise Http404


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["document"]
        try:
            draft = services.draft_from_upload(f, actor=request.user)
        except (PlanParseError, ValueError) as exc:
            form.add_error("document", str(exc))
        else:
            messages.success(request, _("文件已解析，请逐项核对后导入。"))
            return redirect("plans:draft", pk=draft.pk)
    drafts = selectors.drafts_visible_to(request.user)[:20]
    return render(request, "plans/upload.html", {"form": form, "drafts": drafts})


@login_required
def draft_detail(request: HttpRequest, pk: int) -> HttpResponse:
    draft = selectors.get_draft_for_user(request.user, pk)
    json_form = DraftJsonForm(
        initial={"plan_json": json.dumps(draft.data, ensure_ascii=False, indent=2)}
    )
    plans = selectors.plans_visible_to(request.user)
    import_form = ImportForm(plans=plans, initial={"supersedes": _likely_predecessor(draft, plans)})
    return _render_draft(request, draft, json_form, import_form)


def _likely_predecessor(draft: PlanDraft, plans: Any) -> Plan | None:
    return selectors.likely_predecessor(draft, plans)


def _render_draft(
    request: HttpRequest, draft: PlanDraft, json_form: DraftJsonForm, import_form: ImportForm
) -> HttpResponse:
    compare_id = request.GET.get("compare") or (
        import_form["supersedes"].value() if import_form.is_bound else None
    )
    predecessor = None
    plans = selectors.plans_visible_to(request.user)
    if compare_id and str(compare_id).isdigit():
        predecessor = plans.filter(pk=int(compare_id)).first()
    if predecessor is None:
        predecessor = _likely_predecessor(draft, plans)
    diff = diff_plans(selectors.plan_as_json(predecessor), draft.data) if predecessor else None
    return render(
        request,
        "plans/draft_detail.html",
        {
            "draft": draft,
            "data": draft.data,
            "segments": highlight(draft.source_text, draft.data),
            "unknown": unknown_departments(draft.data),
            "json_form": json_form,
            "import_form": import_form,
            "predecessor": predecessor,
            "diff": diff,
        },
        status=400 if (json_form.errors or import_form.errors) else 200,
    )


@login_required
@require_POST
def draft_edit(request: HttpRequest, pk: int) -> HttpResponse:
    draft = selectors.get_draft_for_user(request.user, pk)
    json_form = DraftJsonForm(request.POST)
    import_form = ImportForm(plans=selectors.plans_visible_to(request.user))
    if json_form.is_valid():
        try:
            services.update_draft(draft, json_form.cleaned_data["plan_json"], actor=request.user)
        except ValueError as exc:
            json_form.add_error(None, str(exc))
        else:
            messages.success(request, _("修改已保存。"))
            return redirect("plans:draft", pk=draft.pk)
    return _render_draft(request, draft, json_form, import_form)


@login_required
@require_POST
def draft_import(request: HttpRequest, pk: int) -> HttpResponse:
    draft = selectors.get_draft_for_user(request.user, pk)
    import_form = ImportForm(request.POST, plans=selectors.plans_visible_to(request.user))
    json_form = DraftJsonForm(
        initial={"plan_json": json.dumps(draft.data, ensure_ascii=False, indent=2)}
    )
    if import_form.is_valid():
        try:
            plan = services.import_draft(
                draft,
                actor=request.user,
                supersedes=import_form.cleaned_data["supersedes"],
                activate=import_form.cleaned_data["activate"],
            )
        except (ValueError, PlanContractError) as exc:
            import_form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("已导入《%(title)s》第 %(v)s 版。") % {"title": plan.title, "v": plan.version},
            )
            return redirect("plans:plan")
    return _render_draft(request, draft, json_form, import_form)


@login_required
@require_POST
def draft_discard(request: HttpRequest, pk: int) -> HttpResponse:
    draft = selectors.get_draft_for_user(request.user, pk)
    try:
        services.discard_draft(draft, actor=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("plans:upload")


# --- allocation of targets to districts and years -----------------------------------------------


@login_required
def allocation(request: HttpRequest) -> HttpResponse:
    """The ledger: city target = Σ district quotas + reserve; the coordinator edits drafts."""
    from chuangye.plans.allocation import ledger, plan_years
    from chuangye.plans.models import AllocationLine

    _require_plan_member(request)
    access = access_for(request.user)
    plan = selectors.active_plan_for(request.user)
    versions = list(plan.allocations.order_by("-number"))
    wanted = request.GET.get("version") or request.POST.get("version")
    version = None
    if wanted and str(wanted).isdigit():
        version = next((v for v in versions if v.pk == int(wanted)), None)
        if version is None:
            raise Http404
    version = version or next(
        (v for v in versions if v.status == "draft" and access.is_coordinator), None
    )
    version = version or next((v for v in versions if v.status == "active"), None)
    if request.method == "POST":
        if not access.is_coordinator:
            raise Http404
        response = _allocation_post(request, plan, version)
        if response is not None:
            return response
    all_districts = list(districts_visible_to(request.user).order_by("order", "code"))
    if access.city_wide:
        districts = all_districts
    else:
        districts = [d for d in all_districts if d.pk in access.org_unit_ids]
    rows = ledger(version, all_districts) if version else []
    lines: dict[tuple[int, int | None, int], Any] = {}
    if version:
        for line in AllocationLine.objects.filter(version=version):
            lines[(line.target_id, line.org_unit_id, line.year)] = line.quota
    years = plan_years(plan)
    table = []
    for row in rows:
        row_years = [row.year] if row.year else years
        cells = [
            (
                y,
                [(d, lines.get((row.target.pk, d.pk, y), 0)) for d in districts],
                lines.get((row.target.pk, None, y), 0),
            )
            for y in row_years
        ]
        table.append((row, cells))
    return render(
        request,
        "plans/allocation.html",
        {
            "plan": plan,
            "version": version,
            "versions": versions,
            "districts": districts,
            "table": table,
            "editable": bool(version and version.status == "draft" and access.is_coordinator),
            "show_reserve": access.city_wide,
            "unbalanced": sum(1 for r in rows if not r.balanced),
        },
    )


def _allocation_post(request: HttpRequest, plan: Plan, version: Any) -> HttpResponse | None:
    from decimal import Decimal, InvalidOperation

    from chuangye.accounts.models import OrgUnit

    action = request.POST.get("action")
    try:
        if action == "propose":
            new = services.propose_allocation(
                plan, actor=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已创建分解草稿第 %(n)s 版。") % {"n": new.number})
            return redirect(f"{reverse('plans:allocation')}?version={new.pk}")
        if version is None:
            raise Http404
        if action == "save":
            units = {str(u.pk): u for u in OrgUnit.objects.all()}
            targets = {str(t.pk): t for t in plan.targets.select_related("indicator")}
            changed = 0
            with transaction.atomic():
                for key in request.POST:
                    if not key.startswith("q-"):
                        continue
                    raw = request.POST.get(key, "")
                    parts = key.split("-")
                    if len(parts) != 4:
                        raise services.AllocationError([_("提交的数据有误，请刷新后重试")])
                    target_id, unit_id, year = parts[1:]
                    target = targets.get(target_id)
                    if target is None or not year.isdigit():
                        raise services.AllocationError([_("提交的数据有误，请刷新后重试")])
                    try:
                        quota = Decimal(raw.strip() or "0")
                    except InvalidOperation:
                        raise services.AllocationError(
                            [_("“%(v)s”不是数字（%(t)s）") % {"v": raw, "t": target.subject}]
                        ) from None
                    unit = None if unit_id == "R" else units.get(unit_id)
                    current = version.lines.filter(
                        target=target, org_unit=unit, year=int(year)
                    ).first()
                    if current is not None and current.quota == quota:
                        continue
                    services.set_quota(
                        version, target, int(year), quota, actor=request.user, org_unit=unit
                    )
                    changed += 1
            messages.success(request, _("已保存 %(n)s 处修改。") % {"n": changed})
        elif action == "activate":
            services.activate_allocation(version, actor=request.user)
            messages.success(request, _("分解第 %(n)s 版已启用。") % {"n": version.number})
        elif action == "discard":
            services.discard_allocation(version, actor=request.user)
            messages.success(request, _("草稿已删除。"))
            return redirect("plans:allocation")
        else:
            raise Http404
    except services.AllocationError as exc:
        for error in exc.errors[:30]:
            messages.error(request, error)
        return None
    return redirect(f"{reverse('plans:allocation')}?version={version.pk}")
