"""What the handouts tell students agrees with what the checks check.

A sample notebook is a copy of its assignment's handout with a student's code in it; when the
handout's instructions change, the copies must change too, or samples teach the old rule. And a
promise the handout makes about grading (here: an overflow *warning* costs nothing as long as the
values are exact) is proved by grading code that keeps it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.graders.grading import LOGISTIC, assignment, grade_many, only, write_source

ROOT = Path(__file__).resolve().parents[2] / "assignments"


def _sections(path: Path) -> dict[str, str]:
    """Markdown cells that open a handout section (``## ...``), by their heading line."""
    cells = nbformat.read(path, as_version=4).cells
    return {
        c.source.splitlines()[0]: c.source
        for c in cells
        if c.cell_type == "markdown" and c.source.startswith("## ")
    }


def _copies() -> list[Path]:
    readable = []
    for path in sorted(ROOT.glob("*/examples/*.ipynb")):
        try:
            nbformat.read(path, as_version=4)
        except Exception:  # the deliberately malformed samples
            continue
        readable.append(path)
    return readable


@pytest.mark.parametrize("copy", _copies(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_sample_notebooks_carry_the_handouts_current_instructions(copy: Path) -> None:
    handout = _sections(copy.parent.parent / "notebook.ipynb")
    for heading, text in _sections(copy).items():
        if heading in handout:
            assert text == handout[heading], f"{copy.name}: {heading!r} differs from the handout"


def test_no_handout_promises_what_no_check_checks() -> None:
    for path in [*ROOT.glob("*/notebook.ipynb"), *_copies()]:
        text = path.read_text(encoding="utf-8")
        assert "no overflow warning" not in text, path  # values are checked, warnings are not


def test_an_overflow_warning_with_exact_values_costs_nothing(tmp_path: Path) -> None:
    """The handout's sigmoid rule: exact values for |x| up to 1e4; a warning is fine, nan is not."""
    header = "import numpy as np\n\ndef sigmoid(x):\n"
    warns = header + "    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))\n"
    nan = header + "    return np.exp(x) / (1 + np.exp(x))\n"
    spec = only(assignment(LOGISTIC), "sigmoid")
    graded = grade_many(
        {
            "warns": (write_source(tmp_path, "warns.py", warns), spec),
            "nan": (write_source(tmp_path, "nan.py", nan), spec),
        }
    )
    assert graded["warns"].full_marks("sigmoid"), graded["warns"].not_passed()
    assert set(graded["nan"].not_passed()) == {"sigmoid_is_stable_for_large_inputs"}
