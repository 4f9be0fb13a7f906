"""Neutralise IPython-only syntax in a notebook cell, keeping every line where it was.

IPython-only syntax is neutralised line by line, so the source stays valid Python and every
line keeps its number ("cell 7, line 3" stays true):

=============================  ===================================================
``%matplotlib inline`` etc.    ``pass`` (never run)
``%time STMT``                 ``STMT`` (IPython runs it once in the user namespace)
``%timeit STMT``               ``pass`` (timeit repeats STMT many times and keeps no
                               names it assigns, so running it once would differ)
``!cmd``, ``!!cmd``            ``pass`` (shell commands are never run)
``files = !cmd``               ``files = []``
``x = %magic``                 ``x = None`` (``x = %time EXPR`` becomes ``x = EXPR``)
``?obj``, ``obj?``, ``obj??``  ``pass``
``%%time``, ``%%capture``      first line becomes ``pass``; the body runs
any other ``%%magic`` cell     the whole cell is left out (``%%bash``, ``%%writefile``,
                               ``%%html``, ``%%timeit``, unknown ones, ...)
=============================  ===================================================

A magic line that ends with a backslash swallows the continuation lines, as in IPython; they
become blank. ``get_ipython()`` calls are left alone (the worker defines a harmless stub).
Only lines that start a statement are considered: a ``%`` or ``!`` line inside a
triple-quoted string, inside brackets or after a backslash continuation is never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "BODY_RUNS",
    "DISPLAY_CELLS",
    "SHELL_CELLS",
    "Action",
    "MagicLine",
    "Neutralised",
    "neutralise_magics",
]

# Cell magics whose body IPython runs once, in the user namespace, as ordinary Python.
BODY_RUNS = frozenset({"time", "capture"})
SHELL_CELLS = frozenset(
    {"bash", "sh", "script", "system", "sx", "perl", "ruby", "python", "python2", "python3", "pypy"}
)
DISPLAY_CELLS = frozenset({"html", "javascript", "js", "latex", "markdown", "svg"})
_MAGIC_NAME = re.compile(r"%(?P<name>\w*)\s*(?P<rest>.*)", re.DOTALL)
_CELL_MAGIC_NAME = re.compile(r"%%(?P<name>[\w.-]*)")
# IPython's `obj?` / `obj??` help syntax: a (dotted, possibly wildcarded) name and 1-2 marks.
_HELP_SUFFIX = re.compile(r"[A-Za-z_][\w.*]*\?{1,2}")
# The target of IPython's `lhs = !cmd` / `lhs = %magic`: a name, attributes, subscripts, tuples.
# Every pattern here runs on student lines of any length, so each must be linear: no two
# adjacent quantifiers that can match the same characters (``[ ]*?\s*`` is quadratic).
_ASSIGN_TARGET = re.compile(r"[A-Za-z_][\w.\[\], ]*")

Action = Literal["skipped", "unwrapped", "shell_assign", "magic_assign", "cell_header"]


@dataclass(frozen=True)
class MagicLine:
    """One neutralised line of IPython syntax.

    Attributes
    ----------
    line
        1-based line number within the cell.
    text
        The original line, stripped of surrounding whitespace.
    action
        ``"skipped"`` (now ``pass``), ``"unwrapped"`` (``%time`` dropped, statement kept),
        ``"shell_assign"`` (``x = !cmd`` -> ``x = []``), ``"magic_assign"``
        (``x = %magic`` -> ``x = None``) or ``"cell_header"`` (``%%time``/``%%capture`` line).
    """

    line: int
    text: str
    action: Action


@dataclass(frozen=True)
class Neutralised:
    """Result of :func:`neutralise_magics` for one cell.

    Attributes
    ----------
    source
        The rewritten source, with exactly as many lines as the input.
    magic_lines
        The lines that were rewritten, in order.
    cell_magic
        Name of the cell magic (``"bash"``, ``"writefile"``, ...) that keeps the whole cell
        from running, or ``None``. When set, ``source`` is the unchanged input.
    has_code
        Whether anything other than blank lines, comments and neutralised lines remains.
    """

    source: str
    magic_lines: tuple[MagicLine, ...] = ()
    cell_magic: str | None = None
    has_code: bool = False


@dataclass
class _Scanner:
    """Just enough of Python's tokenizer to know where statements start.

    ``tokenize`` itself cannot be used: it stops at (or, since Python 3.12, rejects) the very
    ``!``/``?``/``%`` lines we are looking for, and its behaviour differs between versions.
    This tracks open strings (including triple-quoted ones), bracket depth and backslash
    continuations, which is all that decides whether a physical line starts a statement.
    """

    quote: str | None = None  # delimiter of the string still open at the end of the line
    depth: int = 0
    continued: bool = False

    @property
    def at_statement_start(self) -> bool:
        return self.quote is None and self.depth == 0 and not self.continued

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        escaped_eol = False
        self.continued = False
        while i < n:
            ch = line[i]
            if self.quote is not None:
                if ch == "\\":
                    # Even in raw strings a backslash keeps the next character from closing it.
                    escaped_eol = i == n - 1
                    i += 2
                elif line.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = None
                else:
                    i += 1
                continue
            if ch == "#":
                return  # the rest is a comment, and a comment cannot continue a line
            if ch in "'\"":
                triple = ch * 3
                self.quote = triple if line.startswith(triple, i) else ch
                i += len(self.quote)
                continue
            if ch in "([{":
                self.depth += 1
            elif ch in ")]}":
                self.depth = max(0, self.depth - 1)
            i += 1
        if self.quote in ("'", '"') and not escaped_eol:
            self.quote = None  # unterminated one-line string: the worker reports it; recover here
        elif self.quote is None:
            self.continued = line.endswith("\\")


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _timed_statement(magic: str) -> str | None:
    """``STMT`` if ``magic`` is ``%time STMT`` (the one magic whose statement we keep)."""
    m = _MAGIC_NAME.match(magic)
    if m is None or m["name"] != "time" or not m["rest"].strip() or m["rest"][0] in "%!?":
        return None
    return m["rest"]


def _rewrite(line: str) -> tuple[str, Action] | None:
    """Return the replacement of a statement-starting line of IPython syntax, or ``None``."""
    body = line.lstrip()
    if not body:
        return None
    indent = _indent(line)
    if body[0] in "%!?":
        statement = _timed_statement(body)
        if statement is not None:
            # `%time x = !ls` and the like: the timed statement may itself need rewriting.
            return _rewrite(indent + statement) or (indent + statement, "unwrapped")
        return indent + "pass", "skipped"
    if _HELP_SUFFIX.fullmatch(body.rstrip()):
        return indent + "pass", "skipped"
    assignment = _magic_assignment(body)
    if assignment is None:
        return None
    lhs, op, rest = assignment
    if op == "!":
        return f"{indent}{lhs} = []", "shell_assign"
    statement = _timed_statement("%" + rest)
    if statement is not None:
        return f"{indent}{lhs} = {statement}", "unwrapped"
    return f"{indent}{lhs} = None", "magic_assign"


def _magic_assignment(body: str) -> tuple[str, str, str] | None:
    """``(lhs, op, rest)`` when ``body`` is ``lhs = !rest`` or ``lhs = %rest``, else ``None``.

    Split at the first ``=`` (a target holds none), not by one regex: a lazy target that may
    end in spaces, followed by ``\\s*=``, backtracks quadratically on a long line of spaces.
    """
    target, equals, value = body.partition("=")
    value = value.lstrip()
    if not equals or not value or value[0] not in "!%":
        return None
    lhs = target.rstrip()
    if _ASSIGN_TARGET.fullmatch(lhs) is None:
        return None
    return lhs, value[0], value[1:]


def neutralise_magics(source: str) -> Neutralised:
    """Rewrite IPython magics, shell and help lines of one cell into plain Python.

    Parameters
    ----------
    source
        The cell's source with ``\\n`` line endings.

    Returns
    -------
    Neutralised
        The rewritten source (same number of lines), what was rewritten, and the name of a
        cell magic that keeps the whole cell from running, if any. The rules are in the
        module docstring.
    """
    original = source.split("\n")
    lines = list(original)
    found: list[MagicLine] = []
    start = 0
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        header = lines[first].strip()
        m = _CELL_MAGIC_NAME.match(header)
        name = m["name"] if m else ""
        if name not in BODY_RUNS:
            return Neutralised(source=source, cell_magic=name)
        lines[first] = _indent(lines[first]) + "pass"
        found.append(MagicLine(first + 1, header, "cell_header"))
        start = first + 1

    scanner = _Scanner()
    has_code = False
    i = start
    while i < len(lines):
        line = lines[i]
        rewritten = _rewrite(line) if scanner.at_statement_start else None
        if rewritten is None:
            scanner.feed(line)
            has_code = has_code or not (line.strip() == "" or line.lstrip().startswith("#"))
            i += 1
            continue
        new_line, action = rewritten
        found.append(MagicLine(i + 1, line.strip(), action))
        lines[i] = new_line
        if action == "unwrapped":
            # The kept statement is real Python: let it continue lines or open brackets.
            scanner.feed(new_line)
            has_code = True
            i += 1
            continue
        # IPython hands backslash-continued lines to the magic too; they go with it.
        while original[i].endswith("\\") and i + 1 < len(lines):
            i += 1
            lines[i] = ""
        i += 1
    return Neutralised(
        source="\n".join(lines), magic_lines=tuple(found), cell_magic=None, has_code=has_code
    )
