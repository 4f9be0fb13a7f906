"""A course's settings file, ``DIR/course.toml``: what the service offers and its limits.

One reason to change: the settings an instructor can edit (their names, defaults and bounds).
The shape is checked like ``assignment.toml`` (msgspec: types, bounds, unknown keys refused), so a
misspelt key is an error at start-up, not a limit silently left at its default.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["AssignmentSettings", "CourseSettings", "load_settings", "settings_text", "utc"]

Policy = Literal["last", "best"]
Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]

#: Default cap on one upload (a notebook with its outputs and plots stays well below it).
DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: Default number of submissions one student may make in an hour (all assignments together).
DEFAULT_RATE_LIMIT = 10


class AssignmentSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One assignment's course settings (table ``[assignments.SLUG]``).

    Attributes
    ----------
    policy
        Which attempt the gradebook holds: ``"last"`` (the default) or ``"best"`` (the highest
        score; of equal scores, the later attempt).
    due
        When the ``after_due_date`` checks become visible (an ISO 8601 date-time with a zone).
    published
        ``after_published`` checks are visible once this is true.
    visibility
        Per-check visibility, ``check_id = "hidden"``, over what the result says (Gradescope's
        four values).
    canvas_assignment_id
        The assignment's id in Canvas, for the Canvas-import CSV's column title.
    late_penalty_per_day
        Share of the points lost per started day after ``due`` (0: none; 1: nothing late
        counts), applied when an attempt is graded (graders.service.late).
    closes
        When uploads stop being accepted (refused with 422 from then on); None: never.
    hidden_checks
        What a student sees of a check not shown now: ``"points"`` (the default: its name,
        points and pass/fail) or ``"nothing"`` (it is left out, and the score a student sees
        counts only the checks shown, saying so).
    """

    policy: Policy = "last"
    due: dt.datetime | None = None
    published: bool = False
    visibility: dict[str, Visibility] = {}
    canvas_assignment_id: int | None = None
    late_penalty_per_day: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.0
    closes: dt.datetime | None = None
    hidden_checks: Literal["points", "nothing"] = "points"


class CourseSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The whole settings file.

    Attributes
    ----------
    assignments
        The slugs students may submit to, with their settings.
    rate_limit_per_hour
        Submissions one student may make in any hour; the next one is refused with 429.
    max_upload_bytes
        The largest file accepted; larger ones are refused with 413.
    require_isolation
        ``grader serve`` refuses to start unless bubblewrap's namespaces are available (as
        ``--require-isolation``; an assignment's own ``require_isolation`` counts too).
    """

    assignments: dict[str, AssignmentSettings]
    rate_limit_per_hour: Annotated[int, msgspec.Meta(ge=1)] = DEFAULT_RATE_LIMIT
    max_upload_bytes: Annotated[int, msgspec.Meta(ge=1)] = DEFAULT_MAX_UPLOAD_BYTES
    require_isolation: bool = False

    def assignment(self, slug: str) -> AssignmentSettings:
        """The settings of ``slug``; ``KeyError`` if the course does not offer it."""
        return self.assignments[slug]


def utc(moment: dt.datetime) -> dt.datetime:
    """A date-time of the settings, zone-aware: one written without a zone is read as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def load_settings(path: Path) -> CourseSettings:
    """Read ``course.toml``; a ``ValueError`` names the file and the bad field."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return msgspec.convert(raw, CourseSettings, strict=False)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read the course settings {path}: {exc}") from exc
    except msgspec.ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def settings_text(assignments: Mapping[str, AssignmentSettings] | list[str]) -> str:
    """The ``course.toml`` that ``grader course init`` writes: every setting with its default."""
    lines = [
        "# The course's settings, read when `grader serve` starts.",
        f"rate_limit_per_hour = {DEFAULT_RATE_LIMIT}  # submissions per student per hour",
        f"max_upload_bytes = {DEFAULT_MAX_UPLOAD_BYTES}",
        "require_isolation = false  # true: refuse to serve without bubblewrap's namespaces",
        "",
    ]
    for slug in assignments:
        lines += [
            f'[assignments."{slug}"]',
            'policy = "last"  # or "best": which attempt the gradebook holds',
            "# due = 2026-12-18T23:59:00Z  # after_due_date checks are shown from then on",
            "# published = false  # after_published checks are shown once true (or published on"
            " the class page)",
            '# visibility = { some_check_id = "hidden" }  # over the spec\'s own visibility',
            '# hidden_checks = "points"  # or "nothing": a check not shown is left out',
            "# late_penalty_per_day = 0.1  # share of the points lost per day after `due`",
            "# closes = 2026-12-25T23:59:00Z  # uploads refused from then on",
            "# canvas_assignment_id = 12345  # the column of /api/canvas.csv",
            "",
        ]
    return "\n".join(lines)
