"""reference.metrics against sklearn.metrics (zero_division=0, drop_intermediate=False)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn import metrics as skm

from reference.metrics import (
    accuracy,
    auc,
    confusion_matrix,
    f1,
    precision,
    recall,
    roc_auc,
    roc_curve,
)
from tests.reference.ref_strategies import SETTINGS, binary_labels, scores_and_labels

pytestmark = pytest.mark.filterwarnings("error")


@st.composite
def label_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """``(y_true, y_pred)``: 1 to 30 labels each; one class may be missing from either."""
    n = draw(st.integers(1, 30))
    return draw(binary_labels(n)), draw(binary_labels(n))


def sklearn_quietly(fun, *args, **kwargs):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():  # sklearn warns on the zero-division cases we define
        warnings.simplefilter("ignore")
        return fun(*args, **kwargs)


# --------------------------------------------------------------------------- confusion & ratios


@SETTINGS
@given(pair=label_pairs())
def test_confusion_matrix_matches_sklearn_with_fixed_labels(
    pair: tuple[np.ndarray, np.ndarray],
) -> None:
    y_true, y_pred = pair
    matrix = confusion_matrix(y_true, y_pred)
    assert matrix.dtype == np.int64 and matrix.shape == (2, 2)
    np.testing.assert_array_equal(matrix, skm.confusion_matrix(y_true, y_pred, labels=[0, 1]))
    assert matrix.sum() == len(y_true)


def test_confusion_matrix_layout_is_tn_fp_fn_tp() -> None:
    y_true = [0, 0, 0, 1, 1, 1, 1]
    y_pred = [0, 1, 1, 0, 1, 1, 1]
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), [[1, 2], [1, 3]])
    np.testing.assert_array_equal(confusion_matrix([1, 1], [1, 1]), [[0, 0], [0, 2]])
    np.testing.assert_array_equal(confusion_matrix([0, 0], [0, 0]), [[2, 0], [0, 0]])


@SETTINGS
@given(pair=label_pairs())
def test_ratios_match_sklearn_with_zero_division_zero(
    pair: tuple[np.ndarray, np.ndarray],
) -> None:
    y_true, y_pred = pair
    assert precision(y_true, y_pred) == sklearn_quietly(
        skm.precision_score, y_true, y_pred, zero_division=0
    )
    assert recall(y_true, y_pred) == sklearn_quietly(
        skm.recall_score, y_true, y_pred, zero_division=0
    )
    assert f1(y_true, y_pred) == pytest.approx(
        sklearn_quietly(skm.f1_score, y_true, y_pred, zero_division=0), rel=1e-15, abs=0
    )
    assert accuracy(y_true, y_pred) == skm.accuracy_score(y_true, y_pred)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "expected"),
    [
        # (precision, recall, accuracy, f1)
        ([0, 0, 0], [0, 0, 0], (0.0, 0.0, 1.0, 0.0)),  # all negatives, all right
        ([1, 1, 1], [1, 1, 1], (1.0, 1.0, 1.0, 1.0)),  # all positives, all right
        ([1, 1, 1], [0, 0, 0], (0.0, 0.0, 0.0, 0.0)),  # nothing predicted positive
        ([0, 0, 0], [1, 1, 0], (0.0, 0.0, 1 / 3, 0.0)),  # no positives to find
        ([1, 0, 1], [0, 0, 0], (0.0, 0.0, 1 / 3, 0.0)),
    ],
)
def test_zero_division_cases_are_zero(
    y_true: list[int], y_pred: list[int], expected: tuple[float, ...]
) -> None:
    got = (
        precision(y_true, y_pred),
        recall(y_true, y_pred),
        accuracy(y_true, y_pred),
        f1(y_true, y_pred),
    )
    assert got == pytest.approx(expected, abs=0, rel=1e-15)
    assert all(type(v) is float for v in got)


def test_empty_inputs_give_zero_not_nan() -> None:
    assert (precision([], []), recall([], []), accuracy([], []), f1([], [])) == (0.0,) * 4
    np.testing.assert_array_equal(confusion_matrix([], []), np.zeros((2, 2)))


def test_labels_are_validated_with_the_argument_name() -> None:
    with pytest.raises(ValueError, match="y_pred must contain only the labels 0 and 1; found 2.0"):
        precision([0, 1], [0, 2])
    with pytest.raises(ValueError, match="y_true must contain only the labels 0 and 1"):
        recall([0.5, 1], [0, 1])
    with pytest.raises(ValueError, match="y_true and y_pred must have the same length"):
        accuracy([0, 1, 1], [0, 1])


def test_metrics_accept_bools_floats_and_pandas() -> None:
    y_true = pd.Series([True, False, True, True])
    y_pred = np.array([1.0, 1.0, 0.0, 1.0])
    assert precision(y_true, y_pred) == 2 / 3
    assert recall(y_true, pd.DataFrame({"pred": y_pred})) == 2 / 3


# --------------------------------------------------------------------------- ROC


@SETTINGS
@given(case=scores_and_labels())
def test_roc_curve_matches_sklearn_without_dropping_points(
    case: tuple[np.ndarray, np.ndarray],
) -> None:
    y, scores = case
    fpr, tpr, thresholds = roc_curve(y, scores)
    sk_fpr, sk_tpr, sk_thresholds = skm.roc_curve(y, scores, drop_intermediate=False)
    np.testing.assert_array_equal(fpr, sk_fpr)
    np.testing.assert_array_equal(tpr, sk_tpr)
    assert thresholds[0] == np.inf
    np.testing.assert_array_equal(thresholds[1:], sk_thresholds[1:])
    np.testing.assert_array_equal(thresholds[1:], np.unique(scores)[::-1])


@SETTINGS
@given(case=scores_and_labels())
def test_roc_curve_points_follow_the_score_at_least_threshold_rule(
    case: tuple[np.ndarray, np.ndarray],
) -> None:
    y, scores = case
    fpr, tpr, thresholds = roc_curve(y, scores)
    for f, t, threshold in zip(fpr, tpr, thresholds, strict=True):
        positive = scores >= threshold
        assert t == np.sum(positive & (y == 1)) / np.sum(y == 1)
        assert f == np.sum(positive & (y == 0)) / np.sum(y == 0)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)


def test_roc_curve_with_tied_scores_has_one_point_per_distinct_score() -> None:
    y = [0, 1, 1, 0, 1, 0]
    scores = [0.2, 0.8, 0.5, 0.5, 0.5, 0.2]
    fpr, tpr, thresholds = roc_curve(y, scores)
    np.testing.assert_array_equal(thresholds, [np.inf, 0.8, 0.5, 0.2])
    np.testing.assert_allclose(tpr, [0, 1 / 3, 1, 1])
    np.testing.assert_allclose(fpr, [0, 0, 1 / 3, 1])
    all_tied = roc_curve([0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3])
    np.testing.assert_array_equal(all_tied[0], [0.0, 1.0])
    np.testing.assert_array_equal(all_tied[1], [0.0, 1.0])
    assert auc(all_tied[0], all_tied[1]) == 0.5


@pytest.mark.parametrize(("labels", "only"), [([0, 0, 0], "0 \\(negative\\)"), ([1, 1], "1")])
def test_roc_curve_raises_on_a_single_class(labels: list[int], only: str) -> None:
    with pytest.raises(ValueError, match=f"roc_curve needs both classes in y_true.*are {only}"):
        roc_curve(labels, np.linspace(0, 1, len(labels)))
    with pytest.raises(ValueError, match="needs both classes"):
        roc_auc(labels, np.linspace(0, 1, len(labels)))


def test_roc_curve_rejects_non_finite_scores_and_empty_labels() -> None:
    with pytest.raises(ValueError, match="scores must be finite"):
        roc_curve([0, 1], [0.5, np.nan])
    with pytest.raises(ValueError, match="y_true is empty"):
        roc_curve([], [])


# --------------------------------------------------------------------------- AUC


@SETTINGS
@given(case=scores_and_labels())
def test_auc_matches_sklearn_auc_and_roc_auc_score(case: tuple[np.ndarray, np.ndarray]) -> None:
    y, scores = case
    fpr, tpr, _ = roc_curve(y, scores)
    assert auc(fpr, tpr) == pytest.approx(skm.auc(fpr, tpr), rel=1e-14, abs=1e-15)
    assert roc_auc(y, scores) == pytest.approx(skm.roc_auc_score(y, scores), rel=1e-12, abs=1e-15)


@SETTINGS
@given(case=scores_and_labels(), data=st.data())
def test_auc_is_permutation_invariant(
    case: tuple[np.ndarray, np.ndarray], data: st.DataObject
) -> None:
    y, scores = case
    perm = np.array(data.draw(st.permutations(range(len(y)))))
    assert roc_auc(y[perm], scores[perm]) == pytest.approx(roc_auc(y, scores), rel=1e-14)


TRANSFORMS = {
    "affine": lambda s: 3.0 * s + 7.0,
    "exp": np.exp,
    "cube": lambda s: s**3,
    "arctan": np.arctan,
    "sigmoid-like": lambda s: 1.0 / (1.0 + np.exp(-s)),
}


@SETTINGS
@given(case=scores_and_labels())
def test_auc_is_unchanged_by_strictly_increasing_transforms(
    case: tuple[np.ndarray, np.ndarray],
) -> None:
    # scores are multiples of 1/4 in [-5, 5]: every transform here stays strictly increasing
    # on them in floating point, so ties are neither created nor broken.
    y, scores = case
    fpr, tpr, _ = roc_curve(y, scores)
    area = roc_auc(y, scores)
    for name, transform in TRANSFORMS.items():
        transformed = transform(scores)
        assert roc_auc(y, transformed) == pytest.approx(area, rel=1e-14), name
        new_fpr, new_tpr, _ = roc_curve(y, transformed)
        np.testing.assert_array_equal(new_fpr, fpr, err_msg=name)
        np.testing.assert_array_equal(new_tpr, tpr, err_msg=name)


def test_auc_is_a_trapezoid_sum_and_needs_monotone_fpr() -> None:
    assert auc([0.0, 0.5, 1.0], [0.0, 1.0, 1.0]) == 0.75
    assert auc([1.0, 0.5, 0.0], [1.0, 1.0, 0.0]) == 0.75  # decreasing: same area
    with pytest.raises(ValueError, match="fpr must be monotone"):
        auc([0.0, 0.6, 0.4, 1.0], [0.0, 0.5, 0.7, 1.0])
    with pytest.raises(ValueError, match="at least 2 points"):
        auc([0.0], [0.0])
    with pytest.raises(ValueError, match="fpr and tpr must have the same length"):
        auc([0.0, 1.0], [0.0, 0.5, 1.0])
