"""Feedback plots: the student's function against the reference, on fixed inputs.

Some mistakes are easier to see than to read: a sigmoid that saturates on the wrong side, an ROC
curve that skips the tied scores, a log-likelihood that falls instead of rising. While the
student's worker is still open (the engine calls :func:`gather` after the checks), each plot
maker calls one student function through the session with fixed inputs, re-validates what comes
back like any other untrusted value, and pairs it with the reference computed here, in the
grader.

Plots are feedback only: they never change a score, and a plot whose data cannot be gathered (the
function is missing, raises, times out, or returns something that is not a plain array of the
expected size) is simply left out. Like the checks, this module calls the student and the
references; it writes nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from graders.compare import Mismatch, as_plain_array
from graders.results import MAX_PLOT_POINTS, Plot, PlotSeries
from graders.sandbox import WorkerSession
from graders.spec import Assignment, Question
from reference import logistic as ref_logistic
from reference import metrics as ref_metrics
from reference import mle as ref_mle

__all__ = ["PLOT_TIMEOUT", "gather"]

_log = logging.getLogger(__name__)

#: Seconds one plotting call may take (a plot is not worth a long wait).
PLOT_TIMEOUT = 5.0

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Maker = Callable[[WorkerSession, Assignment, Question], "Plot | None"]

#: Fixed inputs: every student is drawn on the same points.
SIGMOID_X = np.linspace(-10.0, 10.0, 201)
HISTORY_ITERATIONS = 100
HISTORY_ALPHA = 1e-3
_PROBE_X = np.array([[1.0, 0.5], [0.2, -1.0], [-0.7, 0.3]])
_PROBE_Y = np.array([1.0, 0.0, 1.0])
BERNOULLI_FLIPS = np.array([1, 0, 1, 1, 0, 1, 1, 0, 1, 1])
BERNOULLI_P = np.linspace(0.02, 0.98, 49)
# The ROC plot scores the test set with a two-feature model: an informative curve (AUC ~0.94,
# not a near-perfect corner) whose scores, rounded to 2 decimals, include ties.
_ROC_FEATURES = 2
_ROC_DECIMALS = 2


def gather(
    session: WorkerSession, assignment: Assignment, defined: Mapping[str, str]
) -> tuple[Plot, ...]:
    """Every plot this assignment offers whose student function is defined, in question order.

    Parameters
    ----------
    session
        The student's open worker.
    assignment
        Its questions decide which plots are drawn (only graded functions are plotted).
    defined
        ``session.defined()``: top-level names and whether they are functions.

    Returns
    -------
    tuple of Plot
        Possibly empty; a plot that cannot be made is left out.
    """
    plots: list[Plot] = []
    for question in assignment.questions:
        maker = _MAKERS.get(question.name)
        if maker is None or question.kind != "function" or defined.get(question.name) != "function":
            continue
        try:
            plot = maker(session, assignment, question)
        except Exception:  # a plot must never cost the student a grade (nor print in a batch)
            _log.debug("plot %r left out", question.name, exc_info=True)
            continue
        if plot is not None:
            plots.append(plot)
    return tuple(plots)


# --------------------------------------------------------------------------- helpers


def _call(session: WorkerSession, assignment: Assignment, name: str, *args: object) -> Any:
    """The student's (decoded, untrusted) value, or ``None`` when the call did not succeed."""
    budget = min(assignment.limits.call_timeout, PLOT_TIMEOUT)
    outcome = session.call(name, *args, timeout=budget)
    return outcome.value if outcome.status == "ok" else None


def _vector(value: object, size: int | None = None) -> FloatArray | None:
    """A validated 1-D float array (columns and rows are flattened), or ``None``."""
    checked = as_plain_array(value)
    if isinstance(checked, Mismatch) or checked.ndim > 2:
        return None
    flat = np.asarray(checked, dtype=np.float64).reshape(-1)
    if checked.ndim == 2 and 1 not in checked.shape:
        return None
    if size is not None and flat.shape != (size,):
        return None
    if flat.size == 0 or flat.size > MAX_PLOT_POINTS:
        return None
    return flat


