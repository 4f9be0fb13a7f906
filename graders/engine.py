"""Grade one submission: load it, run it in a worker, run every listed check, return a result.

This is the only place that turns check outcomes into records; checks raise, the engine records.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from graders.attempts import defined_functions, stub_reasons
from graders.checks.base import CheckContext, StudentCallError, fingerprint
from graders.checks.registry import resolve
from graders.compare.render import render_value
from graders.errors import CheckFailed, SpecError, SubmissionError
from graders.hidden import PRACTICE, CourseSecret
from graders.load import Submission, load_submission
from graders.results import CheckResult, Plot, SubmissionResult
from graders.sandbox import (
    CallOutcome,
    CellReport,
    PlannedCall,
    SandboxConfig,
    Unsupported,
    WorkerSession,
)
from graders.slicing import CellPlan, plan_cells
from graders.spec import (
    Assignment,
    CheckSpec,
    Question,
    assignments_root,
    available_assignments,
    load_assignment,
)
from graders.warmup import drawing_inputs

#: Gathers feedback plots while the student's worker is still open
#: (``graders.checks.plots.gather``).
PlotHook = Callable[[WorkerSession, Assignment, Mapping[str, str]], tuple[Plot, ...]]


class _MeteredSession(WorkerSession):
    """A session that adds up the time spent inside the student's functions.

    The worker measures each call; the sum lets timings separate the student's own time from the
    grader's overhead (worker start, protocol, Hypothesis, comparisons).
    """

    student_seconds = 0.0

    def call(
        self,
        name: str,
        /,
        *args: object,
        timeout: float | None = None,
        return_args: bool = True,
        **kwargs: object,
    ) -> CallOutcome:
        outcome = super().call(name, *args, timeout=timeout, return_args=return_args, **kwargs)
        self.student_seconds += outcome.seconds
        return outcome

    def call_many(self, calls: Sequence[PlannedCall]) -> list[CallOutcome]:
        outcomes = super().call_many(calls)
        self.student_seconds += sum(outcome.seconds for outcome in outcomes)
        return outcomes


def sandbox_config(
    assignment: Assignment,
    *,
    data_dir: Path | None = None,
    base: SandboxConfig | None = None,
) -> SandboxConfig:
    """The worker's configuration for an assignment: its time budgets and visible data files.

    Optional data files (``heart.csv`` for the public lab) are added only when the instructor's
    ``data_dir`` holds them; absent, the cells that read them fail and are reported.
    """
    return replace(
        base or SandboxConfig(),
        cell_timeout=assignment.limits.cell_timeout,
        call_timeout=assignment.limits.call_timeout,
        submission_timeout=assignment.limits.submission_timeout,
        data_files=assignment.data_files + supplied_lab_data(assignment, data_dir),
    )


def supplied_lab_data(assignment: Assignment, data_dir: Path | None) -> tuple[Path, ...]:
    """The assignment's optional data files (the public lab's) that ``data_dir`` holds."""
    if data_dir is None:
        return ()
    return tuple(data_dir / n for n in assignment.optional_data if (data_dir / n).is_file())


def lab_data_note(assignment: Assignment, data_dir: Path | None) -> str | None:
    """What to tell an instructor whose ``--data`` folder holds none of the lab's files."""
    if data_dir is None or supplied_lab_data(assignment, data_dir):
        return None
    if not assignment.optional_data:
        return f"{assignment.slug} has no public lab data files: --data {data_dir} is not used."
    return (
        f"--data {data_dir} holds none of the public lab's data files of {assignment.slug} "
        f"({', '.join(assignment.optional_data)}): the submissions are graded as our own "
        "assignment, not as the lab."
    )


def lab_data(assignment: Assignment, config: SandboxConfig) -> dict[str, Path]:
    """The public lab's data files the worker sees, by name: when any is there, the
    submission is graded as the public lab (see ``CheckContext.lab_data``)."""
    return {p.name: p for p in config.data_files if p.name in assignment.optional_data}


