"""The ``chuangye`` command: serve, plan, demo and a passthrough to Django management commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

BUNDLED_PLAN = Path(__file__).resolve().parent.parent / "data" / "plans" / "weihai-2025-8.json"
BUNDLED_TEXT = BUNDLED_PLAN.with_suffix(".txt")

EXIT_BAD_INPUT = 2


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangye.config.settings")
    import django

    django.setup()


def _fail(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _progress(total: int, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="项", file=sys.stderr, disable=None)


# --- plan -------------------------------------------------------------------------------------


def cmd_plan_parse(args: argparse.Namespace) -> int:
    from chuangye.plans.parsing import PlanParseError, parse_file

    path = Path(args.file)
    if not path.is_file():
        return _fail(f"找不到文件 {path}")
    try:
        data = parse_file(path)
    except PlanParseError as exc:
        return _fail(str(exc))
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


def cmd_plan_import(args: argparse.Namespace) -> int:
    _setup()
    from chuangye.plans.contract import PlanContractError
    from chuangye.plans.documents import read_plan_file
    from chuangye.plans.parsing import PlanParseError
    from chuangye.plans.services import import_plan

    path = Path(args.file)
    if not path.is_file():
        return _fail(f"找不到文件 {path}")
    try:
        data, text = read_plan_file(path)
        data.pop("warnings", None)
        _ensure_reference()
        plan = import_plan(
            data, actor=None, source_text=text, source_name=path.name, activate=not args.inactive
        )
    except PlanContractError as exc:
        print("错误：方案 JSON 不符合约定，未导入任何内容：", file=sys.stderr)
        for line in exc.errors:
            print(f"  - {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (PlanParseError, ValueError) as exc:
        return _fail(f"{exc}（未导入任何内容）")
    measures = plan.measures.count()
    targets = plan.targets.count()
    state = "已设为当前方案" if plan.is_active else "未启用"
    print(f"已导入：{plan}，第 {plan.version} 版，{measures} 项措施，{targets} 个目标，{state}。")
    return 0


def cmd_plan_show(args: argparse.Namespace) -> int:
    _setup()
    from chuangye.plans.models import Plan
    from chuangye.plans.selectors import plan_as_json

    plan = Plan.objects.filter(is_active=True).first()
    if plan is None:
        return _fail("尚未导入行动方案。先运行 chuangye plan import FILE。")
    data = plan_as_json(plan)
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"{data['title']}（{data['doc_number']}，{data['issued_on']}）")
    print(f"总体目标 {len(data['targets'])} 个")
    for t in data["targets"]:
        print(f"  · {t['text']}")
    for s in data["sections"]:
        print(f"{s['number']}、{s['title']}")
        for m in (m for m in data["measures"] if m["section"] == s["number"]):
            roles = "，".join(f"{r['department']}({r['role']})" for r in m["responsibilities"])
            print(f"   {m['printed']}{m['title']}  [{roles}]")
            for t in m["targets"]:
                print(f"      · {t['text']}")
    return 0


# --- demo and serve ---------------------------------------------------------------------------


def _ensure_reference() -> None:
    from chuangye.accounts.models import OrgUnit
    from chuangye.accounts.services import ensure_reference_data

    if not OrgUnit.objects.exists():
        ensure_reference_data(actor=None)


def _print_accounts() -> None:
    from django.conf import settings

    from chuangye.demo import persona_names

    print(
        "演示账号（密码：{}）：".format(
            "见环境变量 CHUANGYE_DEMO_PASSWORD"
            if os.environ.get("CHUANGYE_DEMO_PASSWORD")
            else settings.DEMO_PASSWORD
        )
    )
    for username, display in persona_names():
        print(f"  {username:<18} {display}")


def cmd_demo(args: argparse.Namespace) -> int:
    _setup()
    from chuangye.accounts.models import Department
    from chuangye.demo import PERSONAS, build_demo, build_plan_demo

    if args.scale < 1:
        return _fail("--scale 应为不小于 1 的整数")
    if not 1 <= args.cities <= 99:
        return _fail("--cities 应为 1 至 99 之间的整数")
    _ensure_reference()
    bar = _progress(
        len(PERSONAS) + Department.objects.filter(level="district").count() or 32, "演示数据"
    )
    result = build_demo(scale=args.scale, seed=args.seed, progress=bar.update)
    bar.close()
    _load_bundled_plan_if_missing()
    bar = _registry_progress(args.cities)
    work = build_plan_demo(
        seed=args.seed, scale=args.scale, cities=args.cities, progress=bar.update
    )
    bar.close()
    if work.get("registry_extra_cities"):
        print(
            f"已在 {args.cities - 1} 个虚构城市（演示）生成 "
            f"{work['registry_extra_cities']} 条创业者登记记录。"
        )
    if work.get("values"):
        print(f"已生成 {work['values']} 条历史填报数据，并启用了目标分解。")
    print(
        f"演示数据就绪：{result.org_units} 个区划，{result.departments} 个部门，"
        f"{len(result.personas)} 个演示账号，{result.staff_accounts} 个区市经办账号。"
    )
    _print_accounts()
    return 0


def _registry_progress(cities: int) -> Any:
    """A bar over the registry's monthly batches (Weihai's, then the fictitious cities')."""
    from django.utils import timezone

    from chuangye.plans.models import Plan

    plan = Plan.objects.filter(is_active=True).first()
    today = timezone.localdate()
    months = (today.year - plan.period_start) * 12 + today.month - 1 if plan else 0
    return _progress(months * (2 if cities > 1 else 1), "创业者登记库（按月）")


