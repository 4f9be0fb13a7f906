"""Checks for evaluating classifiers: probabilities and predictions, the confusion matrix,
precision / recall / accuracy / F1, the ROC curve and its area, and the regularization
experiment (test AUC of scikit-learn's LogisticRegression as C changes).

One module over 500 lines on purpose: one topic, one module (the model-comparisons assignment,
one entry point, one test file whose catalogue test reads this module's source). Its sections
share the fixed inputs and strategies at the top (``_Y_TRUE``, ``_SCORES``, ``_scored``); the ROC
section (its property and the collinear-points rule) is the seam to cut if it grows further.
"""

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
    search,
)
from graders.checks.check import Check
from graders.compare import Mismatch, Tolerance, as_plain_array, compare
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


def _rates_at(y_true: Any, scores: Any, thresholds: Any, *, strict: bool = False) -> Any:
    """The 2 x k array of (fpr, tpr) of the rule 'positive iff score >= t' at each threshold
    (``strict``: score > t)."""
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    t = np.asarray(thresholds, dtype=float)
    above = s[None, :] > t[:, None] if strict else s[None, :] >= t[:, None]
    pos, neg = max(int(np.sum(y == 1)), 1), max(int(np.sum(y == 0)), 1)
    return np.stack(
        [np.sum(above & (y == 0), axis=1) / neg, np.sum(above & (y == 1), axis=1) / pos]
    )


def _roc_strict(y_true: Any, scores: Any, thresholds: Any = None) -> Any:
    """The ROC curve with 'positive iff score > threshold' (off by one threshold), at the
    reference's thresholds or at the given ones."""
    if thresholds is None:
        thresholds = ref.roc_curve(y_true, scores)[2]
    fpr, tpr = _rates_at(y_true, scores, thresholds, strict=True)
    return fpr, tpr, np.asarray(thresholds, dtype=float)


