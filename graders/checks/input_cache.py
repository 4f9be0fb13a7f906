"""The inputs a passing search draws, kept on disk so the next grading process need not redraw.

Drawing the inputs of every search of an assignment (Hypothesis generation, explained and
practice-hidden) is most of a cold ``grader check``: seconds of CPU for inputs that are the same
in every process. The checks remember them per process (``graders.checks.base``); this module
keeps them between processes too, in ``$GRADER_CACHE_DIR`` (default
``$XDG_CACHE_HOME/mle-grader/inputs``, that is ``~/.cache/mle-grader/inputs``). Set
``GRADER_CACHE_DIR`` to an empty string to switch it off.

A cached set is used only where it is exactly what a fresh draw would give:

- the file name is a hash of the search's key *and* of everything that decides the draw: the
  source of ``graders`` and ``reference`` (checks, strategies) and of every topic module
  registered through the checks' entry points (an instructor's), the versions of Python, numpy,
  pandas and Hypothesis. Any change there is a different file, never a stale one;
- inputs are stored in the worker protocol's encoding (JSON and ``.npy``, never pickle) and a
  set is written only if it decodes back to exactly the same values (``same``), so reading it
  gives what drawing gives;
- a file that cannot be read or decoded is a miss (and drawn again), never an error.

The folder belongs to whoever trusts the grades it helps to give: a student who edits their own
cache can only mislead their own local checks, never a grade made on the instructor's machine or
the course service. Only public draws are stored: the explained searches (the same for
everyone) and hidden searches seeded by the public practice secret. Inputs drawn from a course
secret stay in the process that drew them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import sys
import tempfile
from collections.abc import Callable, Hashable
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from graders.sandbox import protocol

__all__ = ["CACHE_ENV", "cache_dir", "load", "store"]

CACHE_ENV = "GRADER_CACHE_DIR"
_PACKAGES = ("graders", "reference")
_DISTRIBUTIONS = ("numpy", "pandas", "hypothesis")
#: Largest cached set, in bytes (a search's inputs are small arrays: kilobytes).
_MAX_BYTES = 16 * 2**20

Inputs = tuple[tuple[Any, ...], ...]


def cache_dir() -> Path | None:
    """Where cached inputs live; None when the cache is switched off."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return Path(configured).expanduser() if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mle-grader" / "inputs"


@lru_cache(maxsize=1)
def _fingerprint() -> str:
    """A hash of everything, other than the key, that decides what a search draws."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version}|{platform.machine()}".encode())
    for name in _DISTRIBUTIONS:
        try:
            digest.update(f"|{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"|{name}=?".encode())
    from graders.checks.registry import ENTRY_POINT_GROUP  # here: the registry imports checks

    # An instructor's topic modules (installed anywhere) decide their checks' draws too.
    topics = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda p: (p.name, p.value))
    modules = [*_PACKAGES, *(point.value.split(":")[0] for point in topics)]
    for name in modules:
        digest.update(f"|{name}".encode())
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        roots = list(spec.submodule_search_locations or ())
        files = [p for r in roots for p in sorted(Path(r).rglob("*.py"))]
        if not roots and spec.origin and spec.origin.endswith(".py"):
            roots, files = [str(Path(spec.origin).parent)], [Path(spec.origin)]
        for path in files:
            digest.update(str(path).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _path(key: Hashable) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    name = hashlib.sha256(f"{_fingerprint()}|{key!r}".encode()).hexdigest()
    return folder / f"{name}.inputs"


def load(key: Hashable) -> Inputs | None:
    """The inputs stored for ``key``, or None (nothing stored, cache off, unreadable file)."""
    try:
        path = _path(key)
        if path is None or not path.is_file():
            return None
        value = protocol.decode(path.read_bytes(), max_array_bytes=_MAX_BYTES)
    except Exception:  # a damaged or foreign file is a miss: the search draws afresh
        return None
    if type(value) is not tuple or any(type(args) is not tuple for args in value):
        return None
    return value


def store(key: Hashable, inputs: Inputs, same: Callable[[object], Hashable]) -> bool:
    """Keep ``inputs`` for ``key`` if they survive the round trip exactly; True if stored.

    ``same`` maps a value to what must be equal between the drawn and the decoded inputs
    (``graders.checks.base`` passes its exact-bytes key of a call). Best effort: a read-only
    or full disk only means the next process draws again.
    """
    try:
        path = _path(key)
        if path is None:
            return False
        data = protocol.encode(inputs, max_bytes=_MAX_BYTES)
        back = protocol.decode(data, max_array_bytes=_MAX_BYTES)
        if type(back) is not tuple or same(back) != same(inputs):
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)  # atomic: a concurrent reader sees all or nothing
        finally:
            Path(temporary).unlink(missing_ok=True)
        return True
    except Exception:
        return False
