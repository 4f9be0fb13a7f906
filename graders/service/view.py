"""What a student may see of a result: the results.json document with its hidden parts removed.

One reason to change: the visibility rules. A check's visibility (the result's, or the course's
override in ``course.toml``) has Gradescope's meanings: ``visible``; ``hidden`` (never shown);
``after_due_date`` (shown once the assignment's due date has passed); ``after_published`` (shown
once the instructor sets ``published = true``). A check not shown now keeps its name, points and
pass/fail status; its messages, counterexample, diagnosis and behaviour are removed. The hidden
search's inputs are in no document at all: the engine never puts them in a result.

The student's document carries each shown check's message under ``extra_data.message``, so that
``grader submit`` can print the same report as ``grader check``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from graders.results import CheckResult, SubmissionResult
from graders.service.settings import AssignmentSettings

__all__ = ["HIDDEN_NOTE", "instructor_document", "shown_now", "student_document"]

#: What a student reads in place of a check that is not shown.
HIDDEN_NOTE = "This check's feedback is hidden: only its points are shown."


def shown_now(visibility: str, settings: AssignmentSettings, now: dt.datetime) -> bool:
    """Whether a check of this visibility is shown to students at ``now`` (timezone-aware)."""
    if visibility == "visible":
        return True
    if visibility == "after_due_date":
        return settings.due is not None and now >= _aware(settings.due)
    if visibility == "after_published":
        return settings.published
    return False  # "hidden", and anything unknown


def student_document(
    result: SubmissionResult, settings: AssignmentSettings, now: dt.datetime
) -> dict[str, Any]:
    """The results.json document of ``result`` as its student may see it at ``now``."""
    document = result.to_gradescope()
    for check, test in zip(result.checks, document["tests"], strict=True):
        visibility = settings.visibility.get(check.check_id, check.visibility)
        test["visibility"] = visibility
        if shown_now(visibility, settings, now):
            test["extra_data"]["message"] = check.message
        else:
            test["output"] = HIDDEN_NOTE
            test["extra_data"] = _points_only(check)
    return document


def instructor_document(result: SubmissionResult) -> dict[str, Any]:
    """The whole results.json document, every check shown (with its message)."""
    document = result.to_gradescope()
    for check, test in zip(result.checks, document["tests"], strict=True):
        test["extra_data"]["message"] = check.message
    return document


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


def _aware(moment: dt.datetime) -> dt.datetime:
    """A due date without a zone is read as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)
