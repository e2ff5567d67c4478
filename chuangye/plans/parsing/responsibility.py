"""Responsibility brackets: who leads, who cooperates, who is jointly responsible.

Chinese plans close a task with a bracket naming the responsible units, e.g.
``（A牵头，B、C配合）``, ``（A、B按职责分工负责）``, ``（A负责）`` or
``（A、B负责。列第一位者为牵头单位，下同）``; the last form sets a rule that later
brackets inherit.  Labelled lists (``（牵头单位：A；配合单位：B）``, or a line
``责任单位：A、B``) are read the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chuangye.accounts.reference import canonical_department

from .text import match_pairs

LEAD = "lead"
COOPERATING = "cooperating"
JOINT = "joint"

_ROLE_OF_WORD = {
    "牵头": LEAD,
    "牵头负责": LEAD,
    "配合": COOPERATING,
    "参与": COOPERATING,
    "协助": COOPERATING,
    "协同": COOPERATING,
}
_ROLE_RE = re.compile(
    r"(?:等(?:部门|单位)?)?(按职责分工负责|按职责分工落实|按职责分别负责|按职责负责|分别负责|共同负责"
    r"|牵头负责|负责落实|组织实施|牵头|配合|参与|协助|协同|负责|落实)$"
)
# 责任单位：A、B / 牵头单位：A；配合单位：B, inside a bracket or as a line of its own.
_LABELS = {
    "牵头单位": "牵头",
    "牵头部门": "牵头",
    "责任单位": "负责",
    "责任部门": "负责",
    "主责单位": "负责",
    "配合单位": "配合",
    "配合部门": "配合",
    "参与单位": "参与",
    "协助单位": "协助",
}
_LABEL_RE = re.compile("^(" + "|".join(_LABELS) + ")[：:]")
_LABEL_LINE_RE = re.compile(
    r"(?:^|(?<=[\n。；;]))(?:牵头单位|牵头部门|责任单位|责任部门|主责单位)[：:][^\n。（）()]*"
)
_ASIDE_RE = re.compile(r"（[^（）]*）|\([^()]*\)")
FIRST_IS_LEAD_RE = re.compile(
    r"(?:列|排)(?:在)?(?:第一|首)(?:位|个)?(?:的|者)?(?:单位|部门)?(?:为|是)牵头(?:单位|部门)"
)
_ORG_SUFFIX_RE = re.compile(
    r"(?:局|委|部|厅|办|办公室|院|会|行|中心|政府|管委|处|所|站|公司|集团|联|协|社|馆|台|队|署"
    r"|大学|学院|学校|团|组)$"
)
_NOT_A_NAME_RE = re.compile(r"[\d年月日%，。；：“”《》]|^(?:含|如|即|包括|详见|见|不含|其中|注)")
_COLLECTIVE_RE = re.compile(r"^各")
_PRIORITY = {LEAD: 0, JOINT: 1, COOPERATING: 2}


@dataclass(frozen=True)
class Assignment:
    """One unit named in a bracket, normalised to its official name where known."""

    department: str
    role: str
    known: bool
    collective: bool  # 各区市, 各市人民政府 …: not a single department


@dataclass(frozen=True)
class Bracket:
    """An accepted responsibility bracket (``start``/``end`` span the brackets)."""

    start: int
    end: int
    assignments: tuple[Assignment, ...]
    sets_first_is_lead: bool
    inherited: bool


def _plausible_name(name: str) -> bool:
    if not 2 <= len(name) <= 30 or _NOT_A_NAME_RE.search(name):
        return False
    if canonical_department(name) is not None:
        return True
    if _COLLECTIVE_RE.match(name):
        return len(name) <= 14
    return bool(_ORG_SUFFIX_RE.search(name))


def _bare(name: str) -> str:
    return re.sub(r"等(?:部门|单位)?$", "", name.strip())


def _parse_content(content: str) -> tuple[list[tuple[str, str | None]], bool, bool] | None:
    """Split bracket content into (name, role word); None when it is not a unit list."""
    first_is_lead = bool(FIRST_IS_LEAD_RE.search(content))
    rest = FIRST_IS_LEAD_RE.sub("", content)
    inherit = first_is_lead and "下同" in rest
    rest = rest.replace("下同", "")
    # An aside inside the list, e.g. 市委组织部（市人才办）, is not part of the name.
    rest = _ASIDE_RE.sub("", rest)
    entries: list[tuple[str, str | None]] = []
    for part in re.split(r"[；;。]", rest):
        part = part.strip()
        label = _LABEL_RE.match(part)
        if label:
            names = [_bare(n) for n in re.split(r"[、，,/]", part[label.end() :]) if n.strip()]
            if not names or not all(_plausible_name(n) for n in names):
                return None
            entries.extend((n, _LABELS[label.group(1)]) for n in names)
            continue
        for clause in re.split(r"[，,]", part):
            clause = clause.strip()
            if not clause:
                continue
            match = _ROLE_RE.search(clause)
            word = match.group(1) if match else None
            names_part = clause[: match.start()] if match else clause
            names = [_bare(n) for n in re.split(r"[、/]", names_part)]
            if not names_part or not all(_plausible_name(n) for n in names):
                return None
            entries.extend((n, word) for n in names)
    if not entries:
        return None
    return entries, first_is_lead, inherit


def _assign(entries: list[tuple[str, str | None]], first_is_lead: bool) -> tuple[Assignment, ...]:
    roles = [_ROLE_OF_WORD.get(word or "", JOINT) for _, word in entries]
    if first_is_lead and LEAD not in roles:
        roles[0] = LEAD
    result = []
    for (name, _), role in zip(entries, roles, strict=True):
        official = canonical_department(name)
        result.append(
            Assignment(
                department=official or name,
                role=role,
                known=official is not None,
                collective=bool(_COLLECTIVE_RE.match(name)),
            )
        )
    return tuple(result)


def find_brackets(
    text: str, start: int, end: int, first_is_lead: bool = False
) -> tuple[list[Bracket], bool]:
    """Find responsibility brackets in ``text[start:end]``.

    ``first_is_lead`` is the inherited 列第一位者为牵头单位 rule; the returned flag is
    the rule in force after this stretch of text.  A bracket without any role word
    counts only when it closes the stretch (a plain list of units at the end of a
    task), so ordinary asides such as ``（含国家级开发区）`` are never taken for units.
    A ``责任单位：…`` line outside brackets counts like a bracket.
    """
    segment = text[start:end]
    tail = len(segment.rstrip("。；;，, \n"))
    candidates: list[tuple[int, int]] = []  # (start, end) of the whole bracket or line
    pairs = match_pairs(segment, "（(")
    covered_until = -1
    for open_at in sorted(pairs):
        close_at = pairs[open_at]
        if open_at < covered_until or segment[open_at] + segment[close_at] not in ("（）", "()"):
            continue
        covered_until = close_at
        candidates.append((open_at, close_at + 1))
    for match in _LABEL_LINE_RE.finditer(segment):
        if not any(s <= match.start() < e for s, e in candidates):
            candidates.append((match.start(), match.end()))

    brackets: list[Bracket] = []
    for begin, finish in sorted(candidates):
        bracketed = segment[begin] in "（("
        content = segment[begin + 1 : finish - 1] if bracketed else segment[begin:finish]
        parsed = _parse_content(content)
        if parsed is None:
            continue
        entries, sets_rule, inherit = parsed
        has_role = any(word for _, word in entries)
        if not (has_role or sets_rule or finish >= tail):
            continue
        assignments = _assign(entries, first_is_lead or sets_rule)
        brackets.append(
            Bracket(start + begin, start + finish, assignments, sets_rule, first_is_lead)
        )
        if inherit:
            first_is_lead = True
    return brackets, first_is_lead


def has_bracket(text: str) -> bool:
    """True when ``text`` names responsible units (used to pick the task level)."""
    brackets, _ = find_brackets(text, 0, len(text))
    return bool(brackets)


def closes_with_bracket(text: str) -> bool:
    """True when ``text`` ends with a responsibility bracket, as a task normally does."""
    brackets, _ = find_brackets(text, 0, len(text))
    tail = len(text.rstrip("。；;，, \n"))
    return any(b.end >= tail for b in brackets)


def merge(brackets: list[Bracket]) -> list[Assignment]:
    """Units of all brackets of one task, first mention kept, strongest role kept."""
    merged: dict[str, Assignment] = {}
    for bracket in brackets:
        for item in bracket.assignments:
            seen = merged.get(item.department)
            if seen is None or _PRIORITY[item.role] < _PRIORITY[seen.role]:
                merged[item.department] = item if seen is None else _with_role(seen, item.role)
    return list(merged.values())


def _with_role(item: Assignment, role: str) -> Assignment:
    return Assignment(item.department, role, item.known, item.collective)
