"""Isolation planning and the bwrap command line (no worker is started here)."""

from __future__ import annotations

import pytest

from graders.errors import SandboxError
from graders.sandbox import isolation


def test_hidden_grader_paths_inside_a_bound_directory_get_an_empty_tmpfs() -> None:
    argv = isolation._mounts(
        ["/opt/py", "/opt/py/src/app/.venv"],
        ["/opt/py/src/app", "/elsewhere/reference"],
    )
    assert argv == [
        "--ro-bind",
        "/opt/py",
        "/opt/py",
        "--tmpfs",
        "/opt/py/src/app",  # hides the checkout ...
        "--ro-bind",
        "/opt/py/src/app/.venv",
        "/opt/py/src/app/.venv",  # ... not the venv in it
    ]


def test_outermost_drops_nested_and_usr_paths() -> None:
    assert isolation._outermost(["/a/b", "/a", "/usr/lib/python3", "/c/"]) == ("/a", "/c")


def test_worker_environment_is_scrubbed_and_pinned() -> None:
    env = isolation.scrubbed_env("/scratch", "/tmp")
    assert env["OPENBLAS_NUM_THREADS"] == env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"
    assert env["MPLBACKEND"] == "Agg"
    assert env["PYTHONHASHSEED"] == "0"
    assert env["HOME"] == "/scratch"
    assert not any(key.startswith(("PYTHONPATH", "LD_")) for key in env)


@pytest.mark.parametrize(
    ("code", "bwrap", "text"),
    [
        (3, False, "exit status 3"),
        (-11, False, "killed by SIGSEGV"),
        (139, True, "killed by SIGSEGV"),
        (-24, False, "CPU-time budget"),
        (139, False, "exit status 139"),
    ],
)
def test_exit_descriptions(code: int, bwrap: bool, text: str) -> None:
    assert text in isolation.describe_exit(code, bwrap=bwrap)


def test_fallback_is_never_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolation, "_bwrap_status", lambda: (None, "bwrap is not installed"))
    plan = isolation.plan_isolation("auto")
    assert plan.kind == "process"
    assert "weaker" in plan.note and "bwrap is not installed" in plan.note
    with pytest.raises(SandboxError, match="bwrap isolation was requested"):
        isolation.plan_isolation("bwrap")


def test_bwrap_command_binds_only_the_interpreter_code_and_scratch() -> None:
    plan = isolation.Plan("bwrap", "/usr/bin/bwrap", "", True)
    info = isolation.InterpreterInfo("/venv/bin/python", "3.11.7", ("/venv", "/pyroot"))
    argv, env = isolation.worker_command(
        plan, info, code_dir="/tmp/x/code", scratch="/tmp/x/scratch", worker_args=["3", "4"]
    )
    binds = [argv[i + 1] for i, arg in enumerate(argv) if arg in ("--ro-bind", "--bind")]
    assert set(binds) - {"/usr", "/bin", "/lib", "/lib64", "/sbin"} == {
        "/venv",
        "/pyroot",
        "/tmp/x/code",
        "/tmp/x/scratch",
    }
    assert argv[argv.index("--chdir") + 1] == isolation.SCRATCH_DIR
    assert argv[-6:] == ["/venv/bin/python", "-s", "-B", "/sandbox/worker.py", "3", "4"]
    for flag in ("--unshare-all", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in argv
    assert env["HOME"] == isolation.SCRATCH_DIR


def test_cold_bwrap_copies_the_data_into_a_capped_private_scratch() -> None:
    plan = isolation.Plan("bwrap", "/usr/bin/bwrap", "", True)
    info = isolation.InterpreterInfo("/venv/bin/python", "3.11.7", ("/venv",))
    argv, _ = isolation.worker_command(
        plan,
        info,
        code_dir="/tmp/x/code",
        scratch="/tmp/x/scratch",
        worker_args=["3", "4"],
        data=[("table.csv", 7), ("extra/deep/notes.txt", 8)],
        scratch_bytes=1234,
    )
    assert "/tmp/x/scratch" not in argv  # nothing of the host is writable
    tail = argv[argv.index("--ro-bind", argv.index("/venv") + 1) :]
    assert tail[: tail.index("--remount-ro")] == [
        "--ro-bind", "/tmp/x/code", "/sandbox",
        "--size", "1234", "--tmpfs", "/scratch",
        "--file", "7", "/scratch/table.csv",
        "--dir", "/scratch/extra",
        "--dir", "/scratch/extra/deep",
        "--file", "8", "/scratch/extra/deep/notes.txt",
    ]  # fmt: skip
    assert argv[argv.index("--remount-ro") : argv.index("--chdir")] == [
        "--remount-ro", "/dev", "--remount-ro", "/",
    ]  # fmt: skip


def test_the_zygote_keeps_only_the_capabilities_its_workers_drop() -> None:
    plan = isolation.Plan("bwrap", "/usr/bin/bwrap", "", True)
    info = isolation.InterpreterInfo("/venv/bin/python", "3.11.7", ("/venv",))
    argv, env = isolation.zygote_command(
        plan, info, code_dir="/tmp/z/code", zygote_args=["5", "bwrap", "numpy"]
    )
    added = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--cap-add"]
    assert added == ["CAP_SYS_ADMIN", "CAP_SETPCAP"]
    assert argv.index("--cap-drop") < argv.index("--cap-add")
    binds = [argv[i + 1] for i, arg in enumerate(argv) if arg in ("--ro-bind", "--bind")]
    assert set(binds) - {"/usr", "/bin", "/lib", "/lib64", "/sbin"} == {"/venv", "/tmp/z/code"}
    assert "--bind" not in argv  # nothing of the host is writable
    python = ["/venv/bin/python", "-s", "-B", "/sandbox/zygote.py"]
    assert argv[-7:] == [*python, "5", "bwrap", "numpy"]
    assert env == isolation.scrubbed_env(isolation.SCRATCH_DIR, "/tmp")
