"""The warm zygote: workers forked from it keep the isolation of cold-started ones."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import graders
from graders.load import Cell, Submission
from graders.sandbox import SandboxConfig, WorkerSession, cmdline, isolation, pool
from graders.sandbox.proctree import descendants as _descendants
from tests.sandbox.waiting import gone, wait_for

REPO = Path(graders.__file__).resolve().parents[1]
CONFIG = SandboxConfig(cell_timeout=1.0, call_timeout=2.0, output_cap=4096)
PROBE = """\
import os, random, sys
import numpy as np

def ok():
    return "alive"

def pid():
    return os.getpid()

def listing(directory):
    return sorted(os.listdir(directory))

def leave(path, text):
    with open(path, "w") as handle:
        handle.write(text)
    return True

def read(path):
    with open(path) as handle:
        return handle.read()

def status():
    with open("/proc/self/status") as handle:
        fields = dict(line.split(":", 1) for line in handle if ":" in line)
    return {key: fields[key].strip() for key in
            ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp")}

def writable_mounts():
    top = {}
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            top[fields[4]] = fields[5].split(",")  # a later mount hides an earlier one
    return [point for point, options in top.items() if "rw" in options]

def randomness():
    return float(np.random.random()), random.random()

def environment():
    return dict(os.environ)

def modules():
    return sorted(name for name in ("sklearn", "pandas", "scipy.special") if name in sys.modules)
"""


def notebook(source: str = PROBE) -> Submission:
    return Submission(
        path=Path("probe.ipynb"),
        kind="ipynb",
        sha256="0" * 64,
        cells=(Cell(1, textwrap.dedent(source)),),
    )


@pytest.fixture(scope="module")
def warm() -> Iterator[WorkerSession]:
    with WorkerSession(notebook(), CONFIG) as session:
        if not session.warm:
            pytest.skip(f"no zygote here: {pool.failures()}")
        yield session


# ------------------------------------------------------------------------------ defaults


def test_workers_are_forked_from_the_zygote_by_default(warm: WorkerSession) -> None:
    assert warm.warm and warm.call("ok").value == "alive"
    assert warm.startup_seconds < 5  # a loose bound: this is not a timing test


def test_the_zygote_can_be_turned_off() -> None:
    config = dataclasses.replace(CONFIG, zygote=False)
    with WorkerSession(notebook(), config) as session:
        assert not session.warm
        assert session.call("ok").value == "alive"


def test_the_zygote_preloads_the_libraries_and_is_undumpable(warm: WorkerSession) -> None:
    zygotes = [z for z in pool._zygotes.values() if z.alive]
    assert zygotes and all(not z.dumpable for z in zygotes)
    assert "numpy" in zygotes[0].preloaded
    assert warm.call("modules").value == [m for m in ("pandas", "scipy.special", "sklearn")]


PLOTTER = """\
import os
import matplotlib
import matplotlib.pyplot as plt

fig, ax = plt.subplots(1, 2)
ax[0].plot([0, 1], [1, 0])
plt.savefig("figure.png")
plt.show()

def backend():
    return matplotlib.get_backend().lower()

def saved():
    return sorted(os.listdir("."))
"""


@pytest.mark.parametrize("variant", ["warm", "warm, pyplot preloaded", "cold"])
def test_plotting_code_runs_headless_beside_the_graded_code(variant: str) -> None:
    """Students plot between their functions: an import of pyplot must not lose the cell."""
    config = {
        "warm": CONFIG,
        "warm, pyplot preloaded": dataclasses.replace(
            CONFIG, preload=(*pool.PRELOAD, *pool.PLOTTING)
        ),
        "cold": dataclasses.replace(CONFIG, zygote=False),
    }[variant]
    config = dataclasses.replace(config, cell_timeout=30.0)  # a cold worker imports pyplot itself
    with WorkerSession(notebook(PLOTTER), config) as session:
        assert [r.status for r in session.cell_reports] == ["ok"], session.cell_reports
        assert session.call("backend").value == "agg"  # nothing is ever shown
        saved = session.call("saved").value
        if session.isolation == "process":  # no private /tmp: matplotlib's cache sits beside it
            saved = [name for name in saved if name != "matplotlib"]
        assert saved == ["figure.png"]  # in its own scratch directory
        assert session.warm == (variant != "cold")
    if variant == "warm, pyplot preloaded":
        preloads = [z.preloaded for z in pool._zygotes.values() if z.alive]
        assert any("matplotlib.pyplot" in loaded for loaded in preloads)


def _job_independent(environment: object) -> object:
    """The environment with each job's own scratch path (process layer: per job) replaced."""
    assert isinstance(environment, dict)
    scratch = os.path.dirname(str(environment["HOME"])) if "HOME" in environment else ""
    if not scratch.startswith(tempfile.gettempdir() + "/grader-sandbox-"):
        return environment
    return {key: str(value).replace(scratch, "<job>") for key, value in environment.items()}


def test_a_warm_worker_sees_the_same_environment_as_a_cold_one(warm: WorkerSession) -> None:
    with WorkerSession(notebook(), dataclasses.replace(CONFIG, zygote=False)) as cold:
        ours, theirs = warm.call("environment").value, cold.call("environment").value
        assert _job_independent(ours) == _job_independent(theirs)


def test_every_worker_gets_fresh_random_state() -> None:
    with WorkerSession(notebook(), CONFIG) as one, WorkerSession(notebook(), CONFIG) as two:
        assert one.call("randomness").value != two.call("randomness").value


# ------------------------------------------------------------------------------ isolation


@pytest.mark.bwrap
def test_a_warm_worker_has_no_capabilities_and_is_filtered(warm: WorkerSession) -> None:
    status = warm.call("status").value
    assert isinstance(status, dict)
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[key], 16) == 0, status
    assert status["NoNewPrivs"] == "1"
    assert status["Seccomp"] == "2"  # a filter is installed


