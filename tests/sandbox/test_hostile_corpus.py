"""The adversarial corpus (issue #5): hostile submissions, each with its asserted outcome.

For every case: the grader finishes, the outcome has its documented status, no undeserved points
are given, no process is left behind, and the next submission is still graded.

Two kinds of case:

- whole submissions, graded by the engine: ``hostile/<case>.py`` appended as a second cell to
  the correct ``mle`` solution (so the submission otherwise earns full marks);
- single hostile functions, called through a shared ``WorkerSession``, where the point is the
  sandbox itself (files, processes, signals, network, memory, the protocol).

Safety: cases that fork or send signals run only after ``confined`` has shown that the worker
can neither fork nor signal another process; every payload is written to be harmless if it ever
escaped (signal 0 or aimed at itself, forked children exit at once, files outside its scratch
directory are only opened, never changed). The only network address used is 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import graders
from graders.checks.base import CheckContext
from graders.checks.registry import resolve
from graders.engine import grade_submission, run_check, sandbox_config
from graders.load import Cell, Submission
from graders.results import CheckResult, SubmissionResult
from graders.sandbox import PlannedCall, SandboxConfig, WorkerSession, cmdline, pool
from graders.sandbox.proctree import descendants as _descendants
from graders.spec import Assignment, Limits, load_assignment
from tests.sandbox.waiting import wait_for

REPO = Path(graders.__file__).resolve().parents[1]
HOSTILE = Path(__file__).parent / "hostile"
MARKER = "hostile-corpus-7f3a"
PICKLE_MARKER = Path("/tmp/hostile-corpus-pickle-ran")
SOLUTION = (REPO / "assignments" / "mle" / "examples" / "solution.py").read_text()
BASE = SandboxConfig(memory_mb=512, output_cap=4096, cpu_seconds=30, max_restarts=3)
# Small budgets keep the whole corpus fast: a timeout costs its budget plus the grace period.
QUICK = dataclasses.replace(BASE, cell_timeout=0.5, call_timeout=0.5)


def submission(*cells: str, name: str = "hostile") -> Submission:
    """A notebook of ``cells`` (numbered 1, 2, ...)."""
    return Submission(
        path=Path(f"{name}.ipynb"),
        kind="ipynb",
        sha256="0" * 64,
        cells=tuple(Cell(i, textwrap.dedent(src)) for i, src in enumerate(cells, start=1)),
    )


def processes_mentioning(text: str) -> list[int]:
    """Every process on this machine whose command line contains ``text``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    if text.encode() in cmdline.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def zygote_pythons() -> list[int]:
    """Host pids of the zygote processes of this grader (the parents of every warm worker)."""
    pids = []
    for zygote in [*pool._zygotes.values(), *pool._retired]:
        if zygote.pid is not None:
            pids += [p for p in [zygote.pid, *_descendants(zygote.pid)] if _is_python_zygote(p)]
    return pids


