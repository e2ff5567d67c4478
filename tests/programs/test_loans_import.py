"""The bank's disbursement list: matched rows are saved together, any bad row saves nothing."""

import datetime as dt
import io
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import ProtectedError
from django.utils import timezone
from openpyxl import Workbook

from chuangye.accounts.models import Department
from chuangye.core.models import AuditEntry
from chuangye.core.testing import excel_stored
from chuangye.monitoring import facts
from chuangye.monitoring.models import Fact
from chuangye.plans.models import Plan
from chuangye.plans.services import configure_indicator
from chuangye.programs.entrepreneurs import services as registry
from chuangye.programs.entrepreneurs.metrics import SUPPORTED
from chuangye.programs.entrepreneurs.models import SupportRecord
from chuangye.programs.loans import imports, services, testing
from chuangye.programs.loans.choices import Status
from chuangye.programs.loans.metrics import DISBURSED
from chuangye.programs.loans.models import DisbursementImport, Loan, LoanApplication

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loan_settings")]
PASSWORD = testing.PASSWORD


@pytest.fixture
def approved(plan: Plan, personas: dict[str, Any]) -> dict[str, Any]:
    """Three bank-approved applications (环翠区 ×2, 荣成市) and one still at 人社审查."""
    testing.setup(personas, PASSWORD)
    registry.ensure_support_types()
    configure_indicator(
        plan.indicators.get(name__contains="创业担保贷款"), actor=None, source=DISBURSED
    )
    configure_indicator(plan.indicators.get(name="扶持创业"), actor=None, source=SUPPORTED)
    apps = []
    for i, district in enumerate(("371002", "371002", "371082", "371002")):
        person = testing.borrower(
            personas, id_number=testing.IDS[i], name=f"测试{i}", district=district
        )
        shop = testing.venture(personas, [person], name=f"测试店{i}")
        actor = personas["street_officer"] if district == "371002" else personas["loan_officer"]
        application = testing.apply(personas, person, shop, amount=Decimal(150_000), actor=actor)
        if i < 3:
            application = testing.approve(personas, application)
        else:
            application = services.advance(application, actor=personas["street_officer"])
        apps.append(application)
    return {"personas": personas, "apps": apps, "bank": Department.objects.get(code="bank-demo")}


def workbook(rows: list[tuple[Any, ...]], header: tuple[str, ...] = imports.HEADERS) -> io.BytesIO:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("放款")
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def row(app: LoanApplication, **changes: Any) -> tuple[Any, ...]:
    assert app.applicant is not None
    values = {
        "number": app.number,
        "name": app.applicant.name,
        "id4": app.applicant.id_masked[-4:],
        "amount": 150000,
        "date": timezone.localdate(),
        "loan": f"BANK-{app.pk}",
    }
    values.update(changes)
    return tuple(values.values())


def test_matching_rows_are_disbursed_together(plan: Plan, approved: dict[str, Any]) -> None:
    a, b, c, _ = approved["apps"]
    officer = approved["personas"]["bank_officer"]
    result = imports.import_disbursements(
        workbook([row(a), row(b, amount="149,000.50"), row(c)]),
        bank=approved["bank"],
        actor=officer,
        file_name="放款.xlsx",
    )
    assert result.loans == 3 and result.amount == Decimal("449000.50")
    assert set(
        LoanApplication.objects.filter(status=Status.REPAYING).values_list("pk", flat=True)
    ) == {
        a.pk,
        b.pk,
        c.pk,
    }
    assert Loan.objects.get(application=b).amount == Decimal("149000.50")
    assert SupportRecord.objects.filter(source="loans").count() == 3
    today = timezone.localdate()
    loans = {
        f.org_unit.code: f.value
        for f in Fact.objects.filter(
            indicator__source=DISBURSED, year=today.year, month=today.month
        )
    }
    assert loans == {
        "371002": Decimal("299000.50"),
        "371082": Decimal(150_000),
        "371000": Decimal("449000.50"),
    }
    supported = Fact.objects.get(
        indicator__source=SUPPORTED, org_unit__code="371000", year=today.year, month=today.month
    )
    assert supported.value == 3
    assert facts.check() == []
    entry = AuditEntry.objects.get(action="loans.loan.import")
    assert entry.after["loans"] == 3 and len(entry.after["sha256"]) == 64
    steps = b.steps.values_list("action", flat=True)
    assert list(steps)[-1] == "disburse"


