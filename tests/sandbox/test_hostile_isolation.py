"""The hostile corpus, round 2 (issue #13): what the worker's uid and the process layer allow.

- Under bwrap run by root, the worker used to be the host's uid 0, and the ``/proc/sys`` of its
  fresh ``/proc`` was writable: every ``/proc/sys`` file must now refuse to open for writing,
  and the worker seen from the host must not be root.
- On the process layer, a pidfd (a ``/proc/<pid>`` directory is one) signalled the grader,
  io_uring's socket operation got past the socket rule, and the worker read the references
  and wrote to ``/tmp`` and ``/dev/shm``: all of these must now fail.

Every case runs warm (forked by the zygote) and cold. Safety: files are only opened, never
written; signals are signal 0 (which only asks); an io_uring that opens is closed at once; any
file an escaped payload created is removed afterwards.
"""

from __future__ import annotations

import dataclasses
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import graders
from graders.engine import grade_submission, sandbox_config
from graders.load import Cell, Submission
from graders.sandbox import SandboxConfig, WorkerSession, cmdline, isolation, landlock
from graders.spec import load_assignment

REPO = Path(graders.__file__).resolve().parents[1]
MARKER = "hostile-isolation-5c1d"
CONFIG = SandboxConfig(memory_mb=512, output_cap=4096, cpu_seconds=30, call_timeout=20.0)

TOOLKIT = f"""\
import ctypes, errno, os

MARKER = {MARKER!r}
libc = ctypes.CDLL(None, use_errno=True)

def code(exc):
    return errno.errorcode.get(exc.errno, str(exc.errno))

def writable_proc_sys():
    tried, opened = 0, []
    for root, dirs, files in os.walk("/proc/sys"):
        for name in files:
            path = os.path.join(root, name)
            tried += 1
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)  # never written
            except OSError:
                continue
            os.close(fd)
            opened.append(path)
    return tried, opened

def name_myself(name):
    libc.prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME: the host finds us by it
    return "named"

def try_read(paths):
    outcome = {{}}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                handle.read(100)
            outcome[path] = "read"
        except OSError as exc:
            outcome[path] = code(exc)
    return outcome

def try_create(paths):
    outcome = {{}}
    for path in paths:
        try:
            with open(path, "x"):
                outcome[path] = "created"
        except OSError as exc:
            outcome[path] = code(exc)
    return outcome

def syscall(number, *args):
    result = libc.syscall(ctypes.c_long(number), *args)
    return result, (errno.errorcode.get(ctypes.get_errno(), "?") if result < 0 else "ok")

def pidfds(grader_pid):
    outcome = {{}}
    outcome["pidfd_open(self)"] = syscall(434, os.getpid(), 0)[1]
    for who, pid in (("self", os.getpid()), ("grader", grader_pid)):
        try:
            fd = os.open(f"/proc/{{pid}}", os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            outcome[f"pidfd_send_signal({{who}})"] = "no /proc entry: " + code(exc)
            continue
        try:  # signal 0 only asks whether a signal could be sent
            outcome[f"pidfd_send_signal({{who}})"] = syscall(424, fd, 0, None, 0)[1]
        finally:
            os.close(fd)
    return outcome

def io_uring():
    params = ctypes.create_string_buffer(120)  # struct io_uring_params, all zero
    fd, outcome = syscall(425, 1, params)
    if fd >= 0:
        os.close(fd)
    return outcome
"""

LAYERS = ["bwrap", "process"]
MODES = {"warm": True, "cold": False}


def submission(source: str) -> Submission:
    return Submission(
        path=Path("hostile.ipynb"),
        kind="ipynb",
        sha256="0" * 64,
        cells=(Cell(1, textwrap.dedent(source)),),
    )


@pytest.fixture(scope="module", params=LAYERS)
def layer(request: pytest.FixtureRequest) -> str:
    if request.param == "bwrap":
        _, problem = isolation._bwrap_status()
        if problem is not None:
            pytest.skip(f"bubblewrap does not work here: {problem}")
    return str(request.param)


@pytest.fixture(scope="module", params=sorted(MODES))
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def worker(layer: str, mode: str) -> Iterator[WorkerSession]:
    """A worker of ``layer``, forked by the zygote ("warm") or exec'd on its own ("cold")."""
    yield from _session(layer, mode)


@pytest.fixture(scope="module")
def process_worker(mode: str) -> Iterator[WorkerSession]:
    """A worker confined by the process layer alone (as without bubblewrap)."""
    yield from _session("process", mode)


def _session(layer: str, mode: str) -> Iterator[WorkerSession]:
    config = dataclasses.replace(CONFIG, isolation=layer, zygote=MODES[mode])
    with WorkerSession(submission(TOOLKIT), config) as session:
        assert [r.status for r in session.cell_reports] == ["ok"], session.cell_reports
        assert session.isolation == layer and session.warm == MODES[mode]
        yield session


# ------------------------------------------------------------------------------ every layer


def test_no_proc_sys_file_opens_for_writing(worker: WorkerSession) -> None:
    outcome = worker.call("writable_proc_sys")
    assert outcome.status == "ok", outcome.message
    tried, opened = outcome.value  # type: ignore[misc]
    assert tried > 100  # the walk did reach the knobs
    assert opened == []