def _is_python_zygote(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            argv = cmdline.read().split(b"\0")
    except OSError:
        return False
    return not argv[0].endswith(b"bwrap") and any(arg.endswith(b"zygote.py") for arg in argv)


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def before() -> set[int]:
    """Our descendants before the corpus ran (the zygote, if an earlier test started one)."""
    return set(_descendants(os.getpid()))


# The corpus's scores (out of 10) count the checks it was written for; checks added to the spec
# since grade the same correct first cell and would only move every total.
_ADDED_SINCE = frozenset(
    {
        "bernoulli_log_likelihood_handles_many_flips",
        "normal_log_likelihood_handles_many_observations",
    }
)


def quick(slug: str) -> Assignment:
    """The assignment with 1 s budgets and a 10-example search: the corpus needs no more."""
    loaded = load_assignment(slug)
    questions = tuple(
        dataclasses.replace(
            q,
            checks=tuple(
                dataclasses.replace(c, max_examples=10)
                for c in q.checks
                if c.id not in _ADDED_SINCE
            ),
        )
        for q in loaded.questions
    )
    limits = Limits(cell_timeout=1.0, call_timeout=1.0)
    # Every cell runs: the corpus is about containing hostile cells when they run (sliced, most
    # would not run at all: see the test below).
    return dataclasses.replace(loaded, limits=limits, questions=questions, run_all_cells=True)


@pytest.fixture(scope="module")
def assignment() -> Assignment:
    return quick("mle")


@pytest.fixture(scope="module")
def confined(before: set[int]) -> str:
    """The isolation level, once the worker has been shown unable to fork or signal others.

    The probes are harmless even unconfined: signal 0 only asks, and a forked child exits at
    once. Without this proof, the cases that fork or signal are skipped, never run.
    """
    probe = submission(
        """\
        import os
        def probe(pid):
            outcome = []
            try:
                os.kill(pid, 0)
                outcome.append("signalled")
            except PermissionError:
                outcome.append("EPERM")
            try:
                child = os.fork()
            except PermissionError:
                outcome.append("EPERM")
            else:
                if child == 0:
                    os._exit(0)
                os.waitpid(child, 0)
                outcome.append("forked")
            return outcome
        """
    )
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        with WorkerSession(probe, BASE) as session:
            outcome = session.call("probe", bystander.pid)
            level = session.isolation
    finally:
        bystander.kill()
        bystander.wait()
    if outcome.value != ["EPERM", "EPERM"]:
        pytest.skip(f"the worker is not confined here ({outcome}); hostile cases not run")
    return level


@pytest.fixture(scope="module")
def graded(assignment: Assignment, confined: str) -> dict[str, SubmissionResult]:
    """Every engine case graded once (lazily, by ``grade``)."""
    return {}


def grade(
    graded: dict[str, SubmissionResult], assignment: Assignment, case: str
) -> SubmissionResult:
    if case not in graded:
        hostile = (HOSTILE / f"{case}.py").read_text()
        config = sandbox_config(assignment, base=BASE)
        started = time.monotonic()
        graded[case] = grade_submission(
            submission(SOLUTION, hostile, name=case), assignment, student=case, config=config
        )
        assert time.monotonic() - started < 15, f"{case} took too long"
    return graded[case]


# ------------------------------------------------------------------------------ engine cases


@dataclasses.dataclass(frozen=True)
class Case:
    """A hostile cell and what grading the submission must give."""

    name: str
    score: float
    checks: dict[str, tuple[str, str]]  # check id -> (status, message fragment), all else pass
    cell: tuple[str, str] = ("ok", "")  # the hostile cell's (status, message fragment)


NOT_A_FLOAT = "your result is a"
CASES = [
    Case("loop_at_import", 10, {}, ("timeout", "cell 2 ran longer than 1 s and was skipped")),
    Case(
        "loop_in_function",
        8,
        {"bernoulli_mle_matches_reference": ("timeout", "took longer than 1 s and was stopped")},
    ),
    Case(
        "sleep_in_function",
        8,
        {"bernoulli_mle_matches_reference": ("timeout", "took longer than 1 s and was stopped")},
    ),
    Case("stderr_flood_at_import", 10, {}),
    Case("exit_at_import", 10, {}, ("error", "SystemExit: 0 (the code called sys.exit()")),
    Case(
        "exit_in_function",
        8,
        {
            "bernoulli_mle_matches_reference": (
                "error",
                "stopped the Python process running your code (exit status 0)",
            )
        },
    ),
    Case(
        "keyboard_interrupt_in_function",
        8,
        {"bernoulli_mle_matches_reference": ("error", "in bernoulli_mle: KeyboardInterrupt")},
    ),
    Case("memory_bomb_at_import", 10, {}, ("error", "MemoryError")),
    Case("huge_file_at_import", 10, {}, ("error", "OSError")),
    Case(
        "patch_numpy",
        8,
        {"bernoulli_mle_matches_reference": ("failed", "does not agree with the reference")},
    ),
    # The worker relies on these builtins too: it dies, and with it the cell's definitions;
    # the first cell's correct solution is what gets graded, in a fresh worker.
    Case("patch_builtins", 10, {}, ("error", "cell 2 stopped the Python process running it")),
    Case(
        "patch_protocol",
        8,
        {"bernoulli_mle_matches_reference": ("failed", "does not agree with the reference")},
    ),
    Case(
        "fake_output",
        8,
        {"bernoulli_mle_matches_reference": ("failed", "does not agree with the reference")},
    ),
    Case(
        "crafted_reply",
        8,
        {"bernoulli_mle_matches_reference": ("error", "broke the connection")},
    ),
    Case(
        "hardcoded_outputs",
        8,
        {"bernoulli_mle_matches_reference": ("failed", "does not agree with the reference")},
    ),
    Case("lying_return", 8, {"bernoulli_mle_matches_reference": ("failed", "Liar")}),
    Case(
        "mutate_inputs",
        7,
        {
            "normal_mle_matches_reference": ("failed", "should return the tuple (mu_hat"),
            "normal_mle_does_not_mutate_inputs": ("failed", "changed its argument #1 in place"),
        },
    ),
    Case("return_input", 8, {"bernoulli_mle_matches_reference": ("failed", NOT_A_FLOAT)}),
    Case(
        "segfault_in_function",
        8,
        {"bernoulli_mle_matches_reference": ("error", "killed by SIGSEGV")},
    ),
    Case("fork_at_import", 10, {}, ("error", "PermissionError: [Errno 1]")),
]


# The process layer caps each file, not the scratch directory: filling it is refused only by
# bwrap's private tmpfs (the process layer's note says its writes reach the host's disk).
NEEDS_PRIVATE_SCRATCH = {"huge_file_at_import"}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case, id=case.name, marks=[pytest.mark.bwrap] * (case.name in NEEDS_PRIVATE_SCRATCH)
        )
        for case in CASES
    ],
)
def test_engine_case(
    case: Case, graded: dict[str, SubmissionResult], assignment: Assignment, confined: str
) -> None:
    result = grade(graded, assignment, case.name)
    assert result.status == "graded"
    assert result.isolation == confined
    assert result.to_gradescope()["extra_data"]["isolation"] == confined
    assert result.score == case.score, [(c.check_id, c.status, c.message) for c in result.checks]
    for check in result.checks:
        status, fragment = case.checks.get(check.check_id, ("passed", ""))
        assert (check.check_id, check.status) == (check.check_id, status)
        assert fragment in check.message
        assert check.score == (check.max_score if status == "passed" else 0.0)
    cell = result.cell_reports[1]
    assert (cell["cell"], cell["status"]) == (2, case.cell[0])
    assert case.cell[1] in cell["message"]
    assert result.cell_reports[0]["status"] == "ok"


