"""Private directories that a killed grader left behind.

A grader removes its sessions' and zygotes' private directories when it closes them, but a
SIGKILL skips every cleanup. Each grading process therefore names its directories
``grader-<kind>-<pid>-...`` in the temporary directory, and the first one it creates removes
those of graders that no longer exist. Only directories that are ours (same uid, real
directories, not links) and at least an hour old are removed: a grader in another pid namespace
sharing the same /tmp would look dead from here, but its directories are in use and recent.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["private_dir", "sweep"]

_NAME = re.compile(r"grader-(?:sandbox|zygote)-([0-9]+)-")
_MIN_AGE = 3600.0  # seconds
_swept = False
_swept_lock = threading.Lock()


def private_dir(kind: str) -> Path:
    """A new private directory ``grader-<kind>-<pid>-*`` (mode 0700) in the temp directory.

    The first call in a process first sweeps away what killed graders left (see :func:`sweep`).
    """
    global _swept
    with _swept_lock:
        first, _swept = not _swept, True
    if first:
        sweep()
    return Path(tempfile.mkdtemp(prefix=f"grader-{kind}-{os.getpid()}-"))


def sweep(root: Path | None = None, *, min_age: float = _MIN_AGE) -> list[Path]:
    """Remove the private directories of grader processes that no longer exist.

    Parameters
    ----------
    root
        Where to look; the temporary directory by default.
    min_age
        Seconds since a directory last changed before it may be removed.

    Returns
    -------
    list of Path
        What was removed (best effort: an entry that cannot be removed is left).
    """
    folder = Path(tempfile.gettempdir()) if root is None else root
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        if now - info.st_mtime < min_age or _alive(int(match[1])):
            continue
        _remove(Path(entry.path))
        if not os.path.lexists(entry.path):
            removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        return True
    except (OverflowError, ValueError):  # not a pid at all
        return False
    return True


def _remove(path: Path) -> None:
    """Delete ``path``; read-only directories inside (the worker's code) are opened up first."""
    for folder, _, _ in os.walk(path, followlinks=False):
        try:
            os.chmod(folder, 0o700, follow_symlinks=False)
        except (OSError, NotImplementedError):
            pass
    shutil.rmtree(path, ignore_errors=True)
