"""The hidden search: seeded from a course secret held by the grader, never shown.

The explained search draws the same inputs for everyone and shows the failing one, so a wrong
function with a table of those inputs would pass it. The hidden search's inputs depend on the
secret; its failures cost the check's points and say "fails on hidden inputs", nothing more.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from scipy.special import expit

from graders.checks import replay
from graders.checks.base import CheckContext
from graders.checks.registry import resolve
from graders.cli import main
from graders.engine import grade_path, run_check
from graders.errors import GradebookError
from graders.gradebook import Gradebook
from graders.hidden import PRACTICE, CourseSecret
from graders.results import CheckResult
from graders.sandbox import WorkerSession, protocol
from graders.spec import Assignment, load_assignment
from tests.graders.grading import (
    LOGISTIC,
    InProcessSession,
    assignment,
    only,
    without_timings,
    write_source,
)

CHECK = "sigmoid_matches_reference"
SECRET_A = CourseSecret(b"course secret A: 0123456789abcdef")
SECRET_B = CourseSecret(b"course secret B: fedcba9876543210")


def _sigmoid_spec() -> Assignment:
    return only(assignment(LOGISTIC), "sigmoid")


def _run(function: Callable[..., Any], secret: CourseSecret | None) -> CheckResult:
    """Run the sigmoid check in process against ``function``, with or without a secret."""
    spec = _sigmoid_spec()
    question = spec.questions[0]
    check_spec = next(c for c in question.checks if c.id == CHECK)
    session = InProcessSession({"sigmoid": function})
    ctx = CheckContext(
        session=cast(WorkerSession, session),
        assignment=spec,
        question=question,
        spec=check_spec,
        secret=secret,
    )
    return run_check(resolve(CHECK), ctx)


def _key(x: Any) -> tuple[Any, ...]:
    if isinstance(x, np.ndarray):
        return (x.dtype.str, x.shape, x.tobytes())
    return (type(x).__name__, repr(x))


def _explained_inputs() -> list[Any]:
    """Every input the explained search calls ``sigmoid`` with (a correct one: all of them)."""
    seen: list[Any] = []

    def honest(x: Any) -> Any:
        seen.append(np.copy(x) if isinstance(x, np.ndarray) else x)
        return expit(x)

    assert _run(honest, None).status == "passed"
    return seen


def _lookup_table() -> Callable[..., Any]:
    """Right on exactly the explained inputs (a table of them), wrong everywhere else."""
    table = {_key(x): expit(x) for x in _explained_inputs()}

    def cheat(x: Any) -> Any:
        known = table.get(_key(x))
        return known if known is not None else np.asarray(expit(x)) * 0.9

    return cheat


def test_a_table_of_the_explained_inputs_fails_the_hidden_search() -> None:
    cheat = _lookup_table()
    explained = _run(cheat, None)
    assert explained.status == "passed" and explained.score == explained.max_score
    hidden = _run(cheat, SECRET_A)
    assert hidden.status == "failed" and hidden.score == 0.0
    assert hidden.message.startswith("`sigmoid` fails on hidden inputs:")
    assert hidden.counterexample is None
    for shown in ("Input", "array(", "expected", "Expected", "actual", "0.9"):
        assert shown not in hidden.message


def test_a_correct_function_passes_both_searches() -> None:
    assert _run(expit, SECRET_A).status == "passed"


def test_an_error_on_a_hidden_input_is_reported_without_it() -> None:
    table = {_key(x) for x in _explained_inputs()}

    def raises_elsewhere(x: Any) -> Any:
        if _key(x) not in table:
            raise ValueError(f"secret input {x!r}")
        return expit(x)

    record = _run(raises_elsewhere, SECRET_A)
    assert record.status == "failed" and record.score == 0.0
    assert "fails on hidden inputs" in record.message and "raised an error" in record.message
    assert "secret input" not in record.message and "ValueError" not in record.message


@pytest.fixture()
def hidden_draws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No remembered draws: each draw below is made afresh."""
    monkeypatch.setattr(replay, "_PASSING_INPUTS", {})
    yield


def _drawn_with(secret: CourseSecret | None) -> list[str]:
    """The hidden inputs the sigmoid check draws with ``secret``, via a real search."""
    calls: list[str] = []

    def spy(x: Any) -> Any:
        calls.append(repr(_key(x)))
        return expit(x)

    _run(spy, secret)
    return calls


def test_different_secrets_draw_different_hidden_inputs(hidden_draws: None) -> None:
    explained = set(_drawn_with(None))
    a = [c for c in _drawn_with(SECRET_A) if c not in explained]
    b = [c for c in _drawn_with(SECRET_B) if c not in explained]
    again = [c for c in _drawn_with(SECRET_A) if c not in explained]
    assert len(a) >= 5 and a == again
    assert set(a) != set(b)


