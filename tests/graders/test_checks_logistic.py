"""Controls for the logistic-regression checks (``graders/checks/logistic.py``).

Positive controls: the reference itself (in process) and honest alternative submissions (graded
for real, in the sandbox) must get every point. Negative controls: every catalogued misconception
must fail the check it belongs to with its own diagnosis, both as the catalogue's variant (in
process) and as a student would write it (in the sandbox), while the other checks still pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from graders.checks import logistic
from graders.diagnose import Misconception
from tests.graders.grading import (
    LOGISTIC,
    Graded,
    InProcessSession,
    as_student,
    assert_fails_as_expected,
    assert_full_marks,
    assert_only_these_fail,
    assignment,
    catalogued_misconceptions,
    diagnosis_name,
    float32_references,
    grade_controls,
    reference_functions,
    run_in_process,
)

SPEC = assignment(LOGISTIC)
CHECK_IDS = [c.id for q in SPEC.questions for c in q.checks]


REFERENCE = reference_functions(LOGISTIC)


# --- the reference, in process ------------------------------------------------------------------


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_reference_passes(check_id: str) -> None:
    record = run_in_process(LOGISTIC, check_id, InProcessSession(REFERENCE))
    assert record.status == "passed", record.message


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_float32_results_pass(check_id: str) -> None:
    """The references' values rounded to float32 get every point: no tolerance is finer than
    float32 where the question does not need it."""
    record = run_in_process(LOGISTIC, check_id, InProcessSession(float32_references(LOGISTIC)))
    assert record.status == "passed", record.message


# --- every catalogued misconception, in process --------------------------------------------------

# (check that must fail, the mistaken variant, the diagnosis it must get: name and wording)
CATALOGUE: list[tuple[str, Misconception, str]] = [
    ("sigmoid_is_stable_for_large_inputs", logistic.SIGMOID_MISTAKES[0], r"^sigmoid-overflow: "),
    ("sigmoid_matches_reference", logistic.SIGMOID_MISTAKES[1], r"^sigmoid-sign: "),
    ("sigmoid_is_stable_for_large_inputs", logistic.SIGMOID_MISTAKES[1], r"^sigmoid-sign: "),
    (
        "log_likelihood_is_stable_for_large_logits",
        logistic.LOG_LIKELIHOOD_MISTAKES[0],
        r"^log-likelihood-unguarded-log: .*logaddexp",
    ),
    (
        "log_likelihood_matches_reference",
        logistic.LOG_LIKELIHOOD_MISTAKES[1],
        r"^log-likelihood-mean: ",
    ),
    (
        "log_likelihood_matches_reference",
        logistic.LOG_LIKELIHOOD_MISTAKES[2],
        r"^log-likelihood-negated: ",
    ),
    (
        "log_likelihood_is_stable_for_large_logits",
        logistic.LOG_LIKELIHOOD_MISTAKES[3],
        r"^log-likelihood-clipped: .*sklearn\.metrics\.log_loss",
    ),
    ("gradient_step_matches_reference", logistic.STEP_MISTAKES[0], r"^descent-instead-of-ascent: "),
    (
        "gradient_step_increases_log_likelihood",
        logistic.STEP_MISTAKES[0],
        r"^descent-instead-of-ascent: ",
    ),
    ("gradient_step_matches_reference", logistic.STEP_MISTAKES[1], r"^gradient-mean-not-sum: "),
    ("grad_desc_matches_reference", logistic.FIT_MISTAKES[0], r"^descent-instead-of-ascent: "),
    ("grad_desc_matches_reference", logistic.FIT_MISTAKES[1], r"^gradient-mean-not-sum: "),
    (
        "grad_desc_matches_reference",
        logistic.FIT_MISTAKES[2],
        r"^off-by-one-iterations: .*too many",
    ),
    ("grad_desc_matches_reference", logistic.FIT_MISTAKES[3], r"^off-by-one-iterations: .*too few"),
    ("grad_desc_default_initial_weights", logistic.FIT_MISTAKES[4], r"^wrong-default-weights: "),
]


@pytest.mark.parametrize(
    ("check_id", "mistake", "diagnosis"),
    CATALOGUE,
    ids=[f"{m.name}-{c}" for c, m, _ in CATALOGUE],
)
def test_misconception_fails_with_its_diagnosis(
    check_id: str, mistake: Misconception, diagnosis: str
) -> None:
    record = as_student(LOGISTIC, check_id, mistake.variant)
    assert_fails_as_expected(record, "failed", diagnosis, "")


def test_catalogue_is_covered() -> None:
    """Every misconception the module defines is exercised above (and none is unreachable)."""
    covered = {m.name for _, m, _ in CATALOGUE}
    assert catalogued_misconceptions(logistic) == covered
    # Each variant of each catalogue is used, not only each name (two share "off-by-one").
    tested = {id(m) for _, m, _ in CATALOGUE}
    for catalogue in (
        logistic.SIGMOID_MISTAKES,
        logistic.LOG_LIKELIHOOD_MISTAKES,
        logistic.STEP_MISTAKES,
        logistic.FIT_MISTAKES,
    ):
        assert all(id(m) in tested for m in catalogue)


def test_stability_mistakes_pass_the_moderate_range() -> None:
    """The overflow sigmoid and the unguarded log are right for moderate inputs: only the
    stability checks may take their points."""
    sigmoid = as_student(
        LOGISTIC, "sigmoid_matches_reference", logistic.SIGMOID_MISTAKES[0].variant
    )
    assert sigmoid.status == "passed", sigmoid.message
    loglik = as_student(
        LOGISTIC, "log_likelihood_matches_reference", logistic.LOG_LIKELIHOOD_MISTAKES[0].variant
    )
    assert loglik.status == "passed", loglik.message


def test_mean_gradient_still_climbs() -> None:
    """A mean gradient is a smaller step uphill: it fails the value check, not the ascent one."""
    record = as_student(
        LOGISTIC, "gradient_step_increases_log_likelihood", logistic.STEP_MISTAKES[1].variant
    )
    assert record.status == "passed", record.message


# --- submissions graded in the sandbox ---------------------------------------------------------

# --- the styles students write in (in process): each must get every point of its question -----


def _gradient_step_lists(X: Any, y: Any, w: Any, alpha: float) -> list[float]:
    gradient = [0.0] * len(w)
    for row, target in zip(X, y, strict=True):
        p = float(expit(sum(a * b for a, b in zip(row, w, strict=True))))
        for j, value in enumerate(row):
            gradient[j] += value * (target - p)
    return [wj + alpha * g for wj, g in zip(w, gradient, strict=True)]


def _grad_desc_history(X: Any, y: Any, n: int, alpha: float, initial_weights: Any = None) -> Any:
    w = np.ones(np.shape(X)[1]) if initial_weights is None else np.array(initial_weights, float)
    history = []
    for _ in range(n):
        w = w + alpha * X.T @ (y - expit(X @ w))
        history.append(float(np.sum(y * (X @ w) - np.logaddexp(0, X @ w))))
    return w, history


STYLES: list[tuple[str, Callable[..., Any]]] = [
    ("predict_y", lambda X, w: pd.DataFrame(X).dot(w)),  # a Series
    ("predict_y", lambda X, w: pd.DataFrame(X) @ pd.DataFrame(w)),  # a one-column DataFrame
    ("predict_y", lambda X, w: [sum(a * b for a, b in zip(r, w, strict=True)) for r in X]),
    ("predict_y", lambda X, w: np.dot(X, w).astype(np.float32)),
    ("sigmoid", lambda x: expit(x)),
    ("sigmoid", lambda x: expit(x).astype(np.float32) if np.ndim(x) else float(expit(x))),
    ("log_likelihood", lambda X, y, w: np.sum(y * (X @ w) - np.logaddexp(0, X @ w))),
    (
        "log_likelihood",
        lambda X, y, w: (
            (pd.Series(y) * pd.DataFrame(X).dot(w))
            .sub(np.logaddexp(0, pd.DataFrame(X).dot(w)))
            .sum()
        ),
    ),
    (
        "gradient_step",
        lambda X, y, w, a: pd.Series(w) + a * pd.DataFrame(X).T.dot(y - expit(X @ w)),
    ),
    ("gradient_step", _gradient_step_lists),
    ("grad_desc", _grad_desc_history),
]


@pytest.mark.parametrize(
    ("name", "function"), STYLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(STYLES)]
)
def test_common_style_gets_every_point(name: str, function: Callable[..., Any]) -> None:
    for check_id in (c.id for q in SPEC.questions if q.name == name for c in q.checks):
        record = run_in_process(LOGISTIC, check_id, InProcessSession({name: function}))
        assert record.status == "passed", f"{check_id}: {record.message}"


def test_sklearn_log_loss_is_diagnosed_on_large_logits() -> None:
    """-log_loss(y, p, normalize=False) is right on moderate logits; its clipping of p shows on
    large ones, and the diagnosis names it."""
    from sklearn.metrics import log_loss

    def log_likelihood(X: Any, y: Any, w: Any) -> Any:
        return -log_loss(y, expit(X @ w), normalize=False, labels=[0, 1])

    for check_id in ("log_likelihood_matches_reference", "log_likelihood_is_permutation_invariant"):
        assert as_student(LOGISTIC, check_id, log_likelihood).status == "passed"
    record = as_student(LOGISTIC, "log_likelihood_is_stable_for_large_logits", log_likelihood)
    assert_fails_as_expected(record, "failed", r"^log-likelihood-clipped: ", r"not numerically")


def test_log_of_a_product_of_probabilities_is_caught() -> None:
    """log(prod(p^y (1 - p)^(1 - y))): the large-logit check finds the -inf."""

    def log_likelihood(X: Any, y: Any, w: Any) -> Any:
        p = expit(X @ w)
        return np.log(np.prod(p**y * (1 - p) ** (1 - y)))

    record = as_student(LOGISTIC, "log_likelihood_is_stable_for_large_logits", log_likelihood)
    assert_fails_as_expected(record, "failed", None, r"non-finite")


PANDAS_AND_COLUMNS = '''
"""Honest alternative: pandas for the algebra, exp(-logaddexp(0, -z)) for the sigmoid, and the
lab's (d, 1) weight column in grad_desc."""
import numpy as np
import pandas as pd


