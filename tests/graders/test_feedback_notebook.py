"""Feedback inside the student's own notebook: their cells untouched, a feedback cell after each
graded function, nothing of the answer key, and a rendering that runs no student script."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from graders.engine import grade_path
from graders.report.notebook import FEEDBACK_TAG, feedback_notebook, write_feedback_notebook
from graders.results import SubmissionResult
from tests.graders.grading import LOGISTIC, assignment

EXAMPLES = assignment(LOGISTIC).directory / "examples"
REFERENCE = Path(__file__).resolve().parents[2] / "reference"


def _is_feedback(cell: dict) -> bool:
    return FEEDBACK_TAG in cell.get("metadata", {}).get("tags", [])


def _feedback_after(nb: nbformat.NotebookNode, first_line: str) -> str:
    """The feedback cell right after the code cell starting with ``first_line``."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.startswith(first_line):
            following = nb.cells[index + 1]
            assert _is_feedback(following), f"no feedback after {first_line!r}"
            return str(following.source)
    raise AssertionError(f"no cell starts with {first_line!r}")


@pytest.fixture(scope="module")
def partial() -> tuple[Path, SubmissionResult]:
    path = EXAMPLES / "partial.ipynb"
    return path, grade_path(path, assignment(LOGISTIC))


def test_the_students_cells_are_unchanged_and_feedback_follows_each_definition(
    partial: tuple[Path, SubmissionResult],
) -> None:
    path, result = partial
    original = nbformat.read(str(path), as_version=4)
    nb = feedback_notebook(path, result)
    nbformat.validate(nb)
    assert [c for c in nb.cells if not _is_feedback(c)] == original.cells  # outputs too
    assert "### Grader feedback: `sigmoid`, 5 / 5 points" in _feedback_after(nb, "def sigmoid")
    stub = _feedback_after(nb, "def log_likelihood")
    assert "`log_likelihood` is not attempted yet" in stub
    top = nb.cells[0]
    assert _is_feedback(top)
    assert f"**Score: {result.score:g} / {result.max_score:g}.**" in top.source


def test_a_failing_check_shows_its_message_and_misconception_after_the_function(
    tmp_path: Path,
) -> None:
    path = EXAMPLES / "descent_sign.py"
    result = grade_path(path, assignment(LOGISTIC))
    page = write_feedback_notebook(path, result, tmp_path / "feedback.ipynb")
    nb = nbformat.read(str(tmp_path / "feedback.ipynb"), as_version=4)
    nbformat.validate(nb)
    (code,) = [c for c in nb.cells if c.cell_type == "code"]
    assert code.source == path.read_text(encoding="utf-8")  # a module: one cell, as written
    feedback = "\n".join(c.source for c in nb.cells if _is_feedback(c))
    failed = [c for c in result.checks if c.status != "passed"]
    assert failed and failed[0].message in feedback
    assert any(c.diagnosis and c.diagnosis in feedback for c in failed)
    assert page.name == "feedback-notebook.html"
    html = page.read_text(encoding="utf-8")
    assert "Grader feedback" in html and "Likely misconception" in html


def test_no_line_of_the_answer_key_reaches_the_feedback(
    partial: tuple[Path, SubmissionResult],
) -> None:
    path, result = partial
    feedback = "\n".join(c.source for c in feedback_notebook(path, result).cells if _is_feedback(c))
    for source in REFERENCE.glob("*.py"):
        for line in source.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) > 30 and not line.startswith(("#", '"""', "def ", "Parameters")):
                assert line not in feedback, f"{source.name}: {line!r}"


def test_an_unreadable_notebook_gives_the_feedback_alone(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")
    result = grade_path(path, assignment(LOGISTIC))
    nb = feedback_notebook(path, result)
    nbformat.validate(nb)
    (cell,) = nb.cells
    assert "could not be graded" in cell.source and result.message in cell.source


def test_an_older_format_keeps_its_version_and_the_page_runs_no_student_script(
    tmp_path: Path,
) -> None:
    student = new_notebook(
        cells=[
            new_code_cell(
                "import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))",
                outputs=[
                    new_output(
                        "display_data", data={"text/html": "<script>alert('pwned')</script>"}
                    )
                ],
            )
        ]
    )
    student.nbformat_minor = 4
    for cell in student.cells:
        del cell["id"]
    path = tmp_path / "old.ipynb"
    nbformat.write(student, str(path))
    before = copy.deepcopy(nbformat.read(str(path), as_version=nbformat.NO_CONVERT))
    result = grade_path(path, assignment(LOGISTIC))
    page = write_feedback_notebook(path, result, tmp_path / "out.ipynb")
    nb = nbformat.read(str(tmp_path / "out.ipynb"), as_version=nbformat.NO_CONVERT)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 4)
    nbformat.validate(nb)
    assert [c for c in nb.cells if not _is_feedback(c)] == before.cells
    assert page == tmp_path / "out.html"
    assert "<script>alert('pwned')" not in page.read_text(encoding="utf-8")  # escaped, inert


