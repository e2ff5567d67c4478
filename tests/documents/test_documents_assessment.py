"""Year-end 考核 on the scenario: scheme, scores with working, self-assessment, export, access."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D
from typing import Any

import pytest
from openpyxl import load_workbook

from chuangye.documents import assessment, services
from chuangye.documents.errors import DocumentError
from chuangye.plans.models import AllocationLine

pytestmark = pytest.mark.django_db

#: Through June 2025: what the scenario has had time to report.
TODAY = dt.date(2025, 7, 10)


def _only_fuchi(scenario: Any, **extra: Any) -> Any:
    """A scheme scoring 扶持创业 alone (10 points), no timeliness: easy to check by hand."""
    weights = {t.pk: 0 for t in scenario.plan.targets.all()}
    weights[scenario.target.pk] = 10
    fields = {
        "weights": weights,
        "mode": "linear",
        "cap": "1",
        "bands": [],
        "lead_share": "0.7",
        "timeliness_weight": "0",
        "flag_gap": "10",
    }
    fields.update(extra)
    return services.save_scheme(
        scenario.plan, 2025, actor=scenario.personas["coordinator"], **fields
    )


def _due(unit: str) -> float:
    """The district's 扶持创业 due by the end of June: its 2025+2026 quota × 6/24."""
    lines = AllocationLine.objects.filter(
        version__status="active", target__subject="扶持创业", org_unit__code=unit
    )
    return sum(float(line.quota) for line in lines) * 6 / 24


def test_district_points_are_weight_times_completion_against_schedule(scenario: Any) -> None:
    _only_fuchi(scenario)
    result = assessment.compute(scenario.plan, 2025, today=TODAY)
    assert result.day == TODAY and not result.final
    by_key = {s.key: s for s in result.districts}
    huancui = by_key["district:371002"]
    (line,) = huancui.lines
    share = min(300 / _due("371002"), 1)
    assert line.weight == D(10) and float(line.share) == pytest.approx(share, abs=1e-4)
    assert line.points == D(str(round(10 * share, 2)))
    assert huancui.score == (huancui.points / D(10) * 100).quantize(D("0.01"))
    # A district with no approved figure earns nothing for the target.
    assert by_key["district:371082"].points == D(0)
    assert [s.rank for s in result.districts][:2] == [1, 2]


def test_department_points_split_between_lead_and_cooperating(scenario: Any) -> None:
    _only_fuchi(scenario)
    result = assessment.compute(scenario.plan, 2025, today=TODAY)
    by_key = {s.key: s for s in result.departments}
    # Measure 2 serves 扶持创业: 市人社局 leads (7 of 10 points), 市发展改革委 cooperates (3).
    lead, coop = by_key["department:rsj"].lines[0], by_key["department:fgw"].lines[0]
    assert (lead.role, lead.weight) == ("lead", D(7)) and (coop.role, coop.weight) == (
        "cooperating",
        D(3),
    )
    city_share = min(800 / 4750, 1)
    assert float(lead.share) == pytest.approx(city_share, abs=1e-4)
    assert lead.points == D(str(round(7 * city_share, 2)))
    assert set(by_key) == {"department:rsj", "department:fgw"}


def test_bands_and_light_judged_targets(scenario: Any) -> None:
    _only_fuchi(scenario, mode="bands", bands=[("20", "50"), ("0", "0")])
    result = assessment.compute(scenario.plan, 2025, today=TODAY)
    (line,) = {s.key: s for s in result.departments}["department:rsj"].lines
    # City completion against schedule is 800/4750 = 16.8%: below the 20% band, so 0.
    assert line.points == D(0)


def test_self_assessment_sits_beside_the_score_and_large_gaps_are_flagged(
    scenario: Any, login: Any
) -> None:
    _only_fuchi(scenario)
    client = login("reporter_huancui")
    page = client.get("/documents/assessment/", {"year": 2025}).content.decode()
    assert 'id="self-assessment"' in page
    client.post(
        "/documents/assessment/self/",
        {"year": "2025", "subject": "district:371002", "score": "95", "note": "全面完成"},
    )
    result = assessment.compute(scenario.plan, 2025, today=TODAY)
    huancui = next(s for s in result.districts if s.key == "district:371002")
    assert huancui.self_score == D(95) and huancui.self_note == "全面完成"
    assert huancui.gap == D(95) - huancui.score and huancui.flagged
    page = client.get("/documents/assessment/", {"year": 2025}).content.decode()
    assert "差异较大" in page and "环翠区" in page and "文登区" not in page


def test_units_self_assess_only_themselves(scenario: Any) -> None:
    with pytest.raises(DocumentError, match="不能为该单位填写自评"):
        services.save_self_assessment(
            scenario.plan,
            2025,
            actor=scenario.personas["reporter_huancui"],
            subject_key="district:371003",
            score="90",
        )
    with pytest.raises(DocumentError, match="不能大于 100"):
        services.save_self_assessment(
            scenario.plan,
            2025,
            actor=scenario.personas["reporter_huancui"],
            subject_key="district:371002",
            score="120",
        )


def test_scheme_page_is_the_coordinators(scenario: Any, login: Any) -> None:
    client = login("coordinator")
    page = client.get("/documents/assessment/scheme/", {"year": 2025}).content.decode()
    assert "目标分值" in page and "扶持创业" in page
    data = {f"w_{t.pk}": "0" for t in scenario.plan.targets.all()}
    data.update(
        {
            f"w_{scenario.target.pk}": "20",
            "year": "2025",
            "mode": "bands",
            "cap": "1",
            "bands": "100 100\n80 70\n0 0",
            "lead_share": "0.6",
            "timeliness_weight": "5",
            "flag_gap": "8",
        }
    )
    assert client.post("/documents/assessment/scheme/", data).status_code == 302
    scheme = assessment.scheme_for(scenario.plan, 2025)
    assert scheme.pk and scheme.mode == "bands" and scheme.lead_share == D("0.6")
    assert scheme.bands == [[100.0, 100.0], [80.0, 70.0], [0.0, 0.0]]
    assert assessment.weight_of(scheme, scenario.target) == D(20)
    for name in ("leader", "reporter_huancui", "outsider"):
        assert login(name).get("/documents/assessment/scheme/").status_code == 404


def test_export_shows_the_working(scenario: Any, login: Any) -> None:
    _only_fuchi(scenario)
    response = login("leader").get("/documents/assessment/", {"year": 2025, "format": "xlsx"})
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["区市得分", "部门得分", "计分明细"]
    working = list(wb["计分明细"].iter_rows(min_row=3, values_only=True))
    assert any(r[:4] == ("市人力资源社会保障局", "部门", "扶持创业", "牵头") for r in working)
    assert (
        login("reporter_huancui")
        .get("/documents/assessment/", {"year": 2025, "format": "xlsx"})
        .status_code
        == 404
    )
    assert login("outsider").get("/documents/assessment/").status_code == 404
