"""``chuangye manage remind``: open and lock rounds, then send the day's reminders once."""

from __future__ import annotations

import datetime as dt
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from chuangye.reporting import services
from chuangye.reporting.calendar import WorkCalendar
from chuangye.reporting.choices import Channel, ReminderKind
from chuangye.reporting.models import Reminder
from chuangye.reporting.reminders import (
    DueReminder,
    SendReport,
    active_plan,
    due_reminders,
    send_due,
    webhooks_for,
)

#: From this many reminders on, an interactive terminal shows a progress bar.
PROGRESS_FROM = 20


def parse_day(raw: str | None) -> dt.date:
    """The ``--date`` value as a date (today in Asia/Shanghai when absent)."""
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise CommandError(f"日期“{raw}”无效，应为 YYYY-MM-DD 格式，例如 2025-07-02") from None


def _kinds(items: list[DueReminder] | list[Reminder]) -> str:
    return "、".join(
        f"{kind.label} {sum(1 for i in items if i.kind == kind)} 条" for kind in ReminderKind
    )


class Command(BaseCommand):
    help = (
        "开启新的报送轮次、锁定到期轮次，然后发送临近提醒和到期催办"
        "（站内消息、电子邮件、企业微信/钉钉机器人）。同一天重复运行不会重复发送。"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--date", help="按哪一天运行，格式 YYYY-MM-DD（默认今天）")
        parser.add_argument(
            "--dry-run", action="store_true", help="只列出将要发送的提醒，不写入任何数据"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = parse_day(options["date"])
        plan = active_plan()
        if plan is None:
            raise CommandError("没有当前执行的行动方案，请先运行 chuangye plan import FILE")
        if options["dry_run"]:
            self._dry_run(plan, today)
            return
        opened = services.ensure_rounds(plan, today)
        locked = services.lock_due_rounds(today)
        self.stdout.write(f"{today}：新开 {len(opened)} 个报送轮次，锁定 {len(locked)} 个轮次。")
        if not WorkCalendar().is_workday(today):
            self.stdout.write(f"{today} 不是工作日，不发送提醒。")
            return
        due = due_reminders(today)
        bar = tqdm(
            total=len(due),
            desc="发送提醒",
            unit="条",
            file=sys.stderr,
            disable=None if len(due) >= PROGRESS_FROM else True,
        )
        try:
            report = send_due(today, due=due, progress=bar.update)
        finally:
            bar.close()
        self._summary(report)

    def _summary(self, report: SendReport) -> None:
        self.stdout.write(
            f"发送提醒 {len(report.sent)} 条（{_kinds(report.sent)}），"
            f"今天已发送过而跳过 {report.skipped} 条。"
        )
        if report.sent:
            reached = "、".join(
                f"{Channel(family).label} {count} 条"
                for family, count in sorted(report.channels.items())
            )
            self.stdout.write(f"送达渠道：{reached or '无'}。")
        if report.failures:
            self.stderr.write(f"发送失败 {len(report.failures)} 项：")
            for f in report.failures:
                kind = ReminderKind(f.kind).label
                self.stderr.write(f"  - {f.department} {f.round} {kind} [{f.channel}]：{f.error}")

    def _dry_run(self, plan: Any, today: dt.date) -> None:
        """Preview the day inside a transaction that is rolled back, so nothing is written."""
        with transaction.atomic():
            opened = services.ensure_rounds(plan, today)
            locked = services.lock_due_rounds(today)
            due = due_reminders(today)
            done = set(
                Reminder.objects.filter(sent_on=today).values_list(
                    "round_id", "department_id", "kind"
                )
            )
            hooks = {d.department.pk: len(webhooks_for(d.department)) for d in due}
            transaction.set_rollback(True)
        self.stdout.write(f"（试运行，不写入任何数据，不发送任何消息）{today}")
        self.stdout.write(f"将新开 {len(opened)} 个报送轮次，锁定 {len(locked)} 个轮次。")
        if not WorkCalendar().is_workday(today):
            self.stdout.write(f"{today} 不是工作日，不发送提醒。")
            return
        self.stdout.write(f"应发送提醒 {len(due)} 条（{_kinds(due)}）：")
        for d in due:
            emails = sum(1 for u in d.recipients if u.email) if settings.EMAIL_HOST else 0
            skip = "（今天已发送，将跳过）" if (d.round.pk, d.department.pk, d.kind) in done else ""
            self.stdout.write(
                f"  - [{ReminderKind(d.kind).label}] {d.department.name} {d.round.label}："
                f"站内消息 {len(d.recipients)} 人，电子邮件 {emails} 人，"
                f"群机器人 {hooks[d.department.pk]} 个{skip}"
            )
            self.stdout.write(f"    {d.message}")
