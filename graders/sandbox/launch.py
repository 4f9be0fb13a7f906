"""Bringing one worker to life: forked from the warm zygote, or exec'd cold.

One reason to change: how a worker process is started and stopped. ``start_worker`` is two
steps. ``spawn_worker`` (what depends on the configuration only) makes the worker's three
pipes, opens the data files a bwrap worker gets copied into its tmpfs and starts the worker
(``pool.Zygote.spawn`` or ``cmdline.worker_command`` + ``subprocess``), which confines itself
and waits; ``greet`` (what depends on the submission) sends the ``init`` request with the
limits and the module name and waits for the hello. A spare (``spares.py``) is the first step
taken ahead of time. ``_ColdProcess`` and ``_WarmJob`` are the two kinds of ``pipes._Handle``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from graders.errors import SandboxError
from graders.sandbox import cmdline, isolation, pool, proctree, protocol
from graders.sandbox.pipes import (
    _Deadline,
    _Died,
    _drain,
    _Handle,
    _OutputSink,
    _widen_pipe,
    _Worker,
)
from graders.sandbox.records import SandboxConfig
from graders.sandbox.scratch import _MAX_BOUND_FILES, _data_entries

__all__ = ["greet", "spawn_worker", "start_worker"]

_OPEN_FILES = 256
_PROCESSES = 256


class _ColdProcess:
    """A worker started by exec (bwrap or python), in its own session and process group."""

    def __init__(self, process: subprocess.Popen[bytes], *, bwrap: bool) -> None:
        self.process = process
        self.bwrap = bwrap

    warm = False

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
            proctree.kill_all(proctree.descendants(process.pid))
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

    warm = True

    @property
    def pid(self) -> int | None:
        return self.job.pid

    def wait(self, timeout: float) -> int | None:
        return self.job.wait(timeout)

    def stop(self) -> None:
        self.job.stop()


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

    The worker is forked from ``zygote`` when one is given, else started cold (exec'd): it is
    :func:`spawn_worker` followed by :func:`greet`.

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
    worker = spawn_worker(
        plan, info, code_dir=code_dir, scratch=scratch, config=config, sink=sink, zygote=zygote
    )
    return worker, greet(worker, config=config, sink=sink, module_name=module_name)


def spawn_worker(
    plan: isolation.Plan,
    info: isolation.InterpreterInfo,
    *,
    code_dir: Path,
    scratch: Path,
    config: SandboxConfig,
    sink: _OutputSink,
    zygote: pool.Zygote | None = None,
) -> _Worker:
    """Start one worker for ``config``, its output drained into ``sink``; no request is sent.

    The worker confines itself (mounts, Landlock, capabilities) and then waits for the
    ``init`` that :func:`greet` sends: no limit is applied and no clock runs before that, so a
    worker spawned ahead of its submission (a spare, ``spares.py``) is charged nothing for
    the wait. Nothing here depends on a submission.

    Raises
    ------
    pool.ZygoteUnavailable
        If ``zygote`` could not fork the worker (start it cold instead).
    SandboxError
        If the worker cannot be started.
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
    return _Worker(handle, request_write, reply_read, drain, max_bytes=config.max_message_bytes)


def greet(
    worker: _Worker, *, config: SandboxConfig, sink: _OutputSink, module_name: str
) -> dict[str, Any]:
    """Send a spawned worker its ``init`` (limits, module name) and wait for its hello.

    The rlimits and the seccomp filter are applied by the worker when this arrives, and
    ``config.startup_timeout`` counts from now. On failure the worker is stopped.

    Returns
    -------
    dict
        The hello payload (``notes``, ``python``, ``numpy``).

    Raises
    ------
    SandboxError
        If the worker died, does not say hello in time, or says something else.
    """
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
    value: dict[str, Any] = hello["value"]
    return value


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
    argv, env = cmdline.worker_command(
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
