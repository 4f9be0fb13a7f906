"""The worker's resource limits: address space, CPU seconds, file size, open files, processes.

One reason to change: which rlimits a worker gets and how they are computed. Called by the
worker after its heavy imports, before any student code.

Worker-side module: copied into the sandbox (``scratch.WORKER_FILES``); standard library only,
Python >= 3.9.
"""

from __future__ import annotations

import signal

__all__ = ["apply_rlimits"]


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