@pytest.mark.bwrap
def test_a_full_scratch_directory_is_refused_at_its_cap(
    graded: dict[str, SubmissionResult], assignment: Assignment
) -> None:
    # A private tmpfs of the file-size budget plus the data files.
    message = grade(graded, assignment, "huge_file_at_import").cell_reports[1]["message"]
    assert "No space left on device" in message


def test_fake_output_never_reaches_the_result(
    graded: dict[str, SubmissionResult], assignment: Assignment
) -> None:
    text = grade(graded, assignment, "fake_output").to_json()
    assert "PASSED" not in text and "100" not in text and '"score": 8.0' in text


def test_a_crafted_pickle_is_never_unpickled(
    graded: dict[str, SubmissionResult], assignment: Assignment
) -> None:
    PICKLE_MARKER.unlink(missing_ok=True)
    result = grade(graded, assignment, "crafted_reply")
    check = next(c for c in result.checks if c.check_id == "bernoulli_mle_matches_reference")
    assert "the JSON frame is invalid" in check.message
    assert not PICKLE_MARKER.exists()


def test_hard_coded_regression_answers_are_caught_by_the_search(
    graded: dict[str, SubmissionResult], assignment: Assignment
) -> None:
    check = next(
        c
        for c in grade(graded, assignment, "hardcoded_outputs").checks
        if c.check_id == "bernoulli_mle_matches_reference"
    )
    assert check.counterexample is not None
    # Hypothesis found it: not one of the two fixed regression inputs the table covers.
    assert "1, 0, 1, 1, 0" not in check.counterexample
    assert check.counterexample != "bernoulli_mle(array([0, 0, 0]))"


# ------------------------------------------------------------------------------ session cases

