"""Checks for logistic regression from scratch: predict_y, sigmoid, log_likelihood,
gradient_step and grad_desc (gradient *ascent* on the summed log-likelihood, no intercept).

One module over 500 lines on purpose: one topic, one module (the logistic-regression assignment,
one entry point, one test file whose catalogue test reads this module's source). The checks of
later functions build on the earlier ones' inputs and misconceptions (``_problems``,
``STEP_MISTAKES`` feeds ``FIT_MISTAKES``), so a split would only move imports around.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from graders import strategies as gs
from graders.checks.base import (
    Args,
    CheckContext,
    agree_with_reference,
    assert_inputs_unchanged,
    call_student,
    fail,
    search,
)
from graders.compare import Mismatch, Tolerance, as_plain_array, compare
from graders.diagnose import Misconception, diagnose
from reference import logistic as ref

# --- fixed regression inputs: small, readable, and covering the usual traps -------------------

_X3 = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.25]])
_Y3 = np.array([1.0, 0.0, 1.0])
_W2 = np.array([0.5, -0.25])
_Z = np.array([-3.0, -1.0, 0.0, 0.5, 2.0])
_LARGE_Z = np.array([-1e4, -1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0, 1e4])


# --- Hypothesis inputs -------------------------------------------------------------------------


@st.composite
def _problems(draw: st.DrawFn, *, max_rows: int = 12, max_cols: int = 4) -> Args:
    """``(X, y, w)`` with logits bounded by construction (|x| <= 3, |w| <= 2)."""
    n = draw(st.integers(1, max_rows))
    d = draw(st.integers(1, max_cols))
    X = draw(gs.design_matrices(n_rows=n, n_cols=d, elements=gs.finite_floats(-3, 3)))
    y = draw(gs.labels(n)).astype(float)
    w = draw(gs.weights(d, elements=gs.finite_floats(-2, 2)))
    return X, y, w


# --- misconception catalogues ------------------------------------------------------------------


def _sigmoid_ratio(z: Any) -> Any:
    e = np.exp(np.asarray(z, dtype=float))
    return e / (1 + e)


def _sigmoid_missing_minus(z: Any) -> Any:
    return 1 / (1 + np.exp(np.asarray(z, dtype=float)))


SIGMOID_MISTAKES = (
    Misconception(
        "sigmoid-overflow",
        "np.exp(z) / (1 + np.exp(z)) overflows to inf/inf = nan for large positive z. Use "
        "1 / (1 + np.exp(-z)) for z >= 0 and np.exp(z) / (1 + np.exp(z)) for z < 0, or "
        "scipy.special.expit.",
        _sigmoid_ratio,
    ),
    Misconception(
        "sigmoid-sign",
        "this is sigmoid(-z): the exponent is exp(z) where the formula has exp(-z).",
        _sigmoid_missing_minus,
    ),
)


def _ll_naive(X: Any, y: Any, w: Any) -> Any:
    p = 1 / (1 + np.exp(-(np.asarray(X) @ np.asarray(w))))
    return float(np.sum(y * np.log(p) + (1 - np.asarray(y)) * np.log(1 - p)))


def _ll_mean(X: Any, y: Any, w: Any) -> Any:
    return ref.log_likelihood(X, y, w) / len(y)


def _ll_negated(X: Any, y: Any, w: Any) -> Any:
    return -ref.log_likelihood(X, y, w)


def _ll_clipped(X: Any, y: Any, w: Any) -> Any:
    """-sklearn.metrics.log_loss(y, p, normalize=False): p clipped to [eps, 1 - eps]."""
    eps = np.finfo(np.float64).eps
    p = np.clip(ref.sigmoid(np.asarray(X) @ np.asarray(w)), eps, 1 - eps)
    y = np.asarray(y, dtype=float)
    return float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))


LOG_LIKELIHOOD_MISTAKES = (
    Misconception(
        "log-likelihood-unguarded-log",
        "log(sigmoid(z)) and log(1 - sigmoid(z)) become log(0) = -inf when |z| is large. Use "
        "the identity y*z - log(1 + e^z) and compute log(1 + e^z) with np.logaddexp(0, z).",
        _ll_naive,
    ),
    Misconception(
        "log-likelihood-mean",
        "this is the mean over observations; the log-likelihood is the sum.",
        _ll_mean,
    ),
    Misconception(
        "log-likelihood-negated",
        "this is the negative log-likelihood (a loss); the question asks for the log-likelihood.",
        _ll_negated,
    ),
    Misconception(
        "log-likelihood-clipped",
        "the probabilities are clipped away from 0 and 1 (as sklearn.metrics.log_loss does), "
        "so a confident wrong prediction costs about 36 instead of |z|. Use the identity "
        "y*z - log(1 + e^z), with np.logaddexp(0, z) for log(1 + e^z).",
        _ll_clipped,
    ),
)


def _step_descent(X: Any, y: Any, w: Any, alpha: float) -> Any:
    return np.asarray(w) - alpha * ref.gradient(X, y, w)


def _step_mean(X: Any, y: Any, w: Any, alpha: float) -> Any:
    return np.asarray(w) + alpha * ref.gradient(X, y, w) / len(y)


# w - alpha * X^T (y - p) and w + alpha * X^T (p - y) are the same function, so one entry covers
# both ways of writing it (a second entry for the flipped error term could never be reported).
STEP_MISTAKES = (
    Misconception(
        "descent-instead-of-ascent",
        "the step goes downhill: w - alpha * X^T (y - sigmoid(Xw)), or equivalently the error "
        "term written sigmoid(Xw) - y. We maximise the log-likelihood, so the update is "
        "w + alpha * X^T (y - sigmoid(Xw)).",
        _step_descent,
    ),
    Misconception(
        "gradient-mean-not-sum",
        "the gradient is divided by n (a mean); this assignment uses the summed gradient "
        "X^T (y - sigmoid(Xw)).",
        _step_mean,
    ),
)


def _fit(step: Any, offset: int = 0) -> Any:
    def fit(X: Any, y: Any, n: int, alpha: float, w0: Any = None) -> Any:
        w = np.ones(np.asarray(X).shape[1]) if w0 is None else np.asarray(w0, dtype=float)
        for _ in range(max(0, int(n) + offset)):
            w = step(X, y, w, alpha)
        return w

    return fit


FIT_MISTAKES = (
    Misconception(
        "descent-instead-of-ascent",
        STEP_MISTAKES[0].explanation,
        _fit(_step_descent),
    ),
    Misconception("gradient-mean-not-sum", STEP_MISTAKES[1].explanation, _fit(_step_mean)),
    Misconception(
        "off-by-one-iterations",
        "one step too many: the loop runs max_iterations + 1 times (check range() bounds).",
        _fit(ref.gradient_step, offset=1),
    ),
    Misconception(
        "off-by-one-iterations",
        "one step too few: the loop runs max_iterations - 1 times (check range() bounds).",
        _fit(ref.gradient_step, offset=-1),
    ),
    Misconception(
        "wrong-default-weights",
        "the starting weights are not the ones given (or zeros where ones are specified).",
        lambda X, y, n, alpha, w0=None: ref.grad_desc(X, y, n, alpha, np.zeros(np.shape(X)[1]))[0],
    ),
)


# --- return conventions -----------------------------------------------------------------------


def _weights_of(value: Any) -> Any:
    """grad_desc may return the weights, or a tuple whose first element is the weights, and the
    lab's own code produces a (d, 1) column: both conventions are accepted by the spec."""
    if isinstance(value, (tuple, list)) and len(value) >= 1 and not np.isscalar(value[0]):
        value = value[0]
    checked = as_plain_array(value)
    if isinstance(checked, Mismatch):
        return value
    if checked.ndim == 2 and checked.shape[1] == 1:
        return checked[:, 0]
    return checked


