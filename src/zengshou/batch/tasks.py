"""The batch as a django-tasks task: the web queues it, ``zengshou worker`` (or the worker that
``zengshou serve`` starts) runs it, on SQLite and PostgreSQL alike (the database backend)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from zengshou.batch.run import execute


@task()
def run_area_batch(run_id: int) -> dict[str, Any]:
    """Run the queued BatchRun ``run_id``; progress and outcome are on the run row, the figures returned."""
    outcome = execute(run_id)
    return {"run": run_id, "status": outcome.run.status, "figures": outcome.figures}