TOOLKIT = f"""\
import ctypes, errno, fcntl, multiprocessing, os, pickle, signal, socket, stat, struct
import subprocess, sys, threading, time
import numpy as np

MARKER = {MARKER!r}

def memory_bomb():
    return np.ones(2**40)

def memory_creep():
    hoard = []
    while True:
        hoard.append(b"m" * 10**7)  # touched, not only reserved

def recurse(n=0):
    return recurse(n + 1)

def compare_past_the_c_stack():
    sys.setrecursionlimit(10**8)  # list comparison recurses in C: the C stack overflows
    a, b = [], []
    for _ in range(2 * 10**5):
        a, b = [a], [b]
    return a == b

def segfault():
    return ctypes.string_at(0)

def exit_now():
    os._exit(0)

def raise_(kind):
    raise {{"KeyboardInterrupt": KeyboardInterrupt, "SystemExit": SystemExit,
            "BaseException": BaseException}}[kind]("raised on purpose")

def ok():
    return "alive"

def stdout_gigabyte():
    chunk = b"x" * (1 << 20)
    for _ in range(1024):
        os.write(1, chunk)
    return "done"

def scratch_fill():
    sizes, last = [], None
    block = b"F" * (1 << 20)
    for number in range(4):
        written = 0
        try:
            with open(f"fill-{{number}}.bin", "wb") as handle:
                for _ in range(128):
                    handle.write(block)
                    written += len(block)
        except OSError as exc:
            last = errno.errorcode[exc.errno]
        sizes.append(written)
        if last == "ENOSPC":
            break
    total = sum(os.path.getsize(name) for name in os.listdir(".") if name.startswith("fill-"))
    for name in os.listdir("."):
        if name.startswith("fill-"):
            os.remove(name)
    return total, last

def try_create(paths):
    outcome = {{}}
    for path in paths:
        try:
            with open(path, "x"):
                outcome[path] = "created"
        except OSError as exc:
            outcome[path] = errno.errorcode.get(exc.errno, str(exc.errno))
    return outcome

def try_open_for_writing(paths):
    outcome = {{}}
    for path in paths:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)  # opened only, nothing written
        except OSError as exc:
            outcome[path] = errno.errorcode.get(exc.errno, str(exc.errno))
        else:
            os.close(fd)
            outcome[path] = "opened"
    return outcome

def try_delete(paths):
    outcome = {{}}
    for path in paths:
        try:
            os.remove(path)
            outcome[path] = "deleted"
        except OSError as exc:
            outcome[path] = errno.errorcode.get(exc.errno, str(exc.errno))
    return outcome

def try_read(paths):
    outcome = {{}}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                handle.read(100)
            outcome[path] = "read"
        except OSError as exc:
            outcome[path] = errno.errorcode.get(exc.errno, str(exc.errno))
    return outcome

SOUGHT = ("reference/mle.py", "reference/logistic.py", "graders/engine.py",
          "checks/mle.py", "checks/base.py", "assignment.toml", "examples/solution.py",
          "examples/solution.ipynb")

def hunt():
    found = []
    for root, dirs, files in os.walk("/"):
        if root == "/":  # /usr holds only the system's files: skipped to keep the test quick
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev", "usr")]
        for name in files:
            path = os.path.join(root, name)
            if path.endswith(SOUGHT):
                found.append(path)
    return found

def snoop(grader_pid):
    seen = []
    for pid in {{os.getppid(), 1, 2, grader_pid}}:
        for what in ("environ", "cmdline"):
            try:
                with open(f"/proc/{{pid}}/{{what}}", "rb") as handle:
                    seen.append(handle.read().decode("utf-8", "replace"))
            except OSError:
                pass
    return "\\n".join(seen)

def trace(pid):
    libc = ctypes.CDLL(None, use_errno=True)
    PTRACE_SEIZE, PTRACE_DETACH = 0x4206, 17  # SEIZE does not stop the target
    outcome = {{}}
    if libc.ptrace(PTRACE_SEIZE, pid, 0, 0) == 0:
        libc.ptrace(PTRACE_DETACH, pid, 0, 0)
        outcome["ptrace"] = "attached"
    else:
        outcome["ptrace"] = errno.errorcode.get(ctypes.get_errno(), "?")
    for target in (pid, os.getppid()):
        try:
            with open(f"/proc/{{target}}/mem", "rb") as handle:
                handle.read(1)
            outcome[f"mem {{target}}"] = "read"
        except OSError as exc:
            outcome[f"mem {{target}}"] = errno.errorcode.get(exc.errno, str(exc.errno))
    return outcome

def connect(port):
    with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
        connection.sendall(b"hello from the sandbox")
    return "connected"

def spawn():
    outcome = {{}}
    attempts = {{
        "Popen": lambda: subprocess.Popen(["/bin/sh", "-c", f"sleep 1000 # {{MARKER}}"]),
        "posix_spawn": lambda: os.posix_spawn("/bin/sleep", ["sleep", "1000", MARKER],
                                              {{"PATH": "/bin"}}),
        "multiprocessing": lambda: multiprocessing.Process(
            target=time.sleep, args=(1000,), daemon=False).start(),
    }}
    for name, attempt in attempts.items():
        try:
            attempt()
            outcome[name] = "started"
        except OSError as exc:
            outcome[name] = errno.errorcode.get(exc.errno, str(exc.errno))
    return outcome

def daemonize():
    if os.fork() == 0:  # a classic double fork; children exit at once should one ever work
        os._exit(0)
    return "forked"

def fork_bomb():
    for _ in range(64):
        if os.fork() == 0:
            os._exit(0)
    return "forked"

def kill_parent():
    os.kill(os.getppid(), signal.SIGKILL)

def signal_group():
    outcome = {{}}
    for name, attempt in {{
        "kill(0)": lambda: os.kill(0, signal.SIGTERM),
        "killpg(own)": lambda: os.killpg(os.getpgid(0), signal.SIGTERM),
        "killpg(parent's), signal 0": lambda: os.killpg(os.getpgid(os.getppid()), 0),
        "kill(-1), signal 0": lambda: os.kill(-1, 0),
    }}.items():
        try:
            attempt()
            outcome[name] = "sent"
        except OSError as exc:
            outcome[name] = errno.errorcode.get(exc.errno, str(exc.errno))
    return outcome

def reply_pipes():
    found = []
    for fd in range(3, 256):
        try:
            mode, flags = os.fstat(fd).st_mode, fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            continue
        if stat.S_ISFIFO(mode) and flags & os.O_ACCMODE == os.O_WRONLY:
            found.append(fd)
    return found

def forge(kind):
    if kind == "huge npy header":
        head = b'{{"n":1,"v":{{"t":"nd","i":0}}}}'
        header = "{{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }}"
        header = header.ljust(117) + "\\n"
        npy = b"\\x93NUMPY\\x01\\x00" + struct.pack("<H", len(header)) + header.encode()
        data = struct.pack(">Q", len(head)) + head + struct.pack(">Q", len(npy) + 8) + npy
        data += b"\\0" * 8
    elif kind == "2**63 length":
        data = struct.pack(">Q", 2**63) + b"{{}}"
    else:
        data = b"garbage that is not a frame at all"
    for fd in reply_pipes():
        os.write(fd, data)
    return "sent"
"""

