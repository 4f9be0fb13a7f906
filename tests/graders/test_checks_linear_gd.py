"""Controls for the gradient-descent checks (``graders/checks/linear_gd.py``).

Positive controls: the reference (in process) and honest alternatives (in the sandbox) get every
point. Negative controls: each catalogued misconception fails its check with its diagnosis, as
the catalogue's variant and as a student writes it, and costs no other check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from graders.checks import linear_gd
from graders.diagnose import Misconception
from reference import data
from reference import linear_gd as ref
from reference import restarts as ref_restarts
from tests.graders.grading import (
    GRADIENT_DESCENT,
    Graded,
    InProcessSession,
    as_float32,
    as_student,
    assert_fails_as_expected,
    assert_only_these_fail,
    assignment,
    catalogued_misconceptions,
    explain,
    float32_references,
    grade_controls,
    reference_functions,
    reference_values,
    run_in_process,
)

SPEC = assignment(GRADIENT_DESCENT)
CHECK_IDS = [c.id for q in SPEC.questions for c in q.checks]


REFERENCE = reference_functions(GRADIENT_DESCENT)


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_reference_passes(check_id: str) -> None:
    session = InProcessSession(REFERENCE, values=reference_values(GRADIENT_DESCENT))
    record = run_in_process(GRADIENT_DESCENT, check_id, session)
    assert record.status == "passed", record.message


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_float32_results_pass(check_id: str) -> None:
    """The references' values rounded to float32 get every point: no tolerance is finer than
    float32 where the question does not need it."""
    values = {name: as_float32(v) for name, v in reference_values(GRADIENT_DESCENT).items()}
    session = InProcessSession(float32_references(GRADIENT_DESCENT), values=values)
    record = run_in_process(GRADIENT_DESCENT, check_id, session)
    assert record.status == "passed", record.message


CATALOGUE: list[tuple[str, Misconception, str]] = [
    ("rss_matches_reference", linear_gd.RSS_MISTAKES[0], r"^mean-not-sum: "),
    ("rss_matches_reference", linear_gd.RSS_MISTAKES[1], r"^residuals-not-squared: "),
    ("rss_derivative_matches_reference", linear_gd.DERIVATIVE_MISTAKES[0], r"^derivative-sign: "),
    (
        "rss_derivative_matches_reference",
        linear_gd.DERIVATIVE_MISTAKES[1],
        r"^derivative-missing-factor-2: ",
    ),
    (
        "gradient_descent_matches_reference",
        linear_gd.DESCENT_MISTAKES[0],
        r"^ascent-instead-of-descent: ",
    ),
    (
        "gradient_descent_matches_reference",
        linear_gd.DESCENT_MISTAKES[1],
        r"^off-by-one-iterations: one step too many",
    ),
    (
        "gradient_descent_respects_max_iterations",
        linear_gd.DESCENT_MISTAKES[1],
        r"^off-by-one-iterations: one step too many",
    ),
    (
        "gradient_descent_matches_reference",
        linear_gd.DESCENT_MISTAKES[2],
        r"^off-by-one-iterations: one step too few",
    ),
    (
        "gradient_descent_respects_max_iterations",
        linear_gd.DESCENT_MISTAKES[2],
        r"^off-by-one-iterations: one step too few",
    ),
    (
        "multi_start_descent_finds_global_minimum",
        linear_gd.RESTART_MISTAKES[0],
        r"^first-start-only: ",
    ),
    ("multi_start_descent_matches_reference", linear_gd.RESTART_MISTAKES[0], r"^first-start-only"),
    (
        "multi_start_descent_finds_global_minimum",
        linear_gd.RESTART_MISTAKES[1],
        r"^last-start-only: ",
    ),
    ("multi_start_descent_matches_reference", linear_gd.RESTART_MISTAKES[1], r"^last-start-only"),
]


@pytest.mark.parametrize(
    ("check_id", "mistake", "diagnosis"),
    CATALOGUE,
    ids=[f"{m.name}-{c}" for c, m, _ in CATALOGUE],
)
def test_misconception_fails_with_its_diagnosis(
    check_id: str, mistake: Misconception, diagnosis: str
) -> None:
    # The catalogue's variants take the function specs themselves, not callables.
    record = as_student(GRADIENT_DESCENT, check_id, mistake.variant, raw_function_specs=True)
    assert_fails_as_expected(record, "failed", diagnosis, "")


def test_catalogue_is_covered() -> None:
    assert catalogued_misconceptions(linear_gd) == {m.name for _, m, _ in CATALOGUE}
    tested = {id(m) for _, m, _ in CATALOGUE}
    for catalogue in (
        linear_gd.RSS_MISTAKES,
        linear_gd.DERIVATIVE_MISTAKES,
        linear_gd.DESCENT_MISTAKES,
        linear_gd.RESTART_MISTAKES,
    ):
        assert all(id(m) in tested for m in catalogue)


def test_restart_starts_separate_first_and_last() -> None:
    """The global-minimum check's starts end in distinct minima, so the first-start and the
    last-start mistakes cannot be confused with each other or with the right answer."""
    from graders.sandbox import functions

    f = functions.materialise(linear_gd._WIGGLY.family, linear_gd._WIGGLY.params)
    grad = functions.materialise(linear_gd._WIGGLY_GRAD.family, linear_gd._WIGGLY_GRAD.params)
    starts = [data.WIGGLY_TRAP_START, 3.0]
    ends = [float(ref.gradient_descent(grad, s, 0.01, 2000, 1e-8).point) for s in starts]
    best = ref_restarts.multi_start_descent(f, grad, np.array([*starts, -3.0, 0.5]), 0.01, 2000)
    assert len({round(e, 4) for e in [*ends, float(best)]}) == 3


def _stopping(on_tie: bool) -> Callable[..., Any]:
    """A descent stopping on `step < precision`, or (``on_tie``) on `step <= precision`."""

    def gradient_descent(grad: Any, start: float, alpha: float, n: int, precision: float) -> Any:
        x = start
        for _ in range(n):
            new = x - alpha * grad(x)
            step, x = abs(new - x), new
            if step < precision or (on_tie and step == precision):
                break
        return x

    return gradient_descent


def test_step_landing_on_the_precision_may_stop_or_go_on() -> None:
    """Steps 0.5 then 0.25 with precision 0.5: `step < precision` goes on to 0.75, the lab's
    `while step > precision` stops at 0.5. The assignment does not pin the tie down, so both
    pass; a point neither rule reaches does not."""
    args = (linear_gd._quadratic_grad(0.5, 1.0), 0.0, 0.5, 100, 0.5)
    assert linear_gd._ref_point(*args) == 0.75
    assert linear_gd._ref_point_inclusive(*args) == 0.5
    for stop_on_tie in (False, True):
        record = as_student(
            GRADIENT_DESCENT, "gradient_descent_matches_reference", _stopping(stop_on_tie)
        )
        assert record.status == "passed", record.message

    def one_step_short(grad: Any, start: float, alpha: float, n: int, precision: float) -> Any:
        x = start
        for _ in range(n):
            new = x - alpha * grad(x)
            if abs(new - x) <= 2 * precision:
                break
            x = new
        return x

    record = as_student(GRADIENT_DESCENT, "gradient_descent_matches_reference", one_step_short)
    assert record.status == "failed"


# --- the styles students write in (in process): each must get every point of its question -----


def _lab_descent(
    grad: Any, start: float, alpha: float, max_iterations: int, precision: float
) -> Any:
    """The lab's own loop, verbatim."""
    cur_x = start
    previous_step_size = 1
    iters = 0
    while previous_step_size > precision and iters < max_iterations:
        prev_x = cur_x
        cur_x -= alpha * grad(prev_x)
        previous_step_size = abs(cur_x - prev_x)
        iters += 1
    return cur_x


