r"""Binary classification metrics for labels 0 (negative) and 1 (positive).

Label arguments are 1-D (a single column is accepted) and may be ints, bools or floats equal to
0/1; anything else raises ``ValueError``. With the confusion-matrix counts TN, FP, FN, TP, every
ratio whose denominator is 0 is defined as ``0.0`` (like scikit-learn's ``zero_division=0``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from reference._arrays import (
    FloatArray,
    IntArray,
    as_binary_labels,
    as_vector,
    check_same_length,
)

__all__ = [
    "accuracy",
    "auc",
    "confusion_matrix",
    "f1",
    "precision",
    "recall",
    "roc_auc",
    "roc_curve",
]


def _pair(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    t = as_binary_labels(y_true, "y_true")
    p = as_binary_labels(y_pred, "y_pred")
    check_same_length(t, p, "y_true and y_pred")
    return t, p


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def confusion_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> IntArray:
    r"""The 2x2 confusion matrix with the FIXED label order ``[0, 1]``.

    .. math::

        \begin{pmatrix} TN & FP \\ FN & TP \end{pmatrix}, \qquad
        C_{ab} = \#\{ i : y^{\text{true}}_i = a,\ y^{\text{pred}}_i = b \}

    Rows are the true label, columns the predicted label. The shape is ``(2, 2)`` and the
    dtype ``int64`` even when a class is absent (its row or column is then zero); this equals
    ``sklearn.metrics.confusion_matrix(y_true, y_pred, labels=[0, 1])``.
    """
    t, p = _pair(y_true, y_pred)
    # index 2 * true + pred: 0 = TN, 1 = FP, 2 = FN, 3 = TP
    counts = np.bincount(2 * t + p, minlength=4)
    return counts.reshape(2, 2).astype(np.int64)


def _counts(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> tuple[int, int, int, int]:
    (tn, fp), (fn, tp) = confusion_matrix(y_true, y_pred).tolist()
    return tn, fp, fn, tp


def precision(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    r"""Precision :math:`TP / (TP + FP)`: the share of predicted positives that are positive.

    ``0.0`` when nothing is predicted positive (:math:`TP + FP = 0`).
    """
    _, fp, _, tp = _counts(y_true, y_pred)
    return _ratio(tp, tp + fp)


def recall(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    r"""Recall (true positive rate) :math:`TP / (TP + FN)`.

    ``0.0`` when there are no true positives to find (:math:`TP + FN = 0`).
    """
    _, _, fn, tp = _counts(y_true, y_pred)
    return _ratio(tp, tp + fn)


def accuracy(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    r"""Accuracy :math:`(TP + TN) / n`; ``0.0`` for empty inputs (:math:`n = 0`)."""
    tn, fp, fn, tp = _counts(y_true, y_pred)
    return _ratio(tp + tn, tn + fp + fn + tp)


def f1(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    r"""F1 score, the harmonic mean of precision and recall.

    .. math::

        F_1 = \frac{2 \cdot \text{precision} \cdot \text{recall}}{\text{precision} + \text{recall}}
            = \frac{2\,TP}{2\,TP + FP + FN}

    Computed with the count form (exact, and equal to the ratio form whenever both are
    defined). ``0.0`` when :math:`TP = 0`, i.e. when precision and recall are both 0 (this
    includes :math:`2TP + FP + FN = 0`, all true negatives).
    """
    _, fp, fn, tp = _counts(y_true, y_pred)
    return _ratio(2 * tp, 2 * tp + fp + fn)


def _scores(scores: npt.ArrayLike) -> FloatArray:
    s = as_vector(scores, "scores")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores must be finite (no NaN or inf)")
    return s


def roc_curve(
    y_true: npt.ArrayLike, scores: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""Receiver operating characteristic: one point per distinct score, nothing dropped.

    Thresholds are ``+inf`` followed by the distinct scores in decreasing order. At threshold
    :math:`t` a sample is predicted positive iff its score is :math:`\ge t`, and

    .. math::

        \mathrm{TPR}(t) = \frac{\#\{i : y_i = 1,\ s_i \ge t\}}{P}, \qquad
        \mathrm{FPR}(t) = \frac{\#\{i : y_i = 0,\ s_i \ge t\}}{N}.

    Tied scores enter together (one point per distinct score), so the curve starts at
    ``(0, 0)`` (threshold ``inf``) and ends at ``(1, 1)`` (the smallest score). This equals
    ``sklearn.metrics.roc_curve(y_true, scores, drop_intermediate=False)``.

    Parameters
    ----------
    y_true : array_like of shape (n,)
        0/1 labels; both classes must be present.
    scores : array_like of shape (n,)
        Finite scores; higher means "more positive".

    Returns
    -------
    fpr, tpr, thresholds : ndarray of shape (m + 1,)
        ``m`` is the number of distinct scores; ``fpr`` and ``tpr`` are non-decreasing.

    Raises
    ------
    ValueError
        If ``y_true`` holds only one class (then TPR or FPR is 0/0), or inputs are invalid.
    """
    t = as_binary_labels(y_true, "y_true")
    s = _scores(scores)
    check_same_length(t, s, "y_true and scores")
    positives = int(t.sum())
    negatives = t.size - positives
    if positives == 0 or negatives == 0:
        if t.size == 0:
            raise ValueError("roc_curve needs both classes in y_true, but y_true is empty")
        only = "0 (negative)" if positives == 0 else "1 (positive)"
        rate = "true" if positives == 0 else "false"
        raise ValueError(
            f"roc_curve needs both classes in y_true, but all {t.size} labels are {only}; "
            f"the {rate} positive rate would divide by zero"
        )
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    t_sorted = t[order]
    tps = np.cumsum(t_sorted)
    fps = np.cumsum(1 - t_sorted)
    # Last position of each run of equal scores: a threshold admits all tied samples at once.
    last = np.r_[np.flatnonzero(np.diff(s_sorted) != 0.0), s_sorted.size - 1]
    tpr = np.r_[0, tps[last]] / positives
    fpr = np.r_[0, fps[last]] / negatives
    thresholds = np.r_[np.inf, s_sorted[last]]
    return fpr.astype(np.float64), tpr.astype(np.float64), thresholds.astype(np.float64)