PLANNED_SABOTAGE = PlannedCall("sabotaged", (), {}, False, 1.0)
HOSTILE_DIRS = ("/", "/usr", "/etc", "/dev", "/sandbox", "/tmp/..", str(REPO))


@pytest.fixture(scope="module")
def toolkit(confined: str) -> Iterator[WorkerSession]:
    with WorkerSession(submission(TOOLKIT), dataclasses.replace(QUICK, max_restarts=50)) as s:
        assert [r.status for r in s.cell_reports] == ["ok"], s.cell_reports
        yield s


def alive(session: WorkerSession) -> bool:
    return session.call("ok").value == "alive"


@pytest.mark.parametrize(
    ("function", "status", "fragment"),
    [
        ("memory_bomb", "error", "MemoryError"),
        ("memory_creep", "error", "MemoryError"),
        ("recurse", "error", "RecursionError"),
        ("compare_past_the_c_stack", "crashed", "killed by SIGSEGV"),
        ("segfault", "crashed", "killed by SIGSEGV"),
        ("exit_now", "crashed", "(exit status 0)"),
    ],
)
def test_session_case_ends_the_call_not_the_grader(
    toolkit: WorkerSession, function: str, status: str, fragment: str
) -> None:
    outcome = toolkit.call(function, timeout=5.0)
    assert outcome.status == status
    assert fragment in outcome.message
    assert alive(toolkit)  # the same worker, or a fresh one with the cells replayed


SABOTEUR = """\
import pandas as pd

def sabotaged():
    pd.Series.to_numpy = lambda self, *args, **kwargs: 1 / 0  # runs when the worker encodes
    return pd.Series([1.0, 2.0])

def ok():
    return "alive"
"""


def test_a_sabotaged_library_breaks_only_the_call_whose_value_it_spoils(confined: str) -> None:
    with WorkerSession(submission(SABOTEUR), QUICK) as session:
        for outcomes in ([session.call("sabotaged")], session.call_many([PLANNED_SABOTAGE] * 2)):
            assert [o.status for o in outcomes] == ["error"]  # a batch ends at it
            assert "the sandbox worker failed: ZeroDivisionError" in outcomes[0].message
        assert session.call("ok").value == "alive"
        assert session.restarts == 0


@pytest.mark.parametrize("kind", ["KeyboardInterrupt", "SystemExit", "BaseException"])
def test_base_exceptions_are_errors_of_the_call(toolkit: WorkerSession, kind: str) -> None:
    restarts = toolkit.restarts
    outcome = toolkit.call("raise_", kind)
    assert outcome.status == "error"
    assert f"{kind}: raised on purpose" in outcome.message
    assert alive(toolkit) and toolkit.restarts == restarts


def test_a_gigabyte_to_stdout_is_capped(toolkit: WorkerSession) -> None:
    started = time.monotonic()
    outcome = toolkit.call("stdout_gigabyte", timeout=3.0)
    assert time.monotonic() - started < 6.0
    assert outcome.status in ("ok", "timeout")  # it depends on the pipe's speed: both are fine
    assert wait_for(lambda: "[output truncated" in toolkit.output)
    kept, _, _ = toolkit.output.partition("\n[output truncated: ")
    assert len(kept.encode()) <= 4096
    assert alive(toolkit)


