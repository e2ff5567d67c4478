"""Word (.docx) in the layout of a Chinese official document (GB/T 9704 proportions).

Every run names its East Asian font (``w:eastAsia``: 仿宋_GB2312 for text, 黑体 for headings,
宋体 for titles and tables) and a Latin font, so Word and WPS show the intended typefaces
instead of falling back to a Western font for Chinese characters.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from chuangye.documents.render import charts
from chuangye.documents.render.outline import (
    Chart,
    Heading,
    Para,
    Signature,
    Table,
    masthead,
    outline,
    title_lines,
)

FANGSONG = "仿宋_GB2312"
SONG = "宋体"
HEI = "黑体"
LATIN = "Times New Roman"
RED = RGBColor(0xC8, 0x10, 0x2E)
#: 版心 width: A4 less 28 mm and 26 mm margins.
TEXT_WIDTH_CM = 15.6
BODY_PT = 16  # 三号
TABLE_PT = 9
ALIGN = {
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}


def set_fonts(run: Run, east_asian: str, size: float | None = None, *, bold: bool = False) -> Run:
    """Name the Latin and the East Asian font of one run (and its size and weight)."""
    run.font.name = LATIN
    rpr = run._element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)
    if size is not None:
        run.font.size = Pt(size)
    if bold:
        run.font.bold = True
    return run


def add_run(
    paragraph: Paragraph,
    text: str,
    east_asian: str = FANGSONG,
    size: float = BODY_PT,
    *,
    bold: bool = False,
    color: RGBColor | None = None,
) -> Run:
    run = set_fonts(paragraph.add_run(text), east_asian, size, bold=bold)
    if color is not None:
        run.font.color.rgb = color
    return run


def _spacing(paragraph: Paragraph, line_pt: float | None = 28, indent: bool = False) -> None:
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    if line_pt is not None:
        fmt.line_spacing = Pt(line_pt)
    if indent:
        fmt.first_line_indent = Pt(2 * BODY_PT)


def _bottom_rule(paragraph: Paragraph) -> None:
    """The red line under the masthead, as a paragraph border."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "18"), ("space", "4"), ("color", "C8102E")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    ppr.append(borders)


def _page_number(paragraph: Paragraph) -> None:
    """“— 1 —” with a PAGE field, every run with its fonts."""
    add_run(paragraph, "— ", SONG, 14)
    for kind, text in (("begin", None), ("instr", "PAGE"), ("end", None)):
        run = set_fonts(paragraph.add_run(), SONG, 14)
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
    add_run(paragraph, " —", SONG, 14)


def new_document(title: str, author: str) -> DocxDocument:
    """A4, official-document margins, Chinese default fonts, page numbers in the footer."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.footer_distance = Cm(2.5)
    normal = document.styles["Normal"]
    normal.font.name = LATIN  # type: ignore[attr-defined]
    normal.font.size = Pt(BODY_PT)  # type: ignore[attr-defined]
    rpr = normal.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number(footer)
    props = document.core_properties
    props.title = title
    props.author = author
    props.language = "zh-CN"
    return document


def _masthead(document: DocxDocument, banner: str, number: str, issuer: str, date: str) -> None:
    p = document.add_paragraph()
    _spacing(p, None)
    p.paragraph_format.space_before = Pt(12)
    p.paragraph_format.space_after = Pt(18)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(p, banner, SONG, 26, bold=True, color=RED)
    p = document.add_paragraph()
    _spacing(p)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(p, number)
    p = document.add_paragraph()
    _bottom_rule(p)
    _spacing(p)
    p.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT)
    add_run(p, f"{issuer}\t{date}")


def _title(document: DocxDocument, text: str) -> None:
    p = document.add_paragraph()
    _spacing(p, 36)
    p.paragraph_format.space_before = Pt(24)
    p.paragraph_format.space_after = Pt(18)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(p, text, SONG, 22, bold=True)


def _cell_text(cell: _Cell, text: str, *, header: bool, right: bool) -> None:
    paragraph = cell.paragraphs[0]
    _spacing(paragraph, None)
    paragraph.alignment = (
        WD_ALIGN_PARAGRAPH.CENTER
        if header
        else WD_ALIGN_PARAGRAPH.RIGHT
        if right
        else WD_ALIGN_PARAGRAPH.LEFT
    )
    add_run(paragraph, text, HEI if header else SONG, TABLE_PT)


def add_table(document: DocxDocument, block: Table) -> None:
    table = document.add_table(rows=1, cols=len(block.headers))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    total = sum(block.widths)
    widths = [Cm(TEXT_WIDTH_CM * w / total) for w in block.widths]
    header = table.rows[0]
    # Repeat the header row on every page the table runs onto.
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    header._tr.get_or_add_trPr().append(flag)
    for i, text in enumerate(block.headers):
        header.cells[i].width = widths[i]
        _cell_text(header.cells[i], text, header=True, right=False)
    for row in block.rows:
        cells = table.add_row().cells
        for i, text in enumerate(row):
            cells[i].width = widths[i]
            _cell_text(cells[i], text, header=False, right=i in block.numeric)


def add_paragraph(
    document: DocxDocument, text: str, *, indent: bool = True, align: str = "justify"
) -> Paragraph:
    p = document.add_paragraph()
    _spacing(p, indent=indent)
    p.alignment = ALIGN[align]
    add_run(p, text)
    return p


def _chart(document: DocxDocument, doc: dict[str, Any], block: Chart) -> None:
    image = charts.render(doc, block.name)
    if image is None:
        return
    p = document.add_paragraph()
    _spacing(p, None)
    p.paragraph_format.space_before = Pt(6)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = set_fonts(p.add_run(), FANGSONG, BODY_PT)
    run.add_picture(io.BytesIO(image.png), width=Cm(TEXT_WIDTH_CM))
    caption = document.add_paragraph()
    _spacing(caption, None)
    caption.paragraph_format.space_after = Pt(6)
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(caption, block.caption, FANGSONG, 12)


def _save(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def bulletin_docx(doc: dict[str, Any]) -> bytes:
    """The bulletin as a Word file."""
    head = masthead(doc)
    document = new_document(doc["title"], doc["issuer"])
    _masthead(document, head["banner"], head["number"], head["issuer"], head["date"])
    _title(document, title_lines(doc["title"]))
    for block in outline(doc):
        if isinstance(block, Heading):
            p = document.add_paragraph()
            _spacing(p, indent=True)
            p.paragraph_format.keep_with_next = True
            add_run(p, block.text, HEI)
        elif isinstance(block, Para):
            add_paragraph(document, block.text, indent=block.indent, align=block.align)
        elif isinstance(block, Table):
            add_table(document, block)
            document.add_paragraph().paragraph_format.space_after = Pt(0)
        elif isinstance(block, Chart):
            _chart(document, doc, block)
        elif isinstance(block, Signature):
            document.add_paragraph()
            for line in block.lines:
                p = add_paragraph(document, line, indent=False, align="right")
                p.paragraph_format.right_indent = Pt(2 * BODY_PT)
    return _save(document)


def notice_docx(notice: dict[str, Any]) -> bytes:
    """A 督办单 as a Word file: masthead, a two-column form, and the reply when there is one."""
    document = new_document(notice["title"], notice["issuer"])
    _masthead(document, notice["banner"], notice["number"], notice["issuer"], notice["date"])
    _title(document, notice["title"])
    form = Table(headers=["项目", "内容"], rows=notice["rows"], widths=[1.0, 4.0])
    add_table(document, form)
    document.add_paragraph()
    add_paragraph(document, notice["footer"])
    return _save(document)
