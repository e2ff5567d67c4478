"""Lift a sign-in lock on a username and/or a client IP (``chuangye manage unlock_login``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chuangye.accounts import services
from chuangye.accounts.models import User


class Command(BaseCommand):
    help = "解除登录锁定：--user 用户名 和/或 --ip 客户端地址"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", default="")
        parser.add_argument("--ip", default="")

    def handle(self, *args: Any, user: str, ip: str, **options: Any) -> None:
        if not user and not ip:
            raise CommandError("请指定 --user 或 --ip")
        account = User.objects.filter(username=user).first() if user else None
        if user and account is None:
            raise CommandError(f"没有用户 {user}")
        services.unlock_login(actor=None, user=account, ip=ip)
        self.stdout.write(f"已解除锁定：{user or ''} {ip or ''}".strip())
