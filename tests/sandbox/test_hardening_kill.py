"""``proctree.kill_all`` never signals a process that only inherited a listed pid.

A pid listed by ``descendants`` may belong to another process by the time it is signalled: its
process exited and the kernel gave the pid to the next one. Each listed pid carries its
process's start time, and ``kill_all`` signals through a pidfd taken while that process is
known to be alive.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from graders.sandbox import proctree

SLEEP = ["sleep", "60"]


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated process of ours that nothing may kill."""
    process = subprocess.Popen(SLEEP)
    yield process
    process.kill()
    process.wait()


def _listed(pid: int) -> proctree.Pid:
    (found,) = [p for p in proctree.descendants(os.getpid()) if p == pid]
    return found


def _alive(process: subprocess.Popen[bytes]) -> bool:
    time.sleep(0.05)
    return process.poll() is None


def test_descendants_carry_their_start_times(bystander: subprocess.Popen[bytes]) -> None:
    listed = _listed(bystander.pid)
    assert isinstance(listed, int) and listed.start > 0


def test_a_listed_process_is_killed(bystander: subprocess.Popen[bytes]) -> None:
    proctree.kill_all([_listed(bystander.pid)])
    assert bystander.wait(timeout=5) == -signal.SIGKILL


def test_a_pid_now_held_by_another_process_is_left_alone(
    bystander: subprocess.Popen[bytes],
) -> None:
    # What a listing of an exited process looks like once the pid is the bystander's.
    stale = proctree.Pid(bystander.pid, _listed(bystander.pid).start - 1)
    proctree.kill_all([stale])
    assert _alive(bystander)


def test_a_reused_pid_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real race: the listed process exits and a new, unrelated one gets its pid."""
    original = subprocess.Popen(SLEEP)
    listed = _listed(original.pid)
    original.kill()
    original.wait()
    # Start times count clock ticks (10 ms): a pid reused within the same tick is not told
    # apart, which takes root's ns_last_pid, or the whole pid space used up within 10 ms.
    time.sleep(0.05)
    successor = _spawn_with_pid(listed)
    try:
        proctree.kill_all([listed])
        assert _alive(successor)
    finally:
        successor.kill()
        successor.wait()


def _spawn_with_pid(pid: int) -> subprocess.Popen[bytes]:
    """A new process with ``pid`` (through ns_last_pid, which needs root); else skip."""
    for _ in range(20):
        try:
            with open("/proc/sys/kernel/ns_last_pid", "w", encoding="ascii") as last:
                last.write(str(pid - 1))
        except OSError as exc:
            pytest.skip(f"cannot choose the next pid here: {exc}")
        process = subprocess.Popen(SLEEP)
        if process.pid == pid:
            return process
        process.kill()  # another process took it first: try again
        process.wait()
    pytest.skip("the machine kept taking the pid first")


def test_pidfds_are_used_where_they_exist(
    bystander: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    if not hasattr(os, "pidfd_open"):
        pytest.skip("no pidfds in this Python")

    def no_kill(pid: int, sig: int) -> None:
        raise AssertionError("os.kill used although pidfds exist")

    monkeypatch.setattr(proctree.os, "kill", no_kill)
    proctree.kill_all([_listed(bystander.pid)])
    assert bystander.wait(timeout=5) == -signal.SIGKILL


def test_without_pidfds_the_start_time_is_still_checked(
    bystander: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(proctree.os, "pidfd_open", raising=False)
    proctree.kill_all([proctree.Pid(bystander.pid, _listed(bystander.pid).start + 1)])
    assert _alive(bystander)
    proctree.kill_all([_listed(bystander.pid)])  # os.kill, after the check
    assert bystander.wait(timeout=5) == -signal.SIGKILL


def test_gone_processes_are_skipped() -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    proctree.kill_all([proctree.Pid(gone.pid, 1)])  # no exception (a bare pid could be reused)
