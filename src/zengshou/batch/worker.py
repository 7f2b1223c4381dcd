"""The process that works through the task queue, beside the web server or on its own.

One worker per ZENGSHOU_HOME (a lock file says who holds it), so a run it finds 运行中 when it starts
was left by a worker that stopped, and is ended as 未完成 instead of blocking its area for ever.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import IO, Any

from zengshou import config

LOCK_NAME = "worker.lock"


class WorkerRunning(Exception):
    """Another worker holds the lock of this home."""


def lock() -> IO[Any]:
    """Hold the home's worker lock for the life of the process (WorkerRunning when it is taken)."""
    import fcntl

    handle = (config.home() / LOCK_NAME).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise WorkerRunning("后台任务进程已在运行（同一数据目录只运行一个）") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def work(once: bool = False, interval: float = 1.0) -> None:
    """Run queued tasks: every one waiting and then return (``once``), or for as long as the process lives."""
    from django.core.management import call_command

    from zengshou.batch.run import orphaned

    orphaned()
    args = ["--no-startup-delay", "--no-reload", "--interval", str(interval)]
    if once:
        args.append("--batch")
    call_command("db_worker", *args, verbosity=0)


def start_worker() -> subprocess.Popen[bytes]:
    """``zengshou worker`` as a child process (``zengshou serve`` starts it beside the web server and
    stops it with ``terminate()`` when the server stops)."""
    code = "from zengshou.cli import main; main()"
    return subprocess.Popen([sys.executable, "-c", code, "worker"], env=dict(os.environ))
