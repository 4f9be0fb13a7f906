"""reference.data: determinism and the documented properties, against sklearn and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from reference.data import (
    LINEAR_TRUE_SLOPE,
    breast_cancer_split,
    linear_data,
    synthetic_logistic,
)
from reference.linear_gd import least_squares_slope


@pytest.fixture(scope="module")
def split():  # type: ignore[no-untyped-def]
    return breast_cancer_split()


def test_breast_cancer_split_is_stratified_standardised_with_train_statistics(split) -> None:  # type: ignore[no-untyped-def]
    X_train, X_test, y_train, y_test = split
    assert X_train.shape == (426, 30) and X_test.shape == (143, 30)
    assert X_train.dtype == X_test.dtype == np.float64
    assert y_train.dtype == y_test.dtype == np.int64
    np.testing.assert_allclose(X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X_train.std(axis=0), 1.0, rtol=1e-12)
    assert abs(X_test.mean()) > 1e-6  # test rows are scaled with TRAIN statistics, not their own
    # stratified: class proportions agree to within one sample
    assert abs(y_train.mean() - y_test.mean()) < 1.0 / len(y_test)


def test_breast_cancer_split_equals_sklearn_split_then_standard_scaler(split) -> None:  # type: ignore[no-untyped-def]
    X_raw, y_raw = load_breast_cancer(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X_raw, y_raw, test_size=0.25, random_state=0, stratify=y_raw
    )
    scaler = StandardScaler().fit(X_tr)
    np.testing.assert_allclose(split.X_train, scaler.transform(X_tr), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(split.X_test, scaler.transform(X_te), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(split.y_train, y_tr)
    np.testing.assert_array_equal(split.y_test, y_te)


def test_breast_cancer_split_is_deterministic_and_seeded(split) -> None:  # type: ignore[no-untyped-def]
    again = breast_cancer_split()
    for a, b in zip(split, again, strict=True):
        np.testing.assert_array_equal(a, b)
    other = breast_cancer_split(seed=1)
    assert not np.array_equal(split.X_train, other.X_train)
    assert breast_cancer_split(test_size=0.5).X_test.shape[0] in (284, 285)
    with pytest.raises(ValueError, match="test_size must be a fraction"):
        breast_cancer_split(test_size=1.5)


def test_synthetic_logistic_is_deterministic_and_well_posed() -> None:
    X, y, w = synthetic_logistic(500, 4, seed=3)
    X2, y2, w2 = synthetic_logistic(500, 4, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(w, w2)
    assert X.shape == (500, 4) and y.shape == (500,) and w.shape == (4,)
    assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    assert 0.2 < y.mean() < 0.8
    assert np.linalg.cond(X.T @ X / 500) < 2.0
    # not separable: the unpenalised MLE is finite and near w_true
    sk = LogisticRegression(C=np.inf, fit_intercept=False, max_iter=10_000).fit(X, y)
    assert np.linalg.norm(sk.coef_.ravel() - w) < 0.5
    assert not np.array_equal(synthetic_logistic(500, 4, seed=4)[0], X)


def test_linear_data_follows_the_documented_model() -> None:
    X, y = linear_data(2_000, seed=0)
    assert X.shape == y.shape == (2_000,)
    assert X.min() >= 1.0 and X.max() <= 10.0
    assert least_squares_slope(X, y) == pytest.approx(LINEAR_TRUE_SLOPE, abs=0.02)
    assert np.std(y - LINEAR_TRUE_SLOPE * X) == pytest.approx(2.0, rel=0.1)
    np.testing.assert_array_equal(linear_data(10, seed=5).X, linear_data(10, seed=5).X)