def test_the_worker_is_not_root_seen_from_the_host(worker: WorkerSession, mode: str) -> None:
    name = f"h13-{worker.isolation[0]}{mode[0]}-{os.getpid() % 10**6}"
    assert worker.call("name_myself", name).value == "named"
    found = _status_of(name)
    assert len(found) == 1, found
    uids = [int(field) for field in found[0]["Uid"].split()]
    gids = [int(field) for field in found[0]["Gid"].split()]
    if worker.isolation == "bwrap" or os.geteuid() != 0 or _process_user() is not None:
        assert 0 not in uids and 0 not in gids, found[0]
    else:  # uid 65534 cannot run this interpreter: root, but without any capability
        assert int(found[0]["CapEff"], 16) == int(found[0]["CapPrm"], 16) == 0, found[0]
        assert int(found[0]["CapBnd"], 16) == 0, found[0]
    if os.geteuid() == 0 and (worker.isolation == "bwrap" or _process_user() is not None):
        assert uids == [isolation.NOBODY] * 4 and gids == [isolation.NOBODY] * 4
        assert found[0]["Groups"] == ""


def test_pidfds_signal_nothing(worker: WorkerSession) -> None:
    outcome = worker.call("pidfds", os.getpid())
    assert outcome.status == "ok", outcome.message
    assert isinstance(outcome.value, dict)
    assert outcome.value.pop("pidfd_open(self)") == "EPERM"
    assert outcome.value.pop("pidfd_send_signal(self)") == "EPERM"
    # From bwrap the grader's pid is not even in the worker's /proc.
    assert outcome.value["pidfd_send_signal(grader)"] in ("EPERM", "no /proc entry: ENOENT")


def test_io_uring_cannot_be_set_up(worker: WorkerSession) -> None:
    outcome = worker.call("io_uring")
    assert (outcome.status, outcome.value) == ("ok", "EPERM"), outcome.message


# ------------------------------------------------------------------------------ process layer


def test_the_process_layer_cannot_read_the_grader_s_tree(process_worker: WorkerSession) -> None:
    secrets = [
        REPO / "reference" / "mle.py",
        REPO / "reference" / "logistic.py",
        REPO / "graders" / "checks" / "mle.py",
        REPO / "assignments" / "mle" / "assignment.toml",
        REPO / "assignments" / "mle" / "examples" / "solution.py",
    ]
    assert all(path.exists() for path in secrets)
    outcome = process_worker.call("try_read", [str(p) for p in secrets])
    assert isinstance(outcome.value, dict)
    assert set(outcome.value.values()) == {"EACCES"}, outcome.value


def test_the_process_layer_writes_only_its_scratch(process_worker: WorkerSession) -> None:
    shared = [f"/tmp/{MARKER}", f"/dev/shm/{MARKER}", f"{REPO}/{MARKER}"]
    try:
        outcome = process_worker.call("try_create", [*shared, MARKER])
        assert isinstance(outcome.value, dict)
        assert outcome.value.pop(MARKER) == "created"  # its own working directory
        assert set(outcome.value.values()) == {"EACCES"}, outcome.value
    finally:
        for path in shared:  # had any escaped, this is what it would have made
            Path(path).unlink(missing_ok=True)


def test_the_process_layer_result_says_what_it_cannot_promise() -> None:
    assignment = load_assignment("mle")
    config = sandbox_config(assignment, base=dataclasses.replace(CONFIG, isolation="process"))
    solution = (REPO / "assignments" / "mle" / "examples" / "solution.py").read_text()
    with WorkerSession(submission(solution), config) as session:
        notes = session.notes
    layer = [note for note in notes if note.startswith("isolation:")]
    assert len(layer) == 1, notes
    for fragment in (
        "It cannot promise what bubblewrap does",
        "sees every process in /proc",
        "pidfds, io_uring",
    ):
        assert fragment in layer[0]
    assert ("Landlock (ABI" in layer[0]) == (landlock.landlock_abi() > 0)
    result = grade_submission(submission(solution), assignment, student="weak", config=config)
    assert result.isolation == "process" and result.score == assignment.max_score


# ------------------------------------------------------------------------------ helpers


def _process_user() -> int | None:
    python = isolation.describe_interpreter(CONFIG.python).python
    return isolation.plan_isolation("process", python).user


def _status_of(name: str) -> list[dict[str, str]]:
    """/proc/<pid>/status of every process on this machine named ``name``, as fields."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as status:
                fields = dict(line.rstrip("\n").partition(":")[::2] for line in status)
        except OSError:
            continue
        fields = {key: value.strip() for key, value in fields.items()}
        if fields.get("Name") == name:
            found.append(fields)
    return found


@pytest.mark.bwrap
def test_a_hidden_path_under_usr_is_empty_in_a_cold_bwrap_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stands in for a grader pip-installed into the system Python (/usr/local/lib/...): /usr is
    # bound whole, and what lies below it must be covered like anything else that is hidden.
    candidates = ("/usr/share/doc", "/usr/share/man", "/usr/include")
    hidden = next((p for p in candidates if os.path.isdir(p) and os.listdir(p)), None)
    if hidden is None:
        pytest.skip("no non-empty directory under /usr/share to stand in for the grader")
    monkeypatch.setattr(cmdline, "hidden_paths", lambda: (hidden,))
    source = f"import os\ndef listing():\n    return sorted(os.listdir({hidden!r}))\n"
    config = dataclasses.replace(CONFIG, isolation="bwrap", zygote=False)
    with WorkerSession(submission(source), config) as session:
        assert session.isolation == "bwrap"
        assert session.call("listing").value == []
