"""Bulletin charts as PNG images with Chinese text (matplotlib, Agg canvas, no pyplot state).

Each chart is drawn from the bulletin snapshot alone, on a private Figure, so concurrent
requests never share drawing state and nothing is fetched from anywhere.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from chuangye.documents.render.fonts import font_path

DPI = 200
WIDTH_IN = 6.3
BRAND = "#c8102e"
EXPECTED = "#66727f"
GOAL = "#0b5cad"
LIGHT_COLOURS = {"green": "#1a7f37", "yellow": "#b7791f", "red": "#c53030"}


@dataclass(frozen=True)
class Image:
    png: bytes
    width_in: float
    height_in: float


def _font(size: float) -> FontProperties:
    return FontProperties(fname=font_path(), size=size)


def _scale(goal: float, unit: str) -> tuple[float, str]:
    """Divide money into 万元 or 亿元 (and large counts into 万) so the axis stays readable."""
    if unit == "元":
        return (1e8, "亿元") if goal >= 1e8 else (1e4, "万元") if goal >= 1e4 else (1, "元")
    return (1, unit)


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _label_ticks(ax: Any, font: FontProperties) -> None:
    for label in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
        label.set_fontproperties(font)


def trend(doc: dict[str, Any]) -> Image | None:
    """Small multiples: each key target's cumulative actual against its 序时进度 path."""
    series = doc["charts"]["trend"]
    if not series:
        return None
    cols = 1 if len(series) == 1 else 2
    rows = math.ceil(len(series) / cols)
    height = 2.2 * rows + 0.4
    figure = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    small, tiny = _font(8.5), _font(7)
    end = doc["period"]["code"]
    for i, s in enumerate(series):
        ax = figure.add_subplot(rows, cols, i + 1)
        factor, unit = _scale(s["goal"], s["unit"])
        x = list(range(len(s["months"])))
        actual = [math.nan if v is None else v / factor for v in s["actual"]]
        expected = [v / factor for v in s["expected"]]
        ax.plot(x, expected, color=EXPECTED, linestyle="--", linewidth=1.2, label="序时进度")
        ax.plot(x, actual, color=BRAND, linewidth=2, marker="o", markersize=2.5, label="累计完成")
        ax.axhline(s["goal"] / factor, color=GOAL, linestyle=":", linewidth=1, label="目标值")
        last = max((j for j, v in enumerate(s["actual"]) if v is not None), default=None)
        if last is not None:
            ax.annotate(
                f"{actual[last]:,.2f}".rstrip("0").rstrip("."),
                (last, actual[last]),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontproperties=tiny,
                color=BRAND,
            )
        step = max(1, len(x) // 4)
        ticks = x[::step]
        ax.set_xticks(ticks, [s["months"][j][2:].replace("-", ".") for j in ticks])
        ax.set_title(f"{s['subject']}（{unit}）", fontproperties=small)
        ax.grid(axis="y", color="#dde3ea", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=7)
        _label_ticks(ax, tiny)
        if i == 0:
            ax.legend(prop=tiny, frameon=False, loc="upper left")
    figure.suptitle(f"数据截至 {end}", fontproperties=tiny, color=EXPECTED, x=0.99, ha="right")
    return Image(_png(figure), WIDTH_IN, height)


def ranking(doc: dict[str, Any]) -> Image | None:
    """Districts by score (completion against 序时进度, 100% = on schedule), best on top."""
    rows = doc["ranking"]
    if not rows:
        return None
    height = 0.42 * len(rows) + 0.9
    figure = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    ax = figure.add_subplot()
    small, tiny = _font(8.5), _font(7.5)
    names = [r["name"] for r in reversed(rows)]
    scores = [r["score"] * 100 for r in reversed(rows)]
    colours = [
        LIGHT_COLOURS["green"] if v >= 100 else LIGHT_COLOURS["yellow"] if v >= 90 else BRAND
        for v in scores
    ]
    own = doc["unit"]["code"]
    edges = ["#1f2933" if r["code"] == own else "none" for r in reversed(rows)]
    bars = ax.barh(names, scores, color=colours, edgecolor=edges, linewidth=1.2, height=0.6)
    ax.axvline(100, color=EXPECTED, linestyle="--", linewidth=1)
    ax.text(100, len(rows) - 0.4, " 序时进度", fontproperties=tiny, color=EXPECTED, va="bottom")
    for bar, value in zip(bars, scores, strict=True):
        ax.text(
            bar.get_width() + 1,
            bar.get_y() + bar.get_height() / 2,
            f"{value:.1f}%",
            va="center",
            fontproperties=tiny,
        )
    ax.set_xlim(0, max(125.0, max(scores) + 12))
    ax.set_xlabel("得分（%）", fontproperties=small)
    ax.spines[["top", "right"]].set_visible(False)
    _label_ticks(ax, small)
    return Image(_png(figure), WIDTH_IN, height)


def render(doc: dict[str, Any], name: str) -> Image | None:
    return {"trend": trend, "ranking": ranking}[name](doc)
