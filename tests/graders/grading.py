"""Shared helpers for tests that grade submissions.

Two ways to run a check against some code:

* **For real**, through the sandbox: :func:`grade_controls` writes source text to files and
  grades them (with bundled samples) by :func:`graders.engine.grade_path`, exactly as
  ``grader check`` does. A grade costs seconds (worker start, then the Hypothesis searches), so
  :func:`grade_many` grades a batch in a small pool of spawned grader processes, and each test
  module grades each of its controls once, in a module-scoped fixture, then asserts on the
  per-check records.
* **In process**, with :class:`InProcessSession`: the "student" is a trusted Python function
  called in this process, its arguments and return value round-tripped through the wire
  protocol as the worker would. Milliseconds per check: used to run every check against the
  references and every catalogued misconception against its check.

Bundled samples are graded at most once per test session (:func:`grade_samples` caches them), so
``tests/assignments/test_samples.py`` and the check tests share the grades.
"""

from __future__ import annotations

import ast
import atexit
import dataclasses
import inspect
import multiprocessing
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import numpy as np

from graders.checks.base import CheckContext
from graders.checks.registry import resolve
from graders.engine import grade_path, run_check
from graders.results import CheckResult, SubmissionResult
from graders.samples import sample_paths
from graders.sandbox import CallOutcome, PlannedCall, WorkerSession, functions, protocol
from graders.spec import Assignment, Limits, available_assignments, load_assignment

LOGISTIC = "logistic-regression-from-scratch"
MLE = "mle"
GRADIENT_DESCENT = "gradient-descent"
METRICS = "model-comparisons"


# --- assignments ------------------------------------------------------------------------------


@cache
def assignment(slug: str) -> Assignment:
    """The shipped assignment ``slug`` (parsed once per session)."""
    return load_assignment(slug)


def only(spec: Assignment, *question_ids: str) -> Assignment:
    """``spec`` restricted to some questions: a faster grade when a test needs only those."""
    wanted = set(question_ids)
    unknown = wanted - {q.id for q in spec.questions}
    if unknown:
        raise KeyError(f"no questions {sorted(unknown)} in {spec.slug}")
    return dataclasses.replace(spec, questions=tuple(q for q in spec.questions if q.id in wanted))


def with_limits(spec: Assignment, *, cell_timeout: float, call_timeout: float) -> Assignment:
    """``spec`` with other time budgets (a short call_timeout makes a hang cheap to test)."""
    return dataclasses.replace(
        spec, limits=Limits(cell_timeout=cell_timeout, call_timeout=call_timeout)
    )


# --- graded results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Graded:
    """A :class:`SubmissionResult` with lookups by check id and question id."""

    result: SubmissionResult

    def check(self, check_id: str) -> CheckResult:
        """The record of one check; ``KeyError`` listing the ids when absent."""
        for record in self.result.checks:
            if record.check_id == check_id:
                return record
        known = ", ".join(c.check_id for c in self.result.checks)
        raise KeyError(f"no check {check_id!r} in this result; graded: {known}")

    def status(self, check_id: str) -> str:
        """The status of one check."""
        return self.check(check_id).status

    def statuses(self) -> dict[str, str]:
        """check id -> status, for every graded check (handy in assertion messages)."""
        return {c.check_id: c.status for c in self.result.checks}

    def question_score(self, question_id: str) -> tuple[float, float]:
        """(points earned, points available) for one question."""
        checks = [c for c in self.result.checks if c.question == question_id]
        return sum(c.score for c in checks), sum(c.max_score for c in checks)

    def full_marks(self, question_id: str) -> bool:
        """True when every check of the question passed."""
        earned, available = self.question_score(question_id)
        return available > 0 and earned == available

    def not_passed(self) -> dict[str, str]:
        """check id -> message, for each check that did not pass."""
        return {c.check_id: c.output() for c in self.result.checks if c.status != "passed"}


def explain(graded: Graded) -> str:
    """Every non-passing check with its text: an assertion message that shows the cause."""
    lines = [f"score {graded.result.score:g} / {graded.result.max_score:g}"]
    for check_id, output in graded.not_passed().items():
        lines.append(f"--- {check_id}\n{output}")
    return "\n".join(lines)


def write_source(directory: Path, name: str, source: str) -> Path:
    """Write a submission's text to ``directory/name`` and return the path."""
    path = directory / name
    path.write_text(source, encoding="utf-8")
    return path


