"""What every field of a result must be, and how large a result may grow.

One reason to change: the limits and checks that a result's fields pass on construction (types,
finite points, text made writable and bounded, plain JSON-ready data, rounded scores). The
student controls most of a result's texts, so every record of :mod:`graders.results` goes through
these before it can be written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

#: Scores are rounded to this many decimals in the JSON (sums of thirds stay readable).
SCORE_DECIMALS = 4

#: Longest text a result keeps in one field (a message, a counterexample, a note, a cell's
#: report), in characters; longer text is cut and ends with a visible ``[truncated: ...]``.
MAX_TEXT_CHARS = 10_000
#: Most cell reports a result lists (problems first); a note says how many were left out.
MAX_CELL_REPORTS = 500
#: Most notes a result keeps.
MAX_NOTES = 100
#: Largest ``results.json`` (UTF-8 bytes): past it, every text is cut shorter until it fits.
MAX_RESULT_BYTES = 1_000_000
# The shorter limits tried, in order, when a result is still larger than MAX_RESULT_BYTES.
_FITTING_LIMITS = (2_000, 500, 120)


def _bad(name: str, value: object, wanted: str) -> str:
    return f"{name} must be {wanted}, got {value!r} of type {type(value).__name__}"


def _points(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(_bad(name, value, "a finite number >= 0"))
    result = float(value)
    if not math.isfinite(result) or result < 0:
        raise ValueError(_bad(name, value, "a finite number >= 0"))
    return result


def _text(name: str, value: object, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not isinstance(value, str):
        raise TypeError(_bad(name, value, "a str" + (" or None" if optional else "")))


def clip_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` made writable and bounded: lone surrogates become U+FFFD, and past ``limit``
    characters it is cut, ending with ``... [truncated: N more characters]``.

    The student controls most texts of a result (their exception messages, their function
    names, the lines of their notebook); a result is written as UTF-8 and must stay small.
    Idempotent: a clipped text is at most ``limit`` characters long.
    """
    if len(text) > limit:
        kept = max(limit - 48, 0)
        text = f"{text[:kept]}... [truncated: {len(text) - kept} more characters]"
    if _SURROGATE.search(text) is not None:
        text = _SURROGATE.sub("\ufffd", text)
    return text


# A surrogate code point: never valid on its own in a str, and no UTF-8 writer accepts it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _clipped_cell(cell: Mapping[str, Any], limit: int) -> dict[str, Any]:
    copy = dict(cell)
    for key, value in copy.items():
        if isinstance(value, str):
            copy[key] = clip_text(value, limit)
    return copy


def round_points(value: float) -> float:
    """A score or point value as results.json writes it (``SCORE_DECIMALS`` decimals, no -0)."""
    # + 0.0 turns -0.0 into 0.0, which would otherwise print as "-0.0".
    return round(value, SCORE_DECIMALS) + 0.0


def _plain(value: object, where: str) -> Any:
    """A JSON-ready copy of plain data: tuples become lists, floats are rounded."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None  # NaN and inf are not JSON; Gradescope rejects them
        return round_points(value)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(_bad(f"a key in {where}", key, "a str"))
            out[key] = _plain(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise TypeError(_bad(where, value, "plain data (str, number, bool, None, list, dict)"))


def _fewer_cells(cells: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """At most ``MAX_CELL_REPORTS`` cell reports, in order, the problems kept first; and how
    many were left out."""
    if len(cells) <= MAX_CELL_REPORTS:
        return cells, 0
    problems = [i for i, c in enumerate(cells) if c.get("status", "ok") != "ok"]
    chosen = set(problems[:MAX_CELL_REPORTS])
    for i in range(len(cells)):
        if len(chosen) >= MAX_CELL_REPORTS:
            break
        chosen.add(i)
    return [cells[i] for i in sorted(chosen)], len(cells) - len(chosen)


def _tuple(name: str, value: object) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise TypeError(_bad(name, value, "a tuple"))
    return tuple(value)
