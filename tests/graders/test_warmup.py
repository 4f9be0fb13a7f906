"""Drawing the searches' inputs in a thread while the worker starts changes when they are drawn,
never what they are: the same inputs, the same grades."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest

from graders import engine, warmup
from graders.checks import keys, replay
from graders.engine import grade_path
from graders.hidden import PRACTICE
from graders.spec import available_assignments, load_assignment
from tests.graders.grading import LOGISTIC, assignment, without_timings


@pytest.fixture
def nothing_remembered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A grading process that has drawn nothing yet."""
    monkeypatch.setattr(replay, "_PASSING_INPUTS", {})
    monkeypatch.setattr(warmup, "_drawn", set())
    yield


def drawn_inputs() -> dict[tuple[str | int, ...], object]:
    return {key: keys._exact(inputs) for key, inputs in replay._PASSING_INPUTS.items()}


@pytest.mark.parametrize("slug", available_assignments())
def test_a_thread_draws_what_the_checks_would_draw(
    slug: str, nothing_remembered: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = load_assignment(slug)
    reference = spec.directory / "examples"
    solution = next(p for p in sorted(reference.iterdir()) if p.stem == "solution")
    # Drawn by the checks themselves, in the main thread, while grading.
    monkeypatch.setattr(
        engine, "drawing_inputs", lambda a, lab=None, secret=None: contextlib.nullcontext()
    )
    grade_path(solution, spec)
    by_checks = drawn_inputs()
    assert by_checks, "no search remembered its inputs: the comparison would be empty"
    # Drawn ahead, in another thread, with nothing to call.
    monkeypatch.setattr(replay, "_PASSING_INPUTS", {})
    thread = threading.Thread(target=warmup.draw_inputs, args=(spec, None, PRACTICE))
    thread.start()
    thread.join()
    assert drawn_inputs() == by_checks


def test_grades_are_the_same_with_and_without_drawing_ahead(
    nothing_remembered: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = assignment(LOGISTIC)
    path = spec.directory / "examples" / "overflow_sigmoid.py"
    ahead = without_timings(grade_path(path, spec))
    assert len(replay._PASSING_INPUTS) >= 9  # every search of the assignment was drawn
    monkeypatch.setattr(replay, "_PASSING_INPUTS", {})
    monkeypatch.setattr(
        engine, "drawing_inputs", lambda a, lab=None, secret=None: contextlib.nullcontext()
    )
    assert without_timings(grade_path(path, spec)) == ahead


def test_each_process_draws_an_assignment_once(
    nothing_remembered: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[str] = []
    monkeypatch.setattr(warmup, "draw_inputs", lambda a, lab=None, secret=None: runs.append(a.slug))
    spec = assignment(LOGISTIC)
    for _ in range(3):
        with warmup.drawing_inputs(spec):
            pass
    assert runs == [LOGISTIC]


def test_the_switch_interval_is_restored(nothing_remembered: None) -> None:
    import sys

    before = sys.getswitchinterval()
    with warmup.drawing_inputs(assignment(LOGISTIC)):
        assert sys.getswitchinterval() < before
    assert sys.getswitchinterval() == before


def test_a_check_that_reaches_the_student_first_draws_nothing_and_raises_nothing(
    nothing_remembered: None,
) -> None:
    spec = assignment(LOGISTIC)
    warmup.draw_inputs(spec)  # must not raise, whatever the checks do with a silent session
    assert {key[0] for key in replay._PASSING_INPUTS} <= {
        c.id for q in spec.questions for c in q.checks
    }
