"""The grader's side of the warm zygote: start it once, ask it for one worker per submission.

Importing numpy, pandas and scikit-learn costs far more than grading a small submission. A
:class:`Zygote` is a fresh interpreter (``zygote.py``, started through ``exec``, never forked from
the grader) that has imported them; each :meth:`Zygote.spawn` forks a worker from it that
confines itself (bwrap: its own pid, mount, network and IPC namespaces, private tmpfs mounts,
no capabilities; both layers: rlimits and seccomp) before any student code runs. The worker
speaks the same protocol as a cold-started one.

A job is stopped by closing its *kill* pipe: the job's watcher (in the zygote's namespace) then
SIGKILLs the worker, which takes its whole pid namespace with it, and reports the exit code on
the *status* pipe. Because the grader holds the kill pipe, a grader that dies stops its jobs too,
whichever thread started them.

:func:`zygote_for` keeps one zygote per interpreter and isolation plan, started lazily from a
dedicated thread that lives as long as the zygote (bwrap's ``--die-with-parent`` is tied to the
thread that started it). When a zygote cannot start, the caller cold-starts workers instead; that
is a speed matter only, never an isolation one. :func:`shutdown` stops them all (also at exit).

About 500 lines, one module: a zygote's start, its jobs and the registry that shares it change
together (the registry's keys are what a zygote was started with).
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from graders.sandbox import cmdline, isolation, leftovers, proctree
from graders.sandbox.scratch import copy_worker_code

__all__ = [
    "MAX_DATA_FILES",
    "PRELOAD",
    "Zygote",
    "ZygoteJob",
    "ZygoteUnavailable",
    "discard",
    "failures",
    "on_shutdown",
    "shutdown",
    "zygote_for",
]

#: Modules the zygote imports before forking (missing ones are skipped). scipy.special and the
#: two scikit-learn modules are what the assignments' solutions import; preloading them costs
#: about a second once per zygote and saves it for every submission that imports them
#: (benchmarks/sandbox_startup.py measures both).
PRELOAD: tuple[str, ...] = (
    "numpy",
    "pandas",
    "scipy.special",
    "sklearn.linear_model",
    "sklearn.metrics",
)
#: What a batch's long-lived grader processes preload as well: most notebooks plot, and a
#: worker that imports pyplot itself spends ~0.9 s on it (Agg, from MPLBACKEND, is chosen at
#: this import). A one-off ``grader check`` does not pay that up front for a notebook that
#: may not plot at all.
PLOTTING: tuple[str, ...] = ("matplotlib.pyplot",)
_STATUS = struct.Struct(">i")
#: Most data files a forked worker can be given (one descriptor each, in one SCM_RIGHTS
#: message of at most 253); a session with more starts its workers cold.
MAX_DATA_FILES = 200
_RESTARTS = 3  # zygotes started again after one died, per key, before giving up on it


class ZygoteUnavailable(RuntimeError):
    """The zygote could not start or stopped answering; start the worker cold instead."""


@dataclass(frozen=True)
class _Key:
    python: str
    kind: str
    bwrap: str | None
    tmpfs_size: bool
    user: int | None
    preload: tuple[str, ...]
    hidden: tuple[str, ...] = ()  # a zygote's workers are confined as it was started


class ZygoteJob:
    """One forked worker, as the grader sees it: a kill switch and an exit code.

    Parameters
    ----------
    kill_fd
        Write end of the kill pipe; closing it makes the monitor SIGKILL the worker.
    status_fd
        Read end of the status pipe, on which the monitor writes the exit code.
    monitor_pid
        The pid, in the zygote's pid namespace, of the job's top process: the worker itself
        when the zygote watches it, else the job's monitor (for diagnostics).
    zygote
        The zygote that forked it.
    """

    def __init__(self, kill_fd: int, status_fd: int, monitor_pid: int, zygote: Zygote) -> None:
        self._kill_fd = kill_fd
        self._status_fd = status_fd
        self._monitor_pid = monitor_pid
        self._zygote = zygote
        self._code: int | None = None
        self._lock = threading.Lock()

    def kill(self) -> None:
        """Ask the watcher (the zygote or the job's monitor) to SIGKILL the worker and everything
        in its namespace; idempotent."""
        with self._lock:
            if self._kill_fd >= 0:
                # A byte, not only EOF: a process forked from the grader may hold a copy.
                try:
                    os.write(self._kill_fd, b"k")
                except OSError:  # the monitor is gone already
                    pass
                os.close(self._kill_fd)
                self._kill_fd = -1

    def wait(self, timeout: float) -> int | None:
        """The worker's exit code (``Popen.returncode`` style), or None if still running."""
        with self._lock:
            if self._code is not None or self._status_fd < 0:
                return self._code
            poller = select.poll()
            poller.register(self._status_fd, select.POLLIN)
            if not poller.poll(max(int(timeout * 1000), 0)):
                return None
            data = b""
            while len(data) <= _STATUS.size:  # up to EOF: the monitor is exiting too
                try:
                    chunk = os.read(self._status_fd, 64)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                data += chunk
            os.close(self._status_fd)
            self._status_fd = -1
            # No code: the monitor itself was killed (the zygote went down), and its worker
            # with it, since the worker's namespace dies with the zygote's.
            self._code = _STATUS.unpack(data)[0] if len(data) == _STATUS.size else -signal.SIGKILL
            return self._code

    def stop(self, timeout: float = 5.0) -> int | None:
        """Kill and reap: the exit code, or None if the monitor did not answer in time."""
        self.kill()
        return self.wait(timeout)

    @property
    def pid(self) -> int | None:
        """Host pid of the job's top process, if it can be found: the worker when the zygote
        watches it (``monitored`` False), else the monitor, whose only child is the worker."""
        return self._zygote.host_pid(self._monitor_pid)

    @property
    def monitored(self) -> bool:
        """Whether a monitor process watches the worker (the process layer), not the zygote."""
        return not self._zygote.watches


class Zygote:
    """A warm interpreter that forks confined workers; see the module docstring.

    Parameters
    ----------
    plan, info
        The isolation plan and interpreter the workers must have.
    preload
        Modules to import before forking.
    timeout
        Seconds the zygote may take to import them and report ready.

    Raises
    ------
    ZygoteUnavailable
        If it cannot be started or does not report ready in time.
    """

    def __init__(
        self,
        plan: isolation.Plan,
        info: isolation.InterpreterInfo,
        *,
        preload: Sequence[str] = PRELOAD,
        timeout: float = 60.0,
    ) -> None:
        self.kind = plan.kind
        self.preloaded: tuple[str, ...] = ()
        self.dumpable = True  # until the zygote reports PR_GET_DUMPABLE
        self.watches = False  # until the zygote says it watches its workers itself (no monitors)
        self._lock = threading.Lock()
        self._alive = False
        self._log = bytearray()
        self._root = leftovers.private_dir("zygote")
        self._process: subprocess.Popen[bytes] | None = None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._control = ours
        try:
            code_dir = self._root / "code"
            code_dir.mkdir()
            copy_worker_code(code_dir)
            # Process layer: matplotlib's configuration and font cache while it is preloaded
            # (bwrap gives the zygote a private /tmp instead); removed with the code below.
            config_dir = self._root / "matplotlib"
            config_dir.mkdir(mode=0o700)
            if plan.user is not None:
                self._root.chmod(0o711)
                os.chown(config_dir, plan.user, plan.user)
            argv, env = cmdline.zygote_command(
                plan,
                info,
                code_dir=str(code_dir),
                zygote_args=[str(theirs.fileno()), plan.kind, ",".join(preload)],
                config_dir=str(config_dir),
            )
            self._process = self._start(argv, env, plan.user, theirs.fileno())
            theirs.close()
            hello = self._receive(timeout)
            if hello.get("ready") is not True:
                raise ZygoteUnavailable(f"the zygote refused to start: {hello.get('error')}")
            preloaded = hello.get("preloaded")
            self.preloaded = tuple(map(str, preloaded)) if type(preloaded) is list else ()
            self.dumpable = hello.get("dumpable") != 0
            self.watches = hello.get("watches") is True
            self._alive = True
            # Everything is imported: the files can go now, so that a grader that is killed
            # (or leaves through os._exit, as multiprocessing children do) leaves nothing.
            self._remove_files()
        except BaseException:
            theirs.close()
            self.close()
            raise

    # ------------------------------------------------------------------ start and stop

    def _start(
        self, argv: list[str], env: dict[str, str], user: int | None, fd: int
    ) -> subprocess.Popen[bytes]:
        """Start the zygote from a thread that lives exactly as long as it does."""
        log_read, log_write = os.pipe()
        started: queue.Queue[subprocess.Popen[bytes] | BaseException] = queue.Queue()

        def keeper() -> None:
            try:
                process = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log_write,
                    stderr=log_write,
                    pass_fds=(fd,),
                    cwd="/",
                    env=env,
                    start_new_session=True,
                    user=user,
                    group=user,
                    extra_groups=None if user is None else [],
                )
            except BaseException as exc:
                started.put(exc)
                return
            finally:
                os.close(log_write)
            started.put(process)
            try:
                while chunk := os.read(log_read, 65536):
                    self._log += chunk[: max(0, 16384 - len(self._log))]
            finally:
                os.close(log_read)
                process.wait()
                self._alive = False

        threading.Thread(target=keeper, name="sandbox-zygote", daemon=True).start()
        result = started.get()
        if isinstance(result, BaseException):
            os.close(log_read)
            raise ZygoteUnavailable(f"the zygote could not be started: {result}") from result
        return result

    def close(self) -> None:
        """Stop the zygote (its running jobs die with it) and delete its files; idempotent."""
        self._alive = False
        self._control.close()
        process = self._process
        if process is not None:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                process.wait()
        self._remove_files()

    def _remove_files(self) -> None:
        code_dir = self._root / "code"
        if code_dir.exists():
            code_dir.chmod(0o755)  # read-only dirs cannot be emptied by a non-root grader
        shutil.rmtree(self._root, ignore_errors=True)

    @property
    def alive(self) -> bool:
        """Whether the zygote is running and answering."""
        return self._alive and self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """Host pid of the zygote's top process (bwrap, or the zygote itself)."""
        return None if self._process is None else self._process.pid

    @property
    def log(self) -> str:
        """What the zygote printed (its errors), first 16 kB."""
        return bytes(self._log).decode("utf-8", errors="replace")

    # ------------------------------------------------------------------ jobs

    def spawn(
        self,
        *,
        request_fd: int,
        reply_fd: int,
        output_fd: int,
        data: Sequence[tuple[str, int]],
        scratch: str,
        scratch_bytes: int,
        max_bytes: int,
    ) -> ZygoteJob:
        """Fork one worker; the caller keeps (and closes) the descriptors it passed.

        Parameters
        ----------
        request_fd, reply_fd, output_fd
            The worker's ends of its request, reply and output pipes.
        data
            bwrap: the data files as (relative name, open descriptor), copied into the
            worker's private tmpfs scratch of ``scratch_bytes`` bytes.
        scratch
            Process layer: the host directory that becomes the worker's working directory.
        max_bytes
            The protocol's message cap.

        Raises
        ------
        ZygoteUnavailable
            If the zygote is down or refuses; it is then marked dead.
        """
        if len(data) > MAX_DATA_FILES:
            raise ZygoteUnavailable(f"more than {MAX_DATA_FILES} data files")
        kill_read, kill_write = os.pipe()
        status_read, status_write = os.pipe()
        request = {
            "op": "spawn",
            "files": [name for name, _ in data],
            "scratch": scratch,
            "scratch_bytes": int(scratch_bytes),
            "max_bytes": int(max_bytes),
        }
        fds = [request_fd, reply_fd, output_fd, kill_read, status_write, *(fd for _, fd in data)]
        try:
            with self._lock:
                if not self.alive:
                    raise ZygoteUnavailable("the zygote is not running")
                try:
                    socket.send_fds(self._control, [json.dumps(request).encode()], fds)
                    reply = self._receive(10.0)
                except (OSError, ZygoteUnavailable) as exc:
                    self._alive = False
                    raise ZygoteUnavailable(f"the zygote stopped answering: {exc}") from exc
            pid = reply.get("pid")
            if reply.get("ok") is not True or type(pid) is not int:
                raise ZygoteUnavailable(f"the zygote could not fork a worker: {reply.get('error')}")
        except BaseException:
            for fd in (kill_write, status_read):
                os.close(fd)
            raise
        finally:
            for fd in (kill_read, status_write):
                os.close(fd)
        return ZygoteJob(kill_write, status_read, pid, self)

    def _receive(self, timeout: float) -> dict[str, object]:
        """One JSON datagram from the zygote, within ``timeout`` seconds."""
        poller = select.poll()
        poller.register(self._control, select.POLLIN)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ZygoteUnavailable(f"the zygote did not answer in {timeout:g} s: {self.log}")
            if poller.poll(max(int(remaining * 1000), 1)):
                break
        data = self._control.recv(1 << 16)
        if not data:
            raise ZygoteUnavailable(f"the zygote exited: {self.log.strip()[-2000:]}")
        try:
            message = json.loads(data)
        except ValueError as exc:
            raise ZygoteUnavailable(f"the zygote sent {data[:100]!r}") from exc
        if type(message) is not dict:
            raise ZygoteUnavailable(f"the zygote sent {message!r}")
        return message

    def host_pid(self, namespace_pid: int) -> int | None:
        """The host pid of a process the zygote knows as ``namespace_pid``."""
        if self.kind != "bwrap":
            return namespace_pid
        top = self.pid
        if top is None:
            return None
        for pid in proctree.descendants(top):
            try:
                with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
                    for line in status:
                        if line.startswith("NSpid:"):
                            pids = line.split()[1:]  # host, the zygote's, then nested ones
                            if len(pids) >= 2 and int(pids[1]) == namespace_pid:
                                return pid
                            break
            except (OSError, ValueError):
                continue
        return None


