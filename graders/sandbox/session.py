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
starts. In a process that keeps spares (``spares.py``) the first worker may be one forked and
confined before this submission was known, for exactly this configuration; it gets its limits
and module name here, like any other.

A session is not thread-safe. A cold bwrap worker must be closed by a thread that outlives it
(``--die-with-parent`` ties the sandbox to the thread that started it); a warm one lives until
its session closes it, or the grader process ends, whichever thread started it.

One reason to change: what a session does for one submission (the order of its operations,
its budgets and restarts, the outcome of each ending). Starting workers is ``launch.py``'s,
talking to them ``pipes.py``'s, checking their replies ``replies.py``'s, the records
``records.py``'s. Over 500 lines because ``WorkerSession`` is one class whose public calls,
worker lifecycle and outcomes share one state (the budget spent, the restarts, the cells to
replay): cutting it apart would pass that state around instead of keeping it in one place.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graders.errors import SandboxError
from graders.sandbox import functions, isolation, leftovers, pool, protocol, spares
from graders.sandbox.launch import greet, start_worker
from graders.sandbox.pipes import _Deadline, _Died, _OutOfTime, _OutputSink, _Worker
from graders.sandbox.records import CallOutcome, CellReport, PlannedCall, SandboxConfig
from graders.sandbox.replies import _array_safe, _checked_reply
from graders.sandbox.scratch import (
    _check_readable,
    _data_entries,
    _host_copies,
    _private_copy,
    _remove_private,
)
from graders.sandbox.sent_calls import sent_calls

if TYPE_CHECKING:
    from types import TracebackType

    from graders.load import Cell, Submission

__all__ = ["WorkerSession"]


class _GaveUp(Exception):
    """No more restarts are allowed."""


def _check_specs(values: Sequence[object]) -> None:
    for value in values:
        if isinstance(value, protocol.FunctionSpec):
            functions.validate(value.family, value.params)


