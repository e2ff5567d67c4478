"""One short, realistic snippet per construct the parser must understand."""

from __future__ import annotations

from typing import Any

import pytest

from chuangye.plans.parsing import PlanParseError, parse_text
from chuangye.plans.parsing.targets import extract_targets
from chuangye.plans.parsing.text import normalize

TITLE = "某市“创业某市”行动方案"


def _plan(*lines: str, title: str = TITLE) -> dict[str, Any]:
    return parse_text("\n".join([title, *lines]))


def _roles(measure: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["department"], r["role"]) for r in measure["responsibilities"]]


def _targets(sentence: str) -> list[dict[str, Any]]:
    """Targets of the only measure of a two-measure plan whose first measure holds ``sentence``."""
    plan = _plan(
        "一、重点任务",
        f"1.推进创业扶持。{sentence}（市人力资源社会保障局牵头）",
        "2.优化服务。做好创业服务。（市财政局牵头）",
    )
    return plan["measures"][0]["targets"]


def _one(sentence: str) -> dict[str, Any]:
    found = _targets(sentence)
    assert len(found) == 1, found
    return found[0]


# --- numbering levels ------------------------------------------------------------------


def test_numbering_cn_sections_with_arabic_measures_continuing_across_sections() -> None:
    plan = _plan(
        "一、优化环境",
        "1.简化审批。推行一网通办。（市行政审批服务局牵头）",
        "2.降低成本。落实减税降费。（市财政局牵头）",
        "二、强化支撑",
        "3.加大投入。统筹资金。（市财政局牵头）",
    )
    assert [s["number"] for s in plan["sections"]] == [1, 2]
    assert [(m["number"], m["printed"], m["section"]) for m in plan["measures"]] == [
        (1, "1.", 1),
        (2, "2.", 1),
        (3, "3.", 2),
    ]


def test_numbering_paren_cn_leaves_restarting_per_part() -> None:
    plan = _plan(
        "一、优化创业环境",
        "（一）简化审批。推行一网通办。（市行政审批服务局牵头）",
        "（二）降低成本。落实减税降费政策。（市财政局牵头）",
        "二、强化要素支撑",
        "（一）加大投入。统筹各类资金。（市财政局牵头）",
        "（二）强化人才。引育创业人才。（市委组织部牵头）",
    )
    assert [m["printed"] for m in plan["measures"]] == ["（一）", "（二）", "（一）", "（二）"]
    assert [m["number"] for m in plan["measures"]] == [1, 2, 3, 4]
    assert [m["section"] for m in plan["measures"]] == [1, 1, 2, 2]
    assert plan["measures"][2]["title"] == "加大投入"


def test_numbering_full_width_dot_and_digits() -> None:
    plan = _plan(
        "一、重点任务",
        "１．简化审批。推行一网通办。（市行政审批服务局牵头）",
        "２．降低成本。落实减税降费。（市财政局牵头）",
    )
    assert [m["printed"] for m in plan["measures"]] == ["1.", "2."]
    assert plan["measures"][1]["title"] == "降低成本"


def test_numbering_deepest_level_with_brackets_is_measure_level() -> None:
    plan = _plan(
        "一、重点任务",
        "（一）优化环境",
        "1.简化审批。推行一网通办。（市行政审批服务局牵头）",
        "2.降低成本。落实减税降费。（市财政局牵头）",
        "（二）强化支撑",
        "3.加大投入。统筹资金。（市财政局牵头）",
    )
    assert len(plan["measures"]) == 3
    # Sections are the level right above the tasks.
    assert plan["sections"] == [
        {"number": 1, "title": "优化环境"},
        {"number": 2, "title": "强化支撑"},
    ]
    assert [m["section"] for m in plan["measures"]] == [1, 1, 2]


def test_numbering_sub_points_stay_inside_their_measure() -> None:
    plan = _plan(
        "一、重点任务",
        "（一）优化环境。重点做好以下工作：",
        "（1）简化审批流程；",
        "（2）降低创业成本。",
        "（市行政审批服务局牵头，市财政局配合）",
        "（二）强化支撑。统筹资金。（市财政局牵头）",
    )
    first = plan["measures"][0]
    assert len(plan["measures"]) == 2
    assert "（1）简化审批流程；\n（2）降低创业成本。（市行政审批服务局牵头" in first["text"]
    assert _roles(first) == [("市行政审批服务局", "lead"), ("市财政局", "cooperating")]