# ---------------------------------------------------------------------- registry

_registry_lock = threading.Lock()
_zygotes: dict[_Key, Zygote] = {}
_failures: dict[_Key, str] = {}
_starts: dict[_Key, int] = {}
_retired: list[Zygote] = []
_owner = os.getpid()
_shutdown_hooks: list[Callable[[], None]] = []


def zygote_for(
    plan: isolation.Plan,
    info: isolation.InterpreterInfo,
    *,
    preload: Sequence[str] | None = None,
    timeout: float = 60.0,
) -> Zygote | None:
    """The running zygote for this interpreter and plan, started on first use; None if none.

    None on platforms without ``fork`` and descriptor passing, when the zygote failed to start
    (remembered: it is not tried again), or after it died ``_RESTARTS`` times. Thread-safe.
    ``preload`` defaults to :data:`PRELOAD` (read at call time).
    """
    if not sys.platform.startswith("linux") or not hasattr(socket, "send_fds"):
        return None
    preload = PRELOAD if preload is None else preload
    key = _Key(
        info.python, plan.kind, plan.bwrap, plan.tmpfs_size, plan.user, tuple(preload), plan.hidden
    )
    with _registry_lock:
        global _owner
        if _owner != os.getpid():  # forked from a grader that had zygotes: not ours to use
            _owner = os.getpid()
            _zygotes.clear()
            _failures.clear()
            _starts.clear()
            _retired.clear()
        if key in _failures:
            return None
        current = _zygotes.get(key)
        if current is not None and current.alive:
            return current
        if current is not None:
            current.close()
            del _zygotes[key]
        if _starts.get(key, 0) > _RESTARTS:
            _failures[key] = "the zygote died too often"
            return None
        _starts[key] = _starts.get(key, 0) + 1
        try:
            started = Zygote(plan, info, preload=preload, timeout=timeout)
        except (ZygoteUnavailable, OSError) as exc:
            _failures[key] = str(exc)
            return None
        _zygotes[key] = started
        return started


