"""Validate the grading of an assignment against known answers (``grader validate``).

One reason to change: the public names of validation. Three kinds of known answer, all graded
through the real pipeline (load, sandbox, checks) like a student's file:

reference
    A submission built from ``reference/`` (the modules defining the assignment's function names
    are inlined into one self-contained ``.py``, :mod:`~graders.validate.inliner`): it must get
    full marks on every question, optional ones included.
samples
    Every ``examples/<stem>.py|.ipynb``: graded as its ``<stem>.expected.toml`` says
    (:func:`graders.samples.mismatches`).
mutants
    Small, realistic wrong versions of the reference, listed in
    ``assignments/<slug>/mutants.toml`` (:mod:`~graders.validate.catalogue`) as textual edits of
    the built reference source. Each must fail every check it ``kills`` and pass every check
    outside ``kills`` and ``also_affects`` (:mod:`~graders.validate.judge`).

:mod:`~graders.validate.run` plans the jobs and runs them on :mod:`graders.executors`.
"""

from graders.validate.catalogue import (
    CATALOGUE_NAME,
    MIN_MUTANTS,
    Catalogue,
    Edit,
    Mutant,
    load_catalogue,
)
from graders.validate.inliner import apply_mutant, build_reference_source, reference_modules
from graders.validate.judge import judge_mutant, judge_reference
from graders.validate.run import (
    AssignmentReport,
    Job,
    JobKind,
    Verdict,
    plan_jobs,
    run_job,
    run_jobs,
    run_task,
    validate,
)

__all__ = [
    "CATALOGUE_NAME",
    "MIN_MUTANTS",
    "AssignmentReport",
    "Catalogue",
    "Edit",
    "Job",
    "JobKind",
    "Mutant",
    "Verdict",
    "apply_mutant",
    "build_reference_source",
    "judge_mutant",
    "judge_reference",
    "load_catalogue",
    "plan_jobs",
    "reference_modules",
    "run_job",
    "run_jobs",
    "run_task",
    "validate",
]