def test_scratch_writes_stop_at_the_caps(toolkit: WorkerSession) -> None:
    outcome = toolkit.call("scratch_fill", timeout=5.0)
    total, last = outcome.value  # type: ignore[misc]
    cap = BASE.file_size_mb * 2**20
    if toolkit.isolation == "bwrap":
        assert last == "ENOSPC" and total <= cap + (1 << 20)
    else:
        assert last == "EFBIG" and total <= 4 * cap


def test_nothing_outside_the_scratch_directory_can_be_created(toolkit: WorkerSession) -> None:
    if toolkit.isolation != "bwrap":
        pytest.skip("the process layer has no private file system (the report says so)")
    paths = [f"{directory}/{MARKER}" for directory in HOSTILE_DIRS]
    try:
        outcome = toolkit.call("try_create", paths).value
        assert isinstance(outcome, dict)
        assert set(outcome.values()) <= {"EROFS", "ENOENT", "EACCES"}, outcome
        assert toolkit.call("try_create", [f"/scratch/{MARKER}"]).value == {
            f"/scratch/{MARKER}": "created"
        }
    finally:
        for directory in HOSTILE_DIRS:  # had any escaped, this is what it would have made
            Path(directory, MARKER).unlink(missing_ok=True)


def test_the_grader_s_files_cannot_be_changed_or_deleted(
    toolkit: WorkerSession, tmp_path: Path
) -> None:
    if toolkit.isolation != "bwrap":
        pytest.skip("the process layer has no private file system (the report says so)")
    canary = tmp_path / "canary.txt"
    canary.write_text("still here")
    grader_files = [REPO / "graders" / "engine.py", REPO / "reference" / "mle.py"]
    digests = [hashlib.sha256(p.read_bytes()).hexdigest() for p in grader_files]
    own = [f"{cmdline.CODE_DIR}/worker.py", f"{cmdline.CODE_DIR}/protocol.py"]
    opened = toolkit.call("try_open_for_writing", [*map(str, grader_files), *own]).value
    assert isinstance(opened, dict) and "opened" not in opened.values(), opened
    deleted = toolkit.call("try_delete", [str(canary), *own]).value
    assert isinstance(deleted, dict) and "deleted" not in deleted.values(), deleted
    assert canary.read_text() == "still here"
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in grader_files] == digests
    assert alive(toolkit)


def test_references_and_checks_cannot_be_read_or_found(toolkit: WorkerSession) -> None:
    if toolkit.isolation != "bwrap":
        pytest.skip("the process layer has no private file system (the report says so)")
    secrets = [
        REPO / "reference" / "mle.py",
        REPO / "graders" / "checks" / "mle.py",
        REPO / "assignments" / "mle" / "assignment.toml",
        REPO / "assignments" / "mle" / "examples" / "solution.py",
    ]
    outcome = toolkit.call("try_read", [str(p) for p in secrets]).value
    assert isinstance(outcome, dict) and set(outcome.values()) == {"ENOENT"}, outcome
    found = toolkit.call("hunt", timeout=10.0)
    assert (found.status, found.value) == ("ok", [])
    assert alive(toolkit)


@pytest.mark.bwrap  # the process layer's note says the worker can read the grader's files
def test_imports_of_the_grader_fail(confined: str) -> None:
    session = WorkerSession(
        submission(
            """\
            def importable(name):
                __import__(name)
                return True
            """
        ),
        QUICK,
    )
    with session:
        for module in ("reference", "reference.mle", "graders", "graders.checks.mle"):
            outcome = session.call("importable", module)
            assert outcome.status == "error"
            assert "ModuleNotFoundError: No module named" in outcome.message


@pytest.mark.bwrap  # without a pid namespace, /proc/<pid>/cmdline is world-readable
def test_the_grader_s_environment_and_command_line_stay_hidden(
    toolkit: WorkerSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADER_SECRET", MARKER + "-environment")
    seen = toolkit.call("snoop", os.getpid()).value
    assert isinstance(seen, str)
    assert MARKER + "-environment" not in seen
    assert "pytest" not in seen and "GRADER_SECRET" not in seen


def test_no_other_process_can_be_traced_or_read(toolkit: WorkerSession) -> None:
    outcome = toolkit.call("trace", os.getpid()).value
    assert isinstance(outcome, dict)
    assert outcome["ptrace"] in ("EPERM", "ESRCH")
    assert "read" not in outcome.values(), outcome
    assert alive(toolkit)


def test_loopback_is_out_of_reach() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.3)
        port = listener.getsockname()[1]
        with WorkerSession(submission(TOOLKIT), QUICK) as session:
            outcome = session.call("connect", port)
        assert outcome.status == "error"
        assert "PermissionError" in outcome.message or "unreachable" in outcome.message
        with pytest.raises(TimeoutError):
            listener.accept()