def discard(zygote: Zygote, reason: str) -> None:
    """Stop ``zygote`` after it failed to give a working worker; its key then starts cold."""
    with _registry_lock:
        for key, current in list(_zygotes.items()):
            if current is zygote:
                del _zygotes[key]
                _failures[key] = reason
                # Not closed now: other sessions' workers forked from it keep running.
                _retired.append(zygote)


def failures() -> dict[str, str]:
    """Why zygotes could not be used, by interpreter and isolation: for diagnostics."""
    with _registry_lock:
        return {f"{key.python} ({key.kind})": reason for key, reason in _failures.items()}


def on_shutdown(hook: Callable[[], None]) -> None:
    """Have :func:`shutdown` call ``hook`` first: it stops the jobs nobody owns yet (spares),
    which on the process layer would outlive their zygote."""
    _shutdown_hooks.append(hook)


def shutdown() -> None:
    """Stop every zygote (running jobs die with them) and forget past failures."""
    with _registry_lock:
        if _owner != os.getpid():
            return  # inherited through fork: the parent's zygotes are the parent's to stop
    for hook in _shutdown_hooks:
        hook()
    with _registry_lock:
        zygotes = [*_zygotes.values(), *_retired]
        _zygotes.clear()
        _retired.clear()
        _failures.clear()
        _starts.clear()
    for zygote in zygotes:
        zygote.close()


atexit.register(shutdown)
