"""Print a demo persona's current authenticator code (``chuangye manage demo_totp coordinator``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from chuangye.accounts import twofactor


class Command(BaseCommand):
    help = "显示演示账号当前的动态验证码（密钥由演示密码推导，仅对演示账号有效）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        key = twofactor.demo_key(username, settings.DEMO_PASSWORD)
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True, key=key).first()
        if device is None:
            # Only keys derived from the demo password are shown: real accounts' are never.
            raise CommandError(
                f"{username} 不是演示账号，或其身份验证器已重新绑定"
                "（演示密钥由 CHUANGYE_DEMO_PASSWORD 推导，须与建立演示数据时相同）"
            )
        self.stdout.write(twofactor.current_code(device.key))
