"""Feedback inside the student's own notebook: their cells unchanged, a feedback cell after each.

One reason to change: how feedback is placed in and rendered from the student's notebook. The
submission is read with nbformat; after the cell that (last) defines each graded function, a
Markdown cell tells that question's checks, points, failing input, expected vs yours and the likely
misconception, and a first cell gives the score and what is missing. Every inserted cell carries
the ``grader-feedback`` tag. The student's own cells, sources and outputs are left as they were.

Only the result's student-facing text goes in (what ``grader check`` shows): nothing of the
reference or of the hidden searches' inputs, which results never hold. The HTML rendering uses
nbconvert's exporter with ``sanitize_html`` on, so scripts a student's outputs carry do not run in
a page the grader serves.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from graders.attempts import defined_functions
from graders.magics import neutralise_magics
from graders.report.causes import Absent, Telling, telling
from graders.report.markdown import explanation
from graders.results import CheckResult, SubmissionResult

__all__ = [
    "FEEDBACK_TAG",
    "NOTEBOOK",
    "PAGE",
    "feedback_files",
    "feedback_notebook",
    "render_html",
    "write_feedback_notebook",
]

#: The tag of every cell the grader inserts (tools and people can strip them again).
FEEDBACK_TAG = "grader-feedback"
#: The feedback notebook's file name in a student's output folder, and its rendering's.
NOTEBOOK = "feedback.ipynb"
PAGE = "feedback-notebook.html"

_MARK = {"passed": "✅", "failed": "❌", "error": "❌", "timeout": "⏱️", "missing": "➖"}


def feedback_notebook(submission: Path, result: SubmissionResult) -> nbformat.NotebookNode:
    """The student's notebook with a feedback cell after each graded function's definition.

    Parameters
    ----------
    submission
        The file that was graded: a notebook, or a ``.py`` module (shown as one code cell).
    result
        Its result. An ungradable one gives the notebook with one feedback cell at the top.

    Returns
    -------
    nbformat.NotebookNode
        Valid against the notebook's own format version; a file nbformat cannot read becomes a
        notebook holding the feedback alone.
    """
    nb, own = _student_notebook(submission)
    # A feedback notebook handed in again: its old feedback is ours, not the student's.
    nb.cells = [c for c in nb.cells if not _tagged(c)]
    told = telling(result.checks)
    questions: dict[str, list[CheckResult]] = {}
    for check in result.checks:
        questions.setdefault(check.question, []).append(check)
    where = _defining_cells(nb.cells, list(questions))
    after: dict[int, list[str]] = {}
    unplaced: list[str] = []
    for question, checks in questions.items():
        absent = told.absent.get(question)
        if absent is not None and question not in where:
            continue  # not defined at all: the first cell says so
        if absent is not None:  # still the template's stub: said after the stub itself
            text = f"### Grader feedback: `{question}`\n\n{absent.line}"
        else:
            text = _question_text(question, checks, told)
        if question in where:
            after.setdefault(where[question], []).append(text)
        else:
            unplaced.append(text)  # graded, but no cell of its own defines it (a star import...)
    missing = [a for q, a in told.absent.items() if q not in where]
    cells: list[Any] = [_cell(_summary_text(result, missing, own), nb)]
    cells += [_cell(text, nb) for text in unplaced]
    for index, cell in enumerate(nb.cells):
        cells.append(cell)
        cells += [_cell(text, nb) for text in after.get(index, ())]
    nb.cells = cells
    _number_feedback_cells(nb)
    return nb


#: nbconvert's lab template without a second cleaning of highlighted code (see its comment).
_TEMPLATE = "nbconvert_feedback"


# nbconvert's accessibility pass, as two substitutions on the template's output instead of a
# parse of the whole page: every image gets a text alternative, every cell's input and output can
# take the keyboard's focus (scrolling a wide output). The page's every tag comes from the
# template or from sanitised HTML, so these match exactly the elements nbconvert's pass edits.
_IMAGE_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)(?=[\s/>])")
_FOCUSABLE = re.compile(
    r'(<div class="(?:jp-Cell-inputWrapper|[^"]*\bjp-OutputArea-output\b[^"]*)")'
    r"(?![^>]*\stabindex=)"
)
_NO_ALT = ' alt="No description has been provided for this image"'
_RENDERING = threading.Lock()  # one exporter per process, and it is not thread-safe


class _Memo:
    """A bounded table of a pure function's results on strings, oldest entries dropped first.

    A cohort's notebooks share most of their cells (the handout's Markdown, its given code), and
    Markdown rendering, sanitising and highlighting were most of a feedback page's cost. The
    table is bounded in characters, not entries: a student's HTML output may be megabytes, and
    one that large is not kept at all.
    """

    def __init__(self, max_chars: int, max_entry_chars: int) -> None:
        self._max_chars = max_chars
        self._max_entry_chars = max_entry_chars
        self._chars = 0
        self._table: dict[tuple[str, ...], str] = {}

    def get(self, key: tuple[str, ...], make: Callable[[], str]) -> str:
        table = self._table
        found = table.get(key)
        if found is not None:
            return found
        made = make()
        size = len(made) + sum(map(len, key))
        if size <= self._max_entry_chars:
            while table and self._chars + size > self._max_chars:
                oldest = next(iter(table))
                self._chars -= len(table.pop(oldest)) + sum(map(len, oldest))
            table[key] = made
            self._chars += size
        return made


def _memo() -> _Memo:
    """A memo of one filter: a few handouts' cells (the page's own CSS is not a filter's)."""
    return _Memo(max_chars=4_000_000, max_entry_chars=64_000)


