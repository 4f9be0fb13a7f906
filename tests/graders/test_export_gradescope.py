"""The Gradescope autograder export, run as Gradescope would run it, without Gradescope.

One zip is built (``grader export gradescope``), unpacked into a temporary autograder root,
installed with its own ``setup.sh`` into a virtual environment there (from the bundled wheel and
the package registry; the apt step skipped), and ``run_autograder`` grades submissions in it.
Every results.json must validate against Gradescope's documented format, and its scores must
equal ``grader check --format json``'s with the same course secret.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from graders.cli import main
from graders.export.autograde import MANIFEST, pick_submission
from graders.hidden import CourseSecret
from graders.spec import ASSIGNMENTS_DIR

SLUG = "logistic-regression-from-scratch"
EXAMPLES = ASSIGNMENTS_DIR / SLUG / "examples"
SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())
SECRET = CourseSecret(b"a course secret of the export test, 256 bits or so....")


def unpack(archive: Path, into: Path) -> None:
    """Unzip keeping each entry's mode, as Gradescope's unzip does."""
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            path = Path(zipped.extract(info, into))
            path.chmod(stat.S_IMODE(info.external_attr >> 16))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zip, built through the command line with a known secret."""
    folder = tmp_path_factory.mktemp("export")
    secret_file = folder / "course.secret"
    secret_file.write_text(SECRET.to_text())
    out = folder / "autograder.zip"
    code = main(
        [
            "export",
            "gradescope",
            "--assignment",
            SLUG,
            "--out",
            str(out),
            "--secret-file",
            str(secret_file),
        ]
    )
    assert code == 0
    return out


