"""The sandboxed side of the grader: runs one student's cells and answers calls with plain data.

Started by ``graders.sandbox.session`` as ``python -s -B worker.py REQUEST_FD REPLY_FD MAX_BYTES``
from a private directory that holds only this file and its siblings (``scratch.WORKER_FILES``:
``protocol`` and its ``wire_*`` modules, ``functions``, ``rlimits``, ``syscalls``). It imports
the standard library, numpy, pandas (if installed) and those siblings: never ``graders`` or
``reference``, which do not even exist where it runs.

Requests and replies travel as protocol messages on two dedicated pipes; the student's stdout and
stderr (fds 1 and 2) go to a third pipe that the grader drains and caps. Every reply has the same
shape: ``{"id", "status", "value", "message", "args_after", "seconds"}`` with status one of
``ok``, ``error``, ``timeout``, ``missing`` or ``internal``.

Operations: ``run_cell`` (compile as ``<cell N>`` so tracebacks name the cell, exec in the
namespace), ``defined``, ``call`` (FunctionSpec arguments become trusted callables; the
positional arguments are always reported afterwards, for mutation checks: a request's
``return_args`` is ignored, so no call can tell a mutation check from any other call; an
argument whose snapshot before the call still holds is reported ``Unchanged``, any other is
sent back), ``call_many`` (several calls in one round trip: a header message, then the list
of calls as a message of its own, which the grader may send again byte for byte; one reply each,
in order, all with the header's id, ending early after the first whose status is ``timeout`` or
``internal``) and ``value``. Each runs under a time budget enforced here with ``setitimer``;
the grader's wall clock is the backstop.

Over 500 lines on purpose: everything that runs between the student's code and the pipes (the
alarm, the namespace, the replies) is in this one file, whose frames the time budget never
interrupts (``_OWN_FILES``); split, each part would have to be listed there too.
"""

from __future__ import annotations

import builtins
import linecache
import os
import signal
import sys
import time
import traceback
import types
import warnings
from collections.abc import Callable, Hashable, Iterator
from typing import TYPE_CHECKING, Any

import numpy

try:  # imported before the limits so that a student's ``import pandas`` costs nothing
    import pandas  # noqa: F401
except ImportError:
    pass

if TYPE_CHECKING:  # the type checker sees the package; at run time they are plain siblings
    from signal import getsignal as _get_handler
    from signal import setitimer as _setitimer
    from signal import signal as _set_handler

    from graders.sandbox import (
        functions,
        protocol,
        rlimits,
        syscalls,
        wire_npy,
        wire_text,
        wire_tree,
        wire_values,
    )
else:  # the C functions behind ``signal``'s wrappers (same signatures, no enum conversions)
    from _signal import getsignal as _get_handler
    from _signal import setitimer as _setitimer
    from _signal import signal as _set_handler

    import functions
    import protocol
    import rlimits
    import syscalls
    import wire_npy
    import wire_text
    import wire_tree
    import wire_values

_HERE = os.path.dirname(os.path.abspath(__file__))
# Frames of these files never receive the timeout exception: it is only ever raised inside the
# student's code (or library code the student called), never inside the worker's bookkeeping.
_OWN_FILES = frozenset(
    path
    for module_file in (
        __file__,
        *(
            m.__file__
            for m in (protocol, wire_values, wire_tree, wire_npy, wire_text, rlimits, syscalls)
        ),
    )
    if module_file
    for path in (module_file, os.path.abspath(module_file))
)
_SIGALRM, _ITIMER_REAL = int(signal.SIGALRM), signal.ITIMER_REAL  # bound before student code
_TICK = 0.05  # after the budget, the alarm repeats: student code that swallows it gets it again
_MAX_FRAMES = 8
_MAX_TEXT = 1000
_MAX_LABEL = 200  # characters of a cell's label (the grader sends at most ~60)


class _Timeout(BaseException):
    """Raised inside the student's code when its time budget is spent."""


