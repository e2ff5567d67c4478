"""Scoped reads of the registry: staff see their district (city departments: all)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import Role
from chuangye.accounts.models import Membership
from chuangye.core import crypto
from chuangye.programs.entrepreneurs.models import (
    JobRecord,
    Person,
    PersonQuerySet,
    SupportRecord,
    Venture,
)

#: Loan partner institutions (the guarantor, the banks) work on the applications that reach them
#: (see ``loans.selectors``); their staff are not registry staff and see no one through it.
PARTNER_INSTITUTION_KINDS = ("guarantor", "bank")


def _staff_memberships(user: Any) -> QuerySet[Membership]:
    """The user's programme-staff memberships that make them registry staff."""
    return (
        Membership.objects.filter(user_id=user.pk, role=Role.PROGRAMME_STAFF, active=True)
        .exclude(department__loan_institution__kind__in=PARTNER_INSTITUTION_KINDS)
        .select_related("department")
    )


def can_register(user: Any) -> bool:
    """Whether the user enters registry records (programme staff; read-only roles do not)."""
    if getattr(user, "pk", None) is None or not getattr(user, "is_active", False):
        return False
    return _staff_memberships(user).filter(department__isnull=False).exists()


def _district_scope(user: Any) -> tuple[bool, set[int]]:
    """(sees the whole city, district ids) for registry staff and city-wide roles."""
    access = access_for(user)
    if access.city_wide:
        return True, set()
    if getattr(user, "pk", None) is None:
        return False, set()
    rows = _staff_memberships(user)
    city, units = False, set()
    for m in rows:
        if m.department and m.department.level == "city":
            city = True
        elif m.department:
            units.add(m.department.org_unit_id)
        elif m.org_unit_id:
            units.add(m.org_unit_id)
    return city, units


def is_registry_user(user: Any) -> bool:
    city, units = _district_scope(user)
    return city or bool(units)


def persons_visible_to(user: Any) -> PersonQuerySet:
    city, units = _district_scope(user)
    qs = Person.objects.select_related("district")
    if city:
        return qs
    if units:
        return qs.filter(Q(district_id__in=units) | Q(ventures__district_id__in=units)).distinct()
    # An entrepreneur sees only themself.
    return qs.filter(user_id=getattr(user, "pk", -1)) if getattr(user, "pk", None) else qs.none()


def get_person_for_user(user: Any, pk: int) -> Person:
    return get_object_or_404(persons_visible_to(user), pk=pk)


def ventures_visible_to(user: Any) -> QuerySet[Venture]:
    city, units = _district_scope(user)
    qs = Venture.objects.select_related("district")
    if city:
        return qs
    if units:
        return qs.filter(district_id__in=units)
    if getattr(user, "pk", None):
        return qs.filter(founders__user_id=user.pk)
    return qs.none()


def get_venture_for_user(user: Any, pk: int) -> Venture:
    return get_object_or_404(ventures_visible_to(user), pk=pk)


def supports_visible_to(user: Any) -> QuerySet[SupportRecord]:
    return SupportRecord.objects.filter(person__in=persons_visible_to(user)).select_related(
        "support_type", "department", "org_unit", "venture"
    )


def jobs_visible_to(user: Any) -> QuerySet[JobRecord]:
    return JobRecord.objects.filter(venture__in=ventures_visible_to(user)).select_related(
        "venture", "org_unit"
    )


def search_persons(user: Any, q: str, district: str = "") -> PersonQuerySet:
    """By full ID number (exact, via keyed hash), phone, or name prefix; scoped to the user."""
    qs = persons_visible_to(user)
    q = q.strip()
    if district:
        qs = qs.filter(district__code=district)
    if not q:
        return qs.order_by("-id")
    if len(q) == 18 and q[:17].isdigit():
        return qs.filter(id_hash=crypto.search_hash(q))
    if len(q) == 11 and q.isdigit():
        return qs.filter(phone_hash=crypto.search_hash(q))
    # A range on the indexed name column: a prefix search that both databases can index.
    return qs.filter(name__gte=q, name__lt=q + "\U0010ffff").order_by("name", "id")
