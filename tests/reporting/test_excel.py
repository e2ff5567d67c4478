import datetime as dt
import io
import zipfile
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chuangye.accounts.models import Department, OrgUnit
from chuangye.core.models import AuditEntry
from chuangye.plans.models import Plan
from chuangye.reporting import services
from chuangye.reporting.duties import duties
from chuangye.reporting.excel import (
    HEADERS,
    META_SHEET,
    ExcelImportError,
    ImportResult,
    build_template,
    export_table,
    import_workbook,
)
from chuangye.reporting.models import DataValue

pytestmark = pytest.mark.django_db

JULY = dt.date(2025, 7, 2)  # June's figures are open, due 2025-07-07
HEADER_ROW, FIRST_ROW = 2, 3
VALUE_COL, NOTE_COL = 7, 8  # 本月数值, 说明


@pytest.fixture
def rounds(plan: Plan, personas: dict[str, Any]) -> Plan:
    services.ensure_rounds(plan, JULY)
    return plan


@pytest.fixture
def huancui(rounds: Plan) -> Department:
    return Department.objects.get(code="371002-rsj")


def _template(plan: Plan, department: Department, month: int = 6) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(build_template(plan, 2025, month, department)))


def _rows(ws: Any) -> dict[str, int]:
    """Indicator code → Excel row number."""
    return {
        ws.cell(row=r, column=1).value: r
        for r in range(FIRST_ROW, ws.max_row + 1)
        if ws.cell(row=r, column=1).value
    }


def _fill(
    wb: openpyxl.Workbook, values: dict[str, Any], notes: dict[str, str] | None = None
) -> None:
    ws = wb["填报"]
    rows = _rows(ws)
    for code, value in values.items():
        ws.cell(row=rows[code], column=VALUE_COL, value=value)
    for code, note in (notes or {}).items():
        ws.cell(row=rows[code], column=NOTE_COL, value=note)


def _file(content: bytes | openpyxl.Workbook, name: str = "模板.xlsx") -> SimpleUploadedFile:
    if isinstance(content, openpyxl.Workbook):
        buffer = io.BytesIO()
        content.save(buffer)
        content = buffer.getvalue()
    return SimpleUploadedFile(name, content)


def _import(
    content: bytes | openpyxl.Workbook,
    plan: Plan,
    department: Department,
    actor: Any,
    *,
    month: int = 6,
    today: dt.date = JULY,
) -> ImportResult:
    return import_workbook(_file(content), plan, 2025, month, department, actor=actor, today=today)


def _refused(
    content: bytes | openpyxl.Workbook, plan: Plan, department: Department, actor: Any, **kw: Any
) -> list[str]:
    before = DataValue.objects.count()
    with pytest.raises(ExcelImportError) as info:
        _import(content, plan, department, actor, **kw)
    assert DataValue.objects.count() == before
    return info.value.errors


def _save(personas: dict[str, Any], plan: Plan, code: str, value: str, **kw: Any) -> DataValue:
    return services.save_value(
        indicator=plan.indicators.get(code=code),
        org_unit=OrgUnit.objects.get(code="371002"),
        year=2025,
        month=kw.pop("month", 6),
        value=value,
        actor=personas[kw.pop("who", "reporter_huancui")],
        today=kw.pop("today", JULY),
        **kw,
    )


# --- template -----------------------------------------------------------------------------------


def test_template_lists_exactly_the_departments_duties_with_prefill(
    rounds: Plan, huancui: Department, personas: dict[str, Any]
) -> None:
    _save(personas, rounds, "T01", "100", month=5, today=dt.date(2025, 6, 5))
    _save(personas, rounds, "T01", "120", note="集中认定一批")
    wb = openpyxl.load_workbook(io.BytesIO(build_template(rounds, 2025, 6, huancui)))
    assert wb.sheetnames == ["填报", "说明", META_SHEET]
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert "不是年初以来的累计数" in "".join(str(c.value) for c in wb["说明"]["A"])
    ws = wb["填报"]
    title = ws.cell(row=1, column=1).value
    assert "环翠区人社局" in title and "2025年6月" in title and "2025年7月7日" in title
    assert tuple(c.value for c in ws[HEADER_ROW]) == HEADERS

    expected = sorted(
        duties(rounds, 6, departments={huancui.pk}, include_prefilled=False),
        key=lambda d: (d.indicator.code, d.org_unit.order),
    )
    listed = [
        tuple(ws.cell(row=r, column=c).value for c in (1, 3, 4))
        for r in range(FIRST_ROW, ws.max_row + 1)
    ]
    assert listed == [(d.indicator.code, d.indicator.unit, d.org_unit.code) for d in expected]

    rows = _rows(ws)
    t01 = [c.value for c in ws[rows["T01"]]]
    assert t01[5:] == [100, 120, "集中认定一批", "草稿"]
    assert [c.value for c in ws[rows["T02"]]][5:] == [None, None, None, "未填报"]
    assert ws.cell(row=rows["T01"], column=VALUE_COL).number_format == "0"
    assert ws.cell(row=rows["T07"], column=VALUE_COL).number_format == "#,##0.00"  # 元
    assert ws.cell(row=rows["T06"], column=VALUE_COL).number_format == "0.00"  # %

    assert ws.protection.sheet
    assert ws.cell(row=rows["T02"], column=1).protection.locked
    assert not ws.cell(row=rows["T02"], column=VALUE_COL).protection.locked
    assert not ws.cell(row=rows["T02"], column=NOTE_COL).protection.locked
    checks = {dv.type: dv for dv in ws.data_validations.dataValidation}
    assert set(checks) == {"whole", "decimal"}
    assert all(dv.operator == "greaterThanOrEqual" and dv.formula1 == "0" for dv in checks.values())
    assert f"G{rows['T07']}" in checks["decimal"].sqref
    assert f"G{rows['T01']}" in checks["whole"].sqref


