"""The bulletin's content and its Word, PDF and Excel files, opened and read back.

The files are generated once for the module (inside a transaction that is rolled back), from the
scenario described in ``conftest.py``.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from pypdf import PdfReader

from chuangye.documents import bulletin
from chuangye.documents.periods import parse_period
from chuangye.documents.render import render_bulletin
from chuangye.documents.render.word import FANGSONG, HEI, LATIN, SONG

# The marker makes pytest-django create the test database the module fixture writes into.
pytestmark = pytest.mark.django_db

DATED = dt.date(2025, 7, 8)
CAUSE = "街区场地改造延期"  # as written by the scenario's progress update
REMEDY = "七月底前完成改造并开放入驻"


@dataclass
class Rendered:
    city: dict[str, Any]
    district: dict[str, Any]
    empty: dict[str, Any]
    files: dict[str, bytes]
    empty_files: dict[str, bytes]
    district_docx: bytes
    expected_scores: dict[str, float]
    measure_title: str


def _doc(plan: Any, period: str, code: str, number: str) -> dict[str, Any]:
    from chuangye.accounts.models import OrgUnit

    p = parse_period(period)
    unit = OrgUnit.objects.get(code=code)
    snap = bulletin.compose(plan, p, unit)
    return bulletin.document_of(
        snap,
        title=bulletin.title_for(plan, p, unit),
        number=number,
        dated=DATED,
        summary=bulletin.draft_summary(snap),
        draft=False,
    )


def _expected_scores(plan: Any) -> dict[str, float]:
    """League score by hand: actual ÷ (the district's 2025+2026 quota × 6/24), capped at 1.2."""
    from chuangye.plans.models import AllocationLine

    quota: dict[str, float] = {}
    for line in AllocationLine.objects.filter(
        version__status="active",
        target__subject="扶持创业",
        org_unit__code__in=["371002", "371003"],
    ):
        quota[line.org_unit.short_name] = quota.get(line.org_unit.short_name, 0) + float(line.quota)
    actual = {"环翠区": 300, "文登区": 500}
    return {k: min(actual[k] / (quota[k] * 6 / 24), 1.2) for k in actual}


@pytest.fixture(scope="module")
def rendered(
    django_db_setup: Any, django_db_blocker: Any, weihai_json: dict[str, Any], kit: Any
) -> Rendered:
    from chuangye.accounts.models import User
    from chuangye.accounts.services import ensure_reference_data
    from chuangye.demo import build_demo
    from chuangye.plans.services import import_plan

    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=hashers),
        transaction.atomic(),
    ):
        if True:
            ensure_reference_data(actor=None)
            plan = import_plan(weihai_json, actor=None, source_text="")
            build_demo(scale=1, password=kit.PASSWORD)
            personas = {u.username: u for u in User.objects.all()}
            s = kit.build_scenario(plan, personas)
            assert (s.update.cause, s.update.remedy) == (CAUSE, REMEDY)
            city = _doc(plan, "2025-06", "371000", "第 6 期")
            district = _doc(plan, "2025-Q2", "371002", "第 2 期")
            empty = _doc(plan, "2025-09", "371000", "第 9 期")
            result = Rendered(
                city=city,
                district=district,
                empty=empty,
                files={f: render_bulletin(city, f) for f in ("docx", "pdf", "xlsx")},
                empty_files={f: render_bulletin(empty, f) for f in ("docx", "pdf", "xlsx")},
                district_docx=render_bulletin(district, "docx"),
                expected_scores=_expected_scores(plan),
                measure_title=f"{s.measure.printed}{s.measure.title}",
            )
            transaction.set_rollback(True)
    return result


def _row(doc: dict[str, Any], subject: str) -> dict[str, Any]:
    return next(r for r in doc["targets"] if r["subject"] == subject)


# --- content ----------------------------------------------------------------------------------


def test_snapshot_holds_the_hand_computed_figures(rendered: Rendered) -> None:
    row = _row(rendered.city, "扶持创业")
    assert row["actual"] == "800.00" and row["period_value"] == "800.00"
    assert row["goal"] == "19000.0000" and row["expected"] == "4750.00"
    assert row["completion"] == pytest.approx(800 / 19000)
    assert row["time_elapsed"] == pytest.approx(0.25)
    assert row["status"] == "red"
    assert len(rendered.city["targets"]) == 22
    # Targets nobody reported stay “no data”, never zero.
    assert _row(rendered.city, "带动就业")["actual"] is None
    assert rendered.city["counts"]["no_data"] == 21


