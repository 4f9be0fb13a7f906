"""The batch's ETA: estimated from warmed-up submissions, never from the warm-up itself."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from graders.report import progress
from graders.report.progress import LogReporter, WarmEta


def test_the_estimate_ignores_each_processs_first_submission() -> None:
    # Two processes each spend 10 s warming up, then grade one submission a second between them.
    eta = WarmEta(total=12, jobs=2)
    assert eta.done(10.0) is None and eta.done(10.0) is None  # the warm-up: no estimate yet
    assert eta.done(10.5) == pytest.approx(0.5 * 9)
    assert eta.done(11.0) == pytest.approx(0.5 * 8)
    # What the old estimate said here (elapsed / done * left): 11 / 4 * 8 = 22 s, for 4 s.


def test_a_batch_smaller_than_the_pool_ends_at_zero() -> None:
    eta = WarmEta(total=1, jobs=2)
    assert eta.done(3.0) == 0.0


class _Result:
    status = "graded"
    score, max_score = 1.0, 2.0
    message = ""
    timings = {"total": 0.5}
    student = "s"


class _Task:
    student = "s"
    relative = "s.py"


class _Outcome:
    task = _Task()
    result = _Result()


def test_log_lines_say_after_warm_up_then_give_the_rate_of_warm_submissions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = iter([0.0, 0.0, 10.0, 10.0, 11.0, 12.0])  # created, started, then 4 done
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    out = io.StringIO()
    reporter = LogReporter(Console(file=out, width=200))
    reporter.start(total=4, skipped=0, jobs=2)
    for _ in range(4):
        reporter.advance(_Outcome())  # type: ignore[arg-type]
    lines = out.getvalue().splitlines()[1:]
    assert [line.rsplit("(eta ", 1)[1] for line in lines] == [
        "after warm-up)",
        "after warm-up)",
        "1s)",
        "0s)",
    ]
