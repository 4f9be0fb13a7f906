"""How a worker is confined.

Grader side: ``plan_isolation`` probes bubblewrap once and picks the strongest layer that works
("bwrap", else "process", never silently); ``worker_command`` builds the command line, binding
read-only only what the interpreter needs plus the directory holding the worker's own code, with
a private scratch directory as the working directory (under bwrap a size-capped tmpfs holding
copies of the data files; every other mount read-only); ``zygote_command`` does the same for the
warm zygote (``zygote.py``); ``scrubbed_env`` is the whole environment the worker sees.

A root grader's bwrap gets no user namespace (one would map the sandbox's root to the host's):
the worker's confinement instead ends with ``drop_privileges`` to uid ``NOBODY``, after its
mounts and before any student code (``Plan.worker_uid``).

Worker side, called after the worker's imports: ``apply_rlimits`` (address space, CPU seconds,
file size, open files, processes) and ``install_seccomp`` (best effort, through ctypes on
libseccomp.so.2: fork, vfork, exec and clone without CLONE_THREAD fail with EPERM, clone3 with
ENOSYS so glibc falls back to clone for threads; so do signals to other processes, pidfds,
io_uring, IPv4/IPv6 sockets and administrative syscalls). On the process layer
``restrict_files`` (Landlock) limits reading to the interpreter, the system and the scratch
directory, and writing to the scratch directory.

Imported by the grader as ``graders.sandbox.isolation`` and by the worker as the sibling module
``isolation``: standard library only at import time, Python >= 3.9. Run as a script it is the
launcher of a cold worker (``launch``): it confines itself, then execs the worker.
"""

from __future__ import annotations

import functools
import json
import mimetypes
import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CODE_DIR",
    "ISOLATION_ENV",
    "NOBODY",
    "PROC_KNOBS",
    "SCRATCH_DIR",
    "InterpreterInfo",
    "Plan",
    "apply_rlimits",
    "descendants",
    "kill_all",
    "describe_exit",
    "describe_interpreter",
    "cover_proc_knobs",
    "drop_capabilities",
    "drop_privileges",
    "forced_layer",
    "hidden_paths",
    "install_seccomp",
    "landlock_abi",
    "plan_isolation",
    "protect_grader",
    "restrict_files",
    "scrubbed_env",
    "worker_command",
    "zygote_command",
]

CODE_DIR = "/sandbox"  # where the worker's code appears inside bwrap (read-only)
SCRATCH_DIR = "/scratch"  # the private, writable working directory inside bwrap
TMPFS_BYTES = 64 * 2**20
NOBODY = 65534
ISOLATION_ENV = "GRADER_ISOLATION"
"""Environment variable that replaces a requested "auto" layer ("bwrap" or "process"): CI runs
the sandbox tests a second time with ``GRADER_ISOLATION=process``."""
_PR_SET_DUMPABLE = 4
_BWRAP_COMMON = ("--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv")
# Run by root, bwrap's user namespace would map the sandbox's uid 0 to the host's uid 0 (and
# the /proc/sys of a fresh /proc stays the host's, writable by it): a root grader's bwrap gets
# every namespace but that one, and the worker drops to ``NOBODY`` itself (``drop_privileges``).
_NAMESPACES_AS_ROOT = (
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-uts",
    "--unshare-cgroup-try",
)
_SYSTEM_TOP = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime")
_PROBE = (
    "import json, os, site, sys; print(json.dumps({'executable': sys.executable, "
    "'prefixes': [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix], "
    "'site': [p for p in site.getsitepackages() if os.path.isdir(p)], "
    "'version': '.'.join(map(str, sys.version_info[:3]))}))"
)


# --------------------------------------------------------------------------------------------
# Grader side


