"""`chuangye report …` subcommands (registered by chuangye.cli)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2
FORMATS = ("docx", "pdf", "xlsx")


def _fail(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _writable(path: Path) -> str | None:
    """Why ``path`` cannot be written, or None when it can."""
    if path.is_dir():
        return f"输出路径 {path} 是一个目录，请给出文件名"
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return f"输出目录 {parent} 不存在"
    if path.exists() and not os.access(path, os.W_OK):
        return f"没有权限写入文件 {path}"
    if not path.exists() and not os.access(parent, os.W_OK):
        return f"没有权限写入目录 {parent}"
    return None


def cmd_bulletin(args: argparse.Namespace) -> int:
    """Write a bulletin for a period (and optionally one district) to a file."""
    fmt = (args.format or Path(args.output).suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        return _fail("--format 应为 docx、pdf 或 xlsx（也可由输出文件扩展名推断）")
    output = Path(args.output)
    problem = _writable(output)
    if problem:
        return _fail(problem)
    dated = dt.date.today()
    if args.date:
        try:
            dated = dt.date.fromisoformat(args.date)
        except ValueError:
            return _fail(f"--date 应为 YYYY-MM-DD 格式的日期，收到“{args.date}”")

    from chuangye.cli import _setup

    _setup()
    from chuangye.accounts.models import OrgUnit
    from chuangye.documents import bulletin
    from chuangye.documents.errors import DocumentError
    from chuangye.documents.periods import parse_period
    from chuangye.documents.render import render_bulletin
    from chuangye.documents.services import next_bulletin_number
    from chuangye.plans.models import Plan

    plan = Plan.objects.filter(is_active=True).select_related("org_unit").first()
    if plan is None:
        return _fail("尚未导入行动方案。先运行 chuangye plan import FILE。")
    try:
        period = parse_period(args.period, first_year=plan.period_start, last_year=plan.period_end)
    except DocumentError as exc:
        return _fail(str(exc))
    if args.unit:
        unit = OrgUnit.objects.filter(code=args.unit).first()
        if unit is None:
            codes = "、".join(OrgUnit.objects.order_by("order").values_list("code", flat=True))
            return _fail(f"区划代码“{args.unit}”不存在。可用的代码：{codes}")
    else:
        unit = OrgUnit.objects.filter(parent__isnull=True).first()
        if unit is None:
            return _fail("尚未建立行政区划。先运行 chuangye demo 或 chuangye serve。")
    snapshot = bulletin.compose(plan, period, unit)
    doc = bulletin.document_of(
        snapshot,
        title=bulletin.title_for(plan, period, unit),
        number=args.number or next_bulletin_number(plan, dated.year),
        dated=dated,
        summary=bulletin.draft_summary(snapshot),
        draft=False,
    )
    try:
        content = render_bulletin(doc, fmt)
    except DocumentError as exc:
        return _fail(str(exc))
    try:
        output.write_bytes(content)
    except OSError as exc:
        return _fail(f"无法写入 {output}：{exc.strerror or exc}")
    if not snapshot["has_data"]:
        print(
            f"错误：{unit.name}{period.label}暂无已审核数据；已写出说明该情况的通报 {output}。",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    print(f"已生成 {output}（{unit.name} {period.label}，{len(content):,} 字节）。")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this app's subcommands to the ``chuangye`` parser."""
    report = sub.add_parser("report", help="公文：进展通报（Word/PDF/Excel）")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    b = report_sub.add_parser(
        "bulletin",
        help="生成进展通报",
        description="按月（2025-06）、季度（2025-Q2）或年度（2025）生成全市或一个区市的进展通报。",
    )
    b.add_argument("--period", required=True, help="期间：2025-06、2025-Q2 或 2025")
    b.add_argument("--unit", help="区划代码，如 371002（环翠区）；省略为全市")
    b.add_argument("--format", help="docx、pdf 或 xlsx；省略时按输出文件扩展名")
    b.add_argument("-o", "--output", required=True, help="输出文件")
    b.add_argument("--date", help="成文日期 YYYY-MM-DD，默认今天")
    b.add_argument("--number", default="", help="期号，如“第 6 期”；默认按本年已印发期数编号")
    b.set_defaults(func=cmd_bulletin)
