"""Checks for linear-regression gradient descent on an RSS, descent with stopping rules, and
restarts (gradient descent only finds a local minimum; several starts find a better one).

Functions passed to the student (``grad``, ``f``) cross the boundary as data: a
:class:`~graders.sandbox.protocol.FunctionSpec` naming one of our trusted families, which the
worker turns into a callable. The same spec is materialised here for the reference.

One module over 500 lines on purpose: one topic, one module (the gradient-descent assignment, one
entry point, one test file whose catalogue test reads this module's source). Its descent checks,
restarts and the lab's inline loop share the descent inputs and misconceptions; the public lab's
reading of its spreadsheet (at the end) is the seam to cut if it grows.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st

from graders import strategies as gs
from graders.checks.base import (
    Args,
    CheckContext,
    StudentCallError,
    agree_with_reference,
    call_student,
    fail,
    search,
)
from graders.checks.check import Check
from graders.checks.expected import expected_value
from graders.compare import Mismatch, Tolerance, as_plain_array, compare
from graders.diagnose import Misconception, diagnose
from graders.errors import SpecError
from graders.sandbox import functions
from graders.sandbox.protocol import FunctionSpec
from reference import data
from reference import linear_gd as ref
from reference import restarts as ref_restarts

_X = np.array([1.0, 2.0, 3.0, 4.0])
_Y = np.array([2.4, 5.1, 7.6, 9.9])

# The lab's loop, as the gradient-descent notebook states it (see reference.linear_gd.lab_descent).
LAB_PARAMETERS: dict[str, float] = {
    "start": 0.0,
    "alpha": 1e-4,
    "precision": 1e-6,
    "max_iterations": 10_000,
    "h": 1e-4,
}

#: The role (``[data.roles]``) of the data the lab's descent loop runs on: x and y columns.
DESCENT = "descent"

#: The role of the public lab's data (learn-co-curriculum/dsc-gradient-descent-lab): when the
#: instructor supplies it with --data, the submission is graded as that lab
#: (``CheckContext.lab_file``).
PUBLIC_LAB = "public_lab"

# The public lab's descent cell (reference.linear_gd.public_lab_descent) on its data. Its
# solution uses precision 1e-10, its template 1e-7: both stop near 1.11245, 1.1e-9 apart.
PUBLIC_LAB_PARAMETERS: dict[str, float] = {
    "start": 1.5,
    "alpha": 1e-7,
    "max_iterations": 10_000,
}
PUBLIC_LAB_PRECISIONS = (1e-10, 1e-7)


def materialise(spec: FunctionSpec) -> Any:
    """The trusted callable a :class:`FunctionSpec` stands for (the worker builds the same)."""
    return functions.materialise(spec.family, spec.params)


def _quadratic_grad(a: float, c: float) -> FunctionSpec:
    return FunctionSpec("quadratic_grad", {"a": a, "c": c})


# --- misconceptions ----------------------------------------------------------------------------


def _rss_mean(m: float, X: Any, y: Any) -> float:
    return ref.rss(m, X, y) / len(np.asarray(y))


def _rss_no_square(m: float, X: Any, y: Any) -> float:
    return float(np.sum(np.asarray(y, dtype=float) - m * np.asarray(X, dtype=float)))


RSS_MISTAKES = (
    Misconception("mean-not-sum", "this is the mean squared error; the RSS is the sum.", _rss_mean),
    Misconception(
        "residuals-not-squared", "the residuals are summed without squaring them.", _rss_no_square
    ),
)


def _derivative_sign(m: float, X: Any, y: Any) -> float:
    return -ref.rss_derivative(m, X, y)


def _derivative_no_two(m: float, X: Any, y: Any) -> float:
    return ref.rss_derivative(m, X, y) / 2


DERIVATIVE_MISTAKES = (
    Misconception(
        "derivative-sign",
        "the sign is flipped: d/dm sum (y - mX)^2 = -2 sum X (y - mX).",
        _derivative_sign,
    ),
    Misconception(
        "derivative-missing-factor-2",
        "the factor 2 from the square is missing.",
        _derivative_no_two,
    ),
)


def _descend(offset: int = 0, sign: float = 1.0) -> Any:
    def descent(grad: FunctionSpec, start: float, alpha: float, n: int, precision: float) -> Any:
        g = materialise(grad)
        x = float(start)
        for _ in range(max(0, int(n) + offset)):
            new = x - sign * alpha * g(x)
            if abs(new - x) < precision:
                return new
            x = new
        return x

    return descent


def _ref_point(grad: FunctionSpec, start: float, alpha: float, n: int, precision: float) -> Any:
    return ref.gradient_descent(materialise(grad), start, alpha, n, precision).point


DESCENT_MISTAKES = (
    Misconception(
        "ascent-instead-of-descent",
        "the update climbs: x + alpha * grad(x). Descent moves against the gradient.",
        _descend(sign=-1.0),
    ),
    Misconception(
        "off-by-one-iterations",
        "one step too many: the loop allows max_iterations + 1 steps.",
        _descend(offset=1),
    ),
    Misconception(
        "off-by-one-iterations",
        "one step too few: the loop stops after max_iterations - 1 steps.",
        _descend(offset=-1),
    ),
)


def _point_of(value: Any) -> Any:
    """gradient_descent may return the point or ``(point, path)``."""
    if isinstance(value, (tuple, list)) and len(value) == 2 and np.ndim(value[1]) >= 1:
        return value[0]
    return value


# --- inputs ------------------------------------------------------------------------------------


@st.composite
def _rss_problems(draw: st.DrawFn) -> Args:
    n = draw(st.integers(1, 20))
    X = draw(gs.weights(n, elements=gs.finite_floats(-10, 10)))
    y = draw(gs.weights(n, elements=gs.finite_floats(-30, 30)))
    m = draw(gs.finite_floats(-5, 5))
    return m, X, y


@st.composite
def _descent_problems(draw: st.DrawFn) -> Args:
    a = draw(st.sampled_from([0.5, 1.0, 2.0, 3.0]))
    c = draw(gs.finite_floats(-5, 5))
    start = draw(gs.finite_floats(-10, 10))
    alpha = draw(st.sampled_from([0.01, 0.05, 0.1]))
    n = draw(st.integers(0, 60))
    precision = draw(st.sampled_from([1e-2, 1e-4, 1e-6]))
    return _quadratic_grad(a, c), start, alpha, n, precision


# --- rss and its derivative --------------------------------------------------------------------


def _as_lab_columns(args: Args) -> Args:
    """(m, X, y) with X and y as the public lab passes them: columns of its DataFrame."""
    import pandas as pd

    m, X, y = args
    return m, pd.Series(X, name="budget"), pd.Series(y, name="domgross")


def check_rss_matches_reference(ctx: CheckContext) -> None:
    """rss(m, X, y) = sum_i (y_i - m X_i)^2.

    Graded as the public lab, X and y are pandas Series, as the lab only ever passes them (its
    solution squares with ``Series.map``, which numpy arrays do not have).
    """
    regression: list[Args] = [(2.5, _X, _Y), (0.0, np.array([1.0]), np.array([-2.0]))]
    strategy = _rss_problems()
    if ctx.lab_file(PUBLIC_LAB) is not None:
        regression = [_as_lab_columns(args) for args in regression]
        strategy = strategy.map(_as_lab_columns)
    agree_with_reference(
        ctx,
        ref.rss,
        regression=regression,
        strategy=strategy,
        misconceptions=RSS_MISTAKES,
    )


def check_rss_accepts_pandas(ctx: CheckContext) -> None:
    """rss works when X and y are pandas Series, as the lab passes them."""
    import pandas as pd

    X, y = pd.Series(_X, name="x"), pd.Series(_Y, name="y")
    actual = as_plain_array(call_student(ctx, 2.0, X, y))
    mismatch = (
        actual
        if isinstance(actual, Mismatch)
        else compare(ref.rss(2.0, _X, _Y), actual, ctx.tolerance)
    )
    if mismatch is not None:
        raise fail(
            ctx,
            "`rss` gives a different value when X and y are pandas Series.",
            args=(2.0, X, y),
            mismatch=mismatch,
        )


def check_rss_derivative_matches_reference(ctx: CheckContext) -> None:
    """d RSS / dm = -2 sum_i X_i (y_i - m X_i)."""
    agree_with_reference(
        ctx,
        ref.rss_derivative,
        regression=[(2.5, _X, _Y), (0.0, np.array([1.0]), np.array([-2.0]))],
        strategy=_rss_problems(),
        misconceptions=DERIVATIVE_MISTAKES,
    )


# --- gradient descent --------------------------------------------------------------------------


def _ref_point_inclusive(
    grad: FunctionSpec, start: float, alpha: float, n: int, precision: float
) -> Any:
    """The reference with the lab's rule: stop on a step <= precision (``while step >
    precision``). On floats, ``step <= p`` is exactly ``step < nextafter(p, inf)``."""
    return _ref_point(grad, start, alpha, n, float(np.nextafter(precision, np.inf)))


_DESCENT_DIAGNOSES = tuple(
    Misconception(m.name, m.explanation, m.variant, _point_of) for m in DESCENT_MISTAKES
)


def check_gradient_descent_matches_reference(ctx: CheckContext) -> None:
    """x <- x - alpha * grad(x), stopping when |step| < precision or after max_iterations steps.

    The assignment does not say what a step exactly equal to the precision does: the lab's own
    loop (``while previous_step_size > precision``) stops there, ``if step < precision: break``
    does not. Such a tie must not decide a grade, so the point of either rule is accepted.
    """

    def prop(args: Args) -> None:
        raw = call_student(ctx, *args)  # first: discovery stops here until the outcome is known
        actual = _point_of(raw)
        checked = as_plain_array(actual)
        if isinstance(checked, Mismatch):
            mismatch: Mismatch | None = checked
        else:
            mismatch = compare(expected_value(_ref_point, args), checked, ctx.tolerance)
            if (
                mismatch is not None
                and compare(expected_value(_ref_point_inclusive, args), checked, ctx.tolerance)
                is None
            ):
                return  # a step landed exactly on the precision: the `<=` rule is as right
        if mismatch is not None:
            raise fail(
                ctx,
                "`gradient_descent` does not agree with the reference.",
                args=args,
                mismatch=mismatch,
                diagnosis=diagnose(_DESCENT_DIAGNOSES, args, actual, ctx.tolerance),
            )

    search(
        ctx,
        prop,
        regression=[
            (_quadratic_grad(1.0, 3.0), 0.0, 0.1, 100, 1e-6),
            (_quadratic_grad(2.0, -1.0), 5.0, 0.05, 3, 1e-9),
            # Steps 0.5 then 0.25, exactly: a step EQUAL to the precision. `step < precision`
            # goes on to 0.75, the lab's `while step > precision` stops at 0.5; both pass.
            (_quadratic_grad(0.5, 1.0), 0.0, 0.5, 100, 0.5),
        ],
        strategy=_descent_problems(),
    )


def check_gradient_descent_respects_max_iterations(ctx: CheckContext) -> None:
    """With a precision that never triggers, exactly max_iterations steps are taken."""
    grad = _quadratic_grad(1.0, 10.0)
    for n in (0, 1, 7):
        args = (grad, 0.0, 0.01, n, 0.0)
        actual = as_plain_array(_point_of(call_student(ctx, *args)))
        expected = _ref_point(*args)
        mismatch = (
            actual if isinstance(actual, Mismatch) else compare(expected, actual, ctx.tolerance)
        )
        if mismatch is not None:
            diagnosis = None
            for m in DESCENT_MISTAKES[1:]:
                if (
                    not isinstance(actual, Mismatch)
                    and compare(m.variant(*args), actual, ctx.tolerance) is None
                ):
                    diagnosis = f"{m.name}: {m.explanation}"
            raise fail(
                ctx,
                f"With precision 0 the loop must take exactly max_iterations = {n} steps "
                "(the path has max_iterations + 1 points, counting the start).",
                args=args,
                mismatch=mismatch,
                diagnosis=diagnosis,
            )


# --- restarts ----------------------------------------------------------------------------------

_WIGGLY = FunctionSpec("wiggly", {"a": data.WIGGLY_A})
_WIGGLY_GRAD = FunctionSpec("wiggly_grad", {"a": data.WIGGLY_A})


def _ref_multi(f: FunctionSpec, grad: FunctionSpec, starts: Any, alpha: float, n: int) -> Any:
    return ref_restarts.multi_start_descent(materialise(f), materialise(grad), starts, alpha, n)


def _first_start(f: FunctionSpec, grad: FunctionSpec, starts: Any, alpha: float, n: int) -> Any:
    return ref.gradient_descent(
        materialise(grad), float(np.asarray(starts)[0]), alpha, n, 1e-8
    ).point


def _last_start(f: FunctionSpec, grad: FunctionSpec, starts: Any, alpha: float, n: int) -> Any:
    return ref.gradient_descent(
        materialise(grad), float(np.asarray(starts)[-1]), alpha, n, 1e-8
    ).point


RESTART_MISTAKES = (
    Misconception(
        "first-start-only",
        "the result is the local minimum reached from the first start; keep the end point "
        "with the lowest f over all starts.",
        _first_start,
    ),
    Misconception(
        "last-start-only",
        "the result is the local minimum reached from the last start (the loop overwrites it); "
        "keep the end point with the lowest f over all starts.",
        _last_start,
    ),
)


def check_multi_start_descent_finds_global_minimum(ctx: CheckContext) -> None:
    """From starts that include one trapped in a poor local minimum, the best end point wins."""
    trap = data.WIGGLY_TRAP_START
    # Starts ending in four different local minima (the best one from 0.5), so that keeping
    # only the first start's or only the last start's end point can be told apart.
    starts = np.array([trap, -3.0, 0.5, 3.0])
    args: Args = (_WIGGLY, _WIGGLY_GRAD, starts, 0.01, 2000)
    expected = _ref_multi(*args)
    actual = as_plain_array(call_student(ctx, *args))
    mismatch = actual if isinstance(actual, Mismatch) else compare(expected, actual, ctx.tolerance)
    if mismatch is not None:
        diagnosis = None
        if not isinstance(actual, Mismatch):
            for m in RESTART_MISTAKES:
                if compare(m.variant(*args), actual, Tolerance(1e-4, 1e-4)) is None:
                    diagnosis = f"{m.name}: {m.explanation}"
                    break
        raise fail(
            ctx,
            "`multi_start_descent` did not return the best local minimum. Gradient descent "
            f"from {trap:g} is trapped in a poor local minimum; other starts reach a lower f.",
            args=args,
            mismatch=mismatch,
            diagnosis=diagnosis,
        )


@st.composite
def _restart_problems(draw: st.DrawFn) -> Args:
    k = draw(st.integers(1, 4))
    starts = np.array(draw(st.lists(gs.finite_floats(-6, 6), min_size=k, max_size=k)))
    n = draw(st.integers(1, 300))
    # Steps well below the stable limit (2 / max f'' = 2 / 9.2): the alpha given must be used.
    alpha = draw(st.sampled_from([0.01, 0.003, 0.03]))
    # The bowl's centre moves, so that f decides which end point is best, not a fixed landscape.
    centre = draw(st.sampled_from([0.0, 1.5, -2.0]))
    if centre == 0.0:
        return _WIGGLY, _WIGGLY_GRAD, starts, alpha, n
    params = {"a": data.WIGGLY_A, "c": centre}
    return FunctionSpec("wiggly", params), FunctionSpec("wiggly_grad", params), starts, alpha, n


def check_multi_start_descent_matches_reference(ctx: CheckContext) -> None:
    """Run descent from each start, return the end point with the lowest f."""
    agree_with_reference(
        ctx,
        _ref_multi,
        regression=[
            (_WIGGLY, _WIGGLY_GRAD, np.array([-2.0, 2.0]), 0.01, 500),
            (_WIGGLY, _WIGGLY_GRAD, np.array([-2.0, 2.0]), 0.002, 40),
        ],
        strategy=_restart_problems(),
        misconceptions=RESTART_MISTAKES,
    )


# --- the lab's inline loop ---------------------------------------------------------------------


def check_cur_x_matches_lab_descent(ctx: CheckContext) -> None:
    """cur_x equals where the lab's numeric-gradient loop stops on the shipped data.

    Graded as the public lab (its ``movie_data.xlsx`` supplied), where the public lab's own
    loop stops on that data instead.
    """
    lab_file = ctx.lab_file(PUBLIC_LAB)
    if lab_file is not None:
        _check_public_lab_cur_x(ctx, lab_file)
        return
    import pandas as pd

    path = ctx.assignment.data_file(DESCENT)
    table = pd.read_csv(path)
    p = LAB_PARAMETERS
    expected = ref.lab_descent(
        table["x"].to_numpy(),
        table["y"].to_numpy(),
        p["start"],
        p["alpha"],
        p["precision"],
        int(p["max_iterations"]),
        p["h"],
    ).point
    outcome = ctx.session.value(ctx.name)
    if outcome.status != "ok":
        raise StudentCallError("error", outcome.message)
    actual = as_plain_array(outcome.value)
    mismatch = actual if isinstance(actual, Mismatch) else compare(expected, actual, ctx.tolerance)
    if mismatch is not None:
        raise fail(
            ctx,
            f"`cur_x` is not where the lab's descent loop stops on {path.name} "
            f"(start {p['start']:g}, alpha {p['alpha']:g}, precision {p['precision']:g}, "
            f"at most {int(p['max_iterations'])} iterations, "
            f"numeric derivative with h = {p['h']:g}).",
            mismatch=mismatch,
        )


def _check_public_lab_cur_x(ctx: CheckContext, lab_file: Path) -> None:
    X, y = _movie_columns(lab_file)
    p = PUBLIC_LAB_PARAMETERS
    expected = [
        ref.public_lab_descent(
            X, y, p["start"], p["alpha"], precision, int(p["max_iterations"])
        ).point
        for precision in PUBLIC_LAB_PRECISIONS
    ]
    outcome = ctx.session.value(ctx.name)
    if outcome.status != "ok":
        raise StudentCallError("error", outcome.message)
    actual = as_plain_array(outcome.value)
    mismatches = [
        actual if isinstance(actual, Mismatch) else compare(e, actual, ctx.tolerance)
        for e in expected
    ]
    if all(m is not None for m in mismatches):
        precisions = " or ".join(f"{q:g}" for q in PUBLIC_LAB_PRECISIONS)
        raise fail(
            ctx,
            f"`cur_x` is not where the lab's descent loop stops on {lab_file.name} "
            f"(start {p['start']:g}, alpha {p['alpha']:g}, precision {precisions}, "
            f"at most {int(p['max_iterations'])} iterations, the lab's np.gradient of "
            "sqrt(rss) over its survey region, with your rss on the budget and domgross "
            "columns).",
            mismatch=mismatches[0],
        )


@functools.lru_cache(maxsize=4)
def _movie_columns_cached(
    path: Path, stamp: tuple[int, int]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    import pandas as pd

    try:
        table = pd.read_excel(path)
        X = table["budget"].to_numpy(dtype=float)
        y = table["domgross"].to_numpy(dtype=float)
    except Exception as exc:  # the instructor's file: say what is wrong with it, not a traceback
        raise SpecError(
            f"{path}: the public lab's {path.name} could not be read as a table with "
            f"numeric budget and domgross columns: {exc}"
        ) from exc
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def _movie_columns(path: Path) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The lab's budget and domgross columns, read once per file version and process."""
    stat = path.stat()
    return _movie_columns_cached(path, (stat.st_mtime_ns, stat.st_size))


CHECKS = (
    check_rss_matches_reference,
    check_rss_accepts_pandas,
    check_rss_derivative_matches_reference,
    check_gradient_descent_matches_reference,
    check_gradient_descent_respects_max_iterations,
    check_multi_start_descent_finds_global_minimum,
    check_multi_start_descent_matches_reference,
    Check("cur_x_matches_lab_descent", check_cur_x_matches_lab_descent, data_roles=(DESCENT,)),
)
