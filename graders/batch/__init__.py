"""Grade a whole cohort: find the submissions, grade them on an executor, keep a gradebook.

One reason to change: the batch's public names. Its rooms: :mod:`~graders.batch.discovery`
(which files are submissions, student ids), :mod:`~graders.batch.task` (one submission's grading
as plain data and the function every executor runs), :mod:`~graders.batch.cohort` (the cohort
loop: resume, the one gradebook writer) and :mod:`~graders.batch.outputs` (feedback files per
student). Where tasks run is :mod:`graders.executors`; how progress is shown is
:mod:`graders.report.progress`.
"""

from graders.batch.cohort import BatchReport, grade_cohort, grading_key
from graders.batch.discovery import (
    RESERVED_NAMES,
    SUBMISSION_SUFFIXES,
    Discovery,
    SubmissionFile,
    discover,
    file_digest,
)
from graders.batch.outputs import write_student_files
from graders.batch.task import GradeOutcome, GradeTask, grade_task

__all__ = [
    "RESERVED_NAMES",
    "SUBMISSION_SUFFIXES",
    "BatchReport",
    "Discovery",
    "GradeOutcome",
    "GradeTask",
    "SubmissionFile",
    "discover",
    "file_digest",
    "grade_cohort",
    "grade_task",
    "grading_key",
    "write_student_files",
]
