"""Tests for graders.load: what a submission becomes, and what students read when it cannot."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tempfile
import traceback
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from graders import load
from graders.errors import SubmissionError
from graders.load import Cell, Submission, load_source, load_submission, neutralise_magics

# --------------------------------------------------------------------------------------------
# helpers


def notebook_bytes(*cells: Any, **metadata: Any) -> bytes:
    """A valid format-4 notebook holding ``cells`` (nbformat cell objects)."""
    nb = new_notebook(cells=list(cells), metadata=metadata)
    return nbformat.writes(nb).encode("utf-8")


def raw_notebook(cells: Any, **top: Any) -> bytes:
    """Notebook JSON written by hand, so it can be as broken as a test needs."""
    data: dict[str, Any] = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    data.update(top)
    return json.dumps(data, indent=1).encode("utf-8")


def code(source: Any, number: int = 0) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": f"c{number}",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": source,
    }


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def lines_of(text: str) -> list[str]:
    return text.split("\n")


# --------------------------------------------------------------------------------------------
# The corpus: inputs that must be refused, each with the message a student reads.

V3_BROKEN = json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": 7})

REFUSED: list[tuple[str, str, bytes, str]] = [
    (
        "invalid-json",
        "hw.ipynb",
        b'{\n "cells": [],\n    "nbformat" 4\n}',
        r"^'hw\.ipynb' is not a valid notebook: JSON error at line 3 column 16 "
        r"\(Expecting ':' delimiter\)\. The file may be truncated",
    ),
    (
        "truncated-json",
        "hw.ipynb",
        raw_notebook([code("x = 1")])[:60],
        r"not a valid notebook: JSON error at line \d+ column \d+ .*truncated",
    ),
    (
        "python-saved-as-ipynb",
        "hw.ipynb",
        b"import numpy as np\n",
        r"JSON error at line 1 column 1 .*does not start with '\{'.*rename it to \.py",
    ),
    ("empty-ipynb", "hw.ipynb", b"", r"^'hw\.ipynb' is empty \(0 bytes\), so there is nothing"),
    ("empty-py", "hw.py", b"", r"^'hw\.py' is empty \(0 bytes\)"),
    ("whitespace-py", "hw.py", b"  \n\n\t\n", r"^'hw\.py' is empty, so there is nothing"),
    (
        "binary-nul",
        "hw.py",
        b"x = 1\x00\x00\x01",
        r"^'hw\.py' is not a text file: it contains a NUL byte at offset 5\. Submit the",
    ),
    (
        "zip-renamed",
        "hw.ipynb",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
        r"NUL byte at offset 5; it looks like a ZIP archive \(a \.docx",
    ),
    (
        "latin-1",
        "hw.py",
        "x = 1\ns = 'café'\n".encode("latin-1"),
        r"^'hw\.py' is not valid UTF-8 text: byte 0xE9 at offset 14 \(line 2\) cannot be "
        r"decoded\. .*save it as UTF-8",
    ),
    (
        "latin-1-after-bom",
        "hw.py",
        b"\xef\xbb\xbfx = '\xe9'\n",
        r"byte 0xE9 at offset 8 \(line 1\)",
    ),
    ("utf-16", "hw.py", "x = 1\n".encode("utf-16"), r"is saved as UTF-16 text; save it as UTF-8"),
    (
        "no-code-cells",
        "hw.ipynb",
        notebook_bytes(new_markdown_cell("# Title"), new_raw_cell("raw")),
        r"^'hw\.ipynb' has no code cells, so there is nothing to grade$",
    ),
    (
        "all-code-cells-empty",
        "hw.ipynb",
        notebook_bytes(new_markdown_cell("hi"), new_code_cell(""), new_code_cell("  \n\n")),
        r"^'hw\.ipynb' has 2 code cell\(s\), all empty, so there is nothing to grade$",
    ),
    (
        "only-shell-cells",
        "hw.ipynb",
        notebook_bytes(new_code_cell("%%bash\nls"), new_code_cell("%%writefile a.py\nx = 1")),
        r"has no code that can be run as Python: code cell 1 was not run because it starts with "
        r"%%bash: .*; code cell 2 was not run because it starts with %%writefile",
    ),
    (
        "only-magics-and-comments",
        "hw.ipynb",
        notebook_bytes(
            new_code_cell("%matplotlib inline\n# TODO"), new_code_cell("!pip install x")
        ),
        r"has no Python code to run: it holds only comments and IPython magic or shell lines",
    ),
    (
        "json-list",
        "hw.ipynb",
        b'[{"cells": []}]',
        r"^'hw\.ipynb' is not a Jupyter notebook: the file holds a JSON list, but a notebook is "
        r"a JSON object with 'cells' and 'nbformat'$",
    ),
    ("json-string", "hw.ipynb", b'"hello"', r"the file holds a JSON string"),
    (
        "no-nbformat-field",
        "hw.ipynb",
        b'{"cells": [], "metadata": {}}',
        r"is not a Jupyter notebook: the JSON object has no 'nbformat' field",
    ),
    (
        "nbformat-5",
        "hw.ipynb",
        raw_notebook([code("x = 1")], nbformat=5),
        r"uses notebook format version 5, which this grader cannot read \(it reads versions 1 "
        r"to 4\)",
    ),
    (
        "nbformat-as-string",
        "hw.ipynb",
        raw_notebook([code("x = 1")], nbformat="4"),
        r"uses notebook format version '4', which this grader cannot read",
    ),
    (
        "cells-not-a-list",
        "hw.ipynb",
        raw_notebook({"0": code("x = 1")}),
        r"is not a valid notebook: it has no list of 'cells'",
    ),
    (
        "broken-v3",
        "hw.ipynb",
        V3_BROKEN.encode(),
        r"is a notebook in the old format 3 that could not be converted \(TypeError",
    ),
    (
        "nested-too-deeply",
        "hw.ipynb",
        b"[" * 200_000,
        r"is not a valid notebook: its JSON is nested too deeply",
    ),
    (
        "py-starting-with-cell-magic",
        "hw.py",
        b"%%bash\nls -la\n",
        r"^'hw\.py' has no code that can be run as Python: the file was not run because it "
        r"starts with %%bash: shell commands and scripts are never run by the grader$",
    ),
    (
        "txt",
        "hw.txt",
        b"x = 1\n",
        r"unsupported file type \(\.txt\); the grader accepts \.py .*\.ipynb",
    ),
    ("pdf", "hw.pdf", b"%PDF-1.4", r"unsupported file type \(\.pdf\).*not an export"),
    ("docx", "hw.docx", b"PK\x03\x04", r"unsupported file type \(\.docx\)"),
    ("no-extension", "hw", b"x = 1\n", r"unsupported file type \(no extension\)"),
    ("double-extension", "hw.ipynb.txt", b"{}", r"\(\.txt\).*Rename it to 'hw\.ipynb'"),
    ("dotted-name", "my.python.txt", b"x = 1", r"\(\.txt\).*itself, not an export"),
]


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_malformed_input_is_refused_with_a_clear_message(
    tmp_path: Path, name: str, content: bytes, pattern: str
) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(SubmissionError) as caught:
        load_submission(path)
    assert re.search(pattern, str(caught.value)), str(caught.value)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match=r"^'nope\.ipynb' does not exist \(no such file\)$"):
        load_submission(tmp_path / "nope.ipynb")


def test_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "hw.ipynb").mkdir()
    with pytest.raises(SubmissionError, match=r"^'hw\.ipynb' is a directory; submit a single"):
        load_submission(tmp_path / "hw.ipynb")


def test_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "hw.ipynb"
    with path.open("wb") as f:
        f.truncate(load.MAX_BYTES + 1)  # sparse: costs no disk and no time
    with pytest.raises(
        SubmissionError,
        match=r"^'hw\.ipynb' is 20\.1 MB, over the 20 MB limit\. Clear the notebook",
    ):
        load_submission(path)


def test_load_source_refuses_nul_and_empty() -> None:
    with pytest.raises(SubmissionError, match=r"contains a NUL character at offset 3"):
        load_source("x =\0 1", name="hw.py")
    with pytest.raises(SubmissionError, match=r"^'<string>' is empty"):
        load_source("\n  \n")


# --------------------------------------------------------------------------------------------
# Odd inputs that must load.


def test_py_with_syntax_error_loads_unchanged(tmp_path: Path) -> None:
    source = "def f(:\n    return 1\n"
    sub = load_submission(write(tmp_path, "hw.py", source.encode()))
    assert sub.kind == "py"
    assert sub.cells == (Cell(1, source),)
    assert sub.notes == ()


def test_sha256_is_of_the_raw_bytes(tmp_path: Path) -> None:
    content = b"\xef\xbb\xbfx = 1\r\ny = 2\r\n"
    sub = load_submission(write(tmp_path, "hw.py", content))
    assert sub.sha256 == hashlib.sha256(content).hexdigest()


def test_crlf_and_bom_are_fine(tmp_path: Path) -> None:
    sub = load_submission(
        write(tmp_path, "hw.py", b"\xef\xbb\xbfx = 1\r\n%matplotlib inline\r\ny = 2")
    )
    assert sub.cells == (Cell(1, "x = 1\npass\ny = 2"),)
    nb = b"\xef\xbb\xbf" + raw_notebook([code("a = 1\r\nb = 2\r\n")])
    assert load_submission(write(tmp_path, "hw.ipynb", nb)).cells == (Cell(1, "a = 1\nb = 2\n"),)


def test_cell_source_as_list_of_strings_is_joined(tmp_path: Path) -> None:
    nb = raw_notebook([code(["def f(x):\n", "    return x\n", "y = f(2)"])])
    sub = load_submission(write(tmp_path, "hw.ipynb", nb))
    assert sub.cells == (Cell(1, "def f(x):\n    return x\ny = f(2)"),)


def test_huge_base64_outputs_are_ignored(tmp_path: Path) -> None:
    image = base64.b64encode(b"\x89PNG" + bytes(3_000_000)).decode()
    output = new_output("display_data", data={"image/png": image})
    nb = notebook_bytes(new_code_cell("x = 1", outputs=[output]))
    sub = load_submission(write(tmp_path, "hw.ipynb", nb))
    assert sub.cells == (Cell(1, "x = 1"),)
    assert sub.notes == ()


def test_minor_schema_problems_load_with_notes_saying_what_was_wrong(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "source": "# Lab 3"},  # no metadata, no id
        {"cell_type": "code", "source": "x = 1", "id": "b", "metadata": {}, "unexpected": 1},
    ]
    sub = load_submission(write(tmp_path, "hw.ipynb", raw_notebook(cells)))
    assert sub.cells == (Cell(2, "x = 1"),)
    (note,) = [n for n in sub.notes if "Jupyter format" in n]
    assert note.startswith("the notebook does not fully follow the Jupyter format, but its code")
    assert "cell 1: 'metadata' is a required property" in note
    assert "cell 2: Additional properties are not allowed ('unexpected' was unexpected)" in note
    assert "cell 2: 'outputs' is a required property" in note


def test_notebook_without_top_level_metadata_still_loads(tmp_path: Path) -> None:
    data = json.dumps({"nbformat": 4, "nbformat_minor": 4, "cells": [code("x = 1")]})
    sub = load_submission(write(tmp_path, "hw.ipynb", data.encode()))
    assert sub.cells == (Cell(1, "x = 1"),)
    assert any("cells were read directly" in n for n in sub.notes)
    assert any("notebook: 'metadata' is a required property" in n for n in sub.notes)


def test_cell_with_unreadable_source_is_skipped_with_a_note(tmp_path: Path) -> None:
    nb = raw_notebook([code(42, 1), code("x = 1", 2)])
    sub = load_submission(write(tmp_path, "hw.ipynb", nb))
    assert sub.cells == (Cell(2, "x = 1"),)
    assert "code cell 1 was not run: its source is not text (found int)" in sub.notes


def test_nul_and_lone_surrogates_in_a_cell_are_replaced(tmp_path: Path) -> None:
    nb = raw_notebook([code("x = 1\u0000\ns = '\ud800'")])
    sub = load_submission(write(tmp_path, "hw.ipynb", nb))
    assert sub.cells == (Cell(1, "x = 1\ufffd\ns = '\ufffd'"),)
    note = "code cell 1 (`x = 1\ufffd`): 2 invalid character(s) (NUL or broken Unicode)"
    assert f"{note} were replaced by \ufffd" in sub.notes


def test_notebook_saved_as_py_is_read_as_a_notebook(tmp_path: Path) -> None:
    content = notebook_bytes(new_markdown_cell("hi"), new_code_cell("x = 1"))
    sub = load_submission(write(tmp_path, "hw.py", content))
    assert sub.kind == "ipynb"
    assert sub.cells == (Cell(2, "x = 1"),)
    assert sub.notes[0].startswith("'hw.py' holds a Jupyter notebook (JSON), not a Python script")


def test_py_dict_literal_mentioning_nbformat_stays_python(tmp_path: Path) -> None:
    source = '{"nbformat": 4, "cells": []}\nx = 1\n'
    sub = load_submission(write(tmp_path, "hw.py", source.encode()))
    assert (sub.kind, sub.cells) == ("py", (Cell(1, source),))


def test_non_python_kernel_is_noted(tmp_path: Path) -> None:
    nb = notebook_bytes(
        new_code_cell("x <- 1"), kernelspec={"name": "ir", "language": "R", "display_name": "R"}
    )
    sub = load_submission(write(tmp_path, "hw.ipynb", nb))
    assert "the notebook's kernel language is 'R'; its code cells were run as Python" in sub.notes


def test_uppercase_extension_is_accepted(tmp_path: Path) -> None:
    assert load_submission(write(tmp_path, "HW.PY", b"x = 1\n")).kind == "py"


# --------------------------------------------------------------------------------------------
# Notebook structure


def test_cell_numbers_count_markdown_and_raw_cells(tmp_path: Path) -> None:
    nb = notebook_bytes(
        new_markdown_cell("# Question 1"),
        new_code_cell("import numpy as np"),
        new_raw_cell("raw"),
        new_markdown_cell("## Question 2"),
        new_code_cell(""),  # empty: not run, still counted
        new_code_cell("def sigmoid(z):\n    return 1 / (1 + np.exp(-z))"),
    )
    sub = load_submission(write(tmp_path, "hw.ipynb", nb))
    assert sub.kind == "ipynb"
    assert [c.number for c in sub.cells] == [2, 6]
    assert sub.cells[1].source.startswith("def sigmoid")


def test_functions_defined_twice_are_both_kept_in_order(tmp_path: Path) -> None:
    nb = notebook_bytes(
        new_code_cell("def f(x):\n    return 0"),
        new_markdown_cell("fixed version below"),
        new_code_cell("def f(x):\n    return x"),
    )
    sub = load_submission(write(tmp_path, "hw.ipynb", nb))
    assert sub.cells == (Cell(1, "def f(x):\n    return 0"), Cell(3, "def f(x):\n    return x"))


def test_nbformat_3_notebook_is_upgraded(tmp_path: Path) -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "lab"},
        "worksheets": [
            {
                "metadata": {},
                "cells": [
                    {"cell_type": "heading", "level": 1, "source": "Lab", "metadata": {}},
                    {
                        "cell_type": "code",
                        "input": ["%matplotlib inline\n", "x = 1"],
                        "language": "python",
                        "outputs": [],
                        "prompt_number": 1,
                        "metadata": {},
                    },
                    {"cell_type": "markdown", "source": "text", "metadata": {}},
                    {
                        "cell_type": "code",
                        "input": "def f():\n    return x",
                        "language": "python",
                        "outputs": [],
                        "metadata": {},
                    },
                ],
            }
        ],
    }
    sub = load_submission(write(tmp_path, "lab.ipynb", json.dumps(v3).encode()))
    assert sub.cells == (Cell(2, "pass\nx = 1"), Cell(4, "def f():\n    return x"))
    assert sub.notes[0] == "the notebook was converted from format 3 to format 4"


def test_notes_are_deterministic(tmp_path: Path) -> None:
    cells = [{"cell_type": "code", "source": "%time x = 1\n!ls"}, code("%%html\n<b>hi</b>", 2)]
    path = write(tmp_path, "hw.ipynb", raw_notebook(cells))
    assert load_submission(path) == load_submission(path)


# --------------------------------------------------------------------------------------------
# Magics


def test_magics_are_neutralised_and_line_numbers_kept() -> None:
    source = "\n".join(
        [
            "%matplotlib inline",  # 1
            "import math",  # 2
            "files = !ls",  # 3
            "%time x = math.sqrt(4)",  # 4
            "%timeit math.sqrt(4)",  # 5
            "def f(n):",  # 6
            "    !pip install numpy",  # 7
            "    %time y = n + 1",  # 8
            "    return y",  # 9
            "math.sqrt?",  # 10
            "??math",  # 11
            "found = %who_ls",  # 12
            "!echo a \\",  # 13
            "  continued",  # 14
            "get_ipython().run_line_magic('matplotlib', 'inline')",  # 15
            "z = 1 / 0",  # 16
        ]
    )
    sub = load_source(source, name="hw.py")
    (cell,) = sub.cells
    assert lines_of(cell.source) == [
        "pass",
        "import math",
        "files = []",
        "x = math.sqrt(4)",
        "pass",
        "def f(n):",
        "    pass",
        "    y = n + 1",
        "    return y",
        "pass",
        "pass",
        "found = None",
        "pass",
        "",
        "get_ipython().run_line_magic('matplotlib', 'inline')",
        "z = 1 / 0",
    ]
    # A traceback still points at the student's line 16.
    namespace: dict[str, object] = {"get_ipython": lambda: _Stub()}
    with pytest.raises(ZeroDivisionError) as caught:
        exec(compile(cell.source, "cell", "exec"), namespace)
    assert traceback.extract_tb(caught.value.__traceback__)[-1].lineno == 16
    assert namespace["x"] == 2.0
    assert sub.notes == (
        "IPython magic, shell or help lines were not run (the grader never runs shell "
        "commands): line 1 `%matplotlib inline`; line 5 `%timeit math.sqrt(4)`; line 7 "
        "`!pip install numpy`; line 10 `math.sqrt?`; line 11 `??math`; line 13 `!echo a \\`",
        "%time was dropped and the statement after it run once as plain Python: line 4 "
        "`%time x = math.sqrt(4)`; line 8 `%time y = n + 1`",
        "shell commands were not run; the name they were assigned to was set to an empty "
        "list []: line 3 `files = !ls`",
        "magics were not run; the name they were assigned to was set to None: line 12 "
        "`found = %who_ls`",
    )


class _Stub:
    def run_line_magic(self, *args: object) -> None:
        return None


def test_magic_lookalikes_inside_strings_brackets_and_continuations_are_untouched() -> None:
    source = "\n".join(
        [
            'doc = """',
            "%matplotlib inline",
            "!rm -rf /",
            "files = !ls",
            "what?",
            '"""',
            "s = ('%d'",
            "% 3)",
            "t = 7 \\",
            "% 4",
            "u = 'it''s?'  # really?",
            "r = r'\\'' '''",
            "!still in a string",
            "'''",
        ]
    )
    result = neutralise_magics(source)
    assert result.source == source
    assert result.magic_lines == ()
    namespace: dict[str, object] = {}
    exec(compile(result.source, "cell", "exec"), namespace)
    assert namespace["s"] == "3" and namespace["t"] == 3


