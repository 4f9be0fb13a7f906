"""No reference function modifies its inputs, or returns a view of them (every public function).

Each case draws inputs with Hypothesis, as numpy arrays or as pandas objects. numpy inputs are
made READ-ONLY, so an in-place write raises at once; every input is also compared, bit for bit,
with a copy taken before the call. Array results must not share memory with any input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reference import data, linear_gd, logistic, metrics, mle, regularization, restarts
from tests.reference.ref_strategies import bounded_floats, logistic_problems, scores_and_labels

pytestmark = pytest.mark.filterwarnings("error")

MUTATION_SETTINGS = settings(derandomize=True, database=None, deadline=None, max_examples=10)

Case = tuple[Callable[..., Any], tuple[Any, ...]]


def container(draw: st.DrawFn, array: np.ndarray) -> Any:
    """The array as a read-only ndarray, or as a pandas object (Series / DataFrame)."""
    if draw(st.booleans()):
        if array.ndim == 1:
            return pd.Series(array.copy())
        if array.ndim == 2:
            return pd.DataFrame(array.copy(), columns=[f"c{j}" for j in range(array.shape[1])])
    frozen = array.copy()
    frozen.flags.writeable = False
    return frozen


@st.composite
def logistic_case(draw: st.DrawFn, name: str) -> Case:
    X, y, w = draw(logistic_problems())
    Xc, yc, wc = container(draw, X), container(draw, y), container(draw, w)
    calls: dict[str, Case] = {
        "sigmoid": (logistic.sigmoid, (container(draw, X),)),
        "log_sigmoid": (logistic.log_sigmoid, (container(draw, X),)),
        "predict_y": (logistic.predict_y, (Xc, wc)),
        "log_likelihood": (logistic.log_likelihood, (Xc, yc, wc)),
        "gradient": (logistic.gradient, (Xc, yc, wc)),
        "gradient_step": (logistic.gradient_step, (Xc, yc, wc, 0.1)),
        "logistic_fit": (logistic.logistic_fit, (Xc, yc, 0.01, 5, wc, 1e-9)),
        "grad_desc": (logistic.grad_desc, (Xc, yc, 5, 0.01, wc)),
        "predict_proba": (logistic.predict_proba, (Xc, wc)),
        "predict": (logistic.predict, (Xc, wc, 0.3)),
    }
    return calls[name]


@st.composite
def linear_case(draw: st.DrawFn, name: str) -> Case:
    n = draw(st.integers(1, 20))
    X = draw(hnp.arrays(np.float64, n, elements=bounded_floats(0.5, 10.0)))
    y = draw(hnp.arrays(np.float64, n, elements=bounded_floats(-10.0, 10.0)))
    m = draw(hnp.arrays(np.float64, st.integers(1, 4), elements=bounded_floats(-3.0, 3.0)))
    Xc, yc = container(draw, X), container(draw, y)
    start = container(draw, np.array([1.0, -2.0]))
    calls: dict[str, Case] = {
        "rss": (linear_gd.rss, (container(draw, m), Xc, yc)),
        "rss_derivative": (linear_gd.rss_derivative, (container(draw, m), Xc, yc)),
        "least_squares_slope": (linear_gd.least_squares_slope, (Xc, yc)),
        "gradient_descent": (linear_gd.gradient_descent, (lambda x: 2 * x, start, 0.1, 20, 1e-6)),
        "lab_descent": (linear_gd.lab_descent, (Xc, yc, 0.0, 1e-3, 1e-6, 50, 1e-3)),
        "public_lab_descent": (linear_gd.public_lab_descent, (Xc, yc, 0.0, 1e-3, 1e-6, 20)),
    }
    return calls[name]


@st.composite
def mle_case(draw: st.DrawFn, name: str) -> Case:
    flips = draw(hnp.arrays(np.int64, st.integers(1, 20), elements=st.integers(0, 1)))
    x = draw(hnp.arrays(np.float64, st.integers(1, 20), elements=bounded_floats(-5.0, 5.0)))
    p = draw(hnp.arrays(np.float64, st.integers(1, 4), elements=bounded_floats(0.0, 1.0)))
    mu = container(draw, np.array([0.0, 1.0]))
    sigma = container(draw, np.array([1.0, 2.0]))
    calls: dict[str, Case] = {
        "bernoulli_log_likelihood": (
            mle.bernoulli_log_likelihood,
            (container(draw, p), container(draw, flips)),
        ),
        "bernoulli_mle": (mle.bernoulli_mle, (container(draw, flips),)),
        "normal_log_likelihood": (mle.normal_log_likelihood, (mu, sigma, container(draw, x))),
        "normal_mle": (mle.normal_mle, (container(draw, x),)),
    }
    return calls[name]


@st.composite
def restart_case(draw: st.DrawFn, name: str) -> Case:
    starts = draw(hnp.arrays(np.float64, st.integers(1, 4), elements=bounded_floats(-4.0, 4.0)))
    args = (data.wiggly, data.wiggly_derivative, container(draw, starts), 0.01, 50)
    calls: dict[str, Case] = {
        "multi_start": (restarts.multi_start, args),
        "multi_start_descent": (restarts.multi_start_descent, args),
    }
    return calls[name]


@st.composite
def metrics_case(draw: st.DrawFn, name: str) -> Case:
    y, scores = draw(scores_and_labels())
    y_pred = (scores > 0).astype(np.int64)
    yc, sc, pc = container(draw, y), container(draw, scores), container(draw, y_pred)
    fpr, tpr, _ = metrics.roc_curve(y, scores)
    calls: dict[str, Case] = {
        "confusion_matrix": (metrics.confusion_matrix, (yc, pc)),
        "precision": (metrics.precision, (yc, pc)),
        "recall": (metrics.recall, (yc, pc)),
        "accuracy": (metrics.accuracy, (yc, pc)),
        "f1": (metrics.f1, (yc, pc)),
        "roc_curve": (metrics.roc_curve, (yc, sc)),
        "roc_auc": (metrics.roc_auc, (yc, sc)),
        "auc": (metrics.auc, (container(draw, fpr), container(draw, tpr))),
    }
    return calls[name]


@st.composite
def regularization_case(draw: st.DrawFn, name: str) -> Case:
    X_train, y_train, _ = data.synthetic_logistic(40, 2, seed=draw(st.integers(0, 3)))
    X_test, y_test, _ = data.synthetic_logistic(30, 2, seed=10)
    Cs = np.array([0.1, 10.0])
    args = tuple(container(draw, a) for a in (X_train, y_train, X_test, y_test, Cs))
    assert name == "auc_by_C"
    return regularization.auc_by_C, args


CASES: dict[str, Callable[[str], st.SearchStrategy[Case]]] = {
    **dict.fromkeys(
        [
            "sigmoid",
            "log_sigmoid",
            "predict_y",
            "log_likelihood",
            "gradient",
            "gradient_step",
            "logistic_fit",
            "grad_desc",
            "predict_proba",
            "predict",
        ],
        logistic_case,
    ),
    **dict.fromkeys(
        [
            "rss",
            "rss_derivative",
            "least_squares_slope",
            "gradient_descent",
            "lab_descent",
            "public_lab_descent",
        ],
        linear_case,
    ),
    **dict.fromkeys(
        ["bernoulli_log_likelihood", "bernoulli_mle", "normal_log_likelihood", "normal_mle"],
        mle_case,
    ),
    **dict.fromkeys(["multi_start", "multi_start_descent"], restart_case),
    **dict.fromkeys(
        [
            "confusion_matrix",
            "precision",
            "recall",
            "accuracy",
            "f1",
            "roc_curve",
            "roc_auc",
            "auc",
        ],
        metrics_case,
    ),
    "auc_by_C": regularization_case,
}


def snapshot(value: Any) -> Any:
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=True)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def unchanged(before: Any, after: Any) -> bool:
    if isinstance(before, pd.DataFrame | pd.Series):
        return bool(before.equals(after))
    if isinstance(before, np.ndarray):
        return before.dtype == after.dtype and np.array_equal(before, after, equal_nan=True)
    return True


def arrays_in(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, tuple):
        return [a for item in value for a in arrays_in(item)]
    return []


def test_every_public_reference_function_is_covered() -> None:
    modules = (logistic, linear_gd, mle, restarts, metrics, regularization)
    public = {
        name
        for module in modules
        for name in module.__all__
        if callable(getattr(module, name)) and not isinstance(getattr(module, name), type)
    }
    assert public == set(CASES)


def assert_inputs_untouched(name: str, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    before = [snapshot(a) for a in args]
    result = function(*args)
    for position, (old, new) in enumerate(zip(before, args, strict=True)):
        assert unchanged(old, new), f"{name} modified its argument {position}"
    for output in arrays_in(result):
        for arg in args:
            if isinstance(arg, np.ndarray):
                assert not np.shares_memory(output, arg), f"{name} returned a view of an input"


@pytest.mark.parametrize("name", sorted(CASES))
@MUTATION_SETTINGS
@given(data_=st.data())
def test_inputs_are_never_mutated_nor_aliased(name: str, data_: st.DataObject) -> None:
    function, args = data_.draw(CASES[name](name), label="case")
    assert_inputs_untouched(name, function, args)


def test_the_checker_catches_mutation_and_aliasing() -> None:
    def scale_in_place(w: Any) -> Any:
        w *= 2.0  # the public lab's `weights += ...` bug
        return w

    def identity(w: Any) -> Any:
        return w

    frozen = np.array([1.0, 2.0])
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        assert_inputs_untouched("scale_in_place", scale_in_place, (frozen,))
    with pytest.raises(AssertionError, match="modified its argument 0"):
        assert_inputs_untouched("scale_in_place", scale_in_place, (pd.Series([1.0, 2.0]),))
    with pytest.raises(AssertionError, match="returned a view of an input"):
        assert_inputs_untouched("identity", identity, (frozen,))