def _load_bundled_plan_if_missing() -> None:
    from chuangye.plans.models import Plan
    from chuangye.plans.services import import_plan

    if Plan.objects.exists():
        return
    data = json.loads(BUNDLED_PLAN.read_text(encoding="utf-8"))
    text = BUNDLED_TEXT.read_text(encoding="utf-8") if BUNDLED_TEXT.exists() else ""
    import_plan(data, actor=None, source_text=text, source_name=BUNDLED_TEXT.name)


def prepare_first_start() -> None:
    """Migrate, collect static files, and on an empty database load the plan and demo data."""
    from django.core.management import call_command

    from chuangye.accounts.models import User
    from chuangye.demo import build_demo, build_plan_demo

    steps = _progress(6, "准备")
    steps.set_postfix_str("数据库结构")
    call_command("migrate", interactive=False, verbosity=0)
    steps.update(1)
    steps.set_postfix_str("静态文件")
    call_command("collectstatic", interactive=False, verbosity=0)
    steps.update(1)
    _ensure_reference()
    fresh = not User.objects.exists()
    steps.set_postfix_str("演示账号")
    if fresh:
        build_demo()
    steps.update(1)
    steps.set_postfix_str("行动方案")
    _load_bundled_plan_if_missing()
    steps.update(1)
    steps.set_postfix_str("演示数据（首次约需 1 分钟）")
    if fresh:
        build_plan_demo()
    steps.update(2)
    steps.close()


def cmd_serve(args: argparse.Namespace) -> int:
    _setup()
    from gunicorn.app.base import BaseApplication

    print("正在准备数据库与演示数据……", flush=True)
    prepare_first_start()
    # Import after collectstatic so WhiteNoise indexes the collected files.
    from chuangye.config.wsgi import application

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", args.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 120)
            # Idle keep-alive connections cost a gthread worker nothing; keep them longer than
            # nginx's upstream keepalive_timeout (60 s) so the proxy, not gunicorn, closes one,
            # and a request is never sent on a connection gunicorn has just closed (a 502).
            self.cfg.set("keepalive", args.keepalive)

        def load(self) -> Any:
            return application

    print(
        f"创业威海平台已启动：http://{args.host}:{args.port}/"
        f"（{args.workers} 个进程 × {args.threads} 个线程）"
    )
    _print_accounts()
    sys.stdout.flush()
    Server().run()
    return 0