def grade_path(
    path: Path,
    assignment: Assignment,
    *,
    student: str | None = None,
    config: SandboxConfig | None = None,
    plots: PlotHook | None = None,
    secret: CourseSecret | None = PRACTICE,
) -> SubmissionResult:
    """Grade the submission at ``path``; an unloadable file gives an *ungradable* result.

    ``plots`` and ``secret`` are as for :func:`grade_submission`.
    """
    student = student or path.stem
    started = time.perf_counter()
    try:
        submission = load_submission(path)
    except SubmissionError as exc:
        return SubmissionResult.ungradable(
            student=student,
            assignment=assignment.slug,
            message=str(exc),
            sha256=_sha256_or_empty(path),
            max_score=assignment.max_score,
        )
    return grade_submission(
        submission,
        assignment,
        student=student,
        config=config,
        started=started,
        plots=plots,
        secret=secret,
    )


def grade_submission(
    submission: Submission,
    assignment: Assignment,
    *,
    student: str,
    config: SandboxConfig | None = None,
    started: float | None = None,
    plots: PlotHook | None = None,
    secret: CourseSecret | None = PRACTICE,
) -> SubmissionResult:
    """Run ``submission`` in a fresh worker and grade every question of ``assignment``.

    Parameters
    ----------
    plots
        Optional hook (``graders.checks.plots.gather``) called once the checks are done, while the
        worker is still open, with the session, the assignment and the names the submission
        defines; the plots it returns go into the result (feedback only, never the score).
    secret
        Seeds the hidden searches (``graders.hidden``); it stays in this process. The public
        practice secret by default; ``None`` runs the explained searches only.

    Only the cells that can affect a graded name run (``graders.slicing``), unless the
    assignment sets ``run_all_cells``; the others are listed in the result's ``skipped_cells``
    with the reason. Cells and grades are as if every cell ran.

    Timings (seconds): ``total``; ``startup`` (starting the worker); ``cells`` (running the
    cells); ``checks``; ``student_calls`` (inside the student's functions, checks and plots);
    ``plots`` when gathered; and ``startup_and_cells``.

    The submission's total time budget (``config.submission_timeout``) is spent by loading
    the file (from ``started``) and by the worker's time on the cells, replays and calls; the
    grader's own work is not counted. Once it has run out, every check not yet run is recorded
    as a ``timeout`` without running, and no plots are gathered.
    """
    loaded = time.perf_counter()
    started = loaded if started is None else started
    config = config or sandbox_config(assignment)
    lab = lab_data(assignment, config)
    written = submission  # every cell, also those slicing leaves out: what the student wrote
    names = {cell.number: cell.name for cell in written.cells}
    plan = None if assignment.run_all_cells else plan_run(submission, assignment)
    if plan is not None and plan.skipped:
        kept = set(plan.kept)
        cells = tuple(cell for cell in submission.cells if cell.number in kept)
        submission = replace(submission, cells=cells)
    checks: list[CheckResult] = []
    with drawing_inputs(assignment, lab, secret):  # while the worker starts and runs the cells
        session = _MeteredSession(submission, config, spent=loaded - started)
    with session:
        cells_done = time.perf_counter()
        defined = {} if session.out_of_time else session.defined()
        unreached = _unreached_definitions(submission, session.cell_reports)
        not_defined: set[str] = set()  # graded functions the submission never wrote
        stubs = stub_reasons(
            (cell.source for cell in submission.cells),
            [q.name for q in assignment.questions if q.kind == "function"],
        )
        for question in assignment.questions:
            present = _presence_problem(question, defined, unreached, session)
            if present is None and question.name in stubs:
                present = _not_attempted(question, stubs[question.name])
            if present is not None and _optional(question, lab):
                continue
            for spec in question.checks:
                if session.out_of_time:
                    what = f"checking `{question.name}`"
                    message = session.out_of_time_message(what)
                    checks.append(_record(question, spec, "timeout", 0.0, message))
                    continue
                if present is not None:
                    checks.append(_record(question, spec, "missing", 0.0, present))
                    if question.kind == "function" and question.name not in defined:
                        if question.name not in unreached:
                            not_defined.add(question.name)
                    continue
                ctx = CheckContext(
                    session=session,
                    assignment=assignment,
                    question=question,
                    spec=spec,
                    lab_data=lab,
                    secret=secret,
                )
                checks.append(run_check(resolve(spec.id), ctx))
        checks_done = time.perf_counter()
        gathered = (
            plots(session, assignment, defined)
            if plots is not None and not session.out_of_time
            else ()
        )
        finished = time.perf_counter()
        timings = {
            "total": round(finished - started, 4),
            "startup": round(session.startup_seconds, 4),
            "cells": round(session.cells_seconds, 4),
            "startup_and_cells": round(cells_done - started, 4),
            "checks": round(checks_done - cells_done, 4),
            "student_calls": round(session.student_seconds, 4),
        }
        if plots is not None:
            timings["plots"] = round(finished - checks_done, 4)
        return SubmissionResult(
            student=student,
            assignment=assignment.slug,
            status="graded",
            message=_wrong_assignment(assignment, written, not_defined) or "",
            checks=tuple(checks),
            isolation=session.isolation,
            notes=(*submission.notes, *session.notes),  # the loader's, then the layer's
            cell_reports=tuple(
                {"cell": r.number, "status": r.status, "message": r.message}
                for r in session.cell_reports
            ),
            timings=timings,
            sha256=submission.sha256,
            plots=gathered,
            skipped_cells=()
            if plan is None
            else tuple(
                {"cell": c.number, "label": names[c.number], "reason": c.reason}
                for c in plan.skipped
            ),
        )


