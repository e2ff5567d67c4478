"""Delete or anonymise loan applications past their retention period (``--dry-run`` lists them)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chuangye.programs.loans import services


class Command(BaseCommand):
    help = "删除超过保存期限的未通过或放弃的贷款申请，匿名化已办结的贷款档案（写入审计日志）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="只列出将要处理的申请，不做任何修改"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = services.purge(dry_run=options["dry_run"])
        prefix = "将" if options["dry_run"] else "已"
        self.stdout.write(
            f"{prefix}删除 {len(report.deleted)} 件，{prefix}匿名化 {len(report.anonymised)} 件"
        )
        for number in report.deleted:
            self.stdout.write(f"  删除 {number}")
        for number in report.anonymised:
            self.stdout.write(f"  匿名化 {number}")
