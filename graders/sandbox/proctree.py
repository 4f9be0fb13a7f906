"""A worker's process tree from the outside: how it ended, what is below it, killing it all.

One reason to change: how the sandbox reads and ends processes through ``/proc`` and signals.
Used on both sides: by the grader to stop a cold worker's tree and describe its exit, by the
zygote to stop its jobs.

Both sides: copied into the sandbox (``scratch.WORKER_FILES``); standard library only, Python
>= 3.9.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable

__all__ = ["describe_exit", "descendants", "kill_all"]


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
