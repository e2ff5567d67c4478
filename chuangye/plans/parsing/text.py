"""Normalisation of extracted plan text.

Plan documents usually arrive as text pulled out of a PDF: one physical line per
line, blank lines between them, page numbers such as ``- 3 -``, running headers,
words and department names cut at line and page ends, and stray spaces around
numbers (``到 2026年``).  :func:`normalize` turns that into clean paragraphs and
keeps, for every clean character, its index in the raw text, so that everything
found later can point back at the exact place in the document.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# Heading numbers a paragraph may start with; shared with the structure module.
CN_DIGITS = "一二三四五六七八九十"
HEADING_RE = re.compile(
    rf"^(?:(?P<part>第(?P<part_n>[{CN_DIGITS}]{{1,3}})(?:部分|章|篇))"
    rf"|(?P<cn>(?P<cn_n>[{CN_DIGITS}]{{1,3}})[、．.](?![{CN_DIGITS}\d]))"
    rf"|(?P<cnp>[（(](?P<cnp_n>[{CN_DIGITS}]{{1,3}})[）)])"
    r"|(?P<ar>(?P<ar_n>\d{1,4})(?:\.(?!\d)|、))"
    r"|(?P<arp>[（(](?P<arp_n>\d{1,3})[）)])"
    r"|(?P<ci>(?P<ci_n>[\u2460-\u2473])))"
)

# Physical line separators of every source we read (txt, docx, pypdf output).
_LINE_RE = re.compile(r"[^\r\n\f\v\x1c\x1d\x1e\x85\u2028\u2029]+")
_SPACES = frozenset(" \t\u00a0\u1680\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B))))
# Page numbers are dropped wherever they stand; a bare number only at a page edge.
_PAGE_NUMBER_RE = re.compile(
    r"^(?:[-—–－~～]+\d{1,4}[-—–－~～]+|第\d{1,4}页(?:[,，]?共\d{1,4}页)?|\d{1,4}/\d{1,4})$"
)
_BARE_NUMBER_RE = re.compile(r"^[-—–－]?\d{1,3}[-—–－]?$")
_TERMINAL = frozenset("。；;：:！!？?）)")
_ROLE_WORD_RE = re.compile(r"牵头|负责|配合|参与|协助")
_OPENERS = "（(“‘《〈「『【〔["
_CLOSERS = "）)”’》〉」』】〕]"
_PAIR_OF = dict(zip(_CLOSERS, _OPENERS, strict=True))


@dataclass(frozen=True)
class CleanText:
    """Clean paragraphs joined by ``\\n`` with a raw-text index for every character."""

    text: str
    offsets: list[int]
    paragraphs: list[tuple[int, int]]
    raw_length: int

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a clean ``[start, end)`` span to the raw text (end exclusive)."""
        if end <= start:
            pos = self.offsets[start] if start < len(self.offsets) else self.raw_length
            return pos, pos
        return self.offsets[start], self.offsets[end - 1] + 1

    def para_text(self, index: int) -> str:
        start, end = self.paragraphs[index]
        return self.text[start:end]


@dataclass
class _Line:
    chars: list[str]
    offs: list[int]
    blanks_before: int
    hard_break_before: bool  # form feed, i.e. a page break we know of
    gap_start: int  # raw index where the separator before this line starts

    @property
    def text(self) -> str:
        return "".join(self.chars)


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _clean_char(ch: str, prev: str | None) -> str | None:
    """Return the normalised character, or None when it should be dropped."""
    code = ord(ch)
    if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
        return chr(code - 0xFEE0)  # full-width digits and Latin letters
    if ch == "％":
        return "%"
    if ch == "．" and prev is not None and "0" <= prev <= "9":
        return "."  # 1．持续… and 1．9万 are numbers, not sentence ends
    if code < 0x20 or 0x7F <= code < 0xA0:
        return None
    if code >= 0x2000 and unicodedata.category(ch) in ("Cf", "Cs", "Co", "Cn"):
        return None
    return ch


