"""The worker's seccomp filter: which system calls fail for student code.

One reason to change: the list of denied syscalls. ``install_seccomp`` (best effort, through
ctypes on libseccomp.so.2) makes fork, vfork, exec and clone without CLONE_THREAD fail with
EPERM, clone3 with ENOSYS so glibc falls back to clone for threads; so do signals to other
processes, pidfds, io_uring, IPv4/IPv6 sockets and administrative syscalls. Named for what it
filters, not ``seccomp``: in the worker it is a top-level module, and ``import seccomp`` is
pyseccomp's name.

Worker-side module: copied into the sandbox (``scratch.WORKER_FILES``); standard library only,
Python >= 3.9.
"""

from __future__ import annotations

import os
import sys

__all__ = ["install_seccomp"]

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
