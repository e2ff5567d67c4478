"""Authorization matrix: every route of the URL conf × every persona, against an explicit table.

The table below says, for each route, who may use it; everyone else must be refused the way the
project refuses (404 for a signed-in user, as if the object did not exist; the login page for an
anonymous visitor of a page; 401/403 for an anonymous API caller). A route that is not in the
table fails :func:`test_every_route_has_an_entry`, so a new endpoint cannot ship without a
decision about who sees it. The personas are the demo's (plan roles, the four loan-staff roles,
the separated system and security administrators) plus a signed-in outsider and an anonymous
visitor. Known deviations of today's code are listed in ``KNOWN_PROBLEMS``
with the correct outcome still in the table; fixing one makes the test ask for its removal.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db
PASSWORD = "Test-Passw0rd!"

PERSONAS = (
    "coordinator",
    "leader",
    "reporter_huancui",
    "approver_huancui",
    "reporter_wendeng",
    "reporter_rsj",
    "auditor",
    "entrepreneur",
    "admin",
    "street_officer",
    "loan_officer",
    "guarantor_officer",
    "bank_officer",
    "sysadmin",
    "secadmin",
    "outsider",
    "anonymous",
)
EVERYONE = frozenset(PERSONAS)
SIGNED_IN = EVERYONE - {"anonymous"}
CITY_WIDE = frozenset({"coordinator", "leader", "admin"})
#: Programme staff (业务经办人员): the 环翠区人社局 receiving officer, the 市人社局 reviewer, and
#: the guarantor's and the bank's officers. The role is a plan role, so all four see the plan's
#: pages; each sees loans by its step and district, and only the first two keep the registry.
LOAN_STAFF = frozenset({"street_officer", "loan_officer", "guarantor_officer", "bank_officer"})
REPORTERS = frozenset({"reporter_huancui", "reporter_wendeng", "reporter_rsj"})
PLAN = CITY_WIDE | LOAN_STAFF | REPORTERS | {"approver_huancui"}
HUANCUI = CITY_WIDE | {"reporter_huancui", "approver_huancui", "street_officer"}
WENDENG = CITY_WIDE | {"reporter_wendeng"}
RSJ = CITY_WIDE | {"reporter_rsj", "loan_officer"}
COORDINATORS = frozenset({"coordinator", "admin"})
AUDITORS = frozenset({"auditor", "admin"})
#: Who enters registry records (programme staff of the 人社 side), and who reads the registry.
REGISTRARS = frozenset({"street_officer", "loan_officer"})
REGISTRY = CITY_WIDE | REGISTRARS
#: Loan pages for staff: city-wide readers and every loan step.
LOAN_PAGES = CITY_WIDE | LOAN_STAFF
#: The entrepreneur's own loan, past the bank: every step saw it, and the applicant.
OWN_LOAN = LOAN_PAGES | {"entrepreneur"}
#: Someone else's application returned at the street step: neither guarantor nor bank saw it.
RETURNED_LOAN = CITY_WIDE | REGISTRARS
POLICY_EDITORS = COORDINATORS | {"loan_officer"}
BANK = frozenset({"bank_officer"})
#: Staff of the lead department of the 督办单 (programme staff of that bureau see, not reply).
NOTICE_REPLIERS = frozenset({"reporter_huancui", "approver_huancui"})
SELF_ASSESSORS = REPORTERS | {"approver_huancui"}


@dataclass(frozen=True)
class Case:
    """One request to a route and who may make it; everyone else is refused.

    ``params`` name objects of the ``world`` fixture (or give a literal path segment). For a
    list endpoint, ``empty`` are the personas who get an empty list (allowed to ask, nothing
    to see). A route that only accepts POST is checked by GET (405 for those who may reach it)
    and by an empty POST from everyone else, which must be refused before anything is
    written; ``forbid`` are the personas who see the object but may not change it (403).
    """

    allow: frozenset[str]
    params: dict[str, str] = field(default_factory=dict)
    query: str = ""
    method: str = "GET"
    empty: frozenset[str] = frozenset()
    forbid: frozenset[str] = frozenset()
    data: dict[str, str] = field(default_factory=dict)


def listing(allow: frozenset[str]) -> Case:
    """A list endpoint: signed-in callers outside ``allow`` get an empty list."""
    return Case(allow=allow, empty=SIGNED_IN - allow)


def post(allow: frozenset[str], **kw: Any) -> Case:
    return Case(allow=allow, method="POST", **kw)


#: Routes not in the matrix, with the reason.
SKIPPED = {
    "admin/": "Django admin: staff only, behind Django's own login and permissions",
    "static/": "static files, no data",
    "i18n/": "language switch, no data",
    "api/schema/": "API description (public by design, no data)",
    "api/docs/": "API documentation page (public by design, no data)",
}
FORMAT_SUFFIX = "same view as the route without the suffix"
#: POST-only routes that answer anyone (a GET gets 405 even without a login).
PUBLIC_POSTS = ("logout/", "api/v1/auth/token")

ROUTES: dict[str, list[Case]] = {
    # --- core ---
    "": [Case(SIGNED_IN)],
    "login/": [Case(EVERYONE)],  # signed-in users are sent home
    "logout/": [post(EVERYONE)],
    "audit/": [Case(AUDITORS)],
    "healthz": [Case(EVERYONE)],
    # --- one's own account (with the second factor switched off, the 2FA pages send one on) ---
    "account/security/": [Case(SIGNED_IN)],
    "account/password/": [Case(SIGNED_IN)],
    "account/2fa/verify/": [Case(SIGNED_IN)],
    "account/2fa/enrol/": [Case(SIGNED_IN)],
    "account/2fa/recovery-codes/": [post(SIGNED_IN)],
    # --- plans ---
    "plan/": [Case(PLAN)],
    "plan/upload/": [Case(COORDINATORS)],
    "allocation/": [Case(PLAN)],
    "plan/drafts/<int:pk>/": [Case(COORDINATORS, {"pk": "draft"})],
    "plan/drafts/<int:pk>/edit/": [post(COORDINATORS, params={"pk": "draft"})],
    "plan/drafts/<int:pk>/import/": [post(COORDINATORS, params={"pk": "draft"})],
    "plan/drafts/<int:pk>/discard/": [post(COORDINATORS, params={"pk": "draft"})],
    "measures/<int:pk>/": [Case(PLAN, {"pk": "measure"})],
    "departments/": [Case(PLAN)],
    "departments/<str:code>/": [
        Case(HUANCUI, {"code": "huancui_bureau"}),
        Case(RSJ, {"code": "rsj"}),
    ],
    "districts/": [Case(PLAN)],
    "districts/<str:code>/": [
        Case(HUANCUI, {"code": "huancui"}),
        Case(WENDENG, {"code": "wendeng"}),
    ],
    # --- reporting ---
    "reporting/": [Case(REPORTERS)],
    "reporting/review/": [Case(frozenset({"approver_huancui"}))],
    "reporting/rounds/": [Case(CITY_WIDE)],
    "reporting/values/<int:pk>/": [
        Case(HUANCUI, {"pk": "huancui_value"}),
        Case(RSJ, {"pk": "rsj_value"}),
    ],
    "reporting/values/<int:pk>/attach/": [post(HUANCUI, params={"pk": "huancui_value"})],
    "reporting/values/<int:pk>/reopen/": [post(HUANCUI, params={"pk": "huancui_value"})],
    "reporting/progress/": [Case(PLAN - LOAN_STAFF)],  # reporters, approvers, city-wide
    "reporting/progress/<int:measure>/<str:department>/": [
        Case(
            frozenset({"reporter_huancui"}),
            {"measure": "rsj_measure", "department": "huancui_bureau"},
        )
    ],
    "reporting/progress/review/<int:pk>/": [post(HUANCUI, params={"pk": "huancui_progress"})],
    "reporting/notifications/": [Case(SIGNED_IN)],  # each sees their own
    "reporting/excel/template/": [
        Case(frozenset({"reporter_huancui"}), query="department=371002-rsj")
    ],
    "reporting/excel/upload/": [
        post(frozenset({"reporter_huancui"}), data={"department": "371002-rsj"})
    ],
    "reporting/rounds/export/": [Case(PLAN)],  # each gets the figures of their own scope
    # --- monitoring ---
    "cockpit/": [Case(PLAN), Case(HUANCUI, query="org_unit=371002")],
    "cockpit/targets/<int:pk>/": [Case(PLAN, {"pk": "target"})],
    "cockpit/chain/": [Case(PLAN)],
    "cockpit/departments/<str:code>/": [
        Case(HUANCUI, {"code": "huancui_bureau"}),
        Case(RSJ, {"code": "rsj"}),
    ],
    "board/": [Case(EVERYONE)],  # the public progress board
    # --- entrepreneur registry: city-wide readers and 人社 programme staff; a person sees themself;
    # only programme staff enter records (a leader reads; the guarantor and bank see no one) ---
    "programs/entrepreneurs/": [Case(REGISTRY)],
    "programs/entrepreneurs/new/": [Case(REGISTRARS)],
    "programs/entrepreneurs/me/": [Case(SIGNED_IN)],  # one's own record, if any
    "programs/entrepreneurs/<int:pk>/": [
        Case(REGISTRY | {"entrepreneur"}, {"pk": "own_person"}),
        Case(REGISTRY, {"pk": "other_person"}),
    ],
    "programs/entrepreneurs/<int:pk>/unmask/": [
        post(REGISTRY | {"entrepreneur"}, params={"pk": "own_person"}),
        post(REGISTRY, params={"pk": "other_person"}),
    ],
    "programs/entrepreneurs/<int:pk>/support/": [post(REGISTRARS, params={"pk": "own_person"})],
    "programs/entrepreneurs/<int:pk>/ventures/": [post(REGISTRARS, params={"pk": "own_person"})],
    "programs/entrepreneurs/ventures/<int:pk>/": [
        Case(REGISTRY | {"entrepreneur"}, {"pk": "own_venture"})
    ],
    "programs/entrepreneurs/ventures/<int:pk>/jobs/": [
        post(REGISTRARS, params={"pk": "own_venture"})
    ],
    # --- guarantee loans: staff pages by role; an application as far as each step has seen it ---
    "programs/loans/": [Case(LOAN_PAGES)],
    "programs/loans/apply/": [Case(SIGNED_IN)],  # the form only for a registered entrepreneur
    "programs/loans/mine/": [Case(SIGNED_IN)],  # one's own applications
    "programs/loans/new/": [Case(REGISTRARS)],  # staff filing for someone: street and 人社
    "programs/loans/<int:pk>/": [
        Case(OWN_LOAN, {"pk": "loan"}),
        Case(RETURNED_LOAN, {"pk": "returned_loan"}),
    ],
    # Workflow posts reach everyone who sees the application; the step's role is the service's.
    "programs/loans/<int:pk>/act/": [
        post(OWN_LOAN, params={"pk": "loan"}),
        post(RETURNED_LOAN, params={"pk": "returned_loan"}),
    ],
    "programs/loans/<int:pk>/resubmit/": [Case(RETURNED_LOAN, {"pk": "returned_loan"})],
    "programs/loans/<int:pk>/disburse/": [post(OWN_LOAN, params={"pk": "loan"})],
    "programs/loans/<int:pk>/event/": [post(OWN_LOAN, params={"pk": "loan"})],
    "programs/loans/<int:pk>/unmask/": [post(LOAN_PAGES, params={"pk": "loan"})],
    "programs/loans/<int:pk>/materials/<int:mid>/": [
        Case(OWN_LOAN, {"pk": "loan", "mid": "material"})
    ],
    "programs/loans/<int:pk>/schedule/": [
        Case(OWN_LOAN, {"pk": "loan"}),
        Case(LOAN_PAGES, {"pk": "loan"}, query="format=xlsx"),  # the statement is staff's
    ],
    "programs/loans/subsidies/": [Case(LOAN_PAGES)],
    "programs/loans/subsidies/claim/": [post(BANK)],
    "programs/loans/subsidies/pay/": [post(LOAN_PAGES, data={"period": "2025Q3"})],
    "programs/loans/import/": [Case(BANK)],
    "programs/loans/import/template/": [Case(BANK)],
    "programs/loans/policy/": [Case(LOAN_PAGES)],
    "programs/loans/policy/new/": [Case(POLICY_EDITORS)],
    "programs/loans/policy/<int:pk>/": [Case(POLICY_EDITORS, {"pk": "policy"})],
    "programs/loans/lpr/new/": [Case(POLICY_EDITORS)],
    "programs/loans/lpr/<int:pk>/": [Case(POLICY_EDITORS, {"pk": "lpr"})],
    # --- 通报, 督办单 and 考核 ---
    "documents/": [Case(PLAN)],
    "documents/bulletins/": [Case(PLAN)],
    "documents/bulletins/<int:pk>/": [Case(CITY_WIDE, {"pk": "draft_bulletin"})],
    "documents/bulletins/<int:pk>/edit/": [post(COORDINATORS, params={"pk": "draft_bulletin"})],
    "documents/bulletins/<int:pk>/<str:action>/": [
        post(COORDINATORS, params={"pk": "draft_bulletin", "action": "refresh"})
    ],
    "documents/bulletins/<int:pk>/download/<str:fmt>/": [
        Case(CITY_WIDE, {"pk": "draft_bulletin", "fmt": "xlsx"})
    ],
    "documents/bulletins/<int:pk>/charts/<str:name>.png": [
        Case(CITY_WIDE, {"pk": "draft_bulletin", "name": "trend"})
    ],
    "documents/notices/": [Case(PLAN)],
    "documents/notices/new/": [Case(COORDINATORS)],
    "documents/notices/<int:pk>/": [Case(HUANCUI, {"pk": "huancui_notice"})],
    "documents/notices/<int:pk>/docx/": [Case(HUANCUI, {"pk": "huancui_notice"})],
    "documents/notices/<int:pk>/<str:action>/": [
        post(HUANCUI, params={"pk": "huancui_notice", "action": "reply"})
    ],
    "documents/assessment/": [Case(PLAN)],  # each unit its own scores, city-wide roles all
    "documents/assessment/self/": [post(PLAN)],  # further limited to units with a subject
    "documents/assessment/scheme/": [Case(COORDINATORS)],
    # --- API ---
    "api/v1/": [Case(SIGNED_IN)],
    "api/v1/auth/token": [post(EVERYONE)],
    "api/v1/auth/token/revoke": [post(SIGNED_IN)],
    "api/v1/me": [Case(SIGNED_IN)],
    "api/v1/progress": [Case(PLAN), Case(HUANCUI, query="org_unit=371002")],
    "api/v1/progress/export": [Case(PLAN), Case(HUANCUI, query="org_unit=371002")],
    "api/v1/cockpit/targets/<int:pk>": [
        Case(PLAN, {"pk": "target"}),
        Case(HUANCUI, {"pk": "target"}, query="unit=371002"),
    ],
    "api/v1/cockpit/chain": [Case(PLAN), Case(WENDENG, query="org_unit=371003")],
    "api/v1/cockpit/departments/<str:code>": [
        Case(HUANCUI, {"code": "huancui_bureau"}),
        Case(RSJ, {"code": "rsj"}),
    ],
    "api/v1/board": [Case(EVERYONE)],  # the public board's data: city level, no personal data
    "api/v1/plans/": [listing(PLAN)],
    "api/v1/plans/current/": [Case(PLAN)],
    "api/v1/plans/<pk>/": [Case(PLAN, {"pk": "plan"})],
    "api/v1/plans/<pk>/json/": [Case(PLAN, {"pk": "plan"})],
    "api/v1/measures/": [listing(PLAN)],
    "api/v1/measures/<pk>/": [Case(PLAN, {"pk": "measure"})],
    "api/v1/targets/": [listing(PLAN)],
    "api/v1/targets/<pk>/": [Case(PLAN, {"pk": "target"})],
    # A city department's staff hold no district: they see no unit (less, not more, than due).
    "api/v1/org-units/": [listing(PLAN)],  # every plan member sees at least the city
    "api/v1/org-units/<code>/": [Case(HUANCUI, {"code": "huancui"})],
    "api/v1/departments/": [listing(PLAN)],
    "api/v1/departments/<code>/": [
        Case(HUANCUI, {"code": "huancui_bureau"}),
        Case(RSJ, {"code": "rsj"}),
    ],
    "api/v1/audit-entries/": [listing(AUDITORS)],
    "api/v1/audit-entries/<pk>/": [Case(AUDITORS, {"pk": "audit_entry"})],
    "api/v1/data-values/": [listing(HUANCUI | WENDENG | RSJ)],
    "api/v1/data-values/<pk>/": [
        Case(HUANCUI, {"pk": "huancui_value"}),
        Case(RSJ, {"pk": "rsj_value"}),
    ],
    "api/v1/data-values/<pk>/history/": [Case(HUANCUI, {"pk": "huancui_value"})],
    "api/v1/data-values/<pk>/attachments/": [Case(HUANCUI, {"pk": "huancui_value"})],
    "api/v1/data-values/<pk>/attachments/<attachment>/": [
        Case(RSJ, {"pk": "rsj_value", "attachment": "rsj_attachment"})
    ],
    "api/v1/data-values/<pk>/submit/": [post(HUANCUI, params={"pk": "huancui_value"})],
    "api/v1/data-values/<pk>/approve/": [post(HUANCUI, params={"pk": "huancui_value"})],
    "api/v1/data-values/<pk>/return/": [post(HUANCUI, params={"pk": "huancui_value"})],
    "api/v1/data-values/<pk>/reopen/": [post(HUANCUI, params={"pk": "huancui_value"})],
    "api/v1/plan-drafts/": [listing(COORDINATORS)],
    "api/v1/plan-drafts/<pk>/": [Case(COORDINATORS, {"pk": "draft"})],
    "api/v1/plan-drafts/<pk>/import/": [post(COORDINATORS, params={"pk": "draft"})],
    "api/v1/plan-drafts/<pk>/discard/": [post(COORDINATORS, params={"pk": "draft"})],
    "api/v1/plan-drafts/<pk>/segments/": [Case(COORDINATORS, {"pk": "draft"})],
    "api/v1/rounds/": [listing(PLAN)],
    "api/v1/rounds/<pk>/": [Case(PLAN, {"pk": "round"})],
    "api/v1/rounds/<pk>/excel-template/": [
        Case(frozenset({"reporter_huancui"}), {"pk": "round"}, query="department=371002-rsj")
    ],
    "api/v1/rounds/<pk>/excel-upload/": [
        post(
            frozenset({"reporter_huancui"}),
            params={"pk": "round"},
            data={"department": "371002-rsj"},
        )
    ],
    "api/v1/rounds/<pk>/dates/": [
        post(COORDINATORS, params={"pk": "round"}, forbid=PLAN - COORDINATORS)
    ],
    "api/v1/rounds/<pk>/export/": [Case(PLAN, {"pk": "round"})],  # each sees their own scope
    "api/v1/progress-updates/": [listing(HUANCUI)],
    "api/v1/progress-updates/<pk>/": [Case(HUANCUI, {"pk": "huancui_progress"})],
    "api/v1/progress-updates/<pk>/submit/": [post(HUANCUI, params={"pk": "huancui_progress"})],
    "api/v1/progress-updates/<pk>/approve/": [post(HUANCUI, params={"pk": "huancui_progress"})],
    "api/v1/progress-updates/<pk>/return/": [post(HUANCUI, params={"pk": "huancui_progress"})],
    "api/v1/allocations/": [listing(PLAN)],
    "api/v1/allocations/<pk>/": [Case(PLAN, {"pk": "allocation"})],
    "api/v1/allocations/<pk>/activate/": [
        post(COORDINATORS, params={"pk": "allocation"}, forbid=PLAN - COORDINATORS)
    ],
    "api/v1/allocations/<pk>/set-quota/": [
        post(COORDINATORS, params={"pk": "allocation"}, forbid=PLAN - COORDINATORS)
    ],
    "api/v1/persons/": [listing(REGISTRY | {"entrepreneur"})],
    "api/v1/persons/me/": [Case(frozenset({"entrepreneur"}))],  # one's own record, if any
    "api/v1/persons/<pk>/": [
        Case(REGISTRY | {"entrepreneur"}, {"pk": "own_person"}),
        Case(REGISTRY, {"pk": "other_person"}),
    ],
    "api/v1/persons/<pk>/unmask/": [post(REGISTRY, params={"pk": "other_person"})],
    "api/v1/ventures/": [listing(REGISTRY | {"entrepreneur"})],
    "api/v1/ventures/<pk>/": [Case(REGISTRY | {"entrepreneur"}, {"pk": "own_venture"})],
    "api/v1/support-records/": [listing(REGISTRY | {"entrepreneur"})],
    "api/v1/support-records/<pk>/": [Case(REGISTRY | {"entrepreneur"}, {"pk": "own_support"})],
    "api/v1/job-records/": [listing(REGISTRY | {"entrepreneur"})],
    "api/v1/job-records/<pk>/": [Case(REGISTRY | {"entrepreneur"}, {"pk": "own_jobs"})],
    "api/v1/loan-applications/": [listing(OWN_LOAN)],
    "api/v1/loan-applications/<pk>/": [
        Case(OWN_LOAN, {"pk": "loan"}),
        Case(RETURNED_LOAN, {"pk": "returned_loan"}),
    ],
    "api/v1/loan-applications/<pk>/advance/": [
        post(OWN_LOAN, params={"pk": "loan"}),
        post(RETURNED_LOAN, params={"pk": "returned_loan"}),
    ],
    "api/v1/loan-applications/<pk>/return/": [post(RETURNED_LOAN, params={"pk": "returned_loan"})],
    "api/v1/loan-applications/<pk>/reject/": [post(RETURNED_LOAN, params={"pk": "returned_loan"})],
    "api/v1/loan-applications/<pk>/eligibility/": [
        Case(OWN_LOAN, {"pk": "loan"}),
        Case(RETURNED_LOAN, {"pk": "returned_loan"}),
    ],
    "api/v1/loan-applications/<pk>/resubmit/": [
        post(RETURNED_LOAN, params={"pk": "returned_loan"})
    ],
    "api/v1/loan-applications/<pk>/disburse/": [post(OWN_LOAN, params={"pk": "loan"})],
    "api/v1/loan-applications/<pk>/event/": [post(OWN_LOAN, params={"pk": "loan"})],
    "api/v1/loan-applications/<pk>/unmask/": [post(LOAN_PAGES, params={"pk": "loan"})],
    "api/v1/loan-applications/<pk>/materials/<mid>/": [
        Case(OWN_LOAN, {"pk": "loan", "mid": "material"})
    ],
    "api/v1/loan-applications/<pk>/schedule/": [Case(OWN_LOAN, {"pk": "loan"})],
    "api/v1/loan-applications/import-disbursements/": [post(BANK, forbid=LOAN_PAGES - BANK)],
    "api/v1/loan-applications/import-template/": [Case(BANK, forbid=LOAN_PAGES - BANK)],
    "api/v1/loan-subsidies/claim/": [post(BANK, forbid=LOAN_PAGES - BANK)],
    "api/v1/loan-subsidies/pay/": [
        post(frozenset({"loan_officer"}), forbid=LOAN_PAGES - {"loan_officer"})
    ],
    "api/v1/loan-policies/": [listing(LOAN_PAGES)],
    "api/v1/loan-policies/<pk>/": [Case(LOAN_PAGES, {"pk": "policy"})],
    "api/v1/loan-lpr-rates/": [listing(LOAN_PAGES)],
    "api/v1/loan-lpr-rates/<pk>/": [Case(LOAN_PAGES, {"pk": "lpr"})],
    "api/v1/loan-subsidies/": [listing(OWN_LOAN)],
    "api/v1/loan-subsidies/<pk>/": [Case(OWN_LOAN, {"pk": "subsidy"})],
    # --- 通报, 督办单 and 考核 over the API: 404 unseen, 403 seen but not theirs to change ---
    "api/v1/bulletins/": [listing(CITY_WIDE)],  # the world's only bulletin is a draft
    "api/v1/bulletins/<pk>/": [Case(CITY_WIDE, {"pk": "draft_bulletin"})],
    "api/v1/bulletins/<pk>/refresh/": [
        post(COORDINATORS, params={"pk": "draft_bulletin"}, forbid=CITY_WIDE - COORDINATORS)
    ],
    "api/v1/bulletins/<pk>/issue/": [
        post(COORDINATORS, params={"pk": "draft_bulletin"}, forbid=CITY_WIDE - COORDINATORS)
    ],
    "api/v1/bulletins/<pk>/download/<fmt>/": [
        Case(CITY_WIDE, {"pk": "draft_bulletin", "fmt": "xlsx"})
    ],
    "api/v1/bulletins/<pk>/charts/<chart>/": [
        Case(CITY_WIDE, {"pk": "draft_bulletin", "chart": "trend"})
    ],
    "api/v1/supervision-notices/": [listing(HUANCUI)],
    "api/v1/supervision-notices/candidates/": [Case(COORDINATORS, forbid=PLAN - COORDINATORS)],
    "api/v1/supervision-notices/<pk>/": [Case(HUANCUI, {"pk": "huancui_notice"})],
    "api/v1/supervision-notices/<pk>/docx/": [Case(HUANCUI, {"pk": "huancui_notice"})],
    "api/v1/supervision-notices/<pk>/reply/": [
        post(NOTICE_REPLIERS, params={"pk": "huancui_notice"}, forbid=HUANCUI - NOTICE_REPLIERS)
    ],
    "api/v1/supervision-notices/<pk>/close/": [
        post(COORDINATORS, params={"pk": "huancui_notice"}, forbid=HUANCUI - COORDINATORS)
    ],
    "api/v1/supervision-notices/<pk>/escalate/": [
        post(COORDINATORS, params={"pk": "huancui_notice"}, forbid=HUANCUI - COORDINATORS)
    ],
    "api/v1/assessments/": [Case(PLAN)],
    "api/v1/assessments/<year>/": [Case(PLAN, {"year": "2025"})],  # own scores; city-wide all
    "api/v1/assessments/<year>/xlsx/": [Case(CITY_WIDE, {"year": "2025"}, forbid=PLAN - CITY_WIDE)],
    "api/v1/assessments/<year>/scheme/": [
        Case(COORDINATORS, {"year": "2025"}, forbid=PLAN - COORDINATORS)
    ],
    "api/v1/assessments/<year>/self/": [
        post(SELF_ASSESSORS, params={"year": "2025"}, forbid=PLAN - SELF_ASSESSORS)
    ],
    # The 督办单 to 环翠区人社局 notified its staff; the other personas have no message.
    "api/v1/notifications/": [listing(frozenset({"reporter_huancui", "approver_huancui"}))],
    "api/v1/notifications/<pk>/": [
        Case(frozenset({"reporter_huancui"}), {"pk": "huancui_notification"})
    ],
    "api/v1/notifications/<pk>/read/": [
        post(frozenset({"reporter_huancui"}), params={"pk": "huancui_notification"})
    ],
}

#: (route, case index, persona) → what today's code does wrong. The table keeps the right answer.
KNOWN_PROBLEMS: dict[tuple[str, int, str], str] = {}


# --- the routes of the URL conf ----------------------------------------------------------------


def _walk(resolver: URLResolver, prefix: str) -> list[tuple[str, str]]:
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _walk(entry, route)
        elif isinstance(entry, URLPattern):
            found.append((route, entry.lookup_str))
    return found


def readable(route: str) -> str:
    """DRF router regexes as route templates: ``api/v1/^plans/(?P<pk>[^/.]+)/?$`` → ``…/<pk>/``."""
    route = re.sub(r"\(\?P<(\w+)>\[\^/\.\]\+\)", r"<\1>", route)
    return route.replace("^", "").replace("$", "").replace("/?", "/")


def skip_reason(route: str) -> str | None:
    if "(?P<format>" in route or "<drf_format_suffix:format>" in route:
        return FORMAT_SUFFIX
    return next((why for prefix, why in SKIPPED.items() if route.startswith(prefix)), None)


def routes() -> dict[str, str]:
    """Every route of the URL conf that the matrix covers, as template → view."""
    return {
        readable(route): view
        for route, view in _walk(get_resolver(), "")
        if skip_reason(route) is None
    }


def test_every_route_has_an_entry() -> None:
    found = routes()
    missing = sorted(set(found) - set(ROUTES))
    assert not missing, "routes without an entry in ROUTES (who may use them?):\n" + "\n".join(
        f"  {r}  ({found[r]})" for r in missing
    )
    stale = sorted(set(ROUTES) - set(found))
    assert not stale, f"ROUTES names routes that no longer exist: {stale}"
    for route, index, persona in KNOWN_PROBLEMS:
        assert route in ROUTES and index < len(ROUTES[route]) and persona in PERSONAS


# --- the world the requests run against ----------------------------------------------------------


@pytest.fixture
def world(plan: Any, personas: dict[str, Any], live_round: Any) -> dict[str, Any]:
    """Real objects for every route parameter, made through the services."""
    from chuangye.accounts.models import Department
    from chuangye.core.models import AuditEntry
    from chuangye.demo import configure_delivery_chain, configure_indicators
    from chuangye.plans import services as plan_services
    from chuangye.reporting import services
    from chuangye.reporting.duties import duties
    from chuangye.reporting.models import Notification

    configure_indicators(plan)
    configure_delivery_chain(plan)

    def figure(bureau: str, reporter: str, *, city: bool = False) -> Any:
        """A draft figure in a cell ``bureau`` reports this round (typed in, not registry-fed)."""
        department = Department.objects.get(code=bureau)
        duty = next(
            d
            for d in duties(plan, live_round.month, departments={department.pk})
            if not d.prefilled and (d.org_unit.parent_id is None) == city
        )
        return services.save_value(
            indicator=duty.indicator,
            org_unit=duty.org_unit,
            year=live_round.year,
            month=live_round.month,
            value="12",
            actor=personas[reporter],
        )

    huancui_value = figure("371002-rsj", "reporter_huancui")
    # Approved, so the 通报 below has a figure to chart.
    services.submit_values([huancui_value], actor=personas["reporter_huancui"])
    services.approve_value(huancui_value, actor=personas["approver_huancui"])
    figure("371003-rsj", "reporter_wendeng")
    rsj_value = figure("rsj", "reporter_rsj", city=True)
    from django.core.files.uploadedfile import SimpleUploadedFile

    rsj_attachment = services.add_attachment(
        rsj_value,
        SimpleUploadedFile("依据.pdf", b"%PDF-1.4 figures"),
        actor=personas["reporter_rsj"],
    )
    rsj_measure = plan.measures.filter(responsibilities__department__code="rsj").first()
    progress = services.save_progress(
        measure=rsj_measure,
        department=huancui_value.department,
        year=2025,
        quarter=2,
        narrative="环翠区创业担保贷款进展（仅本区及市级可见）",
        measure_status="behind",
        cause="审批周期长",
        remedy="开通绿色通道",
        remedy_due=dt.date(2025, 9, 30),
        actor=personas["reporter_huancui"],
    )
    draft = plan_services.create_draft(
        {"title": "待审方案", "sections": [], "measures": [], "targets": []},
        actor=personas["coordinator"],
        source_text="威海市某行动方案（待审）",
        source_name="待审方案.txt",
    )
    allocation = plan_services.propose_allocation(plan, actor=personas["coordinator"])
    plan_services.activate_allocation(allocation, actor=personas["coordinator"])
    note = Notification.objects.create(user=personas["reporter_huancui"], title="6月数据待填报")
    registry = _registry(personas)
    documents = _documents(plan, personas, rsj_measure)
    loans = _loans(personas, registry)
    return {
        "plan": plan.pk,
        "measure": plan.measures.order_by("number").first().pk,
        "rsj_measure": rsj_measure.pk,
        "target": plan.targets.filter(measure__isnull=True).order_by("order").first().pk,
        "draft": draft.pk,
        "huancui_value": huancui_value.pk,
        "rsj_value": rsj_value.pk,
        "rsj_attachment": rsj_attachment.pk,
        "huancui_progress": progress.pk,
        "allocation": allocation.pk,
        "huancui_notification": note.pk,
        "audit_entry": AuditEntry.objects.order_by("id").first().pk,  # type: ignore[union-attr]
        "round": live_round.pk,
        **registry,
        **documents,
        **loans,
        "huancui": "371002",
        "wendeng": "371003",
        "huancui_bureau": "371002-rsj",
        "rsj": "rsj",
    }


def resident_id(body: str) -> str:
    """A valid 18-digit resident ID number (GB 11643 check digit) from its first 17 digits."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def _registry(personas: dict[str, Any]) -> dict[str, int]:
    """The entrepreneur persona's own record, venture, support and jobs; someone else's record."""
    from chuangye.accounts.models import OrgUnit
    from chuangye.programs.entrepreneurs import services as registry

    officer = personas["street_officer"]
    huancui = OrgUnit.objects.get(code="371002")
    own = registry.register_person(
        name="演示创业者",
        id_number=resident_id("37100219900101123"),
        district=huancui,
        actor=officer,
        user=personas["entrepreneur"],
        target_group="graduate",
    )
    other = registry.register_person(
        name="另一位创业者",
        id_number=resident_id("37100219850505456"),
        district=huancui,
        actor=officer,
        target_group="graduate",
    )
    venture = registry.register_venture(
        name="演示小吃店",
        kind="individual",
        district=huancui,
        actor=officer,
        founders=[own],
        staff=3,
    )
    day = dt.date.today() - dt.timedelta(days=3)
    support = registry.record_support(
        person=own,
        support_type=registry.ensure_support_types()[0],
        date=day,
        amount=Decimal("10000"),
        actor=officer,
    )
    jobs = registry.record_jobs(venture=venture, date=day, jobs=3, basis="contracts", actor=officer)
    return {
        "own_person": own.pk,
        "other_person": other.pk,
        "own_venture": venture.pk,
        "own_support": support.pk,
        "own_jobs": jobs.pk,
    }


