"""`chuangye report bulletin`: files written, and bad input refused with exit code 2."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from chuangye.cli import main

pytestmark = pytest.mark.django_db


def test_bulletin_docx_for_a_month_has_the_figures(
    scenario: Any, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "通报.docx"
    code = main(
        ["report", "bulletin", "--period", "2025-06", "--format", "docx", "-o", str(out),
         "--date", "2025-07-08", "--number", "第 6 期"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "已生成" in capsys.readouterr().out
    document = Document(io.BytesIO(out.read_bytes()))
    assert document.paragraphs[1].text == "第 6 期"
    assert "2025年7月8日" in document.paragraphs[2].text
    first = [c.text for c in document.tables[0].rows[1].cells]
    assert first[:5] == ["1", "扶持创业", "≥19,000人", "800人", "800人"]


def test_bulletin_for_one_district_as_pdf_and_xlsx(scenario: Any, tmp_path: Path) -> None:
    pdf, xlsx = tmp_path / "b.pdf", tmp_path / "b.xlsx"
    assert main(["report", "bulletin", "--period", "2025-Q2", "--unit", "371002",
                 "--format", "pdf", "-o", str(pdf)]) == 0  # fmt: skip
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "关于环翠区2025年第二季度" in text and "300人" in text
    # The format follows the file name when --format is left out.
    assert main(["report", "bulletin", "--period", "2025", "--unit", "371003",
                 "-o", str(xlsx)]) == 0  # fmt: skip
    rows = list(load_workbook(xlsx)["目标完成情况"].iter_rows(min_row=3, values_only=True))
    assert rows[0][1] == "扶持创业" and rows[0][7] == 500


def test_period_without_data_writes_a_document_saying_so_and_exits_2(
    scenario: Any, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "empty.docx"
    assert main(["report", "bulletin", "--period", "2025-09", "-o", str(out)]) == 2
    assert "暂无已审核数据" in capsys.readouterr().err
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "暂无2025年9月已审核的填报数据" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2025-13"], "月份应在 1 至 12 之间"),
        (["--period", "上半年"], "无法识别的期间"),
        (["--period", "2031"], "不在方案期"),
        (["--period", "2025-06", "--unit", "999999"], "区划代码“999999”不存在"),
        (["--period", "2025-06", "--format", "odt"], "--format 应为 docx、pdf 或 xlsx"),
        (["--period", "2025-06", "--date", "7月8日"], "--date 应为 YYYY-MM-DD"),
    ],
)
def test_bad_input_exits_2_with_a_chinese_message(
    plan: Any, tmp_path: Path, capsys: Any, args: list[str], message: str
) -> None:
    out = tmp_path / "x.docx"
    assert main(["report", "bulletin", *args, "-o", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_unwritable_output_exits_2(plan: Any, tmp_path: Path, capsys: Any) -> None:
    missing = tmp_path / "没有这个目录" / "x.docx"
    assert main(["report", "bulletin", "--period", "2025-06", "-o", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "输出目录" in err and "不存在" in err
    assert main(["report", "bulletin", "--period", "2025-06", "--format", "docx",
                 "-o", str(tmp_path)]) == 2  # fmt: skip
    assert "是一个目录" in capsys.readouterr().err
