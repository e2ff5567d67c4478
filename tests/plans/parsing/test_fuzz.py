"""Property tests: any input either parses into a well-formed plan or raises PlanParseError."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chuangye.plans.contract import validate_plan_json
from chuangye.plans.parsing import PlanParseError, parse_bytes, parse_text

ROOT = Path(__file__).resolve().parents[3]
WEIHAI = (ROOT / "data" / "plans" / "weihai-2025-8.txt").read_text(encoding="utf-8")
WEIHAI_LINES = [line for line in WEIHAI.split("\n") if line.strip()]

# No time limits in tests: runaway (backtracking) cases are measured in bench/bench_parse.py.
FUZZ = settings(max_examples=120, deadline=None, derandomize=True)

FRAGMENTS = [
    "一、",
    "二、",
    "十一、",
    "（一）",
    "（二）",
    "（十）",
    "1.",
    "2.",
    "3．",
    "１．",
    "1、",
    "（1）",
    "①",
    "第一部分",
    "持续优化创业环境。",
    "（市人力资源社会保障局牵头，市发展改革委配合）",
    "（市行政审批服务局、市市场监\n\n管局按职责分工负责）",
    "（A、B负责。列第一位者为牵头单位，下同）",
    "（各区市人民政府负责）",
    "（市财政局）",
    "（",
    "）",
    "“",
    "”",
    "《",
    "到 2026年",
    "到2026年底，",
    "每年",
    "年均",
    "扶持创业 1.9",
    "万人以上，",
    "不少于 65场",
    "2—3个",
    "70%",
    "1.2万亿元",
    "6亿元以上；",
    "不低于各贷款增速",
    "左右",
    "以内",
    "、",
    "，",
    "。",
    "；",
    "- 3 -",
    "第 2 页",
    "威海市人民政府办公室",
    "关于印发威海市“创业威海”行动方案的通知",
    "威政办字〔2025〕8号",
    "2025年 3月 6日",
    "二〇二五年三月六日",
    "Type A",
    "\u3000",
    "\ufeff",
    "\x00",
    "9" * 40,
]
SEPARATORS = ["", "", "\n", "\n\n", "\n\n\n\n", "\r\n", "\f", " "]


def _check(plan: dict[str, Any], text: str) -> None:
    """Invariants of every successful parse, including the importer's contract check."""
    validate_plan_json(plan)
    assert set(plan) <= {
        "title",
        "issuer",
        "doc_number",
        "issued_on",
        "sections",
        "measures",
        "targets",
        "warnings",
    }
    assert [m["number"] for m in plan["measures"]] == list(range(1, len(plan["measures"]) + 1))
    targets = list(plan["targets"])
    for measure in plan["measures"]:
        assert 0 <= measure["source"]["start"] <= measure["source"]["end"] <= len(text)
        for item in measure["responsibilities"]:
            assert item["role"] in {"lead", "cooperating", "joint"}
            assert item["department"]
        targets.extend(measure["targets"])
    for target in targets:
        assert 0 <= target["source"]["start"] <= target["source"]["end"] <= len(text)
        assert target["comparator"] in {">=", "<=", "=", "~", "range", "relative"}
        if target["comparator"] == "range":
            assert target["min"] is not None and target["max"] is not None
        elif target["comparator"] != "relative":
            assert target["value"] is not None


def _parse(text: str) -> None:
    try:
        plan = parse_text(text)
    except PlanParseError:
        return
    _check(plan, text)


@FUZZ
@given(st.text(max_size=400))
def test_fuzz_random_text_parses_or_refuses(text: str) -> None:
    _parse(text)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(SEPARATORS)), max_size=60))
def test_fuzz_plan_fragments_parse_or_refuse(parts: list[tuple[str, str]]) -> None:
    _parse("".join(fragment + sep for fragment, sep in parts))


@FUZZ
@given(st.lists(st.sampled_from(WEIHAI_LINES), max_size=80), st.sampled_from(["\n", "\n\n"]))
def test_fuzz_shuffled_weihai_lines_parse_or_refuse(lines: list[str], sep: str) -> None:
    _parse(sep.join(lines))


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(WEIHAI)), st.integers(0, 40), st.sampled_from(["", *FRAGMENTS])
        ),
        max_size=8,
    )
)
def test_fuzz_damaged_weihai_parses_or_refuses(edits: list[tuple[int, int, str]]) -> None:
    text = WEIHAI
    for position, length, fragment in edits:
        text = text[:position] + fragment + text[position + length :]
    _parse(text)


@FUZZ
@given(st.binary(max_size=600), st.sampled_from(["a.txt", "a.pdf", "a.docx", "a", "a.json"]))
def test_fuzz_random_bytes_parse_or_refuse(data: bytes, name: str) -> None:
    with contextlib.suppress(PlanParseError):
        parse_bytes(data, name)