def _documents(plan: Any, personas: dict[str, Any], measure: Any) -> dict[str, int]:
    """A draft 通报 of the city, and a 督办单 to 环翠区人社局."""
    from chuangye.accounts.models import Department, OrgUnit
    from chuangye.documents import services as documents
    from chuangye.documents.periods import parse_period

    coordinator = personas["coordinator"]
    bulletin = documents.create_bulletin(
        plan,
        period=parse_period("2025-06"),
        org_unit=OrgUnit.objects.get(parent__isnull=True),
        actor=coordinator,
    )
    notice = documents.create_notice(
        plan,
        actor=coordinator,
        lead_department=Department.objects.get(code="371002-rsj"),
        measure=measure,
        subject="措施进展滞后",
        issue="环翠区二季度报告该措施滞后。",
        action="7月底前报送整改措施。",
        deadline=dt.date.today() + dt.timedelta(days=10),
    )
    return {"draft_bulletin": bulletin.pk, "huancui_notice": notice.pk}


def _loans(personas: dict[str, Any], registry: dict[str, int]) -> dict[str, int]:
    """The entrepreneur's own loan, disbursed and with its subsidy claimed; someone else's
    application in 环翠区, returned at the street step (so neither guarantor nor bank saw it)."""
    from chuangye.programs.entrepreneurs.models import Person, Venture
    from chuangye.programs.loans import services as loans
    from chuangye.programs.loans import subsidy, testing
    from chuangye.programs.loans.models import LoanPolicy, LprRate

    testing.setup(personas, PASSWORD)
    own = Person.objects.get(pk=registry["own_person"])
    application = testing.approve(
        personas, testing.apply(personas, own, Venture.objects.get(pk=registry["own_venture"]))
    )
    today = dt.date.today()
    loans.disburse(
        application,
        amount=application.approved_amount,
        disbursed_on=today,
        bank_loan_number="WH-MATRIX-1",
        actor=personas["bank_officer"],
    )
    bank = application.bank
    assert bank is not None
    claims = loans.claim_subsidies(
        bank=bank, actor=personas["bank_officer"], up_to=subsidy.add_months(today, 6)
    )
    other = Person.objects.get(pk=registry["other_person"])
    shop = testing.venture(personas, [other], name="另一家小店")
    theirs = testing.apply(personas, other, shop)
    loans.return_application(theirs, "请补充材料", actor=personas["street_officer"])
    return {
        "loan": application.pk,
        "returned_loan": theirs.pk,
        "material": application.materials.order_by("id").first().pk,  # type: ignore[union-attr]
        "subsidy": claims[0].pk,
        "policy": LoanPolicy.objects.order_by("id").first().pk,  # type: ignore[union-attr]
        "lpr": LprRate.objects.order_by("id").first().pk,  # type: ignore[union-attr]
    }