# --- predict_y ---------------------------------------------------------------------------------


def check_predict_y_matches_reference(ctx: CheckContext) -> None:
    """predict_y(X, w) equals X·w, a 1-D array of length n (not an (n, 1) column)."""
    agree_with_reference(
        ctx,
        ref.predict_y,
        regression=[(_X3, _W2), (np.eye(3), np.array([1.0, -2.0, 3.0]))],
        strategy=_problems().map(lambda p: (p[0], p[2])),
    )


def check_predict_y_does_not_mutate_inputs(ctx: CheckContext) -> None:
    """predict_y leaves X and w unchanged."""
    assert_inputs_unchanged(ctx, (_X3.copy(), _W2.copy()))


# --- sigmoid -----------------------------------------------------------------------------------


def check_sigmoid_matches_reference(ctx: CheckContext) -> None:
    """sigmoid agrees with 1 / (1 + e^-z) on moderate inputs (|z| <= 30), scalar and array."""
    agree_with_reference(
        ctx,
        ref.sigmoid,
        regression=[(_Z,), (0.0,), (np.array([[0.0, 1.0], [-1.0, 2.0]]),)],
        strategy=gs.logits(st.integers(1, 10), max_abs=30).map(lambda z: (z,)),
        misconceptions=SIGMOID_MISTAKES,
    )


