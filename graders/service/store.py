"""The service's tables in the course database: the roster, token hashes and every attempt.

One reason to change: how the service's state is stored and moved between states. The tables sit
beside the gradebook's (same SQLite file, WAL, ``synchronous=NORMAL``: a committed row survives
SIGKILL). Each method opens its own short connection, so the API's threads and the grading
threads never share one.

An attempt (one upload) moves ``queued -> grading -> graded | ungradable | error``; it is
committed as ``queued`` before the upload is acknowledged, and a server killed while grading it
leaves it ``grading``, which :meth:`Store.recover` puts back in the queue at the next start. A
regrade keeps the attempt's status and result (``regrade``: 1 pending, 2 running) until the new
result replaces them. The gradebook row of a student is derived from their attempts (see
:mod:`graders.service.queue`).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graders.results import SubmissionResult
from graders.service.auth import Identity
from graders.service.settings import Policy

__all__ = ["Attempt", "Claim", "Store", "TERMINAL"]

#: The statuses of an attempt that grading has finished with.
TERMINAL = ("graded", "ungradable", "error")

#: Tables added after the first courses were made: each statement is idempotent, and
#: :meth:`Store.migrate` (run whenever a course is opened) adds what an older database lacks.
_MIGRATIONS = (
    """
CREATE TABLE IF NOT EXISTS service_published (
    assignment TEXT PRIMARY KEY,
    published  INTEGER NOT NULL CHECK (published IN (0, 1)),  -- by the instructor's button
    changed    REAL NOT NULL                                  -- UNIX time of the last change
);
""",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS service_students (
    student_id TEXT PRIMARY KEY,
    position   INTEGER NOT NULL,  -- order in the roster
    extra_json TEXT NOT NULL      -- the roster's other columns (name, email, ...)
);
CREATE TABLE IF NOT EXISTS service_tokens (
    token_sha256 TEXT PRIMARY KEY,  -- the token itself is never stored
    role         TEXT NOT NULL CHECK (role IN ('student', 'instructor')),
    student_id   TEXT REFERENCES service_students (student_id)
);
CREATE TABLE IF NOT EXISTS service_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment   TEXT NOT NULL,
    student      TEXT NOT NULL REFERENCES service_students (student_id),
    filename     TEXT NOT NULL,   -- as uploaded (shown back to its student only)
    upload       TEXT NOT NULL,   -- the stored file, relative to the course folder
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    submitted    REAL NOT NULL,   -- UNIX time
    status       TEXT NOT NULL CHECK (status IN
                     ('queued', 'grading', 'graded', 'ungradable', 'error')),
    regrade      INTEGER NOT NULL DEFAULT 0,  -- 0 none, 1 pending, 2 running
    score        REAL,
    max_score    REAL,
    grading_key  TEXT,
    record_json  TEXT,            -- SubmissionResult.to_record() of the last grading
    error        TEXT,            -- the grader's own failure (never the student's)
    graded       REAL,            -- UNIX time of the last grading
    gradings     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS service_attempts_by_student
    ON service_attempts (student, submitted);
CREATE INDEX IF NOT EXISTS service_attempts_by_status ON service_attempts (status, id);
""" + "".join(_MIGRATIONS)

_COLUMNS = (
    "id, assignment, student, filename, upload, sha256, size, submitted, status, regrade, "
    "score, max_score, grading_key, record_json, error, graded, gradings"
)


@dataclass(frozen=True)
class Attempt:
    """One stored upload and what grading made of it (a row of ``service_attempts``)."""

    id: int
    assignment: str
    student: str
    filename: str
    upload: str
    sha256: str
    size: int
    submitted: float
    status: str
    regrade: int
    score: float | None
    max_score: float | None
    grading_key: str | None
    record_json: str | None
    error: str | None
    graded: float | None
    gradings: int

    def result(self) -> SubmissionResult | None:
        """The result of the last grading, rebuilt exactly, if it was graded."""
        if self.record_json is None:
            return None
        return SubmissionResult.from_record(json.loads(self.record_json))


@dataclass(frozen=True)
class Claim:
    """An attempt a grading worker has taken: what it needs to grade it."""

    id: int
    assignment: str
    student: str
    upload: str
    submitted: float


