"""Helpers the loan tests share: a registered borrower, the checklist's files, a loan on its way.

Kept in the package (as healthchecks keeps ``hc/test.py``) so the test modules import plain
functions instead of repeating set-up.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from chuangye.accounts.models import OrgUnit
from chuangye.programs.entrepreneurs import services as registry
from chuangye.programs.entrepreneurs.models import Person, Venture
from chuangye.programs.loans import services
from chuangye.programs.loans.choices import REQUIRED_MATERIALS, LoanKind
from chuangye.programs.loans.demo import ensure_loan_setup
from chuangye.programs.loans.models import LoanApplication

PDF = b"%PDF-1.4\n% test material\n%%EOF\n"
PASSWORD = "Test-Passw0rd!"  # noqa: S105 - the test users' password, never a real one
#: Valid resident IDs (check characters correct) that no demo generator produces.
IDS = (
    "11010519491231002X",
    "440524188001010014",
    "110101199003074477",
    "110101199003075170",
    "110101199003076413",
    "110101199003072957",
    "110101198501011239",
    "110101198501012346",
    "110101198501013453",
)
CREDIT_CODE = "91110000600037341L"


def pdf(name: str = "材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def checklist(kind: str = LoanKind.INDIVIDUAL) -> list[tuple[str, Any]]:
    return [(k, pdf()) for k in REQUIRED_MATERIALS[kind]]


def setup(personas: dict[str, Any], password: str) -> dict[str, Any]:
    """The guarantor, the bank and their officers (personas gains them); returns the personas."""
    from chuangye.accounts.models import User

    ensure_loan_setup(password=password)
    personas.update({u.username: u for u in User.objects.filter(username__endswith="_officer")})
    return personas


def borrower(
    personas: dict[str, Any],
    *,
    id_number: str = IDS[0],
    name: str = "王某一",
    district: str = "371002",
    target_group: str = "graduate",
    user: Any = None,
) -> Person:
    """A registered person (linked to ``user`` when given) entered by the district's officer."""
    unit = OrgUnit.objects.get(code=district)
    actor = personas["street_officer"] if district == "371002" else personas["loan_officer"]
    return registry.register_person(
        name=name,
        id_number=id_number,
        district=unit,
        actor=actor,
        phone="13912345678",
        target_group=target_group,
        user=user,
    )


def venture(
    personas: dict[str, Any],
    founders: list[Person],
    *,
    kind: str = "individual",
    staff: int = 3,
    credit_code: str = "",
    name: str = "威海测试小店",
) -> Venture:
    district = founders[0].district
    actor = personas["street_officer"] if district.code == "371002" else personas["loan_officer"]
    return registry.register_venture(
        name=name,
        kind=kind,
        district=district,
        actor=actor,
        founders=founders,
        credit_code=credit_code or (CREDIT_CODE if kind == "enterprise" else ""),
        staff=staff,
    )


def apply(
    personas: dict[str, Any],
    person: Person,
    shop: Venture,
    *,
    amount: Any = Decimal(200_000),
    term: int = 36,
    kind: str = LoanKind.INDIVIDUAL,
    partners: list[Person] | None = None,
    staff_count: int | None = None,
    new_hires: int = 0,
    actor: Any = None,
) -> LoanApplication:
    return services.submit_application(
        applicant=person,
        venture=shop,
        kind=kind,
        amount=amount,
        term_months=term,
        purpose="购置设备",
        partners=partners or [],
        staff_count=staff_count,
        new_hires=new_hires,
        materials=checklist(kind),
        consent=True,
        actor=actor or personas["street_officer"],
    )


def street_officer(personas: dict[str, Any], district: str) -> Any:
    """The receiving officer of a district's HR bureau (环翠区 has the demo persona)."""
    from chuangye.accounts.models import Department, User
    from chuangye.accounts.services import create_user, grant_role

    if district == "371002":
        return personas["street_officer"]
    username = f"street_{district}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = create_user(username, actor=None, password=None)
        department = Department.objects.get(code=f"{district}-rsj")
        grant_role(user, "programme_staff", actor=None, department=department)
        personas[username] = user
    return user


def approve(
    personas: dict[str, Any],
    application: LoanApplication,
    *,
    rate: str = "3.50",
    today: dt.date | None = None,
) -> LoanApplication:
    """Through street, 人社, guarantor and bank: ready for disbursement."""
    street = street_officer(personas, application.district.code)
    for actor in (street, personas["loan_officer"], personas["guarantor_officer"]):
        application = services.advance(application, actor=actor)
    return services.advance(
        application,
        actor=personas["bank_officer"],
        approved_amount=application.amount,
        rate=rate,
        today=today,
    )


def client_for(user: Any) -> Any:
    """A test client signed in as ``user``."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
