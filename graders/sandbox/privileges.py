"""Giving up power for good: root to an unprivileged uid, every capability, /proc's knobs.

One reason to change: how a confined process drops its uid and capabilities
(``drop_privileges``, ``drop_capabilities``) and covers the global knobs of a fresh /proc
(``cover_proc_knobs``). A root grader's bwrap has no user namespace (one would map the
sandbox's root to the host's): its workers end their confinement with ``drop_privileges`` to
uid ``isolation.NOBODY``, after their mounts and before any student code.

Worker-side module: copied into the sandbox (``scratch.WORKER_FILES``); standard library only,
Python >= 3.9.
"""

from __future__ import annotations

import os

__all__ = ["PROC_KNOBS", "cover_proc_knobs", "drop_capabilities", "drop_privileges"]

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
