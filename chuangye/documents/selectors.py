"""Scoped reads of bulletins, supervision notices and assessments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import DepartmentLevel, Role
from chuangye.accounts.models import Department, Membership, OrgUnit
from chuangye.core.models import AuditEntry
from chuangye.documents.choices import OPEN_NOTICE_STATUSES, BulletinStatus, SubjectKind
from chuangye.documents.models import Bulletin, SupervisionNotice
from chuangye.monitoring.progress import Light, Progress, progress_for
from chuangye.plans.choices import ResponsibilityRole
from chuangye.plans.models import Measure, Plan, Target
from chuangye.reporting.choices import BEHIND_STATUSES, ValueStatus
from chuangye.reporting.duties import district_bureaus
from chuangye.reporting.models import ProgressUpdate

# --- bulletins --------------------------------------------------------------------------------


def bulletins_visible_to(user: Any) -> QuerySet[Bulletin]:
    """City-wide roles see drafts and issued; unit staff see issued city or own-district ones."""
    access = access_for(user)
    qs = Bulletin.objects.select_related("org_unit", "plan", "created_by", "issued_by")
    if access.city_wide:
        return qs
    if not access.plan_member:
        return qs.none()
    return qs.filter(status=BulletinStatus.ISSUED).filter(
        Q(org_unit__parent__isnull=True) | Q(org_unit_id__in=access.org_unit_ids)
    )


def get_bulletin_for_user(user: Any, pk: int) -> Bulletin:
    return get_object_or_404(bulletins_visible_to(user), pk=pk)


# --- supervision notices ----------------------------------------------------------------------


def notices_visible_to(user: Any) -> QuerySet[SupervisionNotice]:
    """City-wide roles see every notice; a department sees those it leads or is copied on."""
    access = access_for(user)
    qs = SupervisionNotice.objects.select_related(
        "lead_department", "target", "measure", "org_unit", "created_by", "replied_by"
    ).prefetch_related("cc_departments")
    if access.city_wide:
        return qs
    if not access.plan_member or not access.department_ids:
        return qs.none()
    ids = access.department_ids
    return qs.filter(Q(lead_department_id__in=ids) | Q(cc_departments__in=ids)).distinct()


def get_notice_for_user(user: Any, pk: int) -> SupervisionNotice:
    return get_object_or_404(notices_visible_to(user), pk=pk)


def open_notices_for(department: Department) -> list[SupervisionNotice]:
    """Notices not yet closed that the department leads or is copied on, soonest deadline first.

    For reminders and the department board; each item's ``lead_department`` tells whether the
    department must reply (lead) or only cooperate (copied).
    """
    return list(
        SupervisionNotice.objects.filter(status__in=OPEN_NOTICE_STATUSES)
        .filter(Q(lead_department=department) | Q(cc_departments=department))
        .distinct()
        .select_related("lead_department")
        .order_by("deadline", "pk")
    )


def open_notices_seen_by(user: Any, department: Department) -> list[SupervisionNotice]:
    """:func:`open_notices_for` limited to what ``user`` may open."""
    visible = set(notices_visible_to(user).values_list("pk", flat=True))
    return [n for n in open_notices_for(department) if n.pk in visible]


def reminder_line(notice: SupervisionNotice, department: Department, today: dt.date) -> str:
    """One line of a reminder about an open notice, in the reminders' voice."""
    role = "主办" if notice.lead_department_id == department.pk else "配合"
    days = (notice.deadline - today).days
    when = f"已逾期 {-days} 天" if days < 0 else "今天到期" if days == 0 else f"还剩 {days} 天"
    return f"督办单 {notice.number}（{role}）：{notice.subject}，办理时限 {notice.deadline}，{when}"


def can_reply(user: Any, notice: SupervisionNotice) -> bool:
    """Staff (reporter or approver) of the lead department reply to a notice."""
    if getattr(user, "pk", None) is None:
        return False
    return Membership.objects.filter(
        user_id=user.pk,
        department_id=notice.lead_department_id,
        role__in=[Role.REPORTER, Role.APPROVER],
        active=True,
    ).exists()


def history_of(obj: Any) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("id")


def red_targets(plan: Plan, units: list[OrgUnit], day: dt.date) -> list[Progress]:
    return [r for r in progress_for(plan, units, day) if r.status == Light.RED]


@dataclass(frozen=True)
class Candidates:
    """What a 督办单 could be issued about, each with the number of an open notice on it, if any."""

    targets: list[tuple[Progress, str | None]]
    measures: list[tuple[ProgressUpdate, str | None]]