class _MemoHighlight:
    """``highlight_code`` with its results remembered: the same source, language and magics
    language give the same highlighted HTML (the formatter's options are the exporter's)."""

    def __init__(self, highlight: Any, memo: _Memo) -> None:
        self._highlight = highlight
        self._memo = memo

    def __call__(self, source: str, language: str | None = None, metadata: Any = None) -> str:
        magics = metadata.get("magics_language") if metadata else None
        resolved = language or self._highlight.pygments_lexer
        if type(source) is not str or type(resolved) is not str:
            return str(self._highlight(source, language, metadata))
        key = (source, resolved, "" if magics is None else f"magics:{magics}")
        return self._memo.get(key, lambda: str(self._highlight(source, language, metadata)))


@functools.lru_cache(maxsize=1)
def _exporter() -> Any:
    """One exporter per process: building it (templates, filters) costs more than a page."""
    import jinja2
    from nbconvert import HTMLExporter  # heavy: imported only when a page is written
    from nbconvert.filters import clean_html

    highlights, markdowns, cleaned = _memo(), _memo(), _memo()

    def memo_clean_html(element: Any) -> str:
        if type(element) is not str:
            return str(clean_html(element))
        return cleaned.get((element,), lambda: str(clean_html(element)))

    class FeedbackExporter(HTMLExporter):
        """nbconvert's HTMLExporter whose accessibility pass (alt text, focusable cells) edits
        the rendered page instead of parsing and re-serialising it with BeautifulSoup: the
        parse was half a page's cost (the page is ~300 kB, mostly highlighted code and CSS).
        Its Markdown, sanitising and highlighting filters remember their results."""

        def default_filters(self) -> Any:
            yield from super().default_filters()
            yield ("clean_html", memo_clean_html)

        def register_filter(self, name: str, jinja_filter: Any) -> Any:
            if name == "highlight_code":  # made per page, with the notebook's language
                jinja_filter = _MemoHighlight(jinja_filter, highlights)
            return super().register_filter(name, jinja_filter)

        @jinja2.pass_context
        def markdown2html(self, context: Any, source: str) -> str:
            render = super().markdown2html
            cell = context.get("cell", {})
            path = context.get("resources", {}).get("metadata", {}).get("path", "")
            if cell.get("attachments") or type(source) is not str or type(path) is not str:
                return str(render(context, source))  # attachments are rare: no memo
            return markdowns.get((source, path), lambda: str(render(context, source)))

        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> Any:
            with _soup_left_out():
                page, resources = super().from_notebook_node(nb, resources, **kw)
            page = _IMAGE_WITHOUT_ALT.sub("<img" + _NO_ALT, page)
            return _FOCUSABLE.sub(r'\1 tabindex="0"', page), resources

    return FeedbackExporter(
        sanitize_html=True,
        # Validated once after the preprocessors, not after each of them (a dozen schema
        # walks of the whole notebook a page); validation changes nothing in the notebook.
        optimistic_validation=True,
        template_name=_TEMPLATE,
        extra_template_basedirs=[str(Path(__file__).parent)],
    )


