"""A fixed-window request limiter in the shared cache, per client IP and per username.

Rates are strings ``"COUNT/SECONDS"`` from ``settings.RATE_LIMITS``; windows are numbered from
``timezone.now()`` so every process behind the proxy counts into the same window.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

PREFIX = "chuangye:rate"


def parse_rate(rate: str) -> tuple[int, int]:
    """``"20/60"`` → (20 requests, 60 seconds)."""
    count, _slash, seconds = rate.partition("/")
    return int(count), int(seconds or 60)


def hit(scope: str, key: str) -> int | None:
    """Count one request of ``key`` against ``settings.RATE_LIMITS[scope]``.

    Return None while under the limit, else the seconds until the window ends (Retry-After).
    A scope with no configured rate is not limited.
    """
    rate = getattr(settings, "RATE_LIMITS", {}).get(scope)
    if not rate:
        return None
    limit, period = parse_rate(rate)
    now = timezone.now().timestamp()
    window = int(now // period)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"{PREFIX}:{scope}:{digest}:{window}"
    cache.add(cache_key, 0, timeout=period + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        cache.set(cache_key, 1, timeout=period + 1)
        count = 1
    if count <= limit:
        return None
    return max(1, int((window + 1) * period - now))


def check(scope: str, *, ip: str | None, username: str | None = None) -> int | None:
    """Limit per IP (``scope``) and, when given, per username (``scope + "_user"``)."""
    retry = hit(scope, ip or "unknown")
    if username:
        retry_user = hit(f"{scope}_user", username.strip().lower())
        if retry_user is not None:
            retry = max(retry or 0, retry_user)
    return retry
