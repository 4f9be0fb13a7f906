"""Which files of a submissions folder are submissions, and the student id each is graded under.

One reason to change: the rules for finding submissions (file kinds, folders skipped, one folder
per student) and for turning paths into unique, safe student ids.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "RESERVED_NAMES",
    "SEVERAL_FILES",
    "SUBMISSION_SUFFIXES",
    "Discovery",
    "SubmissionFile",
    "discover",
    "file_digest",
]

SUBMISSION_SUFFIXES = (".py", ".ipynb")
#: What ``discover(several=...)`` does with a student folder holding several submission files.
SEVERAL_FILES = ("notebook", "ungradable")
#: Names the batch writes at the top of OUT; a student id never takes one of them.
RESERVED_NAMES = frozenset(
    {
        "gradebook.sqlite",
        "gradebook.sqlite-wal",
        "gradebook.sqlite-shm",
        "gradebook.sqlite-journal",
        "grades.csv",
        "grades.csv.partial",
        "summary.html",
        "summary.json",
    }
)
# Folders that never hold submissions: archive debris from macOS, caches.
_SKIPPED_FOLDERS = frozenset({"__MACOSX", "__pycache__"})


@dataclass(frozen=True)
class SubmissionFile:
    """One submitted file and the student id it is graded under.

    Attributes
    ----------
    student
        Unique in the cohort; safe as a folder name under OUT.
    path
        The file.
    relative
        Its path relative to the submissions folder, with ``/`` separators.
    """

    student: str
    path: Path
    relative: str
    others: tuple[str, ...] = ()
    several: bool = False

    @property
    def problem(self) -> str | None:
        """Why this student cannot be graded before anything runs: several candidate files."""
        if not self.several:
            return None
        listed = ", ".join(f"'{Path(r).name}'" for r in (self.relative, *self.others))
        return (
            f"several submissions in one folder ({listed}): the grader grades one file per "
            "student and cannot tell which is meant. Leave only the notebook (or the one .py "
            "file) you want graded, and submit again."
        )

    @property
    def note(self) -> str | None:
        """What the student's result says about the other files of their folder."""
        if not self.others or self.several:
            return None
        listed = ", ".join(f"'{Path(r).name}'" for r in self.others)
        return (
            f"your folder also holds {listed}, which was not graded: one file per student is "
            f"graded, and a notebook is preferred ('{Path(self.relative).name}')"
        )


@dataclass(frozen=True)
class Discovery:
    """What :func:`discover` found.

    Attributes
    ----------
    files
        The submissions, sorted by student id.
    renamed
        ``(relative path, id)`` for each file whose natural id was shared and was disambiguated.
    ignored
        Relative paths of files that are neither submissions nor hidden (for the log).
    """

    files: tuple[SubmissionFile, ...]
    renamed: tuple[tuple[str, str], ...] = ()
    ignored: tuple[str, ...] = ()


def _clean_id(text: str) -> str:
    """A student id fit for a folder name, a CSV cell and a log line."""
    text = unicodedata.normalize("NFC", text)
    cleaned = "".join(
        "_" if (unicodedata.category(ch).startswith("C") or ch in '/\\:*?"<>|') else ch
        for ch in text
    ).strip()
    return cleaned.lstrip(".") or "student"


def _is_submission(name: str) -> bool:
    return name.lower().endswith(SUBMISSION_SUFFIXES)


def _looks_mangled(name: str) -> bool:
    """``lab.ipynb.txt``, as some browsers save a notebook: graded (as ungradable, with advice)."""
    stem, dot, _ = name.rpartition(".")
    return bool(dot) and _is_submission(stem)


