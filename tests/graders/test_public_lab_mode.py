"""Grading the public lab: when the instructor supplies the lab's data with ``--data``, the
submission is graded as the public lab (its data, how it calls the functions, what it asks for).

These tests make their own small stand-ins for the labs' data, so they run without the official
notebooks; ``tests/assignments/test_public_labs.py`` grades the official ones when present.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graders.engine import grade_path, lab_data_note, sandbox_config
from graders.errors import SpecError
from graders.spec import load_assignment
from reference import linear_gd as ref
from tests.graders.grading import (
    GRADIENT_DESCENT,
    LOGISTIC,
    Graded,
    InProcessSession,
    assignment,
    explain,
    only,
    run_in_process,
    write_source,
)

MOVIES = "movie_data.xlsx"
HEART = "heart.csv"


@pytest.fixture(scope="module")
def movie_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a movie_data.xlsx shaped like the lab's (budget, domgross, title)."""
    import pandas as pd

    rng = np.random.default_rng(14)
    budget = rng.integers(10_000_000, 200_000_000, size=30)
    table = pd.DataFrame(
        {
            "budget": budget,
            "domgross": (budget * rng.uniform(0.3, 2.0, size=30)).astype(np.int64),
            "title": [f"Movie {i}" for i in range(30)],
        }
    )
    folder = tmp_path_factory.mktemp("lab-data")
    table.to_excel(folder / MOVIES, index=False)
    return folder


def _public_lab_point(movie_dir: Path, precision: float) -> float:
    import pandas as pd

    table = pd.read_excel(movie_dir / MOVIES)
    point = ref.public_lab_descent(table.budget, table.domgross, 1.5, 1e-7, precision).point
    assert isinstance(point, float)
    return point


# --- the spec: a question the public lab asks for ---------------------------------------------

_SPEC = """
slug = "demo"
title = "Demo"

[data]
optional = ["lab.csv"]

[[questions]]
id = "v"
title = "A value"
kind = "value"
name = "v"
optional = true
required_with = [{names}]
checks = [{{ id = "cur_x_matches_lab_descent", points = 1 }}]
"""


def _spec_dir(root: Path, names: str) -> Path:
    folder = root / "demo"
    folder.mkdir()
    (folder / "assignment.toml").write_text(_SPEC.format(names=names), encoding="utf-8")
    return folder


def test_required_with_names_the_lab_data_that_makes_a_question_required(tmp_path: Path) -> None:
    (question,) = load_assignment(_spec_dir(tmp_path, '"lab.csv"')).questions
    assert question.optional and question.required_with == ("lab.csv",)
    assert assignment(GRADIENT_DESCENT).question("cur_x").required_with == (MOVIES,)


def test_required_with_must_name_an_optional_data_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="required_with names other.csv, which data.optional"):
        load_assignment(_spec_dir(tmp_path, '"other.csv"'))


def test_the_lab_data_is_given_to_the_worker_only_when_supplied(movie_dir: Path) -> None:
    spec = assignment(GRADIENT_DESCENT)
    assert sandbox_config(spec).data_files == spec.data_files
    assert sandbox_config(spec, data_dir=movie_dir).data_files == (
        *spec.data_files,
        movie_dir / MOVIES,
    )


def test_a_data_folder_without_the_lab_files_is_pointed_out(
    movie_dir: Path, tmp_path: Path
) -> None:
    spec = assignment(GRADIENT_DESCENT)
    assert lab_data_note(spec, None) is None and lab_data_note(spec, movie_dir) is None
    assert lab_data_note(spec, tmp_path) == (
        f"--data {tmp_path} holds none of the public lab's data files of gradient-descent "
        "(movie_data.xlsx): the submissions are graded as our own assignment, not as the lab."
    )
    assert lab_data_note(assignment("mle"), tmp_path) == (
        f"mle has no public lab data files: --data {tmp_path} is not used."
    )


# --- the gradient-descent lab, end to end through the sandbox ---------------------------------