def plan_run(submission: Submission, assignment: Assignment) -> CellPlan:
    """Which of ``submission``'s cells can affect what ``assignment`` grades.

    The graded names are every question's name (functions and values); the checks, the plots
    and the presence messages read nothing else from the student's namespace.
    """
    needed = [question.name for question in assignment.questions]
    return plan_cells([(cell.number, cell.source) for cell in submission.cells], needed)


def _optional(question: Question, lab: Mapping[str, Path]) -> bool:
    """Left out of the grade when absent: optional, unless the public lab being graded asks
    for it (``required_with`` names a lab data file the instructor supplied)."""
    return question.optional and not any(name in lab for name in question.required_with)


def run_check(check: Callable[[CheckContext], None], ctx: CheckContext) -> CheckResult:
    """Run one check and record its outcome; the student's exceptions become feedback."""
    question, spec = ctx.question, ctx.spec
    try:
        check(ctx)
    except CheckFailed as exc:
        return _record(
            question,
            spec,
            "failed",
            0.0,
            exc.message,
            counterexample=exc.counterexample,
            diagnosis=exc.diagnosis,
            behaviour=fingerprint(spec.id, exc.message),
        )
    except StudentCallError as exc:
        status = "timeout" if exc.status == "timeout" else "error"
        return _record(
            question, spec, status, 0.0, exc.message, behaviour=fingerprint(spec.id, exc.message)
        )
    return _record(question, spec, "passed", spec.points, "")


def _unreached_definitions(submission: Submission, reports: Sequence[CellReport]) -> dict[str, str]:
    """Names a cell that stopped early (an error, a timeout) defines with ``def``, and why it
    stopped: the first such cell for each name, in order."""
    stopped = {r.number: r.message for r in reports if r.status != "ok"}
    found: dict[str, str] = {}
    for cell in submission.cells:
        if cell.number in stopped:
            for name in _DEFINITION.findall(cell.source):
                found.setdefault(name, stopped[cell.number])
    return found


_MAX_SHOWN_VALUE = 60  # characters of a value shown where a graded function was expected

# A top-level ``def`` (a nested one would not be defined even if its cell ran to the end).
_DEFINITION = re.compile(r"^def[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(", re.MULTILINE)


