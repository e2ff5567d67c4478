"""The bulletin as a sequence of blocks (headings, paragraphs, tables, charts).

Word, PDF and the preview page all walk the same outline, so the three never say different
things; each renderer only decides how a block looks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import zip_longest
from typing import Any, ClassVar

from chuangye.core.templatetags.figures import fig

NUMERALS = "一二三四五六七八九十"


def fmt_value(value: str | Decimal | float | None, unit: str) -> str:
    """A figure with its unit as printed: 4,816人, 1.50亿元; a missing figure is “—”."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return fig(number, unit)


def fmt_pct(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio * 100:.1f}%"


def chinese_date(value: dt.date | str) -> str:
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class Heading:
    kind: ClassVar[str] = "heading"
    text: str


@dataclass(frozen=True)
class Para:
    kind: ClassVar[str] = "para"
    text: str
    indent: bool = True
    align: str = "justify"  # justify | left | center | right


@dataclass(frozen=True)
class Table:
    kind: ClassVar[str] = "table"
    headers: list[str]
    rows: list[list[str]]
    #: relative column widths
    widths: list[float]
    #: columns set right-aligned (figures)
    numeric: frozenset[int] = frozenset()
    #: per row, a light key (green, red …) for colouring on screen; empty for none
    marks: list[str] = field(default_factory=list)

    @property
    def marked_rows(self) -> list[tuple[str, list[str]]]:
        """(mark, row) pairs, for templates that cannot zip."""
        return [(m or "", r or []) for m, r in zip_longest(self.marks, self.rows)]


@dataclass(frozen=True)
class Chart:
    kind: ClassVar[str] = "chart"
    name: str  # trend | ranking
    caption: str


@dataclass(frozen=True)
class Signature:
    kind: ClassVar[str] = "signature"
    lines: list[str]


Block = Heading | Para | Table | Chart | Signature


def title_lines(title: str) -> str:
    """Break a long title where a reader would: before “推进情况”, keeping lines balanced."""
    if len(title) <= 20 or "\n" in title:
        return title
    at = title.rfind("推进情况")
    if 6 <= at <= len(title) - 4:
        return title[:at] + "\n" + title[at:]
    return title


def masthead(doc: dict[str, Any]) -> dict[str, str]:
    """版头: the banner, the issue number, the issuer and the date."""
    number = doc["number"] + ("（草稿）" if doc.get("draft") else "")
    return {
        "banner": f"{doc['plan']['name']}工作通报",
        "number": number,
        "issuer": doc["issuer"],
        "date": chinese_date(doc["dated"]),
    }


def _section(n: int, title: str) -> Heading:
    return Heading(f"{NUMERALS[n - 1]}、{title}")


def target_table(doc: dict[str, Any]) -> Table:
    rows, marks = [], []
    for i, r in enumerate(doc["targets"], start=1):
        rows.append(
            [
                str(i),
                r["subject"],
                r["goal_display"],
                fmt_value(r["period_value"], r["unit"]),
                fmt_value(r["actual"], r["unit"]),
                fmt_pct(r["completion"]),
                fmt_pct(r["time_elapsed"]),
                r["status_label"],
            ]
        )
        marks.append(r["status"])
    return Table(
        headers=[
            "序号",
            "目标事项",
            "目标值",
            "本期完成",
            "累计完成",
            "完成率",
            "序时进度",
            "状态",
        ],
        rows=rows,
        widths=[0.6, 2.6, 1.7, 1.5, 1.7, 1.0, 1.0, 0.9],
        numeric=frozenset({3, 4, 5, 6}),
        marks=marks,
    )


def ranking_table(doc: dict[str, Any]) -> Table:
    rows, marks = [], []
    for r in doc["ranking"]:
        lights = r["lights"]
        rows.append(
            [
                str(r["rank"]),
                r["name"],
                fmt_pct(r["score"]),
                str(r["targets"]),
                str(lights.get("done", 0)),
                str(lights.get("green", 0)),
                str(lights.get("yellow", 0)),
                str(lights.get("red", 0)),
            ]
        )
        marks.append("current" if r["code"] == doc["unit"]["code"] else "")
    return Table(
        headers=["名次", "区市", "得分", "计分目标", "已完成", "正常", "预警", "滞后"],
        rows=rows,
        widths=[0.7, 1.6, 1.1, 1.0, 0.9, 0.9, 0.9, 0.9],
        numeric=frozenset({2, 3, 4, 5, 6, 7}),
        marks=marks,
    )


