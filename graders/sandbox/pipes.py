"""Talking to one live worker: framed requests and replies on its pipes, its output drained.

One reason to change: the transport between the grader and a running worker. ``_Worker`` sends
a request and reads one protocol message back within a deadline (raising ``_Deadline`` or
``_Died``), a thread drains the student's stdout/stderr into an ``_OutputSink`` that keeps at
most ``cap`` bytes, and ``_Worker.stop`` kills the worker through its ``_Handle`` (a cold
process or a zygote job, see ``launch.py``). The underscored names are package-private: the
session and the launcher use them, nothing outside the sandbox does.
"""

from __future__ import annotations

import fcntl
import os
import select
import threading
import time
from typing import Protocol

from graders.sandbox import proctree, protocol

_READ_CHUNK = 1 << 20


class _Deadline(Exception):
    """The worker did not answer in time."""


class _OutOfTime(_Deadline):
    """The submission's total time budget ran out (before or while a request ran)."""


class _Died(Exception):
    """The worker's pipe closed: it exited or was killed."""

    def __init__(self, how: str) -> None:
        super().__init__(how)
        self.how = how


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

    @property
    def warm(self) -> bool: ...

    def wait(self, timeout: float) -> int | None: ...

    def stop(self) -> None: ...


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
        return self.handle.warm

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
        return proctree.describe_exit(code, bwrap=False)

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
