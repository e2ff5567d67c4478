"""Generated documents: one outline of a bulletin, rendered to a page, Word, PDF and Excel.

Renderers are imported on first use: matplotlib and reportlab load only when a file is made.
"""

from __future__ import annotations

from typing import Any

from chuangye.documents.choices import DocFormat
from chuangye.documents.errors import DocumentError

CONTENT_TYPES: dict[str, str] = {
    DocFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    DocFormat.PDF: "application/pdf",
    DocFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def check_format(fmt: str) -> str:
    if fmt not in DocFormat.values:
        raise DocumentError(f"不支持的格式“{fmt}”，可选 docx、pdf、xlsx")
    return fmt


def render_bulletin(doc: dict[str, Any], fmt: str) -> bytes:
    """The bulletin ``doc`` (snapshot plus written parts) as ``docx``, ``pdf`` or ``xlsx``."""
    check_format(fmt)
    if fmt == DocFormat.DOCX:
        from chuangye.documents.render.word import bulletin_docx

        return bulletin_docx(doc)
    if fmt == DocFormat.PDF:
        from chuangye.documents.render.pdf import bulletin_pdf

        return bulletin_pdf(doc)
    from chuangye.documents.render.sheets import bulletin_xlsx

    return bulletin_xlsx(doc)


def bulletin_filename(doc: dict[str, Any], fmt: str) -> str:
    scope = "" if doc["unit"]["is_city"] else doc["unit"]["name"]
    suffix = "（草稿）" if doc.get("draft") else ""
    return f"{scope}{doc['period']['label']}推进情况通报{suffix}.{fmt}"