@pytest.mark.parametrize("batch", [imports.BATCH, 1])
def test_any_bad_row_saves_nothing_and_every_problem_is_listed(
    approved: dict[str, Any], batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With one row per batch, duplicates are found in the database, not in the batch at hand.
    monkeypatch.setattr(imports, "BATCH", batch)
    a, b, c, waiting = approved["apps"]
    officer = approved["personas"]["bank_officer"]
    services.disburse(
        c,
        amount="150000",
        disbursed_on=timezone.localdate(),
        bank_loan_number="EARLIER-1",
        actor=officer,
    )
    before = (Loan.objects.count(), SupportRecord.objects.count(), Fact.objects.count())
    rows = [
        row(a),  # 2: fine on its own
        row(a, loan="BANK-X"),  # 3: same application again
        ("DK2099999999", "某某", "1234", 1000, timezone.localdate(), "BANK-U"),  # 4: unknown
        row(waiting),  # 5: not yet approved by the bank
        row(c, loan="BANK-C2"),  # 6: already disbursed
        row(b, loan="EARLIER-1"),  # 7: bank loan number already used
        row(b, name="别人", loan="BANK-N"),  # 8: name mismatch
        row(b, id4="0000", loan="BANK-I"),  # 9: ID mismatch
        row(b, amount=150000.01, loan="BANK-A"),  # 10: over the approved amount
        row(b, date=timezone.localdate() + dt.timedelta(days=1), loan="BANK-D"),  # 11: future
        row(b, amount="abc", loan="BANK-Z"),  # 12: not a number
    ]
    with pytest.raises(imports.DisbursementImportError) as caught:
        imports.import_disbursements(workbook(rows), bank=approved["bank"], actor=officer)
    text = "\n".join(caught.value.errors)
    expected = [
        "第 3 行“申请编号”：重复放款：与本文件第 2 行重复",
        "第 4 行“申请编号”：DK2099999999 不是本行经办的申请",
        "第 5 行“申请编号”：该申请尚未通过银行审批（当前：人社审查）",
        "第 6 行“申请编号”：重复放款：已于",
        "第 7 行“银行贷款编号”：重复放款：已于",
        "第 8 行“借款人姓名”：与申请人姓名不一致",
        "第 9 行“身份证号后四位”：与申请人身份证号不一致",
        "第 10 行“放款金额（元）”：放款金额应大于 0 且不超过银行审批金额",
        "第 11 行“放款日期”：放款日期不能晚于今天",
        "第 12 行“放款金额（元）”：应为大于 0 的金额",
    ]
    for message in expected:
        assert message in text
    assert len(caught.value.errors) == len(expected)
    assert (Loan.objects.count(), SupportRecord.objects.count(), Fact.objects.count()) == before
    assert LoanApplication.objects.get(pk=a.pk).status == Status.APPROVED
    assert not DisbursementImport.objects.exists()


def test_only_a_bank_officer_imports_and_only_xlsx(approved: dict[str, Any]) -> None:
    a = approved["apps"][0]
    personas = approved["personas"]
    with pytest.raises(imports.DisbursementImportError, match="经办人员"):
        imports.import_disbursements(
            workbook([row(a)]), bank=approved["bank"], actor=personas["loan_officer"]
        )
    with pytest.raises(imports.DisbursementImportError, match="不是 Excel"):
        imports.import_disbursements(
            io.BytesIO(b"a,b,c\n1,2,3\n"), bank=approved["bank"], actor=personas["bank_officer"]
        )
    with pytest.raises(imports.DisbursementImportError, match="缺少列"):
        imports.import_disbursements(
            workbook([row(a)], header=("申请编号", "借款人姓名")),
            bank=approved["bank"],
            actor=personas["bank_officer"],
        )
    assert not Loan.objects.exists()


def test_import_page_lists_row_errors_and_saves_nothing(approved: dict[str, Any]) -> None:
    from django.test import Client

    a = approved["apps"][0]
    client = Client()
    client.force_login(approved["personas"]["bank_officer"])
    page = client.get("/programs/loans/import/").content.decode()
    assert "progress" in page and "下载导入模板" in page
    upload = workbook([row(a), ("DK2099999999", "某某", "1234", 1000, "2026-01-01", "U")])
    upload.name = "放款.xlsx"  # type: ignore[attr-defined]
    response = client.post("/programs/loans/import/", {"file": upload, "bank": approved["bank"].pk})
    html = response.content.decode()
    assert response.status_code == 400 and "导入失败，未保存任何数据" in html
    assert "第 3 行“申请编号”" in html and not Loan.objects.exists()
    template = client.get("/programs/loans/import/template/")
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")


def test_import_counts_borrowers_by_the_registry_rule(
    approved: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A borrower supported before (another department, another district) stays counted there."""
    a, b, c, _ = approved["apps"]
    officer = approved["personas"]["bank_officer"]
    today = timezone.localdate()
    earlier = today.replace(day=1) - dt.timedelta(days=40)
    assert a.applicant is not None
    registry.record_support(
        person=a.applicant,
        support_type=registry.ensure_support_types()[0],
        date=earlier,
        actor=officer,
        amount=Decimal(5000),
        department=Department.objects.get(code="rsj"),
        source="test",
    )
    # Two batches: the counting and the Fact refresh gather over batches and run once.
    monkeypatch.setattr(imports, "BATCH", 2)
    imports.import_disbursements(
        workbook([row(a), row(b), row(c)]), bank=approved["bank"], actor=officer
    )
    first = a.applicant.first_support()
    assert first is not None and first.date == earlier and first.source == "test"
    # Each borrower counted once: b and c by their loan's support record, a by the earlier one.
    assert SupportRecord.objects.filter(first=True, source="loans").count() == 2
    supported = {
        (f.org_unit.code, f.month): f.value
        for f in Fact.objects.filter(indicator__source=SUPPORTED)
    }
    assert supported[("371000", today.month)] == 2  # b and c; a was counted before
    assert supported[("371000", earlier.month)] == 1
    assert SupportRecord.objects.filter(source="loans").count() == 3
    assert facts.check() == []


def test_import_failing_after_the_writes_saves_nothing(
    approved: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c, _ = approved["apps"]

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("refresh failed")

    monkeypatch.setattr(facts, "refresh_metric", broken)
    monkeypatch.setattr(imports, "BATCH", 1)
    with pytest.raises(RuntimeError):
        imports.import_disbursements(
            workbook([row(a), row(b), row(c)]),
            bank=approved["bank"],
            actor=approved["personas"]["bank_officer"],
        )
    monkeypatch.undo()
    assert not Loan.objects.exists() and not SupportRecord.objects.exists()
    assert not LoanApplication.objects.filter(status=Status.REPAYING).exists()
    assert a.applicant is not None and a.applicant.first_support() is None


def test_a_failure_mid_file_stops_the_reading_thread(
    approved: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    a, b, c, _ = approved["apps"]

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(imports, "BATCH", 1)
    monkeypatch.setattr(imports, "_handle", broken)
    with pytest.raises(RuntimeError):
        imports.import_disbursements(
            workbook([row(a), row(b), row(c)] * 20),
            bank=approved["bank"],
            actor=approved["personas"]["bank_officer"],
        )
    assert not [t for t in threading.enumerate() if t.name == "disbursement-import-reader"]
    assert not DisbursementImport.objects.exists()


def test_reading_inline_gives_the_same_result(
    approved: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c, _ = approved["apps"]
    monkeypatch.setattr(imports, "READ_AHEAD", False)
    monkeypatch.setattr(imports, "BATCH", 1)
    with pytest.raises(imports.DisbursementImportError, match="第 4 行"):
        imports.import_disbursements(
            workbook([row(a), row(b), row(b, loan="BANK-X")]),
            bank=approved["bank"],
            actor=approved["personas"]["bank_officer"],
        )
    result = imports.import_disbursements(
        workbook([row(a), row(b), row(c)]),
        bank=approved["bank"],
        actor=approved["personas"]["bank_officer"],
    )
    assert result.loans == 3 and Loan.objects.count() == 3


def test_who_recorded_the_rows_is_kept_by_the_audit_log(approved: dict[str, Any]) -> None:
    """The ledgers refer to the recording user without a database constraint (USER_REFERENCE):
    the import's audit entry is what keeps that user, so the references never dangle."""
    a, b, _c, _ = approved["apps"]
    officer = approved["personas"]["bank_officer"]
    imports.import_disbursements(workbook([row(a), row(b)]), bank=approved["bank"], actor=officer)
    assert set(Loan.objects.values_list("created_by", flat=True)) == {officer.pk}
    assert set(
        SupportRecord.objects.filter(source="loans").values_list("created_by", flat=True)
    ) == {officer.pk}
    assert a.steps.get(action="disburse").actor_id == officer.pk
    with pytest.raises(ProtectedError):
        officer.delete()
    assert AuditEntry.objects.filter(action="loans.loan.import", actor=officer).exists()


def test_reference_data_the_rows_name_cannot_be_deleted(approved: dict[str, Any]) -> None:
    """The ledgers' references to reference data have no database constraint (REFERENCE_DATA):
    the rows they name stay, because deleting them through the ORM is refused."""
    a, b, _c, _ = approved["apps"]
    officer, bank = approved["personas"]["bank_officer"], approved["bank"]
    result = imports.import_disbursements(workbook([row(a), row(b)]), bank=bank, actor=officer)
    loan = Loan.objects.get(application=a)
    support = SupportRecord.objects.get(source="loans", note=a.number)
    step = a.steps.get(action="disburse")
    assert (loan.bank_id, loan.district_id, loan.import_batch_id) == (
        bank.pk,
        a.district_id,
        result.batch.pk if result.batch else None,
    )
    assert step.department_id == bank.pk and support.org_unit_id == a.district_id
    for referenced in (bank, loan.district, loan.import_batch, support.department):
        with pytest.raises(ProtectedError):
            referenced.delete()
    with pytest.raises(ProtectedError):
        support.support_type.delete()
    loan.refresh_from_db()
    assert loan.bank == bank and support.department.pk == support.department_id


def test_a_file_saved_by_excel_imports_the_same(approved: dict[str, Any]) -> None:
    """Shared strings, the used range stated, dates as styled serials: as Excel stores a file."""
    a, b, c, _ = approved["apps"]
    officer, bank = approved["personas"]["bank_officer"], approved["bank"]
    bad = excel_stored(workbook([row(a), row(b, id4="0000")]).getvalue())
    with pytest.raises(imports.DisbursementImportError) as refused:
        imports.import_disbursements(io.BytesIO(bad), bank=bank, actor=officer)
    assert refused.value.errors == ["第 3 行“身份证号后四位”：与申请人身份证号不一致"]
    assert not Loan.objects.exists()
    stored = excel_stored(workbook([row(a), row(b, amount="149,000.50"), row(c)]).getvalue())
    assert b"xl/sharedStrings.xml" in stored and b"inlineStr" not in stored
    result = imports.import_disbursements(io.BytesIO(stored), bank=bank, actor=officer)
    assert result.loans == 3 and result.amount == Decimal("449000.50")
    assert Loan.objects.get(application=b).disbursed_on == timezone.localdate()


def test_the_command_imports_a_file_with_a_progress_count(
    approved: dict[str, Any], tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from chuangye.cli import main

    a, b, c, _ = approved["apps"]
    officer = approved["personas"]["bank_officer"]
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(excel_stored(workbook([row(a), row(b, name="别人")]).getvalue()))
    assert main(["loans", "import", str(bad), "--user", officer.username]) == 2
    err = capsys.readouterr().err
    assert "未保存任何数据" in err and "第 3 行“借款人姓名”：与申请人姓名不一致" in err
    assert not Loan.objects.exists()
    for args, message in [
        (["--user", "nobody"], "账号“nobody”不存在"),
        (["--user", approved["personas"]["loan_officer"].username], "不是任何银行的经办人员"),
        (["--user", officer.username, "--bank", "rsj"], "不是银行“rsj”的经办人员"),
    ]:
        assert main(["loans", "import", str(bad), *args]) == 2
        assert message in capsys.readouterr().err
    assert main(["loans", "import", str(tmp_path / "none.xlsx"), "--user", "x"]) == 2
    good = tmp_path / "good.xlsx"
    good.write_bytes(excel_stored(workbook([row(a), row(b), row(c)]).getvalue()))
    assert main(["loans", "import", str(good), "--user", officer.username]) == 0
    assert "已登记放款 3 笔，合计 450,000.00 元" in capsys.readouterr().out
    assert Loan.objects.count() == 3


def test_progress_counts_every_row_and_the_stated_size_is_read(
    approved: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chuangye.core import xlsx

    monkeypatch.setattr(imports, "BATCH", 1)
    a, b, c, _ = approved["apps"]
    plain = workbook([row(a), row(b), row(c)]).getvalue()
    stored = excel_stored(plain)
    assert xlsx.stated_rows(io.BytesIO(stored)) == 4  # the header and three rows
    assert xlsx.stated_rows(io.BytesIO(plain)) is None  # openpyxl states no range
    assert xlsx.stated_rows(io.BytesIO(b"not a workbook")) is None
    seen: list[int] = []
    imports.import_disbursements(
        io.BytesIO(stored),
        bank=approved["bank"],
        actor=approved["personas"]["bank_officer"],
        progress=seen.append,
    )
    assert sum(seen) == 3 and len(seen) >= 3


def _lookups_by_thread(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which thread looks each batch up (the reading thread's is looked up ahead)."""
    threads: list[str] = []
    real = imports._lookup

    def spy(rows: list[Any], bank_id: int) -> Any:
        threads.append(threading.current_thread().name)
        return real(rows, bank_id)

    monkeypatch.setattr(imports, "_lookup", spy)
    return threads


@pytest.mark.django_db(transaction=True)
def test_an_import_of_its_own_is_looked_up_ahead_and_names_repeats_of_earlier_batches(
    approved: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a batch is looked up by the reading thread on its own connection, which
    cannot see the import's earlier batches: a row repeating one is refused by the database,
    and the file is matched again inside the transaction, which names the row."""
    from django.db import connection

    a, b, c, _ = approved["apps"]
    officer, bank = approved["personas"]["bank_officer"], approved["bank"]
    ahead = connection.vendor == "postgresql"
    main = threading.main_thread().name
    monkeypatch.setattr(imports, "BATCH", 1)
    threads = _lookups_by_thread(monkeypatch)
    counted: list[int] = []
    repeats = {
        # the same application again, two batches later (caught by the guarded update)
        "第 4 行“申请编号”：重复放款：与本文件第 2 行重复": [row(a), row(b), row(a, loan="X-9")],
        # another application under a bank loan number already used (the unique index)
        "第 4 行“银行贷款编号”：重复放款：与本文件第 2 行重复": [
            row(a),
            row(b),
            row(c, loan=f"BANK-{a.pk}"),
        ],
    }
    for message, rows in repeats.items():
        threads.clear()
        counted.clear()
        with pytest.raises(imports.DisbursementImportError) as refused:
            imports.import_disbursements(
                workbook(rows), bank=bank, actor=officer, progress=counted.append
            )
        assert refused.value.errors == [message]
        assert not Loan.objects.exists() and not DisbursementImport.objects.exists()
        assert not SupportRecord.objects.exists()
        assert sum(counted) == 3  # the rows of the second attempt only
        if ahead:  # looked up ahead, then again inside the transaction
            assert main in threads and any(t != main for t in threads)
            # the count went back to zero before the second attempt
            back = counted.index(min(counted))
            assert counted[back] < 0 and sum(counted[: back + 1]) == 0
        else:
            assert set(threads) == {main}
    threads.clear()
    result = imports.import_disbursements(
        workbook([row(a), row(b), row(c)]), bank=bank, actor=officer
    )
    assert result.loans == 3 and Loan.objects.count() == 3
    assert (main not in threads) if ahead else (set(threads) == {main})
    assert set(
        LoanApplication.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("status", flat=True)
    ) == {Status.REPAYING}


def test_an_application_changed_after_its_lookup_saves_nothing(
    approved: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The update of the applications is guarded: one another user moved on meanwhile (here
    right after the lookup) is not disbursed, and the file saves nothing."""
    a, b, _c, _ = approved["apps"]
    real = imports._lookup

    def then_returned(rows: list[Any], bank_id: int) -> Any:
        found = real(rows, bank_id)
        LoanApplication.objects.filter(number=a.number).update(status=Status.BANK)
        return found

    monkeypatch.setattr(imports, "_lookup", then_returned)
    with pytest.raises(imports.DisbursementImportError) as refused:
        imports.import_disbursements(
            workbook([row(a), row(b)]),
            bank=approved["bank"],
            actor=approved["personas"]["bank_officer"],
        )
    assert refused.value.errors == ["导入期间有申请被他人办理，未保存任何数据，请重新导入"]
    assert not Loan.objects.exists() and not SupportRecord.objects.exists()
    assert not LoanApplication.objects.filter(status=Status.REPAYING).exists()
