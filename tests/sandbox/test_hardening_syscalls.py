"""Seccomp's reach, from hostile student code: the mount API, and Unix sockets on the host.

- The new mount API (fsopen, fsconfig, fsmount, fspick, move_mount, open_tree, mount_setattr)
  builds and moves mounts without ``mount``; open_tree even works unprivileged. Each, and the
  older pivot_root, umount2, unshare and setns with namespace flags, must fail with EPERM when
  called by number. The arguments are ones the kernel would answer otherwise (a descriptor, or
  EINVAL/EBADF) wherever it checks them before privileges, so EPERM is the filter's.
- A pathname Unix socket (``/run/dbus``, a docker socket) reaches a host service that Landlock
  does not guard: student code must not connect to one the test listens on, while the
  ``socketpair`` that asyncio and multiprocessing use keeps working.

Every case runs on both layers, warm (forked by the zygote) and cold, where seccomp exists.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import socket
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from graders.load import Cell, Submission
from graders.sandbox import SandboxConfig, WorkerSession, isolation, syscalls

CONFIG = SandboxConfig(memory_mb=512, output_cap=4096, cpu_seconds=30, call_timeout=20.0)
MODES = {"warm": True, "cold": False}
# Syscall numbers: the new mount API shares one table; the older calls do not.
NUMBERS = {
    "x86_64": {"pivot_root": 155, "umount2": 166, "unshare": 272, "setns": 308},
    "aarch64": {"pivot_root": 41, "umount2": 39, "unshare": 97, "setns": 268},
}
SHARED = {
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
}

TOOLKIT = """\
import asyncio, ctypes, errno, os, socket

libc = ctypes.CDLL(None, use_errno=True)
L = ctypes.c_long

def call(number, *args):
    result = libc.syscall(L(number), *args)
    if result >= 0:
        if result > 2:
            os.close(result)  # open_tree's descriptor: closed at once
        return "ok"
    return errno.errorcode.get(ctypes.get_errno(), "?")

def mount_api(n):
    AT_FDCWD, NEW_NS = -100, 0x10000000 | 0x00020000  # CLONE_NEWUSER | CLONE_NEWNS
    return {
        "open_tree": call(n["open_tree"], L(AT_FDCWD), b"/", L(0)),
        "move_mount": call(n["move_mount"], L(-1), b"", L(-1), b"", L(0x7FFFFFFF)),
        "fsopen": call(n["fsopen"], b"no-such-filesystem", L(0x7FFFFFFF)),
        "fsconfig": call(n["fsconfig"], L(-1), L(0), None, None, L(0)),
        "fsmount": call(n["fsmount"], L(-1), L(0x7FFFFFFF), L(0)),
        "fspick": call(n["fspick"], L(-1), b"", L(0x7FFFFFFF)),
        "mount_setattr": call(n["mount_setattr"], L(-1), b"", L(0x7FFFFFFF), None, L(0)),
        "pivot_root": call(n["pivot_root"], b"/nonexistent-a", b"/nonexistent-b"),
        "umount2": call(n["umount2"], b"/nonexistent-a", L(0x7FFFFFFF)),
        "unshare": call(n["unshare"], L(NEW_NS)),
        "setns": call(n["setns"], L(-1), L(0x00020000)),
    }

def unix_connect(path):
    try:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    except OSError as exc:
        return "socket: " + errno.errorcode.get(exc.errno, "?")
    try:
        client.connect(path)
        return "connected"
    except OSError as exc:
        return "connect: " + errno.errorcode.get(exc.errno, "?")
    finally:
        client.close()

def own_machinery():
    first, second = socket.socketpair()
    with first, second:
        first.sendall(b"x")
        paired = second.recv(1) == b"x"
    async def nothing():
        return 42
    return paired, asyncio.run(nothing())
"""


def submission(source: str) -> Submission:
    return Submission(
        path=Path("hostile.ipynb"),
        kind="ipynb",
        sha256="0" * 64,
        cells=(Cell(1, textwrap.dedent(source)),),
    )


@pytest.fixture(scope="module", params=["bwrap", "process"])
def layer(request: pytest.FixtureRequest) -> str:
    problem = syscalls.seccomp_problem()
    if problem is not None:
        pytest.skip(problem)
    if request.param == "bwrap":
        _, problem = isolation._bwrap_status()
        if problem is not None:
            pytest.skip(f"bubblewrap does not work here: {problem}")
    return str(request.param)


@pytest.fixture(scope="module", params=sorted(MODES))
def worker(layer: str, request: pytest.FixtureRequest) -> Iterator[WorkerSession]:
    config = dataclasses.replace(CONFIG, isolation=layer, zygote=MODES[request.param])
    with WorkerSession(submission(TOOLKIT), config) as session:
        assert [r.status for r in session.cell_reports] == ["ok"], session.cell_reports
        assert session.isolation == layer and session.warm == MODES[request.param]
        assert not [n for n in session.notes if n.startswith("seccomp")], session.notes
        yield session


def test_the_mount_api_and_namespaces_are_denied(worker: WorkerSession) -> None:
    machine = platform.machine()
    if machine not in NUMBERS:
        pytest.skip(f"no syscall numbers for {machine}")
    outcome = worker.call("mount_api", {**SHARED, **NUMBERS[machine]})
    assert outcome.status == "ok", outcome.message
    assert outcome.value == dict.fromkeys([*SHARED, *NUMBERS[machine]], "EPERM")


@pytest.fixture
def host_socket() -> Iterator[tuple[str, socket.socket]]:
    """A listening pathname Unix socket that anyone may connect to, as a host service's is."""
    folder = tempfile.mkdtemp(prefix="hardening-unix-")
    os.chmod(folder, 0o755)
    path = os.path.join(folder, "service.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)
        os.chmod(path, 0o777)
        listener.listen(4)
        listener.setblocking(False)
        yield path, listener
        with pytest.raises(BlockingIOError):  # nobody got through
            listener.accept()
    finally:
        listener.close()
        Path(path).unlink(missing_ok=True)
        os.rmdir(folder)


def test_a_host_unix_socket_cannot_be_reached(
    worker: WorkerSession, host_socket: tuple[str, socket.socket]
) -> None:
    path, listener = host_socket
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as ours:  # it does take connections
        ours.connect(path)
        listener.accept()[0].close()
    outcome = worker.call("unix_connect", path)
    assert outcome.status == "ok", outcome.message
    # Refused at socket(): on the process layer the path itself is in plain sight.
    assert outcome.value == "socket: EPERM"


def test_the_worker_s_own_socketpairs_still_work(worker: WorkerSession) -> None:
    outcome = worker.call("own_machinery")
    assert (outcome.status, outcome.value) == ("ok", (True, 42)), outcome.message