def test_summary_quotes_the_figures_and_names_the_red_target(rendered: Rendered) -> None:
    summary = rendered.city["summary"]
    assert summary.startswith("截至2025年6月底，全市“创业威海”行动方案22项量化目标中")
    assert "扶持创业累计800人，完成目标的4.2%（序时进度25.0%）" in summary
    assert "滞后1项" in summary and "21项暂无数据" in summary
    assert "扶持创业1项目标滞后于序时进度" in summary


def test_ranking_is_on_outcomes_against_schedule(rendered: Rendered) -> None:
    ranking = rendered.city["ranking"]
    expected = sorted(rendered.expected_scores.items(), key=lambda kv: -kv[1])
    assert [(r["name"], r["score"]) for r in ranking] == [
        (name, pytest.approx(score, abs=1e-4)) for name, score in expected
    ]
    assert [r["rank"] for r in ranking] == [1, 2]


def test_at_risk_target_lists_its_lagging_measure_and_units(rendered: Rendered) -> None:
    (risk,) = rendered.city["at_risk"]
    assert risk["subject"] == "扶持创业"
    (measure,) = risk["measures"]
    assert measure["title"] == rendered.measure_title and measure["lagging"]
    assert measure["lead"] == ["市人力资源社会保障局"]
    assert measure["cooperating"] == ["市发展改革委"]
    assert measure["latest"][0]["department"] == "环翠区人社局"
    (remedy,) = rendered.city["remedies"]
    assert (remedy["cause"], remedy["remedy"], remedy["remedy_due"]) == (
        CAUSE,
        REMEDY,
        "2025-07-31",
    )


def test_district_bulletin_shows_its_own_share_and_place(rendered: Rendered) -> None:
    doc = rendered.district
    assert doc["title"] == "关于环翠区2025年第二季度“创业威海”行动方案推进情况的通报"
    assert _row(doc, "扶持创业")["actual"] == "300.00"
    place = next(r["rank"] for r in doc["ranking"] if r["name"] == "环翠区")
    assert f"环翠区在2个区市中排名第{place}位" in doc["summary"]
    assert doc["remedies"] and doc["remedies"][0]["department"] == "环翠区人社局"


def test_period_without_data_says_so(rendered: Rendered) -> None:
    doc = rendered.empty
    assert not doc["has_data"]
    assert doc["ranking"] == [] and doc["at_risk"] == [] and doc["charts"]["trend"] == []
    assert "暂无2025年9月已审核的填报数据" in doc["summary"]


# --- Word -------------------------------------------------------------------------------------


def _runs(document: Any) -> list[Any]:
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs += cell.paragraphs
    for section in document.sections:
        paragraphs += section.footer.paragraphs + section.header.paragraphs
    return [run for p in paragraphs for run in p.runs]


def _table_rows(table: Any) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def test_docx_has_the_official_header_title_and_figures(rendered: Rendered) -> None:
    document = Document(io.BytesIO(rendered.files["docx"]))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "“创业威海”行动方案工作通报"
    assert texts[1] == "第 6 期"
    assert texts[2] == "威海市人力资源社会保障局\t2025年7月8日"
    assert texts[3] == "关于2025年6月“创业威海”行动方案\n推进情况的通报"
    assert "一、总体情况" in texts and "五、滞后原因及整改措施" in texts
    assert rendered.city["summary"] in texts
    assert document.core_properties.title == rendered.city["title"]
    assert len(document.inline_shapes) == 2  # trend and ranking charts


def test_docx_tables_carry_every_target_and_the_district_ranking(rendered: Rendered) -> None:
    document = Document(io.BytesIO(rendered.files["docx"]))
    targets, ranking, risk, remedies = (_table_rows(t) for t in document.tables)
    assert targets[0] == [
        "序号",
        "目标事项",
        "目标值",
        "本期完成",
        "累计完成",
        "完成率",
        "序时进度",
        "状态",
    ]
    assert len(targets) == 1 + 22
    assert targets[1] == ["1", "扶持创业", "≥19,000人", "800人", "800人", "4.2%", "25.0%", "滞后"]
    assert targets[2][1:] == ["带动就业", "≥50,000人", "—", "—", "—", "25.0%", "暂无数据"]
    assert [r[1] for r in ranking[1:]] == [r["name"] for r in rendered.city["ranking"]]
    assert risk[1][:4] == [
        "扶持创业",
        "完成4.2%，序时进度25.0%；滞后区市：环翠区、文登区",
        rendered.measure_title + "（滞后）",
        "市人力资源社会保障局",
    ]
    assert remedies[1][1:] == ["环翠区人社局", "2025年第2季度", CAUSE, REMEDY, "2025年7月31日"]


