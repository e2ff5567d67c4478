"""Home page per role, the audit log, health and error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import CITY_WIDE_ROLES, Role
from chuangye.accounts.selectors import (
    departments_visible_to,
    districts_visible_to,
    memberships_of,
)
from chuangye.core.selectors import audit_entries_visible_to
from chuangye.plans import selectors as plan_selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    memberships = memberships_of(request.user)
    context: dict[str, object] = {"memberships": memberships}
    plan = plan_selectors.plans_visible_to(request.user).filter(is_active=True).first()
    context["plan"] = plan
    if plan is not None:
        context["preamble_targets"] = plan_selectors.preamble_targets(plan)
        context["target_count"] = plan.targets.count()
        context["measure_count"] = plan.measures.count()
        context["section_count"] = plan.sections.count()
        departments = departments_visible_to(request.user).filter(level="city")
        context["departments"] = departments
        context["districts"] = districts_visible_to(request.user)
        if not access.city_wide:
            # A department's or district's own tasks: what its (counterpart) department carries.
            mine = []
            for d in departments_visible_to(request.user):
                lookup = d.counterpart or d
                grouped = plan_selectors.responsibilities_of(plan, lookup)
                if grouped:
                    mine.append((d, grouped))
            context["my_departments"] = mine
    if access.is_auditor:
        context["recent_audit"] = audit_entries_visible_to(request.user)[:10]
    if access.roles & CITY_WIDE_ROLES:
        template = "core/home_city.html"
    elif access.plan_member:
        template = "core/home_unit.html"
    elif Role.AUDITOR in access.roles:
        template = "core/home_auditor.html"
    else:
        template = "core/home_public.html"
    return render(request, template, context)


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not access_for(request.user).is_auditor:
        raise Http404
    entries = audit_entries_visible_to(request.user)
    action = request.GET.get("action", "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"page": page, "action": action})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)
