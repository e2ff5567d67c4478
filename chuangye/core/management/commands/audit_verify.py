from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chuangye.core.audit import verify_chain
from chuangye.core.models import AuditEntry


class Command(BaseCommand):
    help = "校验审计日志的摘要链，发现篡改时以非零状态退出"

    def handle(self, *args: Any, **options: Any) -> None:
        bad = verify_chain()
        total = AuditEntry.objects.count()
        if bad:
            raise CommandError(f"审计日志被改动：{len(bad)} 条记录摘要不符（编号 {bad[:20]}）")
        self.stdout.write(f"审计日志完整：共 {total} 条记录，摘要链一致。")
