"""Assignment specs: ``assignments/<slug>/assignment.toml`` → :class:`Assignment`.

The spec is declarative: which student names are graded, by which listed checks, for how many
points, with which tolerances and time budgets, and which data files the worker may see (named by
role in ``[data.roles]``, so that checks and plots ask for a role, never a file name). Check ids
are resolved against the check registry later (``graders.checks.registry``); this module only
validates shape and types, so it never imports the references.
"""

from __future__ import annotations

import importlib.resources
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from graders import spec_toml
from graders.errors import SpecError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ASSIGNMENTS_ENV = "GRADER_ASSIGNMENTS"
"""Environment variable naming an instructor's own folder of assignments (``--assignments DIR``)."""


def bundled_assignments() -> Path:
    """The assignments shipped with the package (``assignments/`` of the source tree).

    Installed as the package ``graders.assignments`` (a wheel carries it as package data; an
    editable install maps it to the checkout), so slugs resolve from any working directory.
    """
    root = importlib.resources.files("graders.assignments")
    if not isinstance(root, Path):  # a zipped install: the worker needs real files to copy
        raise SpecError(
            f"the bundled assignments are not on the filesystem ({root}); "
            f"install the grader unzipped or set {ASSIGNMENTS_ENV}"
        )
    return root


ASSIGNMENTS_DIR = bundled_assignments()


def assignments_root() -> Path:
    """Where slugs are looked up: ``$GRADER_ASSIGNMENTS`` if set, else the bundled ones.

    Raises
    ------
    SpecError
        If the chosen folder does not exist.
    """
    chosen = os.environ.get(ASSIGNMENTS_ENV, "")
    if not chosen:
        return ASSIGNMENTS_DIR
    root = Path(chosen).expanduser()
    if not root.is_dir():
        raise SpecError(f"the assignments folder {str(root)!r} ({ASSIGNMENTS_ENV}) does not exist")
    return root


QuestionKind = Literal["function", "value"]

#: What an assignment's folder holds that grading does not need (and students must not get).
_NOT_FOR_GRADING = frozenset({"examples", "mutants.toml", "__pycache__", ".ipynb_checkpoints"})


@dataclass(frozen=True)
class CheckSpec:
    """One listed check of a question: its registry id, points and numeric settings.

    ``max_examples`` bounds the explained search, ``hidden_examples`` the hidden one (0: none);
    in a spec the latter defaults to half the former, rounded up. ``visibility`` is who sees
    the check's feedback, with Gradescope's meanings (``visible``, ``hidden``,
    ``after_due_date``, ``after_published``): the result carries it, and Gradescope and the
    grading service show or hide the check by it.
    """

    id: str
    points: float
    rtol: float
    atol: float
    max_examples: int
    hidden_examples: int = 20
    visibility: str = "visible"


@dataclass(frozen=True)
class Question:
    """A graded item: a student function called with inputs, or a top-level value.

    Attributes
    ----------
    id, title
        Stable identifier (gradebook column) and student-facing title.
    kind
        ``"function"``: ``name`` is called; ``"value"``: ``name`` is read after the cells ran.
    name
        The student-facing name, e.g. ``"sigmoid"`` or ``"cur_x"``.
    signature
        How the student sees it, e.g. ``"sigmoid(x)"``.
    returns
        The accepted return conventions, in words (shown in failure messages).
    optional
        When true and the name is absent, the question is left out of the grade instead of
        scoring zero (the public lab's inline ``cur_x`` loop, for instance).
    required_with
        Names of the assignment's optional (public lab) data files: when the instructor
        supplies any of them, the submission is graded as the public lab, which asks for this
        question, so an optional question is required again.
    """

    id: str
    title: str
    kind: QuestionKind
    name: str
    signature: str
    returns: str
    optional: bool
    checks: tuple[CheckSpec, ...]
    required_with: tuple[str, ...] = ()

    @property
    def max_score(self) -> float:
        """Sum of the points of the question's checks."""
        return sum(c.points for c in self.checks)


@dataclass(frozen=True)
class Limits:
    """Time budgets in seconds, per notebook cell, per call of a student function, and for the
    whole submission (loading, cells, replays and calls together)."""

    cell_timeout: float = 10.0
    call_timeout: float = 10.0
    submission_timeout: float = 60.0