def scrubbed_env(home: str, tmp: str) -> dict[str, str]:
    """Return the complete environment of a worker (nothing is inherited from the grader)."""
    one = "1"
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": tmp,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        # One BLAS thread: deterministic sums, no thread creation, and ~41 MB less address
        # space per thread that RLIMIT_AS would otherwise have to allow for.
        "OPENBLAS_NUM_THREADS": one,
        "OMP_NUM_THREADS": one,
        "MKL_NUM_THREADS": one,
        "NUMEXPR_NUM_THREADS": one,
        "VECLIB_MAXIMUM_THREADS": one,
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{tmp}/matplotlib",  # not in the scratch dir the student lists
        "PYTHONHASHSEED": "0",  # set iteration order identical for every student and every run
        "PYTHONDONTWRITEBYTECODE": one,
        "PYTHONUNBUFFERED": one,  # output printed before a hang survives the kill
        "PYTHONIOENCODING": "utf-8:backslashreplace",
    }


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


def _inside(path: str, outer: str) -> bool:
    return path == outer or path.startswith(outer.rstrip("/") + "/")


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
    """

    kind: str
    bwrap: str | None = None
    note: str = ""
    tmpfs_size: bool = False
    user: int | None = None
    worker_uid: int | None = None


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


def plan_isolation(requested: str, python: str | None = None) -> Plan:
    """Pick the layer for ``requested`` ("auto", "bwrap" or "process").

    Parameters
    ----------
    requested
        ``"auto"``: bwrap if its probe passes, else the process layer, with a note saying so;
        ``$GRADER_ISOLATION`` (``"bwrap"`` or ``"process"``), when set, replaces ``"auto"``.
    python
        The worker's interpreter; on the process layer a root grader runs the worker as uid
        65534 when that user can run this interpreter.

    Raises
    ------
    graders.errors.SandboxError
        If "bwrap" was requested explicitly and bubblewrap does not work here.
    """
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
    files = _files_promise()
    if os.name != "posix" or os.geteuid() != 0:
        who, user = "the grader's user", None
    elif python is not None and _runs_as(python, NOBODY):
        who, user = f"uid {NOBODY}", NOBODY
    else:
        who, user = f"root without capabilities (uid {NOBODY} cannot run the interpreter)", None
    return Plan(
        "process",
        note=f"{reason}. It cannot promise what bubblewrap does: the student's code runs as "
        f"{who} in the machine's own namespaces, so it sees every process in /proc and the "
        f"network interfaces, and {files}; seccomp stops new processes, signals to other "
        "processes, pidfds, io_uring and IPv4/IPv6 sockets",
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


def _bwrap_base(*, root: bool) -> list[str]:
    """Namespaces and hygiene: every namespace, but no user namespace for a root grader."""
    return [*(_NAMESPACES_AS_ROOT if root else ("--unshare-all",)), *_BWRAP_COMMON]


@functools.lru_cache(maxsize=4)
def _bwrap_has_size(bwrap: str) -> bool:
    try:
        done = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return "--size" in done.stdout + done.stderr


def _system_binds() -> list[str]:
    """/usr read-only, the top-level library dirs as they are on the host, the loader's files."""
    argv = ["--ro-bind", "/usr", "/usr"]
    for name in _SYSTEM_TOP:
        path = "/" + name
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    for path in _SYSTEM_FILES:
        argv += ["--ro-bind-try", path, path]
    return argv


def hidden_paths() -> tuple[str, ...]:
    """Grader paths a student must never see, even if they lie inside a bound directory.

    If the grader is installed into the very site-packages the worker uses, or the repository
    sits inside the interpreter's prefix, binding that directory would expose the references;
    these paths are covered with an empty tmpfs instead.
    """
    package = Path(__file__).resolve().parent.parent  # .../graders
    root = package.parent
    candidates = [package, root / "reference", root / "assignments", root / "tests"]
    if (root / "pyproject.toml").exists():  # a source checkout: hide all of it
        candidates.append(root)
    return tuple(str(p) for p in candidates if p.exists())


