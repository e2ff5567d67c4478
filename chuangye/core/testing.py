"""Helpers tests and benchmarks share (kept in the package, as ``loans.testing``)."""

from __future__ import annotations

import io
import re
import zipfile
from html import unescape  # sheet text is XML: named and numeric character references
from xml.sax.saxutils import escape


def excel_stored(package: bytes) -> bytes:
    """A one-sheet workbook written by openpyxl, stored as Excel and WPS store it: the text in
    the shared-strings table instead of inline, and the used range stated in ``<dimension>``.

    What a bank uploads has been saved by one of those; readers take a different path through
    each form (openpyxl reads a sheet without a stated range through once more to size it).
    """
    source = zipfile.ZipFile(io.BytesIO(package))
    sheet_name = "xl/worksheets/sheet1.xml"
    sheet = source.read(sheet_name).decode()
    table: dict[str, int] = {}

    def shared(match: re.Match[str]) -> str:
        text = unescape(match.group(2))
        index = table.setdefault(text, len(table))
        return f'<c r="{match.group(1)}" t="s"><v>{index}</v></c>'

    sheet = re.sub(r'<c r="([A-Z]+\d+)" t="inlineStr"><is><t>(.*?)</t></is></c>', shared, sheet)
    last_row = re.findall(r'<row r="(\d+)"', sheet)[-1]
    sheet = sheet.replace("</sheetPr>", f'</sheetPr><dimension ref="A1:F{last_row}"/>', 1)
    strings = "".join(f"<si><t>{escape(t)}</t></si>" for t in table)
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sst = f'<sst xmlns="{main}" count="{len(table)}" uniqueCount="{len(table)}">{strings}</sst>'
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == sheet_name:
                data = sheet.encode()
            elif item.filename == "[Content_Types].xml":
                override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}"/>'
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            target.writestr(item.filename, data)
        target.writestr("xl/sharedStrings.xml", sst.encode())
    return out.getvalue()
