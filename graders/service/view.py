"""What a student may see of a result: the results.json document with its hidden parts removed.

One reason to change: the visibility rules. A check's visibility (the result's, or the course's
override in ``course.toml``) has Gradescope's meanings: ``visible``; ``hidden`` (never shown);
``after_due_date`` (shown once the assignment's due date has passed); ``after_published`` (shown
once the instructor publishes them: ``published = true`` in ``course.toml``, or the class
page's "Publish hidden results" button, :func:`in_effect`; withdrawing returns to
``course.toml``'s value). A check not shown now keeps its name, points and
pass/fail status; its messages, counterexample, diagnosis and behaviour are removed (or, with
the assignment's ``hidden_checks = "nothing"``, the check is left out, totals included). The hidden
search's inputs are in no document at all: the engine never puts them in a result.

The student's document carries each shown check's message under ``extra_data.message``, so that
``grader submit`` can print the same report as ``grader check``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import msgspec

from graders.report.html.views import HIDDEN_NOTE, full_document
from graders.results import CheckResult, SubmissionResult
from graders.service.course import Course
from graders.service.settings import AssignmentSettings, utc
from graders.service.store import Attempt

__all__ = [
    "HIDDEN_NOTE",
    "LEFT_OUT_NOTE",
    "as_student_sees",
    "in_effect",
    "instructor_document",
    "shown_now",
    "student_document",
]

#: What a student reads when checks are left out of their document (``hidden_checks``).
LEFT_OUT_NOTE = (
    "Some checks of this assignment are not shown yet: the score here counts only the checks "
    "shown, and your grade may differ."
)


def in_effect(course: Course, slug: str) -> AssignmentSettings | None:
    """``slug``'s settings as the visibility rules apply them now (None if it is not offered).

    ``course.toml`` is read once, at start-up; the instructor's publishing is read from the
    course database on each call, so a click takes effect at the next request.
    """
    own = course.settings.assignments.get(slug)
    if own is None or own.published or not course.store.published(slug):
        return own
    return msgspec.structs.replace(own, published=True)


def shown_now(visibility: str, settings: AssignmentSettings, now: dt.datetime) -> bool:
    """Whether a check of this visibility is shown to students at ``now`` (timezone-aware)."""
    if visibility == "visible":
        return True
    if visibility == "after_due_date":
        return settings.due is not None and now >= utc(settings.due)
    if visibility == "after_published":
        return settings.published
    return False  # "hidden", and anything unknown


def student_document(
    result: SubmissionResult, settings: AssignmentSettings, now: dt.datetime
) -> dict[str, Any]:
    """The results.json document of ``result`` as its student may see it at ``now``.

    With ``hidden_checks = "nothing"``, a check not shown is left out altogether, and the
    score, the points available and the overall text are those of the checks shown (with
    :data:`LEFT_OUT_NOTE`), so that no total gives the hidden checks away.
    """
    document = result.to_gradescope()
    kept: list[tuple[CheckResult, dict[str, Any]]] = []
    for check, test in zip(result.checks, document["tests"], strict=True):
        visibility = settings.visibility.get(check.check_id, check.visibility)
        test["visibility"] = visibility
        if shown_now(visibility, settings, now):
            test["extra_data"]["message"] = check.message
        elif settings.hidden_checks == "nothing":
            continue
        else:
            test["output"] = HIDDEN_NOTE
            test["extra_data"] = _points_only(check)
        kept.append((check, test))
    if len(kept) == len(result.checks):
        return document
    shown = dataclasses.replace(
        result,
        checks=tuple(check for check, _ in kept),
        assignment_max_score=math.fsum(check.max_score for check, _ in kept),
        notes=(*result.notes, LEFT_OUT_NOTE),
    )
    partial = shown.to_gradescope()
    partial["tests"] = [test for _, test in kept]
    return partial


def as_student_sees(attempt: Attempt, settings: AssignmentSettings, now: dt.datetime) -> Attempt:
    """``attempt`` with the score its student may see (all of it, unless checks are left out
    of the student's document: then the shown checks' score and points)."""
    result = attempt.result() if settings.hidden_checks == "nothing" else None
    if result is None:
        return attempt
    document = student_document(result, settings, now)
    if len(document["tests"]) == len(result.checks):
        return attempt
    return dataclasses.replace(
        attempt, score=float(document["score"]), max_score=float(document["max_score"])
    )


def instructor_document(result: SubmissionResult) -> dict[str, Any]:
    """The whole results.json document, every check shown (with its message)."""
    return full_document(result)


def _points_only(check: CheckResult) -> dict[str, Any]:
    return {
        "check_id": check.check_id,
        "question": check.question,
        "status": "passed" if check.status == "passed" else "failed",
        "message": HIDDEN_NOTE,
        "diagnosis": None,
        "counterexample": None,
        "behaviour": None,
    }
