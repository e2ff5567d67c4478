"""The source text cut into highlighted segments for reviewing a draft beside its document."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

BRACKET = re.compile(r"（[^（）]{2,200}?(?:牵头|配合|负责|参与|协助)[^（）]{0,200}?）", re.S)


#: What a stretch of the source text can be part of (a segment's ``classes``).
KINDS = {"bracket": "责任分工", "measure": "措施", "target": "量化目标"}


@dataclass(frozen=True)
class Segment:
    text: str
    classes: str  # space-separated: measure, target, bracket
    anchor: str  # id of the item that starts here, or ""
    start: int  # offsets of ``text`` in the source text
    end: int


def _span(src: Any, limit: int) -> tuple[int, int] | None:
    if not isinstance(src, dict):
        return None
    start, end = src.get("start"), src.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    start, end = max(0, min(start, limit)), max(0, min(end, limit))
    return (start, end) if end > start else None


def highlight(text: str, data: dict[str, Any]) -> list[Segment]:
    """Mark each measure, target and responsibility bracket at its source offsets.

    The segments follow one another without gap or overlap and together are the whole text.
    """
    n = len(text)
    marks: list[tuple[int, int, str, str]] = []  # start, end, class, anchor
    for m in data.get("measures", []):
        span = _span(m.get("source"), n)
        if span:
            marks.append((*span, "measure", f"m{m.get('number')}"))
            for b in BRACKET.finditer(text, span[0], span[1]):
                marks.append((b.start(), b.end(), "bracket", ""))
        for j, t in enumerate(m.get("targets", [])):
            tspan = _span(t.get("source"), n)
            if tspan:
                marks.append((*tspan, "target", f"m{m.get('number')}t{j}"))
    for j, t in enumerate(data.get("targets", [])):
        tspan = _span(t.get("source"), n)
        if tspan:
            marks.append((*tspan, "target", f"t{j}"))
    bounds = sorted({0, n, *(s for s, _, _, _ in marks), *(e for _, e, _, _ in marks)})
    anchors = {s: a for s, _, _, a in sorted(marks, key=lambda x: -x[0]) if a}
    segments: list[Segment] = []
    for left, right in pairwise(bounds):
        classes = sorted({c for s, e, c, _ in marks if s <= left and right <= e})
        segments.append(
            Segment(text[left:right], " ".join(classes), anchors.get(left, ""), left, right)
        )
    return segments


def unknown_departments(data: dict[str, Any]) -> list[tuple[int, str]]:
    """(measure number, printed name) of every responsibility not in the department registry."""
    from chuangye.accounts.models import Department
    from chuangye.accounts.reference import canonical_department

    known = set(Department.objects.values_list("name", flat=True))
    found = []
    for m in data.get("measures", []):
        for r in m.get("responsibilities", []):
            name = r.get("department", "")
            if (canonical_department(name) or name) not in known:
                found.append((m.get("number"), name))
    return found