@pytest.mark.bwrap
def test_a_worker_started_while_another_runs_holds_none_of_its_descriptors(
    warm: WorkerSession,
) -> None:
    # Under bwrap the zygote itself holds each running job's pidfd, kill and status pipes: a
    # worker forked meanwhile must close them (they would let it kill or forge another job).
    assert warm.call("ok").value == "alive"
    other = WorkerSession(notebook(), CONFIG)
    try:
        assert other.warm
        descriptors = other.call("listing", "/proc/self/fd").value
        assert isinstance(descriptors, list)
        # stdin, the output pipe twice, the request and reply pipes, and listdir's own.
        assert sorted(map(int, descriptors)) == [0, 1, 2, 3, 4, 5]
        assert other.call("pid").value == 1 and warm.call("ok").value == "alive"
    finally:
        other.close()


@pytest.mark.bwrap
def test_a_warm_worker_can_write_only_to_its_own_mounts(warm: WorkerSession) -> None:
    writable = warm.call("writable_mounts").value
    assert isinstance(writable, list)
    devices = {f"/dev/{name}" for name in ("null", "zero", "full", "random", "urandom", "tty")}
    # /proc/irq and /proc/bus belong to bwrap's /proc, hidden under the worker's own.
    visible = {path for path in writable if not path.startswith("/proc/")}
    assert visible <= {"/scratch", "/tmp", "/proc"} | devices, writable
    assert warm.call("pid").value == 1  # pid 1 of its own pid namespace
    assert warm.call("listing", "/proc").value[0] == "1"
    assert not [p for p in warm.call("listing", "/proc").value if p.isdigit() and p != "1"]


@pytest.mark.bwrap
def test_two_submissions_cannot_see_each_other() -> None:
    with WorkerSession(notebook(), CONFIG) as one, WorkerSession(notebook(), CONFIG) as two:
        assert one.warm and two.warm
        # An interpreter that lives under /tmp (a checkout cloned there) is bound at its own
        # path, so its top directory shows in every worker's otherwise empty /tmp.
        bound = isolation.describe_interpreter(sys.executable).directories
        skeleton = sorted({Path(d).parts[2] for d in bound if d.startswith("/tmp/")})
        for directory in ("/scratch", "/tmp"):
            assert one.call("leave", f"{directory}/secret.txt", "one's").value is True
            expected = skeleton if directory == "/tmp" else []
            assert two.call("listing", directory).value == expected
            assert one.call("read", f"{directory}/secret.txt").value == "one's"
        assert two.call("pid").value == one.call("pid").value == 1


def test_data_files_and_directories_reach_the_scratch_directory(tmp_path: Path) -> None:
    (tmp_path / "table.csv").write_text("a,b\n1,2\n")
    (tmp_path / "extra" / "deep").mkdir(parents=True)
    (tmp_path / "extra" / "deep" / "notes.txt").write_text("deep")
    files = (tmp_path / "table.csv", tmp_path / "extra")
    for zygote in (True, False):
        config = dataclasses.replace(CONFIG, data_files=files, zygote=zygote)
        with WorkerSession(notebook(), config) as session:
            assert zygote or not session.warm
            assert session.call("listing", ".").value == ["extra", "table.csv"]
            assert session.call("read", "extra/deep/notes.txt").value == "deep"
            assert session.call("read", "table.csv").value == "a,b\n1,2\n"


# ------------------------------------------------------------------------------ lifetimes


def test_closing_kills_the_worker_and_its_watcher(warm: WorkerSession) -> None:
    session = WorkerSession(notebook(), CONFIG)
    top = session.worker_pid
    assert session.warm and top is not None
    pids = [top, *_descendants(top)]
    # Under bwrap the zygote watches the worker itself; on the process layer a monitor does.
    handle = session._resources.worker.handle  # type: ignore[union-attr]
    assert len(pids) == (2 if handle.job.monitored else 1)
    if session.isolation == "bwrap" and _has_pidfds():
        assert not handle.job.monitored  # the one-fork start is the one in use
    session.close()
    assert wait_for(lambda: gone(pids), 2.0)