class Store:
    """The service tables of the course database at ``path`` (created by :meth:`create`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection, committed on success and rolled back on error, then closed."""
        with closing(sqlite3.connect(self.path, timeout=30.0)) as db:
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: committed rows survive SIGKILL
            db.execute("PRAGMA foreign_keys=ON")
            with db:
                yield db

    # ------------------------------------------------------------------ the course

    def create(
        self,
        students: Iterable[tuple[str, Mapping[str, str]]],
        token_hashes: Iterable[tuple[str, Identity]],
    ) -> None:
        """Create the tables and store the roster and token hashes, in one transaction."""
        with self._db() as db:
            db.executescript(_SCHEMA)
            db.executemany(
                "INSERT INTO service_students (student_id, position, extra_json) VALUES (?, ?, ?)",
                [
                    (student, i, json.dumps(dict(extra), sort_keys=True))
                    for i, (student, extra) in enumerate(students)
                ],
            )
            db.executemany(
                "INSERT INTO service_tokens (token_sha256, role, student_id) VALUES (?, ?, ?)",
                [(digest, who.role, who.student) for digest, who in token_hashes],
            )

    def migrate(self) -> None:
        """Add the tables a database made by an older version lacks (idempotent)."""
        with self._db() as db:
            for statement in _MIGRATIONS:
                db.execute(statement)

    def identities(self) -> list[tuple[str, Identity]]:
        """``(token hash, identity)`` of every token."""
        with self._db() as db:
            rows = db.execute("SELECT token_sha256, role, student_id FROM service_tokens")
            return [(digest, Identity(role, student)) for digest, role, student in rows]

    def roster(self) -> list[tuple[str, dict[str, str]]]:
        """The roster: each student id with the roster's other columns, in roster order."""
        with self._db() as db:
            rows = db.execute(
                "SELECT student_id, extra_json FROM service_students ORDER BY position"
            )
            return [(student, json.loads(extra)) for student, extra in rows]

    def students(self) -> list[str]:
        """The roster's student ids, in roster order."""
        with self._db() as db:
            rows = db.execute("SELECT student_id FROM service_students ORDER BY position")
            return [row[0] for row in rows]

    # ------------------------------------------------------------------ submitting

    def enqueue(
        self,
        *,
        assignment: str,
        student: str,
        filename: str,
        upload: str,
        sha256: str,
        size: int,
        limit: tuple[int, float] | None = None,
    ) -> int | None:
        """Store a new attempt as ``queued`` (committed when this returns); its id.

        ``limit`` is ``(attempts, seconds)``: None (nothing stored) if the student already made
        that many attempts in the last ``seconds``. The count and the insert are one
        transaction, so two requests at once cannot both take the last place.
        """
        now = time.time()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            if limit is not None:
                (count,) = db.execute(
                    "SELECT count(*) FROM service_attempts WHERE student = ? AND submitted >= ?",
                    (student, now - limit[1]),
                ).fetchone()
                if count >= limit[0]:
                    return None
            cursor = db.execute(
                "INSERT INTO service_attempts (assignment, student, filename, upload, sha256, "
                "size, submitted, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued')",
                (assignment, student, filename, upload, sha256, size, now),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def submitted_since(self, student: str, since: float) -> tuple[int, float | None]:
        """How many attempts ``student`` made since ``since``, and when the oldest was."""
        with self._db() as db:
            count, oldest = db.execute(
                "SELECT count(*), min(submitted) FROM service_attempts "
                "WHERE student = ? AND submitted >= ?",
                (student, since),
            ).fetchone()
            return int(count), oldest

    # ------------------------------------------------------------------ releasing feedback

    def published(self, assignment: str) -> bool:
        """Whether the instructor published ``assignment``'s hidden results (the button)."""
        with self._db() as db:
            row = db.execute(
                "SELECT published FROM service_published WHERE assignment = ?", (assignment,)
            ).fetchone()
            return row is not None and bool(row[0])

    def set_published(self, assignment: str, published: bool) -> None:
        """Publish (or withdraw) ``assignment``'s ``after_published`` results."""
        with self._db() as db:
            db.execute(
                "INSERT INTO service_published (assignment, published, changed) VALUES (?, ?, ?) "
                "ON CONFLICT (assignment) DO UPDATE SET published = excluded.published, "
                "changed = excluded.changed",
                (assignment, int(published), time.time()),
            )

    # ------------------------------------------------------------------ grading

    def claim(self) -> Claim | None:
        """Take the oldest queued attempt (else the oldest pending regrade) for grading."""
        with self._db() as db:
            # fetchall: every row read, so each UPDATE is complete before the commit.
            rows = db.execute(
                "UPDATE service_attempts SET status = 'grading' WHERE id = (SELECT id FROM "
                "service_attempts WHERE status = 'queued' ORDER BY id LIMIT 1) "
                "RETURNING id, assignment, student, upload, submitted"
            ).fetchall()
            if not rows:
                rows = db.execute(
                    "UPDATE service_attempts SET regrade = 2 WHERE id = (SELECT id FROM "
                    "service_attempts WHERE regrade = 1 ORDER BY id LIMIT 1) "
                    "RETURNING id, assignment, student, upload, submitted"
                ).fetchall()
        return Claim(*rows[0]) if rows else None

    def finish(self, attempt: int, result: SubmissionResult, grading_key: str) -> bool:
        """Store the result of a claimed attempt; False if it was not claimed (nothing stored)."""
        record = json.dumps(result.to_record(), sort_keys=True, allow_nan=True)
        with self._db() as db:
            cursor = db.execute(
                "UPDATE service_attempts SET status = ?, score = ?, max_score = ?, "
                "grading_key = ?, record_json = ?, error = NULL, graded = ?, "
                "gradings = gradings + 1, regrade = 0 "
                "WHERE id = ? AND (status = 'grading' OR regrade = 2)",
                (
                    result.status,
                    result.score,
                    result.max_score,
                    grading_key,
                    record,
                    time.time(),
                    attempt,
                ),
            )
            return cursor.rowcount == 1

    def fail(self, attempt: int, error: str) -> None:
        """The grader failed on a claimed attempt: ``error`` (a failed regrade keeps its result)."""
        with self._db() as db:
            db.execute(
                "UPDATE service_attempts SET error = ?, regrade = 0, status = CASE "
                "WHEN status = 'grading' THEN 'error' ELSE status END "
                "WHERE id = ? AND (status = 'grading' OR regrade = 2)",
                (error, attempt),
            )

    def recover(self) -> int:
        """Put back in the queue what a stopped server was grading; how many attempts."""
        with self._db() as db:
            requeued = db.execute(
                "UPDATE service_attempts SET status = 'queued' WHERE status = 'grading'"
            ).rowcount
            db.execute("UPDATE service_attempts SET regrade = 1 WHERE regrade = 2")
            return int(requeued)

    def mark_regrade(self, assignment: str) -> int:
        """Ask for every finished attempt of ``assignment`` to be graded again; how many."""
        with self._db() as db:
            return int(
                db.execute(
                    "UPDATE service_attempts SET regrade = 1 WHERE assignment = ? AND regrade = 0 "
                    "AND status IN ('graded', 'ungradable', 'error')",
                    (assignment,),
                ).rowcount
            )

    # ------------------------------------------------------------------ reading

    def attempt(self, attempt: int) -> Attempt | None:
        """One attempt by id, if it exists."""
        with self._db() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM service_attempts WHERE id = ?", (attempt,)
            ).fetchone()
        return None if row is None else Attempt(*row)

    def attempts(
        self, *, student: str | None = None, assignment: str | None = None
    ) -> list[Attempt]:
        """Attempts, newest first: one student's (or everyone's), one assignment's (or all)."""
        where, params = [], []
        for column, value in (("student", student), ("assignment", assignment)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = f"SELECT {_COLUMNS} FROM service_attempts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._db() as db:
            return [Attempt(*row) for row in db.execute(sql + " ORDER BY id DESC", params)]

    def counting(self, assignment: str, student: str, policy: Policy) -> Attempt | None:
        """The attempt the gradebook holds under ``policy``: the last graded, or the best."""
        order = "id DESC" if policy == "last" else "score DESC, id DESC"
        with self._db() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM service_attempts WHERE assignment = ? AND student = ? "
                f"AND record_json IS NOT NULL ORDER BY {order} LIMIT 1",
                (assignment, student),
            ).fetchone()
        return None if row is None else Attempt(*row)

    def graded_pairs(self) -> list[tuple[str, str]]:
        """Every ``(assignment, student)`` with at least one graded attempt."""
        with self._db() as db:
            rows = db.execute(
                "SELECT DISTINCT assignment, student FROM service_attempts "
                "WHERE record_json IS NOT NULL ORDER BY assignment, student"
            )
            return [(a, s) for a, s in rows]

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query (for tests and the instructor's tools)."""
        with self._db() as db:
            return list(db.execute(sql, tuple(params)).fetchall())