def predict_y(X, w):
    return pd.DataFrame(X).dot(np.asarray(w, dtype=float)).to_numpy()


def sigmoid(x):
    return np.exp(-np.logaddexp(0, -np.asarray(x, dtype=float)))


def log_likelihood(X, y, w):
    z = pd.Series(predict_y(X, w))
    y = pd.Series(np.asarray(y, dtype=float))
    return float((y * z - np.logaddexp(0, z)).sum())


def gradient_step(X, y, w, alpha):
    X = pd.DataFrame(X)
    error = pd.Series(np.asarray(y, dtype=float)) - sigmoid(predict_y(X, w))
    return np.asarray(w, dtype=float) + alpha * X.T.dot(error).to_numpy()


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).reshape(-1, 1)
    if initial_weights is None:
        weights = np.ones((X.shape[1], 1))
    else:
        weights = np.array(initial_weights, dtype=float).reshape(-1, 1)
    for _ in range(max_iterations):
        predictions = sigmoid(X @ weights)
        weights = weights + alpha * X.T @ (y - predictions)
    return weights
'''

EINSUM_AND_LOG_EXPIT = '''
"""Honest alternative: einsum, a piecewise sigmoid (math.exp for a scalar), scipy's log_expit,
error @ X for the gradient, and grad_desc returning [weights, list of iterates]."""
import math

