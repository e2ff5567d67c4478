"""Malformed uploads: random bytes and damaged real files never cause a 5xx or a partial write.

Two upload paths take files from users: the plan document upload (coordinator → a draft for
review) and the monthly Excel upload (a district reporter → draft figures). For each, a refused
file must leave drafts and figures exactly as they were; a file that is accepted may write.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from docx import Document
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
WEIHAI_TEXT = (ROOT / "data" / "plans" / "weihai-2025-8.txt").read_text(encoding="utf-8")
FUZZ = settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SUFFIXES = (".txt", ".docx", ".pdf", ".json", ".xlsx", ".exe", "")


# --- real files to damage ----------------------------------------------------------------------


def plan_docx() -> bytes:
    document = Document()
    for line in WEIHAI_TEXT.splitlines():
        if line.strip():
            document.add_paragraph(line.strip())
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def plan_pdf() -> bytes:
    """The plan as a PDF with a text layer (Type0 font, code points mapped back by ToUnicode)."""
    lines = [line.strip() for line in WEIHAI_TEXT.splitlines() if line.strip()]
    pages = [lines[i : i + 34] for i in range(0, len(lines), 34)]
    chars = sorted({c for line in lines for c in line})
    cmap_lines = ["/CIDInit /ProcSet findresource begin 12 dict begin begincmap"]
    cmap_lines += ["/CMapName /Adobe-Identity-UCS def /CMapType 2 def"]
    cmap_lines += ["1 begincodespacerange <0000> <FFFF> endcodespacerange"]
    for i in range(0, len(chars), 100):
        chunk = chars[i : i + 100]
        cmap_lines.append(f"{len(chunk)} beginbfchar")
        cmap_lines += [f"<{ord(c):04X}> <{ord(c):04X}>" for c in chunk]
        cmap_lines.append("endbfchar")
    cmap_lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes, extra: str = "") -> bytes:
        return f"<< /Length {len(data)}{extra} >>\nstream\n".encode() + data + b"\nendstream"

    catalog, pages_id = add(b""), add(b"")
    cid = add(
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun /CIDSystemInfo "
        b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>"
    )
    unicode_map = add(
        stream(zlib.compress("\n".join(cmap_lines).encode()), " /Filter /FlateDecode")
    )
    font = add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H "
        f"/DescendantFonts [{cid} 0 R] /ToUnicode {unicode_map} 0 R >>".encode()
    )
    kids = []
    for page in pages:
        ops = ["BT", "/F1 11 Tf"]
        for row, line in enumerate(page):
            code = "".join(f"{ord(c):04X}" for c in line)
            ops.append(f"1 0 0 1 50 {800 - 22 * row} Tm <{code}> Tj")
        ops.append("ET")
        content = add(stream("\n".join(ops).encode()))
        kids.append(
            add(
                f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 595 842] "
                f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>".encode()
            )
        )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()
    refs = " ".join(f"{k} 0 R" for k in kids)
    objects[pages_id - 1] = f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode()
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


DOCX = plan_docx()
PDF = plan_pdf()


def mutated(original: bytes) -> st.SearchStrategy[bytes]:
    """Byte flips, a truncation, or both, anywhere in ``original``."""
    flips = st.lists(
        st.tuples(st.integers(0, len(original) - 1), st.integers(0, 255)), min_size=0, max_size=6
    )
    cut = st.one_of(st.none(), st.integers(0, len(original)))

    def apply(args: tuple[list[tuple[int, int]], int | None]) -> bytes:
        data = bytearray(original)
        for position, value in args[0]:
            data[position] = value
        return bytes(data[: args[1]] if args[1] is not None else data)

    return st.tuples(flips, cut).map(apply).filter(lambda d: d != original)


def with_member_replaced(original: bytes) -> st.SearchStrategy[bytes]:
    """The same package with one part (an XML file inside the zip) replaced by other bytes."""
    with zipfile.ZipFile(io.BytesIO(original)) as package:
        names = package.namelist()

    def rebuild(args: tuple[str, bytes]) -> bytes:
        victim, content = args
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(out, "w") as dst:
            for name in names:
                dst.writestr(name, content if name == victim else src.read(name))
        return out.getvalue()

    junk = st.one_of(
        st.binary(max_size=200),
        st.just(b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxxxx">]><a>&x;&x;</a>'),
        st.just(b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>'),
    )
    return st.tuples(st.sampled_from(names), junk).map(rebuild)


# --- plan document upload ---------------------------------------------------------------------


def _drafts() -> int:
    from chuangye.plans.models import PlanDraft

    return PlanDraft.objects.count()


def post_plan(client: Any, name: str, data: bytes) -> tuple[int, bool]:
    """Upload a plan document; return (status, whether a new draft was written)."""
    before = _drafts()
    response = client.post("/plan/upload/", {"document": SimpleUploadedFile(name, data)})
    assert response.status_code < 500, (name, data[:60])
    written = _drafts() != before
    if response.status_code == 302:
        assert response["Location"].startswith("/plan/drafts/")
        assert _drafts() == before + 1
        assert client.get(response["Location"]).status_code == 200
    else:
        assert response.status_code == 200
        assert not written, f"{name}: refused, yet a draft was written"
    return response.status_code, written


def signed_in(user: Any) -> Client:
    """A client that turns an unhandled exception into the 500 page a visitor would get."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def coordinator(personas: dict[str, Any]) -> Client:
    return signed_in(personas["coordinator"])