def _series(label: str, x: npt.ArrayLike, y: npt.ArrayLike, role: str) -> PlotSeries:
    xs = np.asarray(x, dtype=np.float64).reshape(-1)
    ys = np.asarray(y, dtype=np.float64).reshape(-1)
    return PlotSeries(
        label=label,
        x=tuple(xs.tolist()),
        y=tuple(ys.tolist()),
        role=role,  # type: ignore[arg-type]  # one of the SeriesRole literals by construction
    )


def _data_file(assignment: Assignment, role: str) -> Path | None:
    """The shipped data file of ``role`` (``[data.roles]``), or ``None``: no such plot then."""
    entry = assignment.roles.get(role)
    path = None if entry is None else assignment.directory / entry
    if path is None or path not in assignment.data_files or not path.is_file():
        return None
    return path


@functools.lru_cache(maxsize=8)
def _read_xy(path: Path) -> tuple[FloatArray, FloatArray]:
    """Features and ``target`` of a bundled CSV (read once per grader process)."""
    import pandas as pd

    frame = pd.read_csv(path)
    features = [c for c in frame.columns if c != "target"]
    X = frame[features].to_numpy(dtype=np.float64)
    y = frame["target"].to_numpy(dtype=np.float64)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


# --------------------------------------------------------------------------- makers


def _sigmoid(session: WorkerSession, assignment: Assignment, question: Question) -> Plot | None:
    student = _vector(_call(session, assignment, question.name, SIGMOID_X), SIGMOID_X.size)
    if student is None:
        return None
    return Plot(
        id="sigmoid",
        question=question.id,
        title="Your sigmoid against the reference",
        x_label="x",
        y_label="sigmoid(x)",
        series=(
            _series(
                "reference 1 / (1 + exp(-x))",
                SIGMOID_X,
                ref_logistic.sigmoid(SIGMOID_X),
                "reference",
            ),
            _series("your sigmoid", SIGMOID_X, student, "student"),
        ),
        caption=(
            f"{question.name}(np.linspace(-10, 10, 201)). The curves should coincide: 0.5 at "
            "x = 0, rising towards 1 on the right and falling towards 0 on the left."
        ),
    )


@functools.lru_cache(maxsize=4)
def _roc_inputs(train: Path, test: Path) -> tuple[IntArray, FloatArray]:
    """Test labels and the reference model's scores on the test set (computed once)."""
    X_train, y_train = _read_xy(train)
    X_test, y_test = _read_xy(test)
    weights, _ = ref_logistic.grad_desc(X_train[:, :_ROC_FEATURES], y_train, 200, 1e-3)
    scores = np.round(ref_logistic.predict_proba(X_test[:, :_ROC_FEATURES], weights), _ROC_DECIMALS)
    labels = y_test.astype(np.int64)
    labels.setflags(write=False)
    scores.setflags(write=False)
    return labels, scores


def _roc_curve(session: WorkerSession, assignment: Assignment, question: Question) -> Plot | None:
    train = _data_file(assignment, "train")
    test = _data_file(assignment, "test")
    if train is None or test is None:
        return None
    labels, scores = _roc_inputs(train, test)
    value = _call(session, assignment, question.name, labels.copy(), scores.copy())
    if not (isinstance(value, (tuple, list)) and len(value) >= 2):
        return None
    fpr, tpr = _vector(value[0]), _vector(value[1])
    if fpr is None or tpr is None or fpr.shape != tpr.shape:
        return None
    ref_fpr, ref_tpr, _ = ref_metrics.roc_curve(labels, scores)
    caption = (
        f"{question.name}(y_test, scores) on the bundled breast-cancer test set "
        f"({labels.size} patients), scores of a two-feature logistic model rounded to "
        f"{_ROC_DECIMALS} decimals (so some are tied). Reference AUC "
        f"{ref_metrics.auc(ref_fpr, ref_tpr):.3f}"
    )
    if np.all(np.isfinite(fpr)) and np.all(np.isfinite(tpr)):
        area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))
        caption += f"; the area under your curve is {area:.3f}"
    return Plot(
        id="roc_curve",
        question=question.id,
        title="Your ROC curve against the reference",
        x_label="false positive rate",
        y_label="true positive rate",
        series=(
            _series("chance", [0.0, 1.0], [0.0, 1.0], "guide"),
            _series("reference", ref_fpr, ref_tpr, "reference"),
            _series("your roc_curve", fpr, tpr, "student"),
        ),
        caption=caption + ".",
    )


