"""Which isolation layer a session gets: probing bubblewrap and the interpreter, once.

One reason to change: how the layer is chosen. ``plan_isolation`` probes bubblewrap once and
picks the strongest layer that works ("bwrap", else "process", never silently; a note says why
isolation is weaker), ``describe_interpreter`` asks the configured interpreter which
directories it needs, ``forced_layer`` reads ``$GRADER_ISOLATION``, and ``protect_grader``
makes the grader undumpable where a worker shares its uid. The command lines are
``cmdline``'s; what the worker does to confine itself is ``launcher``'s, ``privileges``',
``landlock``'s, ``rlimits``' and ``syscalls``'.

A root grader's bwrap gets no user namespace (one would map the sandbox's root to the host's):
the worker's confinement instead ends with ``privileges.drop_privileges`` to uid ``NOBODY``,
after its mounts and before any student code (``Plan.worker_uid``).

A root grader's workers need seccomp (``syscalls``' docstring says why): ``plan_isolation``
refuses to plan a session for them on a machine without it, and ``Plan.seccomp_required`` has
each worker refuse to serve without it too.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from graders.sandbox.cmdline import _bwrap_base, _system_binds, scrubbed_env
from graders.sandbox.hostpaths import _inside
from graders.sandbox.landlock import landlock_abi
from graders.sandbox.syscalls import seccomp_problem

__all__ = [
    "ISOLATION_ENV",
    "NOBODY",
    "InterpreterInfo",
    "Plan",
    "describe_interpreter",
    "forced_layer",
    "plan_isolation",
    "protect_grader",
]

NOBODY = 65534
ISOLATION_ENV = "GRADER_ISOLATION"
"""Environment variable that replaces a requested "auto" layer ("bwrap" or "process"): CI runs
the sandbox tests a second time with ``GRADER_ISOLATION=process``."""
_PR_SET_DUMPABLE = 4
_PROBE = (
    "import json, os, site, sys; print(json.dumps({'executable': sys.executable, "
    "'prefixes': [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix], "
    "'site': [p for p in site.getsitepackages() if os.path.isdir(p)], "
    "'version': '.'.join(map(str, sys.version_info[:3]))}))"
)


@dataclass(frozen=True)
class InterpreterInfo:
    """What the configured interpreter needs to run inside the sandbox.

    Parameters
    ----------
    python
        Absolute path used to start it (symlinks kept: a venv is found through them).
    version
        ``"3.11.7"``.
    directories
        Directories to bind read-only: its prefixes, its site-packages and the directories
        holding its executable (as given and resolved).
    """

    python: str
    version: str
    directories: tuple[str, ...]


@functools.lru_cache(maxsize=8)
def describe_interpreter(python: str) -> InterpreterInfo:
    """Ask the (trusted) configured interpreter where it lives; cached per interpreter.

    Raises
    ------
    graders.errors.SandboxError
        If the interpreter cannot be run or does not answer.
    """
    from graders.errors import SandboxError

    found = shutil.which(python)
    if found is None:
        raise SandboxError(f"the sandbox interpreter {python!r} was not found")
    executable = os.path.abspath(found)
    try:
        done = subprocess.run(
            [executable, "-s", "-B", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            env=scrubbed_env("/nonexistent", "/tmp"),
            cwd="/",
            check=True,
        )
        answer = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise SandboxError(f"could not inspect the sandbox interpreter {python!r}: {exc}") from exc
    candidates = [
        *answer["prefixes"],
        *answer["site"],
        os.path.dirname(executable),
        os.path.dirname(os.path.realpath(executable)),
    ]
    candidates += [os.path.realpath(p) for p in answer["site"]]
    directories = _outermost(p for p in candidates if os.path.isdir(p))
    if "/" in directories:
        raise SandboxError(f"refusing to bind '/' for the interpreter {python!r}")
    return InterpreterInfo(executable, str(answer["version"]), directories)


def _outermost(paths: Iterable[str]) -> tuple[str, ...]:
    """Normalised paths, dropping any that lie inside /usr or inside another one."""
    kept: list[str] = []
    for path in sorted({os.path.normpath(p) for p in paths}, key=lambda p: (len(p), p)):
        if not any(_inside(path, outer) for outer in ["/usr", *kept]):
            kept.append(path)
    return tuple(kept)


@dataclass(frozen=True)
class Plan:
    """The isolation layer a session will use.

    Parameters
    ----------
    kind
        ``"bwrap"`` or ``"process"``.
    bwrap
        Path of the bwrap executable (bwrap only).
    note
        Why isolation is weaker than it could be ("" for bwrap); shown in the grading output.
    tmpfs_size
        Whether this bwrap understands ``--size`` (0.7+), which caps the sandbox's /tmp.
    user
        On the process layer, the uid (and gid) to run the worker as; None keeps ours.
    worker_uid
        With bwrap run by root (so without a user namespace): the host uid (and gid) the worker
        switches to once its mounts are made, before any student code; None: bwrap's user
        namespace already maps the worker to our own, unprivileged, uid.
    seccomp_required
        Whether the worker must refuse to run the student's code without its seccomp filter:
        when it starts as uid 0 (a root grader), on either layer.
    hidden
        Host paths of this session (a batch's submissions and output folders) hidden from the
        worker as the grader's own files are (``cmdline.hidden_paths``).
    """

    kind: str
    bwrap: str | None = None
    note: str = ""
    tmpfs_size: bool = False
    user: int | None = None
    worker_uid: int | None = None
    seccomp_required: bool = False
    hidden: tuple[str, ...] = ()


def forced_layer() -> str | None:
    """The layer ``$GRADER_ISOLATION`` asks for, or None when it is unset or empty.

    Raises
    ------
    graders.errors.SandboxError
        If it names no layer.
    """
    from graders.errors import SandboxError

    forced = os.environ.get(ISOLATION_ENV, "").strip()
    if forced and forced not in ("auto", "bwrap", "process"):
        raise SandboxError(
            f"{ISOLATION_ENV}={forced!r} is not a layer; use 'auto', 'bwrap' or 'process'"
        )
    return forced or None


def plan_isolation(
    requested: str, python: str | None = None, *, hidden: Iterable[str | os.PathLike[str]] = ()
) -> Plan:
    """Pick the layer for ``requested`` ("auto", "bwrap" or "process").

    Parameters
    ----------
    requested
        ``"auto"``: bwrap if its probe passes, else the process layer, with a note saying so;
        ``$GRADER_ISOLATION`` (``"bwrap"`` or ``"process"``), when set, replaces ``"auto"``.
    python
        The worker's interpreter; on the process layer a root grader runs the worker as uid
        65534 when that user can run this interpreter.
    hidden
        Host folders the worker must never see (``SandboxConfig.hidden``): ``Plan.hidden``
        holds each as given (made absolute) and with symlinks resolved.

    Raises
    ------
    graders.errors.SandboxError
        If "bwrap" was requested explicitly and bubblewrap does not work here, or the grader
        runs as root on a machine without seccomp (its workers would start as uid 0).
    """
    from graders.errors import SandboxError

    plan = _chosen_layer(requested, python)
    if _as_root():
        problem = seccomp_problem()
        if problem is not None:
            raise SandboxError(
                f"refusing to run the student's code: the grader runs as root and {problem}; "
                "only seccomp stops a worker that starts as root from forking, running "
                "programs and signalling root's processes. Install libseccomp, or run the "
                "grader as an unprivileged user"
            )
        plan = dataclasses.replace(plan, seccomp_required=True)
    paths = [os.path.abspath(os.fspath(p)) for p in hidden]
    paths += [os.path.realpath(p) for p in paths]
    return dataclasses.replace(plan, hidden=tuple(dict.fromkeys(paths)))


def _chosen_layer(requested: str, python: str | None) -> Plan:
    from graders.errors import SandboxError

    forced = forced_layer()
    if requested == "auto" and forced:
        if forced == "process":
            return _process_plan(f"isolation: process layer only ({ISOLATION_ENV}=process)", python)
        requested = forced
    if requested == "process":
        return _process_plan("isolation: process layer only (as configured)", python)
    if requested not in ("auto", "bwrap"):
        raise SandboxError(f"unknown isolation {requested!r}; use 'auto', 'bwrap' or 'process'")
    bwrap, problem = _bwrap_status()
    if problem is None and bwrap is not None:
        worker_uid = NOBODY if _as_root() else None
        return Plan("bwrap", bwrap, "", _bwrap_has_size(bwrap), worker_uid=worker_uid)
    if requested == "bwrap":
        raise SandboxError(f"bwrap isolation was requested but does not work here: {problem}")
    return _process_plan(
        f"isolation: process layer only, which is weaker: bubblewrap is unavailable ({problem})",
        python,
    )


def _process_plan(reason: str, python: str | None) -> Plan:
    from graders.errors import SandboxError

    files = _files_promise()
    if not _as_root():
        who, user = "the grader's user", None
    elif python is not None and _runs_as(python, NOBODY):
        who, user = f"uid {NOBODY}", NOBODY
    else:
        who, user = f"root without capabilities (uid {NOBODY} cannot run the interpreter)", None
        if python is not None and landlock_abi() < 1:
            # uid 0 without capabilities still owns root's files: with nothing to confine
            # them, the student's code could rewrite /etc/passwd or the grader itself.
            raise SandboxError(
                f"refusing to run the student's code as root: uid {NOBODY} cannot run the "
                f"interpreter {python!r} and the kernel has no Landlock to confine a root "
                f"worker's files; make the interpreter readable by uid {NOBODY}, or install "
                "bubblewrap (Debian/Ubuntu: apt-get install bubblewrap)"
            )
    return Plan(
        "process",
        note=f"{reason}. It cannot promise what bubblewrap does: the student's code runs as "
        f"{who} in the machine's own namespaces, so it sees every process in /proc and the "
        f"network interfaces, and {files}; seccomp stops new processes, signals to other "
        "processes, pidfds, io_uring and new sockets (network and Unix)",
        user=user,
    )


def _files_promise() -> str:
    """What the process layer can say about files, from the kernel's Landlock support."""
    abi = landlock_abi()
    if abi < 1:
        return (
            "the kernel has no Landlock, so it can read any file that user can read and write "
            "wherever that user can (/tmp, /dev/shm)"
        )
    return (
        f"Landlock (ABI {abi}) limits it to reading the interpreter, the system's libraries and "
        "its scratch directory and to writing only there"
    )


def _as_root() -> bool:
    return os.name == "posix" and os.geteuid() == 0


@functools.lru_cache(maxsize=8)
def _runs_as(python: str, uid: int) -> bool:
    """Whether ``python`` can import numpy as ``uid`` (its files may be private to root)."""
    try:
        done = subprocess.run(
            [python, "-s", "-B", "-c", "import numpy"],
            capture_output=True,
            timeout=120,
            user=uid,
            group=uid,
            extra_groups=[],
            cwd="/",
            env=scrubbed_env("/nonexistent", "/tmp"),
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def protect_grader() -> str | None:
    """Make this (grader) process undumpable, so a same-user worker cannot read its memory.

    Without a pid namespace a worker running as the grader's user could open
    ``/proc/<grader>/mem``; with ``PR_SET_DUMPABLE=0`` that file belongs to root. It also
    disables core dumps and same-user debuggers for the grader. Returns a note if it failed.
    """
    if not sys.platform.startswith("linux"):
        return "the grader could not protect its memory from the worker (not Linux)"
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
            return "the grader could not protect its memory from the worker (prctl failed)"
    except (OSError, AttributeError):
        return "the grader could not protect its memory from the worker (no prctl)"
    return None


@functools.lru_cache(maxsize=1)
def _bwrap_status() -> tuple[str | None, str | None]:
    """(path, None) when ``bwrap ... /bin/true`` works, else (path or None, the reason)."""
    bwrap = shutil.which("bwrap") or (
        "/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK) else None
    )
    if bwrap is None:
        return None, "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    argv = [
        bwrap,
        *_bwrap_base(root=_as_root()),
        *_system_binds(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "/bin/true",
    ]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return bwrap, f"bwrap could not be run: {exc}"
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        return bwrap, f"bwrap failed its probe: {lines[-1]}"
    return bwrap, None


@functools.lru_cache(maxsize=4)
def _bwrap_has_size(bwrap: str) -> bool:
    try:
        done = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return "--size" in done.stdout + done.stderr