def test_unbalanced_quotes_in_a_shell_line_do_not_hide_later_magics() -> None:
    result = neutralise_magics("!echo \"it's\n%matplotlib inline\nx = 1")
    assert result.source == "pass\npass\nx = 1"


@pytest.mark.parametrize(
    ("header", "expected_note"),
    [
        ("%%bash", r"code cell 1 was not run because it starts with %%bash: shell commands"),
        ("%%sh", r"%%sh: shell commands and scripts are never run"),
        ("%%script python3", r"%%script: shell commands"),
        ("%%writefile helper.py", r"%%writefile: %%writefile cells are not run, so the file"),
        ("%%html", r"%%html: it only displays content"),
        ("%%javascript", r"%%javascript: it only displays content"),
        ("%%latex", r"%%latex: it only displays"),
        ("%%markdown", r"%%markdown: it only displays"),
        ("%%timeit", r"%%timeit: timing cells are not run"),
        ("%%mystery --x", r"%%mystery: the grader runs only Python and does not know"),
    ],
)
def test_cell_magics_that_are_not_python_leave_the_cell_out(
    tmp_path: Path, header: str, expected_note: str
) -> None:
    nb = notebook_bytes(new_code_cell(f"\n{header}\nx = 1"), new_code_cell("y = 2"))
    sub = load_submission(write(tmp_path, "hw.ipynb", nb))
    assert sub.cells == (Cell(2, "y = 2"),)
    assert any(re.search(expected_note, note) for note in sub.notes), sub.notes