def notice_candidates(plan: Plan, day: dt.date) -> Candidates:
    """Red targets (the plan's city and its districts) and lagging measures."""
    units = list(
        OrgUnit.objects.filter(Q(pk=plan.org_unit_id) | Q(parent_id=plan.org_unit_id)).order_by(
            "order", "code"
        )
    )
    open_rows = list(
        SupervisionNotice.objects.filter(plan=plan, status__in=OPEN_NOTICE_STATUSES).values_list(
            "number", "target_id", "org_unit_id", "measure_id"
        )
    )
    by_target: dict[tuple[int, int | None], str] = {(t, u): n for n, t, u, _m in open_rows if t}
    by_measure = {m: n for n, _t, _u, m in open_rows if m}
    targets = [
        (r, by_target.get((r.target.pk, r.org_unit.pk if r.org_unit.parent_id else None)))
        for r in red_targets(plan, units, day)
    ]
    measures = [(u, by_measure.get(u.measure_id)) for u in lagging_updates(plan, day)]
    return Candidates(targets=targets, measures=measures)


def lagging_updates(plan: Plan, day: dt.date) -> list[ProgressUpdate]:
    """Latest approved progress per measure and department that reports the measure behind or
    whose remedy deadline has passed."""
    rows = (
        ProgressUpdate.objects.filter(
            measure__plan=plan, status__in=[ValueStatus.APPROVED, ValueStatus.LOCKED]
        )
        .select_related("measure", "department")
        .order_by("year", "quarter")
    )
    latest: dict[tuple[int, int], ProgressUpdate] = {}
    for u in rows:
        latest[(u.measure_id, u.department_id)] = u
    return [
        u
        for u in latest.values()
        if u.measure_status in BEHIND_STATUSES or (u.remedy_due is not None and u.remedy_due < day)
    ]


# --- who a notice goes to ---------------------------------------------------------------------


@dataclass
class Addressees:
    lead: Department | None
    cc: list[Department]


def _responsible(measures: list[Measure]) -> Addressees:
    leads: list[Department] = []
    coops: list[Department] = []
    for m in measures:
        for r in m.responsibilities.all():
            if r.department is None:
                continue
            bucket = coops if r.role == ResponsibilityRole.COOPERATING else leads
            if r.department not in bucket:
                bucket.append(r.department)
    lead = leads[0] if leads else (coops[0] if coops else None)
    cc = [d for d in leads + coops if d != lead]
    return Addressees(lead, list(dict.fromkeys(cc)))


def addressees_for_target(plan: Plan, target: Target, unit: OrgUnit | None) -> Addressees:
    """A city target goes to the lead department of the measures serving it, copying the other
    responsible departments; a district's share goes to that district's bureau (the department
    reporting its figures), copying the city lead department only."""
    measures = list(target.served_by.prefetch_related("responsibilities__department"))
    city = _responsible(measures)
    if city.lead is None and target.indicator.owner is not None:
        city.lead = target.indicator.owner
    if city.lead is None:
        city.lead = plan.coordinating_department
    if unit is None or unit.parent_id is None:
        return city
    owner = target.indicator.owner
    local = None
    if owner is not None:
        local = Department.objects.filter(
            org_unit=unit, level=DepartmentLevel.DISTRICT, counterpart=owner
        ).first()
    local = local or district_bureaus(plan).get(unit.pk)
    if local is None:
        return city
    cc = [city.lead] if city.lead is not None and city.lead != local else []
    return Addressees(local, cc)


def addressees_for_measure(measure: Measure) -> Addressees:
    return _responsible([measure])


# --- self-assessment --------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """A unit someone may self-assess: a district (via its bureaus) or a city department."""

    kind: str
    key: str
    name: str
    org_unit: OrgUnit | None
    department: Department | None


def self_assessment_subjects(user: Any) -> list[Subject]:
    """Units the user reports or approves for: a district bureau speaks for its district."""
    if getattr(user, "pk", None) is None:
        return []
    rows = (
        Membership.objects.filter(
            user_id=user.pk, role__in=[Role.REPORTER, Role.APPROVER], active=True
        )
        .select_related("department", "department__org_unit")
        .order_by("department__order")
    )
    out: dict[str, Subject] = {}
    for m in rows:
        d = m.department
        if d is None:
            continue
        if d.level == DepartmentLevel.DISTRICT:
            key = f"district:{d.org_unit.code}"
            out[key] = Subject(SubjectKind.DISTRICT, key, d.org_unit.name, d.org_unit, None)
        else:
            key = f"department:{d.code}"
            out[key] = Subject(SubjectKind.DEPARTMENT, key, d.name, None, d)
    return list(out.values())