def _split_lines(raw: str) -> list[_Line]:
    lines: list[_Line] = []
    pos = 0
    blanks = 0
    hard = False
    gap_start = 0
    for match in _LINE_RE.finditer(raw):
        gap = raw[pos : match.start()]
        if gap:
            if "\f" in gap:
                hard = True
            # A "\r\n" pair is one line end; n line ends enclose n - 1 blank lines.
            ends = len(gap) - gap.count("\r\n")
            blanks += max(ends - 1, 0)
        pos = match.end()
        chars: list[str] = []
        offs: list[int] = []
        pending_space: int | None = None
        for i in range(match.start(), match.end()):
            ch = raw[i]
            if ch in _SPACES:
                if pending_space is None:
                    pending_space = i
                continue
            prev = chars[-1] if chars else None
            cleaned = _clean_char(ch, prev)
            if cleaned is None:
                continue
            # Spaces only survive between two Latin words or numbers ("Type A").
            if (
                pending_space is not None
                and prev is not None
                and _is_ascii_alnum(prev)
                and _is_ascii_alnum(cleaned)
            ):
                chars.append(" ")
                offs.append(pending_space)
            pending_space = None
            chars.append(cleaned)
            offs.append(i)
        if not chars:
            blanks += 1
            continue
        lines.append(_Line(chars, offs, blanks, hard, gap_start))
        blanks = 0
        hard = False
        gap_start = pos
    return lines


def _page_edges(lines: list[_Line]) -> tuple[list[bool], list[bool]]:
    """Flag lines that start or end a page: after a form feed or an unusually long gap."""
    counts = Counter(line.blanks_before for line in lines[1:])
    usual = counts.most_common(1)[0][0] if counts else 0
    starts = [
        i > 0
        and (line.hard_break_before or (line.blanks_before > usual and line.blanks_before >= 2))
        for i, line in enumerate(lines)
    ]
    ends = [i + 1 < len(lines) and starts[i + 1] for i in range(len(lines))]
    return starts, ends