@pytest.mark.parametrize("header", ["%%time", "%%capture out"])
def test_time_and_capture_cells_run_their_body(tmp_path: Path, header: str) -> None:
    nb = notebook_bytes(new_code_cell(f"{header}\nx = 1\n%time y = 2"))
    sub = load_submission(write(tmp_path, "hw.ipynb", nb))
    assert sub.cells == (Cell(1, "pass\nx = 1\ny = 2"),)
    assert (
        "the cell magic line was dropped and the rest of the cell run as plain Python: "
        f"code cell 1, line 1 `{header}`"
    ) in sub.notes


def test_long_lists_of_magic_lines_are_capped_in_notes() -> None:
    sub = load_source("\n".join(["!ls"] * 12 + ["x = 1"]))
    assert sub.notes[0].endswith("; line 8 `!ls`; and 4 more")


# --------------------------------------------------------------------------------------------
# Property: neutralising never changes the line count, and magic lines never break compile().

PLAIN: list[list[str]] = [
    ["x = 1"],
    ["y = 10 % 3"],
    ["print('!ls', \"%time\", 'obj?')"],
    ["z = 3  # %time in a comment?"],
    ["w = '%d' % 3"],
    [""],
    ["# %matplotlib inline"],
    ['doc = """', "%matplotlib inline", "!rm -rf /", "?help", "files = !ls", "np.sum?", '"""'],
    ["q = '''", "%%bash", "'''"],
    ["v = (1", "% 2)"],
    ["b = 5 \\", "% 3"],
    ['d = {"a?": 1,', '     "b": [', "1 if False else 2]}"],
    ["c = (1", "!= 2)"],
    ["e = f'{1}%'"],
]
STATEMENTS = [block for block in PLAIN if block[0].strip() and not block[0].startswith("#")]
MAGIC: list[list[str]] = [
    ["%matplotlib inline"],
    ["%time x = 1"],
    ["%timeit x = 1"],
    ["%time"],
    ["!pip install numpy"],
    ["!!ls -la"],
    ["files = !ls"],
    ["out = %who_ls"],
    ["x = %time 1 + 1"],
    ["%time files = !ls"],
    ["?np"],
    ["??print"],
    ["np.linalg.norm?"],
    ["print??"],
    ["%%time"],
    ["%pip install x"],
    ["!echo \"it's\" '"],
    ["%run -i 'helper.py"],
    ['!echo """'],
    ["% 3"],
    ["!"],
    ["!echo a \\", "b c"],
    ["%time x = \\", "    1"],
]
HEADERS = ["if True:", "def f():", "for _i in range(1):", "class K:", "while False:"]