def test_no_process_can_be_started(toolkit: WorkerSession) -> None:
    outcome = toolkit.call("spawn").value
    assert outcome == {"Popen": "EPERM", "posix_spawn": "EPERM", "multiprocessing": "EPERM"}
    for function in ("daemonize", "fork_bomb"):
        forked = toolkit.call(function)
        assert forked.status == "error" and "PermissionError" in forked.message
    assert not processes_mentioning(MARKER)
    assert alive(toolkit)


def test_the_parent_and_the_process_group_cannot_be_signalled(toolkit: WorkerSession) -> None:
    killed = toolkit.call("kill_parent")
    assert killed.status == "error" and "PermissionError" in killed.message
    outcome = toolkit.call("signal_group").value
    assert isinstance(outcome, dict) and set(outcome.values()) == {"EPERM"}, outcome
    assert alive(toolkit)


@pytest.mark.parametrize("kind", ["huge npy header", "2**63 length", "garbage"])
def test_crafted_frames_break_only_the_call(toolkit: WorkerSession, kind: str) -> None:
    started = time.monotonic()
    outcome = toolkit.call("forge", kind)
    assert time.monotonic() - started < 3.0
    assert outcome.status == "crashed"
    assert "broke the connection between the grader and your code" in outcome.message
    assert alive(toolkit)


def test_a_cold_started_worker_is_defended_the_same_way(confined: str) -> None:
    """The same attacks on a worker exec'd without the zygote (``SandboxConfig(zygote=False)``)."""
    config = dataclasses.replace(QUICK, zygote=False, max_restarts=5)
    with WorkerSession(submission(TOOLKIT), config) as cold:
        assert not cold.warm
        assert cold.call("exit_now").message.endswith("(exit status 0)")
        assert cold.call("forge", "2**63 length").status == "crashed"
        assert "PermissionError" in cold.call("kill_parent").message
        assert set(cold.call("signal_group").value.values()) == {"EPERM"}  # type: ignore[union-attr]
        assert set(cold.call("spawn").value.values()) == {"EPERM"}  # type: ignore[union-attr]
        assert "MemoryError" in cold.call("memory_bomb").message
        assert MARKER not in str(cold.call("snoop", os.getpid()).value)
        assert alive(cold) and cold.restarts == 2


def test_a_thread_bomb_is_bounded_by_the_address_space() -> None:
    bomb = submission(
        """\
        import threading, time
        def thread_bomb():
            started = 0
            try:
                while started < 100_000:
                    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
                    started += 1
            except RuntimeError:
                pass
            return started
        def ok():
            return "alive"
        """
    )
    with WorkerSession(bomb, QUICK) as session:
        outcome = session.call("thread_bomb", timeout=5.0)
        assert outcome.status == "ok"
        assert isinstance(outcome.value, int) and outcome.value < 1000
        assert alive(session)


# ------------------------------------------------------------------------------ return values

SIGMOIDS = {
    "liar_subclass": """\
        class Liar(np.ndarray):
            def __eq__(self, other):
                return True
            def __array__(self, dtype=None, copy=None):
                return 1 / (1 + np.exp(-np.asarray(self.base)))
        def sigmoid(x):
            return np.asarray(x, dtype=float).copy().view(Liar)
        """,
    "eq_always_true": """\
        class Anything:
            def __eq__(self, other):
                return True
            def __array__(self, dtype=None, copy=None):
                return np.zeros(1)
        def sigmoid(x):
            return Anything()
        """,
    "object_dtype": """\
        def sigmoid(x):
            return np.array([1 / (1 + np.exp(-v)) for v in np.ravel(x)], dtype=object)
        """,
    "string_array": """\
        def sigmoid(x):
            return np.asarray(1 / (1 + np.exp(-np.asarray(x, dtype=float)))).astype(str)
        """,
    "huge_array": """\
        def sigmoid(x):
            return np.zeros(2 * 10**7)
        """,
    "nan": """\
        def sigmoid(x):
            return np.full(np.shape(x), np.nan)
        """,
    "inf": """\
        def sigmoid(x):
            return np.full(np.shape(x), np.inf)
        """,
    "scalar_broadcasting_trap": """\
        def sigmoid(x):
            return 0.5
        """,
}


@pytest.fixture(scope="module")
def logistic() -> Assignment:
    return quick("logistic-regression-from-scratch")