def check_sigmoid_preserves_shape(ctx: CheckContext) -> None:
    """sigmoid returns the shape it was given: (n,), (n, m), (1,) and a scalar."""
    for z in (np.zeros(4), np.zeros((2, 3)), np.zeros(1), 0.5):
        actual = as_plain_array(call_student(ctx, z))
        expected = ref.sigmoid(z)
        mismatch = (
            actual if isinstance(actual, Mismatch) else compare(expected, actual, Tolerance())
        )
        if mismatch is not None and mismatch.kind in ("type", "shape"):
            raise fail(
                ctx,
                "`sigmoid` must work elementwise and keep the input's shape.",
                args=(z,),
                mismatch=mismatch,
            )


def check_sigmoid_is_symmetric(ctx: CheckContext) -> None:
    """sigmoid(-z) == 1 - sigmoid(z) for every z (to float precision)."""

    def prop(args: Args) -> None:
        (z,) = args
        pos = as_plain_array(call_student(ctx, z))
        neg = as_plain_array(call_student(ctx, -z))
        for value in (pos, neg):
            if isinstance(value, Mismatch):
                raise fail(
                    ctx,
                    "`sigmoid` returned something that is not numbers.",
                    args=args,
                    mismatch=value,
                )
        assert not isinstance(pos, Mismatch) and not isinstance(neg, Mismatch)
        mismatch = compare(1.0 - pos, neg, ctx.tolerance)
        if mismatch is not None:
            raise fail(
                ctx,
                "sigmoid(-z) should equal 1 - sigmoid(z) for every z. Below, 'expected' is "
                "1 - sigmoid(z) computed from your own sigmoid(z), and 'yours' is sigmoid(-z).",
                args=args,
                mismatch=mismatch,
            )

    search(
        ctx,
        prop,
        regression=[(_Z,)],
        strategy=gs.logits(st.integers(1, 8), max_abs=30).map(lambda z: (z,)),
    )


def check_sigmoid_is_stable_for_large_inputs(ctx: CheckContext) -> None:
    """sigmoid stays finite and correct for |z| up to 1e4 (no nan, no overflow to inf)."""
    agree_with_reference(
        ctx,
        ref.sigmoid,
        regression=[(_LARGE_Z,)],
        strategy=gs.extreme_logits(st.integers(1, 6)).map(lambda z: (z,)),
        headline="`sigmoid` is not numerically stable for large |z|.",
        misconceptions=SIGMOID_MISTAKES,
    )


# --- log_likelihood ----------------------------------------------------------------------------


def check_log_likelihood_matches_reference(ctx: CheckContext) -> None:
    """log_likelihood equals sum_i [y_i z_i - log(1 + e^{z_i})] with z = Xw."""
    agree_with_reference(
        ctx,
        ref.log_likelihood,
        regression=[(_X3, _Y3, _W2), (np.ones((2, 1)), np.array([0.0, 1.0]), np.array([0.0]))],
        strategy=_problems(),
        misconceptions=LOG_LIKELIHOOD_MISTAKES,
    )


@st.composite
def _permuted_problems(draw: st.DrawFn) -> Args:
    X, y, w = draw(_problems())
    order = np.array(draw(st.permutations(range(len(y)))))
    return X, y, w, order


def check_log_likelihood_is_permutation_invariant(ctx: CheckContext) -> None:
    """Reordering the observations (rows of X with y) does not change the log-likelihood."""

    def prop(args: Args) -> None:
        X, y, w, order = args
        first = as_plain_array(call_student(ctx, X, y, w))
        second = as_plain_array(call_student(ctx, X[order], y[order], w))
        if isinstance(first, Mismatch) or isinstance(second, Mismatch):
            raise fail(
                ctx, "`log_likelihood` returned something that is not a number.", args=(X, y, w)
            )
        mismatch = compare(first, second, ctx.tolerance)
        if mismatch is not None:
            raise fail(
                ctx,
                "Shuffling the rows of X together with y changed your log-likelihood; a sum "
                "over observations must not depend on their order. 'expected' is your value on "
                "the original order, 'yours' on the shuffled one.",
                args=(X[order], y[order], w),
                mismatch=mismatch,
            )

    search(
        ctx, prop, regression=[(_X3, _Y3, _W2, np.array([2, 0, 1]))], strategy=_permuted_problems()
    )