# --- grading several submissions at once ------------------------------------------------------

_POOL: list[ProcessPoolExecutor] = []


def _pool() -> ProcessPoolExecutor:
    """A small process pool shared by the session (spawned: a clean grader process each)."""
    if not _POOL:
        workers = max(1, min(4, os.cpu_count() or 1))
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(pool.shutdown, wait=True, cancel_futures=True)
        _POOL.append(pool)
    return _POOL[0]


def grade_many(jobs: Mapping[str, tuple[Path, Assignment]]) -> dict[str, Graded]:
    """Grade several files in parallel; ``jobs`` maps a key to ``(path, assignment)``."""
    pool = _pool()
    futures: dict[str, Future[SubmissionResult]] = {
        key: pool.submit(grade_path, path, spec, student=path.stem)
        for key, (path, spec) in jobs.items()
    }
    return {key: Graded(future.result()) for key, future in futures.items()}


_SAMPLE_GRADES: dict[tuple[str, str], Graded] = {}


def sample_path(slug: str, file_name: str) -> Path:
    """The bundled sample ``assignments/<slug>/examples/<file_name>``."""
    path = assignment(slug).directory / "examples" / file_name
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def all_samples() -> list[tuple[str, str]]:
    """(slug, file name) of every bundled sample of every shipped assignment."""
    return [
        (slug, path.name)
        for slug in available_assignments()
        for path in sample_paths(assignment(slug))
    ]


def grade_controls(
    spec: Assignment,
    directory: Path,
    sources: Mapping[str, str] | None = None,
    samples: Iterable[str] = (),
) -> dict[str, Graded]:
    """Grade source texts and bundled samples of one assignment together, in parallel.

    Parameters
    ----------
    spec
        The assignment the sources are graded against (samples always use the shipped one).
    directory
        Where the sources are written, as ``<name>.py``.
    sources
        ``name -> source text``.
    samples
        File names under ``examples/``; each is graded at most once per session.

    Returns
    -------
    dict
        ``name -> Graded`` for every source and every sample (keyed by its file name).
    """
    jobs = {
        name: (write_source(directory, f"{name}.py", source), spec)
        for name, source in (sources or {}).items()
    }
    shipped = assignment(spec.slug)
    wanted = list(dict.fromkeys(samples))
    for name in wanted:
        if (spec.slug, name) not in _SAMPLE_GRADES:
            jobs[f"sample:{name}"] = (sample_path(spec.slug, name), shipped)
    graded = grade_many(jobs)
    for name in wanted:
        fresh = graded.pop(f"sample:{name}", None)
        if fresh is not None:
            _SAMPLE_GRADES[(spec.slug, name)] = fresh
        graded[name] = _SAMPLE_GRADES[(spec.slug, name)]
    return graded


def grade_samples(samples: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Graded]:
    """Grade bundled samples of any assignments (each at most once per session)."""
    wanted = list(dict.fromkeys(samples))
    todo = {
        f"{slug}/{name}": (sample_path(slug, name), assignment(slug))
        for slug, name in wanted
        if (slug, name) not in _SAMPLE_GRADES
    }
    fresh = grade_many(todo)
    for slug, name in wanted:
        if f"{slug}/{name}" in fresh:
            _SAMPLE_GRADES[(slug, name)] = fresh[f"{slug}/{name}"]
    return {key: _SAMPLE_GRADES[key] for key in wanted}


# --- the references, with the students' signatures ---------------------------------------------