def _descent_with_path(grad: Any, start: float, alpha: float, n: int, precision: float) -> Any:
    path = [start]
    for _ in range(n):
        path.append(path[-1] - alpha * grad(path[-1]))
        if abs(path[-1] - path[-2]) < precision:
            break
    return path[-1], path


def _restarts_min(f: Any, grad: Any, starts: Any, alpha: float, n: int) -> Any:
    ends = [gradient_descent_ref(grad, s, alpha, n) for s in starts]
    return min(ends, key=f)


def gradient_descent_ref(grad: Any, start: float, alpha: float, n: int) -> float:
    return float(ref.gradient_descent(grad, start, alpha, n, 1e-8).point)


STYLES: list[tuple[str, Callable[..., Any]]] = [
    ("rss", lambda m, X, y: ((pd.Series(y) - m * pd.Series(X)) ** 2).sum()),
    ("rss", lambda m, X, y: sum((b - m * a) ** 2 for a, b in zip(X, y, strict=True))),
    ("rss", lambda m, X, y: np.float32(np.sum((np.asarray(y) - m * np.asarray(X)) ** 2))),
    (
        "rss_derivative",
        lambda m, X, y: sum(-2 * a * (b - m * a) for a, b in zip(X, y, strict=True)),
    ),
    (
        "rss_derivative",
        lambda m, X, y: (-2 * pd.Series(X) * (pd.Series(y) - m * pd.Series(X))).sum(),
    ),
    ("gradient_descent", _lab_descent),
    ("gradient_descent", _descent_with_path),
    ("multi_start_descent", _restarts_min),
]


