"""Loan pages: apply, follow the stages, review, exports; masked everywhere, scoped to 404."""

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from chuangye.core.models import AuditEntry
from chuangye.programs.entrepreneurs.models import Person, Venture
from chuangye.programs.loans import services, subsidy, testing
from chuangye.programs.loans.models import LoanApplication, LprRate
from chuangye.programs.loans.testing import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loan_settings")]
PASSWORD = testing.PASSWORD
ID_A = testing.IDS[0]
MASKED_A = "110105********002X"


@pytest.fixture
def world(borrower_world: dict[str, Any]) -> dict[str, Any]:
    return borrower_world


def html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_entrepreneur_applies_on_the_page_and_follows_the_stages(world: dict[str, Any]) -> None:
    me = client_for(world["entrepreneur"])
    page = html(me.get("/programs/loans/apply/"))
    assert "个人信息处理授权书" in page and "本人自愿申请创业担保贷款" in page
    assert "合伙协议" in page and 'name="consent"' in page and "<script>" not in page
    data: dict[str, Any] = {
        "venture": world["shop"].pk,
        "kind": "individual",
        "amount": "150000",
        "term_months": "36",
        "purpose": "购置咖啡机",
        "bank": world["bank_officer"].memberships.get().department_id,
    }
    data.update({f"material_{k}": f for k, f in testing.checklist()})
    refused = me.post("/programs/loans/apply/", {**data, "amount": "250000", "consent": "on"})
    assert refused.status_code == 400 and "贷款额度" in refused.content.decode()
    assert not LoanApplication.objects.exists()
    data.update({f"material_{k}": f for k, f in testing.checklist()})
    response = me.post("/programs/loans/apply/", {**data, "consent": "on"})
    application = LoanApplication.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{application.pk}/")
    detail = html(me.get(f"/programs/loans/{application.pk}/"))
    assert "街道收件初审（办理中）" in detail and "eligibility" not in detail

    services.return_application(
        services.advance(application, actor=world["street_officer"]),
        "请补充失业登记证明",
        actor=world["loan_officer"],
    )
    mine = html(me.get("/programs/loans/mine/"))
    assert "人社审查（已退回）" in mine and "退回原因：请补充失业登记证明" in mine
    assert f"/programs/loans/{application.pk}/resubmit/" in mine
    resubmit = {
        "amount": "150000",
        "term_months": "24",
        "purpose": "购置咖啡机",
        "consent": "on",
        "material_target_group": testing.pdf(),
    }
    assert me.post(f"/programs/loans/{application.pk}/resubmit/", resubmit).status_code == 302
    application.refresh_from_db()
    assert application.status == "street" and application.term_months == 24


def test_staff_review_on_the_page_with_the_eligibility_table(world: dict[str, Any]) -> None:
    application = testing.apply(world, world["person"], world["shop"])
    street = client_for(world["street_officer"])
    queue = html(street.get("/programs/loans/"))
    assert application.number in queue and MASKED_A in queue and ID_A not in queue
    page = html(street.get(f"/programs/loans/{application.pk}/"))
    assert 'data-rule="amount" data-state="pass"' in page
    assert "申请 200,000.00 元；个人创业上限：200,000.00 元" in page
    assert 'data-rule="hiring" data-state="na"' in page and ID_A not in page
    assert (
        street.post(f"/programs/loans/{application.pk}/act/", {"action": "return"}).status_code
        == 302
    )
    application.refresh_from_db()
    assert application.status == "street"  # a return without a reason is refused
    street.post(f"/programs/loans/{application.pk}/act/", {"action": "advance", "reason": "齐全"})
    application.refresh_from_db()
    assert application.status == "hrss"
    hrss = client_for(world["loan_officer"])
    hrss.post(f"/programs/loans/{application.pk}/act/", {"action": "advance"})
    client_for(world["guarantor_officer"]).post(
        f"/programs/loans/{application.pk}/act/", {"action": "advance"}
    )
    bank = client_for(world["bank_officer"])
    bank.post(
        f"/programs/loans/{application.pk}/act/",
        {"action": "advance", "approved_amount": "200000", "rate": "3.45"},
    )
    today = timezone.localdate()
    bank.post(
        f"/programs/loans/{application.pk}/disburse/",
        {"amount": "200000", "disbursed_on": today.isoformat(), "bank_loan_number": "WH-PAGE"},
    )
    application.refresh_from_db()
    assert application.status == "repaying"
    schedule = html(hrss.get(f"/programs/loans/{application.pk}/schedule/"))
    assert "还款计划与贴息明细" in schedule and MASKED_A in schedule and ID_A not in schedule