def test_grader_check_writes_the_feedback_notebook_and_its_page(tmp_path: Path) -> None:
    from graders.cli import main
    from graders.exitcodes import EXIT_PARTIAL, EXIT_USAGE

    out = tmp_path / "feedback.ipynb"
    wrong = str(EXAMPLES / "missing_transpose.py")
    args = ["check", wrong, "--assignment", LOGISTIC, "--format", "notebook"]
    assert main([*args, "--out", str(out)]) == EXIT_PARTIAL  # the exit codes of every format
    nbformat.validate(nbformat.read(str(out), as_version=4))
    assert "Grader feedback" in (tmp_path / "feedback-notebook.html").read_text(encoding="utf-8")
    assert main(args) == EXIT_USAGE  # a notebook needs a file to go to


# ------------------------------------------------------------------ in `grader grade`'s output


def test_grade_writes_each_students_feedback_notebook_and_its_page(tmp_path: Path) -> None:
    import shutil

    from graders.batch import grade_cohort

    root, out = tmp_path / "cohort", tmp_path / "out"
    root.mkdir()
    for sample in ("partial.ipynb", "descent_sign.py"):
        shutil.copy2(EXAMPLES / sample, root / sample)
    (root / "broken.ipynb").write_text("{ not a notebook")
    logistic = assignment(LOGISTIC)
    grade_cohort(root, logistic, out, jobs=1, plots=False)

    own = nbformat.read(EXAMPLES / "partial.ipynb", as_version=nbformat.NO_CONVERT)
    nb = nbformat.read(out / "partial" / "feedback.ipynb", as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    assert [c for c in nb.cells if not _is_feedback(c)] == own.cells  # theirs, unchanged
    assert "Score:" in nb.cells[0].source
    for student in ("partial", "descent_sign", "broken"):
        nbformat.validate(nbformat.read(out / student / "feedback.ipynb", as_version=4))
        page = (out / student / "feedback-notebook.html").read_text(encoding="utf-8")
        assert "Grader feedback" in page
    assert "could not be graded" in (out / "broken" / "feedback-notebook.html").read_text()

    # A lost feedback notebook is made again from the gradebook, without grading again.
    (out / "partial" / "feedback.ipynb").unlink()
    again = grade_cohort(root, logistic, out, jobs=1, plots=False)
    assert (again.graded, again.skipped) == (0, 3)
    assert nbformat.read(out / "partial" / "feedback.ipynb", as_version=4).cells == nb.cells

    # The feedback notebook handed in again: its old feedback is replaced, not repeated.
    again_nb = feedback_notebook(out / "partial" / "feedback.ipynb", again_result(out))
    assert again_nb.cells == nb.cells

    # --no-feedback-notebooks: none written.
    grade_cohort(root, logistic, tmp_path / "lean", jobs=1, plots=False, notebooks=False)
    assert (tmp_path / "lean" / "partial" / "results.json").is_file()
    assert not list((tmp_path / "lean").glob("*/feedback*.ipynb"))
    assert not list((tmp_path / "lean").glob("*/feedback-notebook.html"))


def test_a_feedback_file_name_never_leaves_the_students_folder(tmp_path: Path) -> None:
    from graders.batch.outputs import write_student_files

    path = EXAMPLES / "descent_sign.py"
    result = grade_path(path, assignment(LOGISTIC))
    for name in ("../escaped.html", "sub/x.html", ".hidden", "/tmp/abs.html"):
        with pytest.raises(ValueError, match="not a feedback file name"):
            write_student_files(tmp_path, result, assignment(LOGISTIC), ((name, "x"),))
    assert not (tmp_path / "escaped.html").exists()


def again_result(out: Path) -> SubmissionResult:
    """The stored result of the cohort test's ``partial`` student."""
    from graders.gradebook import Gradebook

    with Gradebook(out / "gradebook.sqlite") as book:
        result = book.result(LOGISTIC, "partial")
    assert result is not None
    return result


def test_the_page_is_nbconverts_own_rendering_of_the_body(tmp_path: Path) -> None:
    """The faster exporter (code not cleaned twice, no BeautifulSoup pass) gives the body
    nbconvert's HTMLExporter gives, scripts in every place a student can put one included."""
    import warnings

    from nbconvert import HTMLExporter

    from graders.report.notebook import render_html

    hostile = "<script>alert('pwned')</script>"
    student = new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(f"# Notes {hostile} <img src=x onerror=alert(1)>"),
            new_code_cell(
                f"s = '</div>{hostile}'\nprint(s)",
                outputs=[
                    new_output("stream", name="stdout", text=hostile),
                    new_output("display_data", data={"text/html": hostile + "<b>bold</b>"}),
                    new_output("display_data", data={"image/png": "iVBORw0KGgo="}),
                ],
            ),
            nbformat.v4.new_raw_cell(hostile),
        ]
    )
    student.metadata["language_info"] = {"name": "python", "pygments_lexer": "html"}
    ours = render_html(student)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stock, _ = HTMLExporter(sanitize_html=True).from_notebook_node(student)
    assert body(ours) == body(stock)  # the same elements, attributes and text
    assert inert(ours)
    assert 'alt="No description has been provided for this image"' in ours
    assert 'tabindex="0"' in ours