def worker_command(
    plan: Plan,
    info: InterpreterInfo,
    *,
    code_dir: str,
    scratch: str,
    worker_args: Sequence[str],
    data: Sequence[tuple[str, int]] | None = None,
    scratch_bytes: int = TMPFS_BYTES,
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that start a worker under ``plan``.

    Parameters
    ----------
    plan, info
        From ``plan_isolation`` and ``describe_interpreter``.
    code_dir
        Host directory holding only worker.py and its sibling modules.
    scratch
        Host directory that becomes the worker's working directory when it is bound (the
        process layer, or a bwrap without ``--size``).
    worker_args
        Arguments after ``worker.py`` (the protocol file descriptors).
    data
        With bwrap ``--size``: the data files as (relative name, open descriptor), copied by
        bwrap into a private tmpfs of ``scratch_bytes`` bytes that becomes the working
        directory instead of ``scratch`` (pass the descriptors to the child).
    """
    # -s: no user site-packages; -B: no .pyc writes. Not -I/-E: that would also drop
    # PYTHONHASHSEED, and the environment is ours entirely anyway.
    python = [info.python, "-s", "-B"]
    if plan.kind != "bwrap" or plan.bwrap is None:
        env = scrubbed_env(home=scratch, tmp=scratch)
        confinement = _process_confinement(info, code_dir, write=[scratch])
        worker = [*python, os.path.join(code_dir, "worker.py"), *worker_args]
        return _launcher(info, code_dir, confinement, worker), env
    uid = plan.worker_uid
    # The launcher covers /proc's knobs (CAP_SYS_ADMIN) and, run by root, hands the scratch
    # over (CAP_CHOWN) and drops to NOBODY; then it has no capability left.
    capabilities: tuple[str, ...] = ("CAP_SYS_ADMIN", "CAP_SETPCAP")
    if uid is not None:
        capabilities += ("CAP_SETUID", "CAP_SETGID", "CAP_CHOWN")
    argv, env = _bwrap_prefix(plan.bwrap, plan.tmpfs_size, info, capabilities, root=uid is not None)
    argv += ["--ro-bind", code_dir, CODE_DIR]
    if plan.tmpfs_size and data is not None:
        # A private, size-capped scratch: writes never reach the host's disk.
        argv += ["--size", str(scratch_bytes), "--tmpfs", SCRATCH_DIR]
        made: set[str] = set()
        for name, fd in data:
            parts = name.split("/")
            for depth in range(1, len(parts)):
                directory = "/".join(parts[:depth])
                if directory not in made:
                    made.add(directory)
                    argv += ["--dir", f"{SCRATCH_DIR}/{directory}"]
            argv += ["--file", str(fd), f"{SCRATCH_DIR}/{name}"]
    else:
        argv += ["--bind", scratch, SCRATCH_DIR]
    # Nothing but /scratch, /tmp and the device nodes stays writable.
    argv += ["--remount-ro", "/dev", "--remount-ro", "/"]
    worker = [*python, f"{CODE_DIR}/worker.py", *worker_args]
    confinement = {"proc": True, "uid": uid, "own": None if uid is None else SCRATCH_DIR}
    argv += ["--chdir", SCRATCH_DIR, "--", *_launcher(info, CODE_DIR, confinement, worker)]
    return argv, env


def _launcher(
    info: InterpreterInfo, code_dir: str, confinement: dict[str, object], command: list[str]
) -> list[str]:
    """``command`` run through ``isolation.py``, which confines itself and then execs it.

    -I -S: the launcher needs the standard library only, not the site-packages.
    """
    script = os.path.join(code_dir, "isolation.py")
    return [info.python, "-I", "-S", "-B", script, json.dumps(confinement), "--", *command]


def _process_confinement(
    info: InterpreterInfo, code_dir: str, write: Sequence[str] = ()
) -> dict[str, object]:
    """What a process-layer worker may read (Landlock): the interpreter and its own code."""
    return {
        "read": [*info.directories, code_dir],
        "write": list(write),
        "hidden": list(hidden_paths()),
    }


def zygote_command(
    plan: Plan,
    info: InterpreterInfo,
    *,
    code_dir: str,
    zygote_args: Sequence[str],
    config_dir: str | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that start the warm zygote (``zygote.py``) under ``plan``.

    With bwrap the zygote gets the same view as a worker, minus a scratch directory, and keeps
    two capabilities (``CAP_SYS_ADMIN``, ``CAP_SETPCAP``) so that each forked worker can build
    its own pid, mount, network and IPC namespaces and private mounts before dropping every
    capability; run by root it has no user namespace and keeps ``CAP_SETUID`` and
    ``CAP_SETGID`` too, for each worker to become ``Plan.worker_uid``, and ``CAP_KILL``, for
    each monitor to kill its worker then (it sees only the processes of its pid namespace).
    On the process layer it is a plain fresh interpreter, with ``config_dir`` (writable by
    it) as matplotlib's configuration directory. After ``zygote_args`` comes the workers'
    confinement (JSON).
    """
    python = [info.python, "-s", "-B"]
    if plan.kind != "bwrap" or plan.bwrap is None:
        env = scrubbed_env(home="/nonexistent", tmp="/nonexistent")
        if config_dir is not None:
            env["MPLCONFIGDIR"] = config_dir
        confinement = json.dumps(_process_confinement(info, code_dir))
        return [*python, os.path.join(code_dir, "zygote.py"), *zygote_args, confinement], env
    uid = plan.worker_uid
    capabilities: tuple[str, ...] = ("CAP_SYS_ADMIN", "CAP_SETPCAP")
    if uid is not None:  # and each monitor kills a worker that is no longer its uid
        capabilities += ("CAP_SETUID", "CAP_SETGID", "CAP_KILL")
    argv, env = _bwrap_prefix(plan.bwrap, plan.tmpfs_size, info, capabilities, root=uid is not None)
    # Its cwd (and so PWD) is the scratch mount point; each worker mounts its own tmpfs there.
    argv += ["--ro-bind", code_dir, CODE_DIR, "--dir", SCRATCH_DIR, "--chdir", SCRATCH_DIR]
    confinement = json.dumps({"uid": uid})
    argv += ["--", *python, f"{CODE_DIR}/zygote.py", *zygote_args, confinement]
    return argv, env