def auc(fpr: npt.ArrayLike, tpr: npt.ArrayLike) -> float:
    r"""Area under a curve by the trapezoidal rule (the ROC AUC for ``roc_curve`` output).

    .. math::

        \mathrm{AUC} = \sum_{k=1}^{m} (x_k - x_{k-1}) \, \frac{y_k + y_{k-1}}{2}

    with ``x = fpr``, ``y = tpr``. ``fpr`` must be monotone; if it is non-increasing the sign is
    flipped so the area is the same as for the reversed curve (as ``sklearn.metrics.auc``).

    Raises
    ------
    ValueError
        If fewer than 2 points are given, lengths differ, values are not finite, or ``fpr``
        is not monotone.
    """
    x = as_vector(fpr, "fpr")
    y = as_vector(tpr, "tpr")
    check_same_length(x, y, "fpr and tpr")
    if x.size < 2:
        raise ValueError(f"auc needs at least 2 points; got {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("fpr and tpr must be finite")
    dx = np.diff(x)
    if np.all(dx >= 0):
        direction = 1.0
    elif np.all(dx <= 0):
        direction = -1.0
    else:
        raise ValueError("fpr must be monotone (non-decreasing or non-increasing)")
    return direction * float(np.sum(dx * (y[1:] + y[:-1]) / 2.0))


def roc_auc(y_true: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    r"""Area under the ROC curve: ``auc(*roc_curve(y_true, scores)[:2])``.

    .. math::

        \mathrm{AUC} = P(s_+ > s_-) + \tfrac{1}{2} P(s_+ = s_-),

    the probability that a random positive scores above a random negative, ties counting one
    half (the Mann-Whitney statistic); equals ``sklearn.metrics.roc_auc_score``.

    Parameters
    ----------
    y_true : array_like of shape (n,)
        0/1 labels with both classes present.
    scores : array_like of shape (n,)
        Finite scores.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Like :func:`roc_curve`.
    """
    fpr, tpr, _ = roc_curve(y_true, scores)
    return auc(fpr, tpr)