def _presence_problem(
    question: Question,
    defined: dict[str, str],
    unreached: Mapping[str, str],
    session: WorkerSession,
) -> str | None:
    kind = defined.get(question.name)
    if question.kind == "function":
        if kind is None and question.name in unreached:
            # The student did write it: say why it never ran, not "define it".
            return (
                f"`{question.name}` is written in your submission but was never defined: the "
                f"code stopped before reaching it: {unreached[question.name].rstrip('.')}. Fix "
                f"that error, or move the failing line out of the way, and `{question.name}` "
                "will be defined."
            )
        if kind is None:
            return (
                f"`{question.name}` is not defined in your submission. Define "
                f"`{question.signature}` at the top level (not inside another function), "
                "spelled exactly like this."
            )
        if kind != "function":
            return (
                f"`{question.name}` is defined, but {_what_it_is(session, question.name)}, not a "
                f"function: expected `def {question.signature}:` at the top level."
            )
        return None
    if kind is None:
        return f"`{question.name}` is not defined after running your submission."
    return None


def _what_it_is(session: WorkerSession, name: str) -> str:
    """``"it is `None`"``: the student's value under a graded function's name, read back once."""
    outcome = session.value(name)
    if outcome.status != "ok":
        return "it is a value"
    if isinstance(outcome.value, Unsupported):
        return f"it is a {outcome.value.type_name}"
    shown = render_value(outcome.value, max_items=4)
    if len(shown) > _MAX_SHOWN_VALUE or "\n" in shown:
        return f"it is a {type(outcome.value).__name__}"
    return f"it is `{shown}`"


def _not_attempted(question: Question, reason: str) -> str:
    """The message of a graded function that is still the template's stub (``reason``)."""
    return (
        f"`{question.name}` is not attempted yet: {reason}. Write `{question.signature}`, "
        "then check again."
    )


def _wrong_assignment(
    assignment: Assignment, submission: Submission, not_defined: Collection[str]
) -> str | None:
    """When most graded functions are not defined, and the file defines another assignment's
    functions: the warning that names it (the most likely slip is the ``--assignment``)."""
    functions = {q.name for q in assignment.questions if q.kind == "function"}
    if not functions or len(not_defined) * 2 < len(functions):
        return None
    written = defined_functions(cell.source for cell in submission.cells)
    best: tuple[int, str, tuple[str, ...]] | None = None
    for slug, theirs_all in _graded_functions(assignments_root()).items():
        if slug == assignment.slug:
            continue
        theirs = tuple(sorted(written & theirs_all))
        if len(theirs) >= 2 and (best is None or len(theirs) > best[0]):
            best = (len(theirs), slug, theirs)
    if best is None:
        return None
    _, slug, theirs = best
    return (
        f"Most of what `{assignment.slug}` grades is not defined in this file ({len(not_defined)} "
        f"of {len(functions)} functions), but it defines functions of `{slug}` "
        f"({', '.join(theirs)}): was it meant for `--assignment {slug}`?"
    )


@functools.lru_cache(maxsize=4)
def _graded_functions(root: Path) -> dict[str, frozenset[str]]:
    """The function names each assignment under ``root`` grades (read once per process)."""
    found: dict[str, frozenset[str]] = {}
    for slug in available_assignments(root):
        try:
            other = load_assignment(slug, root=root)
        except SpecError:
            continue
        found[slug] = frozenset(q.name for q in other.questions if q.kind == "function")
    return found


def _record(
    question: Question,
    spec: CheckSpec,
    status: str,
    score: float,
    message: str,
    *,
    counterexample: str | None = None,
    diagnosis: str | None = None,
    behaviour: str | None = None,
) -> CheckResult:
    return CheckResult(
        check_id=spec.id,
        question=question.id,
        name=spec.id.replace("_", " "),
        status=status,  # type: ignore[arg-type]  # one of the Status literals by construction
        score=score,
        max_score=spec.points,
        message=message,
        counterexample=counterexample,
        diagnosis=diagnosis,
        behaviour=behaviour,
        visibility=spec.visibility,
    )


def _sha256_or_empty(path: Path) -> str:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
