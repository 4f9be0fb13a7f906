"""One immutable record per graded submission, and its JSON (Gradescope ``results.json``).

The JSON follows Gradescope's schema (``score``, ``max_score``, ``output``, ``tests[]``) with our
own fields under ``extra_data``. It is deterministic: identical results give byte-identical JSON,
except for the values under ``extra_data.timings``, so a regrade can be diffed against the last.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

__all__ = [
    "MAX_CELL_REPORTS",
    "MAX_NOTES",
    "MAX_RESULT_BYTES",
    "MAX_TEXT_CHARS",
    "SCORE_DECIMALS",
    "CheckResult",
    "Plot",
    "PlotSeries",
    "Status",
    "SubmissionResult",
    "clip_text",
    "skipped_cells_line",
]

Status = Literal["passed", "failed", "error", "timeout", "missing"]
SubmissionStatus = Literal["graded", "ungradable"]
SeriesRole = Literal["student", "reference", "guide"]

#: Scores are rounded to this many decimals in the JSON (sums of thirds stay readable).
SCORE_DECIMALS = 4
_STATUSES = frozenset(get_args(Status))
_SUBMISSION_STATUSES = frozenset(get_args(SubmissionStatus))
_VISIBILITIES = frozenset({"visible", "hidden", "after_due_date", "after_published"})
_ROLES = frozenset(get_args(SeriesRole))
#: Most points one plotted series may hold (a feedback page stays small).
MAX_PLOT_POINTS = 2000
#: Longest text a result keeps in one field (a message, a counterexample, a note, a cell's
#: report), in characters; longer text is cut and ends with a visible ``[truncated: ...]``.
MAX_TEXT_CHARS = 10_000
#: Most cell reports a result lists (problems first); a note says how many were left out.
MAX_CELL_REPORTS = 500
#: Most notes a result keeps.
MAX_NOTES = 100
#: Largest ``results.json`` (UTF-8 bytes): past it, every text is cut shorter until it fits.
MAX_RESULT_BYTES = 1_000_000
# The shorter limits tried, in order, when a result is still larger than MAX_RESULT_BYTES.
_FITTING_LIMITS = (2_000, 500, 120)


def _bad(name: str, value: object, wanted: str) -> str:
    return f"{name} must be {wanted}, got {value!r} of type {type(value).__name__}"


def _points(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(_bad(name, value, "a finite number >= 0"))
    result = float(value)
    if not math.isfinite(result) or result < 0:
        raise ValueError(_bad(name, value, "a finite number >= 0"))
    return result


def _text(name: str, value: object, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not isinstance(value, str):
        raise TypeError(_bad(name, value, "a str" + (" or None" if optional else "")))


def clip_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` made writable and bounded: lone surrogates become U+FFFD, and past ``limit``
    characters it is cut, ending with ``... [truncated: N more characters]``.

    The student controls most texts of a result (their exception messages, their function
    names, the lines of their notebook); a result is written as UTF-8 and must stay small.
    Idempotent: a clipped text is at most ``limit`` characters long.
    """
    if len(text) > limit:
        kept = max(limit - 48, 0)
        text = f"{text[:kept]}... [truncated: {len(text) - kept} more characters]"
    if _SURROGATE.search(text) is not None:
        text = _SURROGATE.sub("\ufffd", text)
    return text


# A surrogate code point: never valid on its own in a str, and no UTF-8 writer accepts it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _clipped_cell(cell: Mapping[str, Any], limit: int) -> dict[str, Any]:
    copy = dict(cell)
    for key, value in copy.items():
        if isinstance(value, str):
            copy[key] = clip_text(value, limit)
    return copy


def _round(value: float) -> float:
    # + 0.0 turns -0.0 into 0.0, which would otherwise print as "-0.0".
    return round(value, SCORE_DECIMALS) + 0.0


