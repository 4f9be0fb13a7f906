"""Alternative correct style, fully vectorised: bincount for the confusion matrix, a sort and
cumulative sums for the ROC curve, np.trapezoid for the area, boolean predictions, and
scikit-learn's roc_auc_score for the regularisation experiment."""

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score


def predict_proba(X, w):
    return expit(np.asarray(X, dtype=float) @ np.asarray(w, dtype=float))


def predict(X, w, threshold=0.5):
    return predict_proba(X, w) >= threshold  # booleans are 0/1 labels too


def confusion_matrix(y_true, y_pred):
    codes = 2 * np.asarray(y_true, dtype=int) + np.asarray(y_pred, dtype=int)
    return np.bincount(codes, minlength=4).reshape(2, 2)


def _ratio(numerator, denominator):
    return float(numerator / denominator) if denominator else 0.0


def precision(y_true, y_pred):
    _, fp, _, tp = confusion_matrix(y_true, y_pred).ravel()
    return _ratio(tp, tp + fp)


def recall(y_true, y_pred):
    _, _, fn, tp = confusion_matrix(y_true, y_pred).ravel()
    return _ratio(tp, tp + fn)


def accuracy(y_true, y_pred):
    return float(np.trace(confusion_matrix(y_true, y_pred)) / len(y_true))


def f1(y_true, y_pred):
    _, fp, fn, tp = confusion_matrix(y_true, y_pred).ravel()
    return _ratio(2 * tp, 2 * tp + fp + fn)


def roc_curve(y_true, scores):
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(scores, dtype=float)
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    tps = np.cumsum(y)
    fps = np.cumsum(1 - y)
    last_of_run = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # tied scores enter together
    tpr = np.r_[0, tps[last_of_run]] / tps[-1]
    fpr = np.r_[0, fps[last_of_run]] / fps[-1]
    return fpr, tpr, np.r_[np.inf, s[last_of_run]]


def auc(fpr, tpr):
    return float(np.trapezoid(tpr, fpr))


def auc_by_C(X_train, y_train, X_test, y_test, Cs):
    return np.array([
        roc_auc_score(y_test, LogisticRegression(C=C, max_iter=10000).fit(X_train, y_train)
                      .predict_proba(X_test)[:, 1])
        for C in Cs
    ])
