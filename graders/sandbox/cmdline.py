"""The command lines that start a worker or the zygote under an isolation plan.

One reason to change: what a sandbox is made of. ``worker_command`` builds the command line,
binding read-only only what the interpreter needs plus the directory holding the worker's own
code, with a private scratch directory as the working directory (under bwrap a size-capped
tmpfs holding copies of the data files; every other mount read-only) and the launcher
(``launcher.py``) in front of the worker; ``zygote_command`` does the same for the warm zygote
(``zygote.py``); ``scrubbed_env`` is the whole environment the worker sees (plus
``syscalls.SECCOMP_ENV`` when the plan requires seccomp, which the worker removes before any
student code); ``hidden_paths`` are the grader's paths covered wherever a bind would show them,
and ``Plan.hidden`` (a batch's submissions and output folders) are covered alike: an empty tmpfs
under bwrap, no Landlock rule on the process layer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from graders.sandbox.hostpaths import _SYSTEM_FILES, _SYSTEM_TOP, _inside
from graders.sandbox.syscalls import SECCOMP_ENV

if TYPE_CHECKING:
    from graders.sandbox.isolation import InterpreterInfo, Plan

__all__ = [
    "CODE_DIR",
    "SCRATCH_DIR",
    "hidden_paths",
    "scrubbed_env",
    "worker_command",
    "zygote_command",
]

CODE_DIR = "/sandbox"  # where the worker's code appears inside bwrap (read-only)
SCRATCH_DIR = "/scratch"  # the private, writable working directory inside bwrap
TMPFS_BYTES = 64 * 2**20
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


def _bwrap_base(*, root: bool) -> list[str]:
    """Namespaces and hygiene: every namespace, but no user namespace for a root grader."""
    return [*(_NAMESPACES_AS_ROOT if root else ("--unshare-all",)), *_BWRAP_COMMON]


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
    these paths are covered with an empty tmpfs instead. Each is named as this module was found
    and with symlinks resolved: a venv reached through a symlink is bound under the name its
    interpreter gives it (and its real name), and a cover must sit under each.
    """
    found: list[str] = []
    here = Path(os.path.abspath(__file__))
    for package in (here.parent.parent, here.resolve().parent.parent):  # .../graders
        root = package.parent
        candidates = [package, root / "reference", root / "assignments", root / "tests"]
        if (root / "pyproject.toml").exists():  # a source checkout: hide all of it
            candidates.append(root)
        found += [str(p) for p in candidates if p.exists() and str(p) not in found]
    return tuple(found)


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
        env = _seccomp_env(plan, scrubbed_env(home=scratch, tmp=scratch))
        confinement = _process_confinement(plan, info, code_dir, write=[scratch])
        worker = [*python, os.path.join(code_dir, "worker.py"), *worker_args]
        return _launcher(info, code_dir, confinement, worker), env
    uid = plan.worker_uid
    # The launcher covers /proc's knobs (CAP_SYS_ADMIN) and, run by root, hands the scratch
    # over (CAP_CHOWN) and drops to uid NOBODY; then it has no capability left.
    capabilities: tuple[str, ...] = ("CAP_SYS_ADMIN", "CAP_SETPCAP")
    if uid is not None:
        capabilities += ("CAP_SETUID", "CAP_SETGID", "CAP_CHOWN")
    argv, env = _bwrap_prefix(plan, info, capabilities)
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
    """``command`` run through ``launcher.py``, which confines itself and then execs it.

    -I -S: the launcher needs the standard library only, not the site-packages.
    """
    script = os.path.join(code_dir, "launcher.py")
    return [info.python, "-I", "-S", "-B", script, json.dumps(confinement), "--", *command]


def _process_confinement(
    plan: Plan, info: InterpreterInfo, code_dir: str, write: Sequence[str] = ()
) -> dict[str, object]:
    """What a process-layer worker may read (Landlock): the interpreter and its own code."""
    return {
        "read": [*info.directories, code_dir],
        "write": list(write),
        "hidden": list(_hidden(plan)),
    }


def _hidden(plan: Plan) -> tuple[str, ...]:
    """The grader's own paths, then the session's (those that exist: a cover needs a target)."""
    found = list(hidden_paths())
    found += [p for p in plan.hidden if p not in found and os.path.exists(p)]
    return tuple(found)


def _seccomp_env(plan: Plan, env: dict[str, str]) -> dict[str, str]:
    """``env``, telling the worker to refuse to run without seccomp when the plan needs it."""
    return {**env, SECCOMP_ENV: "required"} if plan.seccomp_required else env


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
        env = _seccomp_env(plan, scrubbed_env(home="/nonexistent", tmp="/nonexistent"))
        if config_dir is not None:
            env["MPLCONFIGDIR"] = config_dir
        confinement = json.dumps(_process_confinement(plan, info, code_dir))
        return [*python, os.path.join(code_dir, "zygote.py"), *zygote_args, confinement], env
    uid = plan.worker_uid
    capabilities: tuple[str, ...] = ("CAP_SYS_ADMIN", "CAP_SETPCAP")
    if uid is not None:  # and each monitor kills a worker that is no longer its uid
        capabilities += ("CAP_SETUID", "CAP_SETGID", "CAP_KILL")
    argv, env = _bwrap_prefix(plan, info, capabilities)
    # Its cwd (and so PWD) is the scratch mount point; each worker mounts its own tmpfs there.
    argv += ["--ro-bind", code_dir, CODE_DIR, "--dir", SCRATCH_DIR, "--chdir", SCRATCH_DIR]
    confinement = json.dumps({"uid": uid})
    argv += ["--", *python, f"{CODE_DIR}/zygote.py", *zygote_args, confinement]
    return argv, env


def _bwrap_prefix(
    plan: Plan, info: InterpreterInfo, capabilities: Sequence[str] = ()
) -> tuple[list[str], dict[str, str]]:
    """bwrap, its namespaces, the environment, the system and interpreter binds, /proc, /tmp.

    Run by root (``plan.worker_uid``), bwrap gets no user namespace.
    """
    assert plan.bwrap is not None
    root, tmpfs_size = plan.worker_uid is not None, plan.tmpfs_size
    env = _seccomp_env(plan, scrubbed_env(home=SCRATCH_DIR, tmp="/tmp"))
    argv = [plan.bwrap, *_bwrap_base(root=root)]
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
    argv += _mounts(info.directories, _hidden(plan))
    return argv, env


def _mounts(directories: Sequence[str], hidden: Sequence[str]) -> list[str]:
    """Read-only binds of ``directories``; an empty tmpfs over each hidden path in one or /usr.

    Mounts are ordered parents first, so a tmpfs hides what lies below it but not a bind that
    is nested deeper still (a venv inside a hidden checkout keeps working). The directories
    bwrap would make to hold them (mode 0700, whatever the host's) are made first with
    ``--dir`` (0755): a worker that is not their owner must still reach the interpreter.
    """
    # /usr is bound whole (``_system_binds``): a grader pip-installed into the system Python
    # (/usr/local/lib/python3.X/site-packages/graders, .../reference) needs a cover there too.
    covers = [h for h in hidden if any(_inside(h, d) for d in [*directories, "/usr"])]
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