def _plain(value: object, where: str) -> Any:
    """A JSON-ready copy of plain data: tuples become lists, floats are rounded."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None  # NaN and inf are not JSON; Gradescope rejects them
        return _round(value)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(_bad(f"a key in {where}", key, "a str"))
            out[key] = _plain(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise TypeError(_bad(where, value, "plain data (str, number, bool, None, list, dict)"))


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check of one question.

    Attributes
    ----------
    check_id
        Registry id of the check, e.g. ``"sigmoid_matches_reference"``.
    question
        Id of the question the check belongs to.
    name
        Human title shown to the student.
    status
        ``"passed"``, ``"failed"``, ``"error"`` (the student's code raised or crashed),
        ``"timeout"`` or ``"missing"`` (the function or variable is not defined).
    score, max_score
        Points earned and available, ``0 <= score <= max_score``.
    message
        What the student reads ("" when passed).
    counterexample
        The (shrunk) input that shows a failure, rendered for humans.
    diagnosis
        The known misconception the behaviour matches, if any.
    behaviour
        A short stable fingerprint of the student's outputs on the check's inputs, to group
        identical wrong behaviour across a class.
    visibility
        Gradescope visibility: ``"visible"``, ``"hidden"``, ``"after_due_date"`` or
        ``"after_published"``.
    """

    check_id: str
    question: str
    name: str
    status: Status
    score: float
    max_score: float
    message: str
    counterexample: str | None = None
    diagnosis: str | None = None
    behaviour: str | None = None
    visibility: str = "visible"

    def __post_init__(self) -> None:
        for name in ("check_id", "question", "name", "message"):
            _text(name, getattr(self, name))
        for name in ("counterexample", "diagnosis", "behaviour"):
            _text(name, getattr(self, name), optional=True)
        for name in ("message", "counterexample", "diagnosis"):
            text = getattr(self, name)
            if text is not None:
                object.__setattr__(self, name, clip_text(text))
        if self.status not in _STATUSES:
            raise ValueError(_bad("status", self.status, f"one of {sorted(_STATUSES)}"))
        if self.visibility not in _VISIBILITIES:
            raise ValueError(_bad("visibility", self.visibility, f"one of {sorted(_VISIBILITIES)}"))
        score = _points("score", self.score)
        max_score = _points("max_score", self.max_score)
        if score > max_score:
            raise ValueError(f"score={score!r} must not exceed max_score={max_score!r}")
        object.__setattr__(self, "score", score)
        object.__setattr__(self, "max_score", max_score)

    @property
    def full_marks(self) -> bool:
        """True when the check passed with every point (as Gradescope shows "passed")."""
        return self.status == "passed" and _round(self.score) == _round(self.max_score)

    def output(self) -> str:
        """The text a student reads for this check: message, counterexample and diagnosis."""
        parts = [self.message] if self.message else []
        if self.counterexample:
            parts.append(f"Input that shows the problem:\n{self.counterexample}")
        if self.diagnosis:
            parts.append(f"Likely cause: {self.diagnosis}")
        if not parts:
            parts.append("Passed." if self.status == "passed" else self.status.capitalize() + ".")
        return "\n\n".join(parts)

    def to_gradescope(self) -> dict[str, Any]:
        """This check as one entry of Gradescope's ``tests`` list."""
        return {
            "name": self.name,
            "score": _round(self.score),
            "max_score": _round(self.max_score),
            "status": "passed" if self.full_marks else "failed",
            "output": self.output(),
            "visibility": self.visibility,
            "extra_data": {
                "check_id": self.check_id,
                "question": self.question,
                "status": self.status,
                "diagnosis": self.diagnosis,
                "counterexample": self.counterexample,
                "behaviour": self.behaviour,
            },
        }


@dataclass(frozen=True)
class PlotSeries:
    """One line of a plot: the student's values, the reference's, or a guide (the diagonal).

    Attributes
    ----------
    label
        Legend text.
    x, y
        Coordinates, equally long; ``nan`` in ``y`` leaves a gap (a value that was not finite).
    role
        ``"student"``, ``"reference"`` or ``"guide"``: decides the style, not the meaning.
    """

    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    role: SeriesRole

    def __post_init__(self) -> None:
        _text("label", self.label)
        if self.role not in _ROLES:
            raise ValueError(_bad("role", self.role, f"one of {sorted(_ROLES)}"))
        x = tuple(float(v) for v in _tuple("x", self.x))
        y = tuple(float(v) for v in _tuple("y", self.y))
        if len(x) != len(y):
            raise ValueError(f"x and y must be equally long, got {len(x)} and {len(y)}")
        if len(x) > MAX_PLOT_POINTS:
            raise ValueError(f"a series holds at most {MAX_PLOT_POINTS} points, got {len(x)}")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    def to_plain(self) -> dict[str, Any]:
        """JSON-ready dict (non-finite values become ``None``)."""
        return {
            "label": self.label,
            "role": self.role,
            "x": [v if math.isfinite(v) else None for v in self.x],
            "y": [v if math.isfinite(v) else None for v in self.y],
        }

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> PlotSeries:
        """Inverse of :meth:`to_plain` (``None`` becomes ``nan``)."""
        return cls(
            label=data["label"],
            x=tuple(math.nan if v is None else float(v) for v in data["x"]),
            y=tuple(math.nan if v is None else float(v) for v in data["y"]),
            role=data["role"],
        )