def test_scoping_on_pages(world: dict[str, Any]) -> None:
    from chuangye.accounts.models import Department
    from chuangye.accounts.services import create_user, grant_role

    other = testing.borrower(world, id_number=testing.IDS[1], name="李某")
    theirs = testing.apply(world, other, testing.venture(world, [other], name="李某小店"))
    wendeng = create_user("street_wendeng", actor=None, password=PASSWORD)
    grant_role(
        wendeng, "programme_staff", actor=None, department=Department.objects.get(code="371003-rsj")
    )
    for user in (world["entrepreneur"], wendeng, world["outsider"]):
        c = client_for(user)
        assert c.get(f"/programs/loans/{theirs.pk}/").status_code == 404
        assert c.post(f"/programs/loans/{theirs.pk}/act/", {"action": "advance"}).status_code == 404
    assert client_for(world["outsider"]).get("/programs/loans/").status_code == 404
    assert client_for(world["entrepreneur"]).get("/programs/loans/import/").status_code == 404
    assert client_for(world["street_officer"]).get("/programs/loans/import/").status_code == 404


def test_staff_entry_refuses_bad_id_and_credit_code_saving_nothing(world: dict[str, Any]) -> None:
    street = client_for(world["street_officer"])
    base: dict[str, Any] = {
        "name": "周某",
        "id_number": "110101199003074478",  # wrong check character
        "target_group": "veteran",
        "district": world["shop"].district_id,
        "venture_name": "周某有限公司",
        "venture_kind": "enterprise",
        "credit_code": "91110000600037341L",
        "kind": "enterprise",
        "amount": "1000000",
        "term_months": "24",
        "purpose": "扩大生产",
        "staff_count": "20",
        "new_hires": "3",
        "bank": world["bank_officer"].memberships.get().department_id,
        "consent": "on",
    }
    persons, ventures = Person.objects.count(), Venture.objects.count()
    bad_id = street.post("/programs/loans/new/", {**base, **_files("enterprise")})
    assert bad_id.status_code == 400 and "校验位" in bad_id.content.decode()
    bad_code = street.post(
        "/programs/loans/new/",
        {**base, "id_number": "110101199003074477", "credit_code": "91110000600037341X"},
    )
    assert bad_code.status_code == 400 and "统一社会信用代码校验位" in bad_code.content.decode()
    assert (Person.objects.count(), Venture.objects.count()) == (persons, ventures)
    assert not LoanApplication.objects.exists()
    ok = street.post(
        "/programs/loans/new/",
        {**base, "id_number": "110101199003074477", **_files("enterprise")},
    )
    assert ok.status_code == 302
    application = LoanApplication.objects.get()
    assert application.kind == "enterprise" and application.venture.credit_code.endswith("41L")


def _files(kind: str) -> dict[str, Any]:
    return {f"material_{k}": f for k, f in testing.checklist(kind)}


