"""The audit trail: one call records who did what, so views, exports and batch jobs write it alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from zengshou.registry.models import AuditEvent


@dataclass(frozen=True)
class RequestInfo:
    """Where the request being served came from, for events recorded deep below the view."""

    path: str
    method: str
    ip: str


_request: ContextVar[RequestInfo | None] = ContextVar("zengshou_request", default=None)


def current_request() -> RequestInfo | None:
    """The request this thread is serving (None in a CLI command or a batch)."""
    return _request.get()


def remember_request(sender: Any, environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """``request_started`` receiver: note the path, method and client address of the request."""
    environ = environ or {}
    _request.set(
        RequestInfo(
            path=str(environ.get("PATH_INFO", ""))[:500],
            method=str(environ.get("REQUEST_METHOD", "")),
            ip=str(environ.get("REMOTE_ADDR", ""))[:45],
        )
    )


def forget_request(sender: Any, **kwargs: Any) -> None:
    """``request_finished`` receiver: nothing recorded later belongs to that request."""
    _request.set(None)


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


#: Actions that record a refused access (an object outside the scope, a role without the right).
REFUSAL_ACTIONS = ("access.refused", "access.denied")


@dataclass(frozen=True)
class RepeatedRefusals:
    """One user refused again and again from one address: who, how often, when last, which pages."""

    username: str
    ip: str
    count: int
    last: dt.datetime
    paths: list[str]


def repeated_refusals(
    since: dt.datetime, at_least: int = 3, limit: int = 20, samples: int = 3
) -> list[RepeatedRefusals]:
    """Users refused at least ``at_least`` times since ``since``, per address, most refusals first."""
    from django.db.models import Count, Max

    refusals = AuditEvent.objects.filter(action__in=REFUSAL_ACTIONS, at__gte=since)
    groups = (
        refusals.values("username", "ip")
        .annotate(n=Count("id"), last=Max("at"))
        .filter(n__gte=at_least)
        .order_by("-n", "-last", "username")[:limit]
    )
    out = []
    for g in groups:
        paths: list[str] = []
        recent = refusals.filter(username=g["username"], ip=g["ip"]).order_by("-at", "-id")
        for detail, object_type, object_id in recent.values_list("detail", "object_type", "object_id")[:50]:
            path = (detail or {}).get("path") if isinstance(detail, dict) else None
            path = path or f"{object_type} {object_id}".strip()
            if path not in paths:
                paths.append(path)
            if len(paths) == samples:
                break
        out.append(RepeatedRefusals(g["username"], g["ip"], g["n"], g["last"], paths))
    return out