@dataclass(frozen=True)
class Plot:
    """A picture for the student's feedback: their function against the reference.

    Plots are gathered while the student's worker is open (``graders.checks.plots``) and drawn by
    ``graders.report.html``. They are feedback only: never part of the score, and not in the
    Gradescope JSON.

    Attributes
    ----------
    id
        Stable name, e.g. ``"sigmoid"`` or ``"roc_curve"``.
    question
        Id of the question the plot illustrates.
    title, x_label, y_label
        Texts drawn on the plot.
    series
        The lines, drawn in order (the student's last, on top).
    caption
        One or two sentences under the plot saying what was called and how to read it.
    """

    id: str
    question: str
    title: str
    x_label: str
    y_label: str
    series: tuple[PlotSeries, ...]
    caption: str = ""

    def __post_init__(self) -> None:
        for name in ("id", "question", "title", "x_label", "y_label", "caption"):
            _text(name, getattr(self, name))
        series = _tuple("series", self.series)
        for i, line in enumerate(series):
            if not isinstance(line, PlotSeries):
                raise TypeError(_bad(f"series[{i}]", line, "a PlotSeries"))
        object.__setattr__(self, "series", series)

    def to_plain(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "question": self.question,
            "title": self.title,
            "x_label": self.x_label,
            "y_label": self.y_label,
            "caption": self.caption,
            "series": [line.to_plain() for line in self.series],
        }

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> Plot:
        """Inverse of :meth:`to_plain`."""
        return cls(
            id=data["id"],
            question=data["question"],
            title=data["title"],
            x_label=data["x_label"],
            y_label=data["y_label"],
            caption=data.get("caption", ""),
            series=tuple(PlotSeries.from_plain(line) for line in data["series"]),
        )


