"""reference.logistic against independent oracles: scipy.special, scikit-learn, finite differences.

Every test in this module turns warnings into errors: an overflow or invalid-value warning from
numpy is itself a failure of "numerically stable".
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import expit, log_expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from reference.data import synthetic_logistic
from reference.logistic import (
    FitResult,
    grad_desc,
    gradient,
    gradient_step,
    log_likelihood,
    log_sigmoid,
    logistic_fit,
    predict,
    predict_proba,
    predict_y,
    sigmoid,
)
from tests.reference.ref_strategies import FEW, SETTINGS, bounded_floats, logistic_problems, logits

pytestmark = pytest.mark.filterwarnings("error")

EPS = np.finfo(np.float64).eps
EXTREMES = np.array(
    [0.0, -0.0, 1e-300, -1e-300, 1.0, -1.0, 36.0, -36.0, 40.0, -40.0, 709.0, -709.0, 745.0,
     -745.0, 1e4, -1e4, 1e300, -1e300, np.finfo(np.float64).max, -np.finfo(np.float64).max]
)  # fmt: skip


def lipschitz_step(X: np.ndarray) -> float:
    """1 / L for L = ||X||_2^2 / 4, the curvature bound of the log-likelihood (inf if X ~ 0)."""
    norm = float(np.linalg.norm(X, 2))
    return 4.0 / norm**2 if norm > 1e-100 else float("inf")


# --------------------------------------------------------------------------- sigmoid


@SETTINGS
@given(z=logits(max_abs=800.0))
def test_sigmoid_matches_scipy_expit(z: np.ndarray) -> None:
    # scipy flushes results below ~1e-308 to 0 where we keep subnormals: atol covers that.
    np.testing.assert_allclose(sigmoid(z), expit(z), rtol=4 * EPS, atol=1e-300)


def test_sigmoid_matches_expit_and_log_expit_at_extremes() -> None:
    s = sigmoid(EXTREMES)
    np.testing.assert_allclose(s, expit(EXTREMES), rtol=4 * EPS, atol=1e-300)
    # In the lower tail (z <= 0, s not subnormal) log(s) is well conditioned: it checks the
    # RELATIVE accuracy of tiny probabilities against scipy's log_expit.
    normal = (s > 1e-300) & (EXTREMES <= 0)
    np.testing.assert_allclose(np.log(s[normal]), log_expit(EXTREMES[normal]), rtol=8 * EPS)


def test_sigmoid_exact_values_at_extremes_without_warnings() -> None:
    z = np.array([1e4, -1e4, 1e300, -1e300, np.inf, -np.inf, 0.0])
    np.testing.assert_array_equal(sigmoid(z), [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.5])
    assert sigmoid(-1e4) == 0.0 and sigmoid(1e300) == 1.0


@SETTINGS
@given(z=logits(max_abs=1e300))
def test_sigmoid_is_symmetric_to_float_precision(z: np.ndarray) -> None:
    np.testing.assert_allclose(sigmoid(-z), 1.0 - sigmoid(z), rtol=0, atol=EPS)
    np.testing.assert_allclose(sigmoid(z) + sigmoid(-z), 1.0, rtol=0, atol=2 * EPS)


def test_sigmoid_is_symmetric_at_extremes() -> None:
    z = np.concatenate([EXTREMES, [1e4 + 0.5, 123.456, 1e-8, 0.3]])
    np.testing.assert_allclose(sigmoid(-z), 1.0 - sigmoid(z), rtol=0, atol=EPS)


@SETTINGS
@given(z=logits(max_abs=1e308))
def test_sigmoid_is_bounded_and_not_nan(z: np.ndarray) -> None:
    s = np.asarray(sigmoid(z))
    assert not np.isnan(s).any()
    assert np.all((s >= 0.0) & (s <= 1.0))


@SETTINGS
@given(z=hnp.arrays(np.float64, st.integers(2, 40), elements=bounded_floats(-1e3, 1e3)))
def test_sigmoid_is_monotone(z: np.ndarray) -> None:
    z_sorted = np.sort(z)
    assert np.all(np.diff(sigmoid(z_sorted)) >= 0.0)


def test_sigmoid_is_strictly_increasing_where_representable() -> None:
    z = np.linspace(-30, 30, 2001)
    assert np.all(np.diff(sigmoid(z)) > 0.0)


def test_sigmoid_returns_float_for_scalars_and_arrays_of_the_same_shape() -> None:
    assert type(sigmoid(0.0)) is float and sigmoid(0.0) == 0.5
    assert type(sigmoid(2)) is float
    assert type(sigmoid(np.float64(1.0))) is float
    zero_d = sigmoid(np.array(1.0))
    assert isinstance(zero_d, np.ndarray) and zero_d.shape == ()
    for shape in [(3,), (3, 1), (2, 3, 4), (0,)]:
        out = sigmoid(np.zeros(shape))
        assert isinstance(out, np.ndarray) and out.shape == shape and out.dtype == np.float64
    listed = sigmoid([0.0, 1.0])
    assert isinstance(listed, np.ndarray) and listed.shape == (2,)
    series = sigmoid(pd.Series([0.0, 2.0, -2.0]))
    assert isinstance(series, np.ndarray)
    np.testing.assert_allclose(series, expit([0.0, 2.0, -2.0]), rtol=4 * EPS)


def test_sigmoid_propagates_nan_and_rejects_non_numbers() -> None:
    assert np.isnan(sigmoid(float("nan")))
    with pytest.raises(ValueError, match="z must be numeric"):
        sigmoid(["a", "b"])


@SETTINGS
@given(z=logits(max_abs=1e300))
def test_log_sigmoid_matches_scipy_log_expit(z: np.ndarray) -> None:
    np.testing.assert_allclose(log_sigmoid(z), log_expit(z), rtol=4 * EPS, atol=1e-300)


# --------------------------------------------------------------------------- predict_y


@SETTINGS
@given(problem=logistic_problems())
def test_predict_y_matches_explicit_sums(problem: tuple[np.ndarray, ...]) -> None:
    X, _, w = problem
    expected = [sum(X[i, j] * w[j] for j in range(X.shape[1])) for i in range(X.shape[0])]
    np.testing.assert_allclose(predict_y(X, w), expected, rtol=1e-12, atol=1e-12)


def test_predict_y_batches_weight_vectors_along_trailing_axes() -> None:
    X, _, w = synthetic_logistic(7, 3, seed=0)
    W = np.stack([w, 2 * w, -w, np.zeros(3)], axis=1).reshape(3, 2, 2)
    Z = predict_y(X, W)
    assert Z.shape == (7, 2, 2)
    np.testing.assert_allclose(Z[:, 0, 1], X @ (2 * w), rtol=1e-14)
    np.testing.assert_allclose(Z[:, 1, 1], 0.0)


def test_predict_y_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match=r"w must have shape \(d, \.\.\.\) with d = 3"):
        predict_y(np.ones((4, 3)), np.ones(2))
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        predict_y(np.ones(3), np.ones(3))


# --------------------------------------------------------------------------- log-likelihood


@SETTINGS
@given(problem=logistic_problems(n_rows=(2, 25)))
def test_log_likelihood_equals_minus_n_times_sklearn_log_loss(
    problem: tuple[np.ndarray, ...],
) -> None:
    X, y, w = problem
    w = w / 4.0  # |z| <= 12: far from sklearn's probability clipping
    p = expit(X @ w)
    expected = -len(y) * log_loss(y, p, labels=[0, 1])
    np.testing.assert_allclose(log_likelihood(X, y, w), expected, rtol=1e-10, atol=1e-10)


@SETTINGS
@given(problem=logistic_problems())
def test_log_likelihood_matches_log_expit_form(problem: tuple[np.ndarray, ...]) -> None:
    X, y, w = problem
    z = X @ w
    expected = np.sum(y * log_expit(z) + (1 - y) * log_expit(-z))
    np.testing.assert_allclose(log_likelihood(X, y, w), expected, rtol=1e-12, atol=1e-12)


def test_log_likelihood_matches_the_textbook_formula_for_moderate_logits() -> None:
    X, y, w = synthetic_logistic(50, 3, seed=2)
    z = X @ w
    textbook = np.sum(y * z - np.log(1 + np.exp(z)))
    assert log_likelihood(X, y, w) == pytest.approx(textbook, rel=1e-12)


@pytest.mark.parametrize("big", [1e4, 1e300])
def test_log_likelihood_is_exact_and_finite_for_huge_logits(big: float) -> None:
    X = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    y = np.array([1, 0, 0, 1])
    # terms: right (0), right (0), wrong (-big), wrong (-big)
    ll = log_likelihood(X, y, np.array([big]))
    assert np.isfinite(ll)
    assert ll == -2.0 * big
    assert log_likelihood(X[:2], y[:2], np.array([big])) == 0.0


def test_log_likelihood_limit_when_the_linear_predictor_overflows() -> None:
    X = np.array([[1e200], [1e200]])
    w = np.array([1e200])  # X @ w = inf
    assert log_likelihood(X, np.array([1, 1]), w) == 0.0
    assert log_likelihood(X, np.array([1, 0]), w) == -np.inf


def test_log_likelihood_returns_float_for_a_weight_vector_and_array_for_a_batch() -> None:
    X, y, w = synthetic_logistic(30, 2, seed=3)
    assert type(log_likelihood(X, y, w)) is float
    W = np.stack([w, np.zeros(2), -w], axis=1)
    batch = log_likelihood(X, y, W)
    assert isinstance(batch, np.ndarray) and batch.shape == (3,)
    for k in range(3):
        assert batch[k] == pytest.approx(log_likelihood(X, y, W[:, k]), rel=1e-13)
    assert batch[1] == pytest.approx(-30 * np.log(2.0), rel=1e-14)


@SETTINGS
@given(problem=logistic_problems(), data=st.data())
def test_log_likelihood_is_permutation_invariant(
    problem: tuple[np.ndarray, ...], data: st.DataObject
) -> None:
    X, y, w = problem
    perm = data.draw(st.permutations(range(len(y))))
    np.testing.assert_allclose(
        log_likelihood(X[perm], y[perm], w), log_likelihood(X, y, w), rtol=1e-12, atol=1e-12
    )


def test_log_likelihood_accepts_pandas_and_column_labels() -> None:
    X, y, w = synthetic_logistic(20, 3, seed=4)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    expected = log_likelihood(X, y, w)
    assert log_likelihood(frame, pd.Series(y), pd.Series(w)) == expected
    assert log_likelihood(X, pd.DataFrame({"target": y}), w) == expected
    assert log_likelihood(X, y.reshape(-1, 1), w) == expected


def test_log_likelihood_rejects_bad_labels() -> None:
    X = np.ones((3, 1))
    with pytest.raises(ValueError, match=r"y must hold labels in \[0, 1\]"):
        log_likelihood(X, [0, 1, 2], [1.0])
    with pytest.raises(ValueError, match="y must have one label per row of X"):
        log_likelihood(X, [0, 1], [1.0])


# --------------------------------------------------------------------------- gradient


def central_difference(fun, w: np.ndarray, h: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    grad = np.empty_like(w)
    for j in range(w.size):
        e = np.zeros_like(w)
        e[j] = h
        grad[j] = (fun(w + e) - fun(w - e)) / (2 * h)
    return grad


@SETTINGS
@given(problem=logistic_problems())
def test_gradient_matches_central_finite_differences(problem: tuple[np.ndarray, ...]) -> None:
    X, y, w = problem
    numeric = central_difference(lambda v: log_likelihood(X, y, v), w, h=1e-5)
    scale = 1.0 + np.abs(X).sum()
    np.testing.assert_allclose(gradient(X, y, w), numeric, rtol=1e-6, atol=1e-7 * scale)


def test_gradient_matches_its_formula_and_batches() -> None:
    X, y, w = synthetic_logistic(40, 3, seed=5)
    np.testing.assert_allclose(gradient(X, y, w), X.T @ (y - expit(X @ w)), rtol=1e-13)
    W = np.stack([w, -w], axis=1)
    G = gradient(X, y, W)
    assert G.shape == (3, 2)
    np.testing.assert_allclose(G[:, 1], gradient(X, y, -w), rtol=1e-13, atol=1e-13)


def test_gradient_is_finite_and_bounded_for_huge_weights() -> None:
    X = np.array([[1.0, -2.0], [3.0, 0.5], [-1.0, 1.0]])
    y = np.array([1, 0, 1])
    g = gradient(X, y, np.array([1e300, -1e300]))
    assert np.all(np.isfinite(g))
    assert np.all(np.abs(g) <= np.abs(X).sum(axis=0))


# --------------------------------------------------------------------------- gradient_step


@SETTINGS
@given(problem=logistic_problems(), alpha=bounded_floats(0.0, 2.0))
def test_gradient_step_is_w_plus_alpha_gradient(
    problem: tuple[np.ndarray, ...], alpha: float
) -> None:
    X, y, w = problem
    new = gradient_step(X, y, w, alpha)
    np.testing.assert_allclose(new, w + alpha * (X.T @ (y - expit(X @ w))), rtol=1e-12, atol=1e-12)
    assert not np.shares_memory(new, w)


@SETTINGS
@given(problem=logistic_problems(), fraction=bounded_floats(1e-3, 1.0))
def test_a_small_step_increases_the_log_likelihood(
    problem: tuple[np.ndarray, ...], fraction: float
) -> None:
    # Concave with curvature <= L = ||X||^2 / 4, so for alpha <= 1/L the ascent lemma gives
    # ll(w + alpha g) >= ll(w) + alpha/2 ||g||^2.
    X, y, w = problem
    alpha = fraction * lipschitz_step(X)
    if not np.isfinite(alpha):  # X is (numerically) zero: the likelihood is flat
        return
    g = gradient(X, y, w)
    before = log_likelihood(X, y, w)
    after = log_likelihood(X, y, gradient_step(X, y, w, alpha))
    slack = 1e-12 * (1.0 + abs(before))
    assert after >= before + 0.5 * alpha * float(g @ g) - slack


# --------------------------------------------------------------------------- fitting


def test_logistic_fit_converges_to_the_sklearn_unpenalised_optimum() -> None:
    X, y, _ = synthetic_logistic(300, 3, seed=7)
    sk = LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-12, max_iter=10_000).fit(X, y)
    fit = logistic_fit(X, y, lipschitz_step(X), max_iterations=20_000, tol=1e-13)
    assert len(fit.history) < 20_000, "gradient ascent did not converge"
    np.testing.assert_allclose(fit.weights, sk.coef_.ravel(), atol=1e-4)
    np.testing.assert_allclose(gradient(X, y, fit.weights), 0.0, atol=1e-8)
    assert fit.history[-1] >= log_likelihood(X, y, sk.coef_.ravel()) - 1e-9


def test_logistic_fit_history_is_the_log_likelihood_after_each_step() -> None:
    X, y, _ = synthetic_logistic(60, 2, seed=8)
    alpha = lipschitz_step(X)
    fit = logistic_fit(X, y, alpha, max_iterations=25)
    assert isinstance(fit, FitResult) and fit.history.shape == (25,)
    w = np.ones(2)  # the lab's default start
    for k in range(25):
        w = w + alpha * (X.T @ (y - expit(X @ w)))
        assert fit.history[k] == pytest.approx(log_likelihood(X, y, w), rel=1e-12)
    np.testing.assert_allclose(fit.weights, w, rtol=1e-12)
    assert np.all(np.diff(fit.history) >= -1e-12)  # monotone ascent for alpha <= 1/L


def test_logistic_fit_tol_stops_right_after_the_first_small_step() -> None:
    X, y, _ = synthetic_logistic(80, 3, seed=9)
    alpha, tol = lipschitz_step(X), 1e-6
    fit = logistic_fit(X, y, alpha, max_iterations=10_000, tol=tol)
    taken = len(fit.history)
    assert 1 < taken < 10_000
    replay = logistic_fit(X, y, alpha, max_iterations=taken - 1).weights
    last_step = np.max(np.abs(gradient_step(X, y, replay, alpha) - replay))
    assert last_step < tol
    before = logistic_fit(X, y, alpha, max_iterations=taken - 2).weights
    assert np.max(np.abs(gradient_step(X, y, before, alpha) - before)) >= tol


def test_logistic_fit_edge_cases() -> None:
    X, y, _ = synthetic_logistic(10, 2, seed=10)
    zero = logistic_fit(X, y, 0.1, max_iterations=0)
    np.testing.assert_array_equal(zero.weights, np.ones(2))
    assert zero.history.shape == (0,)
    column = logistic_fit(X, y, 0.1, 3, initial_weights=np.zeros((2, 1)))
    flat = logistic_fit(X, y, 0.1, 3, initial_weights=[0.0, 0.0])
    np.testing.assert_array_equal(column.weights, flat.weights)
    with pytest.raises(ValueError, match="initial_weights must have length d = 2"):
        logistic_fit(X, y, 0.1, 3, initial_weights=[0.0])
    with pytest.raises(TypeError, match="max_iterations must be a non-negative integer"):
        logistic_fit(X, y, 0.1, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        logistic_fit(X, y, -0.1, 3)


def test_logistic_fit_on_separable_data_stays_finite() -> None:
    X = np.array([[1.0, 0.5], [2.0, -1.0], [-1.0, 0.3], [-2.0, 1.0], [0.5, 0.0]])
    y = np.array([1, 1, 0, 0, 1])  # separated by the sign of the first column
    fit = logistic_fit(X, y, alpha=5.0, max_iterations=2_000)
    assert np.all(np.isfinite(fit.weights)) and np.all(np.isfinite(fit.history))
    assert np.all(fit.history < 0.0)
    assert fit.history[-1] > -1e-3  # approaching the supremum 0
    assert np.all(np.diff(fit.history) >= -1e-12)
    bigger = logistic_fit(X, y, alpha=5.0, max_iterations=4_000).weights
    assert np.linalg.norm(bigger) > np.linalg.norm(fit.weights)  # keeps growing, slowly


def test_logistic_fit_with_an_absurd_step_size_does_not_produce_nan() -> None:
    X = np.array([[1.0], [-1.0]])
    fit = logistic_fit(X, [1, 0], alpha=1e300, max_iterations=50)
    assert np.all(np.isfinite(fit.weights)) and not np.isnan(fit.history).any()


def test_grad_desc_is_logistic_fit_without_early_stopping() -> None:
    X, y, _ = synthetic_logistic(30, 3, seed=11)
    a = grad_desc(X, y, 40, 0.01)
    b = logistic_fit(X, y, 0.01, 40)
    np.testing.assert_array_equal(a.weights, b.weights)
    np.testing.assert_array_equal(a.history, b.history)
    weights, history = grad_desc(X, y, 5, 0.01, initial_weights=np.zeros(3))
    assert history.shape == (5,)
    np.testing.assert_array_equal(weights, logistic_fit(X, y, 0.01, 5, np.zeros(3)).weights)


def test_grad_desc_accepts_pandas_like_the_lab() -> None:
    X, y, _ = synthetic_logistic(30, 3, seed=12)
    frame = pd.DataFrame(X, columns=["age", "chol", "thalach"])
    pandas_fit = grad_desc(frame, pd.Series(y, name="target"), 20, 0.01)
    np.testing.assert_array_equal(pandas_fit.weights, grad_desc(X, y, 20, 0.01).weights)


# --------------------------------------------------------------------------- prediction


@SETTINGS
@given(problem=logistic_problems(), threshold=bounded_floats(0.0, 1.0))
def test_predict_is_proba_at_least_threshold(
    problem: tuple[np.ndarray, ...], threshold: float
) -> None:
    X, _, w = problem
    proba = predict_proba(X, w)
    np.testing.assert_allclose(proba, expit(X @ w), rtol=4 * EPS, atol=1e-300)
    labels = predict(X, w, threshold)
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels, (proba >= threshold).astype(np.int64))


def test_predict_threshold_is_inclusive() -> None:
    X = np.array([[0.0, 1.0], [1.0, 0.0], [-1.0, 0.0]])
    w = np.array([2.0, 0.0])  # z = 0, 2, -2
    np.testing.assert_array_equal(predict(X, w), [1, 1, 0])  # sigmoid(0) == 0.5 >= 0.5
    p = float(sigmoid(2.0))
    np.testing.assert_array_equal(predict(X, w, threshold=p), [0, 1, 0])
    np.testing.assert_array_equal(predict(X, w, threshold=0.0), [1, 1, 1])
    np.testing.assert_array_equal(predict(X, w, threshold=1.0), [0, 0, 0])


def test_nothing_warns_on_extreme_inputs() -> None:
    X = np.array([[1e300, -1e300], [1e4, 1.0], [-1e4, 0.0]])
    y = np.array([1, 0, 1])
    w = np.array([1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(log_likelihood(X[1:], y[1:], w))
        assert np.all(np.isfinite(gradient(X[1:], y[1:], w)))
        assert np.all(np.isfinite(predict_proba(X, w)))
        assert np.all(np.isfinite(gradient_step(X[1:], y[1:], w, 1.0)))


@FEW
@given(problem=logistic_problems(n_rows=(5, 25), n_cols=(1, 3)))
def test_fit_never_decreases_the_log_likelihood_at_a_safe_step(
    problem: tuple[np.ndarray, ...],
) -> None:
    X, y, w = problem
    if not np.isfinite(lipschitz_step(X)):  # X is (numerically) zero: the likelihood is flat
        return
    fit = logistic_fit(X, y, lipschitz_step(X), 30, initial_weights=w)
    values = np.r_[log_likelihood(X, y, w), fit.history]
    assert np.all(np.diff(values) >= -1e-9 * (1 + np.abs(values[:-1])))