# --- import: accepted ---------------------------------------------------------------------------


def test_import_round_trip_saves_drafts_with_notes(
    rounds: Plan, huancui: Department, personas: dict[str, Any]
) -> None:
    reporter = personas["reporter_huancui"]
    wb = _template(rounds, huancui)
    _fill(wb, {"T01": 120, "T07": 1234.56, "T06": "12.35"}, notes={"T01": "含返乡创业 20 人"})
    total = len(_rows(wb["填报"]))

    result = _import(wb, rounds, huancui, reporter)

    assert result == ImportResult(saved=3, skipped=total - 3, unchanged=0)
    saved = {v.indicator.code: v for v in DataValue.objects.select_related("indicator")}
    assert set(saved) == {"T01", "T07", "T06"}
    assert saved["T01"].value == Decimal("120") and saved["T01"].note == "含返乡创业 20 人"
    assert saved["T07"].value == Decimal("1234.56")
    assert saved["T06"].value == Decimal("12.35")
    assert {v.status for v in saved.values()} == {"draft"}
    assert {v.department_id for v in saved.values()} == {huancui.pk}
    assert AuditEntry.objects.filter(action="reporting.value.import").count() == 1

    # Uploading the same file again changes nothing.
    again = _import(wb, rounds, huancui, reporter)
    assert again == ImportResult(saved=0, skipped=total - 3, unchanged=3)
    assert DataValue.objects.get(indicator__code="T01").version == 1


def test_import_keeps_submitted_values_that_were_not_changed(
    rounds: Plan, huancui: Department, personas: dict[str, Any]
) -> None:
    reporter = personas["reporter_huancui"]
    row = _save(personas, rounds, "T01", "120")
    services.submit_values([row], actor=reporter, today=JULY)
    wb = _template(rounds, huancui)
    ws = wb["填报"]
    assert ws.cell(row=_rows(ws)["T01"], column=VALUE_COL).protection.locked
    _fill(wb, {"T02": 30})

    result = _import(wb, rounds, huancui, reporter)

    assert (result.saved, result.unchanged) == (1, 1)
    assert DataValue.objects.get(indicator__code="T01").status == "submitted"


# --- import: refused files ----------------------------------------------------------------------


def _zip_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def test_import_refuses_files_that_are_not_xlsx(
    rounds: Plan, huancui: Department, personas: dict[str, Any]
) -> None:
    not_xlsx = {
        "csv": "指标代码,本月数值\nT01,120\n".encode(),
        "xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
        "zip": _zip_of("readme.txt", b"not a workbook"),
        "zip-without-workbook": _zip_of("[Content_Types].xml", b"<Types/>"),
    }
    for kind, content in not_xlsx.items():
        errors = _refused(content, rounds, huancui, personas["reporter_huancui"])
        assert len(errors) == 1 and "不是" in errors[0], kind
        assert "Excel 工作簿" in errors[0], kind


def test_import_refuses_files_over_20_mb_before_reading(
    rounds: Plan, huancui: Department, personas: dict[str, Any]
) -> None:
    content = b"PK\x03\x04" + bytes(20 * 1024 * 1024)
    errors = _refused(content, rounds, huancui, personas["reporter_huancui"])
    assert errors == ["文件超过 20 MB，请删除无关内容后重新上传"]
    # A plain stream without a declared size is measured too.
    with pytest.raises(ExcelImportError, match="20 MB"):
        import_workbook(
            io.BytesIO(content), rounds, 2025, 6, huancui, actor=personas["reporter_huancui"]
        )
    assert DataValue.objects.count() == 0


