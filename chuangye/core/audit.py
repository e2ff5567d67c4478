"""The one way to write an audit row; services call :func:`record` inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from chuangye.core.context import current_ip
from chuangye.core.models import AuditEntry

AUDIT_LOCK_KEY = 7_301_000


def record(
    action: str,
    *,
    actor: Any,
    obj: models.Model | None = None,
    before: Any = None,
    after: Any = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEntry:
    """Append an audit row chained to the previous one. ``actor`` may be None for the system."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:300]
    user = actor if getattr(actor, "pk", None) is not None else None
    # Inside the caller's transaction no savepoint: a failed audit row fails the whole write.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            # Serialise writers so two concurrent rows never link to the same predecessor.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        entry = AuditEntry(
            actor=user,
            actor_name=getattr(user, "username", "") or "system",
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr[:300],
            before=before,
            after=after,
            ip=current_ip.get(),
            prev_hash=last or "",
        )
        entry.at = timezone.now()
        entry.hash = entry.compute_hash()
        entry.save()
    return entry


def verify_chain() -> list[int]:
    """Return ids of entries whose hash or link does not match (empty when intact)."""
    bad: list[int] = []
    prev = ""
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev or entry.compute_hash() != entry.hash:
            bad.append(entry.id)
        prev = entry.hash
    return bad
