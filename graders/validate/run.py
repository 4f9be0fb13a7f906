"""Running ``grader validate``: plan the jobs, grade them on an executor, gather the verdicts.

One reason to change: what a validation job is and how jobs run (written to a temporary folder,
graded through the real pipeline on :mod:`graders.executors`, grouped per assignment).
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from graders.checks.registry import validate_assignment
from graders.engine import grade_path, sandbox_config
from graders.executors import TaskOutcome, make_executor
from graders.samples import iter_samples, load_expectation, mismatches
from graders.spec import Assignment, load_assignment
from graders.validate.catalogue import Mutant, load_catalogue
from graders.validate.inliner import apply_mutant, build_reference_source
from graders.validate.judge import judge_mutant, judge_reference

__all__ = [
    "AssignmentReport",
    "Job",
    "JobKind",
    "Verdict",
    "plan_jobs",
    "run_job",
    "run_jobs",
    "run_task",
    "validate",
]

JobKind = Literal["reference", "sample", "mutant"]


@dataclass(frozen=True)
class Job:
    """One submission to grade and how to judge it."""

    assignment: str  # the assignment's directory, so copies outside assignments/ work too
    slug: str
    kind: JobKind
    name: str
    path: Path
    mutant: Mutant | None = None


@dataclass(frozen=True)
class Verdict:
    """The judged grade of one job.

    Attributes
    ----------
    ok
        The job's known answer held: full marks (reference), as expected (sample), caught and
        nothing unrelated failed (mutant).
    caught
        Mutants only: every check in ``kills`` failed.
    """

    slug: str
    kind: JobKind
    name: str
    ok: bool
    problems: tuple[str, ...]
    score: float
    max_score: float
    seconds: float
    isolation: str
    caught: bool = False


def run_job(job: Job) -> Verdict:
    """Grade ``job.path`` in a fresh sandbox (its own ``WorkerSession``) and judge the grade.

    A grader-side failure (the sandbox cannot start, a check crashes) becomes a problem of this
    job's verdict, so one broken job does not hide the verdicts of the others.
    """
    started = time.perf_counter()
    assignment = load_assignment(job.assignment)
    validate_assignment(assignment)
    try:
        result = grade_path(
            job.path, assignment, student=job.name, config=sandbox_config(assignment)
        )
    except Exception as exc:  # reported as this job's problem, with its type
        problem = f"grading it raised {type(exc).__name__}: {exc}"
        return _failed(job, problem, assignment.max_score, time.perf_counter() - started)
    caught = False
    if job.kind == "reference":
        problems = judge_reference(result, assignment)
    elif job.kind == "mutant":
        assert job.mutant is not None
        caught, problems = judge_mutant(result, job.mutant)
    else:
        problems = mismatches(result, assignment, load_expectation(job.path))
    return Verdict(
        slug=job.slug,
        kind=job.kind,
        name=job.name,
        ok=not problems,
        problems=tuple(problems),
        score=result.score,
        max_score=result.max_score,
        seconds=time.perf_counter() - started,
        isolation=result.isolation,
        caught=caught,
    )


def plan_jobs(assignment: Assignment, workdir: Path, *, samples: bool = True) -> list[Job]:
    """Write the reference and every mutant of ``assignment`` under ``workdir``; list the jobs.

    Every catalogue problem (a bad field, an edit that does not apply, a mutant that does not
    compile) is raised here, before anything is graded.
    """
    catalogue = load_catalogue(assignment)
    source = build_reference_source(assignment, catalogue.append)
    folder = workdir / assignment.slug
    folder.mkdir(parents=True, exist_ok=True)
    where = f"the built reference of {assignment.slug} (see {catalogue.path})"
    mutated = [(m, apply_mutant(source, m, where=where)) for m in catalogue.mutants]
    home = str(assignment.directory)
    reference_path = folder / "reference.py"
    reference_path.write_text(source, encoding="utf-8")
    jobs = [Job(home, assignment.slug, "reference", "reference", reference_path)]
    for mutant, text in mutated:
        path = folder / f"mutant_{_safe(mutant.id)}.py"
        path.write_text(text, encoding="utf-8")
        jobs.append(Job(home, assignment.slug, "mutant", mutant.id, path, mutant))
    if samples:
        for path, _ in iter_samples(assignment):  # parses every expectation now: fail early
            jobs.append(Job(home, assignment.slug, "sample", path.name, path))
    return jobs


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def run_task(job: Job) -> TaskOutcome[Job, Verdict]:
    """Grade and judge one job: the function the executors run (see :func:`run_job`)."""
    return TaskOutcome(job, result=run_job(job))


def _grader_failed(job: Job, error: str) -> Verdict:
    """The verdict of a job the grader itself failed on (its process died twice, say)."""
    max_score = 0.0
    with contextlib.suppress(Exception):
        max_score = load_assignment(job.assignment).max_score
    lines = error.strip().splitlines() or ["unknown error"]
    return _failed(job, f"the grader failed: {lines[-1]}", max_score, 0.0)


def _failed(job: Job, problem: str, max_score: float, seconds: float) -> Verdict:
    """A job that produced no grade: not ok, 0 points, ``problem`` said."""
    return Verdict(
        slug=job.slug,
        kind=job.kind,
        name=job.name,
        ok=False,
        problems=(problem,),
        score=0.0,
        max_score=max_score,
        seconds=seconds,
        isolation="unknown",
    )


def run_jobs(
    jobs: Sequence[Job],
    *,
    workers: int = 2,
    on_done: Callable[[Verdict], None] | None = None,
) -> list[Verdict]:
    """Grade every job, ``workers`` at a time, and return the verdicts in the jobs' order.

    With ``workers > 1`` the jobs run in a :class:`~graders.executors.LocalPool` (processes
    forked from a fresh forkserver: no threads or sandbox state inherited from this one); with
    1, in this thread. ``on_done`` sees each verdict as its job finishes. A job the grader
    fails on (its process dies twice) is a verdict with that problem, not the end of the run.
    """
    # Outcomes come back as copies (from other processes): find each job's place by value.
    places: dict[Job, list[int]] = {}
    for index, job in enumerate(jobs):
        places.setdefault(job, []).append(index)
    verdicts: dict[int, Verdict] = {}
    executor = make_executor(workers if len(jobs) > 1 else 1, run_task)
    try:
        for outcome in executor.run(jobs):
            verdict = outcome.result
            if verdict is None:
                verdict = _grader_failed(outcome.task, outcome.error or "unknown error")
            verdicts[places[outcome.task].pop(0)] = verdict
            if on_done is not None:
                on_done(verdict)
    finally:
        executor.close()
    return [verdicts[i] for i in range(len(jobs))]


@dataclass(frozen=True)
class AssignmentReport:
    """Every verdict of one assignment, and what they add up to."""

    slug: str
    verdicts: tuple[Verdict, ...] = field(default_factory=tuple)

    def of_kind(self, kind: JobKind) -> tuple[Verdict, ...]:
        """The verdicts of one kind, in the order they were planned."""
        return tuple(v for v in self.verdicts if v.kind == kind)

    @property
    def mutation_score(self) -> tuple[int, int]:
        """``(caught, total)`` over the catalogue's mutants."""
        mutants = self.of_kind("mutant")
        return sum(v.caught for v in mutants), len(mutants)

    @property
    def ok(self) -> bool:
        """True when every known answer held."""
        return all(v.ok for v in self.verdicts)

    def problems(self) -> list[str]:
        """One line per problem, naming the assignment, the kind and the job."""
        return [
            f"{self.slug} {v.kind} {v.name}: {p}"
            for v in self.verdicts
            if not v.ok
            for p in v.problems
        ]


def validate(
    assignments: Iterable[Assignment],
    *,
    workers: int = 2,
    samples: bool = True,
    on_done: Callable[[Verdict], None] | None = None,
) -> list[AssignmentReport]:
    """Plan every assignment's jobs (catalogue errors raise before grading), grade them all in
    one pool, and group the verdicts per assignment."""
    chosen = list(assignments)
    with tempfile.TemporaryDirectory(prefix="grader-validate-") as tmp:
        jobs = [job for a in chosen for job in plan_jobs(a, Path(tmp), samples=samples)]
        # References first (quick feedback), then mutants, then samples.
        rank = {"reference": 0, "mutant": 1, "sample": 2}
        order = sorted(range(len(jobs)), key=lambda i: (rank[jobs[i].kind], i))
        done = run_jobs([jobs[i] for i in order], workers=workers, on_done=on_done)
    by_index = dict(zip(order, done, strict=True))
    verdicts = [by_index[i] for i in range(len(jobs))]
    return [
        AssignmentReport(a.slug, tuple(v for v in verdicts if v.slug == a.slug)) for a in chosen
    ]
