"""Alternative correct style with pandas: crosstab for the confusion matrix, groupby for the ROC
curve, and decision_function scores (the same ranking as the probabilities, so the same AUC)."""

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression


def predict_proba(X, w):
    z = pd.DataFrame(X).dot(np.asarray(w, dtype=float)).to_numpy()
    return np.exp(-np.logaddexp(0, -z))


def predict(X, w, threshold=0.5):
    return np.where(predict_proba(X, w) >= threshold, 1, 0)


def confusion_matrix(y_true, y_pred):
    table = pd.crosstab(pd.Series(np.asarray(y_true), name="true"),
                        pd.Series(np.asarray(y_pred), name="pred"))
    # crosstab only has the labels that occur: put both back, in the order 0, 1
    table = table.reindex(index=[0, 1], columns=[0, 1], fill_value=0)
    return table.to_numpy().astype(np.int64)


def _counts(y_true, y_pred):
    frame = pd.DataFrame({"t": np.asarray(y_true), "p": np.asarray(y_pred)})
    tp = int(((frame.t == 1) & (frame.p == 1)).sum())
    fp = int(((frame.t == 0) & (frame.p == 1)).sum())
    fn = int(((frame.t == 1) & (frame.p == 0)).sum())
    return tp, fp, fn


def precision(y_true, y_pred):
    tp, fp, _ = _counts(y_true, y_pred)
    return tp / (tp + fp) if tp + fp else 0.0


def recall(y_true, y_pred):
    tp, _, fn = _counts(y_true, y_pred)
    return tp / (tp + fn) if tp + fn else 0.0


def accuracy(y_true, y_pred):
    return float((pd.Series(np.asarray(y_true)) == pd.Series(np.asarray(y_pred))).mean())


def f1(y_true, y_pred):
    p, r = precision(y_true, y_pred), recall(y_true, y_pred)
    return 2 * p * r / (p + r) if p + r else 0.0


def roc_curve(y_true, scores):
    frame = pd.DataFrame({"score": np.asarray(scores, dtype=float), "y": np.asarray(y_true)})
    per_score = frame.groupby("score")["y"].agg(["sum", "count"]).sort_index(ascending=False)
    tp = per_score["sum"].cumsum()
    fp = (per_score["count"] - per_score["sum"]).cumsum()
    tpr = np.r_[0.0, (tp / frame.y.sum()).to_numpy()]
    fpr = np.r_[0.0, (fp / (len(frame) - frame.y.sum())).to_numpy()]
    return fpr, tpr, np.r_[np.inf, per_score.index.to_numpy()]


def auc(fpr, tpr):
    x = pd.Series(np.asarray(fpr, dtype=float))
    y = pd.Series(np.asarray(tpr, dtype=float))
    return float((x.diff() * (y + y.shift()) / 2).sum())


def auc_by_C(X_train, y_train, X_test, y_test, Cs):
    aucs = []
    for C in Cs:
        model = LogisticRegression(C=C, max_iter=10000).fit(X_train, y_train)
        fpr, tpr, _ = roc_curve(y_test, model.decision_function(X_test))
        aucs.append(auc(fpr, tpr))
    return np.array(aucs)
