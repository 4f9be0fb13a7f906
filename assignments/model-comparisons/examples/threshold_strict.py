# Typical mistake: `>` where the rule is `>=`, both in predict and in the ROC curve. With the
# thresholds taken from the scores themselves, every ROC point is shifted by one threshold.
import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score


def predict_proba(X, w):
    return expit(np.dot(X, w))


def predict(X, w, threshold=0.5):
    return (predict_proba(X, w) > threshold).astype(int)


def confusion_matrix(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return np.array([
        [np.sum((y_true == 0) & (y_pred == 0)), np.sum((y_true == 0) & (y_pred == 1))],
        [np.sum((y_true == 1) & (y_pred == 0)), np.sum((y_true == 1) & (y_pred == 1))],
    ])


def precision(y_true, y_pred):
    (_, fp), (_, tp) = confusion_matrix(y_true, y_pred)
    return tp / (tp + fp) if tp + fp else 0.0


def recall(y_true, y_pred):
    (_, _), (fn, tp) = confusion_matrix(y_true, y_pred)
    return tp / (tp + fn) if tp + fn else 0.0


def accuracy(y_true, y_pred):
    return np.mean(np.asarray(y_true) == np.asarray(y_pred))


def f1(y_true, y_pred):
    p, r = precision(y_true, y_pred), recall(y_true, y_pred)
    return 2 * p * r / (p + r) if p + r else 0.0


def roc_curve(y_true, scores):
    y_true = np.asarray(y_true)
    scores = np.asarray(scores)
    thresholds = np.r_[np.inf, np.sort(np.unique(scores))[::-1]]
    fpr, tpr = [], []
    for t in thresholds:
        predicted = scores > t
        tpr.append(np.sum(predicted & (y_true == 1)) / np.sum(y_true == 1))
        fpr.append(np.sum(predicted & (y_true == 0)) / np.sum(y_true == 0))
    return np.array(fpr), np.array(tpr), thresholds


def auc(fpr, tpr):
    return np.trapezoid(tpr, fpr)


def auc_by_C(X_train, y_train, X_test, y_test, Cs):
    return np.array([
        roc_auc_score(y_test, LogisticRegression(C=c, max_iter=10000).fit(X_train, y_train)
                      .predict_proba(X_test)[:, 1])
        for c in Cs
    ])