def run_one(session: WorkerSession, assignment: Assignment, check_id: str) -> CheckResult:
    question = next(q for q in assignment.questions if any(c.id == check_id for c in q.checks))
    spec = next(c for c in question.checks if c.id == check_id)
    ctx = CheckContext(session=session, assignment=assignment, question=question, spec=spec)
    return run_check(resolve(check_id), ctx)


@pytest.mark.parametrize("variant", sorted(SIGMOIDS))
def test_lying_or_malformed_return_values_earn_nothing(
    variant: str, logistic: Assignment, confined: str
) -> None:
    source = "import numpy as np\n" + textwrap.dedent(SIGMOIDS[variant])
    # NaN and inf of the right shape do keep the shape: that one check may pass.
    shaped = variant in ("nan", "inf")
    with WorkerSession(submission(source), QUICK) as session:
        for check_id in ("sigmoid_matches_reference",) + (
            () if shaped else ("sigmoid_preserves_shape",)
        ):
            result = run_one(session, logistic, check_id)
            assert result.status == "failed", (variant, check_id, result.message)
            assert result.score == 0.0


def test_a_shape_mismatch_is_reported_before_values(logistic: Assignment, confined: str) -> None:
    trap = submission(textwrap.dedent(SIGMOIDS["scalar_broadcasting_trap"]))
    with WorkerSession(trap, QUICK) as session:
        result = run_one(session, logistic, "sigmoid_matches_reference")
    assert "shape" in result.message


# ------------------------------------------------------------------------------ afterwards


def test_every_result_says_which_isolation_graded_it(
    graded: dict[str, SubmissionResult], assignment: Assignment, confined: str
) -> None:
    assert graded, "run with the engine cases"
    for result in graded.values():
        extra = result.to_gradescope()["extra_data"]
        assert extra["isolation"] == result.isolation == confined


def test_the_weaker_process_layer_is_reported_as_such(assignment: Assignment) -> None:
    from rich.console import Console

    from graders.report.terminal import render

    base = dataclasses.replace(BASE, isolation="process", zygote=False)
    config = sandbox_config(assignment, base=base)
    weak = grade_submission(submission(SOLUTION), assignment, student="weak", config=config)
    assert weak.isolation == "process" and weak.score == 10
    assert weak.to_gradescope()["extra_data"]["isolation"] == "process"
    console = Console(record=True, width=200)
    render(weak, console)
    text = " ".join(console.export_text().split())
    assert text.count("Warning") == 1  # one warning, in the layer's own words
    assert "Warning: isolation: process layer only (as configured)" in text


def test_the_next_submission_is_still_graded(
    graded: dict[str, SubmissionResult], assignment: Assignment, confined: str
) -> None:
    config = sandbox_config(assignment, base=BASE)
    result = grade_submission(submission(SOLUTION), assignment, student="next", config=config)
    assert (result.status, result.score, result.isolation) == ("graded", 10, confined)


def test_no_process_is_left_behind(before: set[int], toolkit: WorkerSession) -> None:
    """Runs last: the corpus has finished; only the zygote may remain, with no children."""
    toolkit.close()
    assert not processes_mentioning(MARKER)
    zygotes = set(zygote_pythons())

    def settled() -> bool:
        now = set(_descendants(os.getpid()))
        infrastructure = set(zygotes)
        for zygote in pool._zygotes.values():
            if zygote.pid is not None:
                infrastructure.add(zygote.pid)
                infrastructure |= {p for p in _descendants(zygote.pid) if not _below(p, zygotes)}
        return now <= before | infrastructure and not any(_descendants(z) for z in zygotes)

    assert wait_for(settled, 3.0), [
        (pid, _cmdline(pid)) for pid in set(_descendants(os.getpid())) - before
    ]


def _below(pid: int, ancestors: set[int]) -> bool:
    """Whether ``pid`` is a (strict) descendant of one of ``ancestors``."""
    return any(pid in _descendants(ancestor) for ancestor in ancestors)


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")[:200]
    except OSError:
        return "?"


def test_sliced_a_hostile_cell_that_grading_does_not_need_is_not_run(
    assignment: Assignment, confined: str
) -> None:
    hostile = (HOSTILE / "loop_at_import.py").read_text()
    sliced = dataclasses.replace(assignment, run_all_cells=False)
    result = grade_submission(
        submission(SOLUTION, hostile, name="loop"),
        sliced,
        student="loop",
        config=sandbox_config(sliced, base=BASE),
    )
    assert [c["cell"] for c in result.skipped_cells] == [2]
    assert all(c["status"] == "ok" for c in result.cell_reports)  # no timeout: it never ran
    assert result.score == 10
