"""The SQLite gradebook: one row per submission and one per (submission, check).

Each submission is written in one transaction as soon as it is graded, so a batch killed at any
point (even by SIGKILL) loses at most the submissions in flight, never a committed one, and never
leaves a submission half written. A re-run skips every student whose stored content hash and
grading key equal the current ones and grades the new and changed submissions.

The gradebook also holds the course secret that seeded its hidden searches (table ``meta``), so a
regrade draws the same hidden inputs; a different secret is refused. Keep the file private.

``writes`` counts how many times a student's row was written: after a killed batch and its re-run
it is 1 for every student, which is how the tests prove "graded exactly once".

Only one process writes (the batch's main process); the database runs in WAL mode with
``synchronous=NORMAL``, where a committed transaction survives the death of the process.

One module of about 500 lines on purpose: the schema, its additive migrations, the writes and the
queries (rows for the summary, the CSV) change together when a column does.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from graders.errors import GradebookError
from graders.hidden import CourseSecret
from graders.results import SubmissionResult, round_points

__all__ = [
    "SCHEMA_VERSION",
    "Gradebook",
    "Stored",
    "csv_cell",
    "diagnosis_id",
    "overhead_seconds",
]

#: Bumped when the tables change; a gradebook of another version is refused, not guessed at.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    assignment    TEXT NOT NULL,
    student       TEXT NOT NULL,
    path          TEXT NOT NULL,   -- the file, relative to the submissions folder
    sha256        TEXT NOT NULL,   -- of the file's bytes; '' when it could not be read
    grading_key   TEXT NOT NULL,   -- grader version + spec + data files it was graded with
    status        TEXT NOT NULL,   -- graded | ungradable
    score         REAL NOT NULL,
    max_score     REAL NOT NULL,
    isolation     TEXT NOT NULL,   -- bwrap | process | none
    seconds       REAL NOT NULL,   -- wall time grading it
    cells_seconds REAL NOT NULL,   -- running the student's cells
    student_seconds  REAL NOT NULL,  -- inside the student's functions
    overhead_seconds REAL NOT NULL,  -- seconds - cells_seconds - student_seconds
    timings_json  TEXT NOT NULL,
    graded_at     TEXT NOT NULL,   -- UTC, ISO 8601
    writes        INTEGER NOT NULL DEFAULT 1,
    result_json   TEXT NOT NULL,   -- Gradescope results.json, as `grader check --format json`
    record_json   TEXT NOT NULL,   -- lossless record (plots included) to re-render feedback
    PRIMARY KEY (assignment, student)
);
CREATE TABLE IF NOT EXISTS checks (
    assignment TEXT NOT NULL,
    student    TEXT NOT NULL,
    position   INTEGER NOT NULL,   -- order of the check in the assignment
    check_id   TEXT NOT NULL,
    question   TEXT NOT NULL,
    status     TEXT NOT NULL,      -- passed | failed | error | timeout | missing
    score      REAL NOT NULL,
    max_score  REAL NOT NULL,
    behaviour  TEXT,               -- fingerprint of the observed wrong behaviour
    diagnosis  TEXT,
    diagnosis_id TEXT,             -- the misconception's short name ("gradient-mean-not-sum")
    counterexample TEXT,
    message    TEXT NOT NULL,
    PRIMARY KEY (assignment, student, check_id),
    FOREIGN KEY (assignment, student) REFERENCES submissions (assignment, student)
        ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS checks_by_behaviour ON checks (assignment, check_id, behaviour);
"""

# Added to schema 1 without a version bump: older graders ignore the table, and a gradebook
# written before it existed gets it (and a secret) on its next use.
_META = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
# Also added to schema 1 (a gradebook without it gets the column, filled from its diagnoses).
_DIAGNOSIS_ID = "ALTER TABLE checks ADD COLUMN diagnosis_id TEXT"
_DIAGNOSIS_NAME = re.compile(r"^([a-z0-9][a-z0-9-]*[a-z0-9]): ")
_SECRET_KEY = "hidden_search_secret"
_FINGERPRINT_KEY = "hidden_search_secret_fingerprint"

# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Stored:
    """What the gradebook knows about a student's last grading, enough to decide a skip."""

    student: str
    path: str
    sha256: str
    grading_key: str
    status: str


def overhead_seconds(timings: dict[str, float]) -> float:
    """The grader's own time: the total minus the student's cells and function calls."""
    total = timings.get("total", 0.0)
    own = timings.get("cells", 0.0) + timings.get("student_calls", 0.0)
    return max(total - own, 0.0)


def csv_cell(text: str) -> str:
    """``text`` made safe for a spreadsheet: a leading ``=``, ``+``, ``-`` or ``@`` is quoted.

    Student ids come from file names a student chose; ``=HYPERLINK(...)`` must stay text.
    """
    return "'" + text if text.startswith(_FORMULA_START) else text


def _utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Gradebook:
    """A gradebook file, open until :meth:`close` (or the end of a ``with`` block).

    Parameters
    ----------
    path
        The SQLite file, created with its schema if absent (with its parent folders).

    Raises
    ------
    GradebookError
        If the file is not a gradebook of this schema version.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30.0)
        try:
            self._setup()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise GradebookError(f"{path} is not a usable gradebook: {exc}") from exc
        except BaseException:
            self._db.close()
            raise

    def _setup(self) -> None:
        db = self._db
        # WAL + synchronous=NORMAL: a committed submission survives SIGKILL of the grader.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
        if version == 0 and int(tables[0]) == 0:
            with db:
                db.executescript(_SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
        elif version != SCHEMA_VERSION:
            raise GradebookError(
                f"{self.path} was written by another version of the grader (gradebook schema "
                f"{version}, this grader uses {SCHEMA_VERSION}); move it away or choose another "
                "--out folder"
            )
        with db:
            db.executescript(_META)
            columns = {row[1] for row in db.execute("PRAGMA table_info(checks)")}
            if "diagnosis_id" not in columns:
                db.execute(_DIAGNOSIS_ID)
                found = db.execute(
                    "SELECT rowid, diagnosis FROM checks WHERE diagnosis IS NOT NULL"
                ).fetchall()
                db.executemany(
                    "UPDATE checks SET diagnosis_id = ? WHERE rowid = ?",
                    [(diagnosis_id(text), rowid) for rowid, text in found],
                )

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the connection; idempotent."""
        self._db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ reading

    def stored(self, assignment: str) -> dict[str, Stored]:
        """Every stored student of ``assignment`` with what decides a skip, by student id."""
        rows = self._db.execute(
            "SELECT student, path, sha256, grading_key, status FROM submissions "
            "WHERE assignment = ?",
            (assignment,),
        ).fetchall()
        return {row[0]: Stored(*row) for row in rows}

    def stored_hash(self, assignment: str, student: str) -> str | None:
        """The content hash stored for this student's graded submission, if any."""
        row = self._db.execute(
            "SELECT sha256 FROM submissions WHERE assignment = ? AND student = ?",
            (assignment, student),
        ).fetchone()
        return None if row is None else str(row[0])

    def result(self, assignment: str, student: str) -> SubmissionResult | None:
        """The stored result of a student, rebuilt exactly (plots included), if any."""
        row = self._db.execute(
            "SELECT record_json FROM submissions WHERE assignment = ? AND student = ?",
            (assignment, student),
        ).fetchone()
        return None if row is None else SubmissionResult.from_record(json.loads(row[0]))

    def results(self, assignment: str) -> Iterator[dict[str, Any]]:
        """Every stored result of ``assignment`` as its Gradescope-style JSON dict, by student."""
        cursor = self._db.execute(
            "SELECT result_json FROM submissions WHERE assignment = ? ORDER BY student",
            (assignment,),
        )
        for (text,) in cursor:
            yield json.loads(text)

    def submission_rows(self, assignment: str) -> Iterator[dict[str, Any]]:
        """One plain record per stored submission of ``assignment``, sorted by student.

        Keys ``student``, ``score``, ``status``, ``isolation``, ``seconds``,
        ``overhead_seconds`` and ``output`` (the result's output for an ungradable submission;
        ``""`` for a graded one, whose result is not read). What ``graders.summary`` needs.
        """
        cursor = self._db.execute(
            "SELECT student, score, status, isolation, seconds, overhead_seconds, "
            "CASE WHEN status = 'ungradable' THEN result_json ELSE '' END "
            "FROM submissions WHERE assignment = ? ORDER BY student",
            (assignment,),
        )
        for student, score, status, isolation, seconds, overhead, result_json in cursor:
            output = str(json.loads(result_json).get("output", "")) if result_json else ""
            yield {
                "student": student,
                "score": score,
                "status": status,
                "isolation": isolation,
                "seconds": seconds,
                "overhead_seconds": overhead,
                "output": output,
            }

    def check_rows(self, assignment: str) -> Iterator[dict[str, Any]]:
        """One plain record per stored (submission, check) of ``assignment``.

        Student by student, each in check order; keys ``student``, ``check_id``, ``question``,
        ``status``, ``score``, ``behaviour``, ``diagnosis``, ``counterexample``, ``message``.
        """
        columns = (
            "student",
            "check_id",
            "question",
            "status",
            "score",
            "behaviour",
            "diagnosis",
            "counterexample",
            "message",
        )
        cursor = self._db.execute(
            f"SELECT {', '.join(columns)} FROM checks WHERE assignment = ? "
            "ORDER BY student, position",
            (assignment,),
        )
        for row in cursor:
            yield dict(zip(columns, row, strict=True))

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query (for summaries and tests)."""
        return list(self._db.execute(sql, params).fetchall())

    def course_secret(self, given: CourseSecret | None = None) -> CourseSecret:
        """The secret of this gradebook's hidden searches, stored on first use.

        Parameters
        ----------
        given
            The instructor's secret (``--secret-file``), if any. Absent, the stored one is used,
            or a new random one is generated and stored.

        Raises
        ------
        GradebookError
            If ``given`` differs from the stored secret: the stored grades were drawn with it,
            and mixing two secrets would grade students on different hidden inputs.
        """
        with self._db as db:  # one writer per gradebook (the batch's main process)
            rows = dict(db.execute("SELECT key, value FROM meta").fetchall())
            stored = rows.get(_SECRET_KEY)
            if stored is not None:
                try:
                    secret = CourseSecret.from_text(stored)
                except ValueError as exc:
                    raise GradebookError(f"{self.path}: the stored secret is unusable") from exc
                if given is not None and given != secret:
                    raise GradebookError(
                        f"{self.path} was graded with another secret (fingerprint "
                        f"{secret.fingerprint}; the one given has {given.fingerprint}). Regrade "
                        "it with the same secret, or choose another --out folder."
                    )
                return secret
            secret = given if given is not None else CourseSecret.generate()
            db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [(_SECRET_KEY, secret.to_text()), (_FINGERPRINT_KEY, secret.fingerprint)],
            )
            return secret

    # ------------------------------------------------------------------ writing

    def record(self, result: SubmissionResult, *, path: str = "", grading_key: str = "") -> None:
        """Store ``result`` (replacing an earlier grade of the same student) in one transaction.

        Parameters
        ----------
        result
            The graded (or ungradable) submission.
        path
            The file, relative to the submissions folder (for the instructor's reference).
        grading_key
            What it was graded with (see ``graders.batch.grading_key``); a change regrades it.
        """
        timings = dict(result.timings)
        row = (
            result.assignment,
            result.student,
            path,
            result.sha256,
            grading_key,
            result.status,
            result.score,
            result.max_score,
            result.isolation,
            timings.get("total", 0.0),
            timings.get("cells", 0.0),
            timings.get("student_calls", 0.0),
            overhead_seconds(timings),
            json.dumps(timings, sort_keys=True),
            _utc_now(),
            result.to_json(),
            json.dumps(result.to_record(), sort_keys=True, allow_nan=True),
        )
        checks = [
            (
                result.assignment,
                result.student,
                position,
                c.check_id,
                c.question,
                c.status,
                c.score,
                c.max_score,
                c.behaviour,
                c.diagnosis,
                diagnosis_id(c.diagnosis),
                c.counterexample,
                c.message,
            )
            for position, c in enumerate(result.checks)
        ]
        with self._db as db:  # one transaction: both tables or neither
            db.execute(
                """INSERT INTO submissions (assignment, student, path, sha256, grading_key,
                       status, score, max_score, isolation, seconds, cells_seconds,
                       student_seconds, overhead_seconds, timings_json, graded_at, writes,
                       result_json, record_json)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
                   ON CONFLICT (assignment, student) DO UPDATE SET
                       path = excluded.path, sha256 = excluded.sha256,
                       grading_key = excluded.grading_key, status = excluded.status,
                       score = excluded.score, max_score = excluded.max_score,
                       isolation = excluded.isolation, seconds = excluded.seconds,
                       cells_seconds = excluded.cells_seconds,
                       student_seconds = excluded.student_seconds,
                       overhead_seconds = excluded.overhead_seconds,
                       timings_json = excluded.timings_json, graded_at = excluded.graded_at,
                       writes = writes + 1, result_json = excluded.result_json,
                       record_json = excluded.record_json""",
                row,
            )
            db.execute(
                "DELETE FROM checks WHERE assignment = ? AND student = ?",
                (result.assignment, result.student),
            )
            db.executemany(
                """INSERT INTO checks (assignment, student, position, check_id, question,
                       status, score, max_score, behaviour, diagnosis, diagnosis_id,
                       counterexample, message)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                checks,
            )

    # ------------------------------------------------------------------ export

    def export_csv(
        self,
        assignment: str,
        questions: Sequence[str],
        path: Path,
        *,
        students: Collection[str] | None = None,
    ) -> None:
        """Write one row per student: a column per question (its points), then ``total``,
        ``max_score``, ``status`` (graded / ungradable), ``percentage`` (of the total, 0-100, one
        decimal), ``isolation`` (the sandbox layer that ran it) and ``graded_at`` (UTC, ISO 8601).

        Parameters
        ----------
        assignment
            Whose rows.
        questions
            Question ids, in column order.
        path
            The CSV file (UTF-8, written to a temporary file and renamed into place).
        students
            Only these students (the current cohort); every stored one when None.

        Notes
        -----
        A question the student did not attempt and that is optional is left empty; an
        ungradable submission scores 0 everywhere. Student ids that a spreadsheet would run as
        a formula are quoted (see :func:`csv_cell`).
        """
        per_question: dict[str, dict[str, float]] = {}
        for student, question, score in self._db.execute(
            "SELECT student, question, SUM(score) FROM checks WHERE assignment = ? "
            "GROUP BY student, question",
            (assignment,),
        ):
            per_question.setdefault(student, {})[question] = float(score)
        partial = path.with_name(path.name + ".partial")
        with partial.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student", *questions, "total", "max_score", *_CSV_TAIL])
            for student, score, max_score, status, isolation, graded_at in self._db.execute(
                "SELECT student, score, max_score, status, isolation, graded_at FROM submissions "
                "WHERE assignment = ? ORDER BY student",
                (assignment,),
            ):
                if students is not None and student not in students:
                    continue
                scores = per_question.get(student, {})
                empty = "" if status == "graded" else "0"
                writer.writerow(
                    [
                        csv_cell(student),
                        *(_number(scores[q]) if q in scores else empty for q in questions),
                        _number(score),
                        _number(max_score),
                        status,
                        f"{100 * score / max_score:.1f}" if max_score > 0 else "",
                        isolation,
                        graded_at,
                    ]
                )
        partial.replace(path)


#: The columns after the points, in order (new ones go at the end: scripts read by position).
_CSV_TAIL = ("status", "percentage", "isolation", "graded_at")


def diagnosis_id(diagnosis: str | None) -> str | None:
    """The misconception's short name, the part of the diagnosis before ``": "``.

    Examples
    --------
    >>> diagnosis_id("gradient-mean-not-sum: the gradient is divided by n")
    'gradient-mean-not-sum'
    >>> diagnosis_id("the sign is flipped") is None
    True
    """
    match = _DIAGNOSIS_NAME.match(diagnosis or "")
    return match.group(1) if match else None


def _number(value: float) -> str:
    """Points as a spreadsheet reads them: ``2``, ``1.5``, ``0.3333`` (4 decimals at most)."""
    if not math.isfinite(value):
        return ""
    return f"{round_points(value):g}"
