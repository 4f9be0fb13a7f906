"""Making text from the worker safe to keep: valid Unicode, and a bounded length.

One reason to change: what the grader does to the free text a worker sends (messages, keys,
exception texts) before anything stores or prints it.

Worker-side module: copied into the sandbox (``scratch.WORKER_FILES``); standard library only,
Python >= 3.9.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["clip", "valid_text"]


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _valid_strings(node: Any) -> Any:
    """``node`` (parsed JSON) with every string, keys included, passed through ``valid_text``."""
    kind = type(node)
    if kind is str:
        return valid_text(node)
    if kind is list:
        return [_valid_strings(item) for item in node]
    if kind is dict:
        return {valid_text(key): _valid_strings(item) for key, item in node.items()}
    return node


def valid_text(text: str) -> str:
    """``text`` with each surrogate code point replaced by U+FFFD, so that it encodes as UTF-8.

    ``json`` joins an escaped surrogate pair into the character it stands for: what is left
    is lone, and no UTF-8 writer accepts it.
    """
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def clip(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, with a visible marker saying how much went."""
    if len(text) <= limit:
        return text
    kept = max(limit - 48, 0)
    return f"{text[:kept]}... [truncated: {len(text) - kept} more characters]"


def _clipped_error(exc: Exception) -> str:
    try:
        text = f"{type(exc).__name__}: {exc}"
    except Exception:  # noqa: BLE001 -- a library's __str__ on hostile data
        text = type(exc).__name__
    return clip(valid_text(text), 200)