@dataclass(frozen=True)
class SubmissionResult:
    """Everything known about one graded (or ungradable) submission.

    Attributes
    ----------
    student, assignment
        Who and what.
    status
        ``"graded"`` or ``"ungradable"`` (the submission could not be loaded or run at all).
    checks
        One :class:`CheckResult` per check, in the assignment's order.
    isolation
        Which sandbox layer ran the code (``"bwrap"``, ``"process"``, or ``"none"``).
    notes
        Human notes from loading, e.g. removed IPython magics.
    cell_reports
        One plain dict per cell (``{"cell": 7, "status": "error", "message": "..."}``).
    timings
        Seconds per phase; the only values allowed to differ between identical runs.
    sha256
        Hex digest of the submitted file.
    message
        Overall message (the reason, for an ungradable submission).
    assignment_max_score
        The assignment's total points; when None, the sum of the checks' ``max_score``.
    plots
        Pictures for the feedback page (the student's function against the reference); not
        part of the Gradescope JSON.
    skipped_cells
        The cells not run because nothing graded depends on them (``{"cell": 12, "reason":
        "..."}``, in notebook order; at most ``MAX_CELL_REPORTS``); empty when every cell ran.

    Notes
    -----
    Frozen: sequences are stored as tuples and the dicts are copied on construction; treat them
    as read-only.
    """

    student: str
    assignment: str
    status: SubmissionStatus
    checks: tuple[CheckResult, ...]
    isolation: str
    notes: tuple[str, ...]
    cell_reports: tuple[dict[str, Any], ...]
    timings: dict[str, float]
    sha256: str
    message: str = ""
    assignment_max_score: float | None = None
    plots: tuple[Plot, ...] = ()
    skipped_cells: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        for name in ("student", "assignment", "isolation", "sha256", "message"):
            _text(name, getattr(self, name))
        if self.status not in _SUBMISSION_STATUSES:
            raise ValueError(_bad("status", self.status, f"one of {sorted(_SUBMISSION_STATUSES)}"))
        checks = _tuple("checks", self.checks)
        for i, check in enumerate(checks):
            if not isinstance(check, CheckResult):
                raise TypeError(_bad(f"checks[{i}]", check, "a CheckResult"))
        notes = _tuple("notes", self.notes)
        for i, note in enumerate(notes):
            _text(f"notes[{i}]", note)
        cells = _tuple("cell_reports", self.cell_reports)
        copies = []
        for i, cell in enumerate(cells):
            if not isinstance(cell, Mapping):
                raise TypeError(_bad(f"cell_reports[{i}]", cell, "a dict"))
            _plain(cell, f"cell_reports[{i}]")  # fail now, not when the JSON is written
            copies.append(_clipped_cell(cell, MAX_TEXT_CHARS))
        copies, left_out = _fewer_cells(copies)
        notes = tuple(clip_text(note) for note in notes[:MAX_NOTES])
        if left_out:  # the last of the MAX_NOTES places, so that a copy keeps every note
            notes = notes[: MAX_NOTES - 1] + (
                f"{left_out} of {len(cells)} cell reports are not listed "
                f"(a result lists at most {MAX_CELL_REPORTS}, problems first).",
            )
        object.__setattr__(self, "message", clip_text(self.message))
        if not isinstance(self.timings, Mapping):
            raise TypeError(_bad("timings", self.timings, "a dict of str to seconds"))
        timings = {}
        for key, seconds in self.timings.items():
            _text("a key of timings", key)
            timings[key] = _points(f"timings[{key!r}]", seconds)
        plots = _tuple("plots", self.plots)
        for i, plot in enumerate(plots):
            if not isinstance(plot, Plot):
                raise TypeError(_bad(f"plots[{i}]", plot, "a Plot"))
        object.__setattr__(self, "plots", plots)
        object.__setattr__(self, "skipped_cells", _skipped_cells(self.skipped_cells))
        object.__setattr__(self, "checks", checks)
        object.__setattr__(self, "notes", notes)
        object.__setattr__(self, "cell_reports", tuple(copies))
        object.__setattr__(self, "timings", timings)
        if self.assignment_max_score is not None:
            total = _points("assignment_max_score", self.assignment_max_score)
            object.__setattr__(self, "assignment_max_score", total)
        self._fit()

    def _fit(self) -> None:
        """Cut every text shorter until the JSON is at most ``MAX_RESULT_BYTES``.

        Each text is already bounded, but a result holds many (hundreds of cell reports, each
        check's message twice): this bounds their sum. Cheap unless the texts are long.
        """
        for limit in _FITTING_LIMITS:
            if self._text_chars() * 12 < MAX_RESULT_BYTES:  # 2 copies, 6 bytes per character
                return
            if len(self.to_json().encode("utf-8")) <= MAX_RESULT_BYTES:
                return
            object.__setattr__(self, "message", clip_text(self.message, limit))
            object.__setattr__(self, "notes", tuple(clip_text(n, limit) for n in self.notes))
            object.__setattr__(
                self, "cell_reports", tuple(_clipped_cell(c, limit) for c in self.cell_reports)
            )
            object.__setattr__(
                self, "skipped_cells", tuple(_clipped_cell(c, limit) for c in self.skipped_cells)
            )
            checks = tuple(
                replace(
                    c,
                    message=clip_text(c.message, limit),
                    counterexample=None
                    if c.counterexample is None
                    else clip_text(c.counterexample, limit),
                    diagnosis=None if c.diagnosis is None else clip_text(c.diagnosis, limit),
                )
                for c in self.checks
            )
            object.__setattr__(self, "checks", checks)

    def _text_chars(self) -> int:
        """Characters in the result's texts (an upper bound's basis for the JSON's size)."""
        total = len(self.message) + sum(map(len, self.notes))
        total += sum(len(str(v)) for cell in self.cell_reports for v in cell.values())
        total += sum(len(str(cell["reason"])) + 20 for cell in self.skipped_cells)
        for c in self.checks:
            total += len(c.message) + len(c.counterexample or "") + len(c.diagnosis or "")
            total += len(c.name) + 200  # ids, numbers and the JSON around them
        return total

    @classmethod
    def ungradable(
        cls,
        student: str,
        assignment: str,
        message: str,
        sha256: str,
        *,
        max_score: float,
        isolation: str = "none",
        notes: Iterable[str] = (),
        cell_reports: Iterable[Mapping[str, Any]] = (),
        timings: Mapping[str, float] | None = None,
    ) -> SubmissionResult:
        """A submission that could not be graded at all: 0 out of ``max_score``.

        Parameters
        ----------
        student, assignment
            Who and what.
        message
            Why, in words the student can act on.
        sha256
            Hex digest of the submitted bytes ("" if they could not be read).
        max_score
            The assignment's total points.
        isolation, notes, cell_reports, timings
            Whatever is known; nothing ran by default.
        """
        return cls(
            student=student,
            assignment=assignment,
            status="ungradable",
            checks=(),
            isolation=isolation,
            notes=tuple(notes),
            cell_reports=tuple(dict(c) for c in cell_reports),
            timings=dict(timings or {}),
            sha256=sha256,
            message=message,
            assignment_max_score=max_score,
        )

    @property
    def score(self) -> float:
        """Points earned: the sum of the checks' scores (0 when ungradable)."""
        return math.fsum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        """Points available: ``assignment_max_score`` if given, else the checks' total."""
        if self.assignment_max_score is not None:
            return self.assignment_max_score
        return math.fsum(c.max_score for c in self.checks)

    def output(self) -> str:
        """The overall text a student reads above the individual checks."""
        parts = [self.message] if self.message else []
        if self.status == "graded":
            passed = sum(c.full_marks for c in self.checks)
            parts.append(
                f"Score: {_round(self.score):g} / {_round(self.max_score):g} "
                f"({passed} of {len(self.checks)} checks passed)."
            )
        problems = [c for c in self.cell_reports if c.get("status", "ok") != "ok"]
        if problems:
            lines = ["Cells that failed or ran too long (they were skipped; later cells ran):"]
            lines += [f"- {c.get('message', '')}" for c in problems]
            parts.append("\n".join(lines))
        if self.skipped_cells:
            parts.append(skipped_cells_line(self.skipped_cells))
        if self.notes:
            parts.append("\n".join(["Notes:"] + [f"- {note}" for note in self.notes]))
        return "\n\n".join(parts)

    def to_gradescope(self) -> dict[str, Any]:
        """The result as a Gradescope ``results.json`` dict, our fields under ``extra_data``.

        Returns
        -------
        dict
            Keys ``score``, ``max_score``, ``output``, ``output_format``,
            ``test_output_format``, ``tests`` (one per check: ``name``, ``score``,
            ``max_score``, ``status`` -- ``"passed"`` only with full marks -- ``output``,
            ``visibility``, ``extra_data``) and ``extra_data`` (``student``, ``assignment``,
            ``submission_status``, ``message``, ``isolation``, ``notes``, ``cells``,
            ``skipped_cells``, ``timings``, ``sha256``). Floats are rounded to 4 decimals.
        """
        result = {
            "score": _round(self.score),
            "max_score": _round(self.max_score),
            "output": self.output(),
            # "text" keeps the aligned tables of the messages; Gradescope's default reflows them.
            "output_format": "text",
            "test_output_format": "text",
            "tests": [check.to_gradescope() for check in self.checks],
            "extra_data": {
                "student": self.student,
                "assignment": self.assignment,
                "submission_status": self.status,
                "message": self.message,
                "isolation": self.isolation,
                "notes": list(self.notes),
                "cells": list(self.cell_reports),
                "skipped_cells": list(self.skipped_cells),
                "timings": dict(self.timings),
                "sha256": self.sha256,
            },
        }
        plain: dict[str, Any] = _plain(result, "result")
        return plain

    def to_record(self) -> dict[str, Any]:
        """Every field as plain data, unrounded, plots included: what a gradebook stores.

        Unlike :meth:`to_gradescope` (a view for students and Gradescope), the record is
        lossless: :meth:`from_record` rebuilds an equal result, so feedback can be re-rendered
        without grading again.
        """
        return {
            "student": self.student,
            "assignment": self.assignment,
            "status": self.status,
            "checks": [
                {
                    "check_id": c.check_id,
                    "question": c.question,
                    "name": c.name,
                    "status": c.status,
                    "score": c.score,
                    "max_score": c.max_score,
                    "message": c.message,
                    "counterexample": c.counterexample,
                    "diagnosis": c.diagnosis,
                    "behaviour": c.behaviour,
                    "visibility": c.visibility,
                }
                for c in self.checks
            ],
            "isolation": self.isolation,
            "notes": list(self.notes),
            "cell_reports": [dict(c) for c in self.cell_reports],
            "timings": dict(self.timings),
            "sha256": self.sha256,
            "message": self.message,
            "assignment_max_score": self.assignment_max_score,
            "plots": [plot.to_plain() for plot in self.plots],
            "skipped_cells": [dict(c) for c in self.skipped_cells],
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> SubmissionResult:
        """Rebuild a result from :meth:`to_record` (validated like any new result)."""
        return cls(
            student=record["student"],
            assignment=record["assignment"],
            status=record["status"],
            checks=tuple(CheckResult(**c) for c in record["checks"]),
            isolation=record["isolation"],
            notes=tuple(record["notes"]),
            cell_reports=tuple(record["cell_reports"]),
            timings=dict(record["timings"]),
            sha256=record["sha256"],
            message=record["message"],
            assignment_max_score=record["assignment_max_score"],
            plots=tuple(Plot.from_plain(p) for p in record.get("plots", ())),
            skipped_cells=tuple(record.get("skipped_cells", ())),  # older records have none
        )

    def to_json(self) -> str:
        """:meth:`to_gradescope` as JSON: sorted keys, indent 2, UTF-8 text, trailing newline.

        Identical results give byte-identical text, apart from the values under
        ``extra_data.timings``.
        """
        return (
            json.dumps(
                self.to_gradescope(),
                sort_keys=True,
                indent=2,
                ensure_ascii=False,
                allow_nan=False,
            )
            + "\n"
        )


def skipped_cells_line(skipped: Sequence[Mapping[str, Any]]) -> str:
    """The feedback's one paragraph about the cells that were not run.

    Examples
    --------
    >>> print(skipped_cells_line([{"cell": 12, "reason": "it only changes `w`"}]))
    Not run, because grading does not need it (your notebook itself is unchanged):
    - cell 12: it only changes `w`
    """
    noun = "it" if len(skipped) == 1 else "them"
    lines = [f"Not run, because grading does not need {noun} (your notebook itself is unchanged):"]
    lines += [f"- cell {c['cell']}: {c['reason']}" for c in skipped]
    return "\n".join(lines)


def _skipped_cells(value: object) -> tuple[dict[str, Any], ...]:
    """Validated copies of the skipped-cell entries, at most ``MAX_CELL_REPORTS``."""
    entries = _tuple("skipped_cells", value)[:MAX_CELL_REPORTS]
    copies = []
    for i, entry in enumerate(entries):
        where = f"skipped_cells[{i}]"
        if not isinstance(entry, Mapping) or set(entry) != {"cell", "reason"}:
            raise TypeError(_bad(where, entry, 'a dict with keys "cell" and "reason"'))
        if isinstance(entry["cell"], bool) or not isinstance(entry["cell"], int):
            raise TypeError(_bad(f"{where}['cell']", entry["cell"], "an int"))
        _text(f"{where}['reason']", entry["reason"])
        copies.append({"cell": entry["cell"], "reason": clip_text(entry["reason"])})
    return tuple(copies)


def _fewer_cells(cells: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """At most ``MAX_CELL_REPORTS`` cell reports, in order, the problems kept first; and how
    many were left out."""
    if len(cells) <= MAX_CELL_REPORTS:
        return cells, 0
    problems = [i for i, c in enumerate(cells) if c.get("status", "ok") != "ok"]
    chosen = set(problems[:MAX_CELL_REPORTS])
    for i in range(len(cells)):
        if len(chosen) >= MAX_CELL_REPORTS:
            break
        chosen.add(i)
    return [cells[i] for i in sorted(chosen)], len(cells) - len(chosen)


def _tuple(name: str, value: object) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise TypeError(_bad(name, value, "a tuple"))
    return tuple(value)
