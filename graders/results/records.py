"""One immutable record per graded submission (:class:`SubmissionResult`, of :class:`CheckResult`),
and its two views: Gradescope's ``results.json`` and the gradebook's lossless record.

One reason to change: what a result holds. The JSON views stay with the records on purpose:
a result's invariant is stated in its JSON (``SubmissionResult._fit`` cuts texts until
:meth:`SubmissionResult.to_json` fits in ``MAX_RESULT_BYTES``), and a field added to a record
is added to its views in the same change, so records and views are one concern, not two.

The JSON follows Gradescope's schema (``score``, ``max_score``, ``output``, ``tests[]``) with our
own fields under ``extra_data``. It is deterministic: identical results give byte-identical JSON,
except for the values under ``extra_data.timings``, so a regrade can be diffed against the last.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

from graders.results.bounds import (
    _FITTING_LIMITS,
    MAX_CELL_REPORTS,
    MAX_NOTES,
    MAX_RESULT_BYTES,
    MAX_TEXT_CHARS,
    _bad,
    _clipped_cell,
    _fewer_cells,
    _plain,
    _points,
    _text,
    _tuple,
    clip_text,
    round_points,
)
from graders.results.plots import Plot

Status = Literal["passed", "failed", "error", "timeout", "missing"]
SubmissionStatus = Literal["graded", "ungradable"]

_STATUSES = frozenset(get_args(Status))
_SUBMISSION_STATUSES = frozenset(get_args(SubmissionStatus))
_VISIBILITIES = frozenset({"visible", "hidden", "after_due_date", "after_published"})


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
        return self.status == "passed" and round_points(self.score) == round_points(self.max_score)

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
            "score": round_points(self.score),
            "max_score": round_points(self.max_score),
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
                f"Score: {round_points(self.score):g} / {round_points(self.max_score):g} "
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
            "score": round_points(self.score),
            "max_score": round_points(self.max_score),
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
    lines += [f"- {cell_name(c)}: {c['reason']}" for c in skipped]
    return "\n".join(lines)


def cell_name(entry: Mapping[str, Any]) -> str:
    """How a skipped-cell or cell-report entry names its cell: its label, else ``"cell N"``.

    >>> cell_name({"cell": 12, "label": "code cell 7 (`plt.plot(w)`)"})
    'code cell 7 (`plt.plot(w)`)'
    >>> cell_name({"cell": 12})
    'cell 12'
    """
    label = entry.get("label")
    return label if isinstance(label, str) and label else f"cell {entry.get('cell')}"


_SKIPPED_KEYS = {"cell", "reason", "label"}


def _skipped_cells(value: object) -> tuple[dict[str, Any], ...]:
    """Validated copies of the skipped-cell entries, at most ``MAX_CELL_REPORTS``."""
    entries = _tuple("skipped_cells", value)[:MAX_CELL_REPORTS]
    copies = []
    for i, entry in enumerate(entries):
        where = f"skipped_cells[{i}]"
        keys = set(entry) if isinstance(entry, Mapping) else set()
        if not isinstance(entry, Mapping) or not {"cell", "reason"} <= keys <= _SKIPPED_KEYS:
            raise TypeError(
                _bad(where, entry, 'a dict with keys "cell" and "reason" (and maybe "label")')
            )
        if isinstance(entry["cell"], bool) or not isinstance(entry["cell"], int):
            raise TypeError(_bad(f"{where}['cell']", entry["cell"], "an int"))
        _text(f"{where}['reason']", entry["reason"])
        copy = {"cell": entry["cell"], "reason": clip_text(entry["reason"])}
        if "label" in entry:
            _text(f"{where}['label']", entry["label"])
            copy["label"] = clip_text(entry["label"])
        copies.append(copy)
    return tuple(copies)
