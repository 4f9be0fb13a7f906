"""The grader's side of the sandbox: one ``WorkerSession`` per submission.

A session starts a worker (``worker.py``) under the strongest isolation available, runs the
submission's cells in order, then answers ``call``/``value``/``defined`` questions. Only protocol
messages cross: requests and replies on two dedicated pipes, the student's stdout/stderr on a
third that a thread drains, keeping at most ``output_cap`` bytes.

Two clocks guard every operation: the worker interrupts the student's code at the budget
(``setitimer``); if the worker does not answer by the budget plus a grace period, the session
kills its whole process tree, reports a timeout and starts a fresh worker (re-running the cells
quietly) the next time one is needed, at most ``max_restarts`` times.

Workers are forked from a warm zygote (``pool.py``) when one can run here, else started cold
(exec'd); the isolation is the same either way and ``SandboxConfig(zygote=False)`` forces cold
starts. A session is not thread-safe. A cold bwrap worker must be closed by a thread that
outlives it (``--die-with-parent`` ties the sandbox to the thread that started it); a warm one
lives until its session closes it, or the grader process ends, whichever thread started it.
"""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from graders.errors import SandboxError
from graders.sandbox import functions, isolation, leftovers, pool, protocol

if TYPE_CHECKING:
    from types import TracebackType

    from graders.load import Cell, Submission

__all__ = ["CallOutcome", "CellReport", "PlannedCall", "SandboxConfig", "WorkerSession"]

_WORKER_FILES = ("worker.py", "protocol.py", "functions.py", "isolation.py", "zygote.py")
_OPEN_FILES = 256
_PROCESSES = 256
_READ_CHUNK = 1 << 20
_MAX_BOUND_FILES = 200  # data files bwrap copies into a cold worker's tmpfs (one fd each)


@dataclass(frozen=True)
class SandboxConfig:
    """How a worker is started and limited.

    Parameters
    ----------
    python
        Interpreter that runs the worker (needs numpy; pandas optional).
    cell_timeout, call_timeout
        Seconds each cell / each call may run.
    memory_mb
        Address space allowed on top of what the worker's imports use.
    cpu_seconds
        CPU time allowed over a worker's life (a restart gets a fresh budget).
    output_cap
        Bytes of the student's stdout/stderr kept; the rest is counted and dropped.
    isolation
        ``"auto"`` (bwrap if it works, else the process layer, with a note), ``"bwrap"`` (fail
        if unavailable) or ``"process"``.
    data_files
        Files or directories copied into the worker's private working directory.
    max_restarts
        Fresh workers started after crashes or hard timeouts before giving up.
    max_message_bytes
        Cap on every frame and every array the worker may send.
    file_size_mb
        Largest file the student's code may write.
    startup_timeout
        Seconds a worker may take to import numpy/pandas and say hello.
    zygote
        Fork workers from a warm zygote (``pool.py``) when one can run here: the same
        isolation, milliseconds instead of seconds per worker. False starts every worker cold.
    preload
        Modules the zygote imports before it forks workers; None means ``pool.PRELOAD``.
    submission_timeout
        Seconds the whole submission may keep a worker busy: every cell, every replay after a
        restart and every call, from request to reply, added up (the grader's own work in
        between, and starting workers, are not counted). When they run out, every later cell
        and call is a timeout without running. None: no total.
    """

    python: str = sys.executable
    cell_timeout: float = 10.0
    call_timeout: float = 10.0
    memory_mb: int = 2048
    cpu_seconds: int = 120
    output_cap: int = 65536
    isolation: Literal["auto", "bwrap", "process"] = "auto"
    data_files: tuple[Path, ...] = ()
    max_restarts: int = 3
    max_message_bytes: int = protocol.DEFAULT_MAX_BYTES
    file_size_mb: int = 64
    startup_timeout: float = 60.0
    zygote: bool = True
    preload: tuple[str, ...] | None = None
    submission_timeout: float | None = None


@dataclass(frozen=True)
class CellReport:
    """What happened to one cell.

    Parameters
    ----------
    number
        The cell's number as the student counts cells.
    status
        ``"ok"``, ``"error"`` or ``"timeout"``.
    message
        ``""`` when ok; otherwise student-facing text naming the cell and line.
    """

    number: int
    status: Literal["ok", "error", "timeout"]
    message: str


@dataclass(frozen=True)
class CallOutcome:
    """The result of calling a student function or reading a top-level value.

    Parameters
    ----------
    status
        ``"ok"``, ``"error"``, ``"timeout"``, ``"crashed"`` or ``"missing"``.
    value
        The decoded return value (only meaningful when ok); ``protocol.Unsupported`` when the
        student's code returned something that is not plain data.
    message
        Student-facing explanation when not ok, with their own traceback lines.
    args_after
        The positional arguments as they were after the call (for mutation checks).
    seconds
        Time spent inside the student's function.
    """

    status: Literal["ok", "error", "timeout", "crashed", "missing"]
    value: object
    message: str
    args_after: tuple[object, ...] | None
    seconds: float


