"""The SQLite gradebook: one row per submission and one per (submission, check).

Each submission is written in one transaction as soon as it is graded, so a batch killed at any
point loses at most the submissions in flight; a re-run skips every student whose stored content
hash equals the file's, and grades the new and changed ones. ``writes`` counts how many times a
student's row was written, which lets tests prove "graded exactly once".
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from graders.results import SubmissionResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    assignment TEXT NOT NULL,
    student    TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    status     TEXT NOT NULL,
    score      REAL NOT NULL,
    max_score  REAL NOT NULL,
    isolation  TEXT NOT NULL,
    seconds    REAL NOT NULL,
    cells_seconds REAL NOT NULL,
    writes     INTEGER NOT NULL DEFAULT 1,
    result_json TEXT NOT NULL,
    PRIMARY KEY (assignment, student)
);
CREATE TABLE IF NOT EXISTS checks (
    assignment TEXT NOT NULL,
    student    TEXT NOT NULL,
    check_id   TEXT NOT NULL,
    question   TEXT NOT NULL,
    status     TEXT NOT NULL,
    score      REAL NOT NULL,
    max_score  REAL NOT NULL,
    behaviour  TEXT,
    diagnosis  TEXT,
    message    TEXT NOT NULL,
    PRIMARY KEY (assignment, student, check_id),
    FOREIGN KEY (assignment, student) REFERENCES submissions (assignment, student)
);
"""


class Gradebook:
    """A gradebook file; every method opens a short transaction (safe to kill between calls).

    Parameters
    ----------
    path
        The SQLite file, created with its schema if absent.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0)
        # WAL + synchronous=NORMAL: a committed submission survives SIGKILL of the grader.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def stored_hash(self, assignment: str, student: str) -> str | None:
        """The content hash stored for this student's graded submission, if any."""
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT sha256 FROM submissions WHERE assignment = ? AND student = ?",
                (assignment, student),
            ).fetchone()
        return None if row is None else str(row[0])

    def record(self, result: SubmissionResult) -> None:
        """Store ``result`` (replacing an earlier grade of the same student) in one transaction."""
        with closing(self._connect()) as db, db:
            db.execute(
                """INSERT INTO submissions (assignment, student, sha256, status, score,
                       max_score, isolation, seconds, cells_seconds, writes, result_json)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
                   ON CONFLICT (assignment, student) DO UPDATE SET
                       sha256 = excluded.sha256, status = excluded.status,
                       score = excluded.score, max_score = excluded.max_score,
                       isolation = excluded.isolation, seconds = excluded.seconds,
                       cells_seconds = excluded.cells_seconds, writes = writes + 1,
                       result_json = excluded.result_json""",
                (
                    result.assignment,
                    result.student,
                    result.sha256,
                    result.status,
                    result.score,
                    result.max_score,
                    result.isolation,
                    float(result.timings.get("total", 0.0)),
                    float(result.timings.get("cells", 0.0)),
                    result.to_json(),
                ),
            )
            db.execute(
                "DELETE FROM checks WHERE assignment = ? AND student = ?",
                (result.assignment, result.student),
            )
            db.executemany(
                """INSERT INTO checks (assignment, student, check_id, question, status, score,
                       max_score, behaviour, diagnosis, message)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    (
                        result.assignment,
                        result.student,
                        c.check_id,
                        c.question,
                        c.status,
                        c.score,
                        c.max_score,
                        c.behaviour,
                        c.diagnosis,
                        c.message,
                    )
                    for c in result.checks
                ],
            )

    def results(self, assignment: str) -> Iterator[dict[str, Any]]:
        """Every stored result of ``assignment`` as its Gradescope-style JSON dict, by student."""
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT result_json FROM submissions WHERE assignment = ? ORDER BY student",
                (assignment,),
            ).fetchall()
        for (text,) in rows:
            yield json.loads(text)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query (for summaries and tests)."""
        with closing(self._connect()) as db:
            return list(db.execute(sql, params).fetchall())

    def export_csv(self, assignment: str, questions: Sequence[str], path: Path) -> None:
        """One row per student: a column per question (its points), total, max, status."""
        per_question: dict[str, dict[str, float]] = {}
        for student, question, score in self.rows(
            "SELECT student, question, SUM(score) FROM checks WHERE assignment = ? "
            "GROUP BY student, question",
            (assignment,),
        ):
            per_question.setdefault(student, {})[question] = float(score)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student", *questions, "total", "max_score", "status"])
            for student, score, max_score, status in self.rows(
                "SELECT student, score, max_score, status FROM submissions "
                "WHERE assignment = ? ORDER BY student",
                (assignment,),
            ):
                scores = per_question.get(student, {})
                writer.writerow(
                    [
                        student,
                        *(f"{scores.get(q, 0.0):g}" for q in questions),
                        f"{score:g}",
                        f"{max_score:g}",
                        status,
                    ]
                )
