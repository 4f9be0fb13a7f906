# Typical mistake: F1 from ratios computed with numpy integers: when nothing is predicted positive,
# tp / (tp + fp) is 0 / 0 = nan (with a RuntimeWarning), and so is the F1 score.
import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score


def predict_proba(X, w):
    return expit(np.asarray(X) @ np.asarray(w))


def predict(X, w, threshold=0.5):
    return (predict_proba(X, w) >= threshold).astype(np.int64)


def confusion_matrix(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    matrix = np.zeros((2, 2), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def precision(y_true, y_pred):
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred).ravel()
    return tp / (tp + fp) if tp + fp > 0 else 0.0


def recall(y_true, y_pred):
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred).ravel()
    return tp / (tp + fn) if tp + fn > 0 else 0.0


def accuracy(y_true, y_pred):
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred).ravel()
    return (tp + tn) / (tn + fp + fn + tp)


def f1(y_true, y_pred):
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred).ravel()
    p = tp / (tp + fp)
    r = tp / (tp + fn)
    return 2 * p * r / (p + r)


def roc_curve(y_true, scores):
    y_true = np.asarray(y_true)
    scores = np.asarray(scores, dtype=float)
    thresholds = np.r_[np.inf, np.unique(scores)[::-1]]
    predicted = scores[None, :] >= thresholds[:, None]       # one row per threshold
    tpr = (predicted & (y_true == 1)).sum(axis=1) / (y_true == 1).sum()
    fpr = (predicted & (y_true == 0)).sum(axis=1) / (y_true == 0).sum()
    return fpr, tpr, thresholds


def auc(fpr, tpr):
    return float(np.trapezoid(tpr, fpr))


def auc_by_C(X_train, y_train, X_test, y_test, Cs):
    scores = []
    for C in Cs:
        model = LogisticRegression(C=C, max_iter=10000).fit(X_train, y_train)
        scores.append(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))
    return np.array(scores)
