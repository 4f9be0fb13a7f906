"""Isolation planning and the bwrap command line (no worker is started here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graders.errors import SandboxError
from graders.sandbox import cmdline, isolation, landlock, proctree


def test_hidden_grader_paths_inside_a_bound_directory_get_an_empty_tmpfs() -> None:
    argv = cmdline._mounts(
        ["/opt/py", "/opt/py/src/app/.venv"],
        ["/opt/py/src/app", "/elsewhere/reference"],
    )
    assert argv == [
        "--dir",
        "/opt",  # made by us (0755), not by bwrap (0700)
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
    env = cmdline.scrubbed_env("/scratch", "/tmp")
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
    assert text in proctree.describe_exit(code, bwrap=bwrap)


def test_fallback_is_never_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(isolation.ISOLATION_ENV, raising=False)  # CI's process-layer run sets it
    monkeypatch.setattr(isolation, "_bwrap_status", lambda: (None, "bwrap is not installed"))
    plan = isolation.plan_isolation("auto")
    assert plan.kind == "process"
    assert "weaker" in plan.note and "bwrap is not installed" in plan.note
    with pytest.raises(SandboxError, match="bwrap isolation was requested"):
        isolation.plan_isolation("bwrap")


def test_bwrap_command_binds_only_the_interpreter_code_and_scratch() -> None:
    plan = isolation.Plan("bwrap", "/usr/bin/bwrap", "", True)
    info = isolation.InterpreterInfo("/venv/bin/python", "3.11.7", ("/venv", "/pyroot"))
    argv, env = cmdline.worker_command(
        plan, info, code_dir="/tmp/x/code", scratch="/tmp/x/scratch", worker_args=["3", "4"]
    )
    binds = [argv[i + 1] for i, arg in enumerate(argv) if arg in ("--ro-bind", "--bind")]
    assert set(binds) - {"/usr", "/bin", "/lib", "/lib64", "/sbin"} == {
        "/venv",
        "/pyroot",
        "/tmp/x/code",
        "/tmp/x/scratch",
    }
    assert argv[argv.index("--chdir") + 1] == cmdline.SCRATCH_DIR
    assert argv[-6:] == ["/venv/bin/python", "-s", "-B", "/sandbox/worker.py", "3", "4"]
    for flag in ("--unshare-all", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in argv
    assert env["HOME"] == cmdline.SCRATCH_DIR


def test_cold_bwrap_copies_the_data_into_a_capped_private_scratch() -> None:
    plan = isolation.Plan("bwrap", "/usr/bin/bwrap", "", True)
    info = isolation.InterpreterInfo("/venv/bin/python", "3.11.7", ("/venv",))
    argv, _ = cmdline.worker_command(
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
    argv, env = cmdline.zygote_command(
        plan, info, code_dir="/tmp/z/code", zygote_args=["5", "bwrap", "numpy"]
    )
    added = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--cap-add"]
    assert added == ["CAP_SYS_ADMIN", "CAP_SETPCAP"]
    assert argv.index("--cap-drop") < argv.index("--cap-add")
    binds = [argv[i + 1] for i, arg in enumerate(argv) if arg in ("--ro-bind", "--bind")]
    assert set(binds) - {"/usr", "/bin", "/lib", "/lib64", "/sbin"} == {"/venv", "/tmp/z/code"}
    assert "--bind" not in argv  # nothing of the host is writable
    python = ["/venv/bin/python", "-s", "-B", "/sandbox/zygote.py"]
    assert argv[-8:] == [*python, "5", "bwrap", "numpy", '{"uid": null}']
    assert env == cmdline.scrubbed_env(cmdline.SCRATCH_DIR, "/tmp")


ROOT_PLAN = isolation.Plan("bwrap", "/usr/bin/bwrap", "", True, worker_uid=isolation.NOBODY)
VENV = isolation.InterpreterInfo("/venv/bin/python", "3.11.7", ("/venv",))


def test_a_root_grader_s_bwrap_has_no_user_namespace_and_its_zygote_may_change_uid() -> None:
    argv, _ = cmdline.zygote_command(
        ROOT_PLAN, VENV, code_dir="/tmp/z/code", zygote_args=["5", "bwrap", "numpy"]
    )
    assert "--unshare-all" not in argv and "--unshare-user" not in argv
    for flag in ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"):
        assert flag in argv
    added = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--cap-add"]
    assert added == ["CAP_SYS_ADMIN", "CAP_SETPCAP", "CAP_SETUID", "CAP_SETGID", "CAP_KILL"]
    assert argv[-1] == '{"uid": 65534}'  # each worker becomes nobody before student code


def test_a_root_grader_s_cold_worker_is_launched_through_the_uid_drop() -> None:
    argv, _ = cmdline.worker_command(
        ROOT_PLAN, VENV, code_dir="/tmp/x/code", scratch="/tmp/x/s", worker_args=["3", "4"]
    )
    assert "--unshare-all" not in argv
    command = argv[argv.index("--", argv.index("--chdir")) + 1 :]
    assert command == [
        "/venv/bin/python", "-I", "-S", "-B", "/sandbox/launcher.py",
        '{"proc": true, "uid": 65534, "own": "/scratch"}', "--",
        "/venv/bin/python", "-s", "-B", "/sandbox/worker.py", "3", "4",
    ]  # fmt: skip
    added = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--cap-add"]
    assert added == ["CAP_SYS_ADMIN", "CAP_SETPCAP", "CAP_SETUID", "CAP_SETGID", "CAP_CHOWN"]


def test_a_cold_worker_covers_proc_then_drops_every_capability() -> None:
    plan = isolation.Plan("bwrap", "/usr/bin/bwrap", "", True)
    argv, _ = cmdline.worker_command(
        plan, VENV, code_dir="/tmp/x/code", scratch="/tmp/x/s", worker_args=["3", "4"]
    )
    added = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--cap-add"]
    assert added == ["CAP_SYS_ADMIN", "CAP_SETPCAP"]
    launcher = argv.index("/sandbox/launcher.py")
    assert json.loads(argv[launcher + 1]) == {"proc": True, "uid": None, "own": None}


def test_bound_directories_parents_are_made_traversable() -> None:
    argv = cmdline._mounts(["/root/.pyenv/versions/3.11", "/work/wt/.venv"], ["/work/wt"])
    assert argv == [
        "--dir", "/root", "--dir", "/work",
        "--dir", "/root/.pyenv", "--dir", "/work/wt",
        "--ro-bind", "/work/wt/.venv", "/work/wt/.venv", "--dir", "/root/.pyenv/versions",
        "--ro-bind", "/root/.pyenv/versions/3.11", "/root/.pyenv/versions/3.11",
    ]  # fmt: skip


def test_plan_for_a_root_grader_drops_the_worker_to_nobody(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolation, "_bwrap_status", lambda: ("/usr/bin/bwrap", None))
    monkeypatch.setattr(isolation, "_as_root", lambda: True)
    assert isolation.plan_isolation("bwrap").worker_uid == isolation.NOBODY
    monkeypatch.setattr(isolation, "_as_root", lambda: False)
    assert isolation.plan_isolation("bwrap").worker_uid is None


def test_the_process_layer_says_what_it_cannot_promise(monkeypatch: pytest.MonkeyPatch) -> None:
    note = isolation.plan_isolation("process").note
    for fragment in ("cannot promise", "every process in /proc", "pidfds, io_uring"):
        assert fragment in note
    monkeypatch.setattr(isolation, "landlock_abi", lambda: 0)
    note = isolation.plan_isolation("process").note
    assert "no Landlock" in note and "/tmp, /dev/shm" in note


def test_a_process_layer_worker_is_launched_through_landlock() -> None:
    plan = isolation.Plan("process")
    argv, _ = cmdline.worker_command(
        plan, VENV, code_dir="/tmp/x/code", scratch="/tmp/x/s", worker_args=["3", "4"]
    )
    assert argv[:5] == ["/venv/bin/python", "-I", "-S", "-B", "/tmp/x/code/launcher.py"]
    confinement = json.loads(argv[5])
    assert confinement["read"] == ["/venv", "/tmp/x/code"]
    assert confinement["write"] == ["/tmp/x/s"]
    assert confinement["hidden"] == list(cmdline.hidden_paths())
    assert argv[6:] == ["--", "/venv/bin/python", "-s", "-B", "/tmp/x/code/worker.py", "3", "4"]


def test_hidden_paths_inside_a_readable_one_are_left_out(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    for name in ("numpy", "graders", "reference", "pandas"):
        (site / name).mkdir(parents=True)
    (site / "six.py").write_text("")
    hidden = [str(site / "graders"), str(site / "reference"), "/elsewhere"]
    assert landlock._uncovered([str(site), "/usr"], hidden) == sorted(
        [str(site / "numpy"), str(site / "pandas"), str(site / "six.py"), "/usr"]
    )


def test_a_grader_installed_under_usr_is_covered_too() -> None:
    # ``pip install`` into the system Python puts graders/ and reference/ in
    # /usr/local/lib/python3.X/site-packages: /usr is bound whole, so they need a cover there.
    site = "/usr/local/lib/python3.11/site-packages"
    argv = cmdline._mounts([], [f"{site}/graders", f"{site}/reference", "/elsewhere/tests"])
    assert argv == ["--tmpfs", f"{site}/graders", "--tmpfs", f"{site}/reference"]


def test_a_root_worker_is_refused_where_landlock_cannot_confine_its_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # uid 65534 cannot run the interpreter, so the worker would stay uid 0 (without
    # capabilities, but still the owner of root's files); only Landlock keeps it off them.
    monkeypatch.setattr(isolation, "_as_root", lambda: True)
    monkeypatch.setattr(isolation, "_runs_as", lambda python, uid: False)
    monkeypatch.setattr(isolation, "landlock_abi", lambda: 7)
    plan = isolation.plan_isolation("process", "/venv/bin/python")
    assert plan.user is None and "root without capabilities" in plan.note
    monkeypatch.setattr(isolation, "landlock_abi", lambda: 0)
    with pytest.raises(SandboxError, match="refusing to run the student's code as root"):
        isolation.plan_isolation("process", "/venv/bin/python")
    monkeypatch.setattr(isolation, "_runs_as", lambda python, uid: True)
    assert isolation.plan_isolation("process", "/venv/bin/python").user == isolation.NOBODY


def test_hidden_paths_name_the_grader_as_found_and_as_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A venv reached through a symlink (/opt/venv -> /data/venv) is bound under both names:
    # the grader installed in it must be covered under both.
    real = tmp_path / "real"
    (real / "graders" / "sandbox").mkdir(parents=True)
    (real / "reference").mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    monkeypatch.setattr(cmdline, "__file__", str(link / "graders" / "sandbox" / "cmdline.py"))
    hidden = cmdline.hidden_paths()
    assert sorted(hidden) == sorted(
        str(root / name) for root in (link, real) for name in ("graders", "reference")
    )
    argv = cmdline._mounts([str(link)], hidden)
    pairs = list(zip(argv, argv[1:], strict=False))
    assert ("--tmpfs", str(link / "graders")) in pairs
    assert ("--tmpfs", str(link / "reference")) in pairs