Line = tuple[str, str]  # (text, role): role is "plain", "magic" or "tail" (continuation)


@st.composite
def programs(draw: st.DrawFn, depth: int = 0) -> list[Line]:
    indent = "    " * depth
    out: list[Line] = []
    n_items = draw(st.integers(min_value=1, max_value=5))
    kinds = ["plain", "magic", "compound"] if depth < 2 else ["plain", "magic"]
    for position in range(n_items):
        choice = draw(st.sampled_from(kinds))
        if choice == "plain":
            # A block body must start with a statement, not a blank or comment line.
            block = draw(st.sampled_from(STATEMENTS if position == 0 else PLAIN))
            out.append((indent + block[0], "plain"))
            out.extend((text, "plain") for text in block[1:])
        elif choice == "magic":
            block = draw(st.sampled_from(MAGIC))
            out.append((indent + block[0], "magic"))
            # `%time STMT \` keeps STMT, so its continuation stays; other magics swallow it.
            kept = block[0].startswith("%time")
            out.extend((text, "plain" if kept else "tail") for text in block[1:])
        else:
            out.append((indent + draw(st.sampled_from(HEADERS)), "plain"))
            out.extend(draw(programs(depth + 1)))
    return out


@settings(derandomize=True, database=None, deadline=None, max_examples=300)
@given(programs())
def test_neutralised_source_keeps_its_lines_and_compiles(program: list[Line]) -> None:
    source = "\n".join(text for text, _ in program)
    result = neutralise_magics(source)
    assert result.cell_magic is None
    new_lines = lines_of(result.source)
    assert len(new_lines) == len(program)
    compile(result.source, "cell", "exec")
    magic_numbers = {m.line for m in result.magic_lines}
    for number, ((old, role), new) in enumerate(zip(program, new_lines, strict=True), start=1):
        if role == "plain":
            assert new == old, f"line {number} changed: {old!r} -> {new!r}"
            assert number not in magic_numbers
        elif role == "magic":
            assert new != old and number in magic_numbers
            assert new.startswith(old[: len(old) - len(old.lstrip())])  # indentation kept
        else:
            assert new == ""


