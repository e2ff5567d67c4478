"""Scoped reads of plans, and the plan rendered back into the plan JSON contract."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from chuangye.accounts.access import access_for
from chuangye.accounts.models import Department
from chuangye.plans.contract import number_out
from chuangye.plans.models import Measure, Plan, PlanDraft, Responsibility, Section, Target


def plans_visible_to(user: Any) -> QuerySet[Plan]:
    """Plan pages are for people who work the plan; everyone else sees none."""
    if not access_for(user).plan_member:
        return Plan.objects.none()
    return Plan.objects.all()


def active_plan_for(user: Any) -> Plan:
    plan = plans_visible_to(user).filter(is_active=True).first()
    if plan is None:
        raise Http404("no active plan")
    return plan


def get_plan_for_user(user: Any, pk: int) -> Plan:
    return get_object_or_404(plans_visible_to(user), pk=pk)


def measures_of(plan: Plan) -> QuerySet[Measure]:
    return measures_of_plans(Plan.objects.filter(pk=plan.pk)).order_by("number")


def get_measure_for_user(user: Any, pk: int) -> Measure:
    return get_object_or_404(measures_of_plans(plans_visible_to(user)), pk=pk)


def measures_of_plans(plans: QuerySet[Plan]) -> QuerySet[Measure]:
    return (
        Measure.objects.filter(plan__in=plans)
        .select_related("section", "plan")
        .prefetch_related(
            Prefetch(
                "responsibilities",
                queryset=Responsibility.objects.select_related("department"),
            ),
            Prefetch("targets", queryset=Target.objects.order_by("order")),
        )
    )


def sections_with_measures(plan: Plan) -> list[tuple[Section, list[Measure]]]:
    by_section: dict[int | None, list[Measure]] = defaultdict(list)
    for m in measures_of(plan):
        by_section[m.section_id].append(m)
    return [(s, by_section.get(s.pk, [])) for s in plan.sections.order_by("number")]


def preamble_targets(plan: Plan) -> QuerySet[Target]:
    return plan.targets.filter(measure__isnull=True).select_related("indicator").order_by("order")


def responsibilities_of(plan: Plan, department: Department) -> dict[str, list[Measure]]:
    """Measures of ``plan`` grouped by the department's role in them."""
    grouped: dict[str, list[Measure]] = defaultdict(list)
    rows = (
        Responsibility.objects.filter(measure__plan=plan, department=department)
        .select_related("measure", "measure__section")
        .order_by("measure__number")
    )
    for r in rows:
        grouped[r.role].append(r.measure)
    return grouped


def _target_json(t: Target) -> dict[str, Any]:
    source = {"start": t.source_start, "end": t.source_end} if t.source_start is not None else None
    return {
        "text": t.text,
        "subject": t.subject,
        "value": number_out(t.value),
        "min": number_out(t.min_value),
        "max": number_out(t.max_value),
        "unit": t.unit,
        "comparator": t.comparator,
        "per_year": t.per_year,
        "deadline_year": t.deadline_year,
        "reference": t.reference or None,
        "source": source,
    }


def plan_as_json(plan: Plan) -> dict[str, Any]:
    """Render a stored plan in the plan JSON contract (the same shape import takes)."""
    measures = []
    for m in measures_of(plan):
        measures.append(
            {
                "number": m.number,
                "printed": m.printed,
                "section": m.section.number if m.section else None,
                "title": m.title,
                "text": m.text,
                "responsibilities": [
                    {"department": r.department_name, "role": r.role}
                    for r in m.responsibilities.all()
                ],
                "targets": [_target_json(t) for t in m.targets.all()],
                "source": (
                    {"start": m.source_start, "end": m.source_end}
                    if m.source_start is not None
                    else None
                ),
            }
        )
    return {
        "title": plan.title,
        "issuer": plan.issuer,
        "doc_number": plan.doc_number,
        "issued_on": plan.issued_on.isoformat() if plan.issued_on else None,
        "sections": [
            {"number": s.number, "title": s.title} for s in plan.sections.order_by("number")
        ],
        "measures": measures,
        "targets": [_target_json(t) for t in preamble_targets(plan)],
    }


def responsibility_counts(plan: Plan) -> dict[int, dict[str, int]]:
    """Per department id: how many measures it leads, shares and cooperates on."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = Responsibility.objects.filter(measure__plan=plan, department__isnull=False).values_list(
        "department_id", "role"
    )
    for department_id, role in rows:
        counts[department_id][role] += 1
    return {k: dict(v) for k, v in counts.items()}


def unmatched_responsibilities(plan: Plan) -> list[Responsibility]:
    """Responsibilities whose printed unit matched no department (to be reviewed)."""
    return list(
        Responsibility.objects.filter(measure__plan=plan, department__isnull=True)
        .select_related("measure")
        .order_by("measure__number")
    )


def drafts_visible_to(user: Any) -> QuerySet[PlanDraft]:
    """Drafts are the coordinator's working material."""
    if not access_for(user).is_coordinator:
        return PlanDraft.objects.none()
    return PlanDraft.objects.select_related("created_by", "plan")


def get_draft_for_user(user: Any, pk: int) -> PlanDraft:
    return get_object_or_404(drafts_visible_to(user), pk=pk)


def departments_in_plan(plan: Plan) -> QuerySet[Department]:
    """Departments named in the plan's responsibilities, for filters."""
    return (
        Department.objects.filter(responsibilities__measure__plan=plan)
        .distinct()
        .order_by("order", "code")
    )


def likely_predecessor(draft: PlanDraft, plans: QuerySet[Plan]) -> Plan | None:
    """The newest version of the plan with the draft's document number, if any."""
    doc_number = draft.data.get("doc_number")
    if doc_number:
        found: Plan | None = plans.filter(doc_number=doc_number).order_by("-version").first()
        return found
    return None