# --- one request and its verdict -----------------------------------------------------------------


def url_of(route: str, case: Case, world: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        value = case.params[match.group(1)]
        return str(world.get(value, value))  # an object of the world, or a literal ("xlsx")

    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route)
    return f"{path}?{case.query}" if case.query else path


def expected(case: Case, persona: str) -> str:
    if persona in case.allow:
        return "allow"
    if persona in case.empty:
        return "empty"
    if persona in case.forbid:
        return "forbid"
    return "deny"


def outcome(response: Any, *, api: bool) -> str:
    """Name what the response amounts to: allow, empty, forbid, deny, 405 or the status."""
    status = response.status_code
    if status == 200:
        if api and "json" in response.get("Content-Type", ""):
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("results"), list):
                return "allow" if body["results"] else "empty"
        return "allow"
    if status in (301, 302):
        location = response["Location"]
        if location.startswith("/login/"):
            return "deny"
        return "allow" if location.startswith("/") else f"redirect off-site {location}"
    if status == 404 or (api and status == 401):
        return "deny"
    if status == 403:
        return "forbid"
    if status == 405:
        return "405"
    return str(status)


def check(client: Client, route: str, case: Case, persona: str, world: dict[str, Any]) -> str:
    """Return the problem with this cell, or '' when the code does what the table says."""
    api = route.startswith("api/")
    url = url_of(route, case, world)
    want = expected(case, persona)
    if api and persona == "anonymous" and want == "deny":
        got = outcome(client.get(url), api=True)
        return "" if got in ("deny", "forbid") else f"GET {url}: {got}, expected 401"
    if case.method == "POST":
        if want == "allow":
            got = outcome(client.get(url), api=api)
            if persona == "anonymous" and route not in PUBLIC_POSTS:
                return "" if got == "deny" else f"GET {url}: {got}, expected the login page"
            return "" if got == "405" else f"GET {url}: {got}, expected 405 (POST only)"
        got = outcome(client.post(url, case.data), api=api)
        return "" if got == want else f"POST {url}: {got}, expected {want}"
    got = outcome(client.get(url), api=api)
    return "" if got == want else f"GET {url}: {got}, expected {want}"


