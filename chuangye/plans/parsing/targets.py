"""Quantitative targets: 到2026年，全市扶持创业1.9万人以上 → 19000 人, ``>=``, 2026.

Text is cut into sentences (。), list items (；) and clauses (，); scope words
carry along: 到20XX年(底) for the rest of the sentence, 每年/年均/年度 for the rest
of the list item.  A number counts as a target when a comparator, a scope or a
target verb (培育, 打造, 新增 …) governs it; numbers that are policy parameters
(每人补贴2000元, 最高20万元, 3年内, 10个重点领域) are not targets.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .text import depth_map, split_at

GE, LE, EQ, ABOUT, RANGE, RELATIVE = ">=", "<=", "=", "~", "range", "relative"

# Regex alternations, longest words first so that 达到 wins over 达.
_GE = (
    "力争达到|不少于|不低于|不小于|提高到|提高至|提升到|提升至|增加到|增加至|增长到"
    "|达到|超过|突破|至少|高于|增至|达"
)
_LE = "不超过|不高于|不多于|不大于|控制在|低于"
_ABOUT = "约"
# 个 must not swallow 3个月 or 5个工作日: durations are never targets.
_UNITS = (
    "个百分点|百分点|%|人次|场次|家次|户次|期次|平方米|公顷|公里|千瓦"
    "|个(?!月|工作日|小时|星期|季度|自然日|年度)|人|名|家|户|项|场|次|期|批|所|座|处|件|篇|套|台"
    "|亩|支|份|元|门|间|张|吨|辆|本|栋|幢|条|位|种|款|部|例|册"
)
_QTY_RE = re.compile(
    rf"(?P<pre>{_GE}|{_LE}|{_ABOUT})?"
    r"(?<![\d.A-Za-z第])(?P<n1>\d+(?:\.\d+)?)(?P<m1>[十百千万亿]*)"
    r"(?:(?P<sep>[—–\-－~～至到])(?P<n2>\d+(?:\.\d+)?)(?P<m2>[十百千万亿]*))?"
    r"(?P<more>余|多)?"
    rf"(?P<unit>{_UNITS})"
    r"(?P<post>及以上|以上|以下|以内|之内|左右)?"
)
_MAGNITUDE = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_DEADLINE_RE = re.compile(r"(?:到|至|截至|截止到?)(20\d\d)年(?:底|末)?|(20\d\d)年(?:底|末)?前")
_PER_YEAR_RE = re.compile(r"每年度|每年|年均|年度")
_SCOPE_ONLY_RE = re.compile(
    r"^(?:力争|努力)?(?:(?:到|至|截至|截止到?)20\d\d年(?:底|末)?(?:前)?|20\d\d年(?:底|末)?前"
    r"|每年度?|年均)$"
)
_SCOPE_PREFIX_RE = re.compile(
    r"^(?:力争|努力|全市|全省|全区|全县|全年|累计|共计|其中|同时|当年|每年度|每年|年均|年度"
    r"|(?:到|至|截至|截止到?)20\d\d年(?:底|末)?(?:前)?|20\d\d年(?:底|末)?前|[，,])"
)
# Policy parameters: amounts per head, caps, subsidy rates, durations.
_PARAM_RE = re.compile(
    r"每(?:人|户|家|名|个|次|项|场|月|天|期|批|所|平方米|亩|位|件)|补贴|补助|奖补|奖励|资助|贴息"
    r"|额度|最高|最多|最低|上限|标准|期限|一次性|给予|按照"
)
_VERBS = (
    "发放|培育|扶持|带动|吸引|引进|引育|遴选|打造|建设|建成|争创|创建|认定|举办|组织|开展|完成"
    "|培训|轮训|征集|孵化|支持|帮扶|实现|招引|培养|评选|推出|开发|推荐|选树|储备|招募|设立|建立"
    "|吸纳|安置|提供|服务|招收|资助|评定|命名|登记"
)
_VERB_RE = re.compile(f"^(?:新增|净增|新?(?:{_VERBS}))")
# Only verbs that never end a noun phrase (培训, 服务 and 孵化 do: 创业培训).
_VERB_TAIL_RE = re.compile("(?:发放|新增|认定|引进|吸引|培育|扶持|完成|实现|征集|遴选|招引|吸纳)$")
_EMBEDDED_SCOPE_RE = re.compile(r"每年度|每年|年均")
_CARRY_LEAD_RE = re.compile(
    r"(?:力争|努力|全市|全省|全区|全县|其中|同时|[，,]|(?:到|至|截至)20\d\d年(?:底|末)?)*"
)
_COLLECTIVE_PREFIX_RE = re.compile(r"^(?:各类|各种|各级|一批|一系列)")
_OBJECT_STOP_RE = re.compile(r"给予|予以|进行|开展|并|作为|用于|的|[，、；。,;]")
_TRAILING_RE = re.compile(r"(?:数量|总量)?(?:为|达|约|是|共)$")
_QUOTES_RE = re.compile(r"[“”‘’\"'《》〈〉「」]")
_RELATIVE_RE = re.compile(
    r"^(?P<subject>.+?)(?P<cmp>不低于|不少于|高于|不高于|低于|快于|不慢于|不落后于)"
    r"(?P<reference>\D{2,30}?(?:增速|增幅|增长率|平均水平|水平|增长))$"
)
_RATE_RE = re.compile(r"(?:增速|增幅|增长率|比重|占比|率|比例)$")
_CONTEXT_RE = re.compile(
    r"^(?:面向|针对|为|对)(.{1,12}?)(?:常态化|持续|定期|积极|开展|提供|组织|实施|举办|$)"
)
_BRACKETS = "（(《〈〔【["
_WINDOW = 80


@dataclass(frozen=True)
class Target:
    """A quantitative target; ``start``/``end`` index the clean text."""

    text: str
    subject: str
    value: int | float | None
    min: int | float | None
    max: int | float | None
    unit: str | None
    comparator: str
    per_year: bool
    deadline_year: int | None
    reference: str | None
    start: int
    end: int


def _number(digits: str, magnitude: str) -> int | float | None:
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    for ch in magnitude:
        value *= _MAGNITUDE[ch]
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _unit(raw: str) -> str:
    if raw.startswith("个") and raw != "个百分点":
        return "个"
    return raw


def _comparator(match: re.Match[str]) -> str:
    pre, post = match.group("pre"), match.group("post")
    if match.group("n2"):
        return RANGE
    if post == "左右" or pre == _ABOUT:
        return ABOUT
    if post in ("以上", "及以上") or (pre and re.fullmatch(_GE, pre)) or match.group("more"):
        return GE
    if post in ("以下", "以内", "之内") or (pre and re.fullmatch(_LE, pre)):
        return LE
    return EQ


def strip_scope(text: str) -> str:
    """Remove leading scope words (到2026年, 每年, 全市 …)."""
    while True:
        match = _SCOPE_PREFIX_RE.match(text)
        if not match or not match.group(0):
            return text
        text = text[match.end() :]


def _clean_subject(text: str) -> str:
    text = _QUOTES_RE.sub("", text)
    text = _EMBEDDED_SCOPE_RE.sub("", text)
    text = _COLLECTIVE_PREFIX_RE.sub("", text)
    text = _TRAILING_RE.sub("", text).strip("，、,；;：: ")
    # 创业担保贷款年均发放150亿元: the verb after the noun is not part of what is counted.
    tail = _VERB_TAIL_RE.search(text)
    if tail and tail.start() > 2:
        text = text[: tail.start()]
    return text


def _flat(text: str, depth: list[int]) -> str:
    """Text without bracketed asides (（…）, 《…》), which never hold the counted thing."""
    return "".join(ch for ch, d in zip(text, depth, strict=True) if d == 0)


@dataclass
class _Scope:
    deadline: int | None = None
    per_year: bool = False


class _Extractor:
    def __init__(self, text: str, base: int) -> None:
        self.text = text
        self.base = base
        self.split_depth = depth_map(text)
        self.skip_depth = depth_map(text, _BRACKETS)
        self.found: list[Target] = []

    def run(self) -> list[Target]:
        for s_start, s_end in split_at(self.text, "。！？!?", self.split_depth):
            self._sentence(s_start, s_end)
        return self.found

    def _spans(self, start: int, end: int, seps: str) -> list[tuple[int, int]]:
        inner = split_at(self.text[start:end], seps, self.split_depth[start:end])
        return [(start + s, start + e) for s, e in inner]

    def _flat(self, start: int, end: int) -> str:
        return _flat(self.text[start:end], self.skip_depth[start:end])

    def _sentence(self, start: int, end: int) -> None:
        scope = _Scope()
        earlier: list[tuple[int, int]] = []
        for i_start, i_end in self._spans(start, end, "；;"):
            scope.per_year = False
            pending: tuple[int, int] | None = None
            for c_start, c_end in self._spans(i_start, i_end, "，,：:"):
                flat = self._flat(c_start, c_end)
                deadline = _DEADLINE_RE.search(flat)
                if deadline:
                    scope.deadline = int(deadline.group(1) or deadline.group(2))
                    scope.per_year = False
                per_year = _PER_YEAR_RE.search(flat)
                if per_year and _CARRY_LEAD_RE.fullmatch(flat[: per_year.start()]):
                    # 每年培育A，培育B: a leading 每年 governs the rest of the list item.
                    scope.per_year = True
                if _SCOPE_ONLY_RE.match(flat):
                    pending = (c_start, c_end)
                    continue
                here = _Scope(scope.deadline, scope.per_year or per_year is not None)
                self._clause(c_start, c_end, flat, here, pending, earlier)
                earlier.append((c_start, c_end))
                pending = None

    def _clause(
        self,
        start: int,
        end: int,
        flat: str,
        scope: _Scope,
        pending: tuple[int, int] | None,
        earlier: list[tuple[int, int]],
    ) -> None:
        clause = self.text[start:end]
        matches = [
            m for m in _QTY_RE.finditer(clause) if self.skip_depth[start + m.start("n1")] == 0
        ]
        if not matches:
            self._relative(start, end, flat, scope, pending)
            return
        # Several quantities in one clause are a list joined by 、: one target each.
        cuts: list[int] = []
        for left, right in itertools.pairwise(matches):
            gap = clause.find("、", left.end(), right.start("n1"))
            while gap >= 0 and self.split_depth[start + gap] != 0:
                gap = clause.find("、", gap + 1, right.start("n1"))
            if gap >= 0:
                cuts.append(start + gap)
        seg_starts = [start] + [cut + 1 for cut in cuts]
        seg_ends = [*cuts, end]
        for match in matches:
            at = start + match.start("n1")
            index = bisect.bisect_right(seg_starts, at) - 1
            self._quantity(
                start, match, seg_starts[index], seg_ends[index], scope, pending, earlier
            )
            pending = None

    def _quantity(
        self,
        clause_start: int,
        match: re.Match[str],
        start: int,
        end: int,
        scope: _Scope,
        pending: tuple[int, int] | None,
        earlier: list[tuple[int, int]],
    ) -> None:
        m_start = clause_start + match.start()
        m_end = clause_start + match.end()
        # Subjects are short; a bounded window keeps absurdly long clauses linear.
        pre_text = self._flat(max(start, m_start - _WINDOW), m_start)
        if _PARAM_RE.search(pre_text):
            return
        lead = strip_scope(pre_text)
        verb_match = _VERB_RE.match(lead)
        verb = verb_match.group(0) if verb_match else ""
        explicit = bool(match.group("pre") or match.group("post") or match.group("more"))
        scoped = scope.per_year or scope.deadline is not None
        if verb and lead == verb:
            # 培育20个市级创业街区: the counted thing follows the number.
            post = self._flat(m_end, min(end, m_end + _WINDOW))
            stop = _OBJECT_STOP_RE.search(post)
            subject = _clean_subject(post[: stop.start()] if stop else post)
            if re.search(r"补贴|补助|奖励|奖补|资助", subject):
                return
        elif verb:
            rest = _clean_subject(lead[len(verb) :])
            subject = rest if len(rest) > 2 else _clean_subject(lead)
        elif explicit or scoped:
            subject = _clean_subject(lead)
        else:
            return
        text_start = pending[0] if pending else start
        if not subject or subject == verb:
            borrowed = self._borrow(earlier)
            if borrowed is None:
                subject = subject or verb
                if not subject:
                    return
            else:
                subject = borrowed[0] + verb
                text_start = min(text_start, borrowed[1])
        comparator = _comparator(match)
        value = _number(match.group("n1"), match.group("m1"))
        low: int | float | None = None
        high: int | float | None = None
        if comparator == RANGE:
            # 1—2万人: a magnitude written once applies to both ends.
            first_mag = match.group("m1") or match.group("m2")
            second_mag = match.group("m2") or match.group("m1")
            low = _number(match.group("n1"), first_mag)
            high = _number(match.group("n2"), second_mag)
            value = None
        if value is None and comparator != RANGE:
            return
        if comparator == RANGE and (low is None or high is None or low > high):
            return  # 2024—2022年-like noise, not a range target
        self._add(
            text_start,
            end,
            subject,
            value,
            low,
            high,
            _unit(match.group("unit")),
            comparator,
            scope,
            None,
        )

    def _relative(
        self, start: int, end: int, flat: str, scope: _Scope, pending: tuple[int, int] | None
    ) -> None:
        if re.search(r"\d", flat):
            return
        match = _RELATIVE_RE.match(strip_scope(flat))
        if not match:
            return
        subject = _clean_subject(match.group("subject"))
        if not _RATE_RE.search(subject):
            return
        self._add(
            pending[0] if pending else start,
            end,
            subject,
            None,
            None,
            None,
            "%",
            RELATIVE,
            scope,
            _clean_subject(match.group("reference")),
        )

    def _borrow(self, earlier: list[tuple[int, int]]) -> tuple[str, int] | None:
        """Who is counted when the clause only says 培训不少于1000人次: 面向青年… before it."""
        for c_start, c_end in reversed(earlier[-3:]):
            match = _CONTEXT_RE.match(self._flat(c_start, c_end))
            if match and match.group(1):
                return _clean_subject(match.group(1)), c_start
        return None

    def _add(
        self,
        start: int,
        end: int,
        subject: str,
        value: int | float | None,
        low: int | float | None,
        high: int | float | None,
        unit: str,
        comparator: str,
        scope: _Scope,
        reference: str | None,
    ) -> None:
        self.found.append(
            Target(
                text=self.text[start:end].replace("\n", ""),
                subject=subject,
                value=value,
                min=low,
                max=high,
                unit=unit,
                comparator=comparator,
                per_year=scope.per_year,
                deadline_year=scope.deadline,
                reference=reference,
                start=self.base + start,
                end=self.base + end,
            )
        )


def extract_targets(text: str, start: int, end: int) -> list[Target]:
    """Targets in ``text[start:end]``, paragraph by paragraph, in document order."""
    found: list[Target] = []
    for para_start, para_end in split_at(text[start:end], "\n", [0] * (end - start)):
        found.extend(
            _Extractor(text[start + para_start : start + para_end], start + para_start).run()
        )
    return found
