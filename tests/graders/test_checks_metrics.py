"""Controls for the classifier-evaluation checks (``graders/checks/metrics.py``).

Positive controls: the reference (in process) and honest alternatives (in the sandbox) get every
point. Negative controls: each catalogued misconception fails its check with its diagnosis, as
the catalogue's variant and as a student writes it, and costs no other check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

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
    for t, p in zip(y_true, y_pred):
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

POSITIVE_SAMPLES = ("solution.ipynb", "loops.py", "pandas_style.py", "vectorised.py")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_controls(
        SPEC,
        tmp_path_factory.mktemp("metrics"),
        sources={
            "sklearn_style": SKLEARN_STYLE,
            "mistakes_a": MISTAKES_A,
            "mistakes_b": MISTAKES_B,
        },
        samples=POSITIVE_SAMPLES,
    )


@pytest.mark.parametrize("control", ["sklearn_style", *POSITIVE_SAMPLES])
def test_honest_alternative_gets_full_marks(graded: dict[str, Graded], control: str) -> None:
    assert_full_marks(graded[control], SPEC)


NEGATIVE: dict[str, dict[str, tuple[str | None, str]]] = {
    "mistakes_a": {
        "predict_proba_matches_reference": (
            None,
            r"shape \(2, 1\); expected \(2,\)\. A column vector broadcasts silently",
        ),
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
