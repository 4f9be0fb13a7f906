"""The worker's seccomp filter: which system calls fail for student code.

One reason to change: the list of denied syscalls. ``install_seccomp`` (through ctypes on
libseccomp.so.2) makes fork, vfork, exec and clone without CLONE_THREAD fail with EPERM, clone3
with ENOSYS so glibc falls back to clone for threads; so do signals to other processes, pidfds,
io_uring, every new socket (socketpair stays), the mount API and administrative syscalls. Named
for what it filters, not ``seccomp``: in the worker it is a top-level module, and ``import
seccomp`` is pyseccomp's name.

When the filter is required (fail closed): whenever the worker started as uid 0, that is, the
grader runs as root, on either layer. Such a worker either becomes the uid ``NOBODY`` that every
concurrent worker shares or stays uid 0 without capabilities; RLIMIT_NPROC does not bind uid 0,
and uid 0 may signal every process of root's. Only this filter then stops its forks, execs and
signals, so a worker without it refuses to serve (``SeccompRequired``: the worker exits with
status 70 before any student code, a clear isolation problem for that submission), and the
grader refuses to plan such a session in the first place (``isolation.plan_isolation``). The
grader says so with ``SECCOMP_ENV=required`` in the worker's environment (popped here, before
any student code); a worker that is still uid 0 requires it by itself. Everywhere else (a
non-root grader: bwrap's user and pid namespaces, or the process layer as the grader's own uid,
where RLIMIT_NPROC binds) the filter is defence in depth, and a machine without libseccomp keeps
working with a note, as DESIGN.md's weakest layer allows.

Worker-side module: copied into the sandbox (``scratch.WORKER_FILES``); standard library only,
Python >= 3.9.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["SECCOMP_ENV", "SeccompRequired", "install_seccomp", "seccomp_problem"]

SECCOMP_ENV = "GRADER_SECCOMP"
"""Set to ``"required"`` by the grader (``cmdline``) for a worker that must not run without the
filter; removed from the environment by ``install_seccomp``."""

_SCMP_ACT_ALLOW = 0x7FFF0000
_SCMP_ACT_ERRNO = 0x00050000
_SCMP_CMP_NE = 1
_SCMP_CMP_MASKED_EQ = 7
_SCMP_FLTATR_CTL_TSYNC = 4
_NR_SCMP_ERROR = -1  # libseccomp does not know the name (other negatives: not on this machine)
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
    # The new mount API: each builds or moves mounts without ``mount``; open_tree even works
    # unprivileged (an O_PATH descriptor of a mount tree), the others need CAP_SYS_ADMIN in some
    # user namespace, which unshare (denied above) would otherwise give.
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
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
    # No new socket of any family: network (the process layer has no network namespace to
    # keep loopback private), and Unix sockets too, whose pathnames (/run/dbus, a docker
    # socket) reach host services that Landlock does not guard. socketpair stays: asyncio
    # and multiprocessing's duplex pipes make their connected pairs with it.
    "socket",
)
# Signals only to itself: kill(-1, SIGKILL) from a root worker would otherwise end every process
# (kill(0, ...), to its own process group, is refused too: it is never needed).
_SELF_ONLY = ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")
# Without these a required filter is no filter: they are what stops forks, execs and signals.
_ESSENTIAL = frozenset(
    {"fork", "vfork", "execve", "execveat", "clone", "ptrace", "tkill", "setrlimit", "prlimit64"}
    | set(_SELF_ONLY)
)
# Syscalls numbered alike on these machines (the kernel's shared table, Linux 5.1 and later):
# an older libseccomp that does not know a name still gets its rule, by number.
_SHARED_TABLE_MACHINES = ("x86_64", "aarch64")
_SHARED_NUMBERS = {
    "pidfd_send_signal": 424,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "pidfd_open": 434,
    "clone3": 435,
    "pidfd_getfd": 438,
    "mount_setattr": 442,
}


class SeccompRequired(RuntimeError):
    """The filter is required for this worker and could not be installed: no student code runs."""


def _load_library() -> Any:
    """libseccomp, through ctypes (the one place it is loaded; tests replace it).

    Raises
    ------
    OSError
        If libseccomp.so.2 cannot be loaded.
    """
    import ctypes

    return ctypes.CDLL("libseccomp.so.2")


def seccomp_problem() -> str | None:
    """Why this machine cannot install the filter (None if it can); for the grader's plan."""
    if not sys.platform.startswith("linux"):
        return "seccomp is unavailable (not Linux)"
    try:
        _load_library()
    except OSError:
        return "seccomp is unavailable (libseccomp.so.2 not found; Debian/Ubuntu: libseccomp2)"
    return None