def _has_pidfds() -> bool:
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError):
        return False
    return True


def test_a_session_outlives_the_thread_that_started_it() -> None:
    """bwrap's --die-with-parent follows the starting *thread*: the zygote is not tied to it."""
    started: list[WorkerSession] = []
    thread = threading.Thread(target=lambda: started.append(WorkerSession(notebook(), CONFIG)))
    thread.start()
    thread.join()
    (session,) = started
    try:
        time.sleep(0.2)
        assert session.call("ok").value == "alive"
        assert session.restarts == 0
    finally:
        session.close()


def test_a_worker_that_will_not_stop_is_killed_with_its_namespace() -> None:
    stubborn = notebook(
        """\
        import signal, threading, time
        def ok():
            return "alive"
        def stubborn():
            for number in range(1, 32):  # ignore every signal that can be ignored
                try:
                    signal.signal(number, signal.SIG_IGN)
                except (OSError, ValueError, RuntimeError):
                    pass
            signal.setitimer(signal.ITIMER_REAL, 0)
            while True:
                pass
        """
    )
    with WorkerSession(stubborn, dataclasses.replace(CONFIG, call_timeout=0.3)) as session:
        first = session.worker_pid
        assert first is not None
        pids = [first, *_descendants(first)]
        outcome = session.call("stubborn")
        assert outcome.status == "timeout"
        assert wait_for(lambda: gone(pids), 2.0)
        assert session.call("ok").value == "alive" and session.restarts == 1


GRADER = """\
import sys, time
from pathlib import Path
from graders.load import Cell, Submission
from graders.sandbox import WorkerSession, pool
pool.PRELOAD = ("numpy",)  # a quicker zygote: this test is about lifetimes, not speed
submission = Submission(path=Path("s.py"), kind="py", sha256="0" * 64,
                        cells=(Cell(1, "import time\\ndef nap():\\n    time.sleep(600)\\n"),))
session = WorkerSession(submission)
zygote = next(iter(pool._zygotes.values()))
print(session.warm, zygote.pid, session.worker_pid, flush=True)
session.call("nap", timeout=600)
"""


def test_workers_and_zygote_die_with_the_grader() -> None:
    grader = subprocess.Popen(
        [sys.executable, "-c", GRADER],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        start_new_session=True,
    )
    try:
        assert grader.stdout is not None
        warm, zygote, top = grader.stdout.readline().split()
        if warm != "True":
            pytest.skip("no zygote here")
        pids = [int(zygote), *_descendants(int(zygote))]
        assert int(top) in pids and len(pids) >= 2
        time.sleep(0.3)  # the worker is asleep inside the call
    finally:
        os.kill(grader.pid, signal.SIGKILL)
        grader.wait()
    assert wait_for(lambda: gone(pids), 5.0), pids


# ------------------------------------------------------------------------------ fallback


def test_without_a_zygote_sessions_start_cold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "zygote_for", lambda *args, **kwargs: None)
    with WorkerSession(notebook(), CONFIG) as session:
        assert not session.warm and session.call("ok").value == "alive"


def test_a_zygote_that_cannot_start_is_reported_and_not_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> tuple[list[str], dict[str, str]]:
        return ["/bin/false"], {}

    monkeypatch.setattr(cmdline, "zygote_command", broken)
    plan = isolation.plan_isolation("auto")
    info = isolation.describe_interpreter(sys.executable)
    preload = ("broken-on-purpose",)  # its own registry key
    try:
        assert pool.zygote_for(plan, info, preload=preload, timeout=5) is None
        assert any("zygote exited" in reason for reason in pool.failures().values())
        assert pool.zygote_for(plan, info, preload=preload, timeout=5) is None  # remembered
    finally:
        with pool._registry_lock:
            for key in [k for k in pool._failures if k.preload == preload]:
                del pool._failures[key]


class _RefusingZygote:
    """Stands in for a zygote that has stopped forking."""

    def spawn(self, **kwargs: object) -> pool.ZygoteJob:
        raise pool.ZygoteUnavailable("refusing on purpose")


def test_a_zygote_that_fails_mid_batch_falls_back_to_cold(monkeypatch: pytest.MonkeyPatch) -> None:
    refusing = _RefusingZygote()
    discarded: list[object] = []
    monkeypatch.setattr(pool, "zygote_for", lambda *args, **kwargs: refusing)
    monkeypatch.setattr(pool, "discard", lambda zygote, reason: discarded.append(zygote))
    with WorkerSession(notebook(), CONFIG) as session:
        assert not session.warm and session.call("ok").value == "alive"
        assert session.output == ""  # nothing of the failed attempt reaches the student
    assert discarded == [refusing]