def inert(page: str) -> bool:
    """No element of ``page`` the student wrote runs: no event-handler attribute anywhere, and
    no script element holding their code (the template's own scripts are nbconvert's)."""
    from html.parser import HTMLParser

    class Scan(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.handlers: list[str] = []
            self.in_script = False
            self.scripts: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.handlers += [name for name, _ in attrs if name.lower().startswith("on")]
            self.in_script = tag == "script"

        def handle_endtag(self, tag: str) -> None:
            self.in_script = False

        def handle_data(self, data: str) -> None:
            if self.in_script:
                self.scripts.append(data)

    scan = Scan()
    scan.feed(page)
    return not scan.handlers and not [s for s in scan.scripts if "pwned" in s]


def body(page: str) -> str:
    """The page's body as BeautifulSoup serialises it (what nbconvert's own pass gives)."""
    from bs4 import BeautifulSoup

    return str(BeautifulSoup(page, features="html.parser").body)


def test_cells_of_a_format_with_ids_that_lack_one_get_one(tmp_path: Path) -> None:
    import json
    import warnings

    path = tmp_path / "no_ids.ipynb"
    source = "import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"
    cell = {"cell_type": "code", "metadata": {}, "source": source, "outputs": []}
    cell["execution_count"] = None
    path.write_text(
        json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    result = grade_path(path, assignment(LOGISTIC))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nbformat's MissingIDFieldWarning among them
        nb = feedback_notebook(path, result)
        nbformat.validate(nb)
    (own,) = [c for c in nb.cells if not _is_feedback(c)]
    assert (own["id"], own["source"]) == ("cell-1", source)


def test_the_same_submission_gives_the_same_feedback_notebook(tmp_path: Path) -> None:
    from graders.report.notebook import feedback_files

    for sample in ("descent_sign.py", "partial.ipynb"):
        result = grade_path(EXAMPLES / sample, assignment(LOGISTIC))
        first, second = (feedback_files(EXAMPLES / sample, result) for _ in range(2))
        assert first == second, sample  # no random cell id anywhere


def test_a_repeated_cell_id_is_made_unique_the_same_way_each_time(tmp_path: Path) -> None:
    import json

    from graders.report.notebook import feedback_files

    path = tmp_path / "twice.ipynb"
    cells = [
        {
            "cell_type": "code",
            "id": "same",
            "metadata": {},
            "source": f"x = {i}\n",
            "outputs": [],
            "execution_count": None,
        }
        for i in range(2)
    ]
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    result = grade_path(path, assignment(LOGISTIC))
    nb = feedback_notebook(path, result)
    nbformat.validate(nb)
    assert [c["id"] for c in nb.cells if not _is_feedback(c)] == ["same", "cell-2"]
    assert feedback_files(path, result) == feedback_files(path, result)


def test_remembered_cells_render_as_nbconvert_renders_them_in_each_notebook() -> None:
    """The exporter remembers what its filters gave for a cell; a cell met again in another
    notebook (other language, other attachment, other magics language) still renders as
    nbconvert's stock exporter renders it there."""
    import warnings

    from nbconvert import HTMLExporter

    from graders.report.notebook import render_html

    source = "x = 1  # <b>not bold</b>\nprint(x)"
    markdown = "# Same notes\n![plot](attachment:plot.png) and <i>text</i>"
    pixel = (
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJ"
        "RU5ErkJggg=="
    )

    def notebook(lexer: str, image: str, magics: str | None) -> nbformat.NotebookNode:
        cell = nbformat.v4.new_markdown_cell(markdown)
        cell["attachments"] = {"plot.png": {"image/png": pixel if image == "A" else image}}
        code = new_code_cell(source)
        if magics is not None:
            code.metadata["magics_language"] = magics
        nb = new_notebook(cells=[cell, code])
        nb.metadata["language_info"] = {"name": "python", "pygments_lexer": lexer}
        return nb

    variants = [
        notebook("ipython3", "A", None),
        notebook("html", "A", None),  # the same code cell under another lexer
        notebook("ipython3", "R0lGODlhAQABAAAAACw=", None),  # the same Markdown, another image
        notebook("ipython3", "A", "html"),  # a cell highlighted in its magics language
    ]
    variants.append(copy.deepcopy(variants[0]))  # the first again: all of it from the memo
    pages = [render_html(nb) for nb in variants]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stock = [HTMLExporter(sanitize_html=True).from_notebook_node(nb)[0] for nb in variants]
    for ours, theirs in zip(pages, stock, strict=True):
        assert body(ours) == body(theirs)
    assert body(pages[0]) != body(pages[1])  # the lexer shows: a memo keyed on source alone fails
    assert body(pages[0]) != body(pages[2])  # each page embeds its own image
    assert body(pages[0]) != body(pages[3])
    assert body(pages[4]) == body(pages[0])