@pytest.mark.parametrize(
    ("name", "function"), STYLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(STYLES)]
)
def test_common_style_gets_every_point(name: str, function: Callable[..., Any]) -> None:
    for check_id in (c.id for q in SPEC.questions if q.name == name for c in q.checks):
        record = run_in_process(GRADIENT_DESCENT, check_id, InProcessSession({name: function}))
        assert record.status == "passed", f"{check_id}: {record.message}"


def test_restarts_must_use_the_step_size_given() -> None:
    """alpha changes the result in the search: a step size written into the function fails."""

    def multi_start_descent(f: Any, grad: Any, starts: Any, alpha: float, n: int) -> Any:
        return _restarts_min(f, grad, starts, 0.01, n)

    record = as_student(
        GRADIENT_DESCENT, "multi_start_descent_matches_reference", multi_start_descent
    )
    assert_fails_as_expected(record, "failed", None, r"does not agree with the reference")


def test_restarts_must_use_the_f_given() -> None:
    """f changes the result in the search (the bowl's centre moves): a landscape of its own,
    here the default wiggly function, picks the wrong end point."""
    from graders.sandbox import functions

    fixed_f = functions.materialise("wiggly", {"a": data.WIGGLY_A})

    def multi_start_descent(f: Any, grad: Any, starts: Any, alpha: float, n: int) -> Any:
        ends = [gradient_descent_ref(grad, s, alpha, n) for s in starts]
        return min(ends, key=fixed_f)

    record = as_student(
        GRADIENT_DESCENT, "multi_start_descent_matches_reference", multi_start_descent
    )
    assert record.status == "failed"


# --- submissions graded in the sandbox ---------------------------------------------------------

VECTORISED = '''
"""Honest alternative: dot products, a for loop with an early break, np.argmin over the ends."""
import numpy as np


def rss(m, X, y):
    residuals = np.asarray(y, dtype=float) - m * np.asarray(X, dtype=float)
    return float(residuals @ residuals)


def rss_derivative(m, X, y):
    X = np.asarray(X, dtype=float)
    return float(-2 * X @ (np.asarray(y, dtype=float) - m * X))


def gradient_descent(grad, start, alpha, max_iterations, precision):
    x = start
    for _ in range(max_iterations):
        previous, x = x, x - alpha * grad(x)
        if abs(x - previous) < precision:
            break
    return x


def multi_start_descent(f, grad, starts, alpha, max_iterations):
    ends = np.array([gradient_descent(grad, s, alpha, max_iterations, 1e-8) for s in starts])
    return float(ends[np.argmin([f(e) for e in ends])])
'''

