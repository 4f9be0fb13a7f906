"""WorkerSession end to end: real workers, real isolation, hostile student code."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import graders
from graders.load import Cell, Submission
from graders.sandbox import (
    FunctionSpec,
    SandboxConfig,
    Unsupported,
    WorkerSession,
    cmdline,
    isolation,
    proctree,
)
from tests.sandbox.waiting import wait_for

REPO = Path(graders.__file__).resolve().parents[1]


def notebook(*cells: tuple[int, str]) -> Submission:
    """A notebook-like submission; cell numbers may skip, as markdown cells would make them."""
    return Submission(
        path=Path("notebook.ipynb"),
        kind="ipynb",
        sha256="0" * 64,
        cells=tuple(Cell(number, textwrap.dedent(source)) for number, source in cells),
    )


STUDENT = notebook(
    (
        1,
        """\
        import math
        import numpy as np
        print("cell one ran")
        def sigmoid(z):
            return 1 / (1 + math.exp(-z))
        """,
    ),
    (3, "ratio = 1 / 0\n"),
    (4, "while True:\n    pass\n"),
    (
        6,
        """\
        def f(x):
            return "first"
        threshold = 0.5
        """,
    ),
    (
        7,
        """\
        def f(x):
            return "second"

        def uses_sigmoid(z):
            return sigmoid(z) * 2
        """,
    ),
    (
        8,
        """\
        import os, sys, threading

        class LyingArray(np.ndarray):
            def __eq__(self, other):
                return True

        class Thing:
            pass

        def lying():
            return np.zeros(3).view(LyingArray)

        def thing():
            return Thing()

        def scale_in_place(a):
            a *= 2

        def quits():
            sys.exit(4)

        def interrupted():
            raise KeyboardInterrupt

        def spin():
            while True:
                pass

        def flood(n):
            chunk = "x" * 1_000_000
            for _ in range(n):
                print(chunk)

        def files():
            return sorted(os.listdir("."))

        def read(path):
            with open(path) as handle:
                return handle.read(100)

        def importable(name):
            __import__(name)
            return True

        def forks():
            return os.fork()

        def signal_probe(pid):
            os.kill(pid, 0)  # signal 0: only asks whether signalling would be allowed

        def threads():
            seen = []
            worker = threading.Thread(target=lambda: seen.append(1))
            worker.start()
            worker.join()
            return seen

        def reads(a, xs, table):
            return float(np.sum(a)) + len(xs) + len(table)

        def flips_signs(xs, table):
            xs[0] = -xs[0]  # 0.0 becomes -0.0: equal, yet not what was sent
            table[0.0] = -table[0.0]

        def nudges_nan(a):
            a.view(np.uint64)[0] ^= 1  # another NaN: equal to no NaN, yet not what was sent

        def environment():
            return sorted(os.environ)

        def loaded(name):
            return name in sys.modules

        def overwrite(path):
            with open(path, "w") as handle:
                handle.write("# replaced")

        def huge():
            return np.ones(2**31)

        def descend(grad, x, lr, steps):
            for _ in range(steps):
                x = x - lr * grad(x)
            return x

        def frame_stats(df):
            return float(df["x"].sum()), df.shape

        get_ipython().run_line_magic("matplotlib", "inline")
        display(threshold)
        """,
    ),
    (9, "def broken(:\n    pass\n"),
)
CONFIG = SandboxConfig(cell_timeout=0.5, call_timeout=2.0, output_cap=4096)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerSession]:
    data = tmp_path_factory.mktemp("data") / "heights.csv"
    data.write_text("h\n1.7\n")
    config = SandboxConfig(**{**CONFIG.__dict__, "data_files": (data,)})
    with WorkerSession(STUDENT, config) as started:
        yield started


# ------------------------------------------------------------------------------ cells


def test_cells_run_in_order_and_bad_cells_are_skipped(session: WorkerSession) -> None:
    assert [(r.number, r.status) for r in session.cell_reports] == [
        (1, "ok"),
        (3, "error"),
        (4, "timeout"),
        (6, "ok"),
        (7, "ok"),
        (8, "ok"),
        (9, "error"),
    ]
    assert session.cells_seconds >= 0.5


def test_cell_messages_name_the_cell_and_line(session: WorkerSession) -> None:
    reports = {r.number: r for r in session.cell_reports}
    assert reports[3].message == "cell 3, line 1: ZeroDivisionError: division by zero"
    assert reports[4].message == "cell 4 ran longer than 0.5 s and was skipped"
    assert reports[9].message.startswith("cell 9, line 1: SyntaxError: ")
    assert reports[1].message == ""


def test_last_definition_wins(session: WorkerSession) -> None:
    outcome = session.call("f", 1)
    assert (outcome.status, outcome.value) == ("ok", "second")


def test_student_traceback_shows_only_their_frames(session: WorkerSession) -> None:
    direct = session.call("sigmoid", -1000.0)
    assert direct.status == "error"
    assert direct.message == "cell 1, line 5, in sigmoid: OverflowError: math range error"
    nested = session.call("uses_sigmoid", -1000.0)
    assert nested.message == (
        "cell 7, line 5, in uses_sigmoid\n"
        "cell 1, line 5, in sigmoid: OverflowError: math range error"
    )


def test_missing_and_non_function_names(session: WorkerSession) -> None:
    missing = session.call("sigmoid_v2", 0.0)
    assert (missing.status, missing.message) == (
        "missing",
        "`sigmoid_v2` is not defined in your submission",
    )
    not_function = session.call("threshold")
    assert not_function.status == "missing"
    assert not_function.message == (
        "`threshold` is defined in your submission but is not a function (it is a float)"
    )


def test_values_and_defined_names(session: WorkerSession) -> None:
    assert session.value("threshold").value == 0.5
    assert session.value("cur_x").status == "missing"
    names = session.defined()
    assert names["f"] == names["sigmoid"] == "function"
    assert names["threshold"] == "value"
    for hidden in ("np", "math", "os", "LyingArray", "Thing", "get_ipython", "display", "__name__"):
        assert hidden not in names


def test_positional_arguments_come_back_after_the_call(session: WorkerSession) -> None:
    outcome = session.call("scale_in_place", np.array([1.0, 2.0]))
    assert outcome.status == "ok" and outcome.value is None
    assert outcome.args_after is not None
    np.testing.assert_array_equal(outcome.args_after[0], [2.0, 4.0])


def test_arguments_left_as_sent_come_back_as_the_objects_sent(session: WorkerSession) -> None:
    # The worker reports them ``Unchanged``: what travels back is the grader's own argument.
    sent = (np.array([1.0, np.nan]), [0.0, "x"], {0.0: (1, 2.5)})
    outcome = session.call("reads", *sent)
    assert outcome.status == "ok"
    assert outcome.args_after is not None
    assert all(back is arg for back, arg in zip(outcome.args_after, sent, strict=True))


def test_an_item_changed_to_an_equal_value_still_comes_back(session: WorkerSession) -> None:
    # Compared by bits, not by ``==``: a zero's sign and a NaN's payload count as changes.
    outcome = session.call("flips_signs", [0.0, 1.0], {0.0: 0.0})
    assert outcome.status == "ok" and outcome.args_after is not None
    xs, table = outcome.args_after
    assert xs == [0.0, 1.0] and np.signbit(xs[0])
    assert np.signbit(table[0.0])
    nan = np.array([np.nan, 1.0])
    outcome = session.call("nudges_nan", nan)
    assert outcome.args_after is not None
    back = outcome.args_after[0]
    assert back is not nan and back.tobytes() != nan.tobytes()


@pytest.mark.parametrize(("name", "type_name"), [("lying", "LyingArray"), ("thing", "Thing")])
def test_non_data_return_values_are_unsupported(
    session: WorkerSession, name: str, type_name: str
) -> None:
    outcome = session.call(name)
    assert outcome.status == "ok"
    assert isinstance(outcome.value, Unsupported)
    assert outcome.value.type_name == type_name


def test_exit_and_interrupt_are_errors_of_the_call(session: WorkerSession) -> None:
    restarts = session.restarts
    exit_outcome = session.call("quits")
    assert exit_outcome.status == "error"
    assert exit_outcome.message.startswith("cell 8, line 20, in quits: SystemExit: 4")
    interrupt = session.call("interrupted")
    assert interrupt.message == "cell 8, line 23, in interrupted: KeyboardInterrupt"
    assert session.call("f", 0).value == "second"
    assert session.restarts == restarts  # the same worker survived


def test_infinite_loop_times_out_and_the_worker_recovers(session: WorkerSession) -> None:
    restarts = session.restarts
    started = time.monotonic()
    outcome = session.call("spin", timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert (outcome.status, outcome.message) == (
        "timeout",
        "calling `spin` took longer than 0.3 s and was stopped",
    )
    assert session.call("f", 0).value == "second"
    assert session.restarts == restarts  # interrupted inside the worker, not killed


def test_stdout_flood_is_capped(session: WorkerSession) -> None:
    started = time.monotonic()
    assert session.call("flood", 50).status == "ok"  # 50 MB of output
    assert time.monotonic() - started < 5.0

    def dropped() -> int:
        _, _, trailer = session.output.partition("\n[output truncated: ")
        return int(trailer.split()[0]) if trailer else 0

    # The call returns once the worker has written everything; the drain thread may still be
    # reading the pipe's last buffer, so the count is awaited, not read once.
    assert wait_for(lambda: dropped() >= 50_000_000 - 4096), dropped()
    kept, _, _ = session.output.partition("\n[output truncated: ")
    assert len(kept.encode()) <= 4096
    assert kept.startswith("cell one ran\n")


def test_function_spec_arguments_become_callables(session: WorkerSession) -> None:
    grad = FunctionSpec("quadratic_grad", {"a": 1.0, "c": 3.0})
    outcome = session.call("descend", grad, 0.0, 0.1, 200)
    assert outcome.status == "ok"
    assert outcome.value == pytest.approx(3.0)
    assert outcome.args_after is not None and outcome.args_after[0] == grad


def test_pandas_arguments_arrive_as_dataframes(session: WorkerSession) -> None:
    outcome = session.call("frame_stats", pd.DataFrame({"x": [1.0, 2.0]}))
    assert outcome.value == (3.0, (2, 1))


def test_memory_is_limited(session: WorkerSession) -> None:
    outcome = session.call("huge")  # 16 GB
    assert outcome.status == "error"
    assert "MemoryError" in outcome.message


def test_fork_is_blocked_but_threads_work(session: WorkerSession) -> None:
    if any("seccomp" in note for note in session.notes):
        pytest.skip(f"seccomp is not available here: {session.notes}")
    forked = session.call("forks")
    assert forked.status == "error"
    assert "PermissionError" in forked.message
    assert session.call("threads").value == [1]


def test_other_processes_cannot_be_signalled(session: WorkerSession) -> None:
    if any("seccomp" in note for note in session.notes):
        pytest.skip(f"seccomp is not available here: {session.notes}")
    bystander = subprocess.Popen(["sleep", "30"])
    # A warm worker is pid 1 of its own pid namespace: there, pid 1 is itself.
    try:
        for pid in (bystander.pid, -1, 0) if session.warm else (bystander.pid, -1, 1, 0):
            outcome = session.call("signal_probe", pid)
            assert outcome.status == "error"
            assert "PermissionError: [Errno 1] Operation not permitted" in outcome.message
    finally:
        bystander.kill()
        bystander.wait()


def test_working_directory_holds_only_the_data_files(session: WorkerSession) -> None:
    assert session.call("files").value == ["heights.csv"]
    assert session.call("read", "heights.csv").value == "h\n1.7\n"


def test_environment_is_scrubbed(session: WorkerSession) -> None:
    names = session.call("environment").value
    assert isinstance(names, list)
    assert set(names) <= set(cmdline.scrubbed_env("", "")) | {"PWD"}


@pytest.mark.bwrap
def test_bwrap_hides_the_grader_and_the_reference(session: WorkerSession) -> None:
    assert session.isolation == "bwrap"
    for module in ("reference", "graders"):
        outcome = session.call("importable", module)
        assert outcome.status == "error"
        assert f"ModuleNotFoundError: No module named '{module}'" in outcome.message
    for path in (REPO / "pyproject.toml", Path(graders.__file__)):
        outcome = session.call("read", str(path))
        assert outcome.status == "error"
        assert "FileNotFoundError" in outcome.message
    rewrite = session.call("overwrite", f"{cmdline.CODE_DIR}/worker.py")
    assert rewrite.status == "error"
    # Read-only for a cold worker; a warm one's code was deleted once the zygote imported it.
    assert "Read-only file system" in rewrite.message or "No such file" in rewrite.message


def test_the_worker_never_imports_the_grader(session: WorkerSession) -> None:
    for module in ("graders", "reference", "hypothesis"):
        assert session.call("loaded", module).value is False
    assert session.call("loaded", "numpy").value is True


# ------------------------------------------------------------------------------ crashes


FRAGILE = notebook(
    (
        1,
        """\
        import os, signal
        print("setup ran")
        def ok():
            return "alive"
        def dies():
            os._exit(3)
        def stubborn():
            signal.setitimer(signal.ITIMER_REAL, 0)  # disarm the worker's own timer
            while True:
                pass
        """,
    ),
)


def test_os_exit_in_a_function_crashes_and_the_next_call_restarts() -> None:
    with WorkerSession(FRAGILE, CONFIG) as session:
        first_pid = session.worker_pid
        outcome = session.call("dies")
        assert (outcome.status, outcome.message) == (
            "crashed",
            "calling `dies` stopped the Python process running your code (exit status 3)",
        )
        assert session.call("ok").value == "alive"  # cells were replayed in a fresh worker
        assert session.restarts == 1 and session.worker_pid != first_pid
        assert wait_for(lambda: "setup ran" in session.output)
        time.sleep(0.1)
        assert session.output.count("setup ran") == 1  # the replay was quiet


def test_loop_that_disarms_the_timer_is_killed_by_the_parent() -> None:
    with WorkerSession(FRAGILE, CONFIG) as session:
        started = time.monotonic()
        outcome = session.call("stubborn", timeout=0.3)
        assert outcome.status == "timeout"
        assert time.monotonic() - started < 5.0
        assert session.call("ok").value == "alive"
        assert session.restarts == 1


def test_restarts_are_capped() -> None:
    with WorkerSession(FRAGILE, SandboxConfig(max_restarts=2)) as session:
        assert [session.call("dies").status for _ in range(3)] == ["crashed"] * 3
        final = session.call("ok")
        assert final.status == "crashed"
        assert final.message == (
            "calling `ok` was not attempted: the Python process running your code crashed or "
            "was stopped 3 times, so it was not restarted again"
        )


def test_a_cell_that_kills_the_process_is_skipped_and_later_cells_run() -> None:
    submission = notebook(
        (1, "def ok():\n    return 'alive'\n"),
        (2, "import os\nos._exit(5)\n"),
        (3, "late = 1\n"),
    )
    with WorkerSession(submission, CONFIG) as session:
        assert [r.status for r in session.cell_reports] == ["ok", "error", "ok"]
        assert session.cell_reports[1].message == (
            "cell 2 stopped the Python process running it (exit status 5); later cells ran in "
            "a fresh process"
        )
        assert session.call("ok").value == "alive"
        assert session.value("late").value == 1


def test_no_process_is_left_behind_after_close() -> None:
    session = WorkerSession(FRAGILE, CONFIG)
    top = session.worker_pid
    assert top is not None
    pids = [top, *proctree.descendants(top)]
    if session.warm:  # the worker alone (the zygote watches it), or its monitor and it
        handle = session._resources.worker.handle  # type: ignore[union-attr]
        assert len(pids) == (2 if handle.job.monitored else 1)
    else:
        assert len(pids) >= (3 if session.isolation == "bwrap" else 1)  # bwrap, its init, python
    session.close()
    session.close()  # idempotent
    # Gone, not zombies (a warm worker's watcher reaps it before reporting its end).
    assert wait_for(lambda: not [pid for pid in pids if os.path.exists(f"/proc/{pid}")], 2.0)


def test_process_layer_runs_the_same_way_and_says_it_is_weaker() -> None:
    config = SandboxConfig(isolation="process", cell_timeout=0.5, call_timeout=2.0)
    with WorkerSession(FRAGILE, config) as session:
        assert session.isolation == "process"
        assert any("process layer only" in note for note in session.notes)
        assert session.call("ok").value == "alive"
        assert session.call("dies").status == "crashed"
        assert session.call("ok").value == "alive"


def _system_venv(root: str) -> str:
    """A venv of the system Python under ``root`` holding a copy of our numpy (a link to it would
    fail where our venv lies in a folder uid 65534 cannot enter, such as a 0700 ``mktemp -d``)."""
    system = shutil.which("python3", path="/usr/bin")
    if os.geteuid() != 0 or system is None:
        pytest.skip("needs root and /usr/bin/python3 to test dropping to uid 65534")
    venv = os.path.join(root, "venv")
    created = subprocess.run([system, "-m", "venv", "--without-pip", venv], capture_output=True)
    site = next(Path(venv).glob("lib/python3*/site-packages"), None)
    if created.returncode != 0 or site is None:
        pytest.skip("the system Python cannot create a venv here")
    source = Path(np.__file__).parent
    shutil.copytree(source, site / "numpy", symlinks=True)
    for libs in source.parent.glob("numpy.libs"):
        shutil.copytree(libs, site / libs.name, symlinks=True)
    python = os.path.join(venv, "bin", "python")
    if subprocess.run([python, "-c", "import numpy"], capture_output=True).returncode:
        pytest.skip("the system Python cannot import this numpy")
    return python


@pytest.fixture(scope="module")
def world_readable_python() -> Iterator[str]:
    """A venv of the system Python with our numpy, readable by uid 65534."""
    root = tempfile.mkdtemp(prefix="grader-test-venv-")
    try:
        os.chmod(root, 0o755)
        yield _system_venv(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_process_layer_runs_a_root_grader_s_worker_as_nobody(world_readable_python: str) -> None:
    submission = notebook(
        (
            1,
            """\
        import os
        def who():
            return os.getuid(), os.getgid()
        def read(path):
            with open(path) as handle:
                return handle.read(10)
        def write_here():
            with open("notes.txt", "w") as handle:
                handle.write("ok")
            return sorted(os.listdir("."))
        """,
        )
    )
    secret = REPO / "pyproject.toml"
    config = SandboxConfig(python=world_readable_python, isolation="process")
    with WorkerSession(submission, config) as session:
        assert session.call("who").value == (isolation.NOBODY, isolation.NOBODY)
        assert any(f"runs as uid {isolation.NOBODY}" in note for note in session.notes)
        assert session.call("write_here").value == ["notes.txt"]  # scratch is its own
        private = Path(tempfile.mkdtemp()) / "secret.txt"  # a 0700 directory, as /root is
        private.write_text("secret")
        try:
            outcome = session.call("read", str(private))
            assert outcome.status == "error" and "PermissionError" in outcome.message
        finally:
            shutil.rmtree(private.parent)
        assert secret.exists()


def test_a_worker_that_must_stay_root_says_so(tmp_path: Path) -> None:
    # As a clone in a 0700 ``mktemp -d`` holds its venv: uid 65534 cannot reach the interpreter,
    # so the root grader's worker stays root; the notes (and so the result) must say it.
    os.chmod(tmp_path, 0o700)
    python = _system_venv(str(tmp_path))
    submission = notebook((1, "import os\ndef who():\n    return os.getuid()\n"))
    config = SandboxConfig(python=python, isolation="process")
    with WorkerSession(submission, config) as session:
        assert session.call("who").value == 0
        (note,) = [n for n in session.notes if n.startswith("isolation:")]
        assert f"runs as root without capabilities (uid {isolation.NOBODY} cannot run" in note


def test_a_grader_whose_worker_stays_root_makes_itself_undumpable(tmp_path: Path) -> None:
    # The worker then shares the grader's uid (0, without capabilities): only the grader's
    # PR_SET_DUMPABLE=0 keeps it from opening /proc/<grader>/mem where neither Landlock nor
    # Yama is there to refuse.
    os.chmod(tmp_path, 0o700)
    python = _system_venv(str(tmp_path))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE 1, as a grader starts
    submission = notebook((1, "import os\ndef who():\n    return os.getuid()\n"))
    config = SandboxConfig(python=python, isolation="process")
    with WorkerSession(submission, config) as session:
        assert session.call("who").value == 0
        assert libc.prctl(3, 0, 0, 0, 0) == 0  # PR_GET_DUMPABLE


def test_a_student_who_replaces_the_signal_functions_still_gets_the_time_budget() -> None:
    # Ignoring SIGALRM and turning signal.signal / signal.setitimer into no-ops must not let a
    # loop run on until the parent's backstop kills the process: the worker bound its own.
    submission = notebook(
        (
            1,
            "import signal\n"
            "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
            "signal.signal = lambda *args: None\n"
            "signal.setitimer = lambda *args: (0.0, 0.0)\n"
            "signal.SIGALRM = signal.SIGINT\n"
            "def spin():\n    while True:\n        pass\n"
            "def ok():\n    return 'alive'\n",
        ),
    )
    with WorkerSession(submission, CONFIG) as session:
        outcome = session.call("spin", timeout=0.3)
        assert outcome.status == "timeout"
        assert session.call("ok").value == "alive"
        assert session.restarts == 0  # interrupted inside the worker, not killed
