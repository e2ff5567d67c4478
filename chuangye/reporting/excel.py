"""Excel in and out for monthly reporting: the fill-in template, its import, generic exports."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from chuangye.accounts.choices import Role
from chuangye.accounts.models import Department
from chuangye.core import audit
from chuangye.plans.models import Indicator, Plan
from chuangye.reporting import services
from chuangye.reporting.choices import EDITABLE
from chuangye.reporting.duties import Duty, duties
from chuangye.reporting.models import DataValue, ReportingRound

SHEET = "填报"
HELP_SHEET = "说明"
META_SHEET = "_meta"
TEMPLATE_KIND = "chuangye.reporting.monthly"
TEMPLATE_VERSION = "1"

COL_CODE = "指标代码"
COL_NAME = "指标名称"
COL_UNIT = "计量单位"
COL_ORG_CODE = "区划代码"
COL_ORG = "区划"
COL_LAST = "上月数值"
COL_VALUE = "本月数值"
COL_NOTE = "说明"
COL_STATUS = "状态"
HEADERS = (
    COL_CODE,
    COL_NAME,
    COL_UNIT,
    COL_ORG_CODE,
    COL_ORG,
    COL_LAST,
    COL_VALUE,
    COL_NOTE,
    COL_STATUS,
)
#: The columns an upload is read from; the others only help the person filling it in.
REQUIRED_HEADERS = (COL_CODE, COL_UNIT, COL_ORG_CODE, COL_VALUE, COL_NOTE)
WIDTHS = (10, 36, 10, 10, 14, 14, 14, 40, 10)
TITLE_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: A small zip can expand enormously (zip bomb); real templates are far below this.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_DATA_ROWS = 5000
MAX_ERRORS = 100
#: How far down to look for the header row, in case someone inserts a line above it.
HEADER_SEARCH_ROWS = 10

COUNT_FORMAT = "0"
MONEY_FORMAT = "#,##0.00"
OTHER_FORMAT = "0.00"

EXPORT_TZ = ZoneInfo("Asia/Shanghai")
SHEET_TITLE_MAX = 31
CELL_TEXT_MAX = 32767
WIDTH_SAMPLE_ROWS = 200
INVALID_TITLE_CHARS = re.compile(r"[\\/?*\[\]:]")
#: A leading character that makes Excel or LibreOffice treat text as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

HELP_TEXT = (
    "填报说明",
    "",
    "1. 只在“本月数值”和“说明”两列填写，其他列已锁定，请勿修改指标代码、区划代码和计量单位。",
    "2. “本月数值”填写本月当月发生数，不是年初以来的累计数。",
    "3. 金额以“元”为单位，最多保留两位小数；以人、家、个、场等计的数量填写整数；数值不能为负数。",
    "4. 请直接填写数字，不要使用公式；暂时没有数据的行可以留空，上传时留空的行不保存。",
    "5. 数值与以往相比变化较大时，请在“说明”列写明原因。",
    "6. “上月数值”和“状态”供参考；状态为待审核、已审核或已锁定的数据不能在本表中修改。",
    "7. 上传时整份文件一起校验：任何一行有误，整份文件都不保存；"
    "请按提示的行号和列名修改后重新上传。",
    "8. 模板只能用于下载时所选的单位和月份；下载后如他人已修改数据，请重新下载模板。",
)


class ExcelImportError(services.ReportingError):
    """An uploaded workbook was refused as a whole; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        if len(errors) > MAX_ERRORS:
            errors = [*errors[:MAX_ERRORS], f"另有 {len(errors) - MAX_ERRORS} 处问题未列出"]
        super().__init__("；".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    """What an accepted upload did: rows saved, left blank, and identical to what is stored."""

    saved: int
    skipped: int
    unchanged: int = 0


@dataclass(frozen=True)
class _Line:
    row: int
    duty: Duty
    number: Decimal | None
    note: str
    version: int | None


# --- template ----------------------------------------------------------------------------------


def _number_format(indicator: Indicator) -> str:
    if indicator.is_count:
        return COUNT_FORMAT
    if indicator.is_money:
        return MONEY_FORMAT
    return OTHER_FORMAT


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _cell_number(value: Decimal | None, indicator: Indicator) -> Decimal | int | None:
    # Counts are written as integers so Excel shows "120", not "120.00".
    if value is not None and indicator.is_count and value == value.to_integral_value():
        return int(value)
    return value


def _department_duties(plan: Plan, month: int, department: Department) -> list[Duty]:
    rows = duties(plan, month, departments={department.pk}, include_prefilled=False)
    return sorted(rows, key=lambda d: (d.indicator.code, d.org_unit.order, d.org_unit.code))


def _values_by_cell(
    plan: Plan, year: int, month: int, rows: list[Duty]
) -> dict[tuple[int, int], DataValue]:
    return {
        (v.indicator_id, v.org_unit_id): v
        for v in DataValue.objects.filter(
            indicator__plan=plan,
            year=year,
            month=month,
            indicator__in={d.indicator.pk for d in rows},
            org_unit__in={d.org_unit.pk for d in rows},
        )
    }


def _chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def build_template(plan: Plan, year: int, month: int, department: Department) -> bytes:
    """Return the .xlsx a department fills in for a month; ReportingError if no round exists."""
    rnd = services.round_for(plan, year, month)
    rows = _department_duties(plan, month, department)
    current = _values_by_cell(plan, year, month, rows)
    previous = _values_by_cell(plan, *_previous_month(year, month), rows)

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    _write_title(ws, department, rnd)
    _write_header(ws)

    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    input_fill = PatternFill("solid", fgColor="FFF9E5")
    unlocked = Protection(locked=False)
    whole_cells: list[str] = []
    decimal_cells: list[str] = []
    for offset, duty in enumerate(rows):
        r = FIRST_ROW + offset
        ind, unit = duty.indicator, duty.org_unit
        row = current.get((ind.pk, unit.pk))
        last = previous.get((ind.pk, unit.pk))
        values: tuple[Any, ...] = (
            ind.code,
            ind.name,
            ind.unit,
            unit.code,
            unit.short_name or unit.name,
            _cell_number(last.value, ind) if last else None,
            _cell_number(row.value, ind) if row else None,
            row.note if row else None,
            row.get_status_display() if row else "未填报",
        )
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.border = border
        ws.cell(row=r, column=4).number_format = "@"  # keep leading zeros of region codes
        fmt = _number_format(ind)
        ws.cell(row=r, column=6).number_format = fmt
        value_cell = ws.cell(row=r, column=7)
        value_cell.number_format = fmt
        note_cell = ws.cell(row=r, column=8)
        note_cell.alignment = Alignment(wrap_text=True, vertical="top")
        # A submitted, approved or locked figure cannot be changed here, so its cells stay locked.
        if row is None or row.status in EDITABLE:
            for cell in (value_cell, note_cell):
                cell.protection = unlocked
                cell.fill = input_fill
        (whole_cells if ind.is_count else decimal_cells).append(value_cell.coordinate)

    _add_validations(ws, whole_cells, decimal_cells)
    for c, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=1)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    # No password: the lock guards against slips, not against a determined user; the import
    # re-checks every cell anyway. Resizing columns and rows stays allowed.
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False

    _write_help(wb.create_sheet(HELP_SHEET))
    _write_meta(wb.create_sheet(META_SHEET), plan, year, month, department, rows, current)
    wb.active = 0

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_title(ws: Any, department: Department, rnd: ReportingRound) -> None:
    ws.cell(
        row=TITLE_ROW,
        column=1,
        value=(
            f"{department.name}　{rnd.year}年{rnd.month}月数据填报"
            f"　截止日期：{_chinese_date(rnd.deadline)}"
        ),
    ).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=len(HEADERS))
    ws.row_dimensions[TITLE_ROW].height = 24