def test_numbering_alone_on_its_line() -> None:
    plan = _plan(
        "一、重点任务",
        "1.",
        "简化审批。推行一网通办。（市行政审批服务局牵头）",
        "2.",
        "降低成本。落实减税降费。（市财政局牵头）",
    )
    assert [m["title"] for m in plan["measures"]] == ["简化审批", "降低成本"]
    assert plan["measures"][0]["text"] == "简化审批。推行一网通办。（市行政审批服务局牵头）"


def test_numbering_out_of_sequence_line_is_text() -> None:
    plan = _plan(
        "一、重点任务",
        "1.简化审批。推行一网通办，",
        "5.0版政务服务同步上线。（市行政审批服务局牵头）",
        "2.降低成本。落实减税降费。（市财政局牵头）",
    )
    assert len(plan["measures"]) == 2


def test_numbering_sections_restarting_per_part_are_renumbered() -> None:
    plan = _plan(
        "第一部分 重点任务",
        "一、优化环境",
        "1.简化审批。推行一网通办。（市行政审批服务局牵头）",
        "第二部分 保障措施",
        "一、强化支撑",
        "2.加大投入。统筹资金。（市财政局牵头）",
    )
    assert [s["number"] for s in plan["sections"]] == [1, 2]
    assert [m["section"] for m in plan["measures"]] == [1, 2]
    assert "各部分的专项编号重复，已按出现顺序重新编号" in plan["warnings"]


def test_general_section_without_units_is_not_measures() -> None:
    plan = _plan(
        "一、总体要求",
        "（一）指导思想。坚持就业优先战略。",
        "（二）主要目标。到2026年，全市扶持创业1万人以上。",
        "二、重点任务",
        "（三）简化审批。推行一网通办。（市行政审批服务局牵头）",
        "（四）降低成本。落实减税降费。（市财政局牵头）",
    )
    assert [m["title"] for m in plan["measures"]] == ["简化审批", "降低成本"]
    assert plan["sections"] == [{"number": 2, "title": "重点任务"}]
    assert [t["value"] for t in plan["targets"]] == [10000]
    assert any("总体要求" in w for w in plan["warnings"])


# --- responsibility brackets --------------------------------------------------------------


def test_bracket_lead_and_cooperating() -> None:
    plan = _plan(
        "一、重点任务",
        "1.简化审批。推行一网通办。（市人社局牵头，市发改委、市科技局配合）",
        "2.降低成本。落实减税降费。（市财政局牵头，市税务局参与，市工信局协助）",
    )
    assert _roles(plan["measures"][0]) == [
        ("市人力资源社会保障局", "lead"),
        ("市发展改革委", "cooperating"),
        ("市科技局", "cooperating"),
    ]
    assert _roles(plan["measures"][1]) == [
        ("市财政局", "lead"),
        ("市税务局", "cooperating"),
        ("市工业和信息化局", "cooperating"),
    ]


def test_bracket_joint_forms() -> None:
    plan = _plan(
        "一、重点任务",
        "1.简化审批。推行一网通办。（市行政审批服务局、市大数据局按职责分工负责）",
        "2.降低成本。落实减税降费。（市财政局负责）",
        "3.强化服务。做好服务。（市科技局、市教育局）",
    )
    assert _roles(plan["measures"][0]) == [("市行政审批服务局", "joint"), ("市大数据局", "joint")]
    assert _roles(plan["measures"][1]) == [("市财政局", "joint")]
    assert _roles(plan["measures"][2]) == [("市科技局", "joint"), ("市教育局", "joint")]


def test_bracket_first_listed_is_lead_and_inherited() -> None:
    plan = _plan(
        "一、重点任务",
        "1.简化审批。推行一网通办。（市行政审批服务局、市大数据局负责。列第一位者为牵头单位，下同）",
        "2.降低成本。落实减税降费。（市财政局、市科技局负责）",
        "3.强化服务。做好服务。（市教育局牵头，团市委配合）",
    )
    assert _roles(plan["measures"][0]) == [("市行政审批服务局", "lead"), ("市大数据局", "joint")]
    assert _roles(plan["measures"][1]) == [("市财政局", "lead"), ("市科技局", "joint")]
    assert _roles(plan["measures"][2]) == [("市教育局", "lead"), ("团市委", "cooperating")]


