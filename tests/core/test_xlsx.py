"""The fast sheet reader gives the values openpyxl gives, and streams."""

import datetime as dt
import io
import re
import zipfile
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from chuangye.core import xlsx

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
STYLES = f"""<styleSheet {NS}>
<numFmts count="1">
  <numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>
<fonts count="1"><font/></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf/></cellStyleXfs>
<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>
<xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="46" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
SHARED = f"""<sst {NS} count="5" uniqueCount="5">
<si><t>申请编号</t></si>
<si><r><rPr><b/></rPr><t>富</t></r><r><t xml:space="preserve">文本 </t></r></si>
<si><t>威海</t><rPh sb="0" eb="2"><t>ウェイハイ</t></rPh></si>
<si><t>a_x005F_x000D_b</t></si>
<si><t/></si>
</sst>"""
SHEET = f"""<worksheet {NS}><dimension ref="A1:B1"/><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>
  <c r="D1" t="s"><v>2</v></c></row>
<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c>
  <c r="C2" t="inlineStr"><is><t>内联</t></is></c>
  <c r="D2" t="inlineStr"><is><r><t>富</t></r><r><t>内联</t></r>
    <rPh sb="0" eb="1"><t>x</t></rPh></is></c></row>
<row r="4"><c r="A4"><v>42</v></c><c r="B4" t="n"><v>1.5</v></c><c r="C4"><v>1E3</v></c>
  <c r="D4"><v/></c><c r="E4" t="b"><v>1</v></c><c r="F4" t="e"><v>#N/A</v></c></row>
<row r="5"><c r="A5" s="1"><v>46082</v></c><c r="B5" s="2"><v>46082.5</v></c>
  <c r="C5" s="3"><v>1.25</v></c><c r="D5" t="d"><v>2026-03-01T08:30:00</v></c>
  <c r="E5" s="1"><v>0.5</v></c></row>
<row r="6"><c r="A6" t="str"><f>CONCAT("a","b")</f><v>ab</v></c><c r="B6"><f>1+1</f></c>
  <c r="C6"><f>1+2</f><v>3</v></c></row>
