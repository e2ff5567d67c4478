"""Plan pages: the plan, a measure, a department's part, a district's page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import Role
from chuangye.accounts.models import Membership
from chuangye.accounts.selectors import (
    departments_visible_to,
    districts_visible_to,
    get_department_for_user,
    get_org_unit_for_user,
)
from chuangye.plans import selectors
from chuangye.plans.choices import ResponsibilityRole


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