def _write_header(ws: Any) -> None:
    fill = PatternFill("solid", fgColor="DDEBF7")
    for c, title in enumerate(HEADERS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=c, value=title)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center")


def _add_validations(ws: Any, whole_cells: list[str], decimal_cells: list[str]) -> None:
    common = {
        "operator": "greaterThanOrEqual",
        "formula1": "0",
        "allow_blank": True,
        "showErrorMessage": True,
        "showInputMessage": True,
        "errorTitle": "数值无效",
        "promptTitle": COL_VALUE,
    }
    if whole_cells:
        dv = DataValidation(
            type="whole",
            error="请填写不小于 0 的整数",
            prompt="填写本月当月发生数（非累计），整数",
            **common,
        )
        for coordinate in whole_cells:
            dv.add(coordinate)
        ws.add_data_validation(dv)
    if decimal_cells:
        dv = DataValidation(
            type="decimal",
            error="请填写不小于 0 的数字，最多两位小数",
            prompt="填写本月当月发生数（非累计），最多两位小数；金额以元为单位",
            **common,
        )
        for coordinate in decimal_cells:
            dv.add(coordinate)
        ws.add_data_validation(dv)


def _write_help(ws: Any) -> None:
    for r, line in enumerate(HELP_TEXT, start=1):
        cell = ws.cell(row=r, column=1, value=line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 100
    ws.protection.sheet = True


def _write_meta(
    ws: Any,
    plan: Plan,
    year: int,
    month: int,
    department: Department,
    rows: list[Duty],
    current: dict[tuple[int, int], DataValue],
) -> None:
    ws.append(["template", TEMPLATE_KIND])
    ws.append(["version", TEMPLATE_VERSION])
    ws.append(["plan", plan.pk])
    ws.append(["year", year])
    ws.append(["month", month])
    ws.append(["department", department.code])
    # The version each cell had at download: an upload over someone else's later edit is refused.
    for duty in rows:
        row = current.get((duty.indicator.pk, duty.org_unit.pk))
        ws.append(["cell", duty.indicator.code, duty.org_unit.code, row.version if row else 0])
    # Very hidden: not listed under Excel's "Unhide", so it is not edited by accident.
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


# --- import ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A code cell as text: Excel may have turned "371002" into the number 371002(.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _checked_stream(fileobj: IO[bytes]) -> IO[bytes]:
    """Check the size before anything is parsed; return a seekable stream at its start."""
    declared = getattr(fileobj, "size", None)
    if isinstance(declared, int) and declared > MAX_UPLOAD_BYTES:
        raise _too_large()
    try:
        fileobj.seek(0, os.SEEK_END)
        size = fileobj.tell()
        fileobj.seek(0)
    except (AttributeError, OSError, io.UnsupportedOperation):
        data = fileobj.read(MAX_UPLOAD_BYTES + 1)
        size = len(data)
        fileobj = io.BytesIO(data)
    if size > MAX_UPLOAD_BYTES:
        raise _too_large()
    return fileobj


def _too_large() -> ExcelImportError:
    return ExcelImportError(
        [f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请删除无关内容后重新上传"]
    )


def _check_zip(stream: IO[bytes]) -> None:
    not_xlsx = ExcelImportError(
        [
            "文件不是 Excel 工作簿（.xlsx）。"
            "如果是 .xls 或 CSV 文件，请在 Excel 中另存为 .xlsx 后上传"
        ]
    )
    if not zipfile.is_zipfile(stream):
        raise not_xlsx
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise not_xlsx from None
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise not_xlsx
    if sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
        raise ExcelImportError(["文件解压后内容过大，不是正常的填报模板"])
    stream.seek(0)


@dataclass
class _Sheets:
    meta: dict[str, Any]
    cells: dict[tuple[str, str], int]
    rows: list[tuple[int, list[tuple[Any, str]]]]


def _read_workbook(stream: IO[bytes]) -> _Sheets:
    """Read the raw cells of the template's sheets (streaming, formulas left unevaluated)."""
    try:
        wb = load_workbook(stream, read_only=True, data_only=False, keep_links=False)
    # openpyxl raises many kinds of exception on malformed packages (KeyError, TypeError,
    # XML parse errors …); every one of them means the file is not a usable workbook.
    except Exception:
        raise ExcelImportError(["文件不是有效的 Excel 工作簿，无法读取"]) from None
    try:
        if SHEET not in wb.sheetnames:
            raise ExcelImportError([f"找不到工作表“{SHEET}”，请使用本系统下载的填报模板"])
        if META_SHEET not in wb.sheetnames:
            raise ExcelImportError(["缺少模板信息，请使用本系统下载的填报模板"])
        meta: dict[str, Any] = {}
        cells: dict[tuple[str, str], int] = {}
        for values in wb[META_SHEET].iter_rows(values_only=True):
            if not values or values[0] is None:
                continue
            if values[0] == "cell" and len(values) >= 4:
                try:
                    cells[(_text(values[1]), _text(values[2]))] = int(values[3])
                except (TypeError, ValueError):
                    continue
            else:
                meta[str(values[0])] = values[1] if len(values) > 1 else None
        ws = wb[SHEET]
        # Some producers declare a wrong used range; read whatever rows are really there.
        ws.reset_dimensions()
        rows: list[tuple[int, list[tuple[Any, str]]]] = []
        for counted, row in enumerate(ws.iter_rows(), start=1):
            found = [(c.value, c.data_type) for c in row]
            if all(_is_blank(v) for v, _ in found):
                continue
            # Gaps come back as empty rows, so counting works; a cell's own number is surer.
            number = next((c.row for c in row if getattr(c, "row", None)), counted)
            rows.append((number, found))
            if len(rows) > MAX_DATA_ROWS + HEADER_SEARCH_ROWS:
                raise ExcelImportError(
                    [f"“{SHEET}”的行数超过 {MAX_DATA_ROWS} 行，不是正常的填报模板"]
                )
        return _Sheets(meta=meta, cells=cells, rows=rows)
    except ExcelImportError:
        raise
    except Exception:  # see above: malformed sheet XML surfaces while streaming rows
        raise ExcelImportError(["文件不是有效的 Excel 工作簿，无法读取"]) from None
    finally:
        wb.close()


def _check_meta(
    meta: dict[str, Any], plan: Plan, year: int, month: int, department: Department
) -> None:
    if meta.get("template") != TEMPLATE_KIND:
        raise ExcelImportError(["缺少模板信息，请使用本系统下载的填报模板"])
    if str(meta.get("version")) != TEMPLATE_VERSION:
        raise ExcelImportError(["模板版本已更新，请重新下载填报模板"])
    if str(meta.get("plan")) != str(plan.pk):
        raise ExcelImportError(["该模板属于其他方案或方案的旧版本，请重新下载填报模板"])
    their_code = str(meta.get("department") or "")
    same_month = (str(meta.get("year")), str(meta.get("month"))) == (str(year), str(month))
    if their_code != department.code or not same_month:
        other = Department.objects.filter(code=their_code).first()
        who = other.name if other else their_code or "未知单位"
        raise ExcelImportError(
            [
                f"该模板是{who}{meta.get('year')}年{meta.get('month')}月的填报模板，"
                f"不能导入{department.name}{year}年{month}月的数据，请重新下载模板"
            ]
        )


def _header_map(sheet: _Sheets) -> tuple[int, dict[str, int]]:
    """Find the header row and the column index of each title."""
    for number, row in sheet.rows:
        if number > HEADER_SEARCH_ROWS:
            break
        titles = {_text(v): i for i, (v, _) in reversed(list(enumerate(row))) if not _is_blank(v)}
        if COL_CODE in titles:
            missing = [t for t in REQUIRED_HEADERS if t not in titles]
            if missing:
                raise ExcelImportError(
                    [f"第 {number} 行缺少列：" + "、".join(f"“{t}”" for t in missing)]
                )
            return number, titles
    raise ExcelImportError([f"找不到标题行（应包含“{COL_CODE}”等列），请使用本系统下载的填报模板"])


def _at(number: int, title: str, message: str) -> str:
    """A row-level message naming the Excel row and the column title."""
    return f"第 {number} 行“{title}”：{message}"


def _is_formula(value: Any, data_type: str) -> bool:
    return data_type == "f" or (isinstance(value, str) and value.startswith("="))


def _parse_lines(
    sheet: _Sheets, rows: list[Duty], department: Department, month: int
) -> list[_Line]:
    """Validate every data row without writing; raise with all problems found."""
    header_row, columns = _header_map(sheet)
    titles = {i: t for t, i in columns.items()}
    by_key = {(d.indicator.code, d.org_unit.code): d for d in rows}
    errors: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    lines: list[_Line] = []

    for number, row in sheet.rows:
        if number <= header_row:
            continue
        formulas = [
            titles.get(i, f"{get_column_letter(i + 1)}列")
            for i, (value, data_type) in enumerate(row)
            if _is_formula(value, data_type)
        ]
        if formulas:
            errors += [_at(number, t, "不能使用公式，请直接填写数值或文字") for t in formulas]
            continue
        cell = {t: row[i][0] if i < len(row) else None for t, i in columns.items()}

        code, org_code = _text(cell[COL_CODE]), _text(cell[COL_ORG_CODE])
        if not code:
            errors.append(_at(number, COL_CODE, "不能为空"))
            continue
        key = (code, org_code)
        duty = by_key.get(key)
        if duty is None:
            errors.append(
                _at(
                    number,
                    COL_CODE,
                    f"{code}（区划代码 {org_code or '空'}）"
                    f"不是{department.name}{month}月的填报项目，请勿修改代码",
                )
            )
            continue
        if key in seen:
            errors.append(_at(number, COL_CODE, f"与第 {seen[key]} 行重复（同一指标、同一区划）"))
            continue
        seen[key] = number
        indicator = duty.indicator
        if _text(cell[COL_UNIT]) != indicator.unit:
            errors.append(_at(number, COL_UNIT, f"应为“{indicator.unit}”，请勿修改"))
            continue
        try:
            parsed = services.parse_number(cell[COL_VALUE], indicator)
        except services.ReportingError as exc:
            errors.append(_at(number, COL_VALUE, str(exc)))
            continue
        note = cell[COL_NOTE]
        lines.append(
            _Line(
                row=number,
                duty=duty,
                number=parsed,
                note="" if note is None else str(note).strip(),
                version=sheet.cells.get(key),
            )
        )
    if errors:
        raise ExcelImportError(errors)
    return lines


def import_workbook(
    fileobj: IO[bytes],
    plan: Plan,
    year: int,
    month: int,
    department: Department,
    *,
    actor: Any,
    today: dt.date | None = None,
) -> ImportResult:
    """Save a filled template as draft figures: every row is valid and saved, or nothing is."""
    if not services.has_role_in(actor, Role.REPORTER, department):
        raise ExcelImportError([f"您不是{department.name}的填报员，不能导入数据"])
    stream = _checked_stream(fileobj)
    _check_zip(stream)
    sheet = _read_workbook(stream)
    _check_meta(sheet.meta, plan, year, month, department)
    try:
        rnd = services.round_for(plan, year, month)
    except services.ReportingError as exc:
        raise ExcelImportError([str(exc)]) from None
    rows = _department_duties(plan, month, department)
    lines = _parse_lines(sheet, rows, department, month)

    errors: list[str] = []
    saved = skipped = unchanged = 0
    with transaction.atomic():
        current = _values_by_cell(plan, year, month, rows)
        for line in lines:
            if line.number is None:
                skipped += 1
                continue
            duty = line.duty
            stored = current.get((duty.indicator.pk, duty.org_unit.pk))
            # A template downloaded after some figures were submitted still carries them;
            # re-sending an identical figure is not an edit and must not be refused.
            if stored is not None and stored.value == line.number and stored.note == line.note:
                unchanged += 1
                continue
            try:
                # Each call runs in its own savepoint, so a refused row leaves the outer
                # transaction usable and every problem can be reported at once.
                services.save_value(
                    indicator=duty.indicator,
                    org_unit=duty.org_unit,
                    year=year,
                    month=month,
                    value=line.number,
                    note=line.note,
                    actor=actor,
                    expected_version=line.version,
                    today=today,
                )
            except services.StaleWrite:
                message = "下载模板后该数据已被他人修改，请重新下载模板"
                errors.append(_at(line.row, COL_VALUE, message))
            except services.ReportingError as exc:
                errors.append(_at(line.row, COL_VALUE, str(exc)))
            else:
                saved += 1
        if errors:
            raise ExcelImportError(errors)  # leaving the block this way rolls back every row
        audit.record(
            "reporting.value.import",
            actor=actor,
            obj=rnd,
            after={
                "department": department.code,
                "saved": saved,
                "skipped": skipped,
                "unchanged": unchanged,
            },
        )
    return ImportResult(saved=saved, skipped=skipped, unchanged=unchanged)


# --- generic export ----------------------------------------------------------------------------


def _sheet_title(title: str) -> str:
    cleaned = ILLEGAL_CHARACTERS_RE.sub("", INVALID_TITLE_CHARS.sub("", str(title)))
    # Excel refuses titles that begin or end with an apostrophe.
    cleaned = cleaned.strip().strip("'")[:SHEET_TITLE_MAX].strip().strip("'")
    return cleaned or "导出"


def _safe_text(value: object) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text.startswith(FORMULA_TRIGGERS):
        text = "'" + text
    return text[:CELL_TEXT_MAX]


def _export_value(ws: Any, value: object) -> Any:
    """Map a Python value to a native Excel cell; text is defused against formula injection."""
    if value is None or isinstance(value, bool | int):
        return value
    # Excel has no NaN or infinity; an empty cell is more honest than a wrong number.
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(EXPORT_TZ).replace(tzinfo=None)
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return _safe_text(value)


def _display_width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 19
    if isinstance(value, dt.date):
        return 10
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def export_table(title: str, headers: list[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Return a one-sheet .xlsx of ``rows`` under a bold, frozen header (streamed, write-only)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(title))
    ws.freeze_panes = "A2"
    source = iter(rows)
    # Write-only sheets need widths before the first row, so size columns from a sample.
    sample = list(itertools.islice(source, WIDTH_SAMPLE_ROWS))
    columns = max([len(headers), *(len(r) for r in sample)])
    for i in range(columns):
        seen = [_display_width(headers[i]) if i < len(headers) else 0]
        seen += [_display_width(r[i]) for r in sample if i < len(r)]
        ws.column_dimensions[get_column_letter(i + 1)].width = min(max(max(seen) + 2, 8), 60)
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=_safe_text(h))
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    for row in itertools.chain(sample, source):
        ws.append([_export_value(ws, v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def export_round(values: Iterable[DataValue], label: str) -> bytes:
    """A round's figures (already scoped to the caller) as one Excel sheet."""
    from django.utils.translation import gettext as _

    rows = (
        (
            v.indicator.code,
            v.indicator.name,
            v.indicator.unit,
            v.org_unit.name,
            v.department.name,
            v.value,
            v.note,
            v.get_status_display(),
            v.updated_at,
        )
        for v in values
    )
    headers = [
        _("指标代码"),
        _("指标"),
        _("单位"),
        _("区划"),
        _("填报单位"),
        _("数值"),
        _("说明"),
        _("状态"),
        _("修改时间"),
    ]
    return export_table(f"{label}填报数据", headers, rows)