class _Alarm:
    """A per-operation time budget delivered as ``_Timeout`` by SIGALRM.

    It uses the C functions of ``_signal``, bound when the worker starts: ``signal.signal``
    converts every handler to and from an enum (a tenth of a small call's bookkeeping), and a
    student who replaces ``signal.signal`` or ``signal.setitimer`` cannot disable the budget.
    """

    def __init__(self) -> None:
        self.armed = False
        self._handler = self._ring  # one bound method, so that it can be recognised by identity

    def _ring(self, signum: int, frame: types.FrameType | None) -> None:
        if not self.armed:
            return
        if frame is not None and frame.f_code.co_filename in _OWN_FILES:
            return  # in the worker's own code: let the next tick land in the student's
        raise _Timeout()

    def arm(self, seconds: float) -> None:
        if _get_handler(_SIGALRM) is not self._handler:  # a student may have replaced it
            _set_handler(_SIGALRM, self._handler)
        self.armed = True
        _setitimer(_ITIMER_REAL, max(seconds, 0.001), _TICK)

    def disarm(self) -> None:
        self.armed = False
        _setitimer(_ITIMER_REAL, 0, 0)


def _ignore(*args: object, **kwargs: object) -> None:
    """Accept anything, do nothing."""


class _IPythonStub:
    """What ``get_ipython()`` returns here: every method accepts anything and does nothing."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("__"):
            raise AttributeError(name)
        return _ignore

    def __repr__(self) -> str:
        return "<IPython stub: the grader does not run IPython>"


_IPYTHON = _IPythonStub()


def get_ipython() -> _IPythonStub:
    """Stand-in for IPython's ``get_ipython``."""
    return _IPYTHON


def display(*objects: object, **options: object) -> None:
    """Stand-in for IPython's ``display``: shows nothing."""


_STUBS = {"get_ipython": get_ipython, "display": display}


# How each cell's filename is named in messages (run_cell's "label"): "code cell 9 (`def f(x):`)"
# for a notebook cell, "" for a .py file, whose lines are named alone.
_LABELS: dict[str, str] = {}


def _where(filename: str | None, line: int | None) -> str | None:
    """``"code cell 9 (`def f(x):`), line 2"`` for a frame in a student's cell; None elsewhere."""
    if not (filename and filename.startswith("<cell ") and filename.endswith(">")):
        return None
    label = _LABELS.get(filename, f"cell {filename[6:-1]}")
    return f"{label}, line {line}" if label else f"line {line}"


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + f"... [{len(text)} characters]"


def _summary(exc: BaseException) -> str:
    """``"ZeroDivisionError: division by zero"``, robust to a student's broken ``__str__``."""
    name = type(exc).__name__
    try:
        text = exc.msg if isinstance(exc, SyntaxError) and exc.msg else str(exc)
    except BaseException:  # a student's __str__ may raise anything
        text = "<the exception could not be displayed>"
    if isinstance(exc, SystemExit):
        text = f"{text} (the code called sys.exit() or exit())".strip()
    return f"{name}: {_clip(text)}" if text else name


def describe_exception(exc: BaseException) -> str:
    """The student-facing account of ``exc``: their own frames only, then the error.

    ``"code cell 4 (`def sigmoid(x):`), line 2, in sigmoid: OverflowError: math range error"``
    (``"line 2, in sigmoid: ..."`` in a ``.py`` file); with several frames, one
    per line, outermost first. Frames of the worker and of libraries are left out.
    """
    lines = []
    for frame in traceback.extract_tb(exc.__traceback__):
        where = _where(frame.filename, frame.lineno)
        if where is not None:
            lines.append(where if frame.name == "<module>" else f"{where}, in {frame.name}")
    if isinstance(exc, SyntaxError):
        where = _where(exc.filename, exc.lineno)
        if where is not None:
            lines.append(where)
    if len(lines) > _MAX_FRAMES:
        hidden = len(lines) - 6
        lines = [*lines[:3], f"... {hidden} more frames ...", *lines[-3:]]
    summary = _summary(exc)
    if not lines:
        return summary
    lines[-1] = f"{lines[-1]}: {summary}"
    return "\n".join(lines)


def _reply(
    status: str,
    value: object = None,
    message: str = "",
    args_after: list[object] | None = None,
    seconds: float = 0.0,
) -> dict[str, Any]:
    return {
        "status": status,
        "value": value,
        "message": message,
        "args_after": args_after,
        "seconds": float(seconds),
    }