@st.composite
def _large_logit_problems(draw: st.DrawFn) -> Args:
    X, y, w = draw(_problems(max_rows=6, max_cols=3))
    scale = draw(st.sampled_from([50.0, 200.0, 1000.0]))
    return X * scale, y, w


def check_log_likelihood_is_stable_for_large_logits(ctx: CheckContext) -> None:
    """log_likelihood stays finite and correct when |Xw| reaches the hundreds or thousands."""
    big = np.array([[800.0], [-800.0], [30.0]])
    agree_with_reference(
        ctx,
        ref.log_likelihood,
        regression=[(big, np.array([0.0, 1.0, 1.0]), np.array([1.0]))],
        strategy=_large_logit_problems(),
        headline="`log_likelihood` is not numerically stable for large logits |Xw|.",
        misconceptions=LOG_LIKELIHOOD_MISTAKES,
    )


# --- gradient_step -----------------------------------------------------------------------------


@st.composite
def _step_problems(draw: st.DrawFn) -> Args:
    X, y, w = draw(_problems())
    alpha = draw(st.sampled_from([1e-3, 1e-2, 0.1, 0.5]))
    return X, y, w, alpha


def check_gradient_step_matches_reference(ctx: CheckContext) -> None:
    """gradient_step returns w + alpha * X^T (y - sigmoid(Xw))."""
    agree_with_reference(
        ctx,
        ref.gradient_step,
        regression=[(_X3, _Y3, _W2, 0.1)],
        strategy=_step_problems(),
        misconceptions=STEP_MISTAKES,
    )


def check_gradient_step_increases_log_likelihood(ctx: CheckContext) -> None:
    """A small step (alpha = 1e-4 / ||X||^2) never decreases the log-likelihood."""

    def prop(args: Args) -> None:
        X, y, w = args
        alpha = 1e-4 / max(float(np.sum(X * X)), 1.0)
        new = as_plain_array(call_student(ctx, X, y, w, alpha))
        if isinstance(new, Mismatch) or new.shape != w.shape:
            raise fail(
                ctx,
                "`gradient_step` must return new weights shaped like w.",
                args=(X, y, w, alpha),
                mismatch=new if isinstance(new, Mismatch) else None,
            )
        before = float(ref.log_likelihood(X, y, w))
        after = float(ref.log_likelihood(X, y, new))
        if not after >= before - 1e-12 * max(1.0, abs(before)):
            raise fail(
                ctx,
                f"After your step the log-likelihood went DOWN, from {before:.10g} to "
                f"{after:.10g}. A small step along the gradient must increase it: we maximise "
                "the log-likelihood (gradient ascent).",
                args=(X, y, w, alpha),
                diagnosis=diagnose(STEP_MISTAKES, (X, y, w, alpha), new, Tolerance(1e-6, 1e-12)),
            )

    search(
        ctx,
        prop,
        regression=[(_X3, _Y3, _W2)],
        strategy=_problems().filter(lambda p: np.any(ref.gradient(*p) != 0)),
    )


def check_gradient_step_does_not_mutate_inputs(ctx: CheckContext) -> None:
    """gradient_step leaves X, y and w unchanged (no ``w += ...`` on the caller's array)."""
    assert_inputs_unchanged(ctx, (_X3.copy(), _Y3.copy(), _W2.copy(), 0.1))


# --- grad_desc ---------------------------------------------------------------------------------


@st.composite
def _fit_problems(draw: st.DrawFn) -> Args:
    X, y, w = draw(_problems(max_rows=10, max_cols=3))
    n_iter = draw(st.integers(0, 25))
    alpha = draw(st.sampled_from([1e-3, 1e-2, 0.05]))
    return X, y, n_iter, alpha, w


def _ref_weights(X: Any, y: Any, n: int, alpha: float, w0: Any = None) -> Any:
    return ref.grad_desc(X, y, n, alpha, w0)[0]


_FIT_DIAGNOSES = tuple(
    Misconception(m.name, m.explanation, m.variant, _weights_of) for m in FIT_MISTAKES
)

_FIT_X = np.array([[1.0, 0.5], [0.2, -1.0], [-0.7, 0.3], [1.5, 1.0]])
_FIT_Y = np.array([1.0, 0.0, 0.0, 1.0])


#: The role (``[data.roles]``) of the public lab's data
#: (learn-co-curriculum/dsc-coding-logistic-regression-from-scratch): when the instructor
#: supplies it with --data, the submission is graded as that lab.
PUBLIC_LAB = "public_lab"


