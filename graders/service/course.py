"""A course folder: its layout, ``grader course init``, and opening it to serve.

One reason to change: what a course folder holds and how one is made. Layout::

    DIR/course.toml        settings (graders.service.settings), edited by the instructor
    DIR/gradebook.sqlite   the gradebook (as `grader grade` writes it), the course secret of
                           the hidden searches, and the service's tables (graders.service.store)
    DIR/tokens.csv         student_id,token: hand each student their own line
    DIR/instructor.token   the instructor's token
    DIR/uploads/           every uploaded file, as received

The folder, the database and the token files are private to the instructor's user (0700/0600).
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from graders.errors import GradebookError, SpecError
from graders.gradebook import Gradebook
from graders.hidden import CourseSecret
from graders.service.auth import Identity, hash_token, new_token
from graders.service.settings import CourseSettings, load_settings, settings_text
from graders.service.store import Store
from graders.spec import available_assignments, load_assignment

__all__ = ["Course", "CourseError", "Roster", "init_course", "open_course", "read_roster"]

_MAX_ID_CHARS = 100
_MAX_ROSTER_BYTES = 10 * 1024 * 1024


class CourseError(ValueError):
    """A course folder or roster cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Roster:
    """The students of a roster file, in order, each with the file's other columns."""

    students: tuple[tuple[str, dict[str, str]], ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """The student ids, in order."""
        return tuple(student for student, _ in self.students)


@dataclass(frozen=True)
class Course:
    """An initialised course folder, opened to serve.

    Attributes
    ----------
    root
        The folder.
    settings
        ``course.toml``, read when opened.
    secret
        The course secret of the hidden searches (held by the service, never shown).
    """

    root: Path
    settings: CourseSettings
    secret: CourseSecret

    @property
    def database(self) -> Path:
        """The course database (gradebook and service tables)."""
        return database_path(self.root)

    @property
    def uploads(self) -> Path:
        """The folder of uploaded files."""
        return self.root / "uploads"

    @property
    def store(self) -> Store:
        """The service tables."""
        return Store(self.database)


def database_path(root: Path) -> Path:
    """Where a course folder keeps its database."""
    return root / "gradebook.sqlite"


def read_roster(path: Path) -> Roster:
    """Read a roster CSV: a ``student_id`` column, other columns kept.

    Raises
    ------
    CourseError
        If the file cannot be read, has no ``student_id`` column, or an id is empty, repeated,
        too long or holds control characters; the message names the line.
    """
    try:
        data = path.read_bytes()[:_MAX_ROSTER_BYTES].decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CourseError(f"cannot read the roster {path}: {exc}") from exc
    reader = csv.DictReader(io.StringIO(data))
    fields = [name.strip() for name in reader.fieldnames or ()]
    if "student_id" not in fields:
        raise CourseError(f"{path}: the roster needs a student_id column (found: {fields})")
    students: list[tuple[str, dict[str, str]]] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        cells = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        student = cells.pop("student_id")
        if not student:
            raise CourseError(f"{path}, line {line}: empty student_id")
        if len(student) > _MAX_ID_CHARS or not student.isprintable():
            raise CourseError(
                f"{path}, line {line}: student_id {student[:40]!r} must be printable text of at "
                f"most {_MAX_ID_CHARS} characters"
            )
        if student in seen:
            raise CourseError(f"{path}, line {line}: student_id {student!r} appears twice")
        seen.add(student)
        students.append((student, cells))
    if not students:
        raise CourseError(f"{path}: the roster lists no student")
    return Roster(tuple(students))


def init_course(root: Path, roster: Path, assignments: Sequence[str] = ()) -> Roster:
    """Create a course folder (``grader course init``); the roster it was made from.

    Parameters
    ----------
    root
        The folder to create; it must not exist, or be empty.
    roster
        The roster CSV (see :func:`read_roster`).
    assignments
        The slugs the course offers (default: every available assignment).

    Raises
    ------
    CourseError
        If ``root`` already holds something (an existing course is never overwritten), the
        roster is unusable or a slug is unknown.
    """
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise CourseError(
            f"{root} already exists and is not empty; an existing course is never overwritten. "
            "Choose a new folder (or delete this one yourself)."
        )
    students = read_roster(roster)
    slugs = list(dict.fromkeys(assignments)) or list(available_assignments())
    for slug in slugs:
        try:
            load_assignment(slug)
        except SpecError as exc:
            raise CourseError(str(exc)) from exc
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    (root / "uploads").mkdir(mode=0o700)
    database = database_path(root)
    with Gradebook(database) as book:  # first: the gradebook schema, then the service's tables
        book.course_secret()
    os.chmod(database, 0o600)
    tokens = {student: new_token() for student in students.ids}
    instructor = new_token()
    hashes = [(hash_token(token), Identity("student", s)) for s, token in tokens.items()]
    hashes.append((hash_token(instructor), Identity("instructor")))
    Store(database).create(students.students, hashes)
    lines = io.StringIO()
    writer = csv.writer(lines, lineterminator="\n")
    writer.writerow(["student_id", "token"])
    writer.writerows(tokens.items())
    _write_private(root / "tokens.csv", lines.getvalue())
    _write_private(root / "instructor.token", instructor + "\n")
    (root / "course.toml").write_text(settings_text(slugs), encoding="utf-8")
    return students


def open_course(root: Path) -> Course:
    """Open an initialised course folder to serve it.

    Raises
    ------
    CourseError
        If ``root`` is not a course folder, its settings are malformed or an assignment it
        offers is unknown.
    """
    settings_file = root / "course.toml"
    if not settings_file.is_file() or not database_path(root).is_file():
        raise CourseError(
            f"{root} is not a course folder (no course.toml and gradebook.sqlite); create one "
            "with `grader course init DIR --roster roster.csv`"
        )
    try:
        settings = load_settings(settings_file)
        for slug in settings.assignments:
            load_assignment(slug)
        with Gradebook(database_path(root)) as book:
            secret = book.course_secret()
        Store(database_path(root)).migrate()  # a course made by an older version gains tables
    except (ValueError, GradebookError, sqlite3.Error) as exc:  # SpecError is a ValueError
        raise CourseError(str(exc)) from exc
    (root / "uploads").mkdir(mode=0o700, exist_ok=True)
    return Course(root=root, settings=settings, secret=secret)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a new file readable by this user only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