MISTAKES_A = """
import numpy as np


def rss(m, X, y):
    return float(np.mean((np.asarray(y) - m * np.asarray(X)) ** 2))


def rss_derivative(m, X, y):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    return float(2 * np.sum(X * (y - m * X)))


def gradient_descent(grad, start, alpha, max_iterations, precision):
    x = start
    for _ in range(max_iterations):
        new_x = x + alpha * grad(x)
        if abs(new_x - x) < precision:
            return new_x
        x = new_x
    return x


def _descend(grad, x, alpha, max_iterations):
    # a correct descent of its own, so the restart mistake below is the only one there
    for _ in range(max_iterations):
        step = alpha * grad(x)
        x = x - step
        if abs(step) < 1e-8:
            break
    return x


def multi_start_descent(f, grad, starts, alpha, max_iterations):
    best = None
    for s in starts:
        end = _descend(grad, s, alpha, max_iterations)
        if best is None or f(end) < f(best):
            best = end
        return best  # inside the loop: only the first start is ever tried
"""

MISTAKES_B = """
import numpy as np


def rss(m, X, y):
    return float(np.sum(np.asarray(y) - m * np.asarray(X)))


def rss_derivative(m, X, y):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    return float(-np.sum(X * (y - m * X)))


def gradient_descent(grad, start, alpha, max_iterations, precision):
    x = start
    iters = 0
    while iters <= max_iterations:
        new_x = x - alpha * grad(x)
        if abs(new_x - x) < precision:
            return new_x
        x = new_x
        iters += 1
    return x


def _descend(grad, x, alpha, max_iterations):
    # a correct descent of its own, so the restart mistake below is the only one there
    for _ in range(max_iterations):
        step = alpha * grad(x)
        x = x - step
        if abs(step) < 1e-8:
            break
    return x


def multi_start_descent(f, grad, starts, alpha, max_iterations):
    for s in starts:
        best = _descend(grad, s, alpha, max_iterations)  # overwritten each time
    return best
"""

MISTAKES_C = """
import numpy as np

cur_x = 2.0  # not where the lab's loop stops


def rss(m, X, y):
    X = X.reshape(-1)  # numpy only: a pandas Series has no reshape
    return float(np.sum((np.asarray(y) - m * X) ** 2))


def rss_derivative(m, X, y):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    return float(-2 * np.sum(X * (y - m * X)))


def gradient_descent(grad, start, alpha, max_iterations, precision):
    x = start
    for _ in range(max_iterations - 1):
        new_x = x - alpha * grad(x)
        if abs(new_x - x) < precision:
            return new_x
        x = new_x
    return x


def _descend(grad, x, alpha, max_iterations):
    # a correct descent of its own, so the restart mistake below is the only one there
    for _ in range(max_iterations):
        step = alpha * grad(x)
        x = x - step
        if abs(step) < 1e-8:
            break
    return x


def multi_start_descent(f, grad, starts, alpha, max_iterations):
    ends = [_descend(grad, s, alpha, max_iterations) for s in starts]
    return min(ends, key=f)
"""

# The lab's own loop (stops on a step <= precision) and pandas throughout.
LAB_LOOP_AND_PANDAS = """
import pandas as pd


def rss(m, X, y):
    return ((pd.Series(y) - m * pd.Series(X)) ** 2).sum()


def rss_derivative(m, X, y):
    X, y = pd.Series(X), pd.Series(y)
    return (-2 * X * (y - m * X)).sum()


def gradient_descent(grad, start, alpha, max_iterations, precision):
    cur_x = start
    previous_step_size = 1
    iters = 0
    while previous_step_size > precision and iters < max_iterations:
        prev_x = cur_x
        cur_x -= alpha * grad(prev_x)
        previous_step_size = abs(cur_x - prev_x)
        iters += 1
    return cur_x


def multi_start_descent(f, grad, starts, alpha, max_iterations):
    ends = pd.Series([gradient_descent(grad, s, alpha, max_iterations, 1e-8) for s in starts])
    return ends[ends.map(f).idxmin()]
"""

POSITIVE_SAMPLES = ("solution.ipynb", "loops.py", "path_tuple.py")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_controls(
        SPEC,
        tmp_path_factory.mktemp("linear_gd"),
        sources={
            "vectorised": VECTORISED,
            "lab_loop_and_pandas": LAB_LOOP_AND_PANDAS,
            "mistakes_a": MISTAKES_A,
            "mistakes_b": MISTAKES_B,
            "mistakes_c": MISTAKES_C,
        },
        samples=POSITIVE_SAMPLES,
    )


