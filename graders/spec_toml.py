"""The shape of ``assignment.toml``, validated by msgspec: types, bounds and the known keys.

Every table is a :class:`msgspec.Struct` with ``forbid_unknown_fields``, so a misspelt key
(``rtoll``) is refused with its table and the closest known key instead of being silently
ignored. :func:`convert` turns msgspec's errors into messages that name the field by its dotted
path (``questions[2].checks[0].points``). What needs the file system or several fields at once
(the slug matches its folder, data files exist, ids are unique) is checked by ``graders.spec``.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec

from graders.errors import SpecError

__all__ = ["AssignmentToml", "CheckToml", "DataToml", "LimitsToml", "QuestionToml", "convert"]

Positive = Annotated[float, msgspec.Meta(gt=0)]


class CheckToml(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One entry of a question's ``checks``."""

    id: str
    points: Positive
    rtol: Annotated[float, msgspec.Meta(ge=0)] = 1e-6
    atol: Annotated[float, msgspec.Meta(ge=0)] = 1e-9
    max_examples: Annotated[int, msgspec.Meta(ge=1)] = 40
    # Examples of the hidden search (0: none); None: half of max_examples, rounded up.
    hidden_examples: Annotated[int, msgspec.Meta(ge=0)] | None = None
    # Who sees this check's feedback, with Gradescope's meanings (results.json's visibility).
    visibility: Literal["visible", "hidden", "after_due_date", "after_published"] = "visible"


class QuestionToml(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One ``[[questions]]`` table."""

    id: str
    title: str
    name: str
    checks: Annotated[list[CheckToml], msgspec.Meta(min_length=1)]
    kind: Literal["function", "value"] = "function"
    signature: str | None = None  # None: the name
    returns: str = ""
    optional: bool = False
    required_with: list[str] = []


class LimitsToml(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """``[limits]``: time budgets in seconds."""

    cell_timeout: Positive = 10.0
    call_timeout: Positive = 10.0
    submission_timeout: Positive = 60.0  # loading, cells, replays and calls together


#: A role's name: what checks and plots ask for (``train``, ``test``, ``public_lab``).
RoleName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]*$")]


class DataToml(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """``[data]``: files shipped with the assignment, and the public lab's optional ones.

    ``[data.roles]`` names, by role, the files that checks and plots read: each value is an
    entry of ``files`` or of ``optional`` (``graders.spec`` checks that), so code asks for
    ``"train"``, never for a file name. Roles are open-ended (an instructor's checks may read
    their own); a check says which it needs (``Check.data_roles``), and a missing one is refused
    when the spec's checks are resolved.
    """

    files: list[str] = []
    optional: list[str] = []
    roles: dict[RoleName, str] = {}


class AssignmentToml(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The whole ``assignment.toml``."""

    slug: str
    title: str
    questions: list[QuestionToml]
    limits: LimitsToml = LimitsToml()
    data: DataToml = DataToml()
    run_all_cells: bool = False  # no cell slicing: run every cell, as Jupyter's "run all"
    require_isolation: bool = False  # refuse to grade without bubblewrap's namespaces


_ERROR = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<key>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<key>[^`]*)`$")
_WORDS = {
    "`object`": "a table",
    "`array`": "a list",
    "`str`": "a string",
    "`bool`": "a boolean",
    "`float`": "a number",
    "`int`": "an integer",
}


def convert(raw: Mapping[str, Any]) -> AssignmentToml:
    """Validate the parsed TOML document ``raw``.

    Raises
    ------
    SpecError
        Naming the field's dotted path; for an unknown key also its table, the closest known
        key and all the known keys.
    """
    try:
        return msgspec.convert(raw, AssignmentToml)
    except msgspec.ValidationError as exc:
        raise SpecError(_explain(str(exc), raw)) from None


def _explain(error: str, raw: Mapping[str, Any]) -> str:
    match = _ERROR.match(error)
    what, path = (match["what"], match["path"] or "") if match else (error, "")
    path = path.lstrip(".")
    unknown = _UNKNOWN.match(what)
    if unknown:
        key = unknown["key"]
        known = _fields_at(path)
        table = f"[{path}]" if path else "the top level"
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key {key!r} in {table}{hint} (known keys: {', '.join(known)})"
    missing = _MISSING.match(what)
    if missing:
        return f"missing field {path + '.' if path else ''}{missing['key']}"
    for word, plain in _WORDS.items():
        what = what.replace(word, plain)
    what = what.replace("`", "")
    what = what[:1].lower() + what[1:]
    found, value = _value_at(raw, path)
    if found and f"value {value!r}" not in what:  # an enum error names it already
        what += f" ({value!r})" if ", got " in what else f", got {value!r}"
    return f"{path}: {what}" if path else what


def _value_at(raw: Any, path: str) -> tuple[bool, Any]:
    """(True, the value at ``path``) in the raw document, or (False, None)."""
    value = raw
    for name, index in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]", path):
        try:
            value = value[name] if name else value[int(index)]
        except (KeyError, IndexError, TypeError):
            return False, None
    return (True, value) if path else (False, None)


def _fields_at(path: str) -> tuple[str, ...]:
    """The keys the table at ``path`` (``questions[0].checks[1]``) may hold."""
    kind: Any = AssignmentToml
    for name in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", path):
        hints = typing.get_type_hints(kind, include_extras=True)
        kind = hints.get(name)
        while kind is not None and not (
            isinstance(kind, type) and issubclass(kind, msgspec.Struct)
        ):
            arguments = [a for a in typing.get_args(kind) if a is not type(None)]
            kind = arguments[0] if arguments else None
        if kind is None:
            return ()
    return tuple(kind.__struct_fields__)