@dataclass(frozen=True)
class PlannedCall:
    """One call of a :meth:`WorkerSession.call_many` batch (the arguments of ``call``)."""

    name: str
    args: tuple[object, ...] = ()
    kwargs: dict[str, object] = field(default_factory=dict)
    return_args: bool = True
    timeout: float | None = None


class _Deadline(Exception):
    """The worker did not answer in time."""


class _OutOfTime(_Deadline):
    """The submission's total time budget ran out (before or while a request ran)."""


class _Died(Exception):
    """The worker's pipe closed: it exited or was killed."""

    def __init__(self, how: str) -> None:
        super().__init__(how)
        self.how = how


class _GaveUp(Exception):
    """No more restarts are allowed."""


class _OutputSink:
    """Keeps the first ``cap`` bytes of output and counts the rest."""

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._kept = bytearray()
        self._dropped = 0
        self._lock = threading.Lock()

    def add(self, chunk: bytes) -> None:
        with self._lock:
            room = max(self._cap - len(self._kept), 0)
            self._kept += chunk[:room]
            self._dropped += max(len(chunk) - room, 0)

    def checkpoint(self) -> tuple[int, int]:
        with self._lock:
            return len(self._kept), self._dropped

    def rollback(self, checkpoint: tuple[int, int]) -> None:
        """Forget what arrived after ``checkpoint`` (a worker start that was abandoned)."""
        with self._lock:
            del self._kept[checkpoint[0] :]
            self._dropped = checkpoint[1]

    def text(self) -> str:
        with self._lock:
            text = self._kept.decode("utf-8", errors="replace")
            if self._dropped:
                text += f"\n[output truncated: {self._dropped} more bytes were not kept]"
            return text


def _drain(fd: int, sink: _OutputSink) -> None:
    try:
        while chunk := os.read(fd, 65536):
            sink.add(chunk)
    except OSError:
        pass
    finally:
        os.close(fd)


class _Handle(Protocol):
    """How the grader stops a worker and learns how it ended (cold process or zygote job)."""

    @property
    def pid(self) -> int | None: ...

    def wait(self, timeout: float) -> int | None: ...

    def stop(self) -> None: ...


class _ColdProcess:
    """A worker started by exec (bwrap or python), in its own session and process group."""

    def __init__(self, process: subprocess.Popen[bytes], *, bwrap: bool) -> None:
        self.process = process
        self.bwrap = bwrap

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def wait(self, timeout: float) -> int | None:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        # bwrap reports a child killed by signal N as exit status 128 + N.
        return 128 - code if self.bwrap and 128 < code < 160 else code

    def stop(self) -> None:
        process = self.process
        if process.poll() is None:
            # Inside-out: killing bwrap's child first lets bwrap reap it and exit by itself,
            # instead of leaving a zombie for whichever init adopts it.
            isolation.kill_all(isolation.descendants(process.pid))
            if self.bwrap:
                try:
                    process.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the group outlives a dead leader's children
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()


class _WarmJob:
    """A worker forked by the zygote: stopping it SIGKILLs its whole pid namespace."""

    def __init__(self, job: pool.ZygoteJob) -> None:
        self.job = job

    @property
    def pid(self) -> int | None:
        return self.job.pid

    def wait(self, timeout: float) -> int | None:
        return self.job.wait(timeout)

    def stop(self) -> None:
        self.job.stop()


class _Worker:
    """One live worker process: its pipes, its output drain, and how to kill it."""

    def __init__(
        self,
        handle: _Handle,
        request_fd: int,
        reply_fd: int,
        drain: threading.Thread,
        *,
        max_bytes: int,
    ) -> None:
        self.handle = handle
        self.request_fd = request_fd
        self.reply_fd = reply_fd
        self.drain = drain
        self.max_bytes = max_bytes
        self.stopped = False
        self._pending = bytearray()
        self._chunk = bytearray(_READ_CHUNK)
        os.set_blocking(request_fd, False)
        os.set_blocking(reply_fd, False)

    @property
    def warm(self) -> bool:
        return isinstance(self.handle, _WarmJob)

    def _wait_for(self, fd: int, event: int, deadline: float) -> None:
        poller = select.poll()
        poller.register(fd, event)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Deadline
            if poller.poll(max(int(remaining * 1000), 1)):
                return

    def send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.request_fd, view)
            except BlockingIOError:  # the pipe is full: wait until the worker reads
                self._wait_for(self.request_fd, select.POLLOUT, deadline)
                continue
            except OSError:
                raise _Died(self.exit_description()) from None
            view = view[written:]

    def receive(self, deadline: float, *, more: bool = False) -> object:
        """Read one reply; bytes beyond it mean someone else is writing on our pipe, unless
        ``more`` replies to the same request may follow (a ``call_many``)."""
        pending = self._pending

        def read_exact(n: int) -> bytes:
            while len(pending) < n:
                try:
                    count = os.readv(self.reply_fd, [self._chunk])
                except BlockingIOError:
                    self._wait_for(self.reply_fd, select.POLLIN, deadline)
                    continue
                if count == 0:
                    raise _Died(self.exit_description())
                pending.extend(memoryview(self._chunk)[:count])
            data = bytes(pending[:n])
            del pending[:n]
            return data

        message = protocol.read_message(read_exact, max_array_bytes=self.max_bytes)
        if not more:
            self.expect_nothing_more()
        return message

    def expect_nothing_more(self) -> None:
        """Raise ``WireError`` if bytes arrived beyond the last reply read."""
        if self._pending:
            raise protocol.WireError(f"{len(self._pending)} unexpected bytes after a reply")

    def exit_description(self) -> str:
        """How the worker ended (waits briefly for it to be reaped)."""
        code = self.handle.wait(2.0)
        if code is None:
            return "it stopped answering"
        return isolation.describe_exit(code, bwrap=False)

    def stop(self) -> None:
        """Kill the worker's whole process tree and reap it; idempotent."""
        if self.stopped:
            return
        self.stopped = True
        self.handle.stop()
        for fd in (self.request_fd, self.reply_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.drain.join(timeout=2)


def _widen_pipe(fd: int) -> None:
    """Ask for a 1 MB pipe buffer (Linux): fewer round trips for array-sized messages."""
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _READ_CHUNK)
        except OSError:
            pass  # above /proc/sys/fs/pipe-max-size: the default buffer works, only slower


