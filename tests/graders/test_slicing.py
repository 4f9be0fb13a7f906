"""Cell slicing: the kept cells are exactly the ones grading needs, and skipping the rest never
changes what the graded names are.

Two kinds of test: a corpus of tricky notebooks with the expected kept cells (what a reviewer can
read), and a differential property: for random small notebooks, running only the kept cells leaves
every graded name (its value, or what calling it returns) as running all cells does.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import textwrap
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders import slicing
from graders.slicing import CellPlan, plan_cells


def _plan(*sources: str, needed: Sequence[str]) -> CellPlan:
    cells = [(number, textwrap.dedent(source)) for number, source in enumerate(sources, 1)]
    return plan_cells(cells, needed)


def _kept(*sources: str, needed: Sequence[str]) -> tuple[int, ...]:
    return _plan(*sources, needed=needed).kept


LAB = (
    "import numpy as np\nimport matplotlib.pyplot as plt",
    "data = np.loadtxt('train.csv', delimiter=',')\nX, y = data[:, :-1], data[:, -1]",
    "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))",
    "plt.plot(sigmoid(np.linspace(-5, 5)))\nplt.show()",
    "def grad_desc(X, y, w, alpha, n):\n"
    "    for _ in range(n):\n"
    "        w = w - alpha * X.T.dot(sigmoid(X.dot(w)) - y)\n"
    "    return w",
    "w = grad_desc(X, y, np.zeros(2), 0.1, 50_000)\nprint(w)",
    "while True:\n    pass",
)


def test_a_lab_keeps_imports_and_definitions_and_skips_training_plots_and_loops() -> None:
    plan = _plan(*LAB, needed=["sigmoid", "grad_desc"])
    assert plan.kept == (1, 3, 5)
    reasons = {cell.number: cell.reason for cell in plan.skipped}
    assert reasons[6] == "it only changes `w`, which nothing graded reads"
    assert reasons[7] == "it changes no names grading reads (output only)"
    assert "`plt`" in reasons[4]


def test_a_global_read_by_a_graded_function_keeps_the_cells_that_make_it() -> None:
    kept = _kept(
        "import pandas as pd",
        "df = pd.read_csv('heart.csv')",
        "df['age'] = df['age'] / 100",  # changes df in place
        "df.dropna(inplace=True)",
        "df.head()",  # read-only method: output only
        "def first_age():\n    return df['age'].iloc[0]",
        needed=["first_age"],
    )
    assert kept == (1, 2, 3, 4, 6)


def test_a_value_question_keeps_the_cells_that_compute_it() -> None:
    kept = _kept(
        "cur_x = 6\nalpha = 0.01",
        "def df(x):\n    return 4 * x**3 - 9 * x**2",
        "for _ in range(10_000):\n    cur_x = cur_x - alpha * df(cur_x)",
        "print(cur_x)",
        needed=["cur_x"],
    )
    assert kept == (1, 2, 3)


def test_a_redefinition_keeps_both_definitions_and_a_later_rebinding() -> None:
    kept = _kept(
        "def sigmoid(z):\n    return z",
        "print(sigmoid(1))",
        "def sigmoid(z):\n    return 1 / (1 + 2.718**-z)",
        "sigmoid = None",
        needed=["sigmoid"],
    )
    assert kept == (1, 3, 4)


def test_data_loaded_in_one_cell_used_by_a_default_argument_in_another() -> None:
    kept = _kept(
        "import numpy as np",
        "w0 = np.zeros(3)",
        "unused = np.ones(4)",
        "def grad_desc(X, y, w=w0):\n    return w",
        needed=["grad_desc"],
    )
    assert kept == (1, 2, 4)


def test_a_graded_function_calling_a_helper_defined_later_keeps_the_helper() -> None:
    kept = _kept(
        "def predict(X, w):\n    return squash(X @ w)",
        "training = predict(1, 2)",
        "def squash(z):\n    return z / (1 + abs(z))",
        "scale = 3",
        "def squash_more(z):\n    return squash(z) * scale",
        needed=["predict"],
    )
    assert kept == (1, 3)


def test_a_helper_rebound_between_definition_and_call_is_kept() -> None:
    kept = _kept(
        "def f():\n    return helper()",
        "def helper():\n    return 1",
        "value = f()",
        "print(value)",
        needed=["value"],
    )
    assert kept == (1, 2, 3)


def test_a_function_that_sets_a_global_is_kept_with_the_cell_that_calls_it() -> None:
    kept = _kept(
        "def train():\n    global weights\n    weights = [1, 2]",
        "train()",
        "def predict():\n    return weights[0]",
        needed=["predict"],
    )
    assert kept == (1, 2, 3)


def test_a_function_that_mutates_its_argument_changes_what_it_is_called_with() -> None:
    kept = _kept(
        "X = [[1.0]]",
        "def add_intercept(rows):\n"
        "    for row in rows:\n"
        "        row.insert(0, 1.0)\n"
        "    return rows",
        "Z = add_intercept(X)",
        "def first():\n    return X[0]",
        needed=["first"],
    )
    assert kept == (1, 2, 3, 4)


def test_a_star_import_keeps_itself_and_everything_before_and_its_reads() -> None:
    kept = _kept(
        "import numpy as np",
        "w = 1",
        "from numpy import *\ndef sigmoid(z):\n    return 1 / (1 + exp(-z)) + offset",
        "print(sigmoid(2))",
        "offset = 0",
        "unused = 3",
        needed=["sigmoid"],
    )
    assert kept == (1, 2, 3, 5)


@pytest.mark.parametrize(
    ("opaque", "why"),
    [
        ("exec('sigmoid = None')", "`exec`"),
        ("globals()['sigmoid'] = None", "`globals`"),
        ("setattr(model, 'w', 1)", "`setattr`"),
        ("import sys\nsys.modules['numpy'] = None", "`.modules`"),
        ("vars()['x'] = 1", "`vars`"),
        ("obj.__dict__['w'] = 2", "`.__dict__`"),
    ],
)
def test_code_made_at_run_time_turns_slicing_off(opaque: str, why: str) -> None:
    plan = _plan(
        "import numpy as np",
        "w = 1",
        "print('hello')",
        opaque,
        "def sigmoid(z):\n    return z",
        "print(sigmoid(2))",
        needed=["sigmoid"],
    )
    assert plan.kept == (1, 2, 3, 4, 5, 6)
    assert plan.note == f"cell 4 uses {why}"


def test_a_cell_with_a_syntax_error_is_kept_without_keeping_its_neighbours() -> None:
    kept = _kept(
        "x = 1",
        "def sigmoid(z):\n    return z",
        "def broken(:\n    pass",
        needed=["sigmoid"],
    )
    assert kept == (2, 3)


def test_a_file_written_by_one_cell_and_read_by_a_kept_cell_keeps_the_writer() -> None:
    kept = _kept(
        "import pandas as pd",
        "pd.DataFrame({'a': [1]}).to_csv('clean.csv')",
        "with open('notes.txt', 'w') as fh:\n    fh.write('x')",
        "table = pd.read_csv('clean.csv')",
        "def first():\n    return table['a'][0]",
        needed=["first"],
    )
    assert kept == (1, 2, 3, 4, 5)


def test_module_state_changed_for_its_effect_is_kept_when_the_module_is_needed() -> None:
    kept = _kept(
        "import numpy as np",
        "np.seterr(all='raise')",
        "m = np.mean([1, 2])",
        "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))",
        needed=["sigmoid"],
    )
    assert kept == (1, 2, 4)


def test_hostile_source_never_raises() -> None:
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000
    plan = _plan("y = 1", deep, "\x00", "def f():\n    return y", needed=["f"])
    assert plan.kept == (1, 2, 3, 4)  # neither parses: each runs (and fails) as it would


def test_an_analysis_that_fails_keeps_every_cell_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(source: str) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(slicing, "_shape", broken)
    plan = _plan("x = 1", "def f():\n    return x", "print(2)", needed=["f"])
    assert plan.kept == (1, 2, 3)
    assert plan.note == "the cells could not be analysed (RuntimeError)"


def _forgotten() -> None:
    """Empty the process's memo of cells, as in a fresh grader process."""
    for memo in (slicing._shape, slicing._analysed, slicing._tree):
        memo.forget()