class _Resources:
    """What a session must give back, also on garbage collection."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.worker: _Worker | None = None

    def release(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        _remove_private(self.root)


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
        config: SandboxConfig = SandboxConfig(),  # noqa: B008 -- frozen, so shared safely
        *,
        spent: float = 0.0,
    ) -> None:
        self._config = config
        self._total = config.submission_timeout
        self._spent = float(spent)
        self._cells: tuple[Cell, ...] = tuple(submission.cells)
        self._module_name = "__main__" if submission.kind == "ipynb" else "submission"
        self._info = isolation.describe_interpreter(config.python)
        self._plan = isolation.plan_isolation(
            config.isolation, self._info.python, hidden=config.hidden
        )
        self.isolation: str = self._plan.kind
        self._notes: list[str] = [self._plan.note] if self._plan.note else []
        # A worker under the grader's own uid could open /proc/<grader>/mem: root's too, when
        # uid 65534 cannot run the interpreter and the worker stays uid 0 without capabilities.
        if self._plan.kind == "process" and self._plan.user is None:
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
        # A spare made for this very configuration (spares.py) brings its directories and
        # its waiting worker, which is this session's from now on (stopped with it).
        spare = spares.take(self._plan, self._info, config, self._zygote)
        self._resources = _Resources(
            leftovers.private_dir("sandbox") if spare is None else spare.root
        )
        self._finalizer = weakref.finalize(self, self._resources.release)
        if spare is not None:
            self._resources.worker = spare.worker
        self._from_spare = False
        self._restarts = 0
        self._next_id = 0
        self._replay: list[Cell] = []
        self.cell_reports: tuple[CellReport, ...] = ()
        self.cells_seconds = 0.0
        self.startup_seconds = 0.0
        try:
            # bwrap copies the data files straight into the worker's tmpfs; else a host copy.
            if spare is None:
                self._code_dir, self._scratch = _private_copy(
                    self._resources.root,
                    _host_copies(self._plan, config.data_files),
                    owner=self._plan.user,
                )
            else:
                self._code_dir, self._scratch = spare.code_dir, spare.scratch
            _check_readable(self._plan, config.data_files)
            started = time.monotonic()
            self._spawn(spare)
            self.startup_seconds = time.monotonic() - started
            # The next submission's worker confines itself while this one is graded.
            spares.prepare(self._plan, self._info, config, self._zygote)
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

        bwrap or python for a cold worker; for one forked by the zygote, the worker itself
        under bwrap (the zygote watches it) or its monitor on the process layer (whose only
        child is the worker). None when there is no worker or it cannot be found.
        """
        worker = self._resources.worker
        return None if worker is None else worker.handle.pid

    @property
    def warm(self) -> bool:
        """Whether the current worker was forked from the warm zygote (else started cold)."""
        worker = self._resources.worker
        return worker is not None and worker.warm

    @property
    def from_spare(self) -> bool:
        """Whether the first worker was a spare made ahead of this submission (``spares.py``)."""
        return self._from_spare

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
        return self._ask(request, budget, f"calling `{name}`", sent=planned.args)

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
        # The calls travel as a message of their own after the header: a correct submission
        # sends the same lists as the last one, whose bytes are remembered (``sent_calls``).
        data = self._encoded({"op": "call_many", "id": self._next_id})
        data += sent_calls(self._config.max_message_bytes).encoded(requests, self._encoded)
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
                outcomes.append(self._outcome(reply, budget, what, sent=call.args))
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

    def _spawn(self, spare: spares.Spare | None = None) -> None:
        worker: _Worker | None = None
        if spare is not None:
            try:
                hello = greet(
                    spare.worker,
                    config=self._config,
                    sink=spare.sink,
                    module_name=self._module_name,
                )
            except SandboxError:
                # It died while waiting (greet stopped it): start one as without a spare.
                self._resources.worker = None
            else:
                worker, self._sink, self._from_spare = spare.worker, spare.sink, True
        if worker is None and self._zygote is not None:
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

    def _encoded(self, request: object) -> bytes:
        try:
            return protocol.encode(request, max_bytes=self._config.max_message_bytes)
        except protocol.Unencodable as exc:
            raise TypeError(f"cannot send {exc.type_name} to the sandbox: {exc.summary}") from exc

    # ---------------------------------------------------------------- operations

    def _cell_request(self, cell: Cell, *, quiet: bool) -> dict[str, Any]:
        return {
            "op": "run_cell",
            "number": cell.number,
            "label": cell.frame_label,
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
        cell, later = self._cells[index], len(self._cells) - index - 1
        if not later:
            return self._cell_out_of_time(f"{cell.name} was not run", cell.number)
        return self._cell_out_of_time(
            f"{cell.name} and the {later} cells after it were not run", cell.number
        )

    def _cell_out_of_time(self, what: str, number: int) -> CellReport:
        budget = f"this submission's total time budget ({self._total or 0:g} s) ran out"
        return CellReport(number, "timeout", f"{what}: {budget}")

    def _run_cell(self, cell: Cell) -> CellReport:
        number, name = cell.number, cell.name
        skipped = f"{name} ran longer than {self._config.cell_timeout:g} s and was skipped"
        try:
            self._ensure_worker()
            reply = self._exchange(self._cell_request(cell, quiet=False), self._config.cell_timeout)
        except _GaveUp as exc:
            return CellReport(number, "error", f"{name} was not run: {exc}")
        except _OutOfTime:
            return self._cell_out_of_time(f"{name} was stopped", number)
        except _Deadline:
            return CellReport(number, "timeout", skipped)
        except _Died as exc:
            return CellReport(
                number,
                "error",
                f"{name} stopped the Python process "
                f"running it ({exc.how}); later cells ran in a fresh process",
            )
        except protocol.WireError as exc:
            return CellReport(
                number,
                "error",
                f"{name} broke the connection between "
                f"the grader and your code ({exc}); later cells ran in a fresh "
                "process",
            )
        status = reply["status"]
        if status == "timeout" and self.out_of_time:
            return self._cell_out_of_time(f"{name} was stopped", number)
        if status == "timeout":
            return CellReport(number, "timeout", skipped)
        self._replay.append(cell)
        if status == "ok":
            return CellReport(number, "ok", "")
        message = reply["message"] or "an error was raised"
        if not message.startswith(cell.frame_label or "line "):  # no frame of this cell named
            message = f"{name}: {message}"
        return CellReport(number, "error", message)

    def _ask(
        self,
        request: dict[str, Any],
        budget: float,
        what: str,
        *,
        sent: tuple[object, ...] = (),
    ) -> CallOutcome:
        """Run one call/value/defined request and turn every ending into a CallOutcome
        (``sent``: a call's positional arguments, as ``_outcome`` takes them)."""
        try:
            self._ensure_worker()
            reply = self._exchange(request, budget)
        except _GaveUp as exc:
            return CallOutcome("crashed", None, f"{what} was not attempted: {exc}", None, 0.0)
        except (_Deadline, _Died, protocol.WireError) as exc:
            return self._broken(exc, budget, what)
        return self._outcome(reply, budget, what, sent=sent)

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

    def _outcome(
        self,
        reply: dict[str, Any],
        budget: float,
        what: str,
        *,
        sent: tuple[object, ...] = (),
    ) -> CallOutcome:
        """The outcome of a request the worker answered; ``sent`` are the positional arguments
        of a call, which its reply's ``Unchanged`` stand for."""
        status = reply["status"]
        after = reply["args_after"]
        args_after = _arguments_after(after, sent) if after is not None else None
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


def _arguments_after(after: list[Any], sent: tuple[object, ...]) -> tuple[object, ...]:
    """A reply's ``args_after`` as the checks read it: each ``Unchanged`` replaced by the very
    argument sent in its place (the worker found it unchanged), every other item re-checked.

    An ``Unchanged`` with no argument in its place (a forged reply) stays no evidence either
    way: it becomes an ``Unsupported``, as a value too large to send back does.
    """
    return tuple(
        (sent[i] if i < len(sent) else _NO_ARGUMENT)
        if type(item) is protocol.Unchanged
        else _array_safe(item)
        for i, item in enumerate(after)
    )


_NO_ARGUMENT = protocol.Unsupported("value", "reported unchanged, but no argument was sent there")
