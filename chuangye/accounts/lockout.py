"""Sign-in lockout: failures counted per username and per client IP in the shared cache.

The cache is Django's default cache (LocMem on one machine, Redis when ``CHUANGYE_REDIS_URL`` is
set), so every app process behind the proxy sees the same counters. A lock stores the moment it
ends, read against ``timezone.now()``, so its length is exact whatever the cache's own timer does.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

PREFIX = "chuangye:lockout"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def normalise(username: str) -> str:
    """Usernames lock case-insensitively, so ``Admin`` and ``admin`` share one counter."""
    return (username or "").strip().lower()


def _keys(kind: str, value: str) -> tuple[str, str]:
    digest = _digest(value)
    return f"{PREFIX}:fail:{kind}:{digest}", f"{PREFIX}:lock:{kind}:{digest}"


def _subjects(username: str, ip: str | None) -> list[tuple[str, str, int]]:
    """(kind, value, threshold) for the username and the client IP."""
    subjects: list[tuple[str, str, int]] = []
    if normalise(username):
        subjects.append(("user", normalise(username), settings.LOGIN_MAX_FAILURES))
    subjects.append(("ip", ip or "unknown", settings.LOGIN_MAX_FAILURES_PER_IP))
    return subjects


def duration() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)


def _lock_end(lock_key: str) -> dt.datetime | None:
    until = cache.get(lock_key)
    if until is None:
        return None
    end = dt.datetime.fromtimestamp(float(until), tz=dt.UTC)
    return end if end > timezone.now() else None


def locked_until(username: str, ip: str | None) -> dt.datetime | None:
    """When the later of the username's and the IP's locks ends; None when neither is locked."""
    ends = [_lock_end(_keys(kind, value)[1]) for kind, value, _limit in _subjects(username, ip)]
    active = [end for end in ends if end is not None]
    return max(active) if active else None


def user_locked_until(username: str) -> dt.datetime | None:
    """The username's own lock (for the back office), ignoring IP locks."""
    return _lock_end(_keys("user", normalise(username))[1])


def register_failure(username: str, ip: str | None) -> bool:
    """Count one failed attempt; return True when it locked the username or the IP."""
    seconds = settings.LOGIN_LOCKOUT_SECONDS
    locked = False
    for kind, value, threshold in _subjects(username, ip):
        fail_key, lock_key = _keys(kind, value)
        cache.add(fail_key, 0, timeout=seconds)
        try:
            count = cache.incr(fail_key)
        except ValueError:  # expired between add and incr
            cache.set(fail_key, 1, timeout=seconds)
            count = 1
        if count >= threshold:
            until = timezone.now() + dt.timedelta(seconds=seconds)
            cache.set(lock_key, until.timestamp(), timeout=seconds)
            cache.delete(fail_key)  # after the lock the count starts again from zero
            locked = True
    return locked


def clear_failures(username: str) -> None:
    """A successful sign-in forgets the username's failures (not the IP's: sprays go on)."""
    cache.delete(_keys("user", normalise(username))[0])


def unlock(*, username: str = "", ip: str = "") -> None:
    """Lift the lock and forget the failures of a username and/or an IP."""
    if normalise(username):
        cache.delete_many(list(_keys("user", normalise(username))))
    if ip:
        cache.delete_many(list(_keys("ip", ip)))
