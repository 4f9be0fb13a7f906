"""Assignment specs: ``assignments/<slug>/assignment.toml`` → :class:`Assignment`.

The spec is declarative: which student names are graded, by which listed checks, for how many
points, with which tolerances and time budgets, and which data files the worker may see. Check ids
are resolved against the check registry later (``graders.checks.registry``); this module only
validates shape and types, so it never imports the references.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from graders.errors import SpecError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ASSIGNMENTS_DIR = Path(__file__).resolve().parent.parent / "assignments"

QuestionKind = Literal["function", "value"]


@dataclass(frozen=True)
class CheckSpec:
    """One listed check of a question: its registry id, points and numeric settings.

    ``max_examples`` bounds the explained search, ``hidden_examples`` the hidden one (0: none);
    in a spec the latter defaults to half the former, rounded up.
    """

    id: str
    points: float
    rtol: float
    atol: float
    max_examples: int
    hidden_examples: int = 20


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
    """

    id: str
    title: str
    kind: QuestionKind
    name: str
    signature: str
    returns: str
    optional: bool
    checks: tuple[CheckSpec, ...]

    @property
    def max_score(self) -> float:
        """Sum of the points of the question's checks."""
        return sum(c.points for c in self.checks)


@dataclass(frozen=True)
class Limits:
    """Time budgets in seconds, per notebook cell and per call of a student function."""

    cell_timeout: float = 10.0
    call_timeout: float = 10.0


@dataclass(frozen=True)
class Assignment:
    """A parsed ``assignment.toml``."""

    slug: str
    title: str
    directory: Path
    limits: Limits
    data_files: tuple[Path, ...]
    optional_data: tuple[str, ...]
    questions: tuple[Question, ...]

    @property
    def max_score(self) -> float:
        """Total points of the required questions (optional ones are added only when present)."""
        return sum(q.max_score for q in self.questions if not q.optional)

    def question(self, question_id: str) -> Question:
        """Return the question with this id; raise ``KeyError`` naming the known ids."""
        for q in self.questions:
            if q.id == question_id:
                return q
        known = ", ".join(q.id for q in self.questions)
        raise KeyError(f"no question {question_id!r} in {self.slug}; known: {known}")


def available_assignments(root: Path = ASSIGNMENTS_DIR) -> tuple[str, ...]:
    """Slugs of every directory under ``root`` that holds an ``assignment.toml``, sorted."""
    return tuple(sorted(p.parent.name for p in root.glob("*/assignment.toml")))


def load_assignment(slug_or_path: str | Path, root: Path = ASSIGNMENTS_DIR) -> Assignment:
    """Load and validate an assignment spec.

    Parameters
    ----------
    slug_or_path
        A slug under ``root`` (``"mle"``), or a path to a directory or an ``assignment.toml``.
    root
        Where slugs are looked up.

    Raises
    ------
    SpecError
        Unknown slug, unreadable TOML, or a field of the wrong type, with the field's path.
    """
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
    slug = _get(raw, "slug", str, "")
    if slug != directory.name:
        raise SpecError(f"slug {slug!r} does not match its directory {directory.name!r}")
    limits_raw = _get(raw, "limits", dict, "", default={})
    limits = Limits(
        cell_timeout=float(_get(limits_raw, "cell_timeout", (int, float), "limits.", default=10.0)),
        call_timeout=float(_get(limits_raw, "call_timeout", (int, float), "limits.", default=10.0)),
    )
    data_raw = _get(raw, "data", dict, "", default={})
    files = tuple(directory / f for f in _get(data_raw, "files", list, "data.", default=[]))
    for f in files:
        if not f.is_file():
            raise SpecError(f"data.files names {f.name!r}, which is not in {directory}")
    optional = tuple(str(x) for x in _get(data_raw, "optional", list, "data.", default=[]))
    questions_raw = _get(raw, "questions", list, "")
    questions = tuple(_parse_question(q, i) for i, q in enumerate(questions_raw))
    ids = [q.id for q in questions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SpecError(f"duplicate question ids: {', '.join(duplicates)}")
    return Assignment(
        slug=slug,
        title=_get(raw, "title", str, ""),
        directory=directory,
        limits=limits,
        data_files=files,
        optional_data=optional,
        questions=questions,
    )


def _parse_question(raw: Any, index: int) -> Question:
    where = f"questions[{index}]."
    if not isinstance(raw, dict):
        raise SpecError(f"{where[:-1]} must be a table, got {type(raw).__name__}")
    kind = _get(raw, "kind", str, where, default="function")
    if kind not in ("function", "value"):
        raise SpecError(f"{where}kind must be 'function' or 'value', got {kind!r}")
    checks_raw = _get(raw, "checks", list, where)
    if not checks_raw:
        raise SpecError(f"{where}checks is empty: a question needs at least one check")
    name = _get(raw, "name", str, where)
    return Question(
        id=_get(raw, "id", str, where),
        title=_get(raw, "title", str, where),
        kind=kind,
        name=name,
        signature=_get(raw, "signature", str, where, default=name),
        returns=_get(raw, "returns", str, where, default=""),
        optional=_get(raw, "optional", bool, where, default=False),
        checks=tuple(_parse_check(c, f"{where}checks[{j}].") for j, c in enumerate(checks_raw)),
    )


def _parse_check(raw: Any, where: str) -> CheckSpec:
    if not isinstance(raw, dict):
        raise SpecError(f"{where[:-1]} must be a table, got {type(raw).__name__}")
    points = float(_get(raw, "points", (int, float), where))
    if points <= 0:
        raise SpecError(f"{where}points must be positive, got {points}")
    max_examples = _get(raw, "max_examples", int, where, default=40)
    if max_examples < 1:
        raise SpecError(f"{where}max_examples must be at least 1, got {max_examples}")
    hidden_examples = _get(raw, "hidden_examples", int, where, default=(max_examples + 1) // 2)
    if hidden_examples < 0:
        raise SpecError(f"{where}hidden_examples must be at least 0, got {hidden_examples}")
    return CheckSpec(
        id=_get(raw, "id", str, where),
        points=points,
        rtol=float(_get(raw, "rtol", (int, float), where, default=1e-6)),
        atol=float(_get(raw, "atol", (int, float), where, default=1e-9)),
        max_examples=max_examples,
        hidden_examples=hidden_examples,
    )


_MISSING = object()


def _get(
    table: Mapping[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    where: str,
    default: Any = _MISSING,
) -> Any:
    """Fetch ``table[key]`` checking its type; errors name the dotted field path."""
    if key not in table:
        if default is _MISSING:
            raise SpecError(f"missing field {where}{key}")
        return default
    value = table[key]
    # bool is an int subclass: a points = true typo must not pass as 1 point.
    if isinstance(value, bool) and kind is not bool:
        raise SpecError(f"{where}{key} must not be a boolean, got {value!r}")
    if not isinstance(value, kind):
        expected = (
            kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        )
        raise SpecError(f"{where}{key} must be {expected}, got {type(value).__name__} {value!r}")
    return value
