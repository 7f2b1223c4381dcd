"""Progress bars for long work (generation, import, export, batch runs), on stderr so output stays clean."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

_console = Console(stderr=True)


@contextmanager
def progress(
    description: str, total: float | None, enabled: bool = True
) -> Iterator[Callable[[float], None]]:
    """Yield ``advance(n)``; shows a bar with count and elapsed time when ``enabled``."""
    if not enabled:
        yield lambda n: None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console,
        transient=False,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