def test_every_persona_gets_what_the_table_says(
    world: dict[str, Any], personas: dict[str, Any]
) -> None:
    clients = {}
    for persona in PERSONAS:
        client = Client()
        if persona != "anonymous":
            client.force_login(personas[persona])
        clients[persona] = client
    problems: dict[tuple[str, int, str], str] = {}
    for route, cases in ROUTES.items():
        for index, case in enumerate(cases):
            for persona in PERSONAS:
                problem = check(clients[persona], route, case, persona, world)
                if problem:
                    problems[(route, index, persona)] = problem
    unexpected = {k: v for k, v in problems.items() if k not in KNOWN_PROBLEMS}
    fixed = sorted(k for k in KNOWN_PROBLEMS if k not in problems)
    assert not unexpected, "\n".join(f"{p:<18} {msg}" for (_r, _i, p), msg in unexpected.items())
    assert not fixed, f"fixed: remove these from KNOWN_PROBLEMS: {fixed}"


@pytest.mark.parametrize(
    "url",
    [
        "/reporting/progress/",
        "/api/v1/progress-updates/",
        "/api/v1/data-values/",
        "/reporting/rounds/export/",
        "/cockpit/chain/",
    ],
)
def test_pages_of_a_district_do_not_show_another_districts_work(
    world: dict[str, Any], login: Any, url: str
) -> None:
    """Scoping holds inside allowed pages too: 文登区 sees none of 环翠区's figures or progress."""
    response = login("reporter_wendeng").get(url)
    assert response.status_code == 200
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(response.content)).active
        body = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row)
    else:
        body = response.content.decode()
    assert "文登" in body or url.endswith("progress/") or url.endswith("progress-updates/")
    assert "环翠区创业担保贷款进展" not in body and "环翠区人社局" not in body
    assert "371002-rsj" not in body


