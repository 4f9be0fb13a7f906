"""Spare workers: the next submission's worker, forked while the current one is graded.

Forking a worker from the zygote and letting it confine itself (namespaces, mounts, Landlock,
capabilities) takes tens of milliseconds, and none of it depends on the submission. A grader
process that grades one submission after another (a ``LocalPool`` process, which calls
:func:`keep_spares`) therefore keeps one *spare* per process: when a session's worker has said
hello, a background thread prepares the next worker with :func:`launch.spawn_worker`, and the
next session with the same configuration takes it instead of starting one.

What a spare holds is what the configuration decides, nothing of any submission: a fresh
private directory (the worker's code; on the process layer its scratch with the data files),
the forked, confined worker blocked reading its request pipe, and the output sink its drain
thread fills. What belongs to the submission is attached when a session takes it: the ``init``
request (``launch.greet``: the rlimits and seccomp filter are applied then, the module name is
set, and ``startup_timeout`` counts from then), then the cells. The worker is blocked while it
waits, so it spends no CPU time: RLIMIT_CPU, which counts from the fork, finds the same time
used (the confinement's) as for a worker started on demand; and every wall clock of a session
starts at its own requests.

Rules that keep a spare safe: it is taken at most once (popped under the lock, then owned and
stopped by its session like any other worker, never put back); it is stopped, not used, when
the next session's configuration differs (any ``SandboxConfig`` field, the isolation plan, the
interpreter, the zygote, or any data file's stat), when it died while waiting (the session
then starts a worker as it would have without a spare), and by :func:`discard_spares`, which
``pool.shutdown`` (also at exit) and a ``LocalPool`` process's exit call. A process forked
from one holding a spare forgets it: it is the parent's.

One reason to change: when a worker is started ahead of its submission and when it is used.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from graders.errors import SandboxError
from graders.sandbox import isolation, launch, leftovers, pool
from graders.sandbox.pipes import _OutputSink, _Worker
from graders.sandbox.records import SandboxConfig
from graders.sandbox.scratch import _host_copies, _private_copy, _remove_private

__all__ = ["counts", "discard_spares", "keep_spares"]

_JOIN_SECONDS = 15.0  # a preparation is bounded by the zygote's own 10 s answer timeout

_lock = threading.Lock()
_wanted = False
_spare: Spare | None = None
_preparing: threading.Thread | None = None
_generation = 0  # bumped by discard_spares: a preparation started before it is stopped
_owner = os.getpid()
_counts = {"prepared": 0, "taken": 0, "discarded": 0}

_Stat = tuple[str, int, int, int, int, int, int]


@dataclass(frozen=True)
class _Key:
    """Everything a spare was made with; a session with any other value starts its own."""

    config: SandboxConfig
    plan: isolation.Plan
    python: str
    data: tuple[_Stat, ...] | None


@dataclass
class Spare:
    """A confined worker waiting for its ``init``, with the directories and sink it was made
    with; package-private (``session.py`` adopts it)."""

    key: _Key
    zygote: pool.Zygote
    root: Path
    code_dir: Path
    scratch: Path
    worker: _Worker
    sink: _OutputSink

    def discard(self) -> None:
        """Stop the worker and delete the directories."""
        self.worker.stop()
        _remove_private(self.root)


def keep_spares(wanted: bool = True) -> None:
    """Keep a spare worker in this process from now on (or, False, no longer)."""
    global _wanted
    with _lock:
        _forget_inherited()
        _wanted = wanted
    if not wanted:
        discard_spares()


def counts() -> dict[str, int]:
    """How many spares this process prepared, had taken by a session, and discarded."""
    with _lock:
        return dict(_counts)


def discard_spares() -> None:
    """Stop the spare and any being prepared; the next session starts its own worker."""
    global _spare, _generation
    with _lock:
        _forget_inherited()
        _generation += 1
        thread, spare, _spare = _preparing, _spare, None
    if thread is not None and thread is not threading.current_thread():
        thread.join(_JOIN_SECONDS)  # what it makes now is stopped: the generation changed
    if spare is not None:
        _discard(spare)


def _forget_inherited() -> None:
    """Called with the lock held: forked from the process that made them, forget its spares
    (their pipes and kill switch are the parent's; stopping them here would stop its)."""
    global _owner, _spare, _preparing
    if _owner != os.getpid():
        _owner = os.getpid()
        _spare = None
        _preparing = None


def _discard(spare: Spare) -> None:
    spare.discard()
    with _lock:
        _counts["discarded"] += 1


def _key(plan: isolation.Plan, info: isolation.InterpreterInfo, config: SandboxConfig) -> _Key:
    return _Key(config, plan, info.python, _fingerprint(config.data_files))


def _fingerprint(data_files: tuple[Path, ...]) -> tuple[_Stat, ...] | None:
    """The stat of every data file and directory below them; None if one cannot be read.

    A file rewritten, renamed over, resized, touched or re-permissioned since the spare copied
    it (ctime changes with every one of these) no longer matches.
    """
    stats: list[_Stat] = []
    try:
        for source in data_files:
            for path in [source, *(sorted(source.rglob("*")) if source.is_dir() else [])]:
                st = path.stat()
                stats.append(
                    (
                        str(path),
                        st.st_mode,
                        st.st_dev,
                        st.st_ino,
                        st.st_size,
                        st.st_mtime_ns,
                        st.st_ctime_ns,
                    )
                )
    except OSError:
        return None
    return tuple(stats)


def take(
    plan: isolation.Plan,
    info: isolation.InterpreterInfo,
    config: SandboxConfig,
    zygote: pool.Zygote | None,
) -> Spare | None:
    """The spare, if it was made for exactly this and is still alive; the caller owns it.

    A spare that does not match, or died, is stopped. Never raises for the spare's sake.
    """
    global _spare
    with _lock:
        _forget_inherited()
        thread = _preparing
    if thread is not None:
        thread.join(_JOIN_SECONDS)  # it was started a whole submission ago: done, or nearly
    with _lock:
        spare, _spare = _spare, None
    if spare is None:
        return None
    data = _fingerprint(config.data_files)
    if (
        zygote is None
        or spare.zygote is not zygote
        or not zygote.alive
        or spare.key != _Key(config, plan, info.python, data)
        or spare.key.data is None
        or spare.worker.handle.wait(0) is not None  # died while waiting
    ):
        _discard(spare)
        return None
    with _lock:
        _counts["taken"] += 1
    return spare


def prepare(
    plan: isolation.Plan,
    info: isolation.InterpreterInfo,
    config: SandboxConfig,
    zygote: pool.Zygote | None,
) -> None:
    """Start making a spare for ``config`` in the background, if this process keeps one and
    none is ready or being made. Never raises."""
    global _preparing
    if zygote is None:
        return
    with _lock:
        _forget_inherited()
        if not _wanted or (_preparing is not None and _preparing.is_alive()):
            return
        if _spare is not None and _spare.zygote is zygote and _spare.key.config == config:
            return
        thread = threading.Thread(
            target=_make,
            args=(plan, info, config, zygote, _generation),
            name="sandbox-spare",
            daemon=True,
        )
        _preparing = thread
        thread.start()


def _make(
    plan: isolation.Plan,
    info: isolation.InterpreterInfo,
    config: SandboxConfig,
    zygote: pool.Zygote,
    generation: int,
) -> None:
    """The background thread's work: directories, then the fork; kept if still wanted."""
    global _spare
    key = _key(plan, info, config)  # before copying: a file changed meanwhile will not match
    if key.data is None:
        return
    root = leftovers.private_dir("sandbox")
    try:
        code_dir, scratch = _private_copy(
            root, _host_copies(plan, config.data_files), owner=plan.user
        )
        sink = _OutputSink(config.output_cap)
        worker = launch.spawn_worker(
            plan, info, code_dir=code_dir, scratch=scratch, config=config, sink=sink, zygote=zygote
        )
    except (pool.ZygoteUnavailable, SandboxError, OSError):
        _remove_private(root)  # the next session meets the same problem and reports it
        return
    made = Spare(key, zygote, root, code_dir, scratch, worker, sink)
    unwanted: Spare | None = made
    with _lock:
        if _wanted and generation == _generation and _owner == os.getpid():
            _counts["prepared"] += 1
            unwanted, _spare = _spare, made  # the one it replaces (if any) is stopped below
    if unwanted is not None:
        _discard(unwanted)


pool.on_shutdown(discard_spares)
