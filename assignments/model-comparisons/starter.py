"""Evaluating classifiers: starter module.

Fill in the functions below (replace each ``raise NotImplementedError`` with your code), keeping
their names and parameters exactly as given, then check your work from a terminal:

    grader check starter.py --assignment model-comparisons

Labels are 0 (negative) and 1 (positive). The grader calls your functions with its own inputs,
including edge cases (a class that never occurs, nothing predicted positive, tied scores), and
compares with a reference solution. Do not modify the arrays you are given.
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (you will need it)


def predict_proba(X, w):
    r"""Predicted probabilities of class 1 for a logistic model without intercept.

    .. math::

        p_i = \sigma(x_i^\top w) = \frac{1}{1 + e^{-x_i^\top w}}

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
    w : numpy.ndarray of shape (d,)

    Returns
    -------
    numpy.ndarray of shape (n,)
        Probabilities in ``[0, 1]``; compute the sigmoid stably (``scipy.special.expit`` or
        ``np.exp(-np.abs(z))`` by sign) so large ``|z|`` gives no ``nan``.
    """
    raise NotImplementedError("predict_proba")


def predict(X, w, threshold=0.5):
    r"""Class predictions: 1 where the probability reaches the threshold.

    .. math::

        \hat y_i = \begin{cases} 1 & p_i \ge \texttt{threshold} \\ 0 & \text{otherwise}
        \end{cases}

    A probability exactly equal to the threshold predicts 1.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
    w : numpy.ndarray of shape (d,)
    threshold : float, default 0.5

    Returns
    -------
    numpy.ndarray of shape (n,)
        0/1 integers.
    """
    raise NotImplementedError("predict")


def confusion_matrix(y_true, y_pred):
    r"""The 2x2 confusion matrix, rows = true class, columns = predicted class.

    .. math::

        \begin{pmatrix} TN & FP \\ FN & TP \end{pmatrix}

    The label order is fixed, ``[0, 1]``: the result is 2x2 even if a class never occurs.

    Parameters
    ----------
    y_true, y_pred : numpy.ndarray of shape (n,)
        0/1 labels.

    Returns
    -------
    numpy.ndarray of shape (2, 2)
        Integer counts ``[[TN, FP], [FN, TP]]``.
    """
    raise NotImplementedError("confusion_matrix")


def precision(y_true, y_pred):
    r"""Precision, the share of predicted positives that are positive.

    .. math::

        \text{precision} = \frac{TP}{TP + FP}

    Returns
    -------
    float
        ``0.0`` when nothing is predicted positive (:math:`TP + FP = 0`).
    """
    raise NotImplementedError("precision")


def recall(y_true, y_pred):
    r"""Recall (true positive rate), the share of positives that are found.

    .. math::

        \text{recall} = \frac{TP}{TP + FN}

    Returns
    -------
    float
        ``0.0`` when there are no positives (:math:`TP + FN = 0`).
    """
    raise NotImplementedError("recall")


def accuracy(y_true, y_pred):
    r"""Accuracy, the share of correct predictions.

    .. math::

        \text{accuracy} = \frac{TP + TN}{n}

    Returns
    -------
    float
    """
    raise NotImplementedError("accuracy")


def f1(y_true, y_pred):
    r"""F1 score, the harmonic mean of precision and recall.

    .. math::

        F_1 = \frac{2 \cdot \text{precision} \cdot \text{recall}}{\text{precision} + \text{recall}}
            = \frac{2\,TP}{2\,TP + FP + FN}

    Returns
    -------
    float
        ``0.0`` when precision and recall are both 0 (no true positives).
    """
    raise NotImplementedError("f1")


def roc_curve(y_true, scores):
    r"""The ROC curve: false and true positive rates at every threshold.

    The thresholds are ``np.inf`` followed by the distinct scores in decreasing order. At
    threshold :math:`t` an observation is predicted positive iff its score is :math:`\ge t`:

    .. math::

        \mathrm{FPR}(t) = \frac{\#\{i : y_i = 0,\ s_i \ge t\}}{\#\{i : y_i = 0\}}, \qquad
        \mathrm{TPR}(t) = \frac{\#\{i : y_i = 1,\ s_i \ge t\}}{\#\{i : y_i = 1\}}

    Tied scores cross a threshold together: one point per distinct score.

    Parameters
    ----------
    y_true : numpy.ndarray of shape (n,)
        0/1 labels, both classes present.
    scores : numpy.ndarray of shape (n,)
        Higher means "more likely positive" (e.g. probabilities).

    Returns
    -------
    tuple of numpy.ndarray
        ``(fpr, tpr, thresholds)``, each of length (number of distinct scores + 1); the curve
        starts at (0, 0) and ends at (1, 1).
    """
    raise NotImplementedError("roc_curve")


def auc(fpr, tpr):
    r"""Area under a curve by the trapezoidal rule.

    .. math::

        \mathrm{AUC} = \sum_{k=1}^{m} \left( x_k - x_{k-1} \right) \frac{y_k + y_{k-1}}{2},
        \qquad x = \text{fpr},\ y = \text{tpr}

    Parameters
    ----------
    fpr, tpr : numpy.ndarray of shape (m + 1,)
        Points of the curve, ``fpr`` non-decreasing.

    Returns
    -------
    float
    """
    raise NotImplementedError("auc")


def auc_by_C(X_train, y_train, X_test, y_test, Cs):
    r"""Test-set ROC AUC of L2-regularised logistic regression for each ``C``.

    For each ``C`` in ``Cs``: fit
    ``sklearn.linear_model.LogisticRegression(C=C, max_iter=10000)`` (everything else at its
    default: L2 penalty, lbfgs, with intercept) on the training data, take the predicted
    probabilities of class 1 on the TEST data, ``model.predict_proba(X_test)[:, 1]``, and
    compute their AUC against ``y_test`` (your ``roc_curve`` and ``auc``, or
    ``sklearn.metrics.roc_auc_score``). ``C`` is the INVERSE regularisation strength: small
    ``C``, strong penalty.

    Parameters
    ----------
    X_train, y_train, X_test, y_test : numpy.ndarray
    Cs : sequence of float
        Positive values.

    Returns
    -------
    numpy.ndarray of shape (len(Cs),)
        The test AUCs, in the order of ``Cs``.
    """
    raise NotImplementedError("auc_by_C")