def discover(
    root: Path, *, exclude: Sequence[Path] = (), several: str = "notebook"
) -> Discovery:
    """Every submission under ``root`` with its student id.

    Parameters
    ----------
    root
        The submissions folder: files directly in it (id = file stem), and/or one folder per
        student (id = folder name, whatever the file inside is called).
    exclude
        Folders to leave out (the output folder, when it lies inside ``root``).
    several
        A student folder holding several ``.py``/``.ipynb`` files is one student either way.
        ``"notebook"`` (the default) grades its one notebook and notes the other files; a
        folder with several notebooks, or several ``.py`` files and no notebook, is ungradable
        ("several submissions"). ``"ungradable"`` makes every such folder ungradable.

    Returns
    -------
    Discovery
        Hidden files and folders (``.ipynb_checkpoints``, ``._lab.ipynb``), ``__MACOSX`` and
        ``*.expected.toml`` are skipped. A file named like ``lab.ipynb.txt`` is included (it
        will be ungradable, with advice to rename it), and so is the first file of a student
        folder that holds no ``.py``/``.ipynb`` at all, so that no student vanishes silently.

    Notes
    -----
    Ids are compared case-insensitively (``Alice`` and ``alice`` would share a folder on macOS).
    When several files at the top level share an id, each of them is renamed after its relative
    path (``alice.py`` and ``alice.ipynb``): the rule depends only on the set of files, never on
    the order they were found in.
    """
    if several not in SEVERAL_FILES:
        raise ValueError(f"several must be one of {SEVERAL_FILES}, not {several!r}")
    root = root.resolve()
    skip = {p.resolve() for p in exclude}
    found: list[tuple[str, Path, str]] = []  # (natural id, path, relative)
    ignored: list[str] = []
    folders_without: dict[str, tuple[Path, str]] = {}
    folders_with: set[str] = set()
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(folder)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and d not in _SKIPPED_FOLDERS and (here / d) not in skip
        )
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith(".expected.toml"):
                continue
            path = here / name
            relative = path.relative_to(root).as_posix()
            top = relative.split("/", 1)[0] if "/" in relative else None
            natural = top if top is not None else Path(name).stem
            if _is_submission(name) or (top is None and _looks_mangled(name)):
                found.append((natural, path, relative))
                if top is not None:
                    folders_with.add(top)
            elif top is not None:
                folders_without.setdefault(top, (path, relative))
            else:
                ignored.append(relative)
    for top, (path, relative) in sorted(folders_without.items()):
        if top in folders_with:
            ignored.append(relative)
        else:
            found.append((top, path, relative))
    return _assign_ids(*_one_per_folder(found, several), ignored)


def _one_per_folder(
    found: list[tuple[str, Path, str]], several: str
) -> tuple[list[tuple[str, Path, str]], dict[str, tuple[tuple[str, ...], bool]]]:
    """One entry per student folder; for each chosen file, the others and whether it is ambiguous.

    Returns the kept entries and ``relative -> (other relatives, ambiguous)`` for folders that
    held several files.
    """
    folders: dict[str, list[tuple[str, Path, str]]] = {}
    kept: list[tuple[str, Path, str]] = []
    for entry in found:
        if "/" in entry[2]:
            folders.setdefault(entry[2].split("/", 1)[0], []).append(entry)
        else:
            kept.append(entry)
    extra: dict[str, tuple[tuple[str, ...], bool]] = {}
    for members in folders.values():
        members.sort(key=lambda m: m[2])
        if len(members) == 1:
            kept.append(members[0])
            continue
        notebooks = [m for m in members if m[2].lower().endswith(".ipynb")]
        pick_notebook = several == "notebook" and len(notebooks) == 1
        chosen = notebooks[0] if pick_notebook else members[0]
        kept.append(chosen)
        extra[chosen[2]] = (tuple(m[2] for m in members if m is not chosen), not pick_notebook)
    return kept, extra


def _assign_ids(
    found: list[tuple[str, Path, str]],
    extra: dict[str, tuple[tuple[str, ...], bool]],
    ignored: list[str],
) -> Discovery:
    groups: dict[str, list[tuple[str, Path, str]]] = {}
    for natural, path, relative in found:
        groups.setdefault(_clean_id(natural).casefold(), []).append((natural, path, relative))
    chosen: list[tuple[str, Path, str]] = []
    renamed: list[tuple[str, str]] = []
    for key, members in groups.items():
        if len(members) == 1 and key not in RESERVED_NAMES:
            natural, path, relative = members[0]
            chosen.append((_clean_id(natural), path, relative))
            continue
        for _, path, relative in sorted(members, key=lambda m: m[2]):
            student = _clean_id(relative.replace("/", "--"))
            chosen.append((student, path, relative))
            renamed.append((relative, student))
    # Renamed ids could, in a contrived cohort, meet another id: number them, in path order.
    seen: set[str] = set()
    files: list[SubmissionFile] = []
    for student, path, relative in sorted(chosen, key=lambda c: (c[0].casefold(), c[2])):
        unique, n = student, 1
        while unique.casefold() in seen or unique.casefold() in RESERVED_NAMES:
            n += 1
            unique = f"{student}-{n}"
        seen.add(unique.casefold())
        others, ambiguous = extra.get(relative, ((), False))
        files.append(SubmissionFile(unique, path, relative, others, ambiguous))
    return Discovery(
        files=tuple(sorted(files, key=lambda f: f.student)),
        renamed=tuple(sorted(renamed)),
        ignored=tuple(sorted(ignored)),
    )


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes (as ``graders.load`` computes it); ``""`` if unreadable."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()