def test_import_refuses_a_missing_sheet_or_column_header(
    rounds: Plan, huancui: Department, personas: dict[str, Any]
) -> None:
    reporter = personas["reporter_huancui"]
    wb = _template(rounds, huancui)
    _fill(wb, {"T01": 5})
    wb["填报"].title = "Sheet1"
    assert _refused(wb, rounds, huancui, reporter) == [
        "找不到工作表“填报”，请使用本系统下载的填报模板"
    ]

    wb = _template(rounds, huancui)
    _fill(wb, {"T01": 5})
    wb["填报"].cell(row=HEADER_ROW, column=VALUE_COL).value = None
    wb["填报"].cell(row=HEADER_ROW, column=NOTE_COL).value = "备注"
    assert _refused(wb, rounds, huancui, reporter) == ["第 2 行缺少列：“本月数值”、“说明”"]


def test_import_refuses_another_departments_or_months_template(
    rounds: Plan, huancui: Department, personas: dict[str, Any]
) -> None:
    reporter = personas["reporter_huancui"]
    wb = _template(rounds, Department.objects.get(code="371003-rsj"))
    _fill(wb, {"T01": 5})
    errors = _refused(wb, rounds, huancui, reporter)
    assert errors == [
        "该模板是文登区人社局2025年6月的填报模板，不能导入环翠区人社局2025年6月的数据，请重新下载模板"
    ]

    wb = _template(rounds, huancui, month=5)
    _fill(wb, {"T01": 5})
    errors = _refused(wb, rounds, huancui, reporter)
    assert "环翠区人社局2025年5月的填报模板" in errors[0] and "2025年6月的数据" in errors[0]


def test_import_refuses_a_user_who_is_not_the_departments_reporter(
    rounds: Plan, huancui: Department, personas: dict[str, Any]
) -> None:
    wb = _template(rounds, huancui)
    _fill(wb, {"T01": 5})
    errors = _refused(wb, rounds, huancui, personas["reporter_wendeng"])
    assert errors == ["您不是环翠区人社局的填报员，不能导入数据"]


# --- import: refused rows -----------------------------------------------------------------------


def test_import_refuses_bad_values_naming_row_and_column(
    rounds: Plan, huancui: Department, personas: dict[str, Any]
) -> None:
    _save(personas, rounds, "T05", "3")  # an existing figure must survive untouched
    wb = _template(rounds, huancui)
    bad = {
        "T01": (-1, "不能为负数"),
        "T02": (12.5, "以“人”计，应为整数"),
        "T03": ("十二", "“十二”不是数字"),
        "T04": (True, "应填写数字"),
        "T07": (1.234, "最多保留两位小数（单位：元）"),
    }
    _fill(wb, {"T05": 4, "T08": 100, **{code: value for code, (value, _) in bad.items()}})
    rows = _rows(wb["填报"])

    errors = _refused(wb, rounds, huancui, personas["reporter_huancui"])

    assert errors == [
        f"第 {rows[code]} 行“本月数值”：{message}" for code, (_, message) in bad.items()
    ]
    assert DataValue.objects.get(indicator__code="T05").value == Decimal("3")


def test_import_refuses_formula_cells(
    rounds: Plan, huancui: Department, personas: dict[str, Any]
) -> None:
    wb = _template(rounds, huancui)
    _fill(wb, {"T01": "=100+20", "T02": 8}, notes={"T02": '=HYPERLINK("http://x","y")'})
    rows = _rows(wb["填报"])
    errors = _refused(wb, rounds, huancui, personas["reporter_huancui"])
    assert errors == [
        f"第 {rows['T01']} 行“本月数值”：不能使用公式，请直接填写数值或文字",
        f"第 {rows['T02']} 行“说明”：不能使用公式，请直接填写数值或文字",
    ]


def test_import_refuses_rows_that_are_not_this_departments_duties(
    rounds: Plan, huancui: Department, personas: dict[str, Any]
) -> None:
    wb = _template(rounds, huancui)
    _fill(wb, {"T01": 5, "T02": 8, "T03": 1, "T04": 2, "T05": 3})
    ws = wb["填报"]
    rows = _rows(ws)
    ws.cell(row=rows["T01"], column=1).value = "T99"
    ws.cell(row=rows["T02"], column=4).value = "371003"  # 文登区: not this bureau's cell
    ws.cell(row=rows["T03"], column=3).value = "万家"
    ws.append([ws.cell(row=rows["T04"], column=c).value for c in range(1, len(HEADERS) + 1)])

    errors = _refused(wb, rounds, huancui, personas["reporter_huancui"])

    assert errors == [
        f"第 {rows['T01']} 行“指标代码”：T99（区划代码 371002）"
        "不是环翠区人社局6月的填报项目，请勿修改代码",
        f"第 {rows['T02']} 行“指标代码”：T02（区划代码 371003）"
        "不是环翠区人社局6月的填报项目，请勿修改代码",
        f"第 {rows['T03']} 行“计量单位”：应为“家”，请勿修改",
        f"第 {ws.max_row} 行“指标代码”：与第 {rows['T04']} 行重复（同一指标、同一区划）",
    ]


