from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chuangye.accounts.access import access_for
from chuangye.core.models import AuditEntry


def audit_entries_visible_to(user: Any) -> QuerySet[AuditEntry]:
    """Only auditors (and superusers) read the audit log."""
    if not access_for(user).is_auditor:
        return AuditEntry.objects.none()
    return AuditEntry.objects.order_by("-id")