def test_plan_upload_of_the_real_documents_makes_a_draft(coordinator: Any) -> None:
    for name, data in (("方案.docx", DOCX), ("方案.pdf", PDF), ("方案.txt", WEIHAI_TEXT.encode())):
        assert post_plan(coordinator, name, data) == (302, True), name


@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES))
def test_plan_upload_survives_random_bytes(coordinator: Any, data: bytes, suffix: str) -> None:
    if suffix == ".json":
        # Valid JSON that is not an object is a known 5xx (test_plan_upload_of_odd_json).
        with contextlib.suppress(ValueError):
            assume(isinstance(json.loads(data), dict))
    post_plan(coordinator, f"upload{suffix}", data)


def foreign_main_part(docx: bytes) -> bool:
    """Whether word/document.xml is well-formed XML whose root is not a Word document."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as package:
            root = etree.fromstring(
                package.read("word/document.xml"), etree.XMLParser(resolve_entities=False)
            )
    except Exception:
        return False
    return not str(root.tag).endswith("}document")


@FUZZ
@given(data=st.one_of(mutated(DOCX), with_member_replaced(DOCX)))
def test_plan_upload_survives_damaged_docx(coordinator: Any, data: bytes) -> None:
    post_plan(coordinator, "方案.docx", data)


def test_plan_upload_of_docx_with_foreign_xml_is_refused(coordinator: Any) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(DOCX)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            body = b'<?xml version="1.0"?><a/>' if name == "word/document.xml" else src.read(name)
            dst.writestr(name, body)
    assert post_plan(coordinator, "方案.docx", out.getvalue()) == (200, False)


@FUZZ
@given(data=mutated(PDF))
def test_plan_upload_survives_damaged_pdf(coordinator: Any, data: bytes) -> None:
    post_plan(coordinator, "方案.pdf", data)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"[]", id="array"),
        pytest.param(b'"plan"', id="string"),
        pytest.param(b"0", id="number"),
        pytest.param(b"1e999", id="infinity"),
        pytest.param(b'{"measures": 5}', id="measures-not-a-list"),
        pytest.param(b"[" * 50_000, id="deeply-nested"),
        pytest.param(b"{}", id="empty-object"),
        pytest.param(b'{"title": ', id="broken"),
        pytest.param(b"\xff\xfe\x00", id="not-utf8"),
    ],
)
def test_plan_upload_of_odd_json_is_refused(coordinator: Any, content: bytes) -> None:
    assert post_plan(coordinator, "plan.json", content) == (200, False)


# --- monthly Excel upload ----------------------------------------------------------------------


@pytest.fixture
def reporter(personas: dict[str, Any], live_round: Any) -> Client:
    return signed_in(personas["reporter_huancui"])


@pytest.fixture
def template(plan: Any, live_round: Any) -> bytes:
    """环翠区's template for the live round with every figure filled in."""
    from chuangye.accounts.models import Department
    from chuangye.reporting.excel import FIRST_ROW, HEADERS, build_template

    bureau = Department.objects.get(code="371002-rsj")
    wb = openpyxl.load_workbook(
        io.BytesIO(build_template(plan, live_round.year, live_round.month, bureau))
    )
    ws = wb["填报"]
    value_column = HEADERS.index("本月数值") + 1
    for row in range(FIRST_ROW, ws.max_row + 1):
        if ws.cell(row=row, column=1).value:
            ws.cell(row=row, column=value_column, value=row * 3)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _figures() -> list[tuple[Any, ...]]:
    from chuangye.reporting.models import DataValue

    return list(DataValue.objects.order_by("pk").values_list("pk", "value", "note", "version"))


def post_excel(client: Any, data: bytes, name: str = "模板.xlsx") -> bool:
    """Upload a workbook; return whether it was accepted. A refused one must write nothing."""
    before = _figures()
    response = client.post(
        "/reporting/excel/upload/",
        {"department": "371002-rsj", "file": SimpleUploadedFile(name, data)},
        follow=True,  # showing the page consumes the messages, so each upload reports its own
    )
    assert [status for _url, status in response.redirect_chain] == [302]
    assert response.status_code == 200
    levels = {m.level_tag for m in response.context["messages"]}
    accepted = levels == {"success"}
    if not accepted:
        assert levels == {"error"}, levels
        assert _figures() == before, "refused, yet figures changed"
    return accepted


def test_excel_upload_of_the_filled_template_saves_figures(reporter: Any, template: bytes) -> None:
    assert not _figures()
    assert post_excel(reporter, template)
    assert len(_figures()) > 3


@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES))
def test_excel_upload_survives_random_bytes(reporter: Any, data: bytes, suffix: str) -> None:
    assert not post_excel(reporter, data, f"upload{suffix}")


@FUZZ
@given(data=st.data())
def test_excel_upload_survives_damaged_templates(reporter: Any, template: bytes, data: Any) -> None:
    damaged = data.draw(st.one_of(mutated(template), with_member_replaced(template)))
    post_excel(reporter, damaged)


def test_excel_upload_refuses_a_zip_bomb(reporter: Any, template: bytes) -> None:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        dst.writestr("xl/media/padding.bin", b"\0" * (210 * 1024 * 1024))
    assert len(out.getvalue()) < 1024 * 1024
    assert not post_excel(reporter, out.getvalue())
