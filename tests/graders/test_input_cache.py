"""The disk cache of drawn search inputs gives exactly what drawing gives, or nothing.

A cached set replaces a Hypothesis draw in later grading processes (``graders.checks.input_cache``),
so it must hold exactly the drawn inputs, be keyed by everything that decides them, keep nothing
drawn from a course secret, and turn every damaged file into a miss.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from graders.checks import input_cache, keys, replay
from graders.hidden import PRACTICE, CourseSecret
from graders.spec import available_assignments, load_assignment
from graders.warmup import draw_inputs


@pytest.fixture
def fresh_memo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An empty per-process memo and an empty cache folder; the old memo back afterwards."""
    saved = dict(replay._PASSING_INPUTS)
    replay._PASSING_INPUTS.clear()
    folder = tmp_path / "inputs"
    monkeypatch.setenv(input_cache.CACHE_ENV, str(folder))
    try:
        yield folder
    finally:
        replay._PASSING_INPUTS.clear()
        replay._PASSING_INPUTS.update(saved)


def _drawn(slug: str, secret: CourseSecret | None) -> dict[tuple[object, ...], object]:
    replay._PASSING_INPUTS.clear()
    draw_inputs(load_assignment(slug), secret=secret)
    return {key: keys._exact(inputs) for key, inputs in replay._PASSING_INPUTS.items()}


@pytest.mark.parametrize("slug", available_assignments())
def test_every_search_of_every_assignment_reads_back_exactly_what_it_drew(
    slug: str, fresh_memo: Path
) -> None:
    drawn = _drawn(slug, PRACTICE)
    assert drawn, f"{slug}: no search drew inputs"
    # Every set survives the round trip, so every set is stored: the cache is never a no-op.
    assert len(list(fresh_memo.glob("*.inputs"))) == len(drawn)
    for key, inputs in drawn.items():
        kind = "explained" if len(key) == 3 else "hidden"
        loaded = input_cache.load((kind, *key))
        assert loaded is not None and keys._exact(loaded) == inputs, key
    assert _drawn(slug, PRACTICE) == drawn  # a second process draws nothing: it reads them


def test_inputs_drawn_from_a_course_secret_never_reach_the_disk(fresh_memo: Path) -> None:
    drawn = _drawn("mle", CourseSecret.generate())
    explained = [key for key in drawn if len(key) == 3]
    assert len(drawn) > len(explained)  # the hidden searches did draw
    assert len(list(fresh_memo.glob("*.inputs"))) == len(explained)


def test_an_empty_setting_switches_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(input_cache.CACHE_ENV, "")
    assert input_cache.cache_dir() is None
    assert input_cache.store(("explained", "x", 1, ()), ((1.0,),), keys._exact) is False
    assert input_cache.load(("explained", "x", 1, ())) is None


@pytest.mark.parametrize(
    "content", [b"", b"garbage", b"\x00" * 64, json.dumps([1, 2]).encode()], ids=repr
)
def test_a_damaged_file_is_a_miss(fresh_memo: Path, content: bytes) -> None:
    key = ("explained", "sigmoid_matches_reference", 40, ())
    assert input_cache.store(key, ((1.0, 2),), keys._exact)
    (path,) = fresh_memo.glob("*.inputs")
    path.write_bytes(content)
    assert input_cache.load(key) is None


def test_inputs_the_protocol_cannot_carry_exactly_are_not_stored(fresh_memo: Path) -> None:
    # A set has no wire form: such a draw stays in the process that made it.
    assert not input_cache.store(("explained", "k", 1, ()), (({1, 2},),), keys._exact)
    assert not list(fresh_memo.glob("*.inputs"))


def test_any_change_to_the_grader_source_is_another_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    package = tmp_path / "stand_in_grader"
    (package / "checks").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "checks" / "topic.py").write_text("BOUND = 700\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(input_cache, "_PACKAGES", ("stand_in_grader",))
    monkeypatch.setenv(input_cache.CACHE_ENV, str(tmp_path / "inputs"))
    key = ("explained", "sigmoid_matches_reference", 40, ())
    seen = []
    for source in ("BOUND = 700\n", "BOUND = 700\n", "BOUND = 701\n"):
        (package / "checks" / "topic.py").write_text(source)
        input_cache._fingerprint.cache_clear()
        seen.append(input_cache._path(key))
    input_cache._fingerprint.cache_clear()  # the real packages' fingerprint again
    assert seen[0] == seen[1] != seen[2]


def test_a_warm_cache_grades_exactly_as_a_cold_one(tmp_path: Path) -> None:
    sample = load_assignment("mle").directory / "examples" / "partial.ipynb"
    env = {**os.environ, input_cache.CACHE_ENV: str(tmp_path / "inputs")}
    command = [sys.executable, "-c", "import sys; from graders.cli import main; sys.exit(main())"]
    command += ["check", str(sample), "--assignment", "mle", "--format", "json"]

    def run() -> dict[str, object]:
        done = subprocess.run(command, capture_output=True, env=env, check=False)
        document: dict[str, object] = json.loads(done.stdout)
        extra = document["extra_data"]
        assert isinstance(extra, dict)
        extra.pop("timings")
        return document

    cold = run()
    assert list((tmp_path / "inputs").glob("*.inputs"))  # the cold run filled the cache
    assert run() == cold