def _drop_page_artefacts(lines: list[_Line]) -> list[_Line]:
    """Remove page numbers and running headers/footers; keep page breaks as flags."""
    starts, ends = _page_edges(lines)
    kept: list[_Line] = []
    carry_break = False
    for i, line in enumerate(lines):
        text = line.text
        at_edge = starts[i] or ends[i] or i == len(lines) - 1
        if _PAGE_NUMBER_RE.match(text) or (at_edge and _BARE_NUMBER_RE.match(text)):
            carry_break = True
            continue
        if carry_break:
            line.hard_break_before = True
            carry_break = False
        kept.append(line)
    if not kept:
        return kept
    starts, ends = _page_edges(kept)
    pages = 1 + sum(starts)
    edge_counts: Counter[str] = Counter()
    all_counts: Counter[str] = Counter(line.text for line in kept)
    for i, line in enumerate(kept):
        if starts[i] or ends[i]:
            edge_counts[line.text] += 1
    # A running header or footer sits at the edge of most pages and hardly anywhere
    # else; a body line that merely repeats (a recurring unit list) does not.
    headers = {
        text
        for text, count in edge_counts.items()
        if count >= max(3, pages // 2)
        and count >= 0.6 * all_counts[text]
        and len(text) <= 40
        and not HEADING_RE.match(text)
        and text[0] not in "（("
        and not _ROLE_WORD_RE.search(text)
    }
    if not headers:
        return kept
    result: list[_Line] = []
    carry_break = False
    for i, line in enumerate(kept):
        if line.text in headers and (starts[i] or ends[i]):
            carry_break = True
            continue
        if carry_break:
            line.hard_break_before = True
            carry_break = False
        result.append(line)
    return result


def char_width(text: str) -> int:
    """Printed width in half-width units (CJK counts two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _looks_wrapped(widths: list[int]) -> tuple[bool, float]:
    """Guess whether lines are physical lines of a page (PDF) or whole paragraphs."""
    if not widths:
        return False, 0.0
    ordered = sorted(widths)
    typical = ordered[int(0.75 * (len(ordered) - 1))]
    full = sum(1 for w in widths if 0.8 * typical <= w <= 1.15 * typical)
    # A printed line holds ~10-60 CJK characters and most lines of a page are full;
    # a handful of lines says too little to tell.
    wrapped = len(widths) >= 8 and 20 <= typical <= 130 and full >= 0.5 * len(widths)
    return wrapped, 0.8 * typical


def _open_bracket(buffer: list[str]) -> bool:
    """True when the paragraph so far ends inside a recently opened bracket."""
    text = "".join(buffer[-80:])
    opening = max(text.rfind("（"), text.rfind("("))
    return opening >= 0 and max(text.rfind("）"), text.rfind(")")) < opening


def _closes_responsibility(buffer: list[str]) -> bool:
    """True when the paragraph so far ends with a bracket naming responsible units."""
    text = "".join(buffer[-300:])
    opening = max(text.rfind("（"), text.rfind("("))
    return opening >= 0 and bool(_ROLE_WORD_RE.search(text[opening:]))


def normalize(raw: str, wrapped: bool | None = None) -> CleanText:
    """Clean ``raw`` into paragraphs; ``wrapped`` says whether lines are printed lines.

    With ``wrapped=None`` the line widths decide: PDF text has many lines of about
    the same width, while Word or hand-made text has one line per paragraph.
    """
    lines = _drop_page_artefacts(_split_lines(raw))
    widths = [char_width(line.text) for line in lines]
    guessed, short_below = _looks_wrapped(widths)
    if wrapped is None:
        wrapped = guessed

    out_chars: list[str] = []
    out_offs: list[int] = []
    paragraphs: list[tuple[int, int]] = []
    para_start = 0
    current: list[str] = []

    def close_paragraph() -> None:
        nonlocal para_start
        if len(out_chars) > para_start:
            paragraphs.append((para_start, len(out_chars)))
            last = out_offs[-1] + 1
            out_chars.append("\n")
            out_offs.append(last)
            para_start = len(out_chars)

    for i, line in enumerate(lines):
        if i > 0:
            prev = lines[i - 1]
            new_paragraph = True
            if wrapped:
                prev_last = prev.chars[-1]
                starts_heading = bool(HEADING_RE.match(line.text))
                # A unit name cut at a page end leaves a short line inside a bracket.
                short = widths[i - 1] < short_below and (
                    starts_heading or not _open_bracket(current)
                )
                heading = starts_heading and prev_last in _TERMINAL
                closes = prev_last in "）)" and _closes_responsibility(current)
                new_paragraph = short or heading or closes
            if new_paragraph:
                close_paragraph()
                current = []
            elif _is_ascii_alnum(prev.chars[-1]) and _is_ascii_alnum(line.chars[0]):
                # Two Latin words broken across lines keep their separating space.
                out_chars.append(" ")
                out_offs.append(line.gap_start)
        out_chars.extend(line.chars)
        out_offs.extend(line.offs)
        current.extend(line.chars)
    if len(out_chars) > para_start:
        paragraphs.append((para_start, len(out_chars)))
    elif out_chars:
        out_chars.pop()
        out_offs.pop()
    return CleanText("".join(out_chars), out_offs, paragraphs, len(raw))


def match_pairs(text: str, openers: str = _OPENERS) -> dict[int, int]:
    """Map each opening bracket or quote in ``text`` to its closing partner.

    Unbalanced marks are left unpaired so that one stray bracket in a damaged
    document cannot swallow the rest of it.
    """
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for i, ch in enumerate(text):
        if ch in _PAIR_OF:
            opener = _PAIR_OF[ch]
            # Look a bounded way down the stack: enough for real nesting, and a flood
            # of unmatched marks in a damaged file cannot make this quadratic.
            for j in range(len(stack) - 1, max(len(stack) - 32, 0) - 1, -1):
                if text[stack[j]] == opener:
                    pairs[stack[j]] = i
                    del stack[j:]
                    break
            continue
        if ch in openers:
            stack.append(i)
    return pairs


def depth_map(text: str, openers: str = _OPENERS) -> list[int]:
    """Nesting depth of every character (brackets themselves count as inside)."""
    delta = [0] * (len(text) + 1)
    for start, end in match_pairs(text, openers).items():
        delta[start] += 1
        delta[end + 1] -= 1
    depth: list[int] = []
    level = 0
    for i in range(len(text)):
        level += delta[i]
        depth.append(level)
    return depth


def split_at(text: str, seps: Iterable[str], depth: list[int]) -> list[tuple[int, int]]:
    """Split ``text`` at separator characters outside brackets; return spans."""
    sep_set = frozenset(seps)
    spans: list[tuple[int, int]] = []
    start = 0
    for i, ch in enumerate(text):
        if ch in sep_set and depth[i] == 0:
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if e > s]