def test_the_same_secret_draws_the_same_hidden_inputs_in_another_process() -> None:
    program = (
        "import hashlib, numpy as np\n"
        "from graders.checks import replay\n"
        "from graders.checks.base import CheckContext\n"
        "from graders.hidden import CourseSecret\n"
        "from graders.spec import load_assignment\n"
        "from graders.checks.logistic import _problems\n"
        f"spec = load_assignment({LOGISTIC!r})\n"
        "q = next(q for q in spec.questions if q.id == 'log_likelihood')\n"
        "secret = CourseSecret(b'0123456789abcdef!')\n"
        "ctx = CheckContext(None, spec, q, q.checks[0], secret=secret)\n"
        "drawn = replay._hidden_inputs(ctx, _problems())\n"
        "print(hashlib.sha256(repr([[np.asarray(a).tobytes() for a in d] for d in drawn])"
        ".encode()).hexdigest(), len(drawn))\n"
    )
    outputs = [
        subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]
    assert outputs[0] == outputs[1] and int(outputs[0].split()[1]) > 5


# --- through the real worker ------------------------------------------------------------------


def _table_source() -> str:
    """A sigmoid module whose answers on the explained inputs come from a literal table."""
    rows = {
        repr(_key(x)): (list(np.shape(x)), np.ravel(expit(x)).tolist()) for x in _explained_inputs()
    }
    return (
        "import numpy as np\n"
        "from scipy.special import expit\n"
        f"_TABLE = {rows!r}\n"
        "def _key(x):\n"
        "    if isinstance(x, np.ndarray):\n"
        "        return repr((x.dtype.str, x.shape, x.tobytes()))\n"
        "    return repr((type(x).__name__, repr(x)))\n"
        "def sigmoid(x):\n"
        "    row = _TABLE.get(_key(x))\n"
        "    if row is None:\n"
        "        return np.asarray(expit(x)) * 0.9 if np.ndim(x) else float(expit(x)) * 0.9\n"
        "    shape, values = row\n"
        "    return np.array(values).reshape(shape) if shape else values[0]\n"
    )


@pytest.fixture()
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """Every message the grader process encodes (requests to the worker among them)."""
    log: list[bytes] = []
    encode = protocol.encode

    def recording(value: object, *args: Any, **kwargs: Any) -> bytes:
        data = encode(value, *args, **kwargs)
        log.append(bytes(data))
        return data

    monkeypatch.setattr(protocol, "encode", recording)
    yield log


def _record(result: Any) -> CheckResult:
    return cast(CheckResult, next(c for c in result.checks if c.check_id == CHECK))


def test_same_submission_and_secret_give_identical_results_and_the_secret_stays_here(
    tmp_path: Path, sent: list[bytes]
) -> None:
    spec = _sigmoid_spec()
    path = write_source(tmp_path, "table.py", _table_source())
    explained_only = grade_path(path, spec, secret=None)
    assert _record(explained_only).status == "passed"
    first = grade_path(path, spec, secret=SECRET_A)
    second = grade_path(path, spec, secret=SECRET_A)
    assert without_timings(first) == without_timings(second)
    record = _record(first)
    assert record.status == "failed" and "fails on hidden inputs" in record.message
    assert first.score < explained_only.score

    key = SECRET_A.to_text()
    seed = SECRET_A.seed(spec.slug, "sigmoid", CHECK)
    secrets = [
        key.encode(),
        key.encode().hex().encode(),
        SECRET_A.fingerprint.encode(),
        str(seed).encode(),
        hex(seed).encode(),
    ]
    traffic = b"".join(sent)
    assert sent and not [s for s in secrets if s in traffic]
    document = (first.to_json() + json.dumps(first.to_record(), default=str)).encode()
    assert not [s for s in secrets if s in document]


def _sigmoid_spec_dir(tmp_path: Path) -> Path:
    """The logistic spec cut down to its sigmoid question, on disk for the command line."""
    spec_dir = tmp_path / "spec" / LOGISTIC
    spec_dir.mkdir(parents=True)
    text = (assignment(LOGISTIC).directory / "assignment.toml").read_text(encoding="utf-8")
    head, *questions = text.split("[[questions]]")
    kept = [q for q in questions if 'id = "sigmoid"' in q]
    (spec_dir / "assignment.toml").write_text(
        head.split("[data]")[0] + "[[questions]]" + kept[0], encoding="utf-8"
    )
    return spec_dir


