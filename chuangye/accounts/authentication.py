"""API token authentication with expiry (``TOKEN_TTL_HOURS``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing tokens older than the TTL (sign in again for one)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from chuangye.accounts.services import token_expired

        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(_("令牌已过期，请重新获取。"))
        return user, token