@pytest.mark.parametrize("control", ["vectorised", "lab_loop_and_pandas", *POSITIVE_SAMPLES])
def test_honest_alternative_gets_full_marks(graded: dict[str, Graded], control: str) -> None:
    """Full marks on every question the submission attempts (cur_x is optional)."""
    graded_one = graded[control]
    result = graded_one.result
    assert result.score == result.max_score, explain(graded_one)
    attempted = {c.question for c in result.checks}
    assert attempted >= {q.id for q in SPEC.questions if not q.optional}


def test_optional_question_is_left_out_when_absent(graded: dict[str, Graded]) -> None:
    result = graded["vectorised"].result
    assert "cur_x" not in {c.question for c in result.checks}
    assert result.max_score == SPEC.max_score  # the optional question adds no points


NEGATIVE: dict[str, dict[str, tuple[str, str | None, str]]] = {
    "mistakes_a": {
        "rss_matches_reference": ("failed", r"^mean-not-sum: ", r"Input: rss\(2\.5, "),
        "rss_accepts_pandas": ("failed", None, r"pandas Series"),
        "rss_derivative_matches_reference": ("failed", r"^derivative-sign: ", ""),
        "gradient_descent_matches_reference": ("failed", r"^ascent-instead-of-descent: ", ""),
        "gradient_descent_respects_max_iterations": ("failed", None, r"exactly max_iterations"),
        "multi_start_descent_finds_global_minimum": (
            "failed",
            r"^first-start-only: ",
            r"trapped in a poor local minimum",
        ),
        "multi_start_descent_matches_reference": ("failed", r"^first-start-only: ", ""),
    },
    "mistakes_b": {
        "rss_matches_reference": ("failed", r"^residuals-not-squared: ", ""),
        "rss_accepts_pandas": ("failed", None, ""),
        "rss_derivative_matches_reference": ("failed", r"^derivative-missing-factor-2: ", ""),
        "gradient_descent_matches_reference": (
            "failed",
            r"^off-by-one-iterations: one step too many",
            "",
        ),
        "gradient_descent_respects_max_iterations": (
            "failed",
            r"^off-by-one-iterations: one step too many",
            r"max_iterations = 0 steps",
        ),
        "multi_start_descent_finds_global_minimum": ("failed", r"^last-start-only: ", ""),
        "multi_start_descent_matches_reference": ("failed", r"^last-start-only: ", ""),
    },
    "mistakes_c": {
        "rss_accepts_pandas": (
            "error",
            None,
            r"Calling rss\(2\.0, Series 'x'(.|\n)*AttributeError(.|\n)*reshape",
        ),
        "gradient_descent_matches_reference": (
            "failed",
            r"^off-by-one-iterations: one step too few",
            "",
        ),
        "gradient_descent_respects_max_iterations": (
            "failed",
            r"^off-by-one-iterations: one step too few",
            r"max_iterations = 1 steps",
        ),
        "cur_x_matches_lab_descent": ("failed", None, r"`cur_x` is not where the lab's descent"),
    },
}

NEGATIVE_CASES = [(control, check) for control, table in NEGATIVE.items() for check in table]


@pytest.mark.parametrize(("control", "check_id"), NEGATIVE_CASES)
def test_mistake_fails_its_check(graded: dict[str, Graded], control: str, check_id: str) -> None:
    assert_fails_as_expected(graded[control].check(check_id), *NEGATIVE[control][check_id])


@pytest.mark.parametrize("control", list(NEGATIVE))
def test_mistakes_cost_only_their_own_checks(graded: dict[str, Graded], control: str) -> None:
    assert_only_these_fail(graded[control], NEGATIVE[control])


def test_optional_question_counts_once_attempted(graded: dict[str, Graded]) -> None:
    """A submission that defines cur_x is graded on it, and its points join the total."""
    result = graded["mistakes_c"].result
    cur_x = SPEC.question("cur_x")
    assert [c.check_id for c in result.checks if c.question == "cur_x"] == [
        c.id for c in cur_x.checks
    ]
    assert result.max_score == SPEC.max_score + cur_x.max_score