def test_bracket_first_is_lead_said_in_preamble() -> None:
    plan = _plan(
        "各项任务中，列第一位者为牵头单位。",
        "一、重点任务",
        "1.简化审批。推行一网通办。（市行政审批服务局、市大数据局按职责分工负责）",
        "2.降低成本。落实减税降费。（市财政局、市科技局按职责分工负责）",
    )
    assert _roles(plan["measures"][1]) == [("市财政局", "lead"), ("市科技局", "joint")]


def test_bracket_districts_kept_as_printed_without_warning() -> None:
    plan = _plan(
        "一、重点任务",
        "1.简化审批。推行一网通办。（市人力资源社会保障局牵头，各区市人民政府负责）",
        "2.降低成本。落实减税降费。（各区市负责）",
    )
    assert _roles(plan["measures"][0]) == [
        ("市人力资源社会保障局", "lead"),
        ("各区市人民政府", "joint"),
    ]
    assert _roles(plan["measures"][1]) == [("各区市", "joint")]
    assert "warnings" not in plan


def test_bracket_labelled_units() -> None:
    plan = _plan(
        "一、重点任务",
        "1.简化审批。推行一网通办。（责任单位：市行政审批服务局、市大数据局）",
        "2.降低成本。落实减税降费。（牵头单位：市财政局；配合单位：市科技局、市教育局等）",
        "3.强化服务。做好服务。",
        "责任单位：市人社局",
        "4.完善机制。健全制度。（市委组织部（市人才办）牵头，各区市人民政府负责落实）",
    )
    assert _roles(plan["measures"][0]) == [("市行政审批服务局", "joint"), ("市大数据局", "joint")]
    assert _roles(plan["measures"][1]) == [
        ("市财政局", "lead"),
        ("市科技局", "cooperating"),
        ("市教育局", "cooperating"),
    ]
    assert _roles(plan["measures"][2]) == [("市人力资源社会保障局", "joint")]
    assert _roles(plan["measures"][3]) == [("市委组织部", "lead"), ("各区市人民政府", "joint")]


def test_bracket_unknown_department_kept_with_warning() -> None:
    plan = _plan(
        "一、重点任务",
        "1.简化审批。推行一网通办。（市住房城乡建设局牵头，市财政局配合）",
        "2.降低成本。落实减税降费。（市财政局牵头）",
    )
    assert _roles(plan["measures"][0])[0] == ("市住房城乡建设局", "lead")
    assert any("市住房城乡建设局" in w for w in plan["warnings"])


def test_bracket_after_several_sentences_and_asides_are_not_units() -> None:
    plan = _plan(
        "一、重点任务",
        "1.简化审批。指导各区市（含国家级开发区，下同）推行一网通办。开展乡村振兴合伙人（首席专家）"
        "招募行动。落实《方案（2024—2026年）》。（市行政审批服务局牵头）",
        "2.降低成本。落实减税降费。（市财政局牵头）",
    )
    assert _roles(plan["measures"][0]) == [("市行政审批服务局", "lead")]


def test_bracket_missing_is_warned() -> None:
    plan = _plan(
        "一、重点任务",
        "1.简化审批。推行一网通办。（市行政审批服务局牵头）",
        "2.降低成本。落实减税降费。",
    )
    assert plan["measures"][1]["responsibilities"] == []
    assert "第2项措施未找到责任单位" in plan["warnings"]


# --- targets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "value", "unit", "comparator"),
    [
        ("全市扶持创业1.9万人以上。", 19000, "人", ">="),
        ("每年培育专精特新企业不少于50家。", 50, "家", ">="),
        ("新增就业岗位达到3000个。", 3000, "个", ">="),
        ("孵化企业数超过200家。", 200, "家", ">="),
        ("城镇调查失业率控制在5.5%以内。", 5.5, "%", "<="),
        ("重点群体失业率不超过3%。", 3, "%", "<="),
        ("创业培训合格率90%以下的机构限期整改。", 90, "%", "<="),
        ("培育20个市级创业街区。", 20, "个", "="),
        ("培育“名特优新”个体工商户70家左右。", 70, "家", "~"),
        ("新发放创业担保贷款6亿元以上。", 600_000_000, "元", ">="),
        ("实现创业投资规模1.2万亿元。", 1_200_000_000_000, "元", "="),
        ("新增贷款5000万元。", 50_000_000, "元", "="),
        ("带动就业1万余人。", 10000, "人", ">="),
        ("创业孵化基地入驻率达到70%。", 70, "%", ">="),
    ],
)
def test_target_comparators_and_units(
    sentence: str, value: float, unit: str, comparator: str
) -> None:
    target = _one(sentence)
    assert (target["value"], target["unit"], target["comparator"]) == (value, unit, comparator)


