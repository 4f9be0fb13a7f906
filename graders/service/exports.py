"""The instructor's downloads of a served course: ``grades.csv`` and the Canvas-import CSV.

One reason to change: what the downloads hold. The API and the web pages serve the same text;
``grades.csv`` is the gradebook's own export, as ``grader grade`` writes it (every roster
student, the counting attempt of each).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from graders.gradebook import Gradebook
from graders.service.canvas import canvas_csv
from graders.service.course import Course
from graders.spec import Assignment

__all__ = ["canvas_text", "grades_text"]


def grades_text(course: Course, spec: Assignment) -> str:
    """``grades.csv`` of ``spec`` in ``course``: the gradebook's export."""
    with tempfile.TemporaryDirectory() as folder, Gradebook(course.database) as book:
        path = Path(folder) / "grades.csv"
        questions = [q.id for q in spec.questions]
        book.export_csv(spec.slug, questions, path, students=set(course.store.students()))
        return path.read_text(encoding="utf-8")


def canvas_text(course: Course, spec: Assignment) -> str:
    """Canvas's gradebook-import CSV of ``spec``: every roster student and their points."""
    with Gradebook(course.database) as book:
        scores = dict(
            book.rows("SELECT student, score FROM submissions WHERE assignment = ?", (spec.slug,))
        )
    return canvas_csv(
        course.store.roster(),
        scores,
        title=spec.title,
        max_score=spec.max_score,
        canvas_id=course.settings.assignments[spec.slug].canvas_assignment_id,
    )
