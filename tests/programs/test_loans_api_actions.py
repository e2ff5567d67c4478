"""The loan pages' remaining capabilities over ``/api/v1/``: disbursement (one by one or the
bank's list), loan events, schedule, materials, unmask, subsidy claim and payment."""

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from chuangye.core.models import AuditEntry
from chuangye.programs.loans import imports, services, subsidy, testing
from chuangye.programs.loans.models import LoanApplication, SubsidyClaim
from chuangye.programs.loans.testing import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loan_settings")]
PASSWORD = testing.PASSWORD
BASE = "/api/v1/loan-applications"


@pytest.fixture
def world(borrower_world: dict[str, Any]) -> dict[str, Any]:
    """An application of the entrepreneur persona, approved by the bank (ready to disburse)."""
    w = borrower_world
    w["approved"] = testing.approve(w, testing.apply(w, w["person"], w["shop"]))
    return w


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def test_bank_disburses_records_events_and_claims_over_the_api(world: dict[str, Any]) -> None:
    pk = world["approved"].pk
    today = timezone.localdate()
    body = {"amount": "200000.00", "disbursed_on": today.isoformat(), "bank_loan_number": "WH-9"}
    street = client_for(world["street_officer"])
    refused = post(street, f"{BASE}/{pk}/disburse", body)
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"
    bank = client_for(world["bank_officer"])
    bad = post(bank, f"{BASE}/{pk}/disburse", {**body, "disbursed_on": "soon"})
    assert bad.status_code == 400 and "disbursed_on" in bad.json()["detail"]
    done = post(bank, f"{BASE}/{pk}/disburse", body)
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "repaying" and done.json()["loan"]["bank_loan_number"] == "WH-9"
    assert AuditEntry.objects.filter(action__startswith="loans.", object_id=str(pk)).exists()

    schedule = client_for(world["entrepreneur"]).get(f"{BASE}/{pk}/schedule").json()
    assert schedule[0]["number"] == 1 and Decimal(schedule[0]["subsidy"]) > 0
    assert all(p["claim_status"] is None for p in schedule)

    guarantor = client_for(world["guarantor_officer"])
    assert post(guarantor, "/api/v1/loan-subsidies/claim").status_code == 403
    with_claims = post(bank, "/api/v1/loan-subsidies/claim")
    assert with_claims.status_code == 200 and with_claims.json() == []  # no period ended yet
    # Six months on, the first periods have ended: claimed through the service's own date.
    made = services.claim_subsidies(
        bank=world["approved"].bank,
        actor=world["bank_officer"],
        up_to=subsidy.add_months(today, 6),
    )
    period = subsidy.quarter_of(made[0].period_end)
    assert post(bank, "/api/v1/loan-subsidies/pay", {"period": period}).status_code == 403
    hrss = client_for(world["loan_officer"])
    bad_period = post(hrss, "/api/v1/loan-subsidies/pay", {"period": "Q5"})
    assert bad_period.status_code == 400 and "period" in bad_period.json()["detail"]
    paid = post(hrss, "/api/v1/loan-subsidies/pay", {"period": period})
    assert paid.status_code == 200 and paid.json()["paid"] >= 1
    assert SubsidyClaim.objects.get(pk=made[0].pk).status == "paid"
    listed = hrss.get("/api/v1/loan-subsidies", {"period": period}).json()["results"]
    assert listed and all(r["borrower_id"] is None for r in listed)
    assert testing.IDS[0] not in str(listed)
    full = hrss.get("/api/v1/loan-subsidies", {"period": period, "full": "true"})
    assert full.status_code == 200 and "no-store" in full["Cache-Control"]
    assert {r["borrower_id"] for r in full.json()["results"]} == {testing.IDS[0]}
    export = AuditEntry.objects.get(action="loans.export.subsidy_statement")
    assert export.after["unmasked"] is True and export.after["persons"]
    for name in ("street_officer", "bank_officer", "leader"):
        refused = client_for(world[name]).get("/api/v1/loan-subsidies", {"full": "true"})
        assert refused.status_code == 403
    assert client_for(world["entrepreneur"]).get("/api/v1/loan-subsidies?full=1").status_code == 404
    row = client_for(world["bank_officer"]).get(f"{BASE}/{pk}/schedule").json()[0]
    assert row["claim_status"] == "paid"

    overdue = post(bank, f"{BASE}/{pk}/event", {"action": "overdue", "on": today.isoformat()})
    assert overdue.status_code == 200 and overdue.json()["status"] == "overdue"
    wrong = post(bank, f"{BASE}/{pk}/event", {"action": "explode", "on": today.isoformat()})
    assert wrong.status_code == 400
    settled = post(bank, f"{BASE}/{pk}/event", {"action": "settle", "on": today.isoformat()})
    assert settled.status_code == 200 and settled.json()["status"] == "settled"


def test_materials_and_unmask_are_scoped_and_audited(world: dict[str, Any]) -> None:
    pk = world["approved"].pk
    me = client_for(world["entrepreneur"])
    detail = me.get(f"{BASE}/{pk}").json()
    assert detail["materials"] and {"id", "kind", "label"} <= set(detail["materials"][0])
    mid = detail["materials"][0]["id"]
    file = me.get(f"{BASE}/{pk}/materials/{mid}")
    assert file.status_code == 200 and b"".join(file.streaming_content).startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="loans.material.download").count() == 1
    assert me.get(f"{BASE}/{pk}/materials/999999").status_code == 404
    assert me.get(f"{BASE}/{pk}/materials/x").status_code == 404
    assert client_for(world["outsider"]).get(f"{BASE}/{pk}/materials/{mid}").status_code == 404

    assert post(me, f"{BASE}/{pk}/unmask").status_code == 404  # staff only
    denied = post(client_for(world["street_officer"]), f"{BASE}/{pk}/unmask")
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    shown = post(client_for(world["loan_officer"]), f"{BASE}/{pk}/unmask", {"reason": "核对"})
    assert shown.status_code == 200 and shown.json()["value"] == testing.IDS[0]
    assert "no-store" in shown["Cache-Control"]
    entry = AuditEntry.objects.get(action="entrepreneurs.person.unmask")
    assert entry.after["reason"] == "核对"