def test_submission_is_frozen() -> None:
    sub = load_source("x = 1")
    assert isinstance(sub, Submission)
    with pytest.raises(AttributeError):
        sub.cells = ()  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Property: whatever the bytes, loading either succeeds or says why; it never crashes.

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
SPOTS = ["document", "cells", "cell", "source", "cell_type", "metadata", "nbformat", "minor"]


def _load_bytes(name: str, content: bytes) -> Submission | SubmissionError:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            return load_submission(path)
        except SubmissionError as exc:
            return exc


@settings(derandomize=True, database=None, deadline=None, max_examples=150)
@given(spot=st.sampled_from(SPOTS), value=JSON_VALUES)
def test_any_damaged_notebook_loads_or_is_refused(spot: str, value: Any) -> None:
    cell = code("x = 1")
    doc: Any = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}
    if spot == "document":
        doc = value
    elif spot == "cells":
        doc["cells"] = value
    elif spot == "cell":
        doc["cells"].append(value)
    elif spot in ("source", "cell_type", "metadata"):
        cell[spot] = value
    else:
        doc["nbformat" if spot == "nbformat" else "nbformat_minor"] = value
    result = _load_bytes("hw.ipynb", json.dumps(doc).encode())
    if isinstance(result, SubmissionError):
        assert str(result).startswith("'hw.ipynb' ")
    else:
        assert all(isinstance(c.source, str) and c.number >= 1 for c in result.cells)


