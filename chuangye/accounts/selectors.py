"""Scoped reads of org units, departments and users."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import OrgUnitKind
from chuangye.accounts.models import Department, Membership, OrgUnit


def org_units_visible_to(user: Any) -> QuerySet[OrgUnit]:
    """The city and the user's own districts for people in the plan; everything city-wide."""
    access = access_for(user)
    qs = OrgUnit.objects.select_related("parent")
    if access.city_wide:
        return qs
    if not access.plan_member:
        return qs.none()
    return qs.filter(Q(pk__in=access.org_unit_ids) | Q(parent__isnull=True))


def districts_visible_to(user: Any) -> QuerySet[OrgUnit]:
    return org_units_visible_to(user).filter(kind__in=[OrgUnitKind.COUNTY, OrgUnitKind.ZONE])


def departments_visible_to(user: Any) -> QuerySet[Department]:
    access = access_for(user)
    qs = Department.objects.select_related("org_unit")
    if access.city_wide:
        return qs
    if not access.plan_member:
        return qs.none()
    return qs.filter(Q(pk__in=access.department_ids) | Q(org_unit_id__in=access.org_unit_ids))


def get_org_unit_for_user(user: Any, code: str) -> OrgUnit:
    return get_object_or_404(org_units_visible_to(user), code=code)


def get_department_for_user(user: Any, code: str) -> Department:
    return get_object_or_404(departments_visible_to(user), code=code)


def memberships_of(user: Any) -> QuerySet[Membership]:
    """The caller's own active roles (none for anonymous users)."""
    if getattr(user, "pk", None) is None:
        return Membership.objects.none()
    return Membership.objects.filter(user_id=user.pk, active=True).select_related(
        "department", "org_unit"
    )