@pytest.mark.parametrize(
    "sentence", ["争创2—3个省级创业街区。", "争创2-3个省级创业街区。", "争创2至3个省级创业街区。"]
)
def test_target_range(sentence: str) -> None:
    target = _one(sentence)
    assert target["comparator"] == "range"
    assert (target["value"], target["min"], target["max"], target["unit"]) == (None, 2, 3, "个")
    assert target["subject"] == "省级创业街区"


def test_target_range_with_magnitude() -> None:
    target = _one("带动就业1—2万人。")
    assert (target["min"], target["max"], target["unit"]) == (10000, 20000, "人")


def test_target_relative() -> None:
    target = _one("普惠小微企业贷款余额同比增速不低于各项贷款增速。")
    assert target["comparator"] == "relative"
    assert target["value"] is None
    assert target["reference"] == "各项贷款增速"
    assert target["subject"] == "普惠小微企业贷款余额同比增速"
    assert target["unit"] == "%"


def test_target_per_year_carries_across_list_until_semicolon() -> None:
    found = _targets(
        "每年培育专精特新企业50家以上，培育个体工商户70家左右、扶持人才团队6个左右；"
        "新发放创业担保贷款6亿元以上。"
    )
    assert [t["per_year"] for t in found] == [True, True, True, False]
    assert [t["subject"] for t in found] == [
        "专精特新企业",
        "个体工商户",
        "人才团队",
        "创业担保贷款",
    ]


def test_target_per_year_annual_average_and_scope_word_in_later_clause() -> None:
    found = _targets(
        "建设市级创业导师工作室40个，创业导师库不少于150人，每年组织公益活动不少于20场次。"
    )
    assert [t["per_year"] for t in found] == [False, False, True]
    found = _targets("年均完成创业培训200人次以上，培训管理人才120人左右。")
    assert [t["per_year"] for t in found] == [True, True]


def test_target_deadline_year_end_and_carry_over_sentence() -> None:
    found = _targets("到2026年底，全市扶持创业1万人以上，带动就业3万人以上；每年举办活动10场。")
    assert [t["deadline_year"] for t in found] == [2026, 2026, 2026]
    assert found[0]["text"] == "到2026年底，全市扶持创业1万人以上"
    assert found[0]["subject"] == "扶持创业"
    assert found[1]["text"] == "带动就业3万人以上"
    assert [t["per_year"] for t in found] == [False, False, True]


def test_target_deadline_does_not_leave_its_sentence() -> None:
    found = _targets("到2026年，全市扶持创业1万人以上。培育创业街区5个。")
    assert [t["deadline_year"] for t in found] == [2026, None]


def test_target_deadline_new_scope_ends_per_year() -> None:
    found = _targets("每年培训青年500人次，到2026年累计培训不少于1000人次。")
    # The deadline governs from where it is said; the earlier clause stays yearly.
    assert [(t["per_year"], t["deadline_year"]) for t in found] == [(True, None), (False, 2026)]
    assert found[1]["subject"] == "培训"


def test_target_scope_word_inside_clause_governs_only_that_clause() -> None:
    found = _targets("创业担保贷款年均发放150亿元左右，城镇调查失业率控制在5.5%以内。")
    assert [(t["subject"], t["per_year"]) for t in found] == [
        ("创业担保贷款", True),
        ("城镇调查失业率", False),
    ]


def test_target_subject_drops_new_prefixed_verb() -> None:
    target = _one("每年新认定省级创业孵化示范基地10家左右。")
    assert target["subject"] == "省级创业孵化示范基地"
    assert target["subject"] == _one("年均完成省级创业孵化示范基地10家左右。")["subject"]
    assert _one("年均完成创业创新培训200人次以上。")["subject"] == "创业创新培训"


