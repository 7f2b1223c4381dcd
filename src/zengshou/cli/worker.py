"""``zengshou worker``: the background process that runs batches started from the web."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from zengshou.cli import app


@app.command("worker")
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="运行完排队的任务即退出 / run the queued tasks, then exit")
    ] = False,
) -> None:
    """后台任务进程：运行网页上启动的批处理（zengshou serve 会自动启动） / run queued batches."""
    os.environ["ZENGSHOU_LOG_CONSOLE"] = "1"
    from zengshou.cli.core import migrate

    migrate()
    from zengshou.batch.worker import WorkerRunning, lock, work

    try:
        held = lock()
    except WorkerRunning as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if not once:
        typer.echo("后台任务进程已启动，等待网页上启动的批处理（Ctrl+C 停止） / worker started", err=True)
    try:
        work(once=once)
    finally:
        held.close()
