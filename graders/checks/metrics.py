"""Checks for evaluating classifiers: probabilities and predictions, the confusion matrix,
precision / recall / accuracy / F1, the ROC curve and its area, and the regularization
experiment (test AUC of scikit-learn's LogisticRegression as C changes)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from graders import strategies as gs
from graders.checks.base import (
    Args,
    CheckContext,
    agree_with_reference,
    call_student,
    fail,
)
from graders.compare import Mismatch, as_plain_array, compare
from graders.diagnose import Misconception, diagnose
from reference import logistic as ref_logistic
from reference import metrics as ref
from reference import regularization as ref_reg

_Y_TRUE = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0])
_Y_PRED = np.array([0, 1, 0, 0, 1, 1, 0, 1, 1, 1])
_SCORES = np.array([0.1, 0.9, 0.35, 0.2, 0.8, 0.6, 0.3, 0.7, 0.95, 0.4])
_TIED = np.array([0.2, 0.8, 0.8, 0.2, 0.5, 0.5, 0.2, 0.8, 0.5, 0.5])


@st.composite
def _label_pairs(draw: st.DrawFn) -> Args:
    n = draw(st.integers(1, 30))
    return draw(gs.labels(n)), draw(gs.labels(n))


@st.composite
def _scored(draw: st.DrawFn) -> Args:
    n = draw(st.integers(2, 25))
    y = draw(gs.labels(n, both_classes=True))
    return y, draw(gs.scores_with_ties(n))


@st.composite
def _prob_problems(draw: st.DrawFn) -> Args:
    n = draw(st.integers(1, 12))
    d = draw(st.integers(1, 4))
    X = draw(gs.design_matrices(n_rows=n, n_cols=d, elements=gs.finite_floats(-3, 3)))
    return X, draw(gs.weights(d, elements=gs.finite_floats(-2, 2)))


# --- misconceptions ----------------------------------------------------------------------------


def _confusion_sklearn_flipped(y_true: Any, y_pred: Any) -> Any:
    return ref.confusion_matrix(y_true, y_pred)[::-1, ::-1]


def _confusion_transposed(y_true: Any, y_pred: Any) -> Any:
    return ref.confusion_matrix(y_true, y_pred).T


CONFUSION_MISTAKES = (
    Misconception(
        "confusion-order-reversed",
        "the matrix is laid out [[TP, FN], [FP, TN]]; the specified order is [[TN, FP], [FN, TP]] "
        "(rows: true class 0 then 1; columns: predicted 0 then 1).",
        _confusion_sklearn_flipped,
    ),
    Misconception(
        "confusion-transposed",
        "rows and columns are swapped: rows are the TRUE class, columns the PREDICTED class.",
        _confusion_transposed,
    ),
)


def _precision_recall_swapped(y_true: Any, y_pred: Any) -> float:
    return ref.recall(y_true, y_pred)


def _recall_precision_swapped(y_true: Any, y_pred: Any) -> float:
    return ref.precision(y_true, y_pred)


def _roc_strict(y_true: Any, scores: Any) -> Any:
    """The ROC curve with 'positive iff score > threshold' (off by one threshold)."""
    fpr, tpr, thresholds = ref.roc_curve(y_true, scores)
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    pos, neg = max(int(np.sum(y == 1)), 1), max(int(np.sum(y == 0)), 1)
    fpr = np.array([np.sum((s > t) & (y == 0)) / neg for t in thresholds])
    tpr = np.array([np.sum((s > t) & (y == 1)) / pos for t in thresholds])
    return np.stack([fpr, tpr])


ROC_MISTAKES = (
    Misconception(
        "roc-threshold-strict",
        "a score equal to the threshold is counted as negative (score > t). With the thresholds "
        "taken from the scores themselves, the rule must be score >= t, otherwise every point of "
        "the curve is shifted by one threshold.",
        _roc_strict,
    ),
)


# --- probabilities and predictions -------------------------------------------------------------


def check_predict_proba_matches_reference(ctx: CheckContext) -> None:
    """predict_proba(X, w) = sigmoid(X·w), a 1-D array."""
    agree_with_reference(
        ctx,
        ref_logistic.predict_proba,
        regression=[(np.array([[1.0, 2.0], [0.0, -1.0]]), np.array([0.5, 1.0]))],
        strategy=_prob_problems(),
    )


def _predict_default(X: Any, w: Any) -> Any:
    return ref_logistic.predict(X, w)


def _predict_strict(X: Any, w: Any, threshold: float = 0.5) -> Any:
    return (ref_logistic.predict_proba(X, w) > threshold).astype(np.int64)


PREDICT_MISTAKES = (
    Misconception(
        "threshold-strict",
        "a probability exactly equal to the threshold is predicted 0 (p > threshold); the rule "
        "is p >= threshold, so sigmoid(0) = 0.5 predicts class 1.",
        _predict_strict,
    ),
)


def _clear_of_the_threshold(problem: Args) -> bool:
    """No logit so near 0 that rounding decides the class (0 < |z| < 1e-9): there, equally right
    formulas for sigmoid land on either side of 0.5. z == 0 stays (p is exactly 0.5)."""
    z = problem[0] @ problem[1]
    return not bool(np.any((z != 0) & (np.abs(z) < 1e-9)))


def check_predict_matches_reference(ctx: CheckContext) -> None:
    """predict(X, w) is 1 where sigmoid(X·w) >= 0.5, else 0."""
    agree_with_reference(
        ctx,
        _predict_default,
        regression=[(np.array([[1.0, 2.0], [0.0, -1.0], [-3.0, 0.5]]), np.array([0.5, 1.0]))],
        strategy=_prob_problems().filter(_clear_of_the_threshold),
        misconceptions=PREDICT_MISTAKES,
        allow_bool=True,
    )


def check_predict_threshold_is_inclusive(ctx: CheckContext) -> None:
    """A probability exactly equal to the threshold predicts class 1."""
    X = np.array([[0.0], [1.0], [-1.0]])
    w = np.array([1.0])
    args: Args = (X, w, 0.5)
    actual = as_plain_array(call_student(ctx, *args))
    expected = ref_logistic.predict(X, w, 0.5)
    mismatch = (
        actual
        if isinstance(actual, Mismatch)
        else compare(expected, actual, ctx.tolerance, allow_bool=True)
    )
    if mismatch is not None:
        raise fail(
            ctx,
            "At probability exactly 0.5 (X·w = 0) with threshold 0.5 the prediction must be 1: "
            "the rule is probability >= threshold.",
            args=args,
            mismatch=mismatch,
            diagnosis=diagnose(PREDICT_MISTAKES, args, actual, ctx.tolerance, allow_bool=True),
        )


# --- confusion matrix and scores ---------------------------------------------------------------


def check_confusion_matrix_matches_reference(ctx: CheckContext) -> None:
    """A 2x2 integer array [[TN, FP], [FN, TP]]."""
    agree_with_reference(
        ctx,
        ref.confusion_matrix,
        regression=[(_Y_TRUE, _Y_PRED)],
        strategy=_label_pairs(),
        misconceptions=CONFUSION_MISTAKES,
        require_integer=True,
    )


def check_confusion_matrix_handles_missing_class(ctx: CheckContext) -> None:
    """Still 2x2 when a class never occurs (all labels 0, or all 1)."""
    for args in (
        (np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.int64)),
        (np.ones(3, dtype=np.int64), np.ones(3, dtype=np.int64)),
    ):
        actual = as_plain_array(call_student(ctx, *args))
        mismatch = (
            actual
            if isinstance(actual, Mismatch)
            else compare(ref.confusion_matrix(*args), actual, ctx.tolerance, require_integer=True)
        )
        if mismatch is not None:
            raise fail(
                ctx,
                "The confusion matrix must be 2x2 even when a class is absent: the label order "
                "is fixed ([0, 1]), not taken from np.unique of the data.",
                args=args,
                mismatch=mismatch,
            )


def _score_check(ctx: CheckContext, reference: Any, mistakes: tuple[Misconception, ...]) -> None:
    agree_with_reference(
        ctx,
        reference,
        regression=[(_Y_TRUE, _Y_PRED)],
        strategy=_label_pairs(),
        misconceptions=mistakes,
    )


def check_precision_matches_reference(ctx: CheckContext) -> None:
    """precision = TP / (TP + FP), 0.0 when nothing is predicted positive."""
    _score_check(
        ctx,
        ref.precision,
        (
            Misconception(
                "precision-recall-swapped",
                "this is recall, TP / (TP + FN); precision is TP / (TP + FP).",
                _precision_recall_swapped,
            ),
        ),
    )


def check_recall_matches_reference(ctx: CheckContext) -> None:
    """recall = TP / (TP + FN), 0.0 when there are no positives."""
    _score_check(
        ctx,
        ref.recall,
        (
            Misconception(
                "precision-recall-swapped",
                "this is precision, TP / (TP + FP); recall is TP / (TP + FN).",
                _recall_precision_swapped,
            ),
        ),
    )


def check_accuracy_matches_reference(ctx: CheckContext) -> None:
    """accuracy = (TP + TN) / n."""
    _score_check(ctx, ref.accuracy, ())


def check_f1_matches_reference(ctx: CheckContext) -> None:
    """F1 = 2 P R / (P + R), 0.0 when P + R = 0."""
    _score_check(ctx, ref.f1, ())


def _zero_division(ctx: CheckContext, reference: Any, what: str) -> None:
    args: Args = (np.array([1, 0, 1, 0]), np.zeros(4, dtype=np.int64))
    actual = as_plain_array(call_student(ctx, *args))
    mismatch = (
        actual if isinstance(actual, Mismatch) else compare(reference(*args), actual, ctx.tolerance)
    )
    if mismatch is not None:
        raise fail(
            ctx,
            f"When nothing is predicted positive, {what} is defined as 0.0 here (as in "
            "scikit-learn with zero_division=0); dividing by zero gives nan.",
            args=args,
            mismatch=mismatch,
        )


def check_precision_zero_division(ctx: CheckContext) -> None:
    """precision is 0.0 when there are no predicted positives."""
    _zero_division(ctx, ref.precision, "precision")


def check_f1_zero_division(ctx: CheckContext) -> None:
    """F1 is 0.0 when precision and recall are both 0."""
    _zero_division(ctx, ref.f1, "F1")


# --- ROC and AUC -------------------------------------------------------------------------------


def _curve_of(value: Any) -> Any:
    """(fpr, tpr, thresholds) -> the 2 x k array of (fpr, tpr); thresholds are checked apart."""
    if isinstance(value, (tuple, list)) and len(value) == 3:
        fpr = as_plain_array(value[0])
        tpr = as_plain_array(value[1])
        if isinstance(fpr, Mismatch):
            return fpr
        if isinstance(tpr, Mismatch):
            return tpr
        if fpr.ndim == 1 and tpr.shape == fpr.shape:
            return np.stack([fpr.astype(float), tpr.astype(float)])
    return value


def _ref_curve(y_true: Any, scores: Any) -> Any:
    fpr, tpr, _ = ref.roc_curve(y_true, scores)
    return np.stack([fpr, tpr])


def _check_thresholds(ctx: CheckContext, args: Args, value: Any) -> None:
    """Thresholds must be the distinct scores, decreasing, after a first one above them all."""
    y_true, scores = args
    expected = ref.roc_curve(y_true, scores)[2]
    if not (isinstance(value, (tuple, list)) and len(value) == 3):
        raise fail(ctx, "`roc_curve` must return a tuple (fpr, tpr, thresholds).", args=args)
    got = as_plain_array(value[2])
    if isinstance(got, Mismatch) or got.shape != expected.shape or not got[0] > np.max(scores):
        raise fail(
            ctx,
            "thresholds should start with a value above every score (np.inf), followed by the "
            "distinct scores in decreasing order.",
            args=args,
            mismatch=got if isinstance(got, Mismatch) else compare(expected, got, ctx.tolerance),
        )
    mismatch = compare(expected[1:], got[1:], ctx.tolerance)
    if mismatch is not None:
        raise fail(
            ctx,
            "thresholds should be the distinct scores in decreasing order.",
            args=args,
            mismatch=mismatch,
        )


def _roc(ctx: CheckContext, regression: list[Args], strategy: Any, headline: str) -> None:
    agree_with_reference(
        ctx,
        _ref_curve,
        regression=regression,
        strategy=strategy,
        normalise=_curve_of,
        headline=headline,
        misconceptions=ROC_MISTAKES,
    )
    for args in regression:
        _check_thresholds(ctx, args, call_student(ctx, *args))


def check_roc_curve_matches_reference(ctx: CheckContext) -> None:
    """fpr and tpr at thresholds +inf, then each distinct score (positive iff score >= t)."""
    _roc(
        ctx,
        [(_Y_TRUE, _SCORES)],
        _scored(),
        "`roc_curve` does not agree with the reference. Rows below: 0 = fpr, 1 = tpr.",
    )


def check_roc_curve_handles_ties(ctx: CheckContext) -> None:
    """Tied scores give one point of the curve per distinct score, not one per observation."""
    _roc(
        ctx,
        [(_Y_TRUE, _TIED)],
        None,
        "With tied scores, the curve must have one point per DISTINCT score (samples with equal "
        "scores cross the threshold together). Rows below: 0 = fpr, 1 = tpr.",
    )


@st.composite
def _curves(draw: st.DrawFn) -> Args:
    y, scores = draw(_scored())
    fpr, tpr, _ = ref.roc_curve(y, scores)
    return fpr, tpr


def check_auc_matches_reference(ctx: CheckContext) -> None:
    """The trapezoidal area under (fpr, tpr)."""
    fpr, tpr, _ = ref.roc_curve(_Y_TRUE, _SCORES)
    agree_with_reference(
        ctx,
        ref.auc,
        regression=[(fpr, tpr), (np.array([0.0, 1.0]), np.array([0.0, 1.0]))],
        strategy=_curves(),
    )


# --- regularization ----------------------------------------------------------------------------


def _bundled(ctx: CheckContext) -> tuple[Any, Any, Any, Any]:
    return _read_bundled(str(ctx.assignment.directory / "data"))


@functools.lru_cache(maxsize=4)
def _read_bundled(folder_name: str) -> tuple[Any, Any, Any, Any]:
    import pandas as pd

    folder = Path(folder_name)
    train = pd.read_csv(folder / "breast_cancer_train.csv")
    test = pd.read_csv(folder / "breast_cancer_test.csv")
    features = [c for c in train.columns if c != "target"]
    arrays = (
        train[features].to_numpy(),
        train["target"].to_numpy(),
        test[features].to_numpy(),
        test["target"].to_numpy(),
    )
    for array in arrays:  # shared by every submission graded in this process
        array.setflags(write=False)
    return arrays


def _auc_ignoring_c(X_train: Any, y_train: Any, X_test: Any, y_test: Any, Cs: Any) -> Any:
    return ref_reg.auc_by_C(X_train, y_train, X_test, y_test, [1.0] * len(Cs))


def _auc_on_train(X_train: Any, y_train: Any, X_test: Any, y_test: Any, Cs: Any) -> Any:
    return ref_reg.auc_by_C(X_train, y_train, X_train, y_train, Cs)


_CS = (0.001, 0.01, 0.1, 1.0, 10.0)


@functools.lru_cache(maxsize=4)
def _reference_aucs(folder_name: str) -> Any:
    """The reference experiment on the bundled data: fitted once per process, not per student
    (five scikit-learn fits cost more than grading the rest of the assignment)."""
    result = ref_reg.auc_by_C(*_read_bundled(folder_name), np.array(_CS))
    result.setflags(write=False)
    return result


def check_auc_by_C_matches_reference(ctx: CheckContext) -> None:
    """Test AUC of LogisticRegression(C=c) for each c, on the bundled breast-cancer split."""
    X_train, y_train, X_test, y_test = _bundled(ctx)
    Cs = np.array(_CS)
    expected = _reference_aucs(str(ctx.assignment.directory / "data"))
    agree_with_reference(
        ctx,
        lambda *_: expected,
        regression=[(X_train, y_train, X_test, y_test, Cs)],
        strategy=None,
        misconceptions=(
            Misconception(
                "C-ignored",
                "every C gives the same AUC: pass C=c to LogisticRegression.",
                _auc_ignoring_c,
            ),
            Misconception(
                "auc-on-training-data",
                "the AUC is computed on the training data; "
                "the experiment measures it on the held-out test set.",
                _auc_on_train,
            ),
        ),
    )


CHECKS = (
    check_predict_proba_matches_reference,
    check_predict_matches_reference,
    check_predict_threshold_is_inclusive,
    check_confusion_matrix_matches_reference,
    check_confusion_matrix_handles_missing_class,
    check_precision_matches_reference,
    check_precision_zero_division,
    check_recall_matches_reference,
    check_accuracy_matches_reference,
    check_f1_matches_reference,
    check_f1_zero_division,
    check_roc_curve_matches_reference,
    check_roc_curve_handles_ties,
    check_auc_matches_reference,
    check_auc_by_C_matches_reference,
)
