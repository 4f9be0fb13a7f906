# Typical mistake: the regularisation loop never passes C to the model, so every C gives the
# same AUC (that of the default C = 1.0).
import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression


def predict_proba(X, w):
    return expit(np.dot(X, w))


def predict(X, w, threshold=0.5):
    return np.where(predict_proba(X, w) >= threshold, 1, 0)


def confusion_matrix(y_true, y_pred):
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    tn = np.sum((y_true == 0) & (y_pred == 0))
    fp = np.sum((y_true == 0) & (y_pred == 1))
    fn = np.sum((y_true == 1) & (y_pred == 0))
    tp = np.sum((y_true == 1) & (y_pred == 1))
    return np.array([[tn, fp], [fn, tp]])


def precision(y_true, y_pred):
    cm = confusion_matrix(y_true, y_pred)
    predicted_positive = cm[0, 1] + cm[1, 1]
    return cm[1, 1] / predicted_positive if predicted_positive else 0.0


def recall(y_true, y_pred):
    cm = confusion_matrix(y_true, y_pred)
    positives = cm[1, 0] + cm[1, 1]
    return cm[1, 1] / positives if positives else 0.0


def accuracy(y_true, y_pred):
    cm = confusion_matrix(y_true, y_pred)
    return np.trace(cm) / cm.sum()


def f1(y_true, y_pred):
    p = precision(y_true, y_pred)
    r = recall(y_true, y_pred)
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def roc_curve(y_true, scores):
    y_true = np.asarray(y_true)
    scores = np.asarray(scores, dtype=float)
    thresholds = np.concatenate([[np.inf], np.unique(scores)[::-1]])
    fpr = [np.sum((scores >= t) & (y_true == 0)) / np.sum(y_true == 0) for t in thresholds]
    tpr = [np.sum((scores >= t) & (y_true == 1)) / np.sum(y_true == 1) for t in thresholds]
    return np.array(fpr), np.array(tpr), thresholds


def auc(fpr, tpr):
    return float(np.trapezoid(tpr, fpr))


def auc_by_C(X_train, y_train, X_test, y_test, Cs):
    aucs = []
    for C in Cs:
        model = LogisticRegression(max_iter=10000)
        model.fit(X_train, y_train)
        fpr, tpr, _ = roc_curve(y_test, model.predict_proba(X_test)[:, 1])
        aucs.append(auc(fpr, tpr))
    return np.array(aucs)