@settings(derandomize=True, database=None, deadline=None, max_examples=150)
@given(name=st.sampled_from(["hw.py", "hw.ipynb"]), content=st.binary(max_size=64))
def test_any_bytes_load_or_are_refused(name: str, content: bytes) -> None:
    result = _load_bytes(name, content)
    if isinstance(result, Submission):
        assert result.sha256 == hashlib.sha256(content).hexdigest()


def test_cells_are_named_by_their_place_among_code_cells_and_their_first_line(
    tmp_path: Path,
) -> None:
    """Jupyter numbers no cells: a student finds one by counting code cells and by its start."""
    long = "w = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])"
    nb = notebook_bytes(
        new_markdown_cell("# Lab"),
        new_code_cell("import numpy as np"),
        new_markdown_cell("Write `sigmoid`."),
        new_code_cell("\n# Demo\nprint(`x`)"),
        new_code_cell(long),
        new_code_cell("   "),  # empty cells are counted: Jupyter shows them
        new_code_cell("# only a comment"),
    )
    sub = load_submission(write(tmp_path, "hw.ipynb", nb))
    assert [(c.number, c.label) for c in sub.cells] == [
        (2, "code cell 1 (`import numpy as np`)"),
        (4, "code cell 2 (`print('x')`)"),
        (5, f"code cell 3 (`{long[:37]}...`)"),
        (7, "code cell 5 (`# only a comment`)"),
    ]
    script = load_submission(write(tmp_path, "hw.py", b"x = 1\n"))
    assert [(c.name, c.frame_label) for c in script.cells] == [("the file", "")]
