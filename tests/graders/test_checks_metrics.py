"""Controls for the classifier-evaluation checks (``graders/checks/metrics.py``).

Positive controls: the reference (in process) and honest alternatives (in the sandbox) get every
point. Negative controls: each catalogued misconception fails its check with its diagnosis, as
the catalogue's variant and as a student writes it, and costs no other check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn import metrics as sk_metrics

from graders.checks import metrics
from reference import metrics as ref
from tests.graders.grading import (
    METRICS,
    Graded,
    InProcessSession,
    as_student,
    assert_fails_as_expected,
    assert_full_marks,
    assert_only_these_fail,
    assignment,
    catalogued_misconceptions,
    float32_references,
    grade_controls,
    reference_functions,
    run_in_process,
)

SPEC = assignment(METRICS)
CHECK_IDS = [c.id for q in SPEC.questions for c in q.checks]

REFERENCE = reference_functions(METRICS)


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_reference_passes(check_id: str) -> None:
    record = run_in_process(METRICS, check_id, InProcessSession(REFERENCE))
    assert record.status == "passed", record.message


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_float32_results_pass(check_id: str) -> None:
    """The references' values rounded to float32 get every point: no tolerance is finer than
    float32 where the question does not need it."""
    record = run_in_process(METRICS, check_id, InProcessSession(float32_references(METRICS)))
    assert record.status == "passed", record.message


# (check, misconception name, mistaken variant, diagnosis regex); some catalogues are written
# inside their check, so the variants are named here rather than taken from a tuple.
CATALOGUE: list[tuple[str, str, Callable[..., Any], str]] = [
    (
        "predict_matches_reference",
        "threshold-strict",
        metrics.PREDICT_MISTAKES[0].variant,
        r"^threshold-strict: .*p >= threshold",
    ),
    (
        "predict_threshold_is_inclusive",
        "threshold-strict",
        metrics.PREDICT_MISTAKES[0].variant,
        r"^threshold-strict: ",
    ),
    (
        "confusion_matrix_matches_reference",
        "confusion-order-reversed",
        metrics.CONFUSION_MISTAKES[0].variant,
        r"^confusion-order-reversed: .*\[\[TN, FP\], \[FN, TP\]\]",
    ),
    (
        "confusion_matrix_matches_reference",
        "confusion-transposed",
        metrics.CONFUSION_MISTAKES[1].variant,
        r"^confusion-transposed: ",
    ),
    (
        "precision_matches_reference",
        "precision-recall-swapped",
        metrics._precision_recall_swapped,
        r"^precision-recall-swapped: this is recall",
    ),
    (
        "recall_matches_reference",
        "precision-recall-swapped",
        metrics._recall_precision_swapped,
        r"^precision-recall-swapped: this is precision",
    ),
    (
        "roc_curve_matches_reference",
        "roc-threshold-strict",
        metrics.ROC_MISTAKES[0].variant,
        r"^roc-threshold-strict: .*score >= t",
    ),
    (
        "roc_curve_handles_ties",
        "roc-threshold-strict",
        metrics.ROC_MISTAKES[0].variant,
        r"^roc-threshold-strict: ",
    ),
    ("auc_by_C_matches_reference", "C-ignored", metrics._auc_ignoring_c, r"^C-ignored: "),
    ("auc_by_C_matches_reference", "Cs-ignored", metrics._auc_fixed_grid, r"^Cs-ignored: "),
    (
        "predict_uses_threshold",
        "threshold-ignored",
        metrics._predict_ignoring_threshold,
        r"^threshold-ignored: .*`threshold`",
    ),
    (
        "predict_proba_is_stable_for_large_logits",
        "sigmoid-overflow",
        metrics._proba_ratio,
        r"^sigmoid-overflow: .*expit",
    ),
    (
        "auc_by_C_matches_reference",
        "auc-on-training-data",
        metrics._auc_on_train,
        r"^auc-on-training-data: .*held-out test set",
    ),
]


@pytest.mark.parametrize(
    ("check_id", "name", "variant", "diagnosis"),
    CATALOGUE,
    ids=[f"{n}-{c}" for c, n, _, _ in CATALOGUE],
)
def test_misconception_fails_with_its_diagnosis(
    check_id: str, name: str, variant: Callable[..., Any], diagnosis: str
) -> None:
    record = as_student(METRICS, check_id, variant)
    assert_fails_as_expected(record, "failed", diagnosis, "")


def test_catalogue_is_covered() -> None:
    assert catalogued_misconceptions(metrics) == {name for _, name, _, _ in CATALOGUE}


# --- the styles students write in (in process): each must get every point of its question -----


def _roc_lists(y_true: Any, scores: Any) -> Any:
    thresholds = [float("inf"), *sorted(set(scores), reverse=True)]
    positives = sum(y_true)
    negatives = len(y_true) - positives
    fpr = [
        sum(1 for y, s in zip(y_true, scores, strict=True) if s >= t and y == 0) / negatives
        for t in thresholds
    ]
    tpr = [
        sum(1 for y, s in zip(y_true, scores, strict=True) if s >= t and y == 1) / positives
        for t in thresholds
    ]
    return fpr, tpr, thresholds


def _roc_float32(y_true: Any, scores: Any) -> Any:
    curve = sk_metrics.roc_curve(y_true, scores, drop_intermediate=False)
    return tuple(part.astype(np.float32) for part in curve)


def _roc_midpoints(y_true: Any, scores: Any) -> Any:
    """Thresholds between the distinct scores (and below the lowest): the same points."""
    fpr, tpr, thresholds = ref.roc_curve(y_true, scores)
    distinct = thresholds[1:]
    between = np.r_[np.inf, (distinct[:-1] + distinct[1:]) / 2, distinct[-1] - 1.0]
    return fpr, tpr, between


def _confusion_lists(y_true: Any, y_pred: Any) -> list[list[int]]:
    counts = [[0, 0], [0, 0]]
    for t, p in zip(y_true, y_pred, strict=True):
        counts[int(t)][int(p)] += 1
    return counts


def _precision_float32(y_true: Any, y_pred: Any) -> Any:
    cm = ref.confusion_matrix(y_true, y_pred).astype(np.float32)
    return cm[1, 1] / (cm[1, 1] + cm[0, 1]) if cm[1, 1] + cm[0, 1] else 0.0


STYLES: list[tuple[str, Callable[..., Any]]] = [
    ("predict_proba", lambda X, w: expit(pd.DataFrame(X).dot(w))),  # a Series
    ("predict_proba", lambda X, w: pd.DataFrame(expit(X @ w), index=np.arange(len(X))[::-1])),
    (
        "predict_proba",
        lambda X, w: [float(expit(sum(a * b for a, b in zip(r, w, strict=True)))) for r in X],
    ),
    ("predict_proba", lambda X, w: expit(np.dot(X, w)).astype(np.float32)),
    ("predict", lambda X, w, threshold=0.5: expit(pd.DataFrame(X).dot(w)) >= threshold),
    ("predict", lambda X, w, threshold=0.5: [int(expit(np.dot(x, w)) >= threshold) for x in X]),
    ("predict", lambda X, w, threshold=0.5: (expit(X @ w) >= threshold).astype(float)),
    ("confusion_matrix", lambda t, p: sk_metrics.confusion_matrix(t, p, labels=[0, 1])),
    ("confusion_matrix", _confusion_lists),
    (
        "confusion_matrix",
        lambda t, p: pd.crosstab(pd.Series(t), pd.Series(p)).reindex(
            index=[0, 1], columns=[0, 1], fill_value=0
        ),
    ),
    ("precision", lambda t, p: sk_metrics.precision_score(t, p, zero_division=0)),
    ("precision", _precision_float32),
    ("recall", lambda t, p: sk_metrics.recall_score(t, p, zero_division=0)),
    ("accuracy", lambda t, p: (pd.Series(t) == pd.Series(p)).mean()),
    ("accuracy", lambda t, p: np.float32(sk_metrics.accuracy_score(t, p))),
    ("f1", lambda t, p: sk_metrics.f1_score(t, p, zero_division=0)),
    ("roc_curve", lambda y, s: sk_metrics.roc_curve(y, s)),  # drop_intermediate=True
    ("roc_curve", lambda y, s: sk_metrics.roc_curve(y, s, drop_intermediate=False)),
    ("roc_curve", lambda y, s: tuple(pd.Series(p) for p in sk_metrics.roc_curve(y, s))),
    ("roc_curve", _roc_lists),
    ("roc_curve", _roc_float32),
    ("roc_curve", _roc_midpoints),
    ("roc_curve", lambda y, s: np.array(sk_metrics.roc_curve(y, s))),  # rows fpr, tpr, thresholds
    ("auc", lambda f, t: sk_metrics.auc(f, t)),
    ("auc", lambda f, t: np.trapezoid(t, f)),
    ("auc", lambda f, t: sum((f[i] - f[i - 1]) * (t[i] + t[i - 1]) / 2 for i in range(1, len(f)))),
]


@pytest.mark.parametrize(
    ("name", "function"), STYLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(STYLES)]
)
def test_common_style_gets_every_point(name: str, function: Callable[..., Any]) -> None:
    for check_id in (c.id for q in SPEC.questions if q.name == name for c in q.checks):
        record = run_in_process(METRICS, check_id, InProcessSession({name: function}))
        assert record.status == "passed", f"{check_id}: {record.message}"


def test_curve_dropping_a_corner_fails() -> None:
    """Only collinear points may be left out: two points (0, 0) and (1, 1) are not the curve."""

    def roc_curve(y_true: Any, scores: Any) -> Any:
        fpr, tpr, thresholds = ref.roc_curve(y_true, scores)
        return fpr[[0, -1]], tpr[[0, -1]], thresholds[[0, -1]]

    record = as_student(METRICS, "roc_curve_matches_reference", roc_curve)
    assert_fails_as_expected(
        record,
        "failed",
        None,
        r"leaves out a corner: the point \(fpr, tpr\) = \(0, 0\.2\) at threshold 0\.95 is not",
    )


def test_curve_with_one_point_per_observation_fails() -> None:
    """A threshold per sample (ties repeated) is not strictly decreasing."""

    def roc_curve(y_true: Any, scores: Any) -> Any:
        s = np.sort(np.asarray(scores, dtype=float))[::-1]
        thresholds = np.r_[np.inf, s]
        fpr, tpr = metrics._rates_at(y_true, scores, thresholds)
        return fpr, tpr, thresholds

    record = as_student(METRICS, "roc_curve_handles_ties", roc_curve)
    assert_fails_as_expected(record, "failed", None, r"decrease strictly")


def test_curve_stopping_short_of_one_one_fails() -> None:
    def roc_curve(y_true: Any, scores: Any) -> Any:
        fpr, tpr, thresholds = ref.roc_curve(y_true, scores)
        return fpr[:-1], tpr[:-1], thresholds[:-1]

    record = as_student(METRICS, "roc_curve_matches_reference", roc_curve)
    assert_fails_as_expected(record, "failed", None, r"must end at \(1, 1\)")


def test_predictions_as_text_are_still_refused() -> None:
    """Accepting a pandas result means its values, and they must still be numbers."""
    record = as_student(
        METRICS,
        "predict_proba_matches_reference",
        lambda X, w: pd.Series(expit(X @ w)).map("{:.3f}".format),
    )
    assert_fails_as_expected(record, "failed", None, r"wrong type of value")


# --- submissions graded in the sandbox ---------------------------------------------------------

SKLEARN_STYLE = '''
"""Honest alternative: scikit-learn's metrics where they match the definitions (zero_division=0,
roc_curve without dropping points), np.add.at counts and boolean predictions."""
import numpy as np
from scipy.special import expit
from sklearn import metrics
from sklearn.linear_model import LogisticRegression


def predict_proba(X, w):
    return expit(np.dot(X, w))


def predict(X, w, threshold=0.5):
    return predict_proba(X, w) >= threshold


def confusion_matrix(y_true, y_pred):
    counts = np.zeros((2, 2), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)), 1)
    return counts


def precision(y_true, y_pred):
    return metrics.precision_score(y_true, y_pred, zero_division=0)


def recall(y_true, y_pred):
    return metrics.recall_score(y_true, y_pred, zero_division=0)


def accuracy(y_true, y_pred):
    return metrics.accuracy_score(y_true, y_pred)


def f1(y_true, y_pred):
    return metrics.f1_score(y_true, y_pred, zero_division=0)


def roc_curve(y_true, scores):
    return metrics.roc_curve(y_true, scores, drop_intermediate=False)


def auc(fpr, tpr):
    return metrics.auc(fpr, tpr)


def auc_by_C(X_train, y_train, X_test, y_test, Cs):
    aucs = []
    for C in Cs:
        model = LogisticRegression(C=C, max_iter=10000).fit(X_train, y_train)
        aucs.append(metrics.roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))
    return np.array(aucs)
'''

# One mistake per function; the checks of one function call only that function.
MISTAKES_A = """
import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score


