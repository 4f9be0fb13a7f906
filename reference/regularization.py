r"""The regularisation experiment: test ROC AUC of L2-penalised logistic regression against ``C``.

scikit-learn's ``LogisticRegression`` minimises

.. math::

    \frac{1}{2} \|w\|_2^2 + C \sum_{i=1}^{n} \log\left(1 + e^{-\tilde y_i (x_i^\top w + b)}\right),
    \qquad \tilde y_i = 2 y_i - 1,

so a SMALLER ``C`` means a STRONGER penalty (the inverse of the usual :math:`\lambda`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from reference._arrays import FloatArray, as_binary_labels, as_matrix, as_vector

__all__ = ["auc_by_C"]


def auc_by_C(
    X_train: npt.ArrayLike,
    y_train: npt.ArrayLike,
    X_test: npt.ArrayLike,
    y_test: npt.ArrayLike,
    Cs: npt.ArrayLike,
) -> FloatArray:
    r"""Test ROC AUC of ``LogisticRegression(C=c, max_iter=10000)`` for each ``c`` in ``Cs``.

    For each ``c``: fit ``sklearn.linear_model.LogisticRegression(C=c, max_iter=10000)``
    (lbfgs, L2 penalty, intercept, every other option at its default) on the training set,
    then score :math:`\mathrm{AUC}_c` = ``sklearn.metrics.roc_auc_score(y_test,
    model.predict_proba(X_test)[:, 1])``.

    Parameters
    ----------
    X_train, X_test : array_like of shape (n_train, d), (n_test, d)
    y_train, y_test : array_like of 0/1 labels
        Both classes must be present in each.
    Cs : array_like of shape (k,)
        Inverse regularisation strengths, each ``> 0``.

    Returns
    -------
    ndarray of shape (k,)
        ``AUC_c`` in the order of ``Cs``.
    """
    from sklearn.linear_model import LogisticRegression  # heavy import, only when used
    from sklearn.metrics import roc_auc_score

    Xtr = as_matrix(X_train, "X_train")
    Xte = as_matrix(X_test, "X_test")
    ytr = as_binary_labels(y_train, "y_train")
    yte = as_binary_labels(y_test, "y_test")
    Cs_ = as_vector(Cs, "Cs")
    if not np.all(Cs_ > 0):
        raise ValueError("every C in Cs must be > 0 (C is an inverse regularisation strength)")
    if Xtr.shape[0] != ytr.shape[0] or Xte.shape[0] != yte.shape[0]:
        raise ValueError("X_train/y_train and X_test/y_test must have matching numbers of rows")
    if Xtr.shape[1] != Xte.shape[1]:
        raise ValueError(
            f"X_train and X_test must have the same columns; got {Xtr.shape[1]} and {Xte.shape[1]}"
        )
    aucs = np.empty(Cs_.shape[0])
    for j, c in enumerate(Cs_):
        model = LogisticRegression(C=float(c), max_iter=10000).fit(Xtr, ytr)
        aucs[j] = roc_auc_score(yte, model.predict_proba(Xte)[:, 1])
    return aucs