def _sheet(application: LoanApplication, day: dt.date) -> SimpleUploadedFile:
    assert application.applicant is not None
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("放款")
    ws.append(list(imports.HEADERS))
    ws.append(
        [
            application.number,
            application.applicant.name,
            application.applicant.id_masked[-4:],
            200000,
            day,
            "WH-IMPORT-1",
        ]
    )
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("放款.xlsx", out.getvalue())


def test_bank_imports_its_disbursement_list(world: dict[str, Any]) -> None:
    bank = client_for(world["bank_officer"])
    template = bank.get(f"{BASE}/import-template")
    assert template.status_code == 200
    header = next(load_workbook(io.BytesIO(template.content)).active.iter_rows(values_only=True))
    assert tuple(header) == imports.HEADERS
    for name in ("street_officer", "loan_officer", "leader"):
        assert client_for(world[name]).get(f"{BASE}/import-template").status_code == 403
    assert client_for(world["outsider"]).get(f"{BASE}/import-template").status_code == 404

    junk = SimpleUploadedFile("放款.xlsx", b"not a workbook")
    refused = bank.post(f"{BASE}/import-disbursements", {"file": junk})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"
    assert refused.json()["detail"]["errors"]
    other_bank = bank.post(
        f"{BASE}/import-disbursements",
        {"file": _sheet(world["approved"], timezone.localdate()), "bank": "rsj"},
    )
    assert other_bank.status_code == 400
    done = bank.post(
        f"{BASE}/import-disbursements", {"file": _sheet(world["approved"], timezone.localdate())}
    )
    assert done.status_code == 201, done.content
    assert done.json()["loans"] == 1 and Decimal(done.json()["amount"]) == Decimal(200000)
    world["approved"].refresh_from_db()
    assert world["approved"].status == "repaying"
    forbidden = client_for(world["loan_officer"]).post(
        f"{BASE}/import-disbursements", {"file": _sheet(world["approved"], timezone.localdate())}
    )
    assert forbidden.status_code == 403


def test_lpr_table_is_read_by_loan_staff_and_kept_by_hrss(world: dict[str, Any]) -> None:
    url = "/api/v1/loan-lpr-rates"
    rows = client_for(world["bank_officer"]).get(url).json()["results"]
    assert rows and rows == sorted(rows, key=lambda r: r["effective_on"], reverse=True)
    assert client_for(world["outsider"]).get(url).json()["results"] == []
    assert client_for(world["entrepreneur"]).get(url).json()["results"] == []
    new = {"effective_on": "2099-01-20", "one_year": "2.95", "source": "全国银行间同业拆借中心"}
    for name in ("bank_officer", "street_officer", "leader"):
        refused = post(client_for(world[name]), url, new)
        assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    hrss = client_for(world["loan_officer"])
    created = post(hrss, url, new)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert post(hrss, url, new).status_code == 400  # one row per date
    assert (
        post(hrss, url, {**new, "effective_on": "2099-02-20", "one_year": "x"}).status_code == 400
    )
    fixed = hrss.patch(f"{url}/{pk}", {"one_year": "3.00"}, content_type="application/json")
    assert fixed.status_code == 200 and fixed.json()["one_year"] == "3.00"
    assert fixed.json()["source"] == new["source"]
    entries = AuditEntry.objects.filter(action="loans.lpr.save", object_id=str(pk))
    assert [e.after["one_year"] for e in entries.order_by("id")] == ["2.95", "3.00"]


def test_policies_are_read_by_loan_staff(world: dict[str, Any]) -> None:
    rows = client_for(world["bank_officer"]).get("/api/v1/loan-policies").json()["results"]
    assert rows and {"individual_cap", "eligible_groups", "effective_from"} <= set(rows[0])
    assert "consent_text" not in rows[0]
    for name in ("outsider", "entrepreneur", "reporter_huancui"):
        assert client_for(world[name]).get("/api/v1/loan-policies").json()["results"] == []


def test_a_returned_application_is_resubmitted(world: dict[str, Any]) -> None:
    person = testing.borrower(world, id_number=testing.IDS[1], name="李某")
    shop = testing.venture(world, [person], name="李某小店")
    application = testing.apply(world, person, shop)
    street = client_for(world["street_officer"])
    back = post(street, f"{BASE}/{application.pk}/return", {"reason": "请补充项目计划书"})
    assert back.json()["status"] == "returned"
    refused = post(street, f"{BASE}/{application.pk}/resubmit", {"consent": False})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"
    plan = testing.pdf("计划书.pdf")
    again = street.post(
        f"{BASE}/{application.pk}/resubmit",
        {"consent": "true", "purpose": "购置设备及原材料", "material_business_plan": plan},
    )
    assert again.status_code == 200, again.content
    body = again.json()
    assert body["status"] == "street" and body["purpose"] == "购置设备及原材料"
    assert [s["action"] for s in body["steps"]][-1] == "resubmit"
    assert post(street, f"{BASE}/{application.pk}/resubmit", {"consent": True}).status_code == 400
    other = client_for(world["bank_officer"])
    assert post(other, f"{BASE}/{application.pk}/resubmit", {"consent": True}).status_code == 404