def _bwrap_prefix(
    bwrap: str,
    tmpfs_size: bool,
    info: InterpreterInfo,
    capabilities: Sequence[str] = (),
    *,
    root: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """bwrap, its namespaces, the environment, the system and interpreter binds, /proc, /tmp."""
    env = scrubbed_env(home=SCRATCH_DIR, tmp="/tmp")
    argv = [bwrap, *_bwrap_base(root=root)]
    for capability in capabilities:
        argv += ["--cap-add", capability]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    argv += _system_binds()
    argv += ["--proc", "/proc", "--dev", "/dev"]
    if tmpfs_size:
        argv += ["--size", str(TMPFS_BYTES)]
    if root:  # bwrap's tmpfs is 0755 root's: the worker, nobody, must write there too
        argv += ["--perms", "1777"]
    argv += ["--tmpfs", "/tmp"]
    argv += _mounts(info.directories, hidden_paths())
    return argv, env


def _mounts(directories: Sequence[str], hidden: Sequence[str]) -> list[str]:
    """Read-only binds of ``directories``; an empty tmpfs over each hidden path inside one.

    Mounts are ordered parents first, so a tmpfs hides what lies below it but not a bind that
    is nested deeper still (a venv inside a hidden checkout keeps working). The directories
    bwrap would make to hold them (mode 0700, whatever the host's) are made first with
    ``--dir`` (0755): a worker that is not their owner must still reach the interpreter.
    """
    covers = [h for h in hidden if any(_inside(h, d) for d in directories)]
    ops: list[tuple[int, int, list[str]]] = []
    for path in directories:
        ops.append((path.count("/"), 0, ["--ro-bind", path, path]))
    for path in covers:
        ops.append((path.count("/"), 1, ["--tmpfs", path]))
    made: set[str] = set()
    for path in [*directories, *covers]:
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            parent = "/" + "/".join(parts[:depth])
            mount_point = parent in directories or parent in covers
            if parent in made or mount_point or _in_a_bind(parent, directories, covers):
                continue
            made.add(parent)
            ops.append((parent.count("/"), 2, ["--dir", parent]))
    argv: list[str] = []
    for _depth, _order, op in sorted(ops, key=lambda item: (item[0], item[1])):
        argv += op
    return argv


def _in_a_bind(path: str, directories: Sequence[str], covers: Sequence[str]) -> bool:
    """Whether the innermost mount holding ``path`` is one of the binds (so it exists there)."""
    holders = [m for m in [*directories, *covers, "/usr"] if _inside(path, m)]
    if not holders:
        return False
    innermost = max(holders, key=len)
    return innermost == "/usr" or innermost in directories


# --------------------------------------------------------------------------------------------
# Worker side


def apply_rlimits(
    *, memory_mb: int, cpu_seconds: int, file_bytes: int, open_files: int, processes: int
) -> list[str]:
    """Lower this process's resource limits (soft and hard, so they cannot be raised again).

    Call after the heavy imports: the address-space limit is the current VmSize plus
    ``memory_mb`` (numpy/pandas imports alone need a few hundred MB of address space).

    Returns
    -------
    list of str
        Notes on limits that could not be set.
    """
    import resource

    notes: list[str] = []

    def lower(name: str, soft: int, hard: int | None = None) -> None:
        which = getattr(resource, name, None)
        if which is None:
            notes.append(f"{name} is not available on this platform")
            return
        hard = soft if hard is None else hard
        _, current_hard = resource.getrlimit(which)
        if current_hard != resource.RLIM_INFINITY:
            hard = min(hard, current_hard)
        try:
            resource.setrlimit(which, (min(soft, hard), hard))
        except (ValueError, OSError) as exc:
            notes.append(f"{name} could not be set: {exc}")

    vmsize = _vmsize_bytes()
    if vmsize is None:
        notes.append("RLIMIT_AS not set: the current address-space size is unknown")
    else:
        lower("RLIMIT_AS", vmsize + memory_mb * 2**20)
    # soft < hard: SIGXCPU first (default action: terminate), SIGKILL at the hard limit.
    lower("RLIMIT_CPU", cpu_seconds, cpu_seconds + 2)
    if hasattr(signal, "SIGXFSZ"):  # a too-large write fails with EFBIG instead of killing
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    lower("RLIMIT_FSIZE", file_bytes)
    lower("RLIMIT_NOFILE", open_files)
    lower("RLIMIT_NPROC", processes)  # does not bind root: seccomp is what stops fork bombs
    lower("RLIMIT_CORE", 0)
    return notes


def _vmsize_bytes() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


_SCMP_ACT_ALLOW = 0x7FFF0000
_SCMP_ACT_ERRNO = 0x00050000
_SCMP_CMP_NE = 1
_SCMP_CMP_EQ = 4
_SCMP_CMP_MASKED_EQ = 7
_SCMP_FLTATR_CTL_TSYNC = 4
_CLONE_THREAD = 0x00010000
_EPERM = 1
_ENOSYS = 38
# New processes and programs, other processes' memory, and (for a worker that is root on the
# process layer) the machine itself; setrlimit so that the limits above stay put.
_DENIED = (
    "fork",
    "vfork",
    "execve",
    "execveat",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "tkill",
    "setrlimit",
    "mount",
    "umount2",
    "unshare",
    "setns",
    "chroot",
    "pivot_root",
    "reboot",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "bpf",
    "perf_event_open",
    "swapon",
    "swapoff",
    "settimeofday",
    "clock_settime",
    "sethostname",
    "setdomainname",
    "keyctl",
    "add_key",
    "request_key",
    # A pidfd signals a process without kill's pid rule (a /proc/<pid> directory is one too),
    # and io_uring runs socket, open and other operations that no syscall rule here sees.
    "pidfd_open",
    "pidfd_send_signal",
    "pidfd_getfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
)
# No network sockets (the process layer has no network namespace to keep loopback private);
# Unix sockets stay (libraries use socketpair internally).
_NETWORK_FAMILIES = (2, 10, 17)  # AF_INET, AF_INET6, AF_PACKET
# Signals only to itself: kill(-1, SIGKILL) from a root worker would otherwise end every process
# (kill(0, ...), to its own process group, is refused too: it is never needed).
_SELF_ONLY = ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")


def install_seccomp() -> str | None:
    """Forbid new processes (threads stay allowed) with a seccomp filter, if libseccomp exists.

    Also forbids signalling other processes, pidfds, io_uring, changing resource limits,
    network sockets (IPv4, IPv6, packet; loopback included) and the administrative syscalls
    listed in ``_DENIED``; they fail with EPERM.

    Returns
    -------
    str or None
        None when the filter is in place, else a note saying why it is not.
    """
    if not sys.platform.startswith("linux"):
        return "seccomp unavailable (not Linux): fork is not blocked"
    import ctypes

    try:
        lib = ctypes.CDLL("libseccomp.so.2")
    except OSError:
        return "seccomp unavailable (libseccomp.so.2 not found): fork is not blocked"

    class ArgCmp(ctypes.Structure):
        _fields_ = [
            ("arg", ctypes.c_uint),
            ("op", ctypes.c_int),
            ("datum_a", ctypes.c_uint64),
            ("datum_b", ctypes.c_uint64),
        ]

    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.restype = ctypes.c_int
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(ArgCmp),
    ]
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]

    ctx = lib.seccomp_init(_SCMP_ACT_ALLOW)
    if not ctx:
        return "seccomp unavailable (seccomp_init failed): fork is not blocked"
    me = os.getpid()
    not_me = ArgCmp(0, _SCMP_CMP_NE, me, 0)
    try:

        def deny(name: str, errno: int, *conditions: ArgCmp) -> bool:
            """Add one rule (all conditions must hold); False if libseccomp refused it."""
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:  # this architecture has no such syscall (e.g. fork on arm64)
                return True
            array = (ArgCmp * len(conditions))(*conditions) if conditions else None
            return (
                int(
                    lib.seccomp_rule_add_array(
                        ctx, _SCMP_ACT_ERRNO | errno, number, len(conditions), array
                    )
                )
                == 0
            )

        failures = [name for name in _DENIED if not deny(name, _EPERM)]
        failures += [name for name in _SELF_ONLY if not deny(name, _EPERM, not_me)]
        rules = [
            ("clone", _EPERM, (ArgCmp(0, _SCMP_CMP_MASKED_EQ, _CLONE_THREAD, 0),)),
            ("clone3", _ENOSYS, ()),  # glibc then falls back to clone for threads
            ("prlimit64", _EPERM, (ArgCmp(2, _SCMP_CMP_NE, 0, 0),)),  # setting, not reading
            *(
                ("socket", _EPERM, (ArgCmp(0, _SCMP_CMP_EQ, family, 0),))
                for family in _NETWORK_FAMILIES
            ),
        ]
        failures += [
            name for name, errno, conditions in rules if not deny(name, errno, *conditions)
        ]
        lib.seccomp_attr_set(ctx, _SCMP_FLTATR_CTL_TSYNC, 1)  # all threads, where supported
        # Fail closed: a rejected rule weakens the filter but never leaves the worker without one.
        if lib.seccomp_load(ctx) != 0:
            return "seccomp not installed (seccomp_load failed): fork is not blocked"
    finally:
        lib.seccomp_release(ctx)
    if failures:
        return f"seccomp installed without its rules for {', '.join(failures)}"
    return None


