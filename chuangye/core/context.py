"""Per-request context the audit writer needs (client IP) without threading it through calls."""

from __future__ import annotations

from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)
