"""PDF with the Chinese font embedded (reportlab), so it renders the same on any machine."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    HRFlowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as RLTable

from chuangye.documents.render import charts
from chuangye.documents.render.fonts import reportlab_font
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

RED = colors.HexColor("#c8102e")
GRID = colors.HexColor("#8a949e")
HEAD_BG = colors.HexColor("#f0f3f7")
TEXT_WIDTH = 15.6 * cm
ALIGN = {"justify": TA_JUSTIFY, "left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT}


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font, fontSize=14, leading=24, wordWrap="CJK")
    return {
        "banner": ParagraphStyle(
            "banner", parent=base, fontSize=24, leading=32, alignment=TA_CENTER, textColor=RED
        ),
        "number": ParagraphStyle("number", parent=base, alignment=TA_CENTER),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontSize=19,
            leading=28,
            alignment=TA_CENTER,
            spaceBefore=14,
            spaceAfter=12,
        ),
        "heading": ParagraphStyle(
            "heading",
            parent=base,
            firstLineIndent=28,
            spaceBefore=4,
            textColor=colors.black,
            keepWithNext=1,
        ),
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=11),
        "cell_head": ParagraphStyle(
            "cell_head", parent=base, fontSize=8, leading=11, alignment=TA_CENTER
        ),
        "cell_num": ParagraphStyle(
            "cell_num", parent=base, fontSize=8, leading=11, alignment=TA_RIGHT
        ),
        "caption": ParagraphStyle(
            "caption", parent=base, fontSize=10.5, leading=16, alignment=TA_CENTER
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _masthead(head: dict[str, str], styles: dict[str, ParagraphStyle]) -> list[Any]:
    issuer_date = RLTable(
        [
            [
                _p(head["issuer"], styles["body"]),
                _p(head["date"], ParagraphStyle("r", parent=styles["body"], alignment=TA_RIGHT)),
            ]
        ],
        colWidths=[TEXT_WIDTH / 2, TEXT_WIDTH / 2],
    )
    issuer_date.setStyle(
        TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    )
    return [
        _p(head["banner"], styles["banner"]),
        Spacer(1, 10),
        _p(head["number"], styles["number"]),
        issuer_date,
        HRFlowable(width="100%", thickness=2, color=RED, spaceBefore=2, spaceAfter=6),
    ]


def _table(block: Table, styles: dict[str, ParagraphStyle]) -> RLTable:
    total = sum(block.widths)
    widths = [TEXT_WIDTH * w / total for w in block.widths]
    data = [[_p(h, styles["cell_head"]) for h in block.headers]]
    for row in block.rows:
        data.append(
            [
                _p(text, styles["cell_num"] if i in block.numeric else styles["cell"])
                for i, text in enumerate(row)
            ]
        )
    table = RLTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _chart(doc: dict[str, Any], block: Chart, styles: dict[str, ParagraphStyle]) -> list[Any]:
    image = charts.render(doc, block.name)
    if image is None:
        return []
    height = TEXT_WIDTH * image.height_in / image.width_in
    return [
        KeepTogether(
            [
                Spacer(1, 4),
                Image(io.BytesIO(image.png), width=TEXT_WIDTH, height=height),
                _p(block.caption, styles["caption"]),
                Spacer(1, 4),
            ]
        )
    ]


def _build(story: list[Any], title: str, author: str) -> bytes:
    font = reportlab_font()
    buffer = io.BytesIO()

    def page_number(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 11)
        canvas.drawCentredString(A4[0] / 2, 1.8 * cm, f"— {document.page} —")
        canvas.restoreState()

    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        topMargin=3.2 * cm,
        bottomMargin=3.0 * cm,
        leftMargin=2.8 * cm,
        rightMargin=2.6 * cm,
        title=title,
        author=author,
        creator="创业威海统筹平台",
        lang="zh-CN",
    )
    template.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buffer.getvalue()


def bulletin_pdf(doc: dict[str, Any]) -> bytes:
    """The bulletin as a PDF."""
    styles = _styles(reportlab_font())
    story: list[Any] = [
        *_masthead(masthead(doc), styles),
        _p(title_lines(doc["title"]), styles["title"]),
    ]
    for block in outline(doc):
        if isinstance(block, Heading):
            story.append(_p(block.text, styles["heading"]))
        elif isinstance(block, Para):
            style = ParagraphStyle(
                "para",
                parent=styles["body"],
                firstLineIndent=28 if block.indent else 0,
                alignment=ALIGN[block.align],
            )
            story.append(_p(block.text, style))
        elif isinstance(block, Table):
            story += [Spacer(1, 4), _table(block, styles), Spacer(1, 6)]
        elif isinstance(block, Chart):
            story += _chart(doc, block, styles)
        elif isinstance(block, Signature):
            story.append(Spacer(1, 18))
            right = ParagraphStyle(
                "sign", parent=styles["body"], alignment=TA_RIGHT, rightIndent=28
            )
            story += [_p(line, right) for line in block.lines]
    return _build(story, doc["title"], doc["issuer"])
