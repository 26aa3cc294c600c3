"""Progress for long command-line steps: one bar over the named steps of a job."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True)


class Steps:
    """``with steps.step("cells"): ...`` advances the bar and records the step's seconds."""

    def __init__(self, progress: Progress | None, task):
        self._progress, self._task = progress, task
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self._progress:
            self._progress.update(self._task, description=name)
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)
        if self._progress:
            self._progress.advance(self._task)


@contextmanager
def steps(title: str, total: int, *, show: bool = True) -> Iterator[Steps]:
    if not show:
        yield Steps(None, None)
        return
    columns = (TextColumn(f"[bold]{title}[/]"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        yield Steps(progress, progress.add_task("", total=total))
