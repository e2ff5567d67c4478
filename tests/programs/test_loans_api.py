"""``/api/v1/loan-applications`` and ``/api/v1/loan-subsidies``: scoped, masked, via services."""

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from chuangye.accounts.models import Department
from chuangye.programs.loans import services, subsidy, testing
from chuangye.programs.loans.models import LoanApplication
from chuangye.programs.loans.testing import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loan_settings")]
PASSWORD = testing.PASSWORD
ID_A = testing.IDS[0]
BASE = "/api/v1/loan-applications"


@pytest.fixture
def world(borrower_world: dict[str, Any]) -> dict[str, Any]:
    return borrower_world


def form(world: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "venture": world["shop"].pk,
        "kind": "individual",
        "amount": "200000.00",
        "term_months": 36,
        "purpose": "购置设备",
        "consent": "true",
    }
    for kind, upload in testing.checklist():
        data[f"material_{kind}"] = upload
    data.update(changes)
    return data


def test_entrepreneur_applies_and_staff_advance_over_the_api(world: dict[str, Any]) -> None:
    me = client_for(world["entrepreneur"])
    created = me.post(BASE, form(world))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "street" and body["applicant_id_masked"] == "110105********002X"
    assert ID_A not in created.content.decode()
    pk = body["id"]

    street = client_for(world["street_officer"])
    rules = street.get(f"{BASE}/{pk}/eligibility").json()
    assert {r["code"]: r["passed"] for r in rules}["amount"] is True
    assert {r["code"]: r["passed"] for r in rules}["hiring"] is None
    wrong = client_for(world["loan_officer"]).post(
        f"{BASE}/{pk}/advance", {}, content_type="application/json"
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid"
    moved = street.post(f"{BASE}/{pk}/advance", {"note": "齐全"}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["status"] == "hrss"
    back = client_for(world["loan_officer"]).post(
        f"{BASE}/{pk}/return", {"reason": "请补充失业登记证明"}, content_type="application/json"
    )
    assert back.json()["status"] == "returned"
    mine = me.get(f"{BASE}/{pk}").json()
    assert mine["return_reason"] == "请补充失业登记证明" and mine["returned_from"] == "hrss"
    assert [s["action"] for s in mine["steps"]] == ["submit", "advance", "return"]


def test_refusals_carry_the_rules_and_save_nothing(world: dict[str, Any]) -> None:
    me = client_for(world["entrepreneur"])
    response = me.post(BASE, form(world, amount="200000.01", term_months=37))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "not_eligible" and "贷款额度" in body["message"]
    failed = {r["code"] for r in body["detail"]["rules"] if r["passed"] is False}
    assert failed == {"amount", "term"}
    assert me.post(BASE, form(world, consent="false")).status_code == 400
    assert not LoanApplication.objects.exists()


def test_another_person_and_another_district_get_404(world: dict[str, Any]) -> None:
    from chuangye.accounts.services import create_user, grant_role

    other = testing.borrower(world, id_number=testing.IDS[1], name="李某")
    theirs = testing.apply(world, other, testing.venture(world, [other], name="李某小店"))
    wendeng = create_user("street_wendeng", actor=None, password=PASSWORD)
    grant_role(
        wendeng, "programme_staff", actor=None, department=Department.objects.get(code="371003-rsj")
    )
    for user in (world["entrepreneur"], wendeng, world["outsider"], world["bank_officer"]):
        c = client_for(user)
        assert c.get(f"{BASE}/{theirs.pk}").status_code == 404
        assert c.post(f"{BASE}/{theirs.pk}/advance", {}).status_code == 404
        assert c.get(f"{BASE}/{theirs.pk}/eligibility").status_code == 404
        assert theirs.number not in c.get(BASE).content.decode()
    assert client_for(world["street_officer"]).get(f"{BASE}/{theirs.pk}").status_code == 200


def test_subsidies_are_listed_per_loan_and_period_masked(world: dict[str, Any]) -> None:
    person = world["shop"].founders.get()
    application = testing.approve(world, testing.apply(world, person, world["shop"]))
    today = timezone.localdate()
    services.disburse(
        application,
        amount="200000",
        disbursed_on=today,
        bank_loan_number="WH-API",
        actor=world["bank_officer"],
    )
    services.claim_subsidies(
        bank=Department.objects.get(code="bank-demo"),
        actor=world["bank_officer"],
        up_to=subsidy.add_months(today, 6),
    )
    period = subsidy.quarter_of(subsidy.add_months(today, 3) - dt.timedelta(days=1))
    staff = client_for(world["loan_officer"])
    rows = staff.get(
        f"/api/v1/loan-subsidies?application={application.number}&period={period}"
    ).json()["results"]
    assert len(rows) == 1 and rows[0]["period_no"] == 1
    assert Decimal(rows[0]["subsidy"]) > 0 and rows[0]["borrower_id_masked"].endswith("002X")
    everything = json.dumps(staff.get("/api/v1/loan-subsidies").json(), ensure_ascii=False)
    assert ID_A not in everything
    assert client_for(world["outsider"]).get("/api/v1/loan-subsidies").json()["results"] == []
    assert staff.get("/api/v1/loan-subsidies?period=2025Q9").status_code == 400
