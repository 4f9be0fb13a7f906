"""Spare workers (``graders.sandbox.spares``): the next submission's worker, forked ahead.

Behaviour only, never timing: which session a spare serves, when it is discarded, and that
no spare outlives the pool or the grader process that made it. Both isolation layers
(``GRADER_ISOLATION=process`` runs these on the process layer).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from graders.executors import LocalPool, TaskOutcome
from graders.load import load_source
from graders.sandbox import SandboxConfig, WorkerSession, pool, proctree, spares
from tests.sandbox.waiting import gone, wait_for

SOURCE = (
    "def twice(x):\n    return 2 * x\n\ndef heights():\n    return open('heights.csv').read()\n"
)
CONFIG = SandboxConfig(call_timeout=5.0)


def ready_spare() -> spares.Spare:
    """The spare of this process, once its preparation has finished."""
    thread = spares._preparing
    if thread is not None:
        thread.join(30)
    spare = spares._spare
    assert spare is not None, spares.counts()
    return spare


def spare_pids(spare: spares.Spare) -> list[int]:
    """The spare's processes (host pids), the waiting worker last: under bwrap the worker
    alone (the zygote watches it), on the process layer its monitor and then the worker."""
    assert wait_for(lambda: spare.worker.handle.pid is not None)
    top = spare.worker.handle.pid
    assert top is not None
    if spare.worker.handle.job.monitored:  # a spare is always a zygote's job
        # The monitor forks the worker after it starts itself: wait for that, not only the pid.
        assert wait_for(lambda: bool(proctree.descendants(top)))
    return [top, *proctree.descendants(top)]


@pytest.fixture
def keeping() -> Iterator[None]:
    spares.keep_spares()
    try:
        yield
    finally:
        spares.keep_spares(False)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "heights.csv"
    path.write_text("h\n1.7\n")
    return path


def grade(config: SandboxConfig) -> tuple[bool, object, object]:
    """Run the submission; whether a spare served it, and two answers."""
    with WorkerSession(load_source(SOURCE), config) as session:
        return session.from_spare, session.call("twice", 21).value, session.call("heights").value


def test_the_next_submission_is_served_by_the_spare(keeping: None, data: Path) -> None:
    config = SandboxConfig(call_timeout=5.0, data_files=(data,))
    before = spares.counts()
    first = grade(config)
    ready_spare()
    second = grade(config)
    assert first == (False, 42, "h\n1.7\n")
    assert second == (True, 42, "h\n1.7\n")  # the same answers, the data file there too
    assert spares.counts()["taken"] == before["taken"] + 1


def test_a_spare_is_never_served_twice(keeping: None) -> None:
    grade(CONFIG)
    spare = ready_spare()
    pids = spare_pids(spare)
    with WorkerSession(load_source(SOURCE), CONFIG) as session:
        assert session.from_spare and session.worker_pid == pids[0]
        assert spares._spare is not spare
    # Its session closed it: its processes are gone, and the next spare is another one.
    assert wait_for(lambda: gone(pids))
    assert ready_spare() is not spare
    assert not spare.root.exists()


def test_a_spare_of_another_configuration_is_discarded(keeping: None, data: Path) -> None:
    grade(CONFIG)
    spare = ready_spare()
    pids = spare_pids(spare)
    discarded = spares.counts()["discarded"]
    other = SandboxConfig(call_timeout=5.0, data_files=(data,))  # other data files
    assert grade(other) == (False, 42, "h\n1.7\n")
    assert spares.counts()["discarded"] == discarded + 1
    assert wait_for(lambda: gone(pids))
    assert not spare.root.exists()
    limits = SandboxConfig(call_timeout=5.0, data_files=(data,), memory_mb=1024)
    ready_spare()
    assert grade(limits)[0] is False  # other limits


def test_a_data_file_changed_since_the_spare_was_made_is_not_served_stale(
    keeping: None, data: Path
) -> None:
    config = SandboxConfig(call_timeout=5.0, data_files=(data,))
    grade(config)
    ready_spare()
    data.write_text("h\n1.8\n")
    assert grade(config) == (False, 42, "h\n1.8\n")


@pytest.mark.bwrap
def test_the_spare_serves_the_bwrap_layer(keeping: None) -> None:
    config = SandboxConfig(call_timeout=5.0, isolation="bwrap")
    grade(config)
    ready_spare()
    with WorkerSession(load_source(SOURCE), config) as session:
        assert (session.from_spare, session.isolation, session.warm) == (True, "bwrap", True)


def test_a_spare_killed_while_waiting_is_replaced_and_the_submission_grades(
    keeping: None,
) -> None:
    grade(CONFIG)
    spare = ready_spare()
    pids = spare_pids(spare)
    assert len(pids) == (2 if spare.worker.handle.job.monitored else 1)  # the waiting worker last
    os.kill(pids[-1], signal.SIGKILL)
    assert wait_for(lambda: spare.worker.handle.wait(0) is not None)
    assert grade(CONFIG)[:2] == (False, 42)
    assert wait_for(lambda: gone(pids))


def test_a_spare_that_dies_during_its_greeting_is_replaced(
    keeping: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    grade(CONFIG)
    spare = ready_spare()
    pids = spare_pids(spare)
    # Looks alive when taken, dies before it says hello: the session starts a worker itself.
    monkeypatch.setattr(type(spare.worker.handle), "wait", lambda self, timeout: None)
    os.kill(pids[-1], signal.SIGKILL)
    with WorkerSession(load_source(SOURCE), CONFIG) as session:
        monkeypatch.undo()
        assert session.from_spare is False
        assert session.call("twice", 21).value == 42
        assert session.output == ""  # nothing of the dead spare's start
    assert wait_for(lambda: gone(pids))


def test_pool_shutdown_leaves_no_spare_alive(keeping: None) -> None:
    grade(CONFIG)
    spare = ready_spare()
    pids = spare_pids(spare)
    pool.shutdown()
    assert spares._spare is None
    assert wait_for(lambda: gone(pids))
    assert not spare.root.exists()


def test_a_process_that_does_not_keep_spares_makes_none() -> None:
    spares.keep_spares(False)
    made = spares.counts()["prepared"]
    grade(CONFIG)
    assert spares._preparing is None or not spares._preparing.is_alive()
    assert spares._spare is None and spares.counts()["prepared"] == made


def grade_and_report(task: str) -> TaskOutcome[str, str]:
    """A LocalPool task: grade in a sandbox, then say whether a spare served it and which
    processes the next spare is (``from_spare pid ...``)."""
    served = grade(CONFIG)[0]
    pids = spare_pids(ready_spare())
    return TaskOutcome(task, result=" ".join([str(served), *map(str, pids)]))


@pytest.mark.slow
def test_closing_the_local_pool_leaves_no_spare_alive() -> None:
    with LocalPool(1, work=grade_and_report) as executor:
        results = [o.result for o in executor.run(["a", "b"])]
    assert all(r is not None for r in results), results
    fields = [str(r).split() for r in results]
    assert [f[0] for f in fields] == ["False", "True"]  # the second task took the first's spare
    pids = [int(pid) for f in fields for pid in f[1:]]
    assert wait_for(lambda: gone(pids)), pids