def test_a_remembered_cell_is_planned_as_in_a_fresh_process_in_every_notebook() -> None:
    """The same cell, met again in a notebook where its call is of data, not of a function,
    may now change its argument: each notebook's plan is the one a fresh process makes."""
    call = "helper(x)"
    notebooks = [
        ("def helper(v):\n    return v", "x = [1]", call, "def f():\n    return x"),
        ("helper = make()", "x = [1]", call, "def f():\n    return x"),  # helper is data
    ]
    fresh = []
    for cells in notebooks:
        _forgotten()
        fresh.append(_plan(*cells, needed=["f"]))
    assert fresh[0].kept == (2, 4) and fresh[1].kept == (1, 2, 3, 4)  # the plans differ
    _forgotten()
    for cells in (*notebooks, *notebooks):  # each met once more, from the memo
        assert _plan(*cells, needed=["f"]) == fresh[notebooks.index(cells)]


# --------------------------------------------------------------------------------------------
# Differential property: random notebooks, run in full and sliced, same graded names.

_VARIABLES = ("a", "b", "c")
_FUNCTIONS = ("f", "g")
_NAMES = _VARIABLES + _FUNCTIONS


def _statements() -> st.SearchStrategy[str]:
    var = st.sampled_from(_VARIABLES)
    name = st.sampled_from(_NAMES)
    fn = st.sampled_from(_FUNCTIONS)
    num = st.integers(0, 3).map(str)
    expr = st.one_of(
        num,
        name.map(lambda m: f"{m} + 1"),
        name.map(lambda m: f"[{m}]"),
        fn.map(lambda m: f"{m}()"),
        name.map(lambda m: f"len({m})"),
        st.tuples(var, name).map(lambda t: f"{t[0]}[0] if {t[1]} else 0"),
        st.just("open('f.txt').read()"),
        name.map(lambda m: f"list({m})"),
        st.just("sum"),  # the builtin, or data once a cell rebinds it
    )
    return st.one_of(
        st.tuples(var, expr).map(lambda t: f"{t[0]} = {t[1]}"),
        st.tuples(var, name).map(lambda t: f"{t[0]}.append({t[1]})"),
        st.tuples(var, name).map(lambda t: f"{t[0]}[0] = {t[1]}"),
        st.tuples(var, expr).map(lambda t: f"{t[0]} += [{t[1]}]"),
        st.tuples(fn, expr).map(lambda t: f"def {t[0]}():\n    return {t[1]}"),
        st.tuples(fn, var, expr).map(
            lambda t: f"def {t[0]}():\n    global {t[1]}\n    {t[1]} = {t[2]}\n    return 1"
        ),
        st.tuples(fn, name).map(lambda t: f"def {t[0]}(p):\n    p.append({t[1]})\n    return p"),
        st.tuples(fn, var).map(lambda t: f"def {t[0]}():\n    {t[1]}.append(1)\n    return 2"),
        st.tuples(fn, name).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(var, fn, name).map(lambda t: f"{t[0]} = {t[1]}({t[2]})"),
        name.map(lambda m: f"print({m})"),
        name.map(lambda m: f"del {m}"),
        st.tuples(var, var).map(lambda t: f"if {t[0]}:\n    {t[1]} = 0"),
        var.map(lambda m: f"for {m} in range(2):\n    pass"),
        name.map(lambda m: f"with open('f.txt', 'w') as fh:\n    fh.write(str(len({m})))"),
        st.tuples(var, var).map(lambda t: f"{t[0]} = {t[1]}"),  # aliasing
        st.tuples(var, fn, name).map(lambda t: f"{t[0]}[0] = {t[1]}({t[2]})"),  # results stored
        var.map(lambda m: f"sum = {m}"),  # a builtin's name rebound to data
        st.just("sum.append(1)"),
        st.just("exec('a = 5')"),
    )