def start_worker(
    plan: isolation.Plan,
    info: isolation.InterpreterInfo,
    *,
    code_dir: Path,
    scratch: Path,
    config: SandboxConfig,
    sink: _OutputSink,
    module_name: str,
    zygote: pool.Zygote | None = None,
) -> tuple[_Worker, dict[str, Any]]:
    """Start one worker and wait for its hello; the single place workers come to life.

    The worker is forked from ``zygote`` when one is given, else started cold (exec'd).

    Returns
    -------
    worker, hello
        The running worker and its hello payload (``notes``, ``python``, ``numpy``).

    Raises
    ------
    pool.ZygoteUnavailable
        If ``zygote`` could not fork the worker (start it cold instead).
    SandboxError
        If the worker cannot be started or does not say hello in time.
    """
    request_read, request_write = os.pipe()
    reply_read, reply_write = os.pipe()
    output_read, output_write = os.pipe()
    for fd in (request_write, reply_write):
        _widen_pipe(fd)
    child_ends = (request_read, reply_write, output_write)
    data: list[tuple[str, int]] = []
    handle: _Handle
    try:
        bwrap = plan.kind == "bwrap"
        for name, path in _data_entries(config.data_files) if bwrap else []:
            try:
                data.append((name, os.open(path, os.O_RDONLY | os.O_CLOEXEC)))
            except OSError as exc:
                raise SandboxError(f"data file {str(path)!r} cannot be read: {exc}") from exc
        scratch_bytes = config.file_size_mb * 2**20 + (1 << 20)
        scratch_bytes += sum(os.fstat(fd).st_size for _, fd in data)
        if zygote is not None:
            handle = _WarmJob(
                zygote.spawn(
                    request_fd=request_read,
                    reply_fd=reply_write,
                    output_fd=output_write,
                    data=data,
                    scratch=str(scratch),
                    scratch_bytes=scratch_bytes,
                    max_bytes=config.max_message_bytes,
                )
            )
        else:
            handle = _start_cold(
                plan,
                info,
                code_dir=code_dir,
                scratch=scratch,
                config=config,
                child_ends=child_ends,
                data=data if bwrap and len(data) <= _MAX_BOUND_FILES else None,
                scratch_bytes=scratch_bytes,
            )
    except BaseException:
        for fd in (request_write, reply_read, output_read):
            os.close(fd)
        raise
    finally:
        for fd in (*child_ends, *(fd for _, fd in data)):
            os.close(fd)
    drain = threading.Thread(
        target=_drain, args=(output_read, sink), daemon=True, name=f"sandbox-output-{handle.pid}"
    )
    drain.start()
    worker = _Worker(handle, request_write, reply_read, drain, max_bytes=config.max_message_bytes)
    init = {
        "op": "init",
        "id": 0,
        "memory_mb": config.memory_mb,
        "cpu_seconds": config.cpu_seconds,
        "file_bytes": config.file_size_mb * 2**20,
        "open_files": _OPEN_FILES,
        "processes": _PROCESSES,
        "module_name": module_name,
    }
    deadline = time.monotonic() + config.startup_timeout
    try:
        worker.send(protocol.encode(init), deadline)
        hello = worker.receive(deadline)
    except (_Deadline, _Died, protocol.WireError) as exc:
        worker.stop()
        detail = f" ({exc.how})" if isinstance(exc, _Died) else ""
        raise SandboxError(
            f"the sandbox worker did not start{detail}; its output:\n{sink.text()[-2000:]}"
        ) from exc
    if (
        type(hello) is not dict
        or hello.get("status") != "ok"
        or type(hello.get("value")) is not dict
    ):
        worker.stop()
        raise SandboxError(f"the sandbox worker sent a bad hello: {hello!r}")
    return worker, hello["value"]


