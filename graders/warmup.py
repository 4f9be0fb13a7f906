"""Draw each check's search inputs while the first worker of a grading process starts.

A check's derandomized search draws the same inputs for every submission, and the grading
process remembers them (``graders.checks.replay``). Drawing them the first time costs about as
long as the warm zygote takes to start and the first notebook's cells take to run, during which
the grader only waits. So the first submission of each assignment in a process draws them in a
thread meanwhile: ``grader check`` answers seconds sooner, and each process of a batch pays once.
The inputs are the same either way (Hypothesis seeds a derandomized search from its source).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from graders.checks.base import CheckContext
from graders.checks.registry import resolve
from graders.hidden import CourseSecret
from graders.spec import Assignment

__all__ = ["draw_inputs", "drawing_inputs"]

# The check lists already drawn, with the lab data names and the secret they were drawn for.
_drawn: set[tuple[object, ...]] = set()
_drawn_lock = threading.Lock()
_SWITCH_INTERVAL = 0.0005  # seconds


class _Reached(BaseException):
    """The check reached the student's code: what it draws beforehand is drawn."""


class _NoStudent:
    """Stands in for the worker session: the first call of the student's code stops the check."""

    def _stop(self, *args: Any, **kwargs: Any) -> Any:
        raise _Reached

    call = call_many = value = defined = _stop


def draw_inputs(
    assignment: Assignment,
    lab_data: Mapping[str, Path] | None = None,
    secret: CourseSecret | None = None,
) -> None:
    """Run every check of ``assignment`` up to its first call of the student's code.

    A search draws (and remembers) its inputs before it calls the student, so afterwards every
    search of the assignment replays remembered inputs. Checks that call the student first
    draw nothing here; they lose nothing either.
    """
    for question in assignment.questions:
        for spec in question.checks:
            ctx = CheckContext(
                session=_NoStudent(),  # type: ignore[arg-type]  # duck-typed: it never answers
                assignment=assignment,
                question=question,
                spec=spec,
                lab_data=lab_data or {},
                secret=secret,  # the hidden searches' inputs are drawn before any call too
            )
            try:
                resolve(spec.id)(ctx)
            except (_Reached, Exception):  # best effort: the real run reports real problems
                pass


@contextmanager
def drawing_inputs(
    assignment: Assignment,
    lab_data: Mapping[str, Path] | None = None,
    secret: CourseSecret | None = None,
) -> Iterator[None]:
    """Within the block, a thread draws ``assignment``'s inputs (the first time per process, lab
    data and secret).

    The block should only wait for the worker (start-up, cells): the thread is joined on exit,
    before any check runs, so the searches never run in two threads at once.
    """
    checks = tuple(
        (s.id, s.max_examples, s.hidden_examples) for q in assignment.questions for s in q.checks
    )
    key = (checks, tuple(sorted(lab_data or {})), None if secret is None else secret.fingerprint)
    with _drawn_lock:
        first = key not in _drawn
        _drawn.add(key)
    if not first:
        yield
        return
    thread = threading.Thread(
        target=draw_inputs,
        args=(assignment, lab_data, secret),
        name="grader-draw-inputs",
        daemon=True,
    )
    thread.start()
    try:
        with _short_switch_interval():
            yield
    finally:
        thread.join()


_switching = [0, 0.0]  # blocks inside, the interval to restore when the last one leaves


@contextmanager
def _short_switch_interval() -> Iterator[None]:
    """The block waits on the worker in many short steps, each needing the GIL back from the
    drawing thread: a short switch interval keeps every step from waiting 5 ms for it.
    Nested or concurrent blocks restore the original interval when the last one leaves."""
    with _drawn_lock:
        if _switching[0] == 0:
            _switching[1] = sys.getswitchinterval()
            sys.setswitchinterval(_SWITCH_INTERVAL)
        _switching[0] += 1
    try:
        yield
    finally:
        with _drawn_lock:
            _switching[0] -= 1
            if _switching[0] == 0:
                sys.setswitchinterval(_switching[1])