def predict_proba(X, w):
    return expit(np.dot(X, w)).reshape(-1, 1)  # an (n, 1) column


def predict(X, w, threshold=0.5):
    return (expit(np.dot(X, w)) > threshold).astype(int)


def confusion_matrix(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    tp = np.sum((y_true == 1) & (y_pred == 1))
    fn = np.sum((y_true == 1) & (y_pred == 0))
    fp = np.sum((y_true == 0) & (y_pred == 1))
    tn = np.sum((y_true == 0) & (y_pred == 0))
    return np.array([[tp, fn], [fp, tn]])


def _counts(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    tp = int(np.sum((y_true == 1) & (y_pred == 1)))
    fp = int(np.sum((y_true == 0) & (y_pred == 1)))
    fn = int(np.sum((y_true == 1) & (y_pred == 0)))
    return tp, fp, fn


def precision(y_true, y_pred):
    tp, fp, fn = _counts(y_true, y_pred)
    return tp / (tp + fn) if tp + fn else 0.0  # this is recall


def recall(y_true, y_pred):
    tp, fp, fn = _counts(y_true, y_pred)
    return tp / (tp + fn) if tp + fn else 0.0


def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def f1(y_true, y_pred):
    tp, fp, fn = _counts(y_true, y_pred)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def roc_curve(y_true, scores):
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    thresholds = np.r_[np.inf, np.unique(scores)[::-1]]
    predicted = scores[None, :] > thresholds[:, None]  # > where the rule is >=
    tpr = (predicted & (y_true == 1)).sum(axis=1) / (y_true == 1).sum()
    fpr = (predicted & (y_true == 0)).sum(axis=1) / (y_true == 0).sum()
    return fpr, tpr, thresholds


def auc(fpr, tpr):
    return float(np.trapezoid(tpr, fpr))


def auc_by_C(X_train, y_train, X_test, y_test, Cs):
    model = LogisticRegression(max_iter=10000).fit(X_train, y_train)  # C is never passed
    return np.array([roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]) for C in Cs])