_PR_SET_SECUREBITS = 28
_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
# NOROOT, and locked: NOROOT, NO_SETUID_FIXUP (on when the uid stays, off when it changes, so
# that the change clears every capability), KEEP_CAPS (off), NO_CAP_AMBIENT_RAISE.
_SECUREBITS_LOCKED = 0x01 | 0x02 | 0x08 | 0x20 | 0x40 | 0x80
_SECBIT_NO_SETUID_FIXUP = 0x04
_CAP_VERSION_3 = 0x20080522
_CAPABILITY_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC = 32, 4096, 16384
#: What a fresh /proc exposes of the whole machine (bwrap covers only what root may write).
PROC_KNOBS = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus")


def drop_privileges(uid: int) -> None:
    """Become ``uid`` (as uid, gid and only group) with no capabilities, irreversibly.

    For a process running as the host's root with ``CAP_SETUID``, ``CAP_SETGID`` and
    ``CAP_SETPCAP``: the bounding and ambient sets are emptied and the securebits locked first,
    then ``setresgid``/``setresuid`` and ``capset`` clear the rest. The parent-death signal is
    cleared by the kernel on the way: set it again afterwards if it matters.

    Raises
    ------
    OSError
        If a step fails, or any other uid, gid, group or capability remains.
    """
    _lock_capabilities(_SECUREBITS_LOCKED)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    _clear_capabilities()
    ids = (os.getresuid(), os.getresgid(), tuple(os.getgroups()))
    if ids != ((uid,) * 3, (uid,) * 3, ()):
        raise OSError(f"other ids remain after dropping to uid {uid}: {ids}")


