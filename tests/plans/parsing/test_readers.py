"""Readers: .docx and .pdf versions of the Weihai plan, and input that must be refused."""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from pypdf import PdfReader, PdfWriter

from chuangye.plans.parsing import (
    MAX_BYTES,
    PlanParseError,
    extract_text,
    parse_bytes,
    parse_file,
    parse_text,
)
from chuangye.plans.parsing.text import normalize

ROOT = Path(__file__).resolve().parents[3]
TEXT_PATH = ROOT / "data" / "plans" / "weihai-2025-8.txt"
JSON_PATH = ROOT / "data" / "plans" / "weihai-2025-8.json"


def _weihai_raw() -> str:
    return TEXT_PATH.read_text(encoding="utf-8")


def _without_sources(value: Any) -> Any:
    """The plan minus ``source`` offsets, which index each format's own text."""
    if isinstance(value, dict):
        return {k: _without_sources(v) for k, v in value.items() if k != "source"}
    if isinstance(value, list):
        return [_without_sources(v) for v in value]
    return value


def _expected() -> Any:
    return _without_sources(json.loads(JSON_PATH.read_text(encoding="utf-8")))


def _squash(span: str) -> str:
    """Source text without whitespace and page numbers (a span may cross a page break)."""
    return re.sub(r"-\d+-", "", re.sub(r"\s", "", span))


def _check_sources(plan: dict[str, Any], text: str) -> None:
    for measure in plan["measures"]:
        span = text[measure["source"]["start"] : measure["source"]["end"]]
        assert _squash(span) == measure["printed"] + measure["text"]
        for target in measure["targets"]:
            span = text[target["source"]["start"] : target["source"]["end"]]
            assert _squash(span) == target["text"]


