"""Starting the zygote early, with only what one submission imports."""

from __future__ import annotations

import json
from pathlib import Path

from graders.cli import main
from graders.sandbox import pool
from graders.sandbox.prestart import code_of, preload_for


def test_preload_keeps_the_modules_the_cells_import_in_preload_order() -> None:
    cells = ["import pandas as pd\nimport numpy as np", "from sklearn.metrics import roc_auc_score"]
    assert preload_for(cells) == ("numpy", "pandas", "sklearn.metrics")
    assert preload_for(["import sklearn"]) == ("sklearn.linear_model", "sklearn.metrics")
    assert preload_for(["import scipy.special.cython_special"]) == ("scipy.special",)
    assert preload_for(["import numpyish", "x = 1", "def f(:"]) == ()


def test_code_of_reads_a_notebooks_code_cells_and_blanks_ipython_lines(tmp_path: Path) -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": "import pandas"},
            {"cell_type": "code", "source": ["%matplotlib inline\n", "import numpy as np\n"]},
            {"cell_type": "code", "source": "!pip install sklearn"},
        ],
        "nbformat": 4,
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    assert code_of(path) == ["\nimport numpy as np", ""]
    assert preload_for(code_of(path)) == ("numpy",)
    (tmp_path / "bad.ipynb").write_bytes(b"\xff not json")
    assert code_of(tmp_path / "bad.ipynb") == []
    assert code_of(tmp_path / "missing.py") == []


def test_grader_check_starts_one_zygote_with_the_submissions_imports(
    tmp_path: Path, capsys: object
) -> None:
    source = tmp_path / "solution.py"
    source.write_text(
        "import numpy as np\n\ndef bernoulli_mle(flips):\n    return float(np.mean(flips))\n",
        encoding="utf-8",
    )
    pool.shutdown()
    main(["check", str(source), "--assignment", "mle", "--format", "json"])
    preloads = {key.preload for key in pool._zygotes}
    pool.shutdown()
    assert preloads == {("numpy",)}  # started early, found again by the session: one zygote