def test_readers_and_loan_partners_enter_no_registry_records(
    world: dict[str, Any], login: Any
) -> None:
    """A leader reads the registry without its entry forms; the bank and guarantor see no one."""
    page = login("leader").get("/programs/entrepreneurs/").content.decode()
    assert "/programs/entrepreneurs/new/" not in page and "演示创业者" in page
    detail = login("leader").get(f"/programs/entrepreneurs/{world['own_person']}/")
    assert 'id="support-form"' not in detail.content.decode()
    assert 'id="support-form"' in (
        login("street_officer")
        .get(f"/programs/entrepreneurs/{world['own_person']}/")
        .content.decode()
    )
    body = {"name": "某人", "id_number": resident_id("37100219950303123"), "district": "371002"}
    for name in ("leader", "coordinator", "bank_officer", "guarantor_officer"):
        response = login(name).post("/api/v1/persons/", body, content_type="application/json")
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    for name in ("bank_officer", "guarantor_officer"):
        assert login(name).get("/api/v1/persons/").json()["count"] == 0
        # Their own applicants stay in reach through the loan, masked.
        loan = login(name).get(f"/api/v1/loan-applications/{world['loan']}").json()
        assert loan["applicant_name"] == "演示创业者" and "*" in loan["applicant_id_masked"]


def test_the_platform_administrator_is_not_shown_clear_personal_data(
    world: dict[str, Any], login: Any
) -> None:
    """Clear numbers are for staff granted the unmask permission, not implied by superuser."""
    from chuangye.core.models import AuditEntry

    admin = login("admin")
    person = world["other_person"]
    page = admin.get(f"/programs/entrepreneurs/{person}/").content.decode()
    assert "另一位创业者" in page and "查看完整号码" not in page
    clear = resident_id("37100219850505456")
    shown = admin.post(f"/programs/entrepreneurs/{person}/unmask/", {"reason": "x"}, follow=True)
    assert clear not in shown.content.decode()
    api = admin.post(f"/api/v1/persons/{person}/unmask/", {"reason": "x"}, "application/json")
    assert api.status_code == 400 and clear not in api.content.decode()
    assert not AuditEntry.objects.filter(action="entrepreneurs.person.unmask").exists()
    officer = login("loan_officer").post(
        f"/api/v1/persons/{person}/unmask/", {"reason": "核对"}, "application/json"
    )
    assert officer.json() == {"value": clear}
