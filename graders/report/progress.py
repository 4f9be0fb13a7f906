"""How a batch's progress is shown: a Rich bar on a terminal, flushed log lines elsewhere.

One reason to change: what the instructor sees while a cohort is graded (``grader grade`` and
``grader samples`` share it). The batch calls a :class:`Reporter`; it never prints.
"""

from __future__ import annotations

import time
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from graders.results import SubmissionResult

__all__ = [
    "LogReporter",
    "Outcome",
    "Reporter",
    "RichReporter",
    "SilentReporter",
    "WarmEta",
    "console_reporter",
]


class _Task(Protocol):
    """What a reporter reads of a grading task (a ``graders.batch.GradeTask``)."""

    @property
    def student(self) -> str: ...

    @property
    def relative(self) -> str: ...


class Outcome(Protocol):
    """What a reporter reads of a finished task (a ``graders.batch.GradeOutcome``).

    A protocol, not the batch's own type: the report layer lies below the batch and the
    executors, and must not import them.
    """

    @property
    def task(self) -> _Task: ...

    @property
    def result(self) -> SubmissionResult | None: ...


class Reporter(Protocol):
    """Shows a batch's progress (a Rich bar on a terminal, log lines elsewhere)."""

    def start(self, total: int, skipped: int, jobs: int) -> None:
        """``total`` submissions to grade now; ``skipped`` unchanged ones."""
        ...

    def advance(self, outcome: Outcome) -> None:
        """One submission finished (recorded, or failed inside the grader)."""
        ...

    def note(self, text: str) -> None:
        """A line for the instructor (renamed ids, ignored files)."""
        ...

    def finish(self) -> None:
        """The batch ended (also when interrupted)."""
        ...


class SilentReporter:
    """Reports nothing (library use and tests)."""

    def start(self, total: int, skipped: int, jobs: int) -> None:
        pass

    def advance(self, outcome: Outcome) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def finish(self) -> None:
        pass


class WarmEta:
    """Time left, estimated from warmed-up submissions only.

    Each grader process's first submission pays its warm-up (imports, the zygote, the first
    draws), so an estimate from the first ``jobs`` completions is off by an order of magnitude
    (13 minutes shown for a 65 s batch). The rate is taken from the completions after the first
    ``jobs``, timed from the moment the last of those arrived; until then there is no estimate.
    """

    def __init__(self, total: int, jobs: int) -> None:
        self._total = total
        self._jobs = max(jobs, 1)
        self._done = 0
        self._warm_at: float | None = None

    def done(self, now: float) -> float | None:
        """Count one finished submission at ``now`` (seconds); return the seconds left or None."""
        self._done += 1
        if self._done == min(self._jobs, self._total):
            self._warm_at = now
            return None if self._done < self._total else 0.0
        if self._warm_at is None:
            return None
        warm = self._done - min(self._jobs, self._total)
        return (now - self._warm_at) / warm * (self._total - self._done)


class RichReporter:
    """A progress bar with counts, elapsed time and ETA (on a terminal)."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]grading[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("•"),
            TimeElapsedColumn(),
            TextColumn("• ETA {task.fields[eta]}"),
            TextColumn("{task.description}", style="dim"),
            console=console,
        )
        self._task: TaskID | None = None
        self._eta = WarmEta(0, 1)

    def start(self, total: int, skipped: int, jobs: int) -> None:
        self._console.print(
            f"{total} to grade, {skipped} unchanged (skipped), {jobs} grader process"
            f"{'es' if jobs != 1 else ''}"
        )
        self._progress.start()
        self._eta = WarmEta(total, jobs)
        self._task = self._progress.add_task("", total=total, eta="after warm-up")

    def advance(self, outcome: Outcome) -> None:
        result = outcome.result
        if result is None:
            self._progress.console.print(
                f"[red]internal error[/red] grading {outcome.task.relative}; it will be "
                "retried on the next run"
            )
        elif result.status == "ungradable":
            first = result.message.splitlines()[0] if result.message else ""
            self._progress.console.print(f"[yellow]ungradable[/yellow] {result.student}: {first}")
        if self._task is not None:
            left = self._eta.done(time.monotonic())
            eta = "after warm-up" if left is None else _duration(left)
            self._progress.update(
                self._task, advance=1, description=outcome.task.student, eta=eta
            )

    def note(self, text: str) -> None:
        self._console.print(f"[dim]note:[/dim] {text}")

    def finish(self) -> None:
        self._progress.stop()


class LogReporter:
    """Plain, flushed log lines, one per submission (CI logs, pipes, files)."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._total = 0
        self._done = 0
        self._started = time.monotonic()
        self._eta = WarmEta(0, 1)

    def _print(self, text: str) -> None:
        self._console.print(text, markup=False, highlight=False, soft_wrap=True)
        self._console.file.flush()

    def start(self, total: int, skipped: int, jobs: int) -> None:
        self._total = total
        self._started = time.monotonic()
        self._eta = WarmEta(total, jobs)
        self._print(
            f"grading {total} submission(s), {skipped} unchanged (skipped), {jobs} grader "
            f"process(es)"
        )

    def advance(self, outcome: Outcome) -> None:
        self._done += 1
        left = self._eta.done(time.monotonic())
        width = len(str(self._total))
        head = f"[{self._done:>{width}}/{self._total}]"
        result = outcome.result
        if result is None:
            what = "INTERNAL ERROR (not recorded; re-run to retry)"
        elif result.status == "ungradable":
            first = result.message.splitlines()[0] if result.message else ""
            what = f"ungradable: {first}"
        else:
            what = (
                f"graded {result.score:g}/{result.max_score:g} in "
                f"{result.timings.get('total', 0.0):.1f} s"
            )
        eta = "after warm-up" if left is None else _duration(left)
        self._print(f"{head} {outcome.task.student}: {what} (eta {eta})")

    def note(self, text: str) -> None:
        self._print(f"note: {text}")

    def finish(self) -> None:
        pass


def _duration(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def console_reporter(console: Console) -> Reporter:
    """A :class:`RichReporter` on a terminal, else a :class:`LogReporter` (CI logs, pipes)."""
    return RichReporter(console) if console.is_terminal else LogReporter(console)
