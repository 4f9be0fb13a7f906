"""What a student reads when a graded name is there but is not what the question needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graders.cli import main


@pytest.mark.parametrize(
    ("binding", "what"), [("sigmoid = None", "it is `None`"), ("sigmoid = 0.5", "it is `0.5`")]
)
def test_a_name_bound_to_a_value_is_said_to_be_one_not_undefined(
    binding: str, what: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    submission = tmp_path / "work.py"
    submission.write_text(f"import numpy as np\n{binding}\n", encoding="utf-8")
    main(
        [
            "check",
            str(submission),
            "--assignment",
            "logistic-regression-from-scratch",
            "--format",
            "json",
        ]
    )
    tests = json.loads(capsys.readouterr().out)["tests"]
    (sigmoid,) = [t for t in tests if t["extra_data"]["check_id"] == "sigmoid_matches_reference"]
    assert f"`sigmoid` is defined, but {what}, not a function" in sigmoid["output"]
    assert "not defined" not in sigmoid["output"]
