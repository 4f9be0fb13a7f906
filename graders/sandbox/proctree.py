"""A worker's process tree from the outside: how it ended, what is below it, killing it all.

One reason to change: how the sandbox reads and ends processes through ``/proc``, signals and
pidfds (``kill_all`` never signals a process that merely inherited a listed pid).
Used on both sides: by the grader to stop a cold worker's tree and describe its exit, by the
zygote to stop its jobs.

Both sides: copied into the sandbox (``scratch.WORKER_FILES``); standard library only, Python
>= 3.9.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable

__all__ = ["Pid", "describe_exit", "descendants", "kill_all"]


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


class Pid(int):
    """A pid as ``descendants`` saw it, with its process's start time (clock ticks after boot).

    The pair names one process for good: a pid is reused only after its process is gone, and
    the new one starts later (at least one clock tick later, 10 ms, unless the whole pid space
    was used up within that tick, or root chose the pid with ``ns_last_pid``). ``kill_all``
    signals a ``Pid`` only while it still names that process.
    """

    start: int

    def __new__(cls, pid: int, start: int) -> Pid:
        self = super().__new__(cls, pid)
        self.start = start
        return self


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time) of ``pid`` from /proc/<pid>/stat; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            data = stat.read()
        fields = data[data.rfind(b")") + 2 :].split()  # comm may hold spaces and parentheses
        return int(fields[1]), int(fields[19])  # ppid (field 4), starttime (field 22)
    except (OSError, ValueError, IndexError):
        return None


def descendants(pid: int) -> list[Pid]:
    """Every process below ``pid`` (host pids), read from /proc; [] where there is no /proc.

    Used on both sides: by the grader to kill a worker's tree, by the zygote for its jobs. Each
    comes with its start time, so that ``kill_all`` never signals a process that took the pid
    of one that has exited since.
    """
    children: dict[int, list[Pid]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        found = _stat(int(entry))
        if found is not None:
            children.setdefault(found[0], []).append(Pid(int(entry), found[1]))
    below: list[Pid] = []
    frontier: list[int] = [pid]
    while frontier:
        these = children.get(frontier.pop(), [])
        below += these
        frontier += these
    return below


def kill_all(pids: Iterable[int]) -> None:
    """SIGKILL each of ``pids``; one that is already gone (or not ours to kill) is skipped.

    Each is signalled through a pidfd (Linux 5.3, Python 3.9), which names one process and
    never the next one with its pid. A ``Pid`` (from ``descendants``) is signalled only if,
    with its pidfd open, its pid still names the process of its start time: if so, the pidfd
    was taken while that process lived, and the signal reaches it alone, whenever it is sent.
    Without pidfds the check comes just before ``kill``, which narrows the race, no more. A
    plain int is signalled as is: pass only pids that cannot be reused meanwhile (an unreaped
    child of the caller's).
    """
    for pid in pids:
        start = getattr(pid, "start", None)
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError) as exc:  # no pidfds here, or the process is gone
            if isinstance(exc, ProcessLookupError):
                continue
            fd = -1
        try:
            if start is not None:
                found = _stat(pid)
                if found is None or found[1] != start:
                    continue  # gone: the pid is free, or another process's now
            if fd >= 0:
                signal.pidfd_send_signal(fd, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except OSError:  # gone meanwhile, or not ours to kill
            pass
        finally:
            if fd >= 0:
                os.close(fd)