def test_docx_sets_an_east_asian_and_a_latin_font_on_every_run(rendered: Rendered) -> None:
    for content in (rendered.files["docx"], rendered.empty_files["docx"], rendered.district_docx):
        runs = _runs(Document(io.BytesIO(content)))
        assert len(runs) > 10
        for run in runs:
            fonts = run._element.rPr.rFonts
            assert fonts.get(qn("w:eastAsia")) in {FANGSONG, SONG, HEI}, run.text
            assert fonts.get(qn("w:ascii")) == LATIN and fonts.get(qn("w:hAnsi")) == LATIN
    document = Document(io.BytesIO(rendered.files["docx"]))
    by_text = {r.text: r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in _runs(document)}
    assert by_text["一、总体情况"] == HEI
    assert by_text[rendered.city["summary"]] == FANGSONG
    assert by_text["扶持创业"] == SONG  # table cell


def test_docx_for_a_period_without_data_has_no_tables_of_zeros(rendered: Rendered) -> None:
    document = Document(io.BytesIO(rendered.empty_files["docx"]))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "暂无2025年9月已审核的填报数据" in text
    assert "本期通报不列示目标完成情况" in text
    assert document.tables == [] and len(document.inline_shapes) == 0


# --- PDF --------------------------------------------------------------------------------------


def _pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_pdf_text_is_chinese_and_extractable(rendered: Rendered) -> None:
    text = _pdf_text(rendered.files["pdf"])
    for expected in (
        "“创业威海”行动方案工作通报",
        "威海市人力资源社会保障局",
        "总体情况",
        "扶持创业",
        "800人",
        "滞后",
        "环翠区",
        CAUSE,
        "图1",
    ):
        assert expected in text, expected
    assert "\ufffd" not in text and "□" not in text


def test_pdf_embeds_the_chinese_font(rendered: Rendered) -> None:
    reader = PdfReader(io.BytesIO(rendered.files["pdf"]))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = [str(f.get_object()["/BaseFont"]) for f in fonts.values()]
    assert any("WenQuanYi" in n or "CJK" in n for n in names), names
    assert reader.metadata is not None and reader.metadata.title == rendered.city["title"]


def test_pdf_for_a_period_without_data_says_so(rendered: Rendered) -> None:
    text = _pdf_text(rendered.empty_files["pdf"])
    assert "暂无" in text and "800人" not in text


# --- Excel ------------------------------------------------------------------------------------


def test_xlsx_annex_has_one_sheet_per_table_with_numbers(rendered: Rendered) -> None:
    wb = load_workbook(io.BytesIO(rendered.files["xlsx"]))
    assert wb.sheetnames == ["通报信息", "目标完成情况", "区市排名", "需关注目标", "原因与整改"]
    info = {r[0]: r[1] for r in wb["通报信息"].iter_rows(values_only=True)}
    assert info["期号"] == "第 6 期" and info["总体情况"] == rendered.city["summary"]
    rows = list(wb["目标完成情况"].iter_rows(values_only=True))
    header = rows[1]
    data = [dict(zip(header, r, strict=True)) for r in rows[2:]]
    assert len(data) == 22
    first = data[0]
    assert first["目标事项"] == "扶持创业" and first["目标值"] == 19000
    assert first["本期完成"] == 800 and first["累计完成"] == 800 and first["序时应完成"] == 4750
    assert first["完成率"] == pytest.approx(800 / 19000) and first["状态"] == "滞后"
    assert data[1]["累计完成"] is None and data[1]["状态"] == "暂无数据"
    ranking = list(wb["区市排名"].iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in ranking] == [r["name"] for r in rendered.city["ranking"]]
    remedies = list(wb["原因与整改"].iter_rows(min_row=2, values_only=True))
    assert remedies[0][4:6] == (CAUSE, REMEDY)


def test_xlsx_for_a_period_without_data_says_so_instead_of_zeros(rendered: Rendered) -> None:
    wb = load_workbook(io.BytesIO(rendered.empty_files["xlsx"]))
    rows = list(wb["目标完成情况"].iter_rows(values_only=True))
    assert rows[-1][0] == "本期暂无已审核数据" and len(rows) == 3
