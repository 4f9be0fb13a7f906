"""Confining a process-layer worker's files with Landlock.

One reason to change: what a worker without bubblewrap may read and write. ``restrict_files``
limits reading to the interpreter, the system and the scratch directory, and writing to the
scratch directory; ``landlock_abi`` says what the kernel supports (the grader's layer note
quotes it).

Both sides: copied into the sandbox (``scratch.WORKER_FILES``); standard library only, Python
>= 3.9.
"""

from __future__ import annotations

import functools
import mimetypes
import os
import stat
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING or __package__:  # the grader's copy, graders.sandbox.* (and the type checker's)
    from graders.sandbox.hostpaths import _SYSTEM_FILES, _SYSTEM_TOP, _inside
else:  # the worker's: a sibling module in its private code directory
    from hostpaths import _SYSTEM_FILES, _SYSTEM_TOP, _inside

__all__ = ["landlock_abi", "restrict_files"]

_PR_SET_NO_NEW_PRIVS = 38
_LANDLOCK_CREATE_RULESET, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT_SELF = 444, 445, 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 14, 1 << 15
_FS_READ = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
_FS_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
# Every filesystem right of each ABI: 1-3 add up to REFER (1 << 13), TRUNCATE and IOCTL_DEV.
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_NET_TCP = 1 | 2  # bind, connect (ABI 4)
_SCOPES = 1 | 2  # abstract Unix sockets, signals to processes outside the domain (ABI 6)
# Read-only for every process-layer worker: the system's programs and libraries, the dynamic
# loader's files, /proc (its own entries; others' are guarded by their owners and ptrace) and
# the CPU and cgroup facts that BLAS and joblib size themselves by.
_LANDLOCK_SYSTEM = (
    "/usr",
    *("/" + name for name in _SYSTEM_TOP),
    *_SYSTEM_FILES,
    "/proc",
    "/sys/devices/system/cpu",
    "/sys/fs/cgroup",
    # mimetypes reads each of these that exists (pandas' read_excel through openpyxl does): a
    # file that exists but cannot be opened raises PermissionError there and loses the cell.
    *(str(path) for path in mimetypes.knownfiles if str(path).startswith("/etc/")),
)
_LANDLOCK_DEVICES = {
    "/dev/null": _FS_READ_FILE | _FS_WRITE_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV,
    "/dev/zero": _FS_READ_FILE | _FS_IOCTL_DEV,
    "/dev/full": _FS_READ_FILE | _FS_WRITE_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV,
    "/dev/random": _FS_READ_FILE | _FS_IOCTL_DEV,
    "/dev/urandom": _FS_READ_FILE | _FS_IOCTL_DEV,
}


@functools.lru_cache(maxsize=1)
def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 where there is none (or it is disabled)."""
    if not sys.platform.startswith("linux"):
        return 0
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    version = libc.syscall(
        ctypes.c_long(_LANDLOCK_CREATE_RULESET),
        None,
        ctypes.c_size_t(0),
        ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION),
    )
    return max(int(version), 0)


def restrict_files(
    read: Sequence[str], write: Sequence[str], hidden: Sequence[str] = ()
) -> str | None:
    """Confine this thread (and what it starts) with Landlock, for good.

    It may then read only below ``read`` and the system paths (``_LANDLOCK_SYSTEM``), read and
    write only below ``write`` and a few device nodes, and, where the kernel can say so, make no
    TCP connection and signal no process outside the domain. A path of ``hidden`` below one of
    ``read`` stays unreadable (its siblings are allowed one by one). Paths that do not exist are
    skipped. Call it while single-threaded: threads that already exist are not confined.

    Returns
    -------
    str or None
        None when the restriction is in place, else a note saying why it is not (no Landlock).

    Raises
    ------
    OSError
        If the kernel has Landlock but the restriction could not be installed.
    """
    abi = landlock_abi()
    if abi < 1:
        return "Landlock unavailable: the worker can read and write what its user can"
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    handled = _FS_BY_ABI[max(k for k in _FS_BY_ABI if k <= abi)]

    class RulesetAttr(ctypes.Structure):
        _fields_ = [
            ("handled_access_fs", ctypes.c_uint64),
            ("handled_access_net", ctypes.c_uint64),
            ("scoped", ctypes.c_uint64),
        ]

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    def syscall(number: int, *args: object) -> int:
        result = int(libc.syscall(ctypes.c_long(number), *args))
        if result < 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"Landlock syscall {number}: {os.strerror(errno)}")
        return result

    attr = RulesetAttr(handled, _NET_TCP if abi >= 4 else 0, _SCOPES if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24  # the struct as this ABI knows it
    ruleset = syscall(_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    try:
        rules = [(p, _FS_READ) for p in _uncovered([*_LANDLOCK_SYSTEM, *read], hidden)]
        rules += [(p, handled) for p in write]
        rules += list(_LANDLOCK_DEVICES.items())
        for path, rights in rules:
            try:
                target = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:  # absent here, or not ours to reach: nothing to allow
                continue
            try:
                if not stat.S_ISDIR(os.fstat(target).st_mode):
                    rights &= _FS_FILE_RIGHTS
                rule = PathBeneath(rights & handled, target)
                kind = _LANDLOCK_RULE_PATH_BENEATH
                syscall(_LANDLOCK_ADD_RULE, ruleset, kind, ctypes.byref(rule), 0)
            finally:
                os.close(target)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        syscall(_LANDLOCK_RESTRICT_SELF, ruleset, 0)
    finally:
        os.close(ruleset)
    return None


def _uncovered(paths: Iterable[str], hidden: Sequence[str]) -> list[str]:
    """``paths``, each replaced by its entries (recursively) where a hidden path lies below it.

    Landlock only allows: to keep ``/venv/lib/site-packages/graders`` unreadable while the rest
    of site-packages is readable, each of the other entries gets its own rule.
    """
    hide = {os.path.normpath(h) for h in hidden}
    found: list[str] = []
    frontier = [os.path.normpath(p) for p in paths]
    while frontier:
        path = frontier.pop()
        if path in hide:
            continue
        if not any(_inside(h, path) for h in hide):
            found.append(path)
            continue
        try:
            frontier += [os.path.join(path, name) for name in os.listdir(path)]
        except OSError:
            continue
    return sorted(found)
