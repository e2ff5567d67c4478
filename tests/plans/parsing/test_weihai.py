"""The bundled Weihai plan (威政办字〔2025〕8号): parser output checked field by field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chuangye.plans.contract import validate_plan_json
from chuangye.plans.parsing import parse_file, parse_text

ROOT = Path(__file__).resolve().parents[3]
TEXT_PATH = ROOT / "data" / "plans" / "weihai-2025-8.txt"
JSON_PATH = ROOT / "data" / "plans" / "weihai-2025-8.json"
RSJ = "市人力资源社会保障局"


@pytest.fixture(scope="module")
def raw() -> str:
    return TEXT_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def parsed(raw: str) -> dict[str, Any]:
    return parse_text(raw)


def _measure(parsed: dict[str, Any], number: int) -> dict[str, Any]:
    measure = parsed["measures"][number - 1]
    assert measure["number"] == number
    return measure


def _roles(parsed: dict[str, Any], number: int) -> list[tuple[str, str]]:
    return [(r["department"], r["role"]) for r in _measure(parsed, number)["responsibilities"]]


def _squash(text: str) -> str:
    return re.sub(r"\s", "", text)


def test_weihai_output_equals_bundled_json(parsed: dict[str, Any]) -> None:
    bundled = json.loads(JSON_PATH.read_text(encoding="utf-8"))
    assert parsed == bundled
    assert "warnings" not in bundled


def test_weihai_output_keeps_the_import_contract(parsed: dict[str, Any]) -> None:
    validate_plan_json(parsed)


def test_weihai_bundled_json_is_formatted_as_written(parsed: dict[str, Any]) -> None:
    expected = json.dumps(parsed, ensure_ascii=False, indent=2) + "\n"
    assert JSON_PATH.read_text(encoding="utf-8") == expected


def test_weihai_parse_file_matches_parse_text(parsed: dict[str, Any]) -> None:
    assert parse_file(TEXT_PATH) == parsed


def test_weihai_front_matter(parsed: dict[str, Any]) -> None:
    assert parsed["title"] == "威海市“创业威海”行动方案"
    assert parsed["issuer"] == "威海市人民政府办公室"
    assert parsed["doc_number"] == "威政办字〔2025〕8号"
    assert parsed["issued_on"] == "2025-03-06"


def test_weihai_sections(parsed: dict[str, Any]) -> None:
    assert parsed["sections"] == [
        {"number": 1, "title": "实施创业市场环境“暖心计划”"},
        {"number": 2, "title": "实施创业重点领域“强链计划”"},
        {"number": 3, "title": "实施创业金融资本“护航计划”"},
        {"number": 4, "title": "实施创业领军人才“梧桐计划”"},
        {"number": 5, "title": "实施创业平台载体“筑巢计划”"},
        {"number": 6, "title": "实施创业能力素质“锻造计划”"},
        {"number": 7, "title": "实施创业文化生态“涵养计划”"},
    ]


def test_weihai_measures_numbering_and_sections(parsed: dict[str, Any]) -> None:
    measures = parsed["measures"]
    assert len(measures) == 24
    assert [m["number"] for m in measures] == list(range(1, 25))
    assert [m["printed"] for m in measures] == [f"{n}." for n in range(1, 25)]
    sections = [m["section"] for m in measures]
    assert sections == [1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 7, 7, 7]


@pytest.mark.parametrize(
    ("number", "title"),
    [
        (1, "持续优化创业环境"),
        (2, "鼓励创业环境优化“揭榜挂帅”"),
        (10, "健全补偿机制助力创业"),
        (15, "争创省级以上创新创业平台"),
        (21, "鼓励中小微企业专精特新发展"),
        (24, "丰富多元创业赛事活动"),
    ],
)
def test_weihai_measure_titles(parsed: dict[str, Any], number: int, title: str) -> None:
    assert _measure(parsed, number)["title"] == title


def test_weihai_measure_text_is_cleaned_and_whole(parsed: dict[str, Any]) -> None:
    first = _measure(parsed, 1)
    assert first["text"].startswith("持续优化创业环境。强化部门联动和信息共享，")
    assert first["text"].endswith(
        "（市行政审批服务局、市人力资源社会保障局、市市场监管局、市大数据局按职责分工负责）"
    )
    assert "涉及企业3个“一件事”为契机" in first["text"]
    # The bracket of measure 10 stands after a page break; it rejoins its sentence.
    assert _measure(parsed, 10)["text"].endswith("给予社会化资金救助。（市人力资源社会保障局牵头）")
    # The closing paragraph belongs to no measure.
    assert _measure(parsed, 24)["text"].endswith("市退役军人局按职责分工负责）")
    for measure in parsed["measures"]:
        assert "\n" not in measure["text"]
        assert " " not in measure["text"]


def test_weihai_sources_point_at_raw_text(raw: str, parsed: dict[str, Any]) -> None:
    for measure in parsed["measures"]:
        start, end = measure["source"]["start"], measure["source"]["end"]
        assert _squash(raw[start:end]) == measure["printed"] + measure["text"]
        for target in measure["targets"]:
            span = raw[target["source"]["start"] : target["source"]["end"]]
            assert _squash(span) == target["text"]
    for target in parsed["targets"]:
        span = raw[target["source"]["start"] : target["source"]["end"]]
        assert _squash(span) == target["text"]
    first = parsed["targets"][0]
    assert (
        raw[first["source"]["start"] : first["source"]["end"]]
        == "到 2026年，全市扶持创业 1.9\n\n万人以上"
    )


def test_weihai_roles_measure_1_joint_with_split_name(parsed: dict[str, Any]) -> None:
    assert _roles(parsed, 1) == [
        ("市行政审批服务局", "joint"),
        (RSJ, "joint"),
        ("市市场监管局", "joint"),  # printed 市市场监 / 管局 across a page break
        ("市大数据局", "joint"),
    ]


def test_weihai_roles_measure_2_cooperating_split_at_line_end(parsed: dict[str, Any]) -> None:
    assert _roles(parsed, 2) == [(RSJ, "lead"), ("市发展改革委", "cooperating")]


def test_weihai_roles_measure_5_split_across_pages(parsed: dict[str, Any]) -> None:
    assert _roles(parsed, 5) == [("市工业和信息化局", "lead"), ("市农业农村局", "cooperating")]


def test_weihai_roles_measure_7_bank_and_regulator(parsed: dict[str, Any]) -> None:
    assert _roles(parsed, 7) == [
        ("人民银行威海市分行", "joint"),
        ("市财政局", "joint"),
        (RSJ, "joint"),
        ("市市场监管局", "joint"),
        ("威海金融监管分局", "joint"),
    ]


def test_weihai_roles_measure_11_lead_and_five_cooperating(parsed: dict[str, Any]) -> None:
    assert _roles(parsed, 11) == [
        ("市委组织部", "lead"),
        ("团市委", "cooperating"),
        ("市教育局", "cooperating"),
        ("市科技局", "cooperating"),
        (RSJ, "cooperating"),
        ("市市场监管局", "cooperating"),
    ]


def test_weihai_roles_measure_16_split_name(parsed: dict[str, Any]) -> None:
    assert _roles(parsed, 16) == [("市发展改革委", "joint"), (RSJ, "joint")]


def test_weihai_roles_measure_20_split_name(parsed: dict[str, Any]) -> None:
    assert _roles(parsed, 20) == [(RSJ, "lead")]


def test_weihai_roles_measure_13_aside_is_not_a_unit(parsed: dict[str, Any]) -> None:
    assert _roles(parsed, 13) == [
        ("市发展改革委", "joint"),
        ("市财政局", "joint"),
        (RSJ, "joint"),
        ("市农业农村局", "joint"),
    ]


def test_weihai_every_measure_has_units(parsed: dict[str, Any]) -> None:
    for measure in parsed["measures"]:
        assert measure["responsibilities"], measure["number"]
        roles = {r["role"] for r in measure["responsibilities"]}
        assert roles <= {"lead", "cooperating", "joint"}


def _fields(target: dict[str, Any]) -> tuple[Any, ...]:
    return (
        target["subject"],
        target["value"],
        target["min"],
        target["max"],
        target["unit"],
        target["comparator"],
        target["per_year"],
        target["deadline_year"],
        target["reference"],
    )


def test_weihai_preamble_targets(parsed: dict[str, Any]) -> None:
    assert [_fields(t) for t in parsed["targets"]] == [
        ("扶持创业", 19000, None, None, "人", ">=", False, 2026, None),
        ("带动就业", 50000, None, None, "人", ">=", False, 2026, None),
        ("专精特新企业", 50, None, None, "家", ">=", True, 2026, None),
        ("名特优新个体工商户", 70, None, None, "家", "~", True, 2026, None),
        ("高层次科技人才团队", 6, None, None, "个", "~", True, 2026, None),
        (
            "普惠小微企业贷款余额同比增速",
            None,
            None,
            None,
            "%",
            "relative",
            False,
            2026,
            "各贷款增速",
        ),
        ("创业担保贷款", 600_000_000, None, None, "元", ">=", False, 2026, None),
        ("个体工商户经营性贷款", 1_500_000_000, None, None, "元", ">=", False, 2026, None),
        ("创业创新赛事优质项目", 95, None, None, "个", ">=", True, 2026, None),
        ("创业促进活动", 65, None, None, "场", ">=", True, 2026, None),
    ]
    assert [t["text"] for t in parsed["targets"][:3]] == [
        "到2026年，全市扶持创业1.9万人以上",
        "带动就业5万人以上",
        "每年培育专精特新企业50家以上",
    ]


def test_weihai_measure_targets(parsed: dict[str, Any]) -> None:
    found = {
        m["number"]: [_fields(t) for t in m["targets"]] for m in parsed["measures"] if m["targets"]
    }
    assert found == {
        11: [("青年人才", 20000, None, None, "人", ">=", True, None, None)],
        14: [("大学生创新创业训练计划", 50, None, None, "名", "~", True, None, None)],
        17: [
            ("市级创业街区", 20, None, None, "个", "=", False, None, None),
            ("省级创业街区", None, 2, 3, "个", "range", False, None, None),
        ],
        18: [("青年双创阵地", 3, None, None, "个", "=", False, None, None)],
        19: [
            ("高素质农民创业创新培训", 200, None, None, "人次", ">=", True, None, None),
            ("中小企业中高级管理人才", 120, None, None, "人", "~", True, None, None),
            ("重点企业主要负责人", 30, None, None, "人", "~", True, None, None),
            ("青年培训", 1000, None, None, "人次", ">=", False, 2026, None),
        ],
        20: [
            ("市级创业导师工作室", 40, None, None, "个", "=", False, None, None),
            ("创业导师库", 150, None, None, "人", ">=", False, None, None),
            ("创业导师进基层公益活动", 20, None, None, "场次", ">=", True, None, None),
        ],
    }


def test_weihai_target_count(parsed: dict[str, Any]) -> None:
    inside = sum(len(m["targets"]) for m in parsed["measures"])
    assert (len(parsed["targets"]), inside) == (10, 12)


def test_weihai_policy_parameters_are_not_targets(parsed: dict[str, Any]) -> None:
    texts = [t["text"] for m in parsed["measures"] for t in m["targets"]]
    for parameter in ("3个“一件事”", "10个重点领域", "3年内", "延长1次", "不超过3年"):
        assert not any(parameter in text for text in texts)