def _start_cold(
    plan: isolation.Plan,
    info: isolation.InterpreterInfo,
    *,
    code_dir: Path,
    scratch: Path,
    config: SandboxConfig,
    child_ends: tuple[int, int, int],
    data: list[tuple[str, int]] | None,
    scratch_bytes: int,
) -> _ColdProcess:
    """Exec a fresh worker (through bwrap, or directly on the process layer)."""
    request_read, reply_write, output_write = child_ends
    argv, env = isolation.worker_command(
        plan,
        info,
        code_dir=str(code_dir),
        scratch=str(scratch),
        worker_args=[str(request_read), str(reply_write), str(config.max_message_bytes)],
        data=data,
        scratch_bytes=scratch_bytes,
    )
    try:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=output_write,
            stderr=output_write,
            pass_fds=(request_read, reply_write, *(fd for _, fd in data or ())),
            cwd=scratch,
            env=env,
            start_new_session=True,
            user=plan.user,
            group=plan.user,
            extra_groups=None if plan.user is None else [],
        )
    except OSError as exc:
        raise SandboxError(f"could not start the sandbox worker: {exc}") from exc
    return _ColdProcess(process, bwrap=plan.kind == "bwrap")


def _data_entries(data_files: Sequence[Path]) -> list[tuple[str, Path]]:
    """The data files as (name relative to the scratch directory, host path), in order."""
    entries: list[tuple[str, Path]] = []
    seen: set[str] = set()
    for source in data_files:
        if source.name in seen:
            raise SandboxError(f"two data files are both named {source.name!r}")
        seen.add(source.name)
        if source.is_dir():
            entries += [
                (f"{source.name}/{path.relative_to(source).as_posix()}", path)
                for path in sorted(source.rglob("*"))
                if path.is_file()
            ]
        else:
            entries.append((source.name, source))
    return entries


_REPLY_KEYS = frozenset({"id", "status", "value", "message", "args_after", "seconds"})
_REPLY_STATUSES = frozenset({"ok", "error", "timeout", "missing", "internal"})
#: Longest message kept from one reply (characters); the rest is cut with a visible marker.
MAX_MESSAGE_CHARS = 8_000  # under results.MAX_TEXT_CHARS: room for what a check adds
# No worker runs for a day: a longer duration is forged (inf and NaN are refused too).
_MAX_SECONDS = 86_400.0


def _checked_reply(reply: object, expected_id: int) -> dict[str, Any]:
    """Re-validate a decoded reply's shape; anything off is a protocol violation.

    Exact types first, so that no comparison below runs a value's own ``__eq__`` or hash (a
    numpy array as the id or the status would raise instead of comparing). The message is the
    only free text: it is clipped here, at the boundary (the decoder made it valid Unicode).
    """
    if type(reply) is not dict or reply.keys() != _REPLY_KEYS:
        raise protocol.WireError("a reply must be a dict with the reply fields")
    if type(reply["id"]) is not int or reply["id"] != expected_id:
        raise protocol.WireError(f"the reply does not answer request {expected_id}")
    if type(reply["status"]) is not str or reply["status"] not in _REPLY_STATUSES:
        raise protocol.WireError("bad reply status")
    if type(reply["message"]) is not str:
        raise protocol.WireError("bad reply message")
    seconds = reply["seconds"]
    if type(seconds) is not float or not 0 <= seconds <= _MAX_SECONDS:  # False for NaN
        raise protocol.WireError("bad reply seconds (a duration must be finite and >= 0)")
    if reply["args_after"] is not None and type(reply["args_after"]) is not list:
        raise protocol.WireError("bad reply args_after")
    reply["message"] = protocol.clip(reply["message"], MAX_MESSAGE_CHARS)
    return reply


class _Ragged(Exception):
    """A list whose items have different shapes."""


def _array_safe(value: object) -> object:
    """``value``, or ``Unsupported`` if it holds a ragged list numpy cannot make an array of.

    Checks read returned sequences as arrays (``np.asarray``, ``np.ndim``), and numpy raises
    for a ragged one (``[[1.0], [1.0, 2.0]]``): that honest but odd value is refused here,
    once, as plain data that is not numeric data, and the check fails with a message. The
    value itself may be a record whose items differ in kind, ``(point, path)`` or
    ``[weights, iterates]``, which the checks take apart first; each of its items must be
    readable as an array, and a list of items of one rank must agree on their shape.
    """
    try:
        # Decoded values hold exact lists, tuples and dicts only: isinstance narrows, no more.
        if isinstance(value, (list, tuple)):
            shapes = {_shape(item) for item in value}
            if type(value) is list and len(shapes) > 1 and len({len(s) for s in shapes}) == 1:
                raise _Ragged
        elif isinstance(value, dict):
            for item in value.values():
                _shape(item)
        else:
            _shape(value)
    except _Ragged:
        what = "a list" if type(value) is list else f"a {protocol.type_name(value)} holding a list"
        return protocol.Unsupported(
            protocol.type_name(value),
            f"{what} whose items have different lengths or shapes (a ragged list), which "
            "cannot be read as an array",
        )
    except RecursionError:  # not from the decoder, which bounds the depth
        return protocol.Unsupported(protocol.type_name(value), "nested too deeply")
    return value


def _shape(value: object) -> tuple[int, ...]:
    """The array shape numpy would give ``value``; ``_Ragged`` where numpy would raise."""
    shape = getattr(value, "shape", None)  # arrays, numpy scalars, pandas (decoded: trusted)
    if type(shape) is tuple:
        return shape
    if isinstance(value, (list, tuple)):
        shapes = {_shape(item) for item in value}
        if len(shapes) > 1:
            raise _Ragged
        return (len(value), *(shapes.pop() if shapes else ()))
    return ()


