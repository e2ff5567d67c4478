"""Excel annexes: one sheet per table, figures as numbers, text defused against formulas."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from chuangye.documents.render.outline import chinese_date
from chuangye.reporting.excel import FORMULA_TRIGGERS

NO_DATA = "本期暂无已审核数据"
PERCENT = "0.0%"
HEAD_FILL = PatternFill("solid", fgColor="F0F3F7")


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: Sequence[Sequence[Any]]
    #: zero-based columns holding ratios, shown as percentages
    percent: frozenset[int] = frozenset()
    #: long-text columns that wrap
    wrap: frozenset[int] = frozenset()
    notes: list[str] = field(default_factory=list)


def _value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    # A leading =, +, - or @ would make Excel evaluate the text as a formula.
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def workbook(sheets: list[Sheet]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    bold = Font(bold=True)
    for spec in sheets:
        ws = wb.create_sheet(spec.title[:31])
        for note in spec.notes:
            ws.append([_value(note)])
        ws.append([_value(h) for h in spec.headers])
        header_row = ws.max_row
        for cell in ws[header_row]:
            cell.font = bold
            cell.fill = HEAD_FILL
        ws.freeze_panes = f"A{header_row + 1}"
        for row in spec.rows:
            ws.append([_value(v) for v in row])
        for i, header in enumerate(spec.headers):
            column = get_column_letter(i + 1)
            seen = [_width(header)] + [_width(r[i]) for r in spec.rows[:200] if i < len(r)]
            ws.column_dimensions[column].width = min(max(max(seen) + 2, 8), 50)
            for cells in ws.iter_rows(min_row=header_row + 1, min_col=i + 1, max_col=i + 1):
                for cell in cells:
                    if i in spec.percent and isinstance(cell.value, int | float):
                        cell.number_format = PERCENT
                    if i in spec.wrap:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _number(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def bulletin_xlsx(doc: dict[str, Any]) -> bytes:
    """The bulletin's annex: its header and summary, then one sheet per table."""
    period, unit = doc["period"], doc["unit"]
    info = Sheet(
        "通报信息",
        ["项目", "内容"],
        [
            ["标题", doc["title"]],
            ["期号", doc["number"]],
            ["发文单位", doc["issuer"]],
            ["成文日期", chinese_date(doc["dated"])],
            ["通报期间", period["label"]],
            ["通报范围", unit["name"]],
            ["数据截至", period["end_label"]],
            ["状态", "草稿" if doc.get("draft") else "已印发"],
            ["总体情况", doc["summary"]],
        ],
        wrap=frozenset({1}),
    )
    sheets = [info]
    has = doc["has_data"]
    empty = [[NO_DATA]]
    sheets.append(
        Sheet(
            "目标完成情况",
            [
                "序号",
                "目标事项",
                "目标原文",
                "口径",
                "目标值",
                "计量单位",
                "本期完成",
                "累计完成",
                "序时应完成",
                "完成率",
                "序时进度",
                "状态",
                "预测全期",
            ],
            [
                [
                    i,
                    r["subject"],
                    r["text"],
                    "年度目标" if r["scope"] == "per_year" else "期末目标",
                    _number(r["goal"]) if r["comparator"] != "relative" else r["goal_display"],
                    r["unit"],
                    _number(r["period_value"]),
                    _number(r["actual"]),
                    _number(r["expected"]),
                    r["completion"],
                    r["time_elapsed"],
                    r["status_label"],
                    _number(r["forecast"]),
                ]
                for i, r in enumerate(doc["targets"], start=1)
            ]
            if has
            else empty,
            percent=frozenset({9, 10}),
            notes=[f"{unit['name']} {period['label']}，数据截至{period['end_label']}"],
        )
    )
    sheets.append(
        Sheet(
            "区市排名",
            ["名次", "区市", "代码", "得分", "计分目标", "已完成", "正常", "预警", "滞后"],
            [
                [
                    r["rank"],
                    r["name"],
                    r["code"],
                    r["score"],
                    r["targets"],
                    r["lights"].get("done", 0),
                    r["lights"].get("green", 0),
                    r["lights"].get("yellow", 0),
                    r["lights"].get("red", 0),
                ]
                for r in doc["ranking"]
            ]
            if has
            else empty,
            percent=frozenset({3}),
            notes=["得分：结果类目标累计完成数与序时进度应完成数之比的平均值（单项最高按120%计）"],
        )
    )
    risk_rows: list[Sequence[Any]] = []
    for t in doc["at_risk"]:
        for m in t["measures"] or [None]:
            risk_rows.append(
                [
                    t["subject"],
                    t["completion"],
                    t["time_elapsed"],
                    "、".join(t["districts"]),
                    m["title"] if m else "尚未指定支撑措施",
                    "、".join(m["lead"]) if m else "",
                    "、".join(m["cooperating"]) if m else "",
                    "；".join(
                        f"{u['department']}：{u['status_label']}（{u['quarter']}）"
                        for u in m["latest"]
                    )
                    if m
                    else "",
                    "是" if m and m["lagging"] else "否",
                ]
            )
    sheets.append(
        Sheet(
            "需关注目标",
            [
                "目标事项",
                "完成率",
                "序时进度",
                "滞后区市",
                "支撑措施",
                "牵头单位",
                "配合单位",
                "最新进展",
                "措施滞后",
            ],
            risk_rows if has else empty,
            percent=frozenset({1, 2}),
            wrap=frozenset({4, 7}),
        )
    )
    sheets.append(
        Sheet(
            "原因与整改",
            ["措施", "责任单位", "季度", "自评状态", "滞后原因", "整改措施", "完成时限"],
            [
                [
                    r["measure"],
                    r["department"],
                    r["quarter"],
                    r["status_label"],
                    r["cause"],
                    r["remedy"],
                    r["remedy_due"] or "",
                ]
                for r in doc["remedies"]
            ]
            if has
            else empty,
            wrap=frozenset({4, 5}),
        )
    )
    return workbook(sheets)
