"""`chuangye backup`, `chuangye restore` and `chuangye audit …` (registered by chuangye.cli)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_TAMPERED = 1


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def cmd_backup(args: argparse.Namespace) -> int:
    from chuangye.cli import _fail, _progress, _setup

    _setup()
    from chuangye.core.backup import BackupError, create_backup

    bar = _progress(0, "备份")
    try:
        summary = create_backup(Path(args.output), progress=bar)
    except BackupError as exc:
        bar.close()
        return _fail(f"{exc}（未生成备份文件）")
    bar.close()
    size = summary.path.stat().st_size
    print(
        f"备份完成：{summary.path}（{_size(size)}）\n"
        f"  {summary.tables} 张数据表共 {summary.rows} 行，"
        f"{summary.files} 个上传文件（{_size(summary.media_bytes)}），快照时间 {summary.created_at}"
    )
    print("备份中含个人信息（加密存储）与密码摘要，请按涉密资料保管；字段密钥须另行保存。")
    if not summary.audited:
        print("提示：数据库只读，本次备份未写入审计日志。", file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from chuangye.cli import _fail, _progress, _setup

    _setup()
    from chuangye.core.backup import BackupError, restore_backup

    bar = _progress(0, "恢复")
    try:
        summary = restore_backup(Path(args.file), force=args.force, progress=bar)
    except BackupError as exc:
        bar.close()
        return _fail(str(exc))
    bar.close()
    print(
        f"恢复完成：{summary.tables} 张数据表共 {summary.rows} 行，{summary.files} 个上传文件"
        f"（备份时间 {summary.created_at}）。所有用户需重新登录。"
    )
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from chuangye.cli import _setup

    _setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("audit_verify")
    except CommandError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_TAMPERED
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the operations subcommands to the ``chuangye`` parser."""
    backup = sub.add_parser("backup", help="备份数据库与上传文件（一致快照，单个 .tar.gz 文件）")
    backup.add_argument("-o", "--output", required=True, help="备份文件路径，如 backup.tar.gz")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="从备份文件恢复数据库与上传文件（全部成功或不变）")
    restore.add_argument("file", help="chuangye backup 生成的备份文件")
    restore.add_argument(
        "--force", action="store_true", help="目标数据库已有数据时仍恢复（先清空现有全部数据）"
    )
    restore.set_defaults(func=cmd_restore)

    audit = sub.add_parser("audit", help="审计日志")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="校验审计日志摘要链；被改动时列出记录编号并退出 1")
    verify.set_defaults(func=cmd_audit_verify)