def _check_specs(values: Sequence[object]) -> None:
    for value in values:
        if isinstance(value, protocol.FunctionSpec):
            functions.validate(value.family, value.params)


def _private_copy(
    root: Path, data_files: Sequence[Path], *, owner: int | None
) -> tuple[Path, Path]:
    """Create root/code (the worker's files, read-only) and root/scratch (the data files).

    With ``owner`` (a worker running as another uid) the scratch tree is handed to that uid
    and ``root`` becomes traversable, but still not listable, by it. Pass no ``data_files``
    when the worker gets them another way (bwrap copies them into a private tmpfs).
    """
    code_dir = root / "code"
    scratch = root / "scratch"
    code_dir.mkdir()
    scratch.mkdir()
    here = Path(__file__).resolve().parent
    for name in _WORKER_FILES:
        shutil.copyfile(here / name, code_dir / name)
        (code_dir / name).chmod(0o444)
    code_dir.chmod(0o555)
    for source in data_files:
        target = scratch / source.name
        if target.exists():
            raise SandboxError(f"two data files are both named {source.name!r}")
        try:
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)
        except OSError as exc:
            raise SandboxError(f"data file {str(source)!r} could not be copied: {exc}") from exc
    if owner is not None:
        root.chmod(0o711)
        for path in [scratch, *scratch.rglob("*")]:
            os.chown(path, owner, owner, follow_symlinks=False)
    return code_dir, scratch