def reference_functions(slug: str) -> dict[str, Callable[..., Any]]:
    """The trusted references of ``slug``, called as the students' functions are.

    Named tuples are returned as plain tuples (the protocol sends exact types only), which also
    exercises the accepted ``(weights, history)`` and ``(point, path)`` conventions.
    """
    from reference import linear_gd, logistic, metrics, mle, regularization, restarts

    tables: dict[str, dict[str, Callable[..., Any]]] = {
        LOGISTIC: {
            "predict_y": logistic.predict_y,
            "sigmoid": logistic.sigmoid,
            "log_likelihood": logistic.log_likelihood,
            "gradient_step": logistic.gradient_step,
            "grad_desc": lambda X, y, n, alpha, initial_weights=None: tuple(
                logistic.grad_desc(X, y, n, alpha, initial_weights)
            ),
        },
        MLE: {
            "bernoulli_log_likelihood": mle.bernoulli_log_likelihood,
            "bernoulli_mle": mle.bernoulli_mle,
            "normal_log_likelihood": mle.normal_log_likelihood,
            "normal_mle": lambda x: tuple(mle.normal_mle(x)),
        },
        GRADIENT_DESCENT: {
            "rss": linear_gd.rss,
            "rss_derivative": linear_gd.rss_derivative,
            "gradient_descent": lambda grad, start, alpha, n, precision: tuple(
                linear_gd.gradient_descent(grad, start, alpha, n, precision)
            ),
            "multi_start_descent": restarts.multi_start_descent,
        },
        METRICS: {
            "predict_proba": logistic.predict_proba,
            "predict": logistic.predict,
            "confusion_matrix": metrics.confusion_matrix,
            "precision": metrics.precision,
            "recall": metrics.recall,
            "accuracy": metrics.accuracy,
            "f1": metrics.f1,
            "roc_curve": lambda y_true, scores: tuple(metrics.roc_curve(y_true, scores)),
            "auc": metrics.auc,
            "auc_by_C": regularization.auc_by_C,
        },
    }
    return tables[slug]


def as_float32(value: Any) -> Any:
    """``value`` with every float (and float array, also inside tuples) rounded to float32."""
    if type(value) is tuple:
        return tuple(as_float32(item) for item in value)
    if isinstance(value, (float, np.floating)):
        return np.float32(value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float32)
    return value


