"""Document structure: cover letter, numbered headings, sections and tasks.

Numbering levels, shallow to deep: 第一部分 / 一、 / （一） / 1. 1． 1、 / （1） / ①.
The task ("measure") level is the numbered level that carries the responsibility
brackets; without brackets, the most numerous level.  Sections are the nearest
numbered level above it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .responsibility import closes_with_bracket, has_bracket
from .text import CN_DIGITS, HEADING_RE, CleanText

_RANK = {"part": 0, "cn": 1, "cnp": 2, "ar": 3, "arp": 4, "ci": 5}
_CN_VALUE = {ch: i + 1 for i, ch in enumerate(CN_DIGITS)} | {"〇": 0, "○": 0, "零": 0, "两": 2}
_DOC_NUMBER_RE = re.compile(r"^[\u4e00-\u9fff]{1,12}[〔\[［【（(]\d{4}[〕\]］】）)]\d{1,5}号$")
_DATE_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_CN_DATE_RE = re.compile(
    r"^([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$"
)
_NOTICE_RE = re.compile(r"关于(?:印发|转发|印送)(.{2,120}?)的通知")
_ORG_RE = re.compile(
    r"(?:人民政府办公室|人民政府办公厅|人民政府|办公室|办公厅|委员会|管委会|政府|局|厅|委|部|中心|分行|分局|小组)$"
)
_GENRE_RE = re.compile(r"(?:方案|意见|计划|办法|措施|通知|规划|细则|决定|要点|政策|纲要|清单)$")
_SUBTITLE_RE = re.compile(r"^[（(][^（）()]{1,40}[）)]$")
_PUBLIC_NOTE_RE = re.compile(r"^[（(]此件[^）)]{0,12}[）)]$")


@dataclass(frozen=True)
class FrontMatter:
    """Title, issuer, document number and signature date; where the plan body begins."""

    title: str | None
    issuer: str | None
    doc_number: str | None
    issued_on: str | None
    body_para: int


@dataclass(frozen=True)
class Heading:
    kind: str
    number: int
    printed: str
    para: int
    start: int  # clean index of the numbering
    body: int  # clean index right after the numbering

    @property
    def rank(self) -> int:
        return _RANK[self.kind]


@dataclass
class MeasureSpan:
    heading: Heading
    end: int  # clean index, exclusive
    section: Heading | None
    paras: list[int] = field(default_factory=list)


@dataclass
class Layout:
    sections: list[Heading]
    measures: list[MeasureSpan]
    outside: list[tuple[int, int]]  # clean spans of body text belonging to no task
    general_sections: list[Heading]  # sections whose items name no responsible unit
    notes: list[str]  # numbering gaps worth a warning


def cn_number(text: str) -> int:
    """Value of a small Chinese numeral (一 … 九十九)."""
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_VALUE.get(tens, 1) * 10 + (_CN_VALUE.get(ones, 0) if ones else 0)
    value = 0
    for ch in text:
        value = value * 10 + _CN_VALUE.get(ch, 0)
    return value


def _date(text: str) -> str | None:
    match = _DATE_RE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _CN_DATE_RE.match(text)
        if not match:
            return None
        year = cn_number(match.group(1))
        month, day = cn_number(match.group(2)), cn_number(match.group(3))
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _is_org(text: str) -> bool:
    return (
        len(text) <= 40
        and not re.search(r"[，。；：,《》〈〉“”]", text)
        and bool(_ORG_RE.search(text))
    )


def _strip_title(text: str) -> str:
    return re.sub(r"[《》〈〉]", "", text)


def front_matter(clean: CleanText, limit: int = 40) -> FrontMatter:
    """Read the cover letter (通知) if any, then the plan title."""
    paras = [clean.para_text(i) for i in range(len(clean.paragraphs))]
    head = paras[:limit]
    doc_number = next((p for p in head if _DOC_NUMBER_RE.match(p)), None)

    # A long notice title may be wrapped over several short lines.
    joined = ""
    para_of_char: list[int] = []
    para_start: list[int] = []
    for i, para in enumerate(head[:15]):
        para_start.append(len(joined))
        joined += para
        para_of_char.extend([i] * len(para))
    notice = None
    for found in _NOTICE_RE.finditer(joined):
        # The notice's own title opens its paragraph (maybe after the issuer's name);
        # a 关于印发…的通知 cited inside a sentence is not it.
        lead_in = joined[para_start[para_of_char[found.start()]] : found.start()]
        if not lead_in or _is_org(lead_in):
            notice = found
            break

    title: str | None = None
    issuer: str | None = None
    issued_on: str | None = None
    body = 0
    if notice:
        title = _strip_title(notice.group(1))
        notice_end = para_of_char[notice.end() - 1] + 1
        body = notice_end
        date_at = next((i for i in range(notice_end, len(head)) if _date(head[i])), None)
        if date_at is not None:
            issued_on = _date(head[date_at])
            if date_at > 0 and _is_org(head[date_at - 1]):
                issuer = head[date_at - 1]
            body = date_at + 1
        while body < len(paras) and _PUBLIC_NOTE_RE.match(paras[body]):
            body += 1
        wanted = re.sub(r"\s", "", title)
        for i in range(body, min(body + 6, len(paras))):
            text = ""
            for k in range(i, min(i + 3, len(paras))):
                text += _strip_title(paras[k])
                if text == wanted:
                    body = k + 1
                    break
            else:
                continue
            break
        if issuer is None and head and _is_org(re.sub(r"文件$", "", head[0])):
            issuer = re.sub(r"文件$", "", head[0])
    else:
        for i, para in enumerate(head[:6]):
            if _DOC_NUMBER_RE.match(para) or _is_org(re.sub(r"文件$", "", para)) or _date(para):
                continue
            if len(para) <= 80 and "。" not in para and _GENRE_RE.search(para):
                title, body = para, i + 1
                break
        for i, para in enumerate(paras):
            if _date(para):
                issued_on = _date(para)
                if i > 0 and _is_org(paras[i - 1]):
                    issuer = paras[i - 1]
                break
        if issuer is None and head and _is_org(re.sub(r"文件$", "", head[0])):
            issuer = re.sub(r"文件$", "", head[0])
    # Skip a subtitle such as （2024—2026年） under the plan title.
    while (
        body < len(paras) and _SUBTITLE_RE.match(paras[body]) and not HEADING_RE.match(paras[body])
    ):
        body += 1
    return FrontMatter(title, issuer, doc_number, issued_on, body)


def _heading_number(match: re.Match[str]) -> tuple[str, int]:
    kind = next(name for name in _RANK if match.group(name))
    raw = match.group(f"{kind}_n")
    if kind in ("ar", "arp"):
        return kind, int(raw)
    if kind == "ci":
        return kind, ord(raw) - 0x2460 + 1
    return kind, cn_number(raw)


def find_headings(
    clean: CleanText, first_para: int, gaps: list[tuple[str, str]] | None = None
) -> list[Heading]:
    """Numbered headings at paragraph starts whose numbers run in sequence.

    A number one past the expected one is accepted and reported in ``gaps``.
    """
    gaps = [] if gaps is None else gaps
    last: dict[str, int] = {}
    restarted: dict[str, bool] = {}
    headings: list[Heading] = []
    for index in range(first_para, len(clean.paragraphs)):
        start, end = clean.paragraphs[index]
        match = HEADING_RE.match(clean.text[start:end])
        if not match:
            continue
        kind, number = _heading_number(match)
        previous = last.get(kind)
        ok = (
            (previous is None and number == 1)
            or (previous is not None and number == previous + 1)
            or (number == 1 and restarted.get(kind, False))
        )
        if not ok:
            # One number lost to a damaged line must not cost every task after it.
            if previous is None or number != previous + 2:
                continue
            gaps.append(
                (kind, f"编号“{match.group(0)}”之前缺少第{previous + 1}条，其内容并入上一条")
            )
        last[kind] = number
        restarted[kind] = False
        for other, rank in _RANK.items():
            if rank > _RANK[kind]:
                restarted[other] = True
        headings.append(Heading(kind, number, match.group(0), index, start, start + match.end()))
    return headings


def _choose_measure_kind(clean: CleanText, headings: list[Heading]) -> str | None:
    by_kind: dict[str, list[tuple[Heading, int]]] = {}
    for heading, end in zip(headings, _body_ends(clean, headings), strict=True):
        by_kind.setdefault(heading.kind, []).append((heading, end))
    scores: dict[str, tuple[bool, int, float, int, int]] = {}
    for kind, items in by_kind.items():
        with_bracket = 0
        for heading, end in items:
            # Counting brackets that close the item tells a task from the part
            # around it: a part's body ends with its last task's bracket at best.
            if closes_with_bracket(clean.text[heading.body : end]):
                with_bracket += 1
        ratio = with_bracket / len(items)
        scores[kind] = (ratio >= 0.5, with_bracket, ratio, len(items), _RANK[kind])
    if not scores:
        return None
    if any(score[1] for score in scores.values()):
        return max(scores, key=lambda k: scores[k])
    # No brackets anywhere: the most numerous level, the deeper one on a tie.
    return max(scores, key=lambda k: (scores[k][3], scores[k][4]))


def _body_ends(clean: CleanText, headings: list[Heading]) -> list[int]:
    """For each heading, where the next heading of the same or a shallower level starts."""
    ends = [len(clean.text)] * len(headings)
    waiting: list[int] = []  # indexes of headings whose end is not known yet
    for index, heading in enumerate(headings):
        while waiting and headings[waiting[-1]].rank >= heading.rank:
            ends[waiting.pop()] = heading.start
        waiting.append(index)
    return ends


def _is_bracket_only(text: str) -> bool:
    return bool(re.fullmatch(r"[（(][^（）()]*[）)][。；]?", text))


def layout(clean: CleanText, body_para: int) -> Layout | None:
    """Split the plan body into sections, tasks and the text around them."""
    gaps: list[tuple[str, str]] = []
    headings = find_headings(clean, body_para, gaps)
    kind = _choose_measure_kind(clean, headings)
    if kind is None:
        return None
    rank = _RANK[kind]
    shallower = [h for h in headings if h.rank < rank]
    section_rank = max((h.rank for h in shallower), default=None)
    leaves = [h for h in headings if h.kind == kind]

    current_section: Heading | None = None
    spans: list[MeasureSpan] = []
    leaf_ids = {id(h) for h in leaves}
    ends = _body_ends(clean, headings)
    for heading, body_end in zip(headings, ends, strict=True):
        if heading.rank == section_rank:
            current_section = heading
        elif section_rank is not None and heading.rank < section_rank:
            current_section = None  # a new part above the sections
        if id(heading) in leaf_ids:
            spans.append(MeasureSpan(heading, body_end, current_section))

    # A number with no text at all (a stray 5. on its own) carries nothing.
    spans = [s for s in spans if clean.text[s.heading.body : s.end].strip()]
    for span in spans:
        index = span.heading.para
        while index < len(clean.paragraphs) and clean.paragraphs[index][0] < span.end:
            span.paras.append(index)
            index += 1

    # Sections whose items name no unit (总体要求, 保障措施 …) are framing text, not tasks.
    with_units = {id(s): has_bracket(clean.text[s.heading.body : s.end]) for s in spans}
    general: list[Heading] = []
    if any(with_units.values()):
        by_section: dict[int, list[MeasureSpan]] = {}
        for span in spans:
            by_section.setdefault(id(span.section), []).append(span)
        keep: list[MeasureSpan] = []
        for span in spans:
            group = by_section[id(span.section)]
            if any(with_units[id(s)] for s in group):
                keep.append(span)
            elif span.section is not None and span.section not in general:
                general.append(span.section)
        spans = keep

    # After the last task of a section, text that follows the closing bracket in a
    # new paragraph (e.g. the plan's closing paragraph) belongs to no task.
    for index, span in enumerate(spans):
        is_last = index + 1 == len(spans) or spans[index + 1].section is not span.section
        nxt = spans[index + 1].heading.start if index + 1 < len(spans) else None
        if not (is_last or nxt != span.end):
            continue
        last_with_bracket = None
        for pos, para in enumerate(span.paras):
            start, end = clean.paragraphs[para]
            text = clean.text[max(start, span.heading.body) : end]
            if has_bracket(text) or _is_bracket_only(text):
                last_with_bracket = pos
        if last_with_bracket is not None and last_with_bracket + 1 < len(span.paras):
            span.paras = span.paras[: last_with_bracket + 1]
            span.end = clean.paragraphs[span.paras[-1]][1]

    sections: list[Heading] = []
    for span in spans:
        if span.section is not None and span.section not in sections:
            sections.append(span.section)

    outside = _outside(clean, body_para, headings, spans)
    section_kind = sections[0].kind if sections else None
    notes = [note for gap_kind, note in gaps if gap_kind in (kind, section_kind)]
    return Layout(sections, spans, outside, general, notes)


def _outside(
    clean: CleanText, body_para: int, headings: list[Heading], spans: list[MeasureSpan]
) -> list[tuple[int, int]]:
    """Body text in no task, without heading titles (they hold no targets)."""
    in_measure = {p for span in spans for p in span.paras}
    heading_at = {h.para: h for h in headings}
    result: list[tuple[int, int]] = []
    for index in range(body_para, len(clean.paragraphs)):
        if index in in_measure:
            continue
        start, end = clean.paragraphs[index]
        heading = heading_at.get(index)
        if heading is not None:
            stop = clean.text.find("。", heading.body, end)
            if stop < 0:
                continue
            start = stop + 1
        if end > start:
            result.append((start, end))
    return result


def heading_title(clean: CleanText, heading: Heading, end: int | None = None) -> str:
    """Leading phrase of a heading up to the first 。 (or the paragraph end)."""
    para_end = clean.paragraphs[heading.para][1]
    stop = para_end if end is None else min(end, para_end)
    text = clean.text[heading.body : stop]
    title = text.split("。", 1)[0]
    return title.strip().rstrip("：:；;，,")