class _Resources:
    """What a session must give back, also on garbage collection."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.worker: _Worker | None = None

    def release(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        code_dir = self.root / "code"
        if code_dir.exists():
            code_dir.chmod(0o755)  # read-only dirs cannot be emptied by a non-root grader
        shutil.rmtree(self.root, ignore_errors=True)


class WorkerSession:
    """A sandboxed worker holding one submission, ready to answer calls.

    Starting the session runs every cell in order: a cell that raises is recorded and skipped,
    a cell past its budget is interrupted and skipped, later cells still run, and the last
    definition of a name wins.

    Parameters
    ----------
    submission
        The loaded submission.
    config
        Limits and isolation.
    spent
        Seconds of the total time budget (``config.submission_timeout``) already spent
        before the session, on loading the file.

    Raises
    ------
    SandboxError
        If no worker can be started at all (a grader-side problem).

    Examples
    --------
    >>> with WorkerSession(load_source("def f(x):\\n    return 2 * x\\n")) as session:
    ...     session.call("f", 21).value
    42
    """

    def __init__(
        self,
        submission: Submission,
        config: SandboxConfig = SandboxConfig(),
        *,
        spent: float = 0.0,
    ) -> None:
        self._config = config
        self._total = config.submission_timeout
        self._spent = float(spent)
        self._cells: tuple[Cell, ...] = tuple(submission.cells)
        self._module_name = "__main__" if submission.kind == "ipynb" else "submission"
        self._info = isolation.describe_interpreter(config.python)
        self._plan = isolation.plan_isolation(config.isolation, self._info.python)
        self.isolation: str = self._plan.kind
        self._notes: list[str] = [self._plan.note] if self._plan.note else []
        if self._plan.kind == "process" and self._plan.user is None and os.geteuid() != 0:
            protected = isolation.protect_grader()
            if protected is not None:
                self._notes.append(protected)
        self._sink = _OutputSink(config.output_cap)
        self._zygote = (
            pool.zygote_for(
                self._plan, self._info, preload=config.preload, timeout=config.startup_timeout
            )
            if config.zygote and len(_data_entries(config.data_files)) <= pool.MAX_DATA_FILES
            else None
        )
        self._resources = _Resources(leftovers.private_dir("sandbox"))
        self._finalizer = weakref.finalize(self, self._resources.release)
        self._restarts = 0
        self._next_id = 0
        self._replay: list[Cell] = []
        self.cell_reports: tuple[CellReport, ...] = ()
        self.cells_seconds = 0.0
        self.startup_seconds = 0.0
        try:
            # bwrap copies the data files straight into the worker's tmpfs; else a host copy.
            in_tmpfs = (
                self._plan.kind == "bwrap"
                and self._plan.tmpfs_size
                and len(_data_entries(config.data_files)) <= _MAX_BOUND_FILES
            )
            self._code_dir, self._scratch = _private_copy(
                self._resources.root,
                () if in_tmpfs else config.data_files,
                owner=self._plan.user,
            )
            for _, path in _data_entries(config.data_files) if in_tmpfs else ():
                if not os.access(path, os.R_OK):
                    raise SandboxError(f"data file {str(path)!r} cannot be read")
            started = time.monotonic()
            self._spawn()
            self.startup_seconds = time.monotonic() - started
            started = time.monotonic()
            self.cell_reports = self._run_cells()
            self.cells_seconds = time.monotonic() - started
        except BaseException:
            self.close()
            raise

    # ---------------------------------------------------------------- public API

    @property
    def output(self) -> str:
        """The student's captured stdout/stderr, capped at ``output_cap`` bytes."""
        return self._sink.text()

    @property
    def notes(self) -> tuple[str, ...]:
        """Notes on weakened isolation (no bwrap, no seccomp, limits not set)."""
        return tuple(self._notes)

    @property
    def worker_pid(self) -> int | None:
        """Host pid of the current worker's top process; for diagnostics.

        bwrap or python for a cold worker; for one forked by the zygote, its monitor (whose
        only child is the worker). None when there is no worker or it cannot be found.
        """
        worker = self._resources.worker
        return None if worker is None else worker.handle.pid

    @property
    def warm(self) -> bool:
        """Whether the current worker was forked from the warm zygote (else started cold)."""
        worker = self._resources.worker
        return worker is not None and worker.warm

    @property
    def out_of_time(self) -> bool:
        """Whether the submission's total time budget has run out (nothing more will run)."""
        return self._total is not None and self._spent >= self._total

    def out_of_time_message(self, what: str) -> str:
        """Student-facing text for ``what`` (``"calling `f`"``) cut short by the total budget."""
        return (
            f"{what} was stopped or not attempted: this submission's total time budget "
            f"({self._total or 0:g} s for running the cells and every call together) ran out"
        )

    @property
    def restarts(self) -> int:
        """How many times a fresh worker replaced a crashed or killed one."""
        return self._restarts

    def defined(self) -> dict[str, str]:
        """Top-level names -> ``"function"`` or ``"value"`` (modules and classes excluded).

        Returns ``{}`` if no worker can be brought back after crashes.
        """
        outcome = self._ask({"op": "defined"}, self._config.call_timeout, "listing your names")
        value = outcome.value
        if outcome.status != "ok" or type(value) is not dict:
            return {}
        return {str(k): str(v) for k, v in value.items() if v in ("function", "value")}

    def call(
        self,
        name: str,
        /,
        *args: object,
        timeout: float | None = None,
        return_args: bool = True,
        **kwargs: object,
    ) -> CallOutcome:
        """Call the student's top-level function ``name`` in the worker.

        Parameters
        ----------
        name
            The function's name in the submission.
        *args, **kwargs
            Plain data (see ``protocol``) or ``FunctionSpec`` values, which the worker turns
            into trusted callables.
        timeout
            Seconds allowed; ``config.call_timeout`` by default.
        return_args
            Whether the worker sends the positional arguments back as they were after the call
            (``CallOutcome.args_after``, for mutation checks). Off, ``args_after`` is ``None``
            and the reply is smaller: most checks only need the value.

        Raises
        ------
        TypeError
            If an argument cannot be sent (a grader bug, not the student's).
        ValueError
            If a ``FunctionSpec`` names an unknown family or wrong parameters.
        """
        planned = PlannedCall(name, tuple(args), dict(kwargs), bool(return_args), timeout)
        request, budget = self._call_request(planned)
        return self._ask(request, budget, f"calling `{name}`")

    def call_many(self, calls: Sequence[PlannedCall]) -> list[CallOutcome]:
        """Make several calls in one round trip, in order; their outcomes, for a prefix.

        Each outcome is the one ``call`` would have returned for that call made alone, in the
        same order, except that a value larger than its share of the message cap (the cap
        divided by ``len(calls)``) comes back ``Unsupported``. The batch ends after the first
        call that timed out, crashed the worker or could not be finished: the outcomes stop
        there, and the caller makes the remaining calls one by one if it still needs them.

        Raises
        ------
        TypeError, ValueError
            As ``call`` does, for arguments that cannot be sent.
        """
        if not calls:
            return []
        requests, budgets = zip(*(self._call_request(call) for call in calls), strict=True)
        budget, what = budgets[0], f"calling `{calls[0].name}`"
        try:
            worker = self._ensure_worker()
            left = self._within_total(max(budgets))
        except _GaveUp:
            return []  # made one by one, each call gets the "not attempted" outcome
        except _OutOfTime as exc:
            return [self._broken(exc, budget, what)]
        # Each call is told at most what is left of the total budget now; the replies are
        # awaited no longer than that plus one grace period.
        requests = tuple({**r, "timeout": float(min(r["timeout"], left))} for r in requests)
        last = self._reply_deadline(left)
        self._next_id += 1
        request = {"op": "call_many", "id": self._next_id, "calls": list(requests)}
        data = self._encoded(request)
        outcomes: list[CallOutcome] = []
        mark = time.monotonic()
        try:
            worker.send(data, min(self._reply_deadline(budget), last))
            for index, (call, budget) in enumerate(zip(calls, budgets, strict=True)):
                what = f"calling `{call.name}`"
                deadline = min(self._reply_deadline(budget), last)
                more = index < len(calls) - 1
                received = worker.receive(deadline, more=more)
                mark = self._charge(mark)
                reply = _checked_reply(received, self._next_id)
                outcomes.append(self._outcome(reply, budget, what))
                if reply["status"] in protocol.BATCH_ENDS:
                    break
            worker.expect_nothing_more()
        except (_Deadline, _Died, protocol.WireError) as exc:
            self._charge(mark)
            self._discard_worker()
            if isinstance(exc, protocol.WireError) and len(outcomes) == len(requests):
                outcomes.pop()  # stray bytes after the last reply: that call broke the pipe
            if isinstance(exc, _Deadline) and self.out_of_time:
                exc = _OutOfTime()
            outcomes.append(self._broken(exc, budget, what))
        return outcomes

    def _call_request(self, call: PlannedCall) -> tuple[dict[str, Any], float]:
        budget = float(self._config.call_timeout if call.timeout is None else call.timeout)
        _check_specs([*call.args, *call.kwargs.values()])
        request = {
            "op": "call",
            "name": call.name,
            "args": tuple(call.args),
            "kwargs": dict(call.kwargs),
            "timeout": budget,
            "return_args": bool(call.return_args),
        }
        return request, budget

    def value(self, name: str) -> CallOutcome:
        """Read the student's top-level variable ``name`` (e.g. ``cur_x``)."""
        return self._ask(
            {"op": "value", "name": name}, self._config.call_timeout, f"reading `{name}`"
        )

    def close(self) -> None:
        """Kill the worker, reap it and delete the private directories; idempotent."""
        self._finalizer()

    def __enter__(self) -> WorkerSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ---------------------------------------------------------------- worker lifecycle

    def _spawn(self) -> None:
        worker: _Worker | None = None
        if self._zygote is not None:
            checkpoint = self._sink.checkpoint()
            try:
                worker, hello = self._start(self._zygote)
            except (pool.ZygoteUnavailable, SandboxError) as exc:
                # The zygote is broken here (no student code ran yet): cold from now on.
                pool.discard(self._zygote, str(exc))
                self._zygote = None
                self._sink.rollback(checkpoint)
        if worker is None:
            worker, hello = self._start(None)
        self._resources.worker = worker
        notes = hello.get("notes")
        for note in notes if type(notes) is list else []:
            if type(note) is str and note not in self._notes:
                self._notes.append(note)

    def _start(self, zygote: pool.Zygote | None) -> tuple[_Worker, dict[str, Any]]:
        return start_worker(
            self._plan,
            self._info,
            code_dir=self._code_dir,
            scratch=self._scratch,
            config=self._config,
            sink=self._sink,
            module_name=self._module_name,
            zygote=zygote,
        )

    def _discard_worker(self) -> None:
        if self._resources.worker is not None:
            self._resources.worker.stop()
            self._resources.worker = None

    def _ensure_worker(self) -> _Worker:
        """The live worker, restarting (and replaying the cells quietly) if it died."""
        if not self._finalizer.alive:
            raise SandboxError("this WorkerSession is closed")
        while self._resources.worker is None:
            if self.out_of_time:
                raise _OutOfTime
            if self._restarts >= self._config.max_restarts:
                raise _GaveUp(
                    f"the Python process running your code crashed or was stopped "
                    f"{self._restarts + 1} times, so it was not restarted again"
                )
            self._restarts += 1
            self._spawn()
            for cell in self._replay:
                try:
                    self._exchange(self._cell_request(cell, quiet=True), self._config.cell_timeout)
                except (_Deadline, _Died, protocol.WireError):
                    self._discard_worker()
                    break
        return self._resources.worker

    def _exchange(self, request: dict[str, Any], budget: float) -> dict[str, Any]:
        """Send one request and read its reply, within ``budget`` plus a grace period, and
        within what is left of the total budget (the worker is told the smaller of the two)."""
        worker = self._resources.worker
        if worker is None:
            raise _Died("no worker")
        budget = self._within_total(budget)
        if "timeout" in request:
            request = {**request, "timeout": float(min(request["timeout"], budget))}
        self._next_id += 1
        data = self._encoded({**request, "id": self._next_id})
        started = time.monotonic()
        deadline = self._reply_deadline(budget)
        try:
            worker.send(data, deadline)
            reply = worker.receive(deadline)
        except (_Deadline, _Died, protocol.WireError) as exc:
            self._charge(started)
            self._discard_worker()
            if isinstance(exc, _Deadline) and self.out_of_time:
                raise _OutOfTime from exc
            raise
        self._charge(started)
        try:
            return _checked_reply(reply, self._next_id)
        except protocol.WireError:
            self._discard_worker()
            raise

    def _within_total(self, budget: float) -> float:
        """``budget`` cut to what is left of the total; raises ``_OutOfTime`` if nothing is."""
        if self._total is None:
            return budget
        left = self._total - self._spent
        if left <= 0:
            raise _OutOfTime
        return min(budget, left)

    def _charge(self, since: float) -> float:
        """Count the time since ``since`` (a request in flight) against the total; return now."""
        now = time.monotonic()
        self._spent += now - since
        return now

    def _reply_deadline(self, budget: float) -> float:
        """When to stop waiting for a reply to a request given ``budget`` seconds: the worker
        interrupts the student's code at the budget, the grace period covers the rest."""
        return time.monotonic() + budget + 1.0 + 0.1 * budget

    def _encoded(self, request: dict[str, Any]) -> bytes:
        try:
            return protocol.encode(request, max_bytes=self._config.max_message_bytes)
        except protocol.Unencodable as exc:
            raise TypeError(f"cannot send {exc.type_name} to the sandbox: {exc.summary}") from exc

    # ---------------------------------------------------------------- operations

    def _cell_request(self, cell: Cell, *, quiet: bool) -> dict[str, Any]:
        return {
            "op": "run_cell",
            "number": cell.number,
            "source": cell.source,
            "timeout": float(self._config.cell_timeout),
            "quiet": quiet,
        }

    def _run_cells(self) -> tuple[CellReport, ...]:
        """Run every cell in order; once the total budget is spent, one report says which
        cells were left (a notebook of 150,000 cells gets one line, not 150,000)."""
        reports: list[CellReport] = []
        for index, cell in enumerate(self._cells):
            if self.out_of_time:
                reports.append(self._cells_not_run(index))
                break
            reports.append(self._run_cell(cell))
        return tuple(reports)

    def _cells_not_run(self, index: int) -> CellReport:
        number, later = self._cells[index].number, len(self._cells) - index - 1
        if not later:
            return self._cell_out_of_time(f"cell {number} was not run", number)
        return self._cell_out_of_time(
            f"cell {number} and the {later} cells after it were not run", number
        )

    def _cell_out_of_time(self, what: str, number: int) -> CellReport:
        budget = f"this submission's total time budget ({self._total or 0:g} s) ran out"
        return CellReport(number, "timeout", f"{what}: {budget}")

    def _run_cell(self, cell: Cell) -> CellReport:
        number = cell.number
        skipped = f"cell {number} ran longer than {self._config.cell_timeout:g} s and was skipped"
        try:
            self._ensure_worker()
            reply = self._exchange(self._cell_request(cell, quiet=False), self._config.cell_timeout)
        except _GaveUp as exc:
            return CellReport(number, "error", f"cell {number} was not run: {exc}")
        except _OutOfTime:
            return self._cell_out_of_time(f"cell {number} was stopped", number)
        except _Deadline:
            return CellReport(number, "timeout", skipped)
        except _Died as exc:
            return CellReport(
                number,
                "error",
                f"cell {number} stopped the Python process "
                f"running it ({exc.how}); later cells ran in a fresh process",
            )
        except protocol.WireError as exc:
            return CellReport(
                number,
                "error",
                f"cell {number} broke the connection between "
                f"the grader and your code ({exc}); later cells ran in a fresh "
                "process",
            )
        status = reply["status"]
        if status == "timeout" and self.out_of_time:
            return self._cell_out_of_time(f"cell {number} was stopped", number)
        if status == "timeout":
            return CellReport(number, "timeout", skipped)
        self._replay.append(cell)
        if status == "ok":
            return CellReport(number, "ok", "")
        message = reply["message"] or "an error was raised"
        if not message.startswith(f"cell {number}"):
            message = f"cell {number}: {message}"
        return CellReport(number, "error", message)

    def _ask(self, request: dict[str, Any], budget: float, what: str) -> CallOutcome:
        """Run one call/value/defined request and turn every ending into a CallOutcome."""
        try:
            self._ensure_worker()
            reply = self._exchange(request, budget)
        except _GaveUp as exc:
            return CallOutcome("crashed", None, f"{what} was not attempted: {exc}", None, 0.0)
        except (_Deadline, _Died, protocol.WireError) as exc:
            return self._broken(exc, budget, what)
        return self._outcome(reply, budget, what)

    def _broken(self, exc: Exception, budget: float, what: str) -> CallOutcome:
        """The outcome of a request the worker did not answer properly."""
        if isinstance(exc, _OutOfTime):
            return CallOutcome("timeout", None, self.out_of_time_message(what), None, 0.0)
        if isinstance(exc, _Deadline):
            return CallOutcome(
                "timeout",
                None,
                f"{what} took longer than {budget:g} s and was stopped",
                None,
                budget,
            )
        if isinstance(exc, _Died):
            return CallOutcome(
                "crashed",
                None,
                f"{what} stopped the Python process running your code ({exc.how})",
                None,
                0.0,
            )
        return CallOutcome(
            "crashed",
            None,
            f"{what} broke the connection between the grader and your code ({exc})",
            None,
            0.0,
        )

    def _outcome(self, reply: dict[str, Any], budget: float, what: str) -> CallOutcome:
        """The outcome of a request the worker answered."""
        status = reply["status"]
        after = reply["args_after"]
        args_after = tuple(map(_array_safe, after)) if after is not None else None
        seconds = reply["seconds"]
        if status == "ok":
            return CallOutcome("ok", _array_safe(reply["value"]), "", args_after, seconds)
        if status == "timeout" and self.out_of_time:  # told to stop at the total's end
            return CallOutcome("timeout", None, self.out_of_time_message(what), args_after, seconds)
        if status == "timeout":
            return CallOutcome(
                "timeout",
                None,
                f"{what} took longer than {budget:g} s and was stopped",
                args_after,
                seconds,
            )
        if status == "missing":
            return CallOutcome("missing", None, reply["message"], None, 0.0)
        if status == "internal":
            return CallOutcome(
                "error",
                None,
                f"the grader could not finish {what}: {reply['message']}",
                args_after,
                seconds,
            )
        return CallOutcome("error", None, reply["message"], args_after, seconds)