def drop_capabilities() -> None:
    """Keep this process's uid but give up every capability, irreversibly (needs CAP_SETPCAP).

    Raises
    ------
    OSError
        If a step fails or a capability remains.
    """
    _lock_capabilities(_SECUREBITS_LOCKED | _SECBIT_NO_SETUID_FIXUP)
    _clear_capabilities()


def _prctl(option: int, arg: int, what: str) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _lock_capabilities(securebits: int) -> None:
    """Empty the ambient and bounding sets; set and lock ``securebits``."""
    _prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, "PR_CAP_AMBIENT_CLEAR_ALL")
    _prctl(_PR_SET_SECUREBITS, securebits, "PR_SET_SECUREBITS")
    for cap in range(_last_capability() + 1):
        _prctl(_PR_CAPBSET_DROP, cap, f"PR_CAPBSET_DROP {cap}")


def _clear_capabilities() -> None:
    """Empty the effective, permitted and inheritable sets, set no_new_privs, and check."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [
            ("effective", ctypes.c_uint32),
            ("permitted", ctypes.c_uint32),
            ("inheritable", ctypes.c_uint32),
        ]

    if libc.capset(ctypes.byref(Header(_CAP_VERSION_3, 0)), (Data * 2)()) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"capset: {os.strerror(errno)}")
    _prctl(_PR_SET_NO_NEW_PRIVS, 1, "PR_SET_NO_NEW_PRIVS")
    caps = _capabilities()
    if len(caps) != len(_CAPABILITY_FIELDS) or any(caps.values()):
        raise OSError(f"capabilities remain: {caps}")


def cover_proc_knobs() -> None:
    """Bind each of ``PROC_KNOBS`` read-only onto itself (needs CAP_SYS_ADMIN over the mounts).

    Defence in depth: to a worker that is not root the files are unwritable anyway, except
    the few that are world-writable (``/proc/sys/kernel/ns_last_pid``).

    Raises
    ------
    OSError
        If a mount fails, or a knob is still writable.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def mount(source: str, target: str, flags: int) -> None:
        if libc.mount(source.encode(), target.encode(), None, ctypes.c_ulong(flags), None) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"mount {target}: {os.strerror(errno)}")

    hardened = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    for knob in PROC_KNOBS:
        if os.path.exists(knob):
            mount(knob, knob, _MS_BIND | _MS_REC)
            mount("none", knob, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | hardened)
            if not os.statvfs(knob).f_flag & os.ST_RDONLY:
                raise OSError(f"{knob} is still writable")


