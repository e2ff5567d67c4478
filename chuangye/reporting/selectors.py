"""Scoped reads of the reporting workflow."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import Role
from chuangye.accounts.models import Department, Membership
from chuangye.core.models import AuditEntry
from chuangye.reporting.models import (
    DataValue,
    Notification,
    ProgressUpdate,
    Reminder,
    ReportingRound,
)


def departments_with_role(user: Any, *roles: str) -> QuerySet[Department]:
    """Departments where ``user`` holds one of ``roles``."""
    if getattr(user, "pk", None) is None:
        return Department.objects.none()
    ids = Membership.objects.filter(user=user, role__in=roles, active=True).values("department_id")
    return Department.objects.filter(pk__in=ids).select_related("org_unit", "counterpart")


def values_visible_to(user: Any) -> QuerySet[DataValue]:
    """City-wide roles see every figure; a unit's staff see their departments' and districts'."""
    access = access_for(user)
    qs = DataValue.objects.select_related("indicator", "org_unit", "department", "updated_by")
    if access.city_wide:
        return qs
    if not access.plan_member:
        return qs.none()
    return qs.filter(
        Q(department_id__in=access.department_ids) | Q(org_unit_id__in=access.org_unit_ids)
    )


def get_value_for_user(user: Any, pk: int) -> DataValue:
    return get_object_or_404(values_visible_to(user), pk=pk)


def progress_visible_to(user: Any) -> QuerySet[ProgressUpdate]:
    access = access_for(user)
    qs = ProgressUpdate.objects.select_related("measure", "department", "updated_by")
    if access.city_wide:
        return qs
    if not access.plan_member:
        return qs.none()
    return qs.filter(
        Q(department_id__in=access.department_ids)
        | Q(department__org_unit_id__in=access.org_unit_ids)
    )


def get_progress_for_user(user: Any, pk: int) -> ProgressUpdate:
    return get_object_or_404(progress_visible_to(user), pk=pk)


def rounds_visible_to(user: Any) -> QuerySet[ReportingRound]:
    if not access_for(user).plan_member:
        return ReportingRound.objects.none()
    return ReportingRound.objects.filter(plan__is_active=True).select_related("plan")


def get_round_for_user(user: Any, pk: int) -> ReportingRound:
    return get_object_or_404(rounds_visible_to(user), pk=pk)


def review_queue(user: Any) -> QuerySet[DataValue]:
    """Figures waiting for this approver."""
    approver_of = departments_with_role(user, Role.APPROVER)
    return values_visible_to(user).filter(department__in=approver_of, status="submitted")


def notifications_of(user: Any) -> QuerySet[Notification]:
    if getattr(user, "pk", None) is None:
        return Notification.objects.none()
    return Notification.objects.filter(user=user)


def reminders_visible_to(user: Any) -> QuerySet[Reminder]:
    access = access_for(user)
    qs = Reminder.objects.select_related("round", "department")
    if access.city_wide:
        return qs
    return qs.filter(department_id__in=access.department_ids)


def history_of(obj: DataValue | ProgressUpdate) -> QuerySet[AuditEntry]:
    """The audit trail of one figure or progress update (who did what, when)."""
    return AuditEntry.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("id")


def reporting_department(user: Any, code: str) -> Department | None:
    """The department ``code`` if the user reports for it (None otherwise)."""
    return next((d for d in departments_with_role(user, Role.REPORTER) if d.code == code), None)


def round_values(user: Any, rnd: ReportingRound) -> QuerySet[DataValue]:
    """The figures of one round the user may see, in export order."""
    return (
        values_visible_to(user)
        .filter(indicator__plan_id=rnd.plan_id, year=rnd.year, month=rnd.month)
        .order_by("indicator__code", "org_unit__order")
    )