def install_seccomp(required: bool | None = None) -> str | None:
    """Forbid new processes (threads stay allowed) with a seccomp filter.

    Also forbids signalling other processes, pidfds, io_uring, changing resource limits, new
    sockets of every family (socketpair stays) and the administrative syscalls listed in
    ``_DENIED``; they fail with EPERM.

    Parameters
    ----------
    required
        Raise instead of returning a note when the filter (or one of its essential rules) is
        missing. None (the worker's call): required when ``$GRADER_SECCOMP`` says so (it is
        removed from the environment either way) or this process is uid 0.

    Returns
    -------
    str or None
        None when the filter is in place, else a note saying why it is not, or which rules it
        lacks.

    Raises
    ------
    SeccompRequired
        If the filter is required and could not be installed whole.
    """
    wanted = os.environ.pop(SECCOMP_ENV, "") == "required"
    if required is None:
        required = wanted or (hasattr(os, "geteuid") and os.geteuid() == 0)
    note, missing = _install()
    if required and ((note is not None and not missing) or missing & _ESSENTIAL):
        raise SeccompRequired(
            "refusing to run the student's code without seccomp, which this worker needs "
            f"(it started as root): {note}"
        )
    return note


def _install() -> tuple[str | None, frozenset[str]]:
    """Install the filter: (None or a note, the names of the rules it lacks).

    With no filter at all the set is empty and the note says why.
    """
    if not sys.platform.startswith("linux"):
        return "seccomp unavailable (not Linux): fork is not blocked", frozenset()
    import ctypes

    try:
        lib = _load_library()
    except OSError:
        return "seccomp unavailable (libseccomp.so.2 not found): fork is not blocked", frozenset()

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
        return "seccomp unavailable (seccomp_init failed): fork is not blocked", frozenset()
    me = os.getpid()
    not_me = ArgCmp(0, _SCMP_CMP_NE, me, 0)
    shared = os.uname().machine in _SHARED_TABLE_MACHINES
    try:

        def deny(name: str, errno: int, *conditions: ArgCmp) -> bool:
            """Add one rule (all conditions must hold); False if libseccomp refused it."""
            number = int(lib.seccomp_syscall_resolve_name(name.encode()))
            if number == _NR_SCMP_ERROR and shared and name in _SHARED_NUMBERS:
                number = _SHARED_NUMBERS[name]  # a libseccomp older than the syscall
            elif number == _NR_SCMP_ERROR:
                return False  # unknown to this libseccomp: say so, never skip it silently
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
        ]
        failures += [
            name for name, errno, conditions in rules if not deny(name, errno, *conditions)
        ]
        lib.seccomp_attr_set(ctx, _SCMP_FLTATR_CTL_TSYNC, 1)  # all threads, where supported
        # Fail closed: a rejected rule weakens the filter but never leaves the worker without one.
        if lib.seccomp_load(ctx) != 0:
            return "seccomp not installed (seccomp_load failed): fork is not blocked", frozenset()
    finally:
        lib.seccomp_release(ctx)
    if failures:
        return f"seccomp installed without its rules for {', '.join(failures)}", frozenset(failures)
    return None, frozenset()