<row><c><v>7</v></c><c><v>8</v></c><c r="E7"><v>9</v></c><c><v>10</v></c></row>
<row r="9"/>
<row r="10"><c r="C10"><v>1</v></c><c r="A10"><v>2</v></c></row>
<row r="3"><c r="A3"><v>99</v></c></row>
<row r="11.0"><c r="A11" s="1"><v>99999999</v></c></row>
</sheetData></worksheet>"""
EXPECTED = [
    (1, ("申请编号", "富文本 ", None, "威海")),
    (2, ("a_x000D_b", "", "内联", "富内联")),  # openpyxl undoes only "_x005F" escapes
    (4, (42, 1.5, 1000.0, None, True, "#N/A")),
    (
        5,
        (
            dt.datetime(2026, 3, 1),
            dt.datetime(2026, 3, 1, 12),
            dt.timedelta(days=1, hours=6),
            dt.datetime(2026, 3, 1, 8, 30),
            dt.time(12),
        ),
    ),
    (6, ("ab", None, 3)),
    (7, (7, 8, None, None, 9, 10)),
    (10, (2,)),  # a row is as wide as its last cell, as openpyxl reads it
    (11, ("#VALUE!",)),  # a date serial beyond the calendar
]


def package(sheet: str, *, shared: str | None = SHARED, date1904: bool = False) -> bytes:
    """An .xlsx made by openpyxl with its sheet, styles and shared strings replaced."""
    wb = Workbook()
    wb.active["A1"] = 1
    made = io.BytesIO()
    wb.save(made)
    out = io.BytesIO()
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            elif item.filename == "xl/styles.xml":
                data = STYLES.encode()
            elif item.filename == "xl/workbook.xml" and date1904:
                data = data.replace(b"<workbookPr/>", b'<workbookPr date1904="1"/>')
            elif item.filename == "[Content_Types].xml" and shared is not None:
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            target.writestr(item, data)
        if shared is not None:
            target.writestr("xl/sharedStrings.xml", shared.encode())
    return out.getvalue()


def openpyxl_rows(data: bytes) -> list[tuple[int, tuple[Any, ...]]]:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    ws = wb.worksheets[0]
    ws.reset_dimensions()
    rows = [(n, v) for n, v in enumerate(ws.iter_rows(values_only=True), start=1) if v]
    wb.close()
    return rows


def fast_rows(data: bytes) -> list[tuple[int, tuple[Any, ...]]]:
    return list(xlsx.first_sheet_values(io.BytesIO(data)))


@pytest.mark.filterwarnings("ignore:Cell A11 is marked as a date")
def test_every_kind_of_cell_reads_as_openpyxl_reads_it() -> None:
    data = package(SHEET)
    assert fast_rows(data) == EXPECTED
    assert openpyxl_rows(data) == EXPECTED


def test_the_1904_calendar_and_a_workbook_without_shared_strings() -> None:
    sheet = f'<worksheet {NS}><sheetData><row r="1"><c r="A1" s="1"><v>1</v></c>'
    sheet += '<c r="B1" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>'
    data = package(sheet, shared=None, date1904=True)
    assert fast_rows(data) == [(1, (dt.datetime(1904, 1, 2), "x"))] == openpyxl_rows(data)


def test_the_first_worksheet_is_read_whatever_the_others() -> None:
    wb = Workbook()
    wb.active.title = "放款"
    wb.active.append(["甲", 1])
    wb.create_sheet("其他").append(["乙", 2])
    data = io.BytesIO()
    wb.save(data)
    assert fast_rows(data.getvalue()) == [(1, ("甲", 1))]


cell_values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    # openpyxl refuses control characters and a leading "=" makes a formula
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=20).filter(
        lambda s: not s.startswith("=")
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(cell_values, max_size=8), max_size=12), st.booleans())
def test_any_workbook_openpyxl_writes_reads_the_same(
    grid: list[list[Any]], write_only: bool
) -> None:
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet() if write_only else wb.active
    for row in grid:
        ws.append(row)
    data = io.BytesIO()
    wb.save(data)
    assert fast_rows(data.getvalue()) == openpyxl_rows(data.getvalue())


def test_the_sheet_is_read_piece_by_piece() -> None:
    """Rows come out while the sheet is still being read (memory does not grow with it)."""
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 20_001))
    sheet = f"<worksheet {NS}><sheetData>{rows}</sheetData></worksheet>".encode()
    stream = io.BytesIO(sheet)
    values = xlsx.parse_sheet(
        stream.read,
        shared=[],
        date_styles=set(),
        timedelta_styles=set(),
        epoch=dt.datetime(1899, 12, 30),
    )
    assert next(values) == (1, (1,))
    assert stream.tell() <= xlsx.PIECE < len(sheet)
    assert sum(1 for _ in values) == 19_999


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s[: len(s) // 2],  # cut off mid-sheet
        lambda s: s.replace('<c r="A4"><v>42</v></c>', '<c r="A4"><v>42</c>'),  # unbalanced
        lambda s: s.replace('t="s"><v>0</v>', 't="s"><v>x</v>'),  # not a string index
        lambda s: s.replace('t="s"><v>0</v>', 't="s"><v>500</v>'),  # no such string
        lambda s: re.sub(r'r="A4"', 'r="4"', s),  # a cell reference without a column
    ],
    ids=["cut-off", "unbalanced", "string-index", "no-such-string", "no-column"],
)
def test_a_malformed_sheet_raises(damage: Any) -> None:
    with pytest.raises(Exception):  # noqa: B017 - the caller maps every kind to one message
        fast_rows(package(damage(SHEET)))


def test_a_file_that_is_not_a_workbook_raises() -> None:
    with pytest.raises(Exception):  # noqa: B017 - as above
        fast_rows(b"PK\x03\x04 not really a zip")


def test_the_string_table_behaves_as_a_list_of_its_strings() -> None:
    values = ["申请编号", "", "a_x000D_b", "富文本 ", "😀"]
    table = xlsx.StringTable()
    for v in values:
        table.append(v)
    assert len(table) == 5 and list(table) == values and table[-1] == "😀"
    assert table[1:4] == values[1:4]
    for bad in (5, -6):
        with pytest.raises(IndexError):
            table[bad]
    assert len(table.text) == sum(len(v.encode()) for v in values)


def test_the_shared_strings_are_read_as_far_as_the_sheet_needs_them() -> None:
    """Excel stores a string at its first use: the table is read alongside the sheet."""
    import io

    values = [f"借款人{i}号" for i in range(30_000)]  # several pieces of the stream
    body = "".join(f"<si><t>{v}</t></si>" for v in values)
    xml = (
        f'<sst xmlns="{xlsx.NS}" count="{len(values)}" uniqueCount="{len(values)}">{body}</sst>'
    ).encode()
    assert len(xml) > 4 * xlsx.PIECE
    table = xlsx.LazyStringTable(io.BytesIO(xml).read)
    assert table[0] == values[0] and table[10] == values[10]
    assert 0 < len(table.ends) < len(values)  # only the first pieces were parsed
    assert table[20_000] == values[20_000] and len(table.ends) < len(values)
    assert table[-1] == values[-1] and len(table) == len(values)
    assert list(table) == values == list(xlsx.parse_shared_strings(io.BytesIO(xml).read))
    with pytest.raises(IndexError):
        table[len(values)]
    late = xlsx.LazyStringTable(io.BytesIO(xml).read)
    with pytest.raises(IndexError):
        late[len(values)]  # parsed to the end to find out
