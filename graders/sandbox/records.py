"""The records a session is configured with and answers in: plain, frozen data.

One reason to change: what a caller may ask of a sandbox (``SandboxConfig``, ``PlannedCall``)
and what it gets back (``CellReport``, ``CallOutcome``). No behaviour lives here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from graders.sandbox import protocol

__all__ = ["CallOutcome", "CellReport", "PlannedCall", "SandboxConfig"]


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
    hidden
        Host folders the student's code must never see, besides the grader's own files: a
        batch's submissions folder (the other students' files) and its output folder. Hidden
        on both layers (an empty tmpfs over each under bwrap, no Landlock rule on the process
        layer) wherever the worker's view would otherwise include them.
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
    hidden: tuple[Path, ...] = ()


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
        The positional arguments as they were after the call (for mutation checks). An
        argument the worker found exactly as sent is the very object the grader sent.
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
