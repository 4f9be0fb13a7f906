"""The Canvas gradebook-import CSV of one assignment: a row per roster student, their points.

One reason to change: Canvas's import format. Canvas reads the columns ``Student``, ``ID``,
``SIS User ID``, ``SIS Login ID`` and ``Section``, then one column per assignment titled
``Name (canvas id)``; a second row ``Points Possible`` gives the assignment's total. Canvas
matches students by ``ID`` or ``SIS User ID``: the roster's columns ``name``, ``canvas_id``,
``sis_user_id`` (default: the student id), ``sis_login_id`` (default: ``email``) and ``section``
fill them. Without ``canvas_assignment_id`` in ``course.toml`` the column is titled with the
assignment's title alone, and Canvas creates a new assignment from it.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence

from graders.gradebook import csv_cell

__all__ = ["canvas_csv"]

_HEAD = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def _column(extra: Mapping[str, str], *names: str) -> str:
    lowered = {key.lower(): value for key, value in extra.items()}
    return next((lowered[n] for n in names if lowered.get(n)), "")


def canvas_csv(
    roster: Sequence[tuple[str, Mapping[str, str]]],
    scores: Mapping[str, float],
    *,
    title: str,
    max_score: float,
    canvas_id: int | None = None,
) -> str:
    """The CSV text: every roster student in roster order, an empty cell when not graded.

    Examples
    --------
    >>> print(canvas_csv([("ada", {"name": "Ada", "section": "A"})], {"ada": 11.5},
    ...                  title="MLE", max_score=12, canvas_id=42), end="")
    Student,ID,SIS User ID,SIS Login ID,Section,MLE (42)
    Points Possible,,,,,12
    Ada,,ada,,A,11.5
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*_HEAD, title if canvas_id is None else f"{title} ({canvas_id})"])
    writer.writerow(["Points Possible", "", "", "", "", _points(max_score)])
    for student, extra in roster:
        row = [
            _column(extra, "name", "student") or student,
            _column(extra, "canvas_id", "id"),
            _column(extra, "sis_user_id") or student,
            _column(extra, "sis_login_id", "email"),
            _column(extra, "section"),
            _points(scores[student]) if student in scores else "",
        ]
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()


def _points(value: float) -> str:
    return f"{round(value, 4) + 0.0:g}" if math.isfinite(value) else ""