# --- import: refused while saving ---------------------------------------------------------------


def test_import_rolls_back_everything_when_the_round_is_locked(
    rounds: Plan, huancui: Department, personas: dict[str, Any]
) -> None:
    reporter = personas["reporter_huancui"]
    row = _save(personas, rounds, "T01", "120")
    services.submit_values([row], actor=reporter, today=JULY)
    services.approve_value(row, actor=personas["approver_huancui"])
    after_lock = dt.date(2025, 7, 14)
    services.lock_due_rounds(after_lock)
    services.reopen_value(row, "区里更正了台账", actor=personas["coordinator"])
    wb = _template(rounds, huancui)
    # T01 (reopened) saves first; T02 is refused because the round is locked.
    _fill(wb, {"T01": 121, "T02": 8})
    t02 = _rows(wb["填报"])["T02"]
    updates = AuditEntry.objects.filter(action="reporting.value.update").count()

    errors = _refused(wb, rounds, huancui, reporter, today=after_lock)

    assert errors == [
        f"第 {t02} 行“本月数值”：2025年6月数据已于 2025-07-14 锁定，需统筹协调员重新开放"
    ]
    row.refresh_from_db()
    assert row.value == Decimal("120") and row.status == "returned"
    assert AuditEntry.objects.filter(action="reporting.value.update").count() == updates


def test_import_refuses_a_cell_changed_since_download(
    rounds: Plan, huancui: Department, personas: dict[str, Any]
) -> None:
    _save(personas, rounds, "T01", "100")
    wb = _template(rounds, huancui)
    _save(personas, rounds, "T01", "110")  # someone else, after the download
    _fill(wb, {"T01": 130, "T02": 8})
    t01 = _rows(wb["填报"])["T01"]

    errors = _refused(wb, rounds, huancui, personas["reporter_huancui"])

    assert errors == [f"第 {t01} 行“本月数值”：下载模板后该数据已被他人修改，请重新下载模板"]
    assert DataValue.objects.get(indicator__code="T01").value == Decimal("110")
    assert not DataValue.objects.filter(indicator__code="T02").exists()


# --- export -------------------------------------------------------------------------------------


def test_export_table_escapes_formulas_and_writes_native_types() -> None:
    aware = dt.datetime(2025, 7, 1, 16, 30, tzinfo=dt.UTC)
    rows = [
        ["=1+1", Decimal("1234.56"), 7, 1.5, dt.date(2025, 6, 30), aware, None],
        ["+cmd", "-2", "@SUM(A1)", "\tx", "\rx", "普通文本", True],
    ]
    content = export_table(
        "6月/填报数据", ["指标", "数值", "人数", "比例", "日期", "时间", "空"], rows
    )

    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb.active
    assert ws.title == "6月填报数据"
    assert ws.freeze_panes == "A2"
    assert ws["A1"].value == "指标" and ws["A1"].font.b
    assert ws["A2"].value == "'=1+1" and ws["A2"].data_type == "s"
    assert ws["B2"].data_type == "n" and Decimal(str(ws["B2"].value)) == Decimal("1234.56")
    assert ws["C2"].value == 7 and ws["D2"].value == 1.5
    assert ws["E2"].value == dt.datetime(2025, 6, 30)  # openpyxl reads dates back as datetimes
    assert ws["F2"].value == dt.datetime(2025, 7, 2, 0, 30)  # Asia/Shanghai, naive
    assert ws["G2"].value is None
    assert [c.value for c in ws[3]] == [
        "'+cmd",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "普通文本",
        True,
    ]
    assert ws.column_dimensions["A"].width >= 8


def test_export_table_trims_title_and_streams_many_rows() -> None:
    rows = ((i, f"第{i}行") for i in range(3000))
    content = export_table("[汇总]:" + "很长的标题" * 10, ["序号", "名称"], rows)

    ws = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    assert len(ws.title) == 31 and ws.title.startswith("汇总很长的标题")
    assert sum(1 for _ in ws.iter_rows()) == 3001