def _as_lab_calls(ctx: CheckContext, args: Args) -> Args:
    """``grad_desc``'s arguments as the public lab calls it, when it is the lab being graded.

    The lab only ever calls ``grad_desc(X, y, max_iterations, alpha)``, from the default
    all-ones weights; its solution tests ``initial_weights == None``, which raises for any
    array given. So graded as the lab, ``initial_weights`` is left out (and the reference
    starts from ones, the default the lab asks for).
    """
    return args[:4] if ctx.lab_file(PUBLIC_LAB) is not None else args


def check_grad_desc_matches_reference(ctx: CheckContext) -> None:
    """grad_desc(X, y, max_iterations, alpha, initial_weights) performs exactly max_iterations
    ascent steps from initial_weights (from all ones when graded as the public lab)."""
    regression: list[Args] = [
        (_FIT_X, _FIT_Y, 10, 0.01, np.array([0.0, 0.0])),
        (_FIT_X, _FIT_Y, 1, 0.1, np.array([1.0, -1.0])),
    ]
    agree_with_reference(
        ctx,
        _ref_weights,
        regression=[_as_lab_calls(ctx, args) for args in regression],
        strategy=_fit_problems().map(lambda args: _as_lab_calls(ctx, args)),
        normalise=_weights_of,
        misconceptions=_FIT_DIAGNOSES,
    )


def check_grad_desc_default_initial_weights(ctx: CheckContext) -> None:
    """Without initial_weights, grad_desc starts from all ones."""
    expected = ref.grad_desc(_FIT_X, _FIT_Y, 20, 0.01)[0]
    actual = as_plain_array(
        _weights_of(call_student(ctx, _FIT_X, _FIT_Y, 20, 0.01)), name="grad_desc"
    )
    mismatch = actual if isinstance(actual, Mismatch) else compare(expected, actual, ctx.tolerance)
    if mismatch is not None:
        raise fail(
            ctx,
            "Called without initial_weights (so starting from all ones, np.ones(X.shape[1])), "
            "`grad_desc` returned different weights than the reference.",
            args=(_FIT_X, _FIT_Y, 20, 0.01),
            mismatch=mismatch,
            diagnosis=diagnose(_FIT_DIAGNOSES, (_FIT_X, _FIT_Y, 20, 0.01), actual, ctx.tolerance),
        )


def check_grad_desc_accepts_pandas(ctx: CheckContext) -> None:
    """grad_desc works when X is a pandas DataFrame and y a Series, as in the lab."""
    import pandas as pd

    X = pd.DataFrame(_FIT_X, columns=["age", "chol"])
    y = pd.Series(_FIT_Y, name="target")
    args = _as_lab_calls(ctx, (X, y, 15, 0.01, np.zeros(2)))
    expected = ref.grad_desc(_FIT_X, _FIT_Y, *args[2:])[0]
    actual = as_plain_array(_weights_of(call_student(ctx, *args)), name="grad_desc")
    mismatch = actual if isinstance(actual, Mismatch) else compare(expected, actual, ctx.tolerance)
    if mismatch is not None:
        raise fail(
            ctx,
            "With X as a pandas DataFrame and y as a Series, `grad_desc` gives different "
            "weights than with numpy arrays. Convert with X.to_numpy() / y.to_numpy(), or make "
            "sure y - predictions does not align on the index and broadcast to a matrix.",
            args=args,
            mismatch=mismatch,
        )


def check_grad_desc_does_not_mutate_inputs(ctx: CheckContext) -> None:
    """grad_desc leaves X, y and initial_weights unchanged."""
    args = (_FIT_X.copy(), _FIT_Y.copy(), 5, 0.01, np.array([0.5, 0.5]))
    assert_inputs_unchanged(ctx, _as_lab_calls(ctx, args))


CHECKS = (
    check_predict_y_matches_reference,
    check_predict_y_does_not_mutate_inputs,
    check_sigmoid_matches_reference,
    check_sigmoid_preserves_shape,
    check_sigmoid_is_symmetric,
    check_sigmoid_is_stable_for_large_inputs,
    check_log_likelihood_matches_reference,
    check_log_likelihood_is_permutation_invariant,
    check_log_likelihood_is_stable_for_large_logits,
    check_gradient_step_matches_reference,
    check_gradient_step_increases_log_likelihood,
    check_gradient_step_does_not_mutate_inputs,
    check_grad_desc_matches_reference,
    check_grad_desc_default_initial_weights,
    check_grad_desc_accepts_pandas,
    check_grad_desc_does_not_mutate_inputs,
)