_PRELUDE = "a = [0]\nb = [1]\nc = [2]\ndef f():\n    return a\ndef g():\n    return b"


def _observe(value: Any, depth: int = 0) -> Any:
    """A comparable picture of a value: functions by name, lists element by element."""
    if depth > 4:
        return "..."
    if callable(value):
        return ("function", getattr(value, "__name__", "?"))
    if isinstance(value, list):
        return [_observe(item, depth + 1) for item in value]
    return repr(value)


def _call(function: Any) -> Any:
    try:
        return ("returned", _observe(function()))
    except Exception as exc:
        return ("raised", type(exc).__name__)


@contextlib.contextmanager
def _fresh_directory() -> Iterator[None]:
    previous = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            yield
        finally:
            os.chdir(previous)


def _run(cells: Sequence[str], needed: Sequence[str]) -> list[Any]:
    namespace: dict[str, Any] = {}
    with _fresh_directory():
        for source in cells:
            try:
                exec(compile(source, "<cell>", "exec"), namespace)  # noqa: S102 - our own programs
            except Exception:  # continue on error, as the worker does
                pass
        seen = []
        for name in needed:  # graded functions are called; values are read
            value = namespace.get(name, "<missing>")
            seen.append(_call(value) if callable(value) else _observe(value))
    return seen


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.lists(
        st.lists(_statements(), min_size=1, max_size=3).map("\n".join), min_size=1, max_size=8
    ),
    needed=st.lists(st.sampled_from(_NAMES), min_size=1, max_size=3, unique=True),
)
def test_running_only_the_kept_cells_leaves_the_graded_names_as_a_full_run(
    cells: list[str], needed: list[str]
) -> None:
    cells = [_PRELUDE, *cells]  # every name starts bound to a list, so effects show
    plan = plan_cells(list(enumerate(cells, 1)), needed)
    kept = [cells[number - 1] for number in plan.kept]
    assert _run(kept, needed) == _run(cells, needed)


def test_a_notebook_too_large_to_analyse_runs_every_cell() -> None:
    # The analysis is the grader's own time: a hostile notebook cannot make it unbounded.
    cells = [(i, "x = 1") for i in range(1, slicing.MAX_CELLS + 2)]
    plan = plan_cells(cells, ["f"])
    assert plan.kept == tuple(range(1, slicing.MAX_CELLS + 2)) and plan.skipped == ()
    assert plan.note == f"the notebook is too large to analyse ({slicing.MAX_CELLS + 1} cells)"
    huge = [(1, "def f():\n    return 1"), (2, "s = '" + "x" * slicing.MAX_SOURCE_CHARS + "'")]
    assert plan_cells(huge, ["f"]).kept == (1, 2)
