"""Plan documents (意见 / 行动方案 / 实施方案) → plan JSON.

The plan JSON contract is described in ARCHITECTURE.md ("Plan JSON").  ``source``
offsets index the text the parser read: the file text for .txt, the extracted text
for .docx and .pdf (see :func:`extract_text`).  A ``warnings`` list of Chinese
messages (unknown departments, tasks without responsible units …) is added only
when there is something to say.
"""

from __future__ import annotations

import os
import re
from typing import Any

from .readers import MAX_BYTES, PlanParseError, extract_bytes, extract_file
from .responsibility import FIRST_IS_LEAD_RE, find_brackets, merge
from .structure import front_matter, heading_title, layout
from .targets import Target, extract_targets
from .text import CleanText, normalize

__all__ = [
    "MAX_BYTES",
    "PlanParseError",
    "extract_text",
    "parse_bytes",
    "parse_file",
    "parse_text",
]

_NO_MEASURES = "未找到编号的措施，不像是行动方案文件"
_BRACKET_ONLY_RE = re.compile(r"[（(][^（）()]*[）)][。；;]?")


def _target_json(clean: CleanText, target: Target) -> dict[str, Any]:
    start, end = clean.raw_span(target.start, target.end)
    return {
        "text": target.text,
        "subject": target.subject,
        "value": target.value,
        "min": target.min,
        "max": target.max,
        "unit": target.unit,
        "comparator": target.comparator,
        "per_year": target.per_year,
        "deadline_year": target.deadline_year,
        "reference": target.reference,
        "source": {"start": start, "end": end},
    }


def _measure_text(clean: CleanText, body: int, paras: list[int]) -> str:
    """Task text without its number; a bracket standing alone rejoins its sentence."""
    pieces: list[str] = []
    for para in paras:
        start, end = clean.paragraphs[para]
        piece = clean.text[max(start, body) : end]
        if not piece:
            continue  # the number stood on a line of its own
        if pieces and not _BRACKET_ONLY_RE.fullmatch(piece):
            pieces.append("\n")
        pieces.append(piece)
    return "".join(pieces)


def parse_text(text: str, *, wrapped: bool | None = None) -> dict[str, Any]:
    """Parse plan text into plan JSON.

    ``wrapped`` tells whether lines are printed lines to re-join (PDF) or whole
    paragraphs (Word); by default the line widths decide.
    """
    if not text.strip():
        raise PlanParseError("文件为空")
    clean = normalize(text, wrapped)
    if not clean.text.strip():
        raise PlanParseError("文件为空")
    front = front_matter(clean)
    plan = layout(clean, front.body_para)
    if plan is None or len(plan.measures) < 2:
        raise PlanParseError(_NO_MEASURES)

    warnings: list[str] = list(plan.notes)
    title = front.title
    if not title:
        warnings.append("未识别到文件标题，请核对")
        first = clean.para_text(0)
        title = first[:60] if "。" not in first[:60] else "未命名方案"
    for general in plan.general_sections:
        warnings.append(
            f"“{general.printed}{heading_title(clean, general)}”下的条目没有责任单位，"
            "按总体性内容处理，未作为措施"
        )

    # 列第一位者为牵头单位 may also be said once in the text before the first task.
    first_task = plan.measures[0].heading.start
    first_is_lead = any(
        FIRST_IS_LEAD_RE.search(clean.text[start:end])
        for start, end in plan.outside
        if end <= first_task
    )
    any_units = False
    measures: list[dict[str, Any]] = []
    for number, span in enumerate(plan.measures, start=1):
        heading = span.heading
        end = clean.paragraphs[span.paras[-1]][1]
        brackets, first_is_lead = find_brackets(clean.text, heading.body, end, first_is_lead)
        assignments = merge(brackets)
        any_units = any_units or bool(assignments)
        for item in assignments:
            if not item.known and not item.collective:
                warnings.append(
                    f"第{number}项措施的责任单位“{item.department}”不在部门名录中，已按原文保留"
                )
        body_text = _measure_text(clean, heading.body, span.paras)
        measure_title = (
            heading_title(clean, heading, end)
            or body_text.split("。", 1)[0].split("\n", 1)[0]
            or body_text[:20]
        )
        start_raw, end_raw = clean.raw_span(heading.start, end)
        measures.append(
            {
                "number": number,
                "printed": heading.printed,
                "section": span.section.number if span.section is not None else None,
                "title": measure_title,
                "text": body_text,
                "responsibilities": [
                    {"department": item.department, "role": item.role} for item in assignments
                ],
                "targets": [
                    _target_json(clean, t) for t in extract_targets(clean.text, heading.body, end)
                ],
                "source": {"start": start_raw, "end": end_raw},
            }
        )
    if any_units:
        for measure in measures:
            if not measure["responsibilities"]:
                warnings.append(f"第{measure['number']}项措施未找到责任单位")

    top_targets = [
        _target_json(clean, t)
        for start, end in plan.outside
        for t in extract_targets(clean.text, start, end)
    ]
    sections = [
        {"number": s.number, "title": heading_title(clean, s) or "（无标题）"}
        for s in plan.sections
    ]
    if len({s["number"] for s in sections}) < len(sections):
        # Numbering that restarts in every part (第一部分 一、… 第二部分 一、…) would
        # make section numbers ambiguous: number them in document order instead.
        warnings.append("各部分的专项编号重复，已按出现顺序重新编号")
        renumber = {id(h): i for i, h in enumerate(plan.sections, start=1)}
        for index, entry in enumerate(sections, start=1):
            entry["number"] = index
        for measure, span in zip(measures, plan.measures, strict=True):
            if span.section is not None:
                measure["section"] = renumber[id(span.section)]
    result: dict[str, Any] = {
        "title": title,
        "issuer": front.issuer,
        "doc_number": front.doc_number,
        "issued_on": front.issued_on,
        "sections": sections,
        "measures": measures,
        "targets": top_targets,
    }
    if warnings:
        result["warnings"] = warnings
    return result


def extract_text(path: str | os.PathLike[str]) -> str:
    """The text a file is parsed from (``source`` offsets index this string)."""
    return extract_file(path).text


def parse_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a .txt, .docx or .pdf file (20 MB at most) into plan JSON."""
    extracted = extract_file(path)
    return parse_text(extracted.text, wrapped=extracted.wrapped)


def parse_bytes(data: bytes, filename: str = "") -> dict[str, Any]:
    """Parse an uploaded document; ``filename`` only lends its suffix."""
    extracted = extract_bytes(data, filename)
    return parse_text(extracted.text, wrapped=extracted.wrapped)