def _history(session: WorkerSession, assignment: Assignment, question: Question) -> Plot | None:
    train = _data_file(assignment, "train")
    if train is None:
        return None
    # A tiny probe first: a grad_desc that returns only the weights has no history to draw,
    # and should not cost a full training run on the real data.
    probe = _call(session, assignment, question.name, _PROBE_X.copy(), _PROBE_Y.copy(), 2, 0.01)
    if not (isinstance(probe, (tuple, list)) and len(probe) == 2):
        return None
    X, y = _read_xy(train)
    start = np.zeros(X.shape[1])
    value = _call(
        session,
        assignment,
        question.name,
        X.copy(),
        y.copy(),
        HISTORY_ITERATIONS,
        HISTORY_ALPHA,
        start,
    )
    # The (weights, history) convention: only a returned history can be drawn.
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        return None
    history = _vector(value[1])
    if history is None or history.size < 2:
        return None
    _, reference = ref_logistic.grad_desc(X, y, HISTORY_ITERATIONS, HISTORY_ALPHA, start)
    return Plot(
        id="grad_desc_history",
        question=question.id,
        title="Your training history against the reference",
        x_label="iteration",
        y_label="log-likelihood",
        series=(
            _series(
                "reference log-likelihood",
                np.arange(1, reference.size + 1),
                reference,
                "reference",
            ),
            _series("your history", np.arange(1, history.size + 1), history, "student"),
        ),
        caption=(
            f"{question.name}(X_train, y_train, {HISTORY_ITERATIONS}, {HISTORY_ALPHA:g}, "
            "np.zeros(30)) on the bundled breast-cancer training data; the reference records "
            "the log-likelihood after each step, which must rise towards its maximum. Your "
            "history is drawn as returned."
        ),
    )


def _bernoulli(session: WorkerSession, assignment: Assignment, question: Question) -> Plot | None:
    student = _vector(
        _call(session, assignment, question.name, BERNOULLI_P, BERNOULLI_FLIPS.copy()),
        BERNOULLI_P.size,
    )
    if student is None:  # written for a scalar p: one call per point
        values = []
        for p in BERNOULLI_P[::2]:
            one = _vector(
                _call(session, assignment, question.name, float(p), BERNOULLI_FLIPS.copy()), 1
            )
            if one is None:
                return None
            values.append(one[0])
        grid, student = BERNOULLI_P[::2], np.array(values)
    else:
        grid = BERNOULLI_P
    heads = int(BERNOULLI_FLIPS.sum())
    return Plot(
        id="bernoulli_log_likelihood",
        question=question.id,
        title="Your log-likelihood against the reference",
        x_label="p",
        y_label="log-likelihood",
        series=(
            _series(
                "reference",
                BERNOULLI_P,
                ref_mle.bernoulli_log_likelihood(BERNOULLI_P, BERNOULLI_FLIPS),
                "reference",
            ),
            _series("your function", grid, student, "student"),
        ),
        caption=(
            f"{question.name}(p, flips) for {heads} heads in {BERNOULLI_FLIPS.size} flips. The "
            f"log-likelihood is highest at the MLE p = {heads / BERNOULLI_FLIPS.size:g} and "
            "falls steeply towards 0 and 1."
        ),
    )


_MAKERS: Mapping[str, Maker] = {
    "sigmoid": _sigmoid,
    "roc_curve": _roc_curve,
    "grad_desc": _history,
    "bernoulli_log_likelihood": _bernoulli,
}