@contextlib.contextmanager
def _soup_left_out() -> Iterator[None]:
    """nbconvert 7's ``HTMLExporter.from_notebook_node`` with its BeautifulSoup pass a no-op.

    The exporter parses its page only to add alt text and ``tabindex`` (done above instead); a
    stand-in that returns the page unparsed skips the parse. Grader processes render one page
    at a time, so swapping the module's name for the call is safe.
    """
    from nbconvert.exporters import html as module

    class Unparsed:
        def __init__(self, markup: str, features: str = "") -> None:
            self.markup = markup

        def select(self, selector: str) -> list[Any]:
            return []

        def __str__(self) -> str:
            return self.markup

    names = vars(module)
    real = names["BeautifulSoup"]
    names["BeautifulSoup"] = Unparsed
    try:
        yield
    finally:
        names["BeautifulSoup"] = real


def render_html(nb: nbformat.NotebookNode) -> str:
    """The notebook as one HTML page (nbconvert's HTML exporter, student HTML sanitised).

    About 10-15 ms a page with the process's exporter (its first page costs ~0.6 s more), a
    tenth of nbconvert's stock exporter (``benchmarks/feedback_notebook.py``): its templates, and
    the Markdown, sanitising and highlighting of the cells it has not met before.
    """
    exporter = _exporter()
    # "IPython3 lexer unavailable": Python's lexer is used, which is fine.
    with _RENDERING, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        body, _ = exporter.from_notebook_node(nb)
    return str(body)


def feedback_files(submission: Path, result: SubmissionResult) -> tuple[tuple[str, str], ...]:
    """``((NOTEBOOK, its JSON), (PAGE, its HTML))``: the feedback notebook of ``submission``.

    What a grader process makes for ``grader grade`` (about 10 ms a submission, mostly the HTML)
    and hands back with the result, for the batch's one writer to write.
    """
    nb = feedback_notebook(submission, result)
    return (NOTEBOOK, nbformat.writes(nb) + "\n"), (PAGE, render_html(nb))


def write_feedback_notebook(submission: Path, result: SubmissionResult, out: Path) -> Path:
    """Write ``out`` (``feedback.ipynb``) and its rendering beside it; return the HTML's path.

    The HTML is ``feedback-notebook.html`` beside a ``feedback.ipynb``, else ``out`` with the
    suffix ``.html``.
    """
    (_, text), (_, html) = feedback_files(submission, result)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    page = out.with_name(PAGE) if out.name == NOTEBOOK else out.with_suffix(".html")
    page.write_text(html, encoding="utf-8")
    return page


# ------------------------------------------------------------------------------ the notebook