def test_target_number_before_noun_subject() -> None:
    target = _one("每年遴选50名左右大学生创新创业训练计划给予重点支持。")
    assert target["subject"] == "大学生创新创业训练计划"
    assert (target["value"], target["unit"], target["comparator"], target["per_year"]) == (
        50,
        "名",
        "~",
        True,
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "对首次创业的给予每人补贴2000元。",
        "个人创业担保贷款最高20万元，期限不超过3年。",
        "科研人员离岗创业的，3年内保留人事关系，期满后可申请延长1次，延长期限不超过3年。",
        "落实10个重点领域科技创新三年行动计划。",
        "以企业迁移登记等涉及企业3个“一件事”为契机。",
        "聚焦十条优势产业链。",
        "根据《省行动方案（2024—2026年）》（鲁政办字〔2024〕128号）精神。",
        "形成“1＋N”品牌矩阵。",
        "按照贷款额度的50%给予贴息。",
        "一次性发放2000元创业补贴。",
        "2025年3月6日起施行。",
    ],
)
def test_target_policy_parameters_are_not_targets(sentence: str) -> None:
    assert _targets(sentence) == []


def test_target_extract_on_bare_text() -> None:
    text = "年均征集优质项目不少于95个、举办创业促进活动不少于65场。"
    found = extract_targets(text, 0, len(text))
    assert [(t.subject, t.value, t.unit, t.per_year) for t in found] == [
        ("优质项目", 95, "个", True),
        ("创业促进活动", 65, "场", True),
    ]


# --- page artefacts ---------------------------------------------------------------------

_WRAPPED_PAGES = """某市“创业某市”行动方案

为激发创新创业活力，制定本方案。到 2026年，全市扶持创业 1.9

万人以上，带动就业 5万人以上。

一、优化创业环境

1.持续优化创业环境。强化部门联动和信息共享，推动公共就

业创业服务下沉基层，打造“家门口”就业创业服务站，实现创

业者“进一张网、办全市事”。（市行政审批服务局、市市场监

- 1 -



某市“创业某市”行动方案

管局、市大数据局按职责分工负责）

2.鼓励创业环境优化“揭榜挂帅”。积极参加省级创业环境优化

“揭榜挂帅”活动，汇集发布创业服务资源，常态化开展优化创

业环境典型推广活动。（市人力资源社会保障局牵头，市发展改

- 2 -



某市“创业某市”行动方案

革委配合）

3.强化创业导师服务。建设市级创业导师工作室 40 个，每年组

织创业导师进基层公益活动不少于 20场次，提升服务水平质量。

（市人力

- 3 -



某市“创业某市”行动方案

资源社会保障局牵头）
"""


def test_page_numbers_headers_and_split_names_are_repaired() -> None:
    plan = parse_text(_WRAPPED_PAGES)
    assert plan["title"] == TITLE
    first, second, third = plan["measures"]
    assert _roles(first) == [
        ("市行政审批服务局", "joint"),
        ("市市场监管局", "joint"),
        ("市大数据局", "joint"),
    ]
    assert _roles(second) == [("市人力资源社会保障局", "lead"), ("市发展改革委", "cooperating")]
    assert _roles(third) == [("市人力资源社会保障局", "lead")]
    assert "- 1 -" not in first["text"]
    assert "行动方案" not in first["text"] + second["text"] + third["text"]
    assert first["text"].endswith(
        "实现创业者“进一张网、办全市事”。（市行政审批服务局、市市场监管局、市大数据局按职责分工负责）"
    )
    assert [t["value"] for t in third["targets"]] == [40, 20]
    assert [t["value"] for t in plan["targets"]] == [19000, 50000]


def test_target_source_points_at_raw_clause() -> None:
    plan = parse_text(_WRAPPED_PAGES)
    target = plan["targets"][0]
    start, end = target["source"]["start"], target["source"]["end"]
    assert _WRAPPED_PAGES[start:end] == "到 2026年，全市扶持创业 1.9\n\n万人以上"
    assert target["text"] == "到2026年，全市扶持创业1.9万人以上"
    measure = plan["measures"][2]
    start, end = measure["source"]["start"], measure["source"]["end"]
    assert _WRAPPED_PAGES[start:end].startswith("3.强化创业导师服务。")
    assert _WRAPPED_PAGES[start:end].endswith("资源社会保障局牵头）")


def test_normalize_keeps_offsets_and_latin_spaces() -> None:
    raw = "创业 IP形象，Type A 模式，到 2026年"
    clean = normalize(raw, wrapped=False)
    assert clean.text == "创业IP形象，Type A模式，到2026年"
    start = clean.text.index("2026")
    assert clean.raw_span(start, start + 4) == (raw.index("2026"), raw.index("2026") + 4)


def test_normalize_full_width_and_percent() -> None:
    clean = normalize("入驻率达到７０％，完成１．５万人", wrapped=False)
    assert clean.text == "入驻率达到70%，完成1.5万人"