def test_exports_are_masked_audited_and_full_only_with_permission(world: dict[str, Any]) -> None:
    application = testing.approve(world, testing.apply(world, world["person"], world["shop"]))
    today = timezone.localdate()
    services.disburse(
        application,
        amount="200000",
        disbursed_on=today,
        bank_loan_number="WH-X",
        actor=world["bank_officer"],
    )
    from chuangye.accounts.models import Department

    services.claim_subsidies(
        bank=Department.objects.get(code="bank-demo"),
        actor=world["bank_officer"],
        up_to=subsidy.add_months(today, 3),
    )
    period = subsidy.quarter_of(subsidy.add_months(today, 3) - dt.timedelta(days=1))

    def sheet_text(response: Any) -> str:
        wb = load_workbook(io.BytesIO(response.content), read_only=True)
        return " ".join(str(v) for r in wb.worksheets[0].iter_rows(values_only=True) for v in r)

    street = client_for(world["street_officer"])
    page = html(street.get(f"/programs/loans/subsidies/?period={period}"))
    assert MASKED_A in page and ID_A not in page
    masked = sheet_text(
        street.get(f"/programs/loans/subsidies/?period={period}&format=xlsx&full=1")
    )
    assert MASKED_A in masked and ID_A not in masked and "WH-X" in masked
    full = sheet_text(
        client_for(world["loan_officer"]).get(
            f"/programs/loans/subsidies/?period={period}&format=xlsx&full=1"
        )
    )
    assert ID_A in full
    statement = sheet_text(street.get(f"/programs/loans/{application.pk}/schedule/?format=xlsx"))
    assert MASKED_A in statement and ID_A not in statement
    exports = AuditEntry.objects.filter(action__startswith="loans.export.").order_by("id")
    assert [(e.actor_name, e.after["unmasked"]) for e in exports] == [
        ("street_officer", False),
        ("loan_officer", True),
        ("street_officer", False),
    ]
    assert exports[1].after["persons"] == [world["person"].pk]
    for entry in AuditEntry.objects.all():
        assert ID_A not in f"{entry.before} {entry.after} {entry.object_repr}"


def test_unmask_on_the_page_is_logged_and_admin_is_masked(world: dict[str, Any]) -> None:
    application = testing.apply(world, world["person"], world["shop"])
    officer = client_for(world["loan_officer"])
    detail = html(officer.get(f"/programs/loans/{application.pk}/"))
    assert "查看完整号码" in detail and ID_A not in detail
    shown = html(officer.post(f"/programs/loans/{application.pk}/unmask/", {"reason": "核对"}))
    assert ID_A in shown
    assert AuditEntry.objects.filter(action="entrepreneurs.person.unmask").count() == 1
    street = client_for(world["street_officer"])
    assert "查看完整号码" not in html(street.get(f"/programs/loans/{application.pk}/"))
    street.post(f"/programs/loans/{application.pk}/unmask/", {"reason": "x"})
    assert AuditEntry.objects.filter(action="entrepreneurs.person.unmask").count() == 1
    admin = client_for(world["admin"])
    listing = html(admin.get("/admin/loans/loanapplication/"))
    assert MASKED_A in listing and ID_A not in listing
    change = html(admin.get(f"/admin/loans/loanapplication/{application.pk}/change/"))
    assert ID_A not in change


def test_material_download_is_scoped_and_audited(world: dict[str, Any]) -> None:
    application = testing.apply(world, world["person"], world["shop"])
    item = application.materials.first()
    url = f"/programs/loans/{application.pk}/materials/{item.pk}/"
    got = client_for(world["entrepreneur"]).get(url)
    assert got.status_code == 200 and b"".join(got.streaming_content).startswith(b"%PDF")
    assert client_for(world["outsider"]).get(url).status_code == 404
    assert AuditEntry.objects.filter(action="loans.material.download").count() == 1


def test_policy_and_lpr_pages_edit_with_audit(world: dict[str, Any]) -> None:
    officer = client_for(world["loan_officer"])
    page = html(officer.get("/programs/loans/policy/"))
    assert "威海市创业担保贷款政策（2023）" in page and "待核实" in page and "3.00%" in page
    response = officer.post(
        "/programs/loans/lpr/new/",
        {"effective_on": "2026-10-20", "one_year": "2.90", "source": "演示", "note": ""},
    )
    assert response.status_code == 302
    assert LprRate.objects.get(effective_on="2026-10-20").one_year == Decimal("2.90")
    assert AuditEntry.objects.filter(action="loans.lpr.save").count() == 1
    assert client_for(world["street_officer"]).get("/programs/loans/lpr/new/").status_code == 404
    form = html(officer.get("/programs/loans/policy/new/"))
    assert 'name="individual_cap"' in form and 'value="200000.00"' in form