def float32_references(slug: str) -> dict[str, Callable[..., Any]]:
    """The references of ``slug`` returning float32 results: right to float32 precision, which
    every check's tolerance must admit (a student's ``.astype(np.float32)`` is not a mistake)."""

    def rounded(function: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *args, **kwargs: as_float32(function(*args, **kwargs))

    return {name: rounded(f) for name, f in reference_functions(slug).items()}


def reference_values(slug: str) -> dict[str, object]:
    """The right values of ``slug``'s value questions (``cur_x``: where the lab's loop stops)."""
    if slug != GRADIENT_DESCENT:
        return {}
    import pandas as pd

    from graders.checks.linear_gd import LAB_PARAMETERS as p
    from reference import linear_gd

    table = pd.read_csv(assignment(slug).directory / "data" / "linear.csv")
    result = linear_gd.lab_descent(
        table["x"].to_numpy(),
        table["y"].to_numpy(),
        p["start"],
        p["alpha"],
        p["precision"],
        int(p["max_iterations"]),
        p["h"],
    )
    return {"cur_x": float(result.point)}


# --- in-process "students" ----------------------------------------------------------------------


def _wire(value: object) -> object:
    """``value`` after a trip through the wire protocol, as the worker would see or send it."""
    return protocol.decode(protocol.encode(protocol.Budgeted(value, protocol.DEFAULT_MAX_BYTES)))


def _materialised(value: object) -> object:
    if isinstance(value, protocol.FunctionSpec):
        return functions.materialise(value.family, value.params)
    return value


@dataclass
class InProcessSession:
    """Duck-typed stand-in for :class:`~graders.sandbox.session.WorkerSession`.

    The "student" functions are trusted callables run in this process. Arguments travel through
    the wire protocol and ``FunctionSpec`` arguments become callables (as in the worker) unless
    ``raw_function_specs`` is set, for the catalogued misconception variants, which take the
    spec itself. Return values travel back through the protocol too.
    """

    functions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    values: Mapping[str, object] = field(default_factory=dict)
    raw_function_specs: bool = False
    isolation: str = "none"
    calls: list[tuple[str, tuple[object, ...]]] = field(default_factory=list)

    def call(
        self,
        name: str,
        /,
        *args: object,
        timeout: float | None = None,
        return_args: bool = True,
        **kwargs: object,
    ) -> CallOutcome:
        self.calls.append((name, args))
        function = self.functions.get(name)
        if function is None:
            return CallOutcome("missing", None, f"`{name}` is not defined", None, 0.0)
        sent = [a if isinstance(a, protocol.FunctionSpec) else _wire(a) for a in args]
        real = sent if self.raw_function_specs else [_materialised(a) for a in sent]
        real_kwargs = {k: _materialised(_wire(v)) for k, v in kwargs.items()}
        try:
            with np.errstate(all="ignore"):
                value = function(*real, **real_kwargs)
        except Exception as exc:  # the student's exception becomes an "error" outcome
            return CallOutcome("error", None, f"{type(exc).__name__}: {exc}", None, 0.0)
        after = tuple(
            s if isinstance(s, protocol.FunctionSpec) else _wire(r)
            for s, r in zip(sent, real, strict=True)
        )
        return CallOutcome("ok", _wire(value), "", after, 0.0)

    def call_many(self, calls: Sequence[PlannedCall]) -> list[CallOutcome]:
        """As the worker does: in order, each as ``call`` would make it."""
        return [
            self.call(c.name, *c.args, timeout=c.timeout, return_args=c.return_args, **c.kwargs)
            for c in calls
        ]

    def value(self, name: str) -> CallOutcome:
        if name not in self.values:
            return CallOutcome("missing", None, f"`{name}` is not defined", None, 0.0)
        return CallOutcome("ok", _wire(self.values[name]), "", None, 0.0)


def run_in_process(
    slug: str,
    check_id: str,
    session: InProcessSession,
    spec: Assignment | None = None,
    lab_data: Mapping[str, Path] | None = None,
) -> CheckResult:
    """Run one listed check of ``slug`` against an in-process session and return its record
    (``lab_data``: the public lab's data files, as when an instructor supplies them)."""
    spec = spec or assignment(slug)
    for question in spec.questions:
        for check_spec in question.checks:
            if check_spec.id == check_id:
                ctx = CheckContext(
                    session=cast(WorkerSession, session),
                    assignment=spec,
                    question=question,
                    spec=check_spec,
                    lab_data=lab_data or {},
                )
                return run_check(resolve(check_id), ctx)
    raise KeyError(f"{slug} lists no check {check_id!r}")


def question_of(slug: str, check_id: str) -> str:
    """The student-facing name under test by ``check_id`` in ``slug``."""
    for question in assignment(slug).questions:
        if any(c.id == check_id for c in question.checks):
            return question.name
    raise KeyError(f"{slug} lists no check {check_id!r}")


def as_student(
    slug: str, check_id: str, function: Callable[..., Any], **options: Any
) -> CheckResult:
    """Run ``check_id`` with ``function`` standing in for the student's function under test."""
    session = InProcessSession({question_of(slug, check_id): function}, **options)
    return run_in_process(slug, check_id, session)


def diagnosis_name(record: CheckResult) -> str | None:
    """The misconception id at the start of a diagnosis (``"sigmoid-overflow: ..."``)."""
    if record.diagnosis is None:
        return None
    match = re.match(r"([\w-]+):", record.diagnosis)
    return match.group(1) if match else None


def catalogued_misconceptions(module: ModuleType) -> set[str]:
    """Names of every ``Misconception("name", ...)`` written in ``module``'s source.

    Read from the source, so entries built inside a check function count too; entries built
    from another entry (``Misconception(m.name, ...)``) are copies and are skipped.
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "Misconception"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def without_timings(result: SubmissionResult) -> str:
    """The JSON of ``result`` with every timing set to 0 (the only values allowed to vary)."""
    return dataclasses.replace(result, timings={k: 0.0 for k in result.timings}).to_json()


def assert_fails_as_expected(
    record: CheckResult, status: str, diagnosis: str | None, message: str
) -> None:
    """A negative control: the check has ``status``, scores 0, and its diagnosis and message
    match the regexes (``diagnosis`` None: no diagnosis is required)."""
    assert record.status == status, record.output()
    assert record.score == 0
    if diagnosis is not None:
        assert record.diagnosis is not None and re.search(diagnosis, record.diagnosis), (
            record.output()
        )
    assert re.search(message, record.message), record.message


def assert_full_marks(graded: Graded, spec: Assignment) -> None:
    """A positive control: graded, with every point of the assignment."""
    result = graded.result
    assert result.status == "graded", explain(graded)
    assert result.score == result.max_score == spec.max_score, explain(graded)


def assert_only_these_fail(graded: Graded, check_ids: Iterable[str]) -> None:
    """Exactly ``check_ids`` did not pass: a mistake costs only its own checks."""
    failing = {c for c, s in graded.statuses().items() if s != "passed"}
    assert failing == set(check_ids), explain(graded)


def writes(out: Path) -> dict[str, int]:
    """How many times each student's gradebook row in ``out`` was written (1: graded once)."""
    db = sqlite3.connect(out / "gradebook.sqlite")
    try:
        return dict(db.execute("SELECT student, writes FROM submissions").fetchall())
    finally:
        db.close()