def build_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF with a real text layer: Type0 font, Identity-H, ToUnicode CMap.

    Character codes are Unicode code points, so the ToUnicode map is the identity; the
    font is not embedded because only the text layer matters here.
    """
    chars = sorted({ch for page in pages for line in page for ch in line})
    entries: list[str] = []
    for i in range(0, len(chars), 100):
        chunk = chars[i : i + 100]
        entries.append(f"{len(chunk)} beginbfchar")
        entries.extend(f"<{ord(c):04X}> <{ord(c):04X}>" for c in chunk)
        entries.append("endbfchar")
    cmap = "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            "/CMapName /Adobe-Identity-UCS def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            "<0000> <FFFF>",
            "endcodespacerange",
            *entries,
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    ).encode()
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes, extra: str = "") -> bytes:
        return f"<< /Length {len(data)}{extra} >>\nstream\n".encode() + data + b"\nendstream"

    catalog = add(b"")
    pages_id = add(b"")
    name = "/NotoSansCJKsc-Regular"
    descriptor = add(
        f"<< /Type /FontDescriptor /FontName {name} /Flags 4 /FontBBox [0 -120 1000 880] "
        "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>".encode()
    )
    cid_font = add(
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont {name} /CIDSystemInfo << /Registry "
        f"(Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor {descriptor} 0 R "
        "/DW 1000 >>".encode()
    )
    to_unicode = add(stream(zlib.compress(cmap), " /Filter /FlateDecode"))
    font = add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont {name} /Encoding /Identity-H "
        f"/DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>".encode()
    )
    page_ids: list[int] = []
    for page in pages:
        ops = ["BT", "/F1 12 Tf"]
        for row, line in enumerate(page):
            hexed = "".join(f"{ord(c):04X}" for c in line)
            ops.append(f"1 0 0 1 60 {800 - 22 * row} Tm <{hexed}> Tj")
        ops.append("ET")
        content = add(stream("\n".join(ops).encode()))
        page_ids.append(
            add(
                f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 595 842] /Resources "
                f"<< /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>".encode()
            )
        )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    objects[pages_id - 1] = f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def _weihai_pdf() -> bytes:
    """The Weihai text laid out as printed: its page breaks, one PDF line per line, page numbers."""
    chunks = _weihai_raw().split("\n\n\n\n")
    pages = [[line for line in chunk.split("\n") if line.strip()] for chunk in chunks]
    return build_pdf([[*page, f"- {n} -"] for n, page in enumerate(pages, start=1) if page])


def _weihai_docx(path: Path) -> None:
    """The Weihai text as a Word author would type it: one paragraph per paragraph."""
    clean = normalize(_weihai_raw())
    document = Document()
    for index in range(len(clean.paragraphs)):
        document.add_paragraph(clean.para_text(index))
    document.save(str(path))


# --- good documents ---------------------------------------------------------------------


def test_docx_weihai_parses_like_text(tmp_path: Path) -> None:
    path = tmp_path / "weihai.docx"
    _weihai_docx(path)
    plan = parse_file(path)
    assert _without_sources(plan) == _expected()
    _check_sources(plan, extract_text(path))


def test_docx_table_cells_are_read(tmp_path: Path) -> None:
    document = Document()
    document.add_paragraph("某市“创业某市”行动方案")
    table = document.add_table(rows=2, cols=1)
    table.cell(0, 0).text = "1.简化审批。推行一网通办。（市行政审批服务局牵头）"
    table.cell(1, 0).text = "2.降低成本。落实减税降费。（市财政局牵头）"
    path = tmp_path / "table.docx"
    document.save(str(path))
    plan = parse_file(path)
    assert [m["title"] for m in plan["measures"]] == ["简化审批", "降低成本"]


def test_pdf_weihai_parses_like_text(tmp_path: Path) -> None:
    path = tmp_path / "weihai.pdf"
    path.write_bytes(_weihai_pdf())
    plan = parse_file(path)
    assert _without_sources(plan) == _expected()
    text = extract_text(path)
    assert "- 3 -" in text  # page numbers are in the text layer and dropped by the parser
    _check_sources(plan, text)


def test_pdf_owner_password_only_is_read(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(_weihai_pdf()))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    plan = parse_bytes(buffer.getvalue(), "weihai.pdf")
    assert len(plan["measures"]) == 24


def test_text_gb18030_and_bom_decode_to_same_plan(tmp_path: Path) -> None:
    expected = json.loads(JSON_PATH.read_text(encoding="utf-8"))
    gbk = tmp_path / "weihai-gbk.txt"
    gbk.write_bytes(_weihai_raw().encode("gb18030"))
    assert parse_file(gbk) == expected
    bom = tmp_path / "weihai-bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + _weihai_raw().encode("utf-8"))
    assert parse_file(bom) == expected


def test_text_windows_line_ends_parse_the_same() -> None:
    plan = parse_text(_weihai_raw().replace("\n", "\r\n"))
    assert _without_sources(plan) == _expected()


def test_content_decides_over_suffix() -> None:
    plan = parse_bytes(_weihai_pdf(), "weihai.txt")
    assert len(plan["measures"]) == 24


# --- refused input ----------------------------------------------------------------------


def _refused(path: Path, message: str) -> None:
    with pytest.raises(PlanParseError, match=re.escape(message)):
        parse_file(path)


def test_refused_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    _refused(path, "文件为空")
    path.write_text(" \n\n\u3000\n", encoding="utf-8")
    _refused(path, "文件为空")


def test_refused_binary_garbage(tmp_path: Path) -> None:
    garbage = random.Random(8).randbytes(4096)
    path = tmp_path / "garbage.txt"
    path.write_bytes(garbage)
    with pytest.raises(PlanParseError):
        parse_file(path)
    path = tmp_path / "garbage.pdf"
    path.write_bytes(garbage)
    _refused(path, "不符")
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + garbage)
    _refused(path, "PDF 文件已损坏")


def test_refused_binary_without_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(bytes(range(1, 32)) * 50)
    _refused(path, "不是文本")


def test_refused_encrypted_pdf(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(_weihai_pdf()))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert PdfReader(path).is_encrypted
    _refused(path, "PDF 已加密")


def test_refused_pdf_without_text_layer(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    _refused(path, "PDF 没有文字层（可能是扫描件）")


def test_refused_document_without_numbered_measures(tmp_path: Path) -> None:
    path = tmp_path / "letter.txt"
    path.write_text(
        "关于召开创业工作会议的通知\n各区市人民政府：\n定于3月10日召开全市创业工作会议，请准时参加。\n"
        "威海市人民政府办公室\n2025年3月6日\n",
        encoding="utf-8",
    )
    _refused(path, "未找到编号的措施，不像是行动方案文件")


def test_refused_oversize_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: nothing is written
    _refused(path, "文件超过 20 MB")
    with pytest.raises(PlanParseError, match="文件超过 20 MB"):
        parse_bytes(b"x" * (MAX_BYTES + 1), "huge.txt")


@pytest.mark.parametrize("name", ["plan.json", "plan.xlsx", "plan.png"])
def test_refused_unknown_format(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"{}")
    _refused(path, "无法识别的文件格式")


def test_refused_legacy_word_and_broken_docx(tmp_path: Path) -> None:
    legacy = tmp_path / "plan.doc"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    _refused(legacy, ".doc")
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    path = tmp_path / "plan.docx"
    path.write_bytes(plain_zip.getvalue())
    _refused(path, "无法识别的文件格式")
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("word/document.xml", "<not-xml")
    path.write_bytes(broken.getvalue())
    _refused(path, "Word 文件已损坏")


def test_refused_missing_file(tmp_path: Path) -> None:
    _refused(tmp_path / "nowhere.txt", "文件不存在")