def _last_capability() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as last:
            return int(last.read())
    except (OSError, ValueError):
        return 63


def _capabilities() -> dict[str, int]:
    """This process's capability sets, from /proc/self/status."""
    with open("/proc/self/status", encoding="ascii", errors="replace") as status:
        return {
            key: int(value.strip(), 16)
            for key, _, value in (line.partition(":") for line in status)
            if key in _CAPABILITY_FIELDS
        }


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


def launch(argv: Sequence[str]) -> int:
    """``isolation.py CONFINEMENT -- PROGRAM ARG...``: confine this process, exec ``PROGRAM``.

    ``CONFINEMENT`` is JSON. Under bwrap: ``proc`` (``cover_proc_knobs``), ``own`` (a
    directory to give to ``uid``, with what is in it) and ``uid`` (``drop_privileges``; without
    it, ``drop_capabilities``). On the process layer: ``read``, ``write`` and ``hidden``
    (``restrict_files``; a worker that is still root then gives up every capability, keeping
    uid 0). Returns 70 (and says why on stderr) if confinement fails: the
    program never runs half-confined.
    """
    try:
        confinement = json.loads(argv[1])
        if argv[2] != "--" or len(argv) < 4:
            raise ValueError("usage: isolation.py CONFINEMENT -- PROGRAM ARG...")
        uid = confinement.get("uid")
        if confinement.get("proc"):
            cover_proc_knobs()
        if confinement.get("own") is not None:
            _give(str(confinement["own"]), int(uid))
        if uid is not None:
            drop_privileges(int(uid))
        elif confinement.get("proc"):  # bwrap's user namespace already made us unprivileged
            drop_capabilities()
        if "read" in confinement:
            restrict_files(confinement["read"], confinement["write"], confinement["hidden"])
            if os.geteuid() == 0:  # a root grader whose interpreter uid NOBODY cannot run
                drop_capabilities()
        os.execv(argv[3], list(argv[3:]))
    except (OSError, ValueError, TypeError, KeyError, IndexError) as exc:
        print(f"the sandbox could not confine the worker: {exc}", file=sys.stderr)
    return 70


