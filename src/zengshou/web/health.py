"""``/health/``: what an office's monitoring (or a person with curl) needs to know the system is usable.

No login and no personal data: whether the database answers, whether its schema is up to date, and
when the batch last stored results. 200 when the system can serve, 503 otherwise.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from zengshou import __version__

log = logging.getLogger(__name__)
#: Once every migration is applied it stays so until the code changes, which restarts the server.
_migrations_done = False


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        log.warning("health: database unreachable: %s", exc)
        return {"reachable": False, "engine": connection.vendor}
    return {"reachable": True, "engine": connection.vendor}


def _migrations() -> dict[str, Any]:
    global _migrations_done
    if _migrations_done:
        return {"applied": True, "pending": 0}
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        log.warning("health: migrations unreadable: %s", exc)
        return {"applied": False, "pending": None}
    _migrations_done = not pending
    return {"applied": not pending, "pending": len(pending)}


def _last_pipeline_run() -> dict[str, Any] | None:
    """The latest stored batch result (the audit trail records each one, indexed by action and time)."""
    from zengshou.registry.models import AuditEvent

    try:
        event = AuditEvent.objects.filter(action="pipeline.store").order_by("-at").first()
    except DatabaseError:
        return None
    if event is None:
        return None
    detail = event.detail if isinstance(event.detail, dict) else {}
    return {
        "at": event.at.isoformat(),
        "year": detail.get("year"),
        "quarter": detail.get("quarter"),
        "tier_results": detail.get("tier_results"),
    }


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    database = _database()
    migrations = _migrations() if database["reachable"] else {"applied": False, "pending": None}
    ok = database["reachable"] and migrations["applied"]
    body = {
        "status": "ok" if ok else "error",
        "状态": "正常"
        if ok
        else (
            "数据库无法连接"
            if not database["reachable"]
            else "数据库结构未更新（请运行 zengshou stats 或重新启动 zengshou serve）"
        ),
        "version": __version__,
        "database": database,
        "migrations": migrations,
        "last_pipeline_run": _last_pipeline_run() if database["reachable"] else None,
    }
    return JsonResponse(body, status=200 if ok else 503, json_dumps_params={"ensure_ascii": False})