"""

MISTAKES_B = """
import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score


def predict_proba(X, w):
    return expit(np.dot(X, w))


def predict(X, w, threshold=0.5):
    return (predict_proba(X, w) >= threshold).astype(int)


def confusion_matrix(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    counts = np.zeros((2, 2), dtype=int)
    for t, p in zip(y_true, y_pred, strict=True):
        counts[p, t] += 1  # rows indexed by the prediction
    return counts


def precision(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    tp = np.sum((y_true == 1) & (y_pred == 1))
    fp = np.sum((y_true == 0) & (y_pred == 1))
    return tp / (tp + fp)  # numpy integers: 0 / 0 is nan, not an error


def recall(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    tp = int(np.sum((y_true == 1) & (y_pred == 1)))
    fp = int(np.sum((y_true == 0) & (y_pred == 1)))
    return tp / (tp + fp) if tp + fp else 0.0  # this is precision


def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def f1(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    tp = int(np.sum((y_true == 1) & (y_pred == 1)))
    wrong = int(np.sum(y_true != y_pred))
    return 2 * tp / (2 * tp + wrong) if tp else 0.0


def roc_curve(y_true, scores):
    # Right: the first threshold is just above the highest score instead of inf.
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    distinct = np.unique(scores)[::-1]
    thresholds = np.r_[distinct[0] + 1.0, distinct]
    predicted = scores[None, :] >= thresholds[:, None]
    tpr = (predicted & (y_true == 1)).sum(axis=1) / (y_true == 1).sum()
    fpr = (predicted & (y_true == 0)).sum(axis=1) / (y_true == 0).sum()
    return fpr, tpr, thresholds


def auc(fpr, tpr):
    fpr, tpr = np.asarray(fpr), np.asarray(tpr)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def auc_by_C(X_train, y_train, X_test, y_test, Cs):
    aucs = []
    for C in Cs:
        model = LogisticRegression(C=C, max_iter=10000).fit(X_train, y_train)
        aucs.append(roc_auc_score(y_train, model.predict_proba(X_train)[:, 1]))  # training data
    return np.array(aucs)
"""

# scikit-learn with its defaults (roc_curve drops collinear points) and pandas results: Series
# from DataFrame.dot, a crosstab for the confusion matrix, Series for the curve.
SKLEARN_DEFAULTS_AND_PANDAS = """
import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn import metrics
from sklearn.linear_model import LogisticRegression


def predict_proba(X, w):
    return pd.DataFrame(X).dot(w).pipe(expit)


def predict(X, w, threshold=0.5):
    return predict_proba(X, w) >= threshold


def confusion_matrix(y_true, y_pred):
    table = pd.crosstab(pd.Series(y_true, name="true"), pd.Series(y_pred, name="predicted"))
    return table.reindex(index=[0, 1], columns=[0, 1], fill_value=0)


def precision(y_true, y_pred):
    return metrics.precision_score(y_true, y_pred, zero_division=0)


def recall(y_true, y_pred):
    return metrics.recall_score(y_true, y_pred, zero_division=0)


def accuracy(y_true, y_pred):
    return (pd.Series(y_true) == pd.Series(y_pred)).mean()


def f1(y_true, y_pred):
    return metrics.f1_score(y_true, y_pred, zero_division=0)


def roc_curve(y_true, scores):
    fpr, tpr, thresholds = metrics.roc_curve(y_true, scores)
    return pd.Series(fpr), pd.Series(tpr), thresholds


def auc(fpr, tpr):
    return metrics.auc(fpr, tpr)


def auc_by_C(X_train, y_train, X_test, y_test, Cs):
    aucs = pd.Series(index=list(Cs), dtype=float)
    for C in Cs:
        model = LogisticRegression(C=C, max_iter=10000).fit(X_train, y_train)
        aucs[C] = metrics.roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    return aucs
"""

# Right on the usual inputs, wrong where nothing looked before: the threshold is ignored,
# exp(z) / (1 + exp(z)) overflows, the curve keeps only every other point, the grid of C is
# written into the function.
MISTAKES_C = """
import numpy as np
from sklearn import metrics
from sklearn.linear_model import LogisticRegression


def predict_proba(X, w):
    e = np.exp(np.dot(X, w))
    return e / (1 + e)


def predict(X, w, threshold=0.5):
    return (1 / (1 + np.exp(-np.dot(X, w))) >= 0.5).astype(int)


def confusion_matrix(y_true, y_pred):
    return metrics.confusion_matrix(y_true, y_pred, labels=[0, 1])


def precision(y_true, y_pred):
    return metrics.precision_score(y_true, y_pred, zero_division=0)


def recall(y_true, y_pred):
    return metrics.recall_score(y_true, y_pred, zero_division=0)


def accuracy(y_true, y_pred):
    return metrics.accuracy_score(y_true, y_pred)


def f1(y_true, y_pred):
    return metrics.f1_score(y_true, y_pred, zero_division=0)


def roc_curve(y_true, scores):
    fpr, tpr, thresholds = metrics.roc_curve(y_true, scores, drop_intermediate=False)
    keep = np.r_[np.arange(0, len(fpr) - 1, 2), len(fpr) - 1]
    return fpr[keep], tpr[keep], thresholds[keep]


def auc(fpr, tpr):
    return metrics.auc(fpr, tpr)


def auc_by_C(X_train, y_train, X_test, y_test, Cs):
    aucs = []
    for C in (0.001, 0.01, 0.1, 1.0, 10.0):
        model = LogisticRegression(C=C, max_iter=10000).fit(X_train, y_train)
        aucs.append(metrics.roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))
    return np.array(aucs)
"""

POSITIVE_SAMPLES = ("solution.ipynb", "loops.py", "pandas_style.py", "vectorised.py")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_controls(
        SPEC,
        tmp_path_factory.mktemp("metrics"),
        sources={
            "sklearn_style": SKLEARN_STYLE,
            "sklearn_defaults_and_pandas": SKLEARN_DEFAULTS_AND_PANDAS,
            "mistakes_a": MISTAKES_A,
            "mistakes_b": MISTAKES_B,
            "mistakes_c": MISTAKES_C,
        },
        samples=POSITIVE_SAMPLES,
    )


@pytest.mark.parametrize(
    "control", ["sklearn_style", "sklearn_defaults_and_pandas", *POSITIVE_SAMPLES]
)
def test_honest_alternative_gets_full_marks(graded: dict[str, Graded], control: str) -> None:
    assert_full_marks(graded[control], SPEC)


NEGATIVE: dict[str, dict[str, tuple[str | None, str]]] = {
    "mistakes_a": {
        "predict_proba_matches_reference": (
            None,
            r"shape \(2, 1\); expected \(2,\)\. A column vector broadcasts silently",
        ),
        "predict_proba_is_stable_for_large_logits": (None, r"A column vector broadcasts"),
        "predict_matches_reference": (r"^threshold-strict: ", ""),
        "predict_threshold_is_inclusive": (r"^threshold-strict: ", r"probability >= threshold"),
        "confusion_matrix_matches_reference": (r"^confusion-order-reversed: ", ""),
        "confusion_matrix_handles_missing_class": (None, r"2x2 even when a class is absent"),
        "precision_matches_reference": (r"^precision-recall-swapped: this is recall", ""),
        "roc_curve_matches_reference": (r"^roc-threshold-strict: ", r"0 = fpr, 1 = tpr"),
        "roc_curve_handles_ties": (r"^roc-threshold-strict: ", r"DISTINCT score"),
        "auc_by_C_matches_reference": (r"^C-ignored: ", ""),
    },
    "mistakes_b": {
        "confusion_matrix_matches_reference": (r"^confusion-transposed: ", ""),
        "precision_matches_reference": (None, ""),
        "precision_zero_division": (None, r"defined as 0\.0 here(.|\n)*non-finite"),
        "recall_matches_reference": (r"^precision-recall-swapped: this is precision", ""),
        "auc_by_C_matches_reference": (r"^auc-on-training-data: ", ""),
    },
    "mistakes_c": {
        "predict_proba_is_stable_for_large_logits": (
            r"^sigmoid-overflow: ",
            r"not numerically stable(.|\n)*non-finite",
        ),
        "predict_uses_threshold": (r"^threshold-ignored: ", r"at a threshold other than 0\.5"),
        "roc_curve_matches_reference": (None, r"leaves out a corner"),
        "roc_curve_handles_ties": (None, r"leaves out a corner"),
        "auc_by_C_matches_reference": (r"^Cs-ignored: ", ""),
    },
}

NEGATIVE_CASES = [(control, check) for control, table in NEGATIVE.items() for check in table]


@pytest.mark.parametrize(("control", "check_id"), NEGATIVE_CASES)
def test_mistake_fails_its_check(graded: dict[str, Graded], control: str, check_id: str) -> None:
    assert_fails_as_expected(
        graded[control].check(check_id), "failed", *NEGATIVE[control][check_id]
    )


@pytest.mark.parametrize("control", list(NEGATIVE))
def test_mistakes_cost_only_their_own_checks(graded: dict[str, Graded], control: str) -> None:
    """Every unlisted check passes: in mistakes_b that includes a roc_curve whose thresholds
    start just above the highest score instead of at inf, which is right."""
    assert_only_these_fail(graded[control], NEGATIVE[control])


def test_thresholds_need_a_first_value_above_every_score() -> None:
    """A first threshold not above the highest score is wrong (it adds no (0, 0) point)."""

    def roc_curve(y_true: Any, scores: Any) -> Any:
        fpr, tpr, thresholds = ref.roc_curve(y_true, scores)
        return fpr, tpr, [float(max(scores)), *thresholds[1:]]

    record = as_student(METRICS, "roc_curve_matches_reference", roc_curve)
    assert record.status == "failed"
    assert "start with a value above every score" in record.message


def test_thresholds_may_start_at_any_value_above_the_scores(graded: dict[str, Graded]) -> None:
    """np.inf is one choice; max(scores) + 1 is another, and both get the points."""

    def roc_curve(y_true: Any, scores: Any) -> Any:
        fpr, tpr, thresholds = ref.roc_curve(y_true, scores)
        return fpr, tpr, [float(max(scores)) + 1.0, *thresholds[1:]]

    for check_id in ("roc_curve_matches_reference", "roc_curve_handles_ties"):
        assert as_student(METRICS, check_id, roc_curve).status == "passed"
        assert graded["mistakes_b"].status(check_id) == "passed"  # the same idea, in the sandbox