@pytest.fixture(scope="module")
def root(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An autograder root with the zip unpacked in source/ and setup.sh run."""
    root = tmp_path_factory.mktemp("autograder")
    unpack(built, root / "source")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_SETUP_NO_APT": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "mle-grader" in done.stdout  # setup.sh ends by asking the installed grader its version
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    return root


def run_autograder(root: Path, *files: Path) -> dict[str, Any]:
    """Put ``files`` in submission/, run run_autograder, return the validated results.json."""
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    submission.mkdir()
    for file in files:
        shutil.copy2(file, submission / file.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    env["AUTOGRADER_ROOT"] = str(root)
    if os.environ.get("GRADER_ISOLATION"):  # the suite's forced layer holds here too
        env["GRADER_ISOLATION"] = os.environ["GRADER_ISOLATION"]
    done = subprocess.run(
        [str(root / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(document, SCHEMA)
    return document


def check_json(path: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> dict[str, Any]:
    """``grader check --format json`` with the zip's secret."""
    secret_file = tmp_path / "check.secret"
    secret_file.write_text(SECRET.to_text())
    capsys.readouterr()
    main(
        [
            "check",
            str(path),
            "--assignment",
            SLUG,
            "--format",
            "json",
            "--secret-file",
            str(secret_file),
        ]
    )
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def test_the_zip_has_gradescopes_layout_and_no_sample_solutions(built: Path) -> None:
    with zipfile.ZipFile(built) as zipped:
        infos = {info.filename: info for info in zipped.infolist()}
        manifest = json.loads(zipped.read(MANIFEST))
        for name, digest in manifest["files"].items():
            import hashlib

            assert hashlib.sha256(zipped.read(name)).hexdigest() == digest, name
    assert {"setup.sh", "run_autograder", "secret.txt", MANIFEST} <= set(infos)
    assert [n for n in infos if n.startswith("grader/")] == [f"grader/{manifest['wheel']}"]
    assert f"assignment/{SLUG}/assignment.toml" in infos
    assert f"assignment/{SLUG}/data/breast_cancer_train.csv" in infos
    assert not [n for n in infos if "examples" in n or "mutants" in n]  # no answers shipped
    modes = {n: stat.S_IMODE(i.external_attr >> 16) for n, i in infos.items()}
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert modes["secret.txt"] == 0o600
    assert manifest["assignment"] == SLUG
    assert manifest["secret_fingerprint"] == SECRET.fingerprint
    with (
        zipfile.ZipFile(built) as zipped,
        zipfile.ZipFile(io.BytesIO(zipped.read(f"grader/{manifest['wheel']}"))) as wheel,
    ):
        shipped = set(wheel.namelist())
    # The reports' shared templates and stylesheet travel in the wheel (package data).
    for name in ("_feedback.html", "_summary.html", "feedback.html", "summary.html", "report.css"):
        assert f"graders/report/templates/{name}" in shipped, name


def test_setup_keeps_the_grader_apart_from_the_students_interpreter(root: Path) -> None:
    assert (root / "grader-lib" / "graders" / "export" / "autograde.py").is_file()
    assert (root / "grader-lib" / "reference").is_dir()
    site = list((root / "venv").glob("lib/python*/site-packages"))
    assert site and not (site[0] / "reference").exists() and not (site[0] / "graders").exists()
    assert (site[0] / "numpy").is_dir()  # what the student's code imports stays installed
    for private in (root / "grader-lib", root / "source", root / "source" / "secret.txt"):
        assert stat.S_IMODE(private.stat().st_mode) & 0o077 == 0, private


@pytest.mark.parametrize("sample", ["solution.ipynb", "descent_sign.py"])
def test_run_autograder_scores_as_grader_check_does(
    root: Path, sample: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    document = run_autograder(root, EXAMPLES / sample)
    expected = check_json(EXAMPLES / sample, capsys, tmp_path)
    assert document["score"] == expected["score"]
    assert [(t["name"], t["score"], t["status"]) for t in document["tests"]] == [
        (t["name"], t["score"], t["status"]) for t in expected["tests"]
    ]
    assert document["stdout_visibility"] == "hidden"
    if sample == "solution.ipynb":
        assert document["score"] == document["max_score"] > 0
    else:
        assert 0 < document["score"] < document["max_score"]


def test_several_files_are_one_ungradable_result_that_names_them(root: Path) -> None:
    document = run_autograder(root, EXAMPLES / "solution.ipynb", EXAMPLES / "descent_sign.py")
    assert document["score"] == 0 and document["tests"] == []
    assert document["extra_data"]["submission_status"] == "ungradable"
    assert "descent_sign.py" in document["output"] and "solution.ipynb" in document["output"]


def test_the_submission_cannot_read_the_answer_key_or_the_secret(
    root: Path, tmp_path: Path
) -> None:
    # A correct sigmoid that first reads what it must not: it passes only if the reads succeed.
    hostile = tmp_path / "hostile.py"
    hostile.write_text(
        "import numpy as np\n"
        f"PRIVATE = [{str(root / 'source' / 'secret.txt')!r},\n"
        f"           {str(root / 'grader-lib' / 'reference' / 'logistic.py')!r}]\n"
        "def sigmoid(x):\n"
        "    for path in PRIVATE:\n"
        "        open(path).read()\n"
        "    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))\n"
    )
    document = run_autograder(root, hostile)
    sigmoid = [t for t in document["tests"] if t["extra_data"]["question"] == "sigmoid"]
    assert sigmoid and all(t["score"] == 0 for t in sigmoid), sigmoid
    assert "Error" in sigmoid[0]["output"], sigmoid[0]["output"]  # absent, or permission denied


def test_a_broken_autograder_still_writes_a_valid_results_json(root: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    (broken / "source").mkdir(parents=True)
    (broken / "source" / MANIFEST).write_text("{ not json")
    os.symlink(root / "venv", broken / "venv")
    os.symlink(root / "grader-lib", broken / "grader-lib")
    shutil.copy2(root / "run_autograder", broken / "run_autograder")
    document = run_autograder(broken, EXAMPLES / "solution.ipynb")
    assert document["score"] == 0 and "internal error" in document["output"]
    # No interpreter at all: the script itself writes the failure.
    (broken / "venv").unlink()
    document = run_autograder(broken, EXAMPLES / "solution.ipynb")
    assert document["score"] == 0 and "internal error" in document["output"]


def test_pick_submission_ignores_checkpoints_and_names_what_it_found(tmp_path: Path) -> None:
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "hw-checkpoint.ipynb").write_text("{}")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "__MACOSX" / "hw.ipynb").write_text("")
    (tmp_path / "report.pdf").write_bytes(b"%PDF")
    chosen, problem = pick_submission(tmp_path)
    assert chosen is None and "report.pdf" in problem and "No notebook" in problem
    (tmp_path / "hw.ipynb").write_text("{}")
    assert pick_submission(tmp_path) == (tmp_path / "hw.ipynb", "")
