"""Seccomp fails closed where it matters: a worker that starts as root never runs without it.

The rule (``graders.sandbox.syscalls``' docstring): a root grader's workers start as uid 0 and
either drop to the uid every worker shares or stay uid 0 without capabilities; only seccomp
then stops their forks, execs and signals. Without libseccomp such a session is refused when it
is planned, and such a worker refuses to serve (exit status 70 before any student code). A
non-root grader keeps working with a note. The missing library is simulated by replacing the
loader (``syscalls._load_library``), in this process or in the worker's private copy of
``syscalls.py``; nothing is uninstalled, and no filter is ever installed in this process.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from graders.errors import SandboxError
from graders.load import Cell, Submission
from graders.sandbox import SandboxConfig, WorkerSession, cmdline, isolation, scratch, syscalls

CONFIG = SandboxConfig(memory_mb=512, output_cap=4096, cpu_seconds=30, zygote=False)
MISSING = "libseccomp.so.2: cannot open shared object file (simulated)"
INFO = isolation.InterpreterInfo("/venv/bin/python", "3.11.7", ("/venv",))


def _missing() -> object:
    raise OSError(MISSING)


@pytest.fixture
def no_libseccomp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(syscalls, "_load_library", _missing)


# ------------------------------------------------------------------------------ the worker's call


def test_a_required_filter_that_cannot_be_installed_refuses(no_libseccomp: None) -> None:
    with pytest.raises(syscalls.SeccompRequired, match=r"refusing to run .*libseccomp\.so\.2"):
        syscalls.install_seccomp(required=True)


def test_the_grader_s_word_makes_it_required_and_is_removed(
    no_libseccomp: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(syscalls.os, "geteuid", lambda: 1000)
    monkeypatch.setenv(syscalls.SECCOMP_ENV, "required")
    with pytest.raises(syscalls.SeccompRequired):
        syscalls.install_seccomp()
    assert syscalls.SECCOMP_ENV not in syscalls.os.environ  # the student never sees it


def test_a_worker_that_is_still_root_requires_it_by_itself(
    no_libseccomp: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(syscalls.SECCOMP_ENV, raising=False)
    monkeypatch.setattr(syscalls.os, "geteuid", lambda: 0)
    with pytest.raises(syscalls.SeccompRequired):
        syscalls.install_seccomp()


def test_a_non_root_worker_without_libseccomp_gets_a_note(
    no_libseccomp: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(syscalls.SECCOMP_ENV, raising=False)
    monkeypatch.setattr(syscalls.os, "geteuid", lambda: 1000)
    note = syscalls.install_seccomp()
    assert note is not None and "libseccomp.so.2 not found" in note


# ------------------------------------------------------------------------------ the grader's plan


@pytest.mark.parametrize("layer", ["process", "bwrap", "auto"])
def test_a_root_grader_without_seccomp_plans_no_session(
    no_libseccomp: None, monkeypatch: pytest.MonkeyPatch, layer: str
) -> None:
    monkeypatch.setattr(isolation, "_as_root", lambda: True)
    monkeypatch.setattr(isolation, "_bwrap_status", lambda: ("/usr/bin/bwrap", None))
    monkeypatch.setattr(isolation, "_bwrap_has_size", lambda bwrap: True)
    monkeypatch.setattr(isolation, "_runs_as", lambda python, uid: True)
    with pytest.raises(SandboxError, match="the grader runs as root and seccomp is unavailable"):
        isolation.plan_isolation(layer, "python3")


def test_a_non_root_grader_without_seccomp_still_plans(
    no_libseccomp: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(isolation, "_as_root", lambda: False)
    plan = isolation.plan_isolation("process", "python3")
    assert plan.kind == "process" and not plan.seccomp_required


def test_a_root_grader_s_workers_are_told_it_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(syscalls, "_load_library", lambda: object())
    monkeypatch.setattr(isolation, "_as_root", lambda: True)
    monkeypatch.setattr(isolation, "_runs_as", lambda python, uid: True)
    assert isolation.plan_isolation("process", "python3").seccomp_required
    for kind, bwrap in (("process", None), ("bwrap", "/usr/bin/bwrap")):
        plan = isolation.Plan(kind, bwrap, seccomp_required=True, worker_uid=isolation.NOBODY)
        argv, env = cmdline.worker_command(
            plan, INFO, code_dir="/tmp/x/code", scratch="/tmp/x/s", worker_args=["3", "4"]
        )
        zargv, zenv = cmdline.zygote_command(plan, INFO, code_dir="/tmp/x/c", zygote_args=["3"])
        if bwrap is None:
            assert env[syscalls.SECCOMP_ENV] == zenv[syscalls.SECCOMP_ENV] == "required"
        else:  # bwrap clears the environment: the worker's is set inside
            for line in (argv, zargv):
                at = line.index(syscalls.SECCOMP_ENV)
                assert line[at - 1 : at + 2] == ["--setenv", syscalls.SECCOMP_ENV, "required"]
        plain = dataclasses.replace(plan, seccomp_required=False)
        argv, env = cmdline.worker_command(
            plain, INFO, code_dir="/tmp/x/code", scratch="/tmp/x/s", worker_args=["3", "4"]
        )
        assert syscalls.SECCOMP_ENV not in env and syscalls.SECCOMP_ENV not in argv


# ------------------------------------------------------------------------------ a real worker


def _without_libseccomp(code_dir: Path) -> None:
    """The worker's own copy of its files, with a loader that finds no libseccomp."""
    real_copy(code_dir)
    target = code_dir / "syscalls.py"
    target.chmod(0o644)
    with target.open("a", encoding="utf-8") as module:
        module.write(f"\n\ndef _load_library():\n    raise OSError({MISSING!r})\n")
    target.chmod(0o444)


real_copy = scratch.copy_worker_code

MARKER_SOURCE = "import os\nos.write(2, b'student code ran\\n')\ndef f():\n    return 1\n"


@pytest.mark.parametrize("layer", ["process", "bwrap"])
def test_a_worker_without_libseccomp_refuses_or_notes_it(
    monkeypatch: pytest.MonkeyPatch, layer: str
) -> None:
    if layer == "bwrap" and isolation._bwrap_status()[1] is not None:
        pytest.skip(f"bubblewrap does not work here: {isolation._bwrap_status()[1]}")
    monkeypatch.setattr(scratch, "copy_worker_code", _without_libseccomp)
    config = dataclasses.replace(CONFIG, isolation=layer)
    cells = (Cell(1, MARKER_SOURCE),)
    student = Submission(path=Path("s.py"), kind="py", sha256="0" * 64, cells=cells)
    if isolation._as_root():
        with pytest.raises(SandboxError) as raised:
            WorkerSession(student, config)
        message = str(raised.value)
        assert "exit status 70" in message, message
        assert "could not confine the worker: refusing to run the student's code" in message
        assert "without seccomp" in message and "libseccomp.so.2 not found" in message, message
        assert "student code ran" not in message
    else:
        with WorkerSession(student, config) as session:
            assert session.call("f").value == 1
            notes = [n for n in session.notes if n.startswith("seccomp")]
            assert notes == ["seccomp unavailable (libseccomp.so.2 not found): fork is not blocked"]