def test_the_command_line_takes_a_secret_file(tmp_path: Path) -> None:
    """`grader check --secret-file` grades like the library with that secret."""
    spec_dir = _sigmoid_spec_dir(tmp_path)
    spec = load_assignment(spec_dir)
    path = write_source(tmp_path, "table.py", _table_source())
    secret_file = tmp_path / "course.secret"
    secret_file.write_text(SECRET_A.to_text() + "\n", encoding="utf-8")
    grader = Path(sys.executable).with_name("grader")
    completed = subprocess.run(
        [str(grader), "check", str(path), "--assignment", str(spec_dir), "--format", "json"]
        + ["--secret-file", str(secret_file)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    from_cli = json.loads(completed.stdout)
    from_cli["extra_data"]["timings"] = {k: 0.0 for k in from_cli["extra_data"]["timings"]}
    assert from_cli == json.loads(without_timings(grade_path(path, spec, secret=SECRET_A)))
    secret_file.write_text("short", encoding="utf-8")
    refused = subprocess.run(
        [str(grader), "check", str(path), "--assignment", str(spec_dir)]
        + ["--secret-file", str(secret_file)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert refused.returncode == 2 and "course secret" in refused.stderr


def test_a_regrade_reproduces_the_gradebook_secret_and_refuses_another(tmp_path: Path) -> None:
    spec_dir = _sigmoid_spec_dir(tmp_path)
    cohort = tmp_path / "cohort"
    cohort.mkdir()
    write_source(cohort, "table.py", _table_source())
    out = tmp_path / "out"
    given = tmp_path / "a.secret"
    given.write_text(SECRET_A.to_text(), encoding="utf-8")
    other = tmp_path / "b.secret"
    other.write_text(SECRET_B.to_text(), encoding="utf-8")
    grade = ["grade", str(cohort), "--assignment", str(spec_dir), "--out", str(out)]
    assert main([*grade, "--jobs", "1", "--secret-file", str(given)]) == 0
    first = json.loads((out / "table" / "results.json").read_text(encoding="utf-8"))
    assert main([*grade, "--jobs", "1", "--secret-file", str(other), "--force"]) == 2
    assert main([*grade, "--jobs", "1", "--force"]) == 0  # the stored secret, no file needed
    again = json.loads((out / "table" / "results.json").read_text(encoding="utf-8"))
    for document in (first, again):
        document["extra_data"]["timings"] = {}
    assert again == first
    assert "fails on hidden inputs" in json.dumps(first)
    with Gradebook(out / "gradebook.sqlite") as book:
        assert book.course_secret() == SECRET_A


# --- the secret itself and where it is kept ---------------------------------------------------


def test_a_secret_never_shows_its_key() -> None:
    secret = CourseSecret.generate()
    assert secret.to_text() not in repr(secret) and secret.fingerprint in repr(secret)
    assert CourseSecret.from_text(secret.to_text() + "\n") == secret
    assert CourseSecret.from_text(PRACTICE.to_text()) == PRACTICE
    with pytest.raises(ValueError, match="at least 16 bytes"):
        CourseSecret(b"too short")


def test_a_gradebook_keeps_its_secret_and_refuses_another(tmp_path: Path) -> None:
    path = tmp_path / "gradebook.sqlite"
    with Gradebook(path) as book:
        generated = book.course_secret()
    with Gradebook(path) as book:
        assert book.course_secret() == generated
        assert book.course_secret(generated) == generated
        with pytest.raises(GradebookError, match="graded with another secret"):
            book.course_secret(SECRET_A)
    with Gradebook(tmp_path / "given.sqlite") as book:
        assert book.course_secret(SECRET_A) == SECRET_A
    with Gradebook(tmp_path / "given.sqlite") as book:
        assert book.course_secret() == SECRET_A


def test_hidden_examples_default_to_half_the_explained_ones() -> None:
    spec = assignment(LOGISTIC)
    fit = next(c for q in spec.questions for c in q.checks if c.id == "grad_desc_matches_reference")
    assert (fit.max_examples, fit.hidden_examples) == (15, 8)
    sigmoid = next(c for q in spec.questions for c in q.checks if c.id == CHECK)
    assert (sigmoid.max_examples, sigmoid.hidden_examples) == (40, 20)


def test_hidden_examples_are_settable_per_check(tmp_path: Path) -> None:
    from graders.errors import SpecError
    from graders.spec import load_assignment

    def spec_with(setting: str) -> Path:
        folder = tmp_path / "demo"
        folder.mkdir(exist_ok=True)
        (folder / "assignment.toml").write_text(
            'slug = "demo"\ntitle = "Demo"\n[[questions]]\nid = "f"\ntitle = "f"\nname = "f"\n'
            f'checks = [{{ id = "{CHECK}", points = 1, max_examples = 15{setting} }}]\n',
            encoding="utf-8",
        )
        return folder

    (check,) = load_assignment(spec_with(", hidden_examples = 0")).questions[0].checks
    assert check.hidden_examples == 0
    (check,) = load_assignment(spec_with("")).questions[0].checks
    assert check.hidden_examples == 8  # half of max_examples, rounded up
    with pytest.raises(SpecError, match=r"hidden_examples: expected an integer >= 0, got -1"):
        load_assignment(spec_with(", hidden_examples = -1"))


def test_no_hidden_examples_no_hidden_search() -> None:
    spec = _sigmoid_spec()
    question = spec.questions[0]
    check_spec = next(c for c in question.checks if c.id == CHECK)
    ctx = CheckContext(
        session=cast(WorkerSession, InProcessSession({"sigmoid": _lookup_table()})),
        assignment=spec,
        question=question,
        spec=dataclasses.replace(check_spec, hidden_examples=0),
        secret=SECRET_A,
    )
    assert run_check(resolve(CHECK), ctx).status == "passed"