# The lab's way: read the Excel file, rss with the DataFrame's columns as defaults (squared
# with Series.map, so it works on Series only), and the lab's descent cell setting cur_x.
_LAB_RSS = """\
import numpy as np
import pandas as pd

df = pd.read_excel('movie_data.xlsx')

def rss(m, X=df['budget'], y=df['domgross']):
    residuals = m * X - y
    return residuals.map(lambda r: r ** 2).sum()
"""

_LAB_LOOP = """
cur_x = 1.5
alpha = 1e-7
precision = 0.0000000001
previous_step_size = 1
max_iters = 10000
iters = 0
while (previous_step_size > precision) & (iters < max_iters):
    prev_x = cur_x
    x_survey_region = np.linspace(cur_x - previous_step_size, cur_x + previous_step_size, num=101)
    rss_survey_region = [np.sqrt(rss(m)) for m in x_survey_region]
    gradient = np.gradient(rss_survey_region)[50]
    cur_x -= alpha * gradient
    previous_step_size = abs(cur_x - prev_x)
    iters += 1
"""


@pytest.fixture(scope="module")
def lab_grades(movie_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    spec = only(assignment(GRADIENT_DESCENT), "rss", "cur_x")
    folder = tmp_path_factory.mktemp("lab-submissions")
    done = write_source(folder, "done.py", _LAB_RSS + _LAB_LOOP)
    no_loop = write_source(folder, "no_loop.py", _LAB_RSS)
    with_data = sandbox_config(spec, data_dir=movie_dir)
    return {
        "lab": Graded(grade_path(done, spec, config=with_data)),
        "lab without cur_x": Graded(grade_path(no_loop, spec, config=with_data)),
        "no data": Graded(grade_path(done, spec, config=sandbox_config(spec))),
    }


def test_the_lab_done_right_gets_every_point_it_asks_for(lab_grades: dict[str, Graded]) -> None:
    graded = lab_grades["lab"]
    assert graded.full_marks("rss") and graded.full_marks("cur_x"), explain(graded)
    assert graded.result.cell_reports and all(
        r["status"] == "ok" for r in graded.result.cell_reports
    ), graded.result.cell_reports


def test_the_lab_asks_for_cur_x_so_leaving_it_out_costs_its_point(
    lab_grades: dict[str, Graded],
) -> None:
    graded = lab_grades["lab without cur_x"]
    assert graded.status("cur_x_matches_lab_descent") == "missing"
    assert graded.question_score("cur_x") == (0.0, 1.0)
    assert graded.result.max_score == graded.result.score + 1.0


def test_without_the_lab_data_the_lab_cannot_run_and_cur_x_stays_optional(
    lab_grades: dict[str, Graded],
) -> None:
    graded = lab_grades["no data"]
    assert graded.status("rss_matches_reference") == "missing"
    assert "No such file" in graded.check("rss_matches_reference").message
    assert "cur_x" not in {c.question for c in graded.result.checks}


# --- the checks, graded as the lab (in process) -----------------------------------------------


def _map_only_rss(m: float, X: object, y: object) -> float:
    """The lab's rss: Series.map exists on the Series the lab passes, not on numpy arrays."""
    residuals = m * X - y
    return float(residuals.map(lambda r: r**2).sum())


def test_rss_is_called_with_series_as_the_lab_calls_it(movie_dir: Path) -> None:
    session = InProcessSession({"rss": _map_only_rss})
    lab = {MOVIES: movie_dir / MOVIES}
    assert run_in_process(GRADIENT_DESCENT, "rss_matches_reference", session).status == "error"
    record = run_in_process(GRADIENT_DESCENT, "rss_matches_reference", session, lab_data=lab)
    assert record.status == "passed", record.message


def test_a_wrong_rss_still_fails_when_graded_as_the_lab(movie_dir: Path) -> None:
    def mean_rss(m: float, X: object, y: object) -> float:
        return _map_only_rss(m, X, y) / len(X)

    session = InProcessSession({"rss": mean_rss})
    record = run_in_process(
        GRADIENT_DESCENT, "rss_matches_reference", session, lab_data={MOVIES: movie_dir / MOVIES}
    )
    assert record.status == "failed"
    assert record.diagnosis is not None and record.diagnosis.startswith("mean-not-sum")


@pytest.mark.parametrize("precision", [1e-10, 1e-7])
def test_cur_x_is_where_the_public_labs_loop_stops_on_its_data(
    movie_dir: Path, precision: float
) -> None:
    point = _public_lab_point(movie_dir, precision)
    session = InProcessSession(values={"cur_x": point})
    lab = {MOVIES: movie_dir / MOVIES}
    record = run_in_process(GRADIENT_DESCENT, "cur_x_matches_lab_descent", session, lab_data=lab)
    assert record.status == "passed", record.message
    # Without the lab's data the same value is compared with our notebook's loop on linear.csv.
    alone = run_in_process(GRADIENT_DESCENT, "cur_x_matches_lab_descent", session)
    assert alone.status == "failed" and "linear.csv" in alone.message


def test_cur_x_of_our_notebook_fails_when_graded_as_the_lab(movie_dir: Path) -> None:
    ours = run_in_process(
        GRADIENT_DESCENT,
        "cur_x_matches_lab_descent",
        InProcessSession(values={"cur_x": 2.598079685}),
        lab_data={MOVIES: movie_dir / MOVIES},
    )
    assert ours.status == "failed"
    assert ours.message.startswith(
        "`cur_x` is not where the lab's descent loop stops on movie_data.xlsx (start 1.5, "
        "alpha 1e-07, precision 1e-10 or 1e-07"
    )


def test_an_unreadable_lab_file_is_the_instructors_error_not_the_students(tmp_path: Path) -> None:
    bad = tmp_path / MOVIES
    bad.write_text("not a spreadsheet", encoding="utf-8")
    with pytest.raises(SpecError, match="movie_data.xlsx could not be read as a table"):
        run_in_process(
            GRADIENT_DESCENT,
            "cur_x_matches_lab_descent",
            InProcessSession(values={"cur_x": 1.0}),
            lab_data={MOVIES: bad},
        )


def _lab_grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    """The lab's solution: ``== None`` (fine for the default only) and ``+=`` on the weights."""
    if initial_weights == None:  # noqa: E711 -- the lab's own test, on purpose
        initial_weights = np.ones((X.shape[1], 1)).flatten()
    weights = initial_weights
    for _ in range(max_iterations):
        predictions = 1 / (1 + np.exp(-np.dot(X, weights)))
        weights += alpha * np.dot(X.transpose(), y - predictions)
    return weights, []


_GRAD_DESC_CHECKS = (
    "grad_desc_matches_reference",
    "grad_desc_default_initial_weights",
    "grad_desc_accepts_pandas",
    "grad_desc_does_not_mutate_inputs",
)


def test_grad_desc_is_called_as_the_lab_calls_it() -> None:
    session = InProcessSession({"grad_desc": _lab_grad_desc})
    lab = {HEART: Path(HEART)}  # only its presence matters to these checks
    graded = {c: run_in_process(LOGISTIC, c, session, lab_data=lab) for c in _GRAD_DESC_CHECKS}
    assert {c: r.status for c, r in graded.items()} == dict.fromkeys(_GRAD_DESC_CHECKS, "passed")
    # As our own assignment states it, initial_weights may be given: `== None` then raises.
    alone = run_in_process(LOGISTIC, "grad_desc_matches_reference", session)
    assert alone.status == "error" and "initial_weights is None" in alone.message


def test_a_wrong_grad_desc_still_fails_when_graded_as_the_lab() -> None:
    def descent(X, y, max_iterations, alpha, initial_weights=None):
        weights, _ = _lab_grad_desc(X, 1 - np.asarray(y), max_iterations, alpha)
        return weights

    session = InProcessSession({"grad_desc": descent})
    record = run_in_process(
        LOGISTIC, "grad_desc_matches_reference", session, lab_data={HEART: Path(HEART)}
    )
    assert record.status == "failed", record.message


def test_a_stub_that_returns_none_gets_no_point_for_leaving_its_inputs_alone() -> None:
    def predict_y(X: object, w: object) -> None:
        pass

    record = run_in_process(
        LOGISTIC, "predict_y_does_not_mutate_inputs", InProcessSession({"predict_y": predict_y})
    )
    assert record.status == "failed"
    assert record.message.startswith("`predict_y` returned None: it must return its result")
