"""Parse time of a ~30-page plan laid out like PDF-extracted text.

The document is synthetic: the cover letter and preamble of the Weihai plan, then its
24 measures repeated (renumbered, spread over more sections) until the body fills
about 30 printed pages of 22 lines, with page numbers and page-break gaps.

Run: ``uv run python bench/bench_parse.py [--pages 30] [--runs 15]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from chuangye.plans.parsing import parse_text

ROOT = Path(__file__).resolve().parent.parent
PLAN_DIR = ROOT / "data" / "plans"
LINE_WIDTH = 56  # half-width units: 28 CJK characters, as in the printed plan
LINES_PER_PAGE = 22
CN_NUMERALS = "一二三四五六七八九十"


def _cn(number: int) -> str:
    if number <= 10:
        return CN_NUMERALS[number - 1]
    tens, ones = divmod(number, 10)
    return (
        ("" if tens == 1 else CN_NUMERALS[tens - 1])
        + "十"
        + (CN_NUMERALS[ones - 1] if ones else "")
    )


def _wrap(text: str) -> list[str]:
    """Cut a paragraph into printed lines; digits get the stray spaces PDF text has."""
    lines: list[str] = []
    current = ""
    width = 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if width + w > LINE_WIDTH:
            lines.append(current)
            current, width = "", 0
        if ch.isdigit() and current and not current[-1].isdigit():
            current += " "
        current += ch
        width += w
    if current:
        lines.append(current)
    return lines


def build_document(pages: int) -> tuple[str, int]:
    """Return the synthetic text and its number of measures."""
    raw = (PLAN_DIR / "weihai-2025-8.txt").read_text(encoding="utf-8")
    plan = json.loads((PLAN_DIR / "weihai-2025-8.json").read_text(encoding="utf-8"))
    cover, _, rest = raw.partition("\n\n\n\n")
    preamble = rest.split("一、实施创业市场环境", 1)[0]
    preamble_lines = [line for line in preamble.split("\n") if line.strip()]
    section_titles = [s["title"] for s in plan["sections"]]
    measures = plan["measures"]

    body: list[str] = list(preamble_lines)
    number = 0
    section = 0
    while len(body) < pages * LINES_PER_PAGE:
        if number % 15 == 0:
            section += 1
            body.append(f"{_cn(section)}、{section_titles[(section - 1) % len(section_titles)]}")
        measure = measures[number % len(measures)]
        number += 1
        body.extend(_wrap(f"{number}.{measure['text']}"))
    body.extend(_wrap("各级各部门要切实加强组织领导，确保本行动方案有效实施。"))

    chunks = [cover]
    for page, start in enumerate(range(0, len(body), LINES_PER_PAGE), start=2):
        chunk = body[start : start + LINES_PER_PAGE]
        chunks.append("\n\n".join([*chunk, f"- {page} -"]))
    return "\n\n\n\n".join(chunks) + "\n", number


def _median_seconds(func: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    text, measures = build_document(args.pages)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "synthetic-plan.txt"
        path.write_text(text, encoding="utf-8")
        result = parse_text(text)
        assert len(result["measures"]) == measures, "synthetic plan parsed wrongly"
        read = _median_seconds(lambda: path.read_text(encoding="utf-8"), args.runs)
        parse = _median_seconds(lambda: parse_text(path.read_text(encoding="utf-8")), args.runs)

    targets = len(result["targets"]) + sum(len(m["targets"]) for m in result["measures"])
    print(
        f"document: {args.pages + 1} pages, {len(text):,} characters, {measures} measures, "
        f"{len(result['sections'])} sections, {targets} targets"
    )
    print(f"read text (median of {args.runs}):        {read * 1000:8.3f} ms")
    print(f"read + parse (median of {args.runs}):     {parse * 1000:8.3f} ms")
    print(f"parse / read ratio:               {parse / read:8.0f}x")
    print(f"per page:                         {parse * 1000 / (args.pages + 1):8.3f} ms")


if __name__ == "__main__":
    main()
