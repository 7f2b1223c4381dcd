"""The audit trail: one call records who did what, so views, exports and batch jobs write it alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from zengshou.registry.models import AuditEvent


def record(
    username: str,
    action: str,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
    ip: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        username=username or "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=detail or {},
        ip=ip,
    )


def record_many(events: Iterable[dict[str, Any]], batch_size: int = 5000) -> int:
    """Bulk-write audit events (an import that changes many rows); each dict has AuditEvent's fields."""
    objs = [AuditEvent(**e) for e in events]
    AuditEvent.objects.bulk_create(objs, batch_size=batch_size)
    return len(objs)