def risk_table(doc: dict[str, Any]) -> Table:
    rows, marks = [], []
    for t in doc["at_risk"]:
        standing = f"完成{fmt_pct(t['completion'])}，序时进度{fmt_pct(t['time_elapsed'])}"
        if t["districts"]:
            standing += "；滞后区市：" + "、".join(t["districts"])
        measures = t["measures"] or [None]
        for j, m in enumerate(measures):
            head = [t["subject"], standing] if j == 0 else ["", ""]
            if m is None:
                rows.append([*head, "尚未指定支撑措施", "—", "—", "—"])
            else:
                latest = "；".join(
                    f"{u['department']}：{u['status_label']}（{u['quarter']}）" for u in m["latest"]
                )
                rows.append(
                    [
                        *head,
                        m["title"] + ("（滞后）" if m["lagging"] else ""),
                        "、".join(m["lead"]) or "—",
                        "、".join(m["cooperating"]) or "—",
                        latest or "未报送进展",
                    ]
                )
            marks.append("red" if m is not None and m["lagging"] else "")
    return Table(
        headers=["目标事项", "完成情况", "支撑措施", "牵头单位", "配合单位", "最新进展"],
        rows=rows,
        widths=[1.4, 2.0, 2.4, 1.7, 1.9, 2.0],
        marks=marks,
    )


def remedy_table(doc: dict[str, Any]) -> Table:
    rows = [
        [
            r["measure"],
            r["department"],
            r["quarter"],
            r["cause"],
            r["remedy"],
            chinese_date(r["remedy_due"]) if r["remedy_due"] else "—",
        ]
        for r in doc["remedies"]
    ]
    return Table(
        headers=["措施", "责任单位", "季度", "滞后原因", "整改措施", "完成时限"],
        rows=rows,
        widths=[2.0, 1.4, 1.3, 2.4, 2.6, 1.3],
    )


def outline(doc: dict[str, Any]) -> list[Block]:
    """Everything below the masthead and title, in order."""
    unit, period = doc["unit"], doc["period"]
    city = unit["is_city"]
    addressee = (
        "各区市（含国家级开发区）、市直有关部门：" if city else f"{unit['name']}各有关单位："
    )
    blocks: list[Block] = [
        Para(addressee, indent=False, align="left"),
        Para(f"现将{period['label']}{doc['plan']['name']}推进情况通报如下："),
        _section(1, "总体情况"),
    ]
    blocks += [Para(p.strip()) for p in doc["summary"].splitlines() if p.strip()]
    closing = Para(
        "请各有关单位对照目标任务和序时进度，聚焦滞后目标和措施，逐项分析原因，细化整改措施，"
        "明确完成时限，确保按期完成各项目标任务。"
    )
    signature = Signature([doc["issuer"], chinese_date(doc["dated"])])
    if not doc["has_data"]:
        blocks.append(
            Para(
                f"因{period['label']}暂无已审核数据，本期通报不列示目标完成情况、区市排名和图表，"
                "待数据审核后另行通报。"
            )
        )
        return [*blocks, closing, signature]

    blocks += [
        _section(2, "目标完成情况"),
        Para(
            f"数据截至{period['end_label']}，均为已审核数据。完成率为累计完成与目标值之比；"
            f"序时进度为截至{period['end_label']}应完成的时间进度；本期完成为{period['label']}当期数。"
        ),
    ]
    if doc["targets"]:
        blocks.append(target_table(doc))
    else:
        blocks.append(Para("暂无分解下达的量化目标。"))
    if doc["charts"]["trend"]:
        blocks.append(Chart("trend", "图1  主要目标累计完成与序时进度"))

    blocks.append(_section(3, "区市推进情况" if city else "在各区市中的位次"))
    if doc["ranking"]:
        blocks.append(
            Para(
                "按各区市结果类目标累计完成数与序时进度应完成数之比的平均值排名"
                "（单项最高按120%计），只计结果，不计活动数量。"
            )
        )
        blocks.append(ranking_table(doc))
        blocks.append(Chart("ranking", "图2  各区市推进得分（100%为序时进度）"))
    else:
        blocks.append(Para("本期暂无可排名的区市数据。"))

    blocks.append(_section(4, "需要关注的目标"))
    if doc["at_risk"]:
        blocks.append(
            Para(
                f"以下{len(doc['at_risk'])}项目标滞后于序时进度，列出其支撑措施、责任单位和最新进展："
            )
        )
        blocks.append(risk_table(doc))
    else:
        blocks.append(Para("本期没有滞后于序时进度的目标。"))
    if doc["warnings"]:
        blocks.append(
            Para(
                f"另有{len(doc['warnings'])}项目标处于预警状态，需加快进度："
                + "、".join(doc["warnings"])
                + "。"
            )
        )

    blocks.append(_section(5, "滞后原因及整改措施"))
    if doc["remedies"]:
        blocks.append(Para("各责任单位报送的滞后原因和整改措施如下（经审核）："))
        blocks.append(remedy_table(doc))
    else:
        blocks.append(Para("本期没有责任单位报送滞后措施的原因和整改措施。"))
    return [*blocks, closing, signature]