def _student_notebook(path: Path) -> tuple[nbformat.NotebookNode, bool]:
    """(the notebook, whether it is the student's own); a ``.py`` becomes one code cell."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return new_notebook(), False
    if path.suffix.lower() != ".ipynb":
        cell = new_code_cell(text)
        cell["id"] = "cell-1"  # not nbformat's random one: the same file, the same notebook
        return new_notebook(cells=[cell]), True
    try:
        raw = json.loads(text)
        _give_ids(raw)  # before nbformat's validation would pick random ones
        # nbformat.reads without its validation, which only warns (the student's notebook is
        # taken as it is) and would give a missing or repeated cell id a random one.
        major, minor = nbformat.reader.get_version(raw)
        nb = nbformat.versions[major].to_notebook_json(raw, minor=minor)
        if nb.nbformat != 4:
            nb = nbformat.convert(nb, 4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
    except Exception:  # noqa: BLE001 -- malformed JSON: the feedback stands alone
        return new_notebook(), False
    return nb, True


def _defining_cells(cells: Sequence[Any], names: Sequence[str]) -> dict[str, int]:
    """Index of the last code cell defining each of ``names`` at the top level (it wins)."""
    where: dict[str, int] = {}
    for index, cell in enumerate(cells):
        source = cell.get("source") if isinstance(cell, dict) else None
        if cell.get("cell_type") != "code" or not isinstance(source, (str, list)):
            continue
        text = "".join(source) if isinstance(source, list) else source
        for name in defined_functions([neutralise_magics(text).source]) & set(names):
            where[name] = index
    return where


def _cell(text: str, nb: nbformat.NotebookNode) -> Any:
    cell = new_markdown_cell(text, metadata={"tags": [FEEDBACK_TAG]})
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):
        del cell["id"]  # cell ids exist from format 4.5 on; the student's version is kept
    return cell


def _give_ids(raw: Any) -> None:
    """Cells of a notebook (its JSON) of a format with ids (4.5 on) that lack one, or repeat an
    earlier cell's, get ``cell-K``: the format requires unique ids, and nothing else of the cell
    changes."""
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return
    version = (raw.get("nbformat"), raw.get("nbformat_minor"))
    if not all(isinstance(v, int) for v in version) or version < (4, 5):
        return
    cells = [c for c in raw["cells"] if isinstance(c, dict)]
    taken = {c["id"] for c in cells if isinstance(c.get("id"), str) and c["id"]}
    seen: set[str] = set()
    for index, cell in enumerate(cells, 1):
        own = cell.get("id")
        if isinstance(own, str) and own and own not in seen:
            seen.add(own)
            continue
        cell["id"] = _unique(f"cell-{index}", taken)
        seen.add(cell["id"])


def _unique(wanted: str, taken: set[Any]) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``, ... : the first not in ``taken`` (then added)."""
    name, extra = wanted, 1
    while name in taken:
        extra += 1
        name = f"{wanted}-{extra}"
    taken.add(name)
    return name


def _tagged(cell: Any) -> bool:
    """Whether ``cell`` is one the grader inserted."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    return isinstance(tags, list) and FEEDBACK_TAG in tags


def _number_feedback_cells(nb: nbformat.NotebookNode) -> None:
    """Give the feedback cells ids ``grader-feedback-1``, ... in order (not nbformat's random
    ones), so the same grade gives the same file; an id the student's cells use is skipped."""
    taken = {c.get("id") for c in nb.cells if not _tagged(c)}
    ours = [cell for cell in nb.cells if "id" in cell and _tagged(cell)]
    for number, cell in enumerate(ours, 1):
        cell["id"] = _unique(f"{FEEDBACK_TAG}-{number}", taken)


# ------------------------------------------------------------------------------ the feedback


def _summary_text(result: SubmissionResult, missing: Sequence[Absent], own: bool) -> str:
    lines = [f"# Grader feedback: {result.assignment}", ""]
    if result.status == "ungradable":
        return "\n".join([*lines, "**This submission could not be graded.**", "", result.message])
    lines.append(f"**Score: {result.score:g} / {result.max_score:g}.**")
    if own:
        lines.append(
            "Feedback on each function follows the cell that defines it (cells tagged "
            f"`{FEEDBACK_TAG}`); your own cells and outputs are unchanged."
        )
    if result.message:
        lines += ["", f"> **Read this first:** {result.message}"]
    if missing:
        lines += ["", "**Not defined in this notebook:**", ""]
        lines += [f"- {question.line}" for question in missing]
    return "\n".join(lines)


def _question_text(question: str, checks: Sequence[CheckResult], told: Telling) -> str:
    earned = sum(c.score for c in checks)
    available = sum(c.max_score for c in checks)
    lines = [f"### Grader feedback: `{question}`, {earned:g} / {available:g} points", ""]
    lines += [
        f"- {_MARK.get(c.status, '')} `{c.check_id}`: {c.status}, {c.score:g} / {c.max_score:g}"
        for c in checks
    ]
    for c in checks:
        if c.status == "passed" or told.explained_by(c):
            continue
        lines += ["", f"**`{c.check_id}`**: {c.status}", "", *explanation(c, told)]
    return "\n".join(lines)
