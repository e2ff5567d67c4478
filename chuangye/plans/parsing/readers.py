"""Readers: plain text (UTF-8 or GB18030), Word .docx and PDF with a text layer."""

from __future__ import annotations

import io
import os
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_BYTES = 20 * 1024 * 1024
TEXT_SUFFIXES = (".txt", ".text")
SUPPORTED = "支持 .txt、.docx、.pdf"


class PlanParseError(Exception):
    """The input cannot be read as a plan; the message is for the user (Chinese)."""


@dataclass(frozen=True)
class Extracted:
    """Text of a document and whether its lines are printed lines (PDF) or paragraphs."""

    text: str
    wrapped: bool | None
    kind: str  # txt | docx | pdf


def _check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise PlanParseError("文件超过 20 MB")
    if size == 0:
        raise PlanParseError("文件为空")


def _looks_binary(text: str) -> bool:
    """Control and private-use characters in bulk mean the bytes were not text."""
    if not text:
        return False
    odd = 0
    for ch in text:
        if ch in "\n\r\t\f":
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Co", "Cs", "Cn") or ch == "\ufffd":
            odd += 1
    return odd > max(2, len(text) // 100)


def decode_text(data: bytes) -> str:
    """Decode text bytes: BOM, then UTF-8, then GB18030 (common for Chinese Windows files)."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        if b"\x00" in data:
            raise PlanParseError("文件内容不是文本（可能是二进制文件）")
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_binary(text):
            raise PlanParseError("文件内容不是文本（可能是二进制文件）")
        return text
    raise PlanParseError("无法识别的文本编码（支持 UTF-8 和 GB18030）")


def read_docx(data: bytes) -> str:
    """Paragraph and table-cell text of a .docx in document order, one paragraph a line."""
    from docx import Document

    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds for a broken package
        raise PlanParseError("Word 文件已损坏或不是 .docx 格式") from exc
    try:
        return _docx_lines(document)
    except Exception as exc:  # a valid package whose body is not WordprocessingML
        raise PlanParseError("Word 文件已损坏或不是 .docx 格式") from exc


def _docx_lines(document: Any) -> str:
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            lines.append(Paragraph(child, document).text)
        elif child.tag == qn("w:tbl"):
            for row in Table(child, document).rows:
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # merged cells repeat
                        continue
                    seen.add(id(cell._tc))
                    lines.extend(p.text for p in cell.paragraphs)
    return "\n".join(lines)


def read_pdf(data: bytes) -> str:
    """Text layer of a PDF, pages separated by form feeds."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                # Owner-password-only PDFs open with an empty user password.
                opened = reader.decrypt("")
            except Exception as exc:  # missing AES support raises here too
                raise PlanParseError("PDF 已加密") from exc
            if not opened:
                raise PlanParseError("PDF 已加密")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PlanParseError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise PlanParseError("PDF 文件已损坏，无法读取") from exc
    text = "\n\f\n".join(pages)
    meaningful = sum(1 for ch in text if ch.isalnum())
    if meaningful == 0:
        raise PlanParseError("PDF 没有文字层（可能是扫描件）")
    readable = sum(
        1 for ch in text if "\u4e00" <= ch <= "\u9fff" or (ch.isascii() and ch.isalnum())
    )
    if readable < 0.3 * meaningful:
        raise PlanParseError("PDF 文字层无法识别（字体缺少编码信息），请提供 Word 或文本版本")
    return text


def sniff(data: bytes, suffix: str) -> str:
    """Decide the reader from the content first, the file name second."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
        raise PlanParseError(f"无法识别的文件格式（{SUPPORTED}）")
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".doc":
        raise PlanParseError("不支持旧版 Word 文件（.doc），请另存为 .docx 后再导入")
    if suffix in (".pdf", ".docx"):
        raise PlanParseError(f"文件内容与扩展名 {suffix} 不符，无法读取")
    if suffix in TEXT_SUFFIXES or suffix == "":
        return "txt"
    raise PlanParseError(f"无法识别的文件格式（{SUPPORTED}）")


def extract_bytes(data: bytes, filename: str = "") -> Extracted:
    """Text of a document given as bytes; ``filename`` only lends its suffix."""
    _check_size(len(data))
    kind = sniff(data, Path(filename).suffix.lower())
    if kind == "pdf":
        return Extracted(read_pdf(data), None, kind)
    if kind == "docx":
        return Extracted(read_docx(data), False, kind)
    return Extracted(decode_text(data), None, kind)


def extract_file(path: str | os.PathLike[str]) -> Extracted:
    """Text of a document on disk (size checked before reading)."""
    file = Path(path)
    try:
        _check_size(file.stat().st_size)
        data = file.read_bytes()
    except FileNotFoundError as exc:
        raise PlanParseError(f"文件不存在：{file.name}") from exc
    except IsADirectoryError as exc:
        raise PlanParseError(f"不是文件：{file.name}") from exc
    return extract_bytes(data, file.name)