def cmd_facts(args: argparse.Namespace) -> int:
    _setup()
    from chuangye.monitoring import facts
    from chuangye.plans.models import Indicator

    total = Indicator.objects.filter(plan__is_active=True).count()
    bar = _progress(total, "重算指标" if args.action == "rebuild" else "核对指标")
    if args.action == "rebuild":
        count = facts.rebuild(progress=bar.update)
        bar.close()
        print(f"已从来源数据重算全部指标事实：{count} 个单元格。")
        return 0
    bad = facts.check(progress=bar.update)
    bar.close()
    if not bad:
        print("指标事实与来源数据一致。")
        return 0
    print(f"发现 {len(bad)} 个单元格与来源数据不一致：")
    for m in bad[:50]:
        print(
            f"  {m.indicator} {m.org_unit} {m.year}-{m.month:02d}：存储 {m.stored}，来源 {m.source}"
        )
    print("运行 chuangye facts rebuild 可按来源重算。")
    return 1


def cmd_remind(args: argparse.Namespace) -> int:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    _setup()
    extra = ["--date", args.date] if args.date else []
    if args.dry_run:
        extra.append("--dry-run")
    try:
        call_command("remind", *extra)
    except CommandError as exc:
        return _fail(str(exc))
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangye.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["chuangye manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chuangye", description="创业威海 行动方案统筹平台")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="启动生产 WSGI 服务（首次启动自动建库并加载演示数据）")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=int(os.environ.get("CHUANGYE_WORKERS", "2")))
    serve.add_argument("--threads", type=int, default=int(os.environ.get("CHUANGYE_THREADS", "4")))
    serve.add_argument(
        "--keepalive",
        type=int,
        default=int(os.environ.get("CHUANGYE_KEEPALIVE", "75")),
        help="空闲长连接保持秒数",
    )
    serve.set_defaults(func=cmd_serve)

    plan = sub.add_parser("plan", help="行动方案：解析、导入、查看")
    plan_sub = plan.add_subparsers(dest="plan_command", required=True)
    parse = plan_sub.add_parser("parse", help="把方案文件（.txt/.docx/.pdf）解析为方案 JSON")
    parse.add_argument("file")
    parse.add_argument("--format", choices=["json"], default="json")
    parse.set_defaults(func=cmd_plan_parse)
    imp = plan_sub.add_parser("import", help="导入方案（方案 JSON 或方案文件）")
    imp.add_argument("file")
    imp.add_argument("--inactive", action="store_true", help="导入但不设为当前方案")
    imp.set_defaults(func=cmd_plan_import)
    show = plan_sub.add_parser("show", help="显示当前方案")
    show.add_argument("--format", choices=["text", "json"], default="text")
    show.set_defaults(func=cmd_plan_show)

    demo = sub.add_parser("demo", help="生成演示数据（虚构、可重复）")
    demo.add_argument("--scale", type=int, default=1)
    demo.add_argument("--seed", type=int, default=2025)
    demo.add_argument(
        "--cities",
        type=int,
        default=1,
        help="把登记库数据分布到威海及若干虚构城市（演示，如 16 即全省规模）",
    )
    demo.set_defaults(func=cmd_demo)

    facts_cmd = sub.add_parser("facts", help="指标事实表：重算或核对")
    facts_cmd.add_argument("action", choices=["rebuild", "check"])
    facts_cmd.set_defaults(func=cmd_facts)

    remind = sub.add_parser("remind", help="发送到期提醒与催办（可重复运行，不会重复发送）")
    remind.add_argument("--date", help="按指定日期运行，格式 YYYY-MM-DD")
    remind.add_argument("--dry-run", action="store_true", help="只列出将发送的提醒")
    remind.set_defaults(func=cmd_remind)

    # Apps add their own subcommands (each module has ``register(sub)``).
    from chuangye.core import ops_cli
    from chuangye.documents import cli as documents_cli
    from chuangye.programs.loans import cli as loans_cli

    for module in (documents_cli, loans_cli, ops_cli):
        module.register(sub)

    manage = sub.add_parser("manage", help="运行 Django 管理命令", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
