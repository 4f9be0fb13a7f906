"""A venv that lives under /tmp (a checkout cloned there) must stay importable in a warm worker.

Each warm worker used to mount a private tmpfs over /tmp, which hid the bound interpreter
below it: modules the zygote had preloaded still worked, but any lazy import failed with
ModuleNotFoundError (CI caught it as `pandas.core.reshape.reshape` in a crosstab).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy
import pytest

from graders.load import Cell, Submission
from graders.sandbox import SandboxConfig, WorkerSession, isolation

PROBE = """
import os, tempfile

def lazy():
    import probe_only_in_tmp_venv  # never preloaded by the zygote
    return probe_only_in_tmp_venv.VALUE

def temp_file():
    found = sorted(os.listdir("/tmp"))
    with tempfile.NamedTemporaryFile(dir=None, delete=False) as handle:
        handle.write(b"x")
    with open("/tmp/left_for_the_next_student", "w") as note:
        note.write("answers")
    return os.path.dirname(handle.name), found

def write_beside(path):
    try:
        open(path, "a").close()
    except OSError as exc:
        return type(exc).__name__ + str(exc.errno)
    return "written"
"""


@pytest.fixture(scope="module")
def tmp_venv_python() -> Iterator[str]:
    if isolation.plan_isolation("auto").kind != "bwrap":
        pytest.skip("needs bubblewrap: the private /tmp mount exists only in the bwrap zygote")
    # As a checkout cloned into /tmp holds its venv: /tmp/<checkout>/.venv.
    checkout = Path(tempfile.mkdtemp(prefix="grader-test-checkout-", dir="/tmp"))
    root = checkout / ".venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120
    )
    (packages,) = root.glob("lib/python*/site-packages")
    # The sandbox binds an interpreter's own site-packages only, so the worker's one hard
    # dependency is copied in; the zygote skips the preloads it cannot import.
    shutil.copytree(Path(numpy.__file__).parent, packages / "numpy", symlinks=True)
    for libs in Path(numpy.__file__).parent.parent.glob("numpy.libs"):
        shutil.copytree(libs, packages / libs.name, symlinks=True)
    (packages / "probe_only_in_tmp_venv.py").write_text("VALUE = 42\n")
    yield str(root / "bin" / "python")
    shutil.rmtree(checkout, ignore_errors=True)


def test_a_warm_worker_imports_lazily_from_a_venv_under_tmp(tmp_venv_python: str) -> None:
    submission = Submission(
        path=Path("probe.py"), kind="py", sha256="0" * 64, cells=(Cell(1, textwrap.dedent(PROBE)),)
    )
    config = SandboxConfig(python=tmp_venv_python)
    for student in ("first", "second"):
        with WorkerSession(submission, config) as session:
            assert session.isolation == "bwrap"
            assert session.warm, "the zygote did not start: this test is about warm workers"
            outcome = session.call("lazy")
            assert outcome.status == "ok", outcome.message
            assert outcome.value == 42
            temp = session.call("temp_file")
            assert temp.status == "ok", temp.message
            where, found = temp.value  # type: ignore[misc]
            # /tmp is still each worker's own: what the first student left is not there for
            # the second, and nothing of the host's /tmp shows but the path to the venv.
            assert where == "/tmp", student
            assert "left_for_the_next_student" not in found, student
            checkout = Path(tmp_venv_python).parents[2]
            assert found == [checkout.name], student
            # The venv and the directories made to hold it are read-only (EROFS is errno 30).
            for path in (checkout / "planted.py", checkout / ".venv" / "planted.py"):
                assert session.call("write_beside", str(path)).value == "OSError30", path
