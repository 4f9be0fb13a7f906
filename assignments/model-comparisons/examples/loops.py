# Alternative correct style: explicit loops over observations and thresholds, no vectorisation.
import math

import numpy as np
from sklearn.linear_model import LogisticRegression


def predict_proba(X, w):
    X = np.asarray(X, dtype=float)
    probabilities = np.zeros(X.shape[0])
    for i in range(X.shape[0]):
        z = 0.0
        for j in range(X.shape[1]):
            z += X[i, j] * w[j]
        if z >= 0:
            probabilities[i] = 1 / (1 + math.exp(-z))
        else:
            probabilities[i] = math.exp(z) / (1 + math.exp(z))
    return probabilities


def predict(X, w, threshold=0.5):
    labels = []
    for p in predict_proba(X, w):
        labels.append(1 if p >= threshold else 0)
    return np.array(labels, dtype=int)


def confusion_matrix(y_true, y_pred):
    tn = fp = fn = tp = 0
    for t, p in zip(y_true, y_pred):
        if t == 1 and p == 1:
            tp += 1
        elif t == 1:
            fn += 1
        elif p == 1:
            fp += 1
        else:
            tn += 1
    return np.array([[tn, fp], [fn, tp]])


def precision(y_true, y_pred):
    (tn, fp), (fn, tp) = confusion_matrix(y_true, y_pred).tolist()
    if tp + fp == 0:
        return 0.0
    return tp / (tp + fp)


def recall(y_true, y_pred):
    (tn, fp), (fn, tp) = confusion_matrix(y_true, y_pred).tolist()
    if tp + fn == 0:
        return 0.0
    return tp / (tp + fn)


def accuracy(y_true, y_pred):
    correct = 0
    for t, p in zip(y_true, y_pred):
        correct += int(t == p)
    return correct / len(y_true)


def f1(y_true, y_pred):
    p = precision(y_true, y_pred)
    r = recall(y_true, y_pred)
    if p + r == 0:
        return 0.0
    return 2 * p * r / (p + r)


def roc_curve(y_true, scores):
    distinct = sorted(set(float(s) for s in scores), reverse=True)
    thresholds = [math.inf] + distinct
    positives = sum(1 for t in y_true if t == 1)
    negatives = len(y_true) - positives
    fpr, tpr = [], []
    for threshold in thresholds:
        tp = fp = 0
        for t, s in zip(y_true, scores):
            if s >= threshold:
                if t == 1:
                    tp += 1
                else:
                    fp += 1
        tpr.append(tp / positives)
        fpr.append(fp / negatives)
    return np.array(fpr), np.array(tpr), np.array(thresholds)


def auc(fpr, tpr):
    area = 0.0
    for k in range(1, len(fpr)):
        area += (fpr[k] - fpr[k - 1]) * (tpr[k] + tpr[k - 1]) / 2
    return area


def auc_by_C(X_train, y_train, X_test, y_test, Cs):
    aucs = []
    for C in Cs:
        model = LogisticRegression(C=C, max_iter=10000)
        model.fit(X_train, y_train)
        fpr, tpr, _ = roc_curve(y_test, model.predict_proba(X_test)[:, 1])
        aucs.append(auc(fpr, tpr))
    return np.array(aucs)
