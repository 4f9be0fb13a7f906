"""The mutant catalogue: ``assignments/<slug>/mutants.toml`` parsed and checked.

One reason to change: the catalogue's format and its rules (fields, minimum size, check ids that
must exist). Mutants are small, realistic wrong versions of the reference, listed as textual
edits of the built reference source (:mod:`graders.validate.inliner`). Each must fail every
check it ``kills`` and pass every check outside ``kills`` and ``also_affects``: a mutant proves a
check catches its bug *and* that the unrelated checks do not blame the wrong function.

The format::

    [reference]                 # optional
    append = '''cur_x = ...'''  # statements run after the inlined modules (value questions)

    [[mutants]]
    id = "sigmoid-sign"
    description = "sigmoid(-z): the minus sign of exp(-z) dropped"
    kills = ["sigmoid_matches_reference"]        # checks that must fail
    also_affects = ["gradient_step_matches_reference"]   # checks that may fail too
    [[mutants.edits]]
    old = "text occurring exactly once in the built reference source"
    new = "its replacement"
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graders.errors import SpecError
from graders.spec import Assignment

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["CATALOGUE_NAME", "MIN_MUTANTS", "Catalogue", "Edit", "Mutant", "load_catalogue"]

CATALOGUE_NAME = "mutants.toml"
"""The mutant catalogue's file name inside ``assignments/<slug>/``."""

MIN_MUTANTS = 12
"""Fewest mutants a catalogue may hold (a smaller one says little about the checks)."""


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (which must occur exactly once in the built source) by ``new``."""

    old: str
    new: str


@dataclass(frozen=True)
class Mutant:
    """A wrong version of the reference and the checks that must catch it.

    Attributes
    ----------
    id, description
        Stable name and what the mistake is, in a student's terms.
    edits
        Applied in order to the built reference source.
    kills
        Check ids that must fail (``failed``, ``error``, ``timeout`` or ``missing``).
    also_affects
        Check ids that may fail too (a sigmoid bug reaches every function that calls sigmoid);
        every other check of the assignment must pass.
    """

    id: str
    description: str
    edits: tuple[Edit, ...]
    kills: tuple[str, ...]
    also_affects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """A parsed ``mutants.toml``: text appended to the reference, and the mutants."""

    path: Path
    append: str
    mutants: tuple[Mutant, ...]


def load_catalogue(assignment: Assignment, *, minimum: int | None = None) -> Catalogue:
    """Parse and check ``assignments/<slug>/mutants.toml``.

    ``minimum`` is the fewest mutants accepted (default :data:`MIN_MUTANTS`).

    Raises
    ------
    SpecError
        Missing or unreadable file, fewer than ``minimum`` mutants, a duplicate id, an empty
        ``kills``, or a check id that the assignment does not list; the message names the
        mutant and the field.
    """
    path = assignment.directory / CATALOGUE_NAME
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: cannot read the mutant catalogue: {exc}") from exc
    known = {c.id for q in assignment.questions for c in q.checks}
    reference = raw.get("reference", {})
    if not isinstance(reference, dict) or not isinstance(reference.get("append", ""), str):
        raise SpecError(f"{path}: [reference] append must be a string of Python statements")
    mutants_raw = raw.get("mutants", [])
    if not isinstance(mutants_raw, list):
        raise SpecError(f"{path}: mutants must be an array of tables ([[mutants]])")
    mutants = tuple(_parse_mutant(m, i, path, known) for i, m in enumerate(mutants_raw))
    ids = [m.id for m in mutants]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SpecError(f"{path}: duplicate mutant ids: {', '.join(duplicates)}")
    minimum = MIN_MUTANTS if minimum is None else minimum
    if len(mutants) < minimum:
        raise SpecError(f"{path}: {len(mutants)} mutants; a catalogue needs at least {minimum}")
    return Catalogue(path=path, append=str(reference.get("append", "")), mutants=mutants)


def _parse_mutant(raw: Any, index: int, path: Path, known: set[str]) -> Mutant:
    where = f"{path}: mutants[{index}]"
    if not isinstance(raw, dict):
        raise SpecError(f"{where} must be a table")
    mutant_id = raw.get("id")
    if not isinstance(mutant_id, str) or not mutant_id:
        raise SpecError(f"{where}: id must be a non-empty string")
    where = f"{path}: mutant {mutant_id!r}"
    description = raw.get("description")
    if not isinstance(description, str) or not description:
        raise SpecError(f"{where}: description must be a non-empty string")
    edits_raw = raw.get("edits")
    if not isinstance(edits_raw, list) or not edits_raw:
        raise SpecError(f"{where}: needs at least one [[mutants.edits]] with old and new")
    edits = []
    for j, edit in enumerate(edits_raw):
        if not (
            isinstance(edit, dict)
            and isinstance(edit.get("old"), str)
            and isinstance(edit.get("new"), str)
            and edit["old"]
        ):
            raise SpecError(f"{where}: edits[{j}] needs a non-empty string old and a string new")
        edits.append(Edit(old=edit["old"], new=edit["new"]))
    kills = _check_ids(raw.get("kills"), f"{where}: kills", known)
    if not kills:
        raise SpecError(f"{where}: kills is empty; name the checks that must catch this mutant")
    also = _check_ids(raw.get("also_affects", []), f"{where}: also_affects", known)
    both = sorted(set(kills) & set(also))
    if both:
        raise SpecError(f"{where}: {', '.join(both)} listed in both kills and also_affects")
    unknown = set(raw) - {"id", "description", "edits", "kills", "also_affects"}
    if unknown:
        raise SpecError(f"{where}: unknown fields {', '.join(sorted(unknown))}")
    return Mutant(
        id=mutant_id, description=description, edits=tuple(edits), kills=kills, also_affects=also
    )


def _check_ids(value: Any, where: str, known: set[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{where} must be a list of check ids")
    unknown = [v for v in value if v not in known]
    if unknown:
        raise SpecError(
            f"{where} names {', '.join(unknown)}, not a check of this assignment; "
            f"known: {', '.join(sorted(known))}"
        )
    return tuple(value)