import numpy as np
from scipy.special import log_expit


def predict_y(X, w):
    return np.einsum("ij,j->i", np.asarray(X, dtype=float), np.asarray(w, dtype=float))


def sigmoid(x):
    if np.isscalar(x):
        return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def log_likelihood(X, y, w):
    z = predict_y(X, w)
    y = np.asarray(y, dtype=float)
    return np.sum(y * log_expit(z) + (1 - y) * log_expit(-z))


def gradient_step(X, y, w, alpha):
    X = np.asarray(X, dtype=float)
    error = np.asarray(y, dtype=float) - sigmoid(predict_y(X, w))
    return np.add(w, alpha * np.matmul(error, X))


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    if initial_weights is None:
        w = np.ones(np.shape(X)[1])
    else:
        w = np.array(initial_weights, dtype=float)
    iterates = [w]
    for _ in range(max_iterations):
        w = gradient_step(X, y, w, alpha)
        iterates.append(w)
    return [w, iterates]
'''

# Each mistakes submission makes one mistake per function; the checks of one function only call
# that function, so the mistakes do not interfere.
MISTAKES_A = """
import numpy as np
from scipy.special import expit


def predict_y(X, w):
    # an (n, 1) column where (n,) is asked: it broadcasts silently later
    return (np.asarray(X, dtype=float) @ np.asarray(w, dtype=float)).reshape(-1, 1)


def sigmoid(x):
    return np.exp(x) / (1 + np.exp(x))


def log_likelihood(X, y, w):
    z = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float)
    return float(np.mean(np.asarray(y) * z - np.logaddexp(0, z)))


def gradient_step(X, y, w, alpha):
    # the error term flipped: sigmoid(Xw) - y
    X = np.asarray(X, dtype=float)
    return w + alpha * X.T @ (expit(X @ w) - np.asarray(y, dtype=float))


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(X.shape[1]) if initial_weights is None else np.array(initial_weights, dtype=float)
    for _ in range(max_iterations + 1):
        w = w + alpha * X.T @ (y - expit(X @ w))
    return w
"""

MISTAKES_B = """
import numpy as np
from scipy.special import expit


def predict_y(X, w):
    # a (1, n) row
    return np.dot(np.asarray(w, dtype=float), np.asarray(X, dtype=float).T).reshape(1, -1)


def sigmoid(x):
    return 1 / (1 + np.exp(np.asarray(x, dtype=float)))


def log_likelihood(X, y, w):
    z = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float)
    return float(np.sum(np.logaddexp(0, z) - np.asarray(y) * z))


def gradient_step(X, y, w, alpha):
    X = np.asarray(X, dtype=float)
    return w - alpha * X.T @ (np.asarray(y, dtype=float) - expit(X @ w))


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(X.shape[1]) if initial_weights is None else np.array(initial_weights, dtype=float)
    for _ in range(max_iterations - 1):
        w = w + alpha * X.T @ (y - expit(X @ w))
    return w
"""

MISTAKES_C = """
import numpy as np
from scipy.special import expit


def predict_y(X, w):
    X -= X.mean(axis=0)  # centres the caller's matrix in place
    return X @ w


def sigmoid(x):
    out = expit(np.asarray(x, dtype=float))
    return out.reshape(-1, 1) if out.ndim == 1 else out


def log_likelihood(X, y, w):
    p = expit(np.asarray(X, dtype=float) @ np.asarray(w, dtype=float))
    y = np.asarray(y, dtype=float)
    return float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))


def gradient_step(X, y, w, alpha):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    return w + alpha * X.T @ (y - expit(X @ w)) / len(y)


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.zeros(X.shape[1]) if initial_weights is None else np.array(initial_weights, dtype=float)
    for _ in range(max_iterations):
        w = w + alpha * X.T @ (y - expit(X @ w))
    return w
"""

# pandas results returned as they come: a Series from DataFrame.dot, Series weights, and the
# lab's grad_desc, whose weights are a one-column DataFrame.
PANDAS_RESULTS = """
import numpy as np
import pandas as pd
from scipy.special import expit


def predict_y(X, w):
    return pd.DataFrame(X).dot(w)


def sigmoid(x):
    return expit(x)


def log_likelihood(X, y, w):
    scores = predict_y(X, w)
    return (pd.Series(np.asarray(y, dtype=float)) * scores - np.logaddexp(0, scores)).sum()


def gradient_step(X, y, w, alpha):
    X = pd.DataFrame(X)
    error = pd.Series(np.asarray(y, dtype=float)) - expit(X.dot(w))
    return pd.Series(w) + alpha * X.T.dot(error)


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    if initial_weights is None:
        initial_weights = np.ones((X.shape[1], 1)).flatten()
    weights_col = pd.DataFrame(np.array(initial_weights, dtype=float))
    X = pd.DataFrame(np.asarray(X, dtype=float))
    y = pd.DataFrame(np.asarray(y, dtype=float))
    for _ in range(max_iterations):
        predictions = expit(np.dot(X, weights_col))
        error = y.values - predictions
        gradient = np.dot(X.transpose(), error)
        weights_col = weights_col + alpha * gradient
    return weights_col
"""

POSITIVE_SAMPLES = ("solution.ipynb", "loops.py", "alt_expit_history.py")
NEGATIVE_SAMPLES = ("descent_sign.py", "mean_gradient.py", "inplace_update.py")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_controls(
        SPEC,
        tmp_path_factory.mktemp("logistic"),
        sources={
            "pandas_and_columns": PANDAS_AND_COLUMNS,
            "pandas_results": PANDAS_RESULTS,
            "einsum_and_log_expit": EINSUM_AND_LOG_EXPIT,
            "mistakes_a": MISTAKES_A,
            "mistakes_b": MISTAKES_B,
            "mistakes_c": MISTAKES_C,
        },
        samples=POSITIVE_SAMPLES + NEGATIVE_SAMPLES,
    )


@pytest.mark.parametrize(
    "control", ["pandas_and_columns", "pandas_results", "einsum_and_log_expit", *POSITIVE_SAMPLES]
)
def test_honest_alternative_gets_full_marks(graded: dict[str, Graded], control: str) -> None:
    assert_full_marks(graded[control], SPEC)


# check id -> (status, diagnosis regex or None for "no diagnosis required", message regex)
Expected = dict[str, tuple[str, str | None, str]]

NEGATIVE: dict[str, Expected] = {
    "mistakes_a": {
        "predict_y_matches_reference": (
            "failed",
            None,
            r"shape \(3, 1\); expected \(3,\)\. A column vector broadcasts silently",
        ),
        "sigmoid_is_stable_for_large_inputs": ("failed", r"^sigmoid-overflow: ", r"NaN"),
        "log_likelihood_matches_reference": ("failed", r"^log-likelihood-mean: ", r"expected"),
        "log_likelihood_is_stable_for_large_logits": ("failed", r"^log-likelihood-mean: ", ""),
        "gradient_step_matches_reference": (
            "failed",
            r"^descent-instead-of-ascent: .*sigmoid\(Xw\) - y",
            r"Input: gradient_step\(",
        ),
        "gradient_step_increases_log_likelihood": (
            "failed",
            r"^descent-instead-of-ascent: ",
            r"log-likelihood went DOWN",
        ),
        "grad_desc_matches_reference": ("failed", r"^off-by-one-iterations: .*too many", ""),
        "grad_desc_default_initial_weights": (
            "failed",
            r"^off-by-one-iterations: .*too many",
            r"without initial_weights",
        ),
        "grad_desc_accepts_pandas": ("failed", None, r"pandas DataFrame"),
    },
    "mistakes_b": {
        "predict_y_matches_reference": (
            "failed",
            None,
            r"shape \(1, 3\); expected \(3,\)\. A row vector broadcasts silently",
        ),
        "sigmoid_matches_reference": ("failed", r"^sigmoid-sign: ", r"Input: sigmoid\("),
        "sigmoid_is_stable_for_large_inputs": ("failed", r"^sigmoid-sign: ", ""),
        "log_likelihood_matches_reference": ("failed", r"^log-likelihood-negated: ", ""),
        "log_likelihood_is_stable_for_large_logits": ("failed", r"^log-likelihood-negated: ", ""),
        "gradient_step_matches_reference": ("failed", r"^descent-instead-of-ascent: ", ""),
        "gradient_step_increases_log_likelihood": ("failed", r"^descent-instead-of-ascent: ", ""),
        "grad_desc_matches_reference": ("failed", r"^off-by-one-iterations: .*too few", ""),
        "grad_desc_default_initial_weights": (
            "failed",
            r"^off-by-one-iterations: .*too few",
            "",
        ),
        "grad_desc_accepts_pandas": ("failed", None, ""),
    },
    "mistakes_c": {
        "predict_y_matches_reference": ("failed", None, r"differs from the expected value"),
        "predict_y_does_not_mutate_inputs": (
            "failed",
            None,
            r"changed its argument #1 in place",
        ),
        "sigmoid_matches_reference": ("failed", None, r"column vector broadcasts silently"),
        "sigmoid_preserves_shape": (
            "failed",
            None,
            r"keep the input's shape(.|\n)*shape \(4, 1\); expected \(4,\)\. A column vector",
        ),
        "sigmoid_is_stable_for_large_inputs": ("failed", None, r"column vector"),
        "log_likelihood_is_stable_for_large_logits": (
            "failed",
            r"^log-likelihood-unguarded-log: ",
            r"non-finite",
        ),
        "gradient_step_matches_reference": ("failed", r"^gradient-mean-not-sum: ", ""),
        "grad_desc_default_initial_weights": ("failed", r"^wrong-default-weights: ", ""),
    },
    # Bundled samples of the two grad_desc mistakes the sources above do not make, and w += ...
    "descent_sign.py": {
        "gradient_step_matches_reference": ("failed", r"^descent-instead-of-ascent: ", ""),
        "gradient_step_increases_log_likelihood": ("failed", r"^descent-instead-of-ascent: ", ""),
        "grad_desc_matches_reference": ("failed", r"^descent-instead-of-ascent: ", ""),
        "grad_desc_default_initial_weights": ("failed", r"^descent-instead-of-ascent: ", ""),
        "grad_desc_accepts_pandas": ("failed", None, ""),
    },
    "mean_gradient.py": {
        "gradient_step_matches_reference": ("failed", r"^gradient-mean-not-sum: ", ""),
        "grad_desc_matches_reference": ("failed", r"^gradient-mean-not-sum: ", ""),
        "grad_desc_default_initial_weights": ("failed", r"^gradient-mean-not-sum: ", ""),
        "grad_desc_accepts_pandas": ("failed", None, ""),
    },
    "inplace_update.py": {
        "gradient_step_does_not_mutate_inputs": ("failed", None, r"w = w \+ step"),
        "grad_desc_does_not_mutate_inputs": ("failed", None, r"argument #5 in place"),
    },
}

NEGATIVE_CASES = [(control, check) for control, table in NEGATIVE.items() for check in table]


@pytest.mark.parametrize(("control", "check_id"), NEGATIVE_CASES)
def test_mistake_fails_its_check(graded: dict[str, Graded], control: str, check_id: str) -> None:
    assert_fails_as_expected(graded[control].check(check_id), *NEGATIVE[control][check_id])


@pytest.mark.parametrize("control", list(NEGATIVE))
def test_mistakes_cost_only_their_own_checks(graded: dict[str, Graded], control: str) -> None:
    """Precision: every check not listed for a mistake passes (no collateral failures)."""
    assert_only_these_fail(graded[control], NEGATIVE[control])


def test_shape_mistakes_never_pass(graded: dict[str, Graded]) -> None:
    """(n, 1) and (1, n) for (n,) broadcast in numpy, so they must fail with a hint."""
    for control, check_id in (
        ("mistakes_a", "predict_y_matches_reference"),
        ("mistakes_b", "predict_y_matches_reference"),
        ("mistakes_c", "sigmoid_preserves_shape"),
    ):
        record = graded[control].check(check_id)
        assert record.status == "failed"
        assert "returned the wrong shape" in record.message
        assert "broadcasts silently" in record.message and ".ravel()" in record.message


def test_column_weights_from_grad_desc_are_accepted(graded: dict[str, Graded]) -> None:
    grad_desc = [c for c in graded["pandas_and_columns"].result.checks if c.question == "grad_desc"]
    assert grad_desc and all(c.status == "passed" for c in grad_desc)


# --- the wording students read -------------------------------------------------------------------


def test_overflow_sigmoid_message(graded: dict[str, Graded]) -> None:
    record = graded["mistakes_a"].check("sigmoid_is_stable_for_large_inputs")
    text = record.output()
    assert record.message.startswith("`sigmoid` is not numerically stable for large |z|.")
    assert re.search(r"^Input: sigmoid\(array\(\[-10000\., .*10000\.\]\)", text, re.M)
    assert re.search(r"^\s*index \| expected \| yours\s+\| difference$", text, re.M)
    assert re.search(r"^\s*\[8\]\s+\| 1\.0\s+\| nan", text, re.M)
    assert "rtol=1e-06, atol=1e-12" in text
    assert record.counterexample is not None and record.counterexample.startswith("sigmoid(")
    assert diagnosis_name(record) == "sigmoid-overflow"
    assert "Likely cause: sigmoid-overflow: np.exp(z) / (1 + np.exp(z)) overflows" in text
    assert "scipy.special.expit" in text


def test_value_mismatch_message_shows_both_sides_and_tolerance(graded: dict[str, Graded]) -> None:
    record = graded["mistakes_a"].check("log_likelihood_matches_reference")
    assert record.message.startswith("`log_likelihood` does not agree with the reference.")
    assert "Input: log_likelihood(array([[" in record.message
    assert re.search(
        r"differs from the expected value: expected -?[\d.]+ ± [\d.e-]+, got", record.message
    )
    assert "tolerance: rtol=1e-06, atol=1e-08)" in record.message


def test_gradient_step_ascent_message_names_the_direction(graded: dict[str, Graded]) -> None:
    record = graded["mistakes_b"].check("gradient_step_increases_log_likelihood")
    assert "log-likelihood went DOWN" in record.message
    assert "gradient ascent" in record.message
    assert record.diagnosis is not None
    assert "w + alpha * X^T (y - sigmoid(Xw))" in record.diagnosis


def test_reference_weights_shape_hint_is_in_the_spec() -> None:
    """The (d, 1) convention accepted by grad_desc is documented for students."""
    question = SPEC.question("grad_desc")
    assert "(d, 1)" in question.returns


def test_in_process_student_sees_the_inputs_it_is_sent() -> None:
    """Sanity of the in-process stand-in: pandas arguments arrive as pandas, as in the worker."""
    seen: list[object] = []

    def grad_desc(
        X: Any, y: Any, max_iterations: int, alpha: float, initial_weights: Any = None
    ) -> Any:
        seen.append((type(X).__name__, type(y).__name__))
        return REFERENCE["grad_desc"](X, y, max_iterations, alpha, initial_weights)

    record = run_in_process(
        LOGISTIC, "grad_desc_accepts_pandas", InProcessSession({"grad_desc": grad_desc})
    )
    assert record.status == "passed"
    assert seen == [("DataFrame", "Series")]
