"""Who does what in the loan workflow, and the scoped reads that follow from it.

Roles come from programme-staff memberships: staff of a district's HR bureau receive and check
applications of that district (街道收件初审); staff of the 人社 review department see all; a
guarantor or bank sees the applications assigned to it once they reach it; an entrepreneur sees
only their own. City-wide plan roles (coordinator, leader) read everything. Anyone else: 404.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from chuangye.accounts.access import access_for
from chuangye.accounts.choices import DepartmentLevel, Role
from chuangye.accounts.models import Department, Membership
from chuangye.programs.loans.choices import STAGE_ORDER, InstitutionKind, Status
from chuangye.programs.loans.models import LoanApplication, LoanInstitution, SubsidyClaim


@dataclass(frozen=True)
class LoanRoles:
    """The loan workflow roles of one user."""

    user_id: int | None
    city_read: bool
    hrss: frozenset[int]  # department ids
    street: dict[int, int]  # district org unit id → the HR bureau the user works in
    guarantors: frozenset[int]
    banks: frozenset[int]

    @property
    def is_staff(self) -> bool:
        return bool(self.hrss or self.street or self.guarantors or self.banks)

    @property
    def sees_all(self) -> bool:
        return self.city_read or bool(self.hrss)

    def can_act(self, application: LoanApplication) -> bool:
        """Whether the user holds the role of the application's current step."""
        s = application.status
        if s == Status.STREET:
            return application.district_id in self.street
        if s == Status.HRSS:
            return bool(self.hrss)
        if s == Status.GUARANTOR:
            return application.guarantor_id in self.guarantors
        if s in (Status.BANK, Status.APPROVED, Status.REPAYING):
            return application.bank_id in self.banks
        if s == Status.OVERDUE:
            return application.bank_id in self.banks or application.guarantor_id in self.guarantors
        return False

    def department_for(self, application: LoanApplication) -> int | None:
        """The department (id) through which the user acts on the current step."""
        s = application.status
        if s == Status.STREET:
            return self.street.get(application.district_id)
        if s == Status.HRSS:
            return min(self.hrss) if self.hrss else None
        if s == Status.GUARANTOR or (
            s == Status.OVERDUE and application.guarantor_id in self.guarantors
        ):
            return application.guarantor_id
        return application.bank_id if application.bank_id in self.banks else None


NO_ROLES = LoanRoles(None, False, frozenset(), {}, frozenset(), frozenset())


def hrss_departments() -> list[int]:
    return list(
        LoanInstitution.objects.filter(kind=InstitutionKind.HRSS, active=True).values_list(
            "department_id", flat=True
        )
    )


def roles_for(user: Any) -> LoanRoles:
    """The user's loan roles (cached on the user object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_ROLES
    cached = getattr(user, "_loan_roles", None)
    if cached is not None:
        return cached
    institutions = {i.department_id: i.kind for i in LoanInstitution.objects.filter(active=True)}
    hrss_ids = {d for d, k in institutions.items() if k == InstitutionKind.HRSS}
    hrss, guarantors, banks = set(), set(), set()
    street: dict[int, int] = {}
    rows = Membership.objects.filter(
        user_id=user.pk, role=Role.PROGRAMME_STAFF, active=True, department__isnull=False
    ).select_related("department")
    for m in rows:
        dept = m.department
        assert dept is not None
        kind = institutions.get(dept.pk)
        if kind == InstitutionKind.HRSS:
            hrss.add(dept.pk)
        elif kind == InstitutionKind.GUARANTOR:
            guarantors.add(dept.pk)
        elif kind == InstitutionKind.BANK:
            banks.add(dept.pk)
        elif dept.level == DepartmentLevel.DISTRICT and dept.counterpart_id in hrss_ids:
            street.setdefault(dept.org_unit_id, dept.pk)
    roles = LoanRoles(
        user.pk,
        access_for(user).city_wide,
        frozenset(hrss),
        street,
        frozenset(guarantors),
        frozenset(banks),
    )
    user._loan_roles = roles
    return roles


def applications_visible_to(user: Any) -> QuerySet[LoanApplication]:
    r = roles_for(user)
    qs = LoanApplication.objects.select_related(
        "applicant", "venture", "district", "bank", "guarantor", "policy"
    )
    if r.sees_all:
        return qs
    clauses = []
    if r.street:
        clauses.append(Q(district_id__in=list(r.street)))
    if r.guarantors:
        clauses.append(
            Q(guarantor_id__in=r.guarantors, furthest__gte=STAGE_ORDER[Status.GUARANTOR])
        )
    if r.banks:
        clauses.append(Q(bank_id__in=r.banks, furthest__gte=STAGE_ORDER[Status.BANK]))
    if r.user_id is not None:
        clauses.append(Q(applicant__user_id=r.user_id))
    if not clauses:
        return qs.none()
    return qs.filter(reduce(operator.or_, clauses))


def get_application_for_user(user: Any, pk: int) -> LoanApplication:
    return get_object_or_404(applications_visible_to(user), pk=pk)


def own_applications(user: Any) -> QuerySet[LoanApplication]:
    """The applications the user made as the applicant (the entrepreneur's own list)."""
    if getattr(user, "pk", None) is None:
        return LoanApplication.objects.none()
    return LoanApplication.objects.filter(applicant__user_id=user.pk).select_related(
        "venture", "district", "bank", "guarantor"
    )


def queues_for(user: Any) -> list[tuple[str, str, QuerySet[LoanApplication]]]:
    """(status, label, applications) for each step the user acts on."""
    r = roles_for(user)
    base = LoanApplication.objects.select_related("applicant", "venture", "district")
    out = []
    if r.street:
        out.append(
            (Status.STREET, base.filter(status=Status.STREET, district_id__in=list(r.street)))
        )
    if r.hrss:
        out.append((Status.HRSS, base.filter(status=Status.HRSS)))
    if r.guarantors:
        out.append(
            (Status.GUARANTOR, base.filter(status=Status.GUARANTOR, guarantor_id__in=r.guarantors))
        )
        out.append(
            (Status.OVERDUE, base.filter(status=Status.OVERDUE, guarantor_id__in=r.guarantors))
        )
    if r.banks:
        out.append((Status.BANK, base.filter(status=Status.BANK, bank_id__in=r.banks)))
        out.append((Status.APPROVED, base.filter(status=Status.APPROVED, bank_id__in=r.banks)))
    labels = dict(Status.choices)
    return [(s, str(labels[s]), qs.order_by("submitted_at", "id")) for s, qs in out]


def claims_visible_to(user: Any) -> QuerySet[SubsidyClaim]:
    visible = applications_visible_to(user).values("pk")
    return SubsidyClaim.objects.filter(loan__application__in=visible).select_related(
        "loan__application__applicant", "loan__district"
    )


def banks_of(user: Any) -> list[Department]:
    return list(Department.objects.filter(pk__in=roles_for(user).banks).order_by("order"))