class _Runner:
    """The student's namespace and the operations on it."""

    def __init__(self, module_name: str, max_bytes: int) -> None:
        self.namespace: dict[str, Any] = {
            "__name__": module_name,
            "__builtins__": builtins,
            **_STUBS,
        }
        self.max_bytes = max_bytes
        self.alarm = _Alarm()
        self.stdout = sys.stdout
        self.stderr = sys.stderr

    def replies(self, request: object) -> Iterator[dict[str, Any]]:
        """The replies to one request: one, or one per call of a ``call_many``."""
        if type(request) is dict and request.get("op") == "call_many":
            yield from self.call_many(request)
        else:
            yield self.handle(request)

    def handle(self, request: object) -> dict[str, Any]:
        if type(request) is not dict:
            return _reply("internal", message="a request must be a dict")
        op = request.get("op")
        if op == "run_cell":
            return self._quietly(request.get("quiet") is True, lambda: self.run_cell(request))
        if op == "call":
            return self.call(request)
        if op == "value":
            return self.value(request)
        if op == "defined":
            return _reply("ok", self.defined())
        return _reply("internal", message=f"unknown op {op!r}")

    def _guarded(self, action: Callable[[], Any], timeout: float) -> tuple[str, Any, str, float]:
        """Run student code under the alarm: (status, value, message, seconds).

        ``seconds`` is the time inside ``action`` only: arming the alarm and restoring the
        streams are the grader's overhead, not the student's time.
        """
        self.alarm.arm(timeout)
        start = time.perf_counter()
        seconds = 0.0
        try:
            try:
                value = action()
            finally:
                seconds = time.perf_counter() - start
                self.alarm.disarm()  # cannot be interrupted: the alarm spares worker frames
        except _Timeout:
            return "timeout", None, "", seconds
        except BaseException as exc:  # SystemExit, KeyboardInterrupt: all theirs
            return "error", None, describe_exception(exc), seconds
        finally:
            self._restore_streams()
        return "ok", value, "", seconds

    def _restore_streams(self) -> None:
        """Put back the real stdout/stderr a student may have replaced, and flush them."""
        sys.stdout, sys.stderr = self.stdout, self.stderr
        for stream in (self.stdout, self.stderr):
            try:
                stream.flush()
            except Exception:  # closed by the student: nothing to flush
                pass

    def _quietly(self, quiet: bool, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run ``action`` with fds 1 and 2 sent to /dev/null when replaying cells."""
        if not quiet:
            return action()
        saved = [os.dup(1), os.dup(2)]
        sink = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(sink, 1)
            os.dup2(sink, 2)
            return action()
        finally:
            self._restore_streams()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in (*saved, sink):
                os.close(fd)

    def run_cell(self, request: dict[str, Any]) -> dict[str, Any]:
        number, source, timeout = (
            request.get("number"),
            request.get("source"),
            request.get("timeout"),
        )
        label = request.get("label", f"cell {number}")
        if type(number) is not int or type(source) is not str or type(timeout) is not float:
            return _reply("internal", message="bad run_cell request")
        if type(label) is not str or len(label) > _MAX_LABEL:
            return _reply("internal", message="bad run_cell request")
        filename = f"<cell {number}>"
        _LABELS[filename] = label
        # Registered so that inspect.getsource and tracebacks can show the cell's lines.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)

        def run() -> None:
            code = compile(source, filename, "exec", dont_inherit=True)
            exec(code, self.namespace)  # running the submission is the point

        status, _, message, seconds = self._guarded(run, timeout)
        return _reply(status, message=message, seconds=seconds)

    def defined(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for name, value in list(self.namespace.items()):
            if type(name) is not str or (name.startswith("__") and name.endswith("__")):
                continue
            # ``name in``: ``_STUBS.get`` is None for any other name, and would hide ``f = None``.
            stub = name in _STUBS and _STUBS[name] is value
            if stub or isinstance(value, (types.ModuleType, type)):
                continue
            names[name] = "function" if callable(value) else "value"
        return names

    def _missing(self, name: object, *, callable_needed: bool) -> str | None:
        if type(name) is not str or name not in self.namespace:
            return f"`{name}` is not defined in your submission"
        value = self.namespace[name]
        if callable_needed and (not callable(value) or isinstance(value, types.ModuleType)):
            return (
                f"`{name}` is defined in your submission but is not a function "
                f"(it is a {protocol.type_name(value)})"
            )
        return None

    def call_many(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Run each call in turn; stop after the first reply whose status is in BATCH_ENDS.

        Each call may send a share of the message cap, so that the replies of a whole batch
        together stay under it (a larger value is ``Unsupported``; the grader calls again).
        """
        calls = request.get("calls")
        if type(calls) is not list or not calls:
            yield _reply("internal", message="bad call_many request")
            return
        share = self.max_bytes // len(calls)
        for call in calls:
            reply = (
                self.call(call, max_bytes=share)
                if type(call) is dict
                else _reply("internal", message="bad call in call_many")
            )
            yield reply
            if reply["status"] in protocol.BATCH_ENDS:
                return

    def call(self, request: dict[str, Any], max_bytes: int | None = None) -> dict[str, Any]:
        name, args, kwargs, timeout = (
            request.get(k) for k in ("name", "args", "kwargs", "timeout")
        )
        if type(args) is not tuple or type(kwargs) is not dict or type(timeout) is not float:
            return _reply("internal", message="bad call request")
        missing = self._missing(name, callable_needed=True)
        if missing is not None:
            return _reply("missing", message=missing)
        function = self.namespace[name]  # type: ignore[index]
        try:
            real_args = [_materialised(arg) for arg in args]
            real_kwargs = {key: _materialised(arg) for key, arg in kwargs.items()}
        except ValueError as exc:
            return _reply("internal", message=f"bad FunctionSpec: {exc}")
        before = [protocol.snapshot(arg) for arg in args]  # as decoded: what the grader sent
        status, value, message, seconds = self._guarded(
            lambda: function(*real_args, **real_kwargs), timeout
        )
        # Value and arguments share one reply: half of the cap each keeps it under the cap.
        half = (self.max_bytes if max_bytes is None else max_bytes) // 2
        per_arg = half // max(len(args), 1)
        # Always, whatever the request says: a report sent only when asked for would tell the
        # student's code which call checks for mutation. An argument the call left exactly as
        # it came is reported ``Unchanged`` (the grader holds what it sent); any other travels
        # back for the grader to compare.
        args_after = [
            _reported(args[i], real_args[i], before[i], per_arg) for i in range(len(args))
        ]
        if status == "ok":  # encoded with the reply: too large or not data, it is Unsupported
            value = protocol.Budgeted(value, half)
        return _reply(status, value, message, args_after, seconds)

    def value(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request.get("name")
        missing = self._missing(name, callable_needed=False)
        if missing is not None:
            return _reply("missing", message=missing)
        return _reply("ok", protocol.Budgeted(self.namespace[name], self.max_bytes // 2))  # type: ignore[index]


def _materialised(arg: object) -> object:
    if type(arg) is protocol.FunctionSpec:
        return functions.materialise(arg.family, arg.params)
    return arg


def _reported(sent: object, real: object, before: Hashable | None, max_bytes: int) -> object:
    """What a reply's ``args_after`` says of one argument after the call: the ``FunctionSpec``
    as sent, ``Unchanged`` if its snapshot (``before``) still holds, else the argument itself."""
    if type(sent) is protocol.FunctionSpec:
        return sent
    if before is not None and protocol.snapshot(real) == before:
        return protocol.UNCHANGED
    return protocol.Budgeted(real, max_bytes)


class _Channel:
    """Blocking protocol I/O on the two dedicated pipes."""

    def __init__(self, read_fd: int, write_fd: int, max_bytes: int) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.max_bytes = max_bytes
        self.pending = bytearray()
        self.chunk = bytearray(1 << 20)

    def _read_exact(self, n: int) -> bytes:
        pending = self.pending
        while len(pending) < n:
            count = os.readv(self.read_fd, [self.chunk])
            if count == 0:
                raise EOFError
            pending.extend(memoryview(self.chunk)[:count])
        data = bytes(pending[:n])
        del pending[:n]
        return data

    def receive(self) -> object:
        return protocol.read_message(self._read_exact, max_array_bytes=self.max_bytes)

    def send(self, message: dict[str, Any]) -> None:
        data = memoryview(protocol.encode(message, max_bytes=2 * self.max_bytes + (1 << 20)))
        while data:
            written = os.write(self.write_fd, data)
            data = data[written:]


def _serve(channel: _Channel) -> int:
    init = channel.receive()
    if type(init) is not dict or init.get("op") != "init":
        return 64
    notes = rlimits.apply_rlimits(
        memory_mb=init["memory_mb"],
        cpu_seconds=init["cpu_seconds"],
        file_bytes=init["file_bytes"],
        open_files=init["open_files"],
        processes=init["processes"],
    )
    try:
        seccomp_note = syscalls.install_seccomp()
    except syscalls.SeccompRequired as exc:  # before any student code: it never runs
        print(f"the sandbox could not confine the worker: {exc}", file=sys.stderr)
        return 70
    if seccomp_note is not None:
        notes.append(seccomp_note)
    warnings.filterwarnings("ignore", message=".*non-interactive.*")  # plt.show() under Agg
    runner = _Runner(str(init["module_name"]), channel.max_bytes)
    hello = {"notes": notes, "python": sys.version.split()[0], "numpy": numpy.__version__}
    channel.send({"id": init.get("id"), **_reply("ok", hello)})
    while True:
        try:
            request = channel.receive()
            if type(request) is dict and request.get("op") == "call_many":
                request = {**request, "calls": channel.receive()}  # a message of their own
        except EOFError:
            return 0
        request_id = request.get("id") if type(request) is dict else None
        replies = runner.replies(request)
        while True:
            try:
                reply = next(replies)
            except StopIteration:
                break
            except Exception as exc:  # a worker bug, or a sabotaged worker
                reply = _failed(exc)
            reply["id"] = request_id
            try:
                channel.send(reply)
            except protocol.Unencodable as exc:
                channel.send({"id": request_id, **_reply("internal", message=str(exc))})
                break
            except OSError:  # the grader is gone
                raise
            except Exception as exc:  # encoding a pandas object the student sabotaged
                channel.send({"id": request_id, **_failed(exc)})
                break
            if reply["status"] == "internal":
                break


def _failed(exc: Exception) -> dict[str, Any]:
    """The reply for a call the worker's own code could not finish (a bug, or sabotage)."""
    return _reply("internal", message=f"the sandbox worker failed: {exc!r}")


def serve(request_fd: int, reply_fd: int, max_bytes: int) -> int:
    """Serve requests from ``request_fd``, replying on ``reply_fd``, until EOF; the exit code.

    The entry point of a cold-started worker (``main``) and of one forked by the zygote.
    """
    channel = _Channel(request_fd, reply_fd, max_bytes)
    try:
        return _serve(channel)
    except (EOFError, BrokenPipeError, protocol.WireError):
        return 65


def rehearse(rounds: int = 16) -> None:
    """Run the codec's hot paths on made-up messages: what a zygote does before it forks.

    Python specialises a function's bytecode once it has run a few times (8 in 3.11): workers
    forked afterwards inherit the codec specialised, instead of each doing that work (and
    writing those pages) again. Only our own functions on our own data run here.
    """
    array = numpy.arange(6.0).reshape(3, 2)
    call = {"op": "call", "name": "f", "args": (array, 0.5, [1, 2.0]), "kwargs": {}}
    header, calls = {"op": "call_many", "id": 1}, [{**call, "timeout": 1.0}] * 4
    reply = {
        **_reply("ok", protocol.Budgeted((array[0], 2.5), 1 << 16), "", [], 0.001),
        "args_after": [
            _reported(0.5, 0.5, protocol.snapshot(0.5), 64),
            _reported(array, array + 1, protocol.snapshot(array), 1 << 16),
        ],
        "id": 1,
    }
    for _ in range(rounds):
        protocol.decode(protocol.encode(header))
        protocol.decode(protocol.encode(calls))
        protocol.decode(protocol.encode(reply))


def main(argv: list[str]) -> int:
    """Serve requests from fd ``argv[1]``, replying on fd ``argv[2]``, until EOF."""
    if sys.path and os.path.abspath(sys.path[0]) == _HERE:
        del sys.path[0]  # the student's ``import protocol`` should not find ours
    max_bytes = int(argv[3]) if len(argv) > 3 else protocol.DEFAULT_MAX_BYTES
    return serve(int(argv[1]), int(argv[2]), max_bytes)


def exit_now(code: int) -> None:
    """Flush and leave at once: a thread the student left running must not keep us alive."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)


if __name__ == "__main__":
    exit_now(main(sys.argv))