_PROVINCIAL = """山东省人民政府办公厅
关于印发山东省“创业齐鲁”行动方案（2024—2026年）的通知
鲁政办字〔2024〕128号
各市人民政府，各县（市、区）人民政府，省政府各部门、各直属机构：
《山东省“创业齐鲁”行动方案（2024—2026年）》已经省政府同意，现印发给你们，请认真贯彻落实。
山东省人民政府办公厅
2024年12月20日
（此件公开发布）
山东省“创业齐鲁”行动方案（2024—2026年）
为深入实施就业优先战略，制定本方案。
一、总体要求
以习近平新时代中国特色社会主义思想为指导。到2026年，全省扶持创业30万人以上，带动就业80万人以上。
二、重点任务
（一）实施创业环境优化行动
1.深化“高效办成一件事”改革。推动企业开办、变更等事项集成办理。（省政府办公厅、省市场监管局等按职责分工负责。列第一位者为牵头单位，下同）
2.加大场地支持。每年新认定省级创业孵化示范基地10家左右。对新认定的省级示范基地，给予每家最高50万元奖补。（省人力资源社会保障厅、省财政厅）
（二）实施创业金融赋能行动
3.扩大创业担保贷款规模。个人创业担保贷款最高额度30万元。到2025年底，新增贷款50亿元。（人民银行山东省分行、省财政厅）
三、保障措施
（三）加强组织领导。各地要建立工作机制。
"""


def test_provincial_plan_with_parts_sections_and_inherited_lead() -> None:
    plan = parse_text(_PROVINCIAL)
    assert plan["title"] == "山东省“创业齐鲁”行动方案（2024—2026年）"
    assert (plan["issuer"], plan["doc_number"], plan["issued_on"]) == (
        "山东省人民政府办公厅",
        "鲁政办字〔2024〕128号",
        "2024-12-20",
    )
    assert plan["sections"] == [
        {"number": 1, "title": "实施创业环境优化行动"},
        {"number": 2, "title": "实施创业金融赋能行动"},
    ]
    assert [_roles(m)[0][1] for m in plan["measures"]] == ["lead", "lead", "lead"]
    assert [t["value"] for t in plan["targets"]] == [300_000, 800_000]
    assert [(t["value"], t["deadline_year"]) for t in plan["measures"][2]["targets"]] == [
        (5_000_000_000, 2025)
    ]
    assert len(plan["measures"][1]["targets"]) == 1  # the 50万元 award is a parameter
    # Provincial departments are not in Weihai's registry: kept, and reported.
    assert any("省财政厅" in w for w in plan["warnings"])


# --- front matter and failure ---------------------------------------------------------------


def test_front_matter_without_cover_letter() -> None:
    plan = _plan(
        "一、重点任务",
        "1.简化审批。推行一网通办。（市行政审批服务局牵头）",
        "2.降低成本。落实减税降费。（市财政局牵头）",
        "某市人民政府",
        "2024年12月1日",
    )
    assert plan["title"] == TITLE
    assert plan["issuer"] == "某市人民政府"
    assert plan["issued_on"] == "2024-12-01"
    assert plan["doc_number"] is None


def test_front_matter_cited_notice_is_not_the_cover_letter() -> None:
    plan = _plan(
        "根据《省政府办公厅关于印发〈创业齐鲁行动方案〉的通知》精神，制定本方案。",
        "一、重点任务",
        "1.简化审批。推行一网通办。（市行政审批服务局牵头）",
        "2.降低成本。落实减税降费。（市财政局牵头）",
    )
    assert plan["title"] == TITLE


def test_front_matter_chinese_numeral_date() -> None:
    plan = _plan(
        "一、重点任务",
        "1.简化审批。推行一网通办。（市行政审批服务局牵头）",
        "2.降低成本。落实减税降费。（市财政局牵头）",
        "某市人民政府办公室",
        "二〇二五年三月六日",
    )
    assert plan["issued_on"] == "2025-03-06"


def test_no_numbered_measures_raises() -> None:
    with pytest.raises(PlanParseError, match="未找到编号的措施"):
        parse_text("关于召开会议的通知\n请各单位准时参加会议。\n某市人民政府办公室\n2025年3月6日")


def test_empty_text_raises() -> None:
    with pytest.raises(PlanParseError, match="文件为空"):
        parse_text(" \n\n\u3000\n")
