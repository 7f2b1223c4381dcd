"""``/health/`` for an office's monitoring: 200 when the system can serve, 503 saying why when not."""

from __future__ import annotations

import json

from django.db import DatabaseError
from django.test import Client

from zengshou.web import health


def test_health_answers_without_login_on_a_migrated_database(db) -> None:
    response = Client().get("/health/")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["status"] == "ok" and body["状态"] == "正常"
    assert body["database"]["reachable"] is True
    assert body["migrations"]["applied"] is True
    assert body["last_pipeline_run"] is None  # no batch stored yet


def test_health_reports_the_last_stored_pipeline_run(db) -> None:
    from zengshou.registry.audit import record

    record(
        "system", "pipeline.store", "pipeline", "2025", {"year": 2025, "quarter": None, "tier_results": 12}
    )
    run = json.loads(Client().get("/health/").content)["last_pipeline_run"]
    assert run["year"] == 2025 and run["tier_results"] == 12 and run["at"]


def test_health_is_503_when_the_database_does_not_answer(db, monkeypatch) -> None:
    class Broken:
        vendor = "sqlite"

        def cursor(self) -> None:
            raise DatabaseError("down")

    monkeypatch.setattr(health, "connection", Broken())
    response = Client().get("/health/")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "error" and body["状态"] == "数据库无法连接"


def test_health_is_503_while_migrations_are_pending(db, monkeypatch) -> None:
    monkeypatch.setattr(health, "_migrations_done", False)
    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan", lambda self, targets: [("x", False)]
    )
    response = Client().get("/health/")
    assert response.status_code == 503
    assert json.loads(response.content)["migrations"] == {"applied": False, "pending": 1}
