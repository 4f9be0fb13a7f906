# Typical mistakes: the confusion matrix laid out [[TP, FN], [FP, TN]] (positives first), and a
# precision that divides by zero (ZeroDivisionError) when nothing is predicted positive.
import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression


def predict_proba(X, w):
    return expit(X @ w)


def predict(X, w, threshold=0.5):
    return np.array(predict_proba(X, w) >= threshold, dtype=int)


def confusion_matrix(y_true, y_pred):
    tp = fn = fp = tn = 0
    for t, p in zip(y_true, y_pred):
        if t == 1:
            if p == 1:
                tp += 1
            else:
                fn += 1
        elif p == 1:
            fp += 1
        else:
            tn += 1
    return np.array([[tp, fn], [fp, tn]])


def precision(y_true, y_pred):
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred).tolist()
    return tp / (tp + fp)


def recall(y_true, y_pred):
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred).tolist()
    return tp / (tp + fn) if tp + fn else 0.0


def accuracy(y_true, y_pred):
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred).tolist()
    return (tp + tn) / (tp + fn + fp + tn)


def f1(y_true, y_pred):
    (tp, fn), (fp, tn) = confusion_matrix(y_true, y_pred).tolist()
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def roc_curve(y_true, scores):
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    thresholds = np.r_[np.inf, np.unique(s)[::-1]]
    tpr = np.array([np.mean(s[y == 1] >= t) for t in thresholds])
    fpr = np.array([np.mean(s[y == 0] >= t) for t in thresholds])
    return fpr, tpr, thresholds


def auc(fpr, tpr):
    return float(np.trapezoid(tpr, fpr))


def auc_by_C(X_train, y_train, X_test, y_test, Cs):
    out = np.zeros(len(Cs))
    for i, C in enumerate(Cs):
        model = LogisticRegression(C=C, max_iter=10000).fit(X_train, y_train)
        fpr, tpr, _ = roc_curve(y_test, model.predict_proba(X_test)[:, 1])
        out[i] = auc(fpr, tpr)
    return out