def _give(root: str, uid: int) -> None:
    """Make ``root`` and everything below it belong to ``uid`` (never following a symlink)."""
    os.chown(root, uid, uid, follow_symlinks=False)
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(directory, name), uid, uid, follow_symlinks=False)


def describe_exit(returncode: int, *, bwrap: bool) -> str:
    """Describe how a worker ended: ``"exit status 3"`` or ``"killed by SIGSEGV"``.

    bwrap reports a child killed by signal N as exit status 128 + N.
    """
    number = (
        -returncode
        if returncode < 0
        else (returncode - 128 if bwrap and 128 < returncode < 160 else 0)
    )
    if number:
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if name == "SIGXCPU":
            return "killed by SIGXCPU: it used up its CPU-time budget"
        if name == "SIGKILL":
            return "killed by SIGKILL, possibly for using too much memory"
        return f"killed by {name}"
    return f"exit status {returncode}"


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (host pids), read from /proc; [] where there is no /proc.

    Used on both sides: by the grader to kill a worker's tree, by the zygote for its jobs.
    """
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                data = stat.read()
            parent = int(data[data.rfind(b")") + 2 :].split()[1])  # comm may hold spaces
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found: list[int] = []
    frontier = [pid]
    while frontier:
        below = children.get(frontier.pop(), [])
        found += below
        frontier += below
    return found


def kill_all(pids: Iterable[int]) -> None:
    """SIGKILL each of ``pids``; one that is already gone (or not ours to kill) is skipped."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


if __name__ == "__main__":
    sys.exit(launch(sys.argv))