ROC_MISTAKES = (
    Misconception(
        "roc-threshold-strict",
        "a score equal to the threshold is counted as negative (score > t). With the thresholds "
        "taken from the scores themselves, the rule must be score >= t, otherwise every point of "
        "the curve is shifted by one threshold.",
        _roc_strict,
        lambda curve: np.stack(curve[:2]),
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


def _predict_ignoring_threshold(X: Any, w: Any, threshold: float = 0.5) -> Any:
    return ref_logistic.predict(X, w, 0.5)


THRESHOLD_MISTAKES = (
    Misconception(
        "threshold-ignored",
        "the threshold argument is not used: the predictions are those of threshold 0.5 "
        "whatever threshold is passed. Compare the probabilities with the `threshold` "
        "parameter, not with a fixed 0.5.",
        _predict_ignoring_threshold,
    ),
    PREDICT_MISTAKES[0],
)

# Probabilities spread over (0, 1) (X·w = -2 ... 3) and thresholds that split them differently
# from 0.5, none of them equal to a probability (an exact tie is tested apart, at 0.5).
_SPREAD_X = np.array([[-2.0], [-0.5], [0.3], [1.2], [3.0]])


def _far_from_threshold(problem: Args) -> bool:
    # Away from every probability: sigmoids computed differently differ by a few ulps.
    X, w, threshold = problem
    return bool(np.all(np.abs(ref_logistic.predict_proba(X, w) - threshold) > 1e-6))


_THRESHOLD_PROBLEMS = (
    st.tuples(_prob_problems(), st.sampled_from([0.05, 0.2, 0.35, 0.65, 0.8, 0.95]))
    .map(lambda p: (*p[0], p[1]))
    .filter(_far_from_threshold)
)


def check_predict_uses_threshold(ctx: CheckContext) -> None:
    """predict(X, w, threshold) compares the probabilities with the threshold it is given."""
    agree_with_reference(
        ctx,
        ref_logistic.predict,
        regression=[(_SPREAD_X, np.array([1.0]), 0.3), (_SPREAD_X, np.array([1.0]), 0.8)],
        strategy=_THRESHOLD_PROBLEMS,
        headline="`predict` gives wrong predictions at a threshold other than 0.5: 1 where the "
        "probability is >= threshold, else 0.",
        misconceptions=THRESHOLD_MISTAKES,
        allow_bool=True,
    )


def _proba_ratio(X: Any, w: Any) -> Any:
    e = np.exp(np.asarray(X, dtype=float) @ np.asarray(w, dtype=float))
    return e / (1 + e)


PROBA_MISTAKES = (
    Misconception(
        "sigmoid-overflow",
        "np.exp(z) / (1 + np.exp(z)) overflows to inf/inf = nan for z above ~710. Use "
        "1 / (1 + np.exp(-z)) for z >= 0 and np.exp(z) / (1 + np.exp(z)) for z < 0, or "
        "scipy.special.expit.",
        _proba_ratio,
    ),
)


@st.composite
def _large_logit_problems(draw: st.DrawFn) -> Args:
    X, w = draw(_prob_problems())
    scale = draw(st.sampled_from([100.0, 300.0, 1000.0]))
    return X * scale, w


def check_predict_proba_is_stable_for_large_logits(ctx: CheckContext) -> None:
    """predict_proba stays finite and correct when |X·w| reaches the hundreds or thousands."""
    agree_with_reference(
        ctx,
        ref_logistic.predict_proba,
        regression=[(np.array([[800.0], [-800.0], [30.0], [-745.0], [0.0]]), np.array([1.0]))],
        strategy=_large_logit_problems(),
        headline="`predict_proba` is not numerically stable for large logits |X·w|.",
        misconceptions=PROBA_MISTAKES,
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


PRECISION_MISTAKES = (
    Misconception(
        "precision-recall-swapped",
        "this is recall, TP / (TP + FN); precision is TP / (TP + FP).",
        _precision_recall_swapped,
    ),
)

RECALL_MISTAKES = (
    Misconception(
        "precision-recall-swapped",
        "this is precision, TP / (TP + FP); recall is TP / (TP + FN).",
        _recall_precision_swapped,
    ),
)


def check_score_matches_reference(
    ctx: CheckContext, reference: Any, mistakes: tuple[Misconception, ...]
) -> None:
    """A score of (y_true, y_pred) agrees with ``reference`` (listed once per score)."""
    agree_with_reference(
        ctx,
        reference,
        regression=[(_Y_TRUE, _Y_PRED)],
        strategy=_label_pairs(),
        misconceptions=mistakes,
    )


def check_zero_division(ctx: CheckContext, reference: Any, what: str) -> None:
    """A score is 0.0, not nan, when nothing is predicted positive (listed once per score)."""
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


# --- ROC and AUC -------------------------------------------------------------------------------


def _curve_parts(ctx: CheckContext, args: Args, value: Any) -> tuple[Any, Any, Any]:
    """fpr, tpr and thresholds as validated 1-D float arrays of one length, or a failure."""
    if type(value) is np.ndarray and value.ndim == 2 and value.shape[0] == 3:
        value = list(value)  # np.array([fpr, tpr, thresholds]) unpacks like the tuple
    if not (isinstance(value, (tuple, list)) and len(value) == 3):
        # The rows (fpr, tpr, thresholds) it should have held, for the shape in the message.
        expected = np.stack(ref.roc_curve(*args))
        raise fail(
            ctx,
            "`roc_curve` must return a tuple (fpr, tpr, thresholds).",
            args=args,
            mismatch=compare(expected, value, ctx.tolerance),
        )
    parts = []
    for what, part in zip(("fpr", "tpr", "thresholds"), value, strict=True):
        checked = as_plain_array(part, name=what)
        if isinstance(checked, Mismatch):
            raise fail(
                ctx,
                f"`roc_curve` returned {what} that are not numbers.",
                args=args,
                mismatch=checked,
            )
        parts.append(checked.astype(float))
    fpr, tpr, thresholds = parts
    if not (fpr.ndim == 1 and fpr.shape == tpr.shape == thresholds.shape and fpr.size >= 2):
        raise fail(
            ctx,
            "fpr, tpr and thresholds must be 1-D arrays of one length, one entry per point of "
            f"the curve (at least two); got shapes {fpr.shape}, {tpr.shape} and "
            f"{thresholds.shape}.",
            args=args,
        )
    return fpr, tpr, thresholds


def _snapped(thresholds: Any, distinct: Any, tolerance: Tolerance) -> Any:
    """Each threshold, moved onto the distinct score it equals within the tolerance (a float32
    copy of a score is still that score), else left as it is."""
    result = thresholds.copy()
    for i, t in enumerate(thresholds):
        if np.any(distinct == t):
            continue  # a score itself: nothing to snap (two scores may lie within tolerance)
        gap = np.abs(distinct - t)
        nearest = int(np.argmin(gap))
        if gap[nearest] <= tolerance.atol + tolerance.rtol * abs(distinct[nearest]):
            result[i] = distinct[nearest]
    return result


def _roc_property(ctx: CheckContext, args: Args, value: Any, headline: str) -> None:
    """Any correct ROC curve passes: scikit-learn's with or without ``drop_intermediate``, a
    first threshold of inf or max + 1, thresholds that are the scores or lie between them.

    A correct curve starts at (0, 0) and ends at (1, 1), its thresholds decrease strictly,
    each point is the (fpr, tpr) of 'score >= threshold' at its own threshold, and the points
    it leaves out of the full curve (one point per distinct score) lie on a straight line
    between the points it keeps, so the area and the shape are the same.
    """
    y_true, scores = args
    fpr, tpr, thresholds = _curve_parts(ctx, args, value)
    s = np.asarray(scores, dtype=float)
    if not thresholds[0] > np.max(s):
        raise fail(
            ctx,
            "thresholds should start with a value above every score (np.inf, or the highest "
            "score + 1), so that the curve starts at (0, 0); then come the scores in "
            f"decreasing order. Your first threshold is {float(thresholds[0]):.10g}.",
            args=args,
        )
    if not np.all(np.diff(thresholds) < 0):
        raise fail(
            ctx,
            "thresholds should decrease strictly: one threshold per distinct score in "
            "decreasing order (samples with equal scores cross the threshold together).",
            args=args,
        )
    distinct = np.unique(s)[::-1]
    at = _snapped(thresholds, distinct, ctx.tolerance)
    mine = np.stack([fpr, tpr])
    mismatch = compare(_rates_at(y_true, s, at), mine, ctx.tolerance)
    if mismatch is not None:
        raise fail(
            ctx,
            headline + " 'expected' is (fpr, tpr) of 'score >= threshold' at your thresholds.",
            args=args,
            mismatch=mismatch,
            diagnosis=diagnose(ROC_MISTAKES, (y_true, s, at), mine, ctx.tolerance),
        )
    if not at[-1] <= distinct[-1]:
        raise fail(
            ctx,
            "The curve must end at (1, 1): the last threshold must be the lowest score, so "
            "that every sample is predicted positive. Your last threshold is "
            f"{float(at[-1]):.10g}.",
            args=args,
        )
    _check_only_collinear_points_dropped(ctx, args, at, distinct)


def _check_only_collinear_points_dropped(
    ctx: CheckContext, args: Args, at: Any, distinct: Any
) -> None:
    y = np.asarray(args[0])
    s = np.asarray(args[1], dtype=float)
    # The full curve in counts (exact integers): point j admits the j highest distinct scores.
    admitted = s[None, :] >= np.r_[np.inf, distinct][:, None]
    fp = np.sum(admitted & (y == 0), axis=1)
    tp = np.sum(admitted & (y == 1), axis=1)
    kept = np.sum(distinct[None, :] >= at[:, None], axis=1)  # index of each point on it
    for a, b in zip(kept[:-1], kept[1:], strict=True):
        for j in range(a + 1, b):
            cross = (fp[b] - fp[a]) * (tp[j] - tp[a]) - (tp[b] - tp[a]) * (fp[j] - fp[a])
            if cross != 0:
                point = f"({fp[j] / max(fp[-1], 1):.6g}, {tp[j] / max(tp[-1], 1):.6g})"
                raise fail(
                    ctx,
                    f"The curve leaves out a corner: the point (fpr, tpr) = {point} at threshold "
                    f"{float(distinct[j - 1]):.10g} is not on the straight line between the points "
                    "kept around it. Only points on a straight line between their neighbours "
                    "may be dropped (as scikit-learn's drop_intermediate does).",
                    args=args,
                )


def check_roc_curve_points(
    ctx: CheckContext, regression: list[Args], strategy: Any, headline: str
) -> None:
    """Every point of the student's ROC curve is right (listed once per set of inputs)."""

    def prop(args: Args) -> None:
        _roc_property(ctx, args, call_student(ctx, *args), headline)

    search(ctx, prop, regression=regression, strategy=strategy)


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
    return _read_bundled(*_split_files(ctx))


def _split_files(ctx: CheckContext) -> tuple[str, str]:
    """The bundled training and test files (``[data.roles]`` train and test), as cache keys."""
    return str(ctx.assignment.data_file("train")), str(ctx.assignment.data_file("test"))


@functools.lru_cache(maxsize=4)
def _read_bundled(train_name: str, test_name: str) -> tuple[Any, Any, Any, Any]:
    import pandas as pd

    train = pd.read_csv(Path(train_name))
    test = pd.read_csv(Path(test_name))
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


def _auc_fixed_grid(X_train: Any, y_train: Any, X_test: Any, y_test: Any, Cs: Any) -> Any:
    return ref_reg.auc_by_C(X_train, y_train, X_test, y_test, np.array(_CS))


_CS = (0.001, 0.01, 0.1, 1.0, 10.0)
# A second grid, in another order and length: an experiment that ignores the Cs it is given
# (a grid written into the function) gets it wrong.
_OTHER_CS = (5.0, 0.05)


@functools.lru_cache(maxsize=8)
def _reference_aucs(train_name: str, test_name: str, Cs: tuple[float, ...]) -> Any:
    """The reference experiment on the bundled data: fitted once per process, not per student
    (five scikit-learn fits cost more than grading the rest of the assignment)."""
    result = ref_reg.auc_by_C(*_read_bundled(train_name, test_name), np.array(Cs))
    result.setflags(write=False)
    return result


def check_auc_by_C_matches_reference(ctx: CheckContext) -> None:
    """Test AUC of LogisticRegression(C=c) for each c, on the bundled breast-cancer split."""
    X_train, y_train, X_test, y_test = _bundled(ctx)
    split = _split_files(ctx)

    def expected(*args: Any) -> Any:
        return _reference_aucs(*split, tuple(float(c) for c in args[4]))

    agree_with_reference(
        ctx,
        expected,
        regression=[(X_train, y_train, X_test, y_test, np.array(Cs)) for Cs in (_CS, _OTHER_CS)],
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
            Misconception(
                "Cs-ignored",
                "the AUCs are those of a fixed grid of C values, not of the Cs passed in: loop "
                "over the `Cs` argument.",
                _auc_fixed_grid,
            ),
        ),
    )


# Variants of one check function are partials of it, each with its own id and property.
CHECKS = (
    check_predict_proba_matches_reference,
    check_predict_proba_is_stable_for_large_logits,
    check_predict_matches_reference,
    check_predict_threshold_is_inclusive,
    check_predict_uses_threshold,
    check_confusion_matrix_matches_reference,
    check_confusion_matrix_handles_missing_class,
    Check(
        "precision_matches_reference",
        functools.partial(
            check_score_matches_reference, reference=ref.precision, mistakes=PRECISION_MISTAKES
        ),
        doc="precision = TP / (TP + FP), 0.0 when nothing is predicted positive.",
    ),
    Check(
        "precision_zero_division",
        functools.partial(check_zero_division, reference=ref.precision, what="precision"),
        doc="precision is 0.0 when there are no predicted positives.",
    ),
    Check(
        "recall_matches_reference",
        functools.partial(
            check_score_matches_reference, reference=ref.recall, mistakes=RECALL_MISTAKES
        ),
        doc="recall = TP / (TP + FN), 0.0 when there are no positives.",
    ),
    Check(
        "accuracy_matches_reference",
        functools.partial(check_score_matches_reference, reference=ref.accuracy, mistakes=()),
        doc="accuracy = (TP + TN) / n.",
    ),
    Check(
        "f1_matches_reference",
        functools.partial(check_score_matches_reference, reference=ref.f1, mistakes=()),
        doc="F1 = 2 P R / (P + R), 0.0 when P + R = 0.",
    ),
    Check(
        "f1_zero_division",
        functools.partial(check_zero_division, reference=ref.f1, what="F1"),
        doc="F1 is 0.0 when precision and recall are both 0.",
    ),
    Check(
        "roc_curve_matches_reference",
        functools.partial(
            check_roc_curve_points,
            regression=[(_Y_TRUE, _SCORES)],
            strategy=_scored(),
            headline="`roc_curve` gives wrong points of the curve. Rows below: 0 = fpr, 1 = tpr.",
        ),
        doc="fpr and tpr at thresholds +inf, then each distinct score (positive iff score >= t).",
    ),
    Check(
        "roc_curve_handles_ties",
        functools.partial(
            check_roc_curve_points,
            regression=[(_Y_TRUE, _TIED)],
            strategy=None,
            headline="With tied scores, the curve must have one point per DISTINCT score "
            "(samples with equal scores cross the threshold together). Rows below: 0 = fpr, "
            "1 = tpr.",
        ),
        doc="Tied scores give one point of the curve per distinct score, not one per "
        "observation.",
    ),
    check_auc_matches_reference,
    Check(
        "auc_by_C_matches_reference",
        check_auc_by_C_matches_reference,
        data_roles=("train", "test"),
    ),
)