@dataclass(frozen=True)
class Assignment:
    """A parsed ``assignment.toml``."""

    slug: str
    title: str
    directory: Path
    limits: Limits
    data_files: tuple[Path, ...]
    optional_data: tuple[str, ...]  # the public lab's data files, supplied with --data
    questions: tuple[Question, ...]
    #: Run every cell (no slicing); ``grader check/grade --run-all-cells`` does it for one run.
    run_all_cells: bool = False
    #: Refuse to grade without bubblewrap's namespaces (``--require-isolation`` for one run).
    require_isolation: bool = False
    #: ``[data.roles]``: (role, entry of data.files or data.optional), in the spec's order.
    data_roles: tuple[tuple[str, str], ...] = ()

    @property
    def max_score(self) -> float:
        """Total points of the required questions (optional ones are added only when present)."""
        return sum(q.max_score for q in self.questions if not q.optional)

    @property
    def roles(self) -> dict[str, str]:
        """``[data.roles]``: each role and the data file entry it names."""
        return dict(self.data_roles)

    def data_file(self, role: str) -> Path:
        """The shipped data file (an entry of ``data.files``) that ``[data.roles]`` gives ``role``.

        Raises
        ------
        SpecError
            When no file has the role, or the role names one of the public lab's optional files
            (those are found with :meth:`lab_data_name`, when the instructor supplies them).
        """
        entry = self.roles.get(role)
        if entry is None:
            known = ", ".join(self.roles) or "none"
            raise SpecError(
                f"{self.slug}: no data file has the role {role!r}; add it to [data.roles] in "
                f"assignment.toml (roles named there: {known})"
            )
        path = self.directory / entry
        if path not in self.data_files:
            raise SpecError(
                f"{self.slug}: the data role {role!r} names {entry!r}, one of the public lab's "
                "optional files (data.optional), where a shipped file (data.files) is needed"
            )
        return path

    def grading_files(self) -> list[tuple[str, Path]]:
        """``(relative name, path)`` of every file of the assignment's folder that grading
        needs, sorted: all but the sample solutions (``examples/``), the mutants and caches.

        What is copied where the folder itself is not: a Gradescope zip, a Dask worker.
        """
        files = []
        for path in sorted(self.directory.rglob("*")):
            relative = path.relative_to(self.directory)
            if path.is_file() and not _NOT_FOR_GRADING.intersection(relative.parts):
                files.append((relative.as_posix(), path))
        return files

    def lab_data_name(self, role: str) -> str | None:
        """The public lab's optional file (an entry of ``data.optional``) that ``role`` names,
        or ``None`` when ``[data.roles]`` gives the role no such file."""
        entry = self.roles.get(role)
        return entry if entry in self.optional_data else None

    def question(self, question_id: str) -> Question:
        """Return the question with this id; raise ``KeyError`` naming the known ids."""
        for q in self.questions:
            if q.id == question_id:
                return q
        known = ", ".join(q.id for q in self.questions)
        raise KeyError(f"no question {question_id!r} in {self.slug}; known: {known}")


def available_assignments(root: Path | None = None) -> tuple[str, ...]:
    """Slugs of every directory under ``root`` (default :func:`assignments_root`) that holds an
    ``assignment.toml``, sorted."""
    root = assignments_root() if root is None else root
    return tuple(sorted(p.parent.name for p in root.glob("*/assignment.toml")))


def load_assignment(slug_or_path: str | Path, root: Path | None = None) -> Assignment:
    """Load and validate an assignment spec.

    Parameters
    ----------
    slug_or_path
        A slug under ``root`` (``"mle"``), or a path to a directory or an ``assignment.toml``.
    root
        Where slugs are looked up (default :func:`assignments_root`).

    Raises
    ------
    SpecError
        Unknown slug, unreadable TOML, or a field of the wrong type, with the field's path.
    """
    root = assignments_root() if root is None else root
    path = Path(slug_or_path)
    if path.suffix != ".toml":
        path = (
            path / "assignment.toml"
            if path.is_dir()
            else root / str(slug_or_path) / "assignment.toml"
        )
    if not path.is_file():
        known = ", ".join(available_assignments(root)) or "none"
        raise SpecError(f"unknown assignment {str(slug_or_path)!r}; available: {known}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: cannot read the spec: {exc}") from exc
    return _parse_assignment(raw, path.parent)


def _parse_assignment(raw: Mapping[str, Any], directory: Path) -> Assignment:
    toml = spec_toml.convert(raw)
    if toml.slug != directory.name:
        raise SpecError(f"slug {toml.slug!r} does not match its directory {directory.name!r}")
    files = tuple(directory / f for f in toml.data.files)
    for f in files:
        if not f.is_file():
            raise SpecError(f"data.files names {f.name!r}, which is not in {directory}")
    optional = tuple(toml.data.optional)
    listed = (*toml.data.files, *optional)
    for role, entry in toml.data.roles.items():
        if entry not in listed:
            raise SpecError(
                f"data.roles.{role} names {entry!r}, which neither data.files nor data.optional "
                f"lists (listed: {', '.join(listed) or 'none'})"
            )
    questions = tuple(_question(q) for q in toml.questions)
    ids = [q.id for q in questions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SpecError(f"duplicate question ids: {', '.join(duplicates)}")
    for q in questions:
        unknown = sorted(set(q.required_with) - set(optional))
        if unknown:
            raise SpecError(
                f"question {q.id!r}: required_with names {', '.join(unknown)}, "
                "which data.optional does not list"
            )
    return Assignment(
        slug=toml.slug,
        title=toml.title,
        directory=directory,
        limits=Limits(
            cell_timeout=float(toml.limits.cell_timeout),
            call_timeout=float(toml.limits.call_timeout),
            submission_timeout=float(toml.limits.submission_timeout),
        ),
        data_files=files,
        optional_data=optional,
        questions=questions,
        run_all_cells=toml.run_all_cells,
        require_isolation=toml.require_isolation,
        data_roles=tuple(toml.data.roles.items()),
    )


def _question(toml: spec_toml.QuestionToml) -> Question:
    return Question(
        id=toml.id,
        title=toml.title,
        kind=toml.kind,
        name=toml.name,
        signature=toml.name if toml.signature is None else toml.signature,
        returns=toml.returns,
        optional=toml.optional,
        checks=tuple(
            CheckSpec(
                id=c.id,
                points=float(c.points),
                rtol=float(c.rtol),
                atol=float(c.atol),
                max_examples=c.max_examples,
                hidden_examples=(
                    (c.max_examples + 1) // 2 if c.hidden_examples is None else c.hidden_examples
                ),
                visibility=c.visibility,
            )
            for c in toml.checks
        ),
        required_with=tuple(toml.required_with),
    )
