"""Fuzzing the grader's side of the wire: whatever the worker sends, decoding is total.

Every byte string, and every message with a valid frame layout but a hostile header or tree,
either decodes to plain data (numeric arrays, valid Unicode) or raises ``WireError``, the
"broke the connection" outcome. Then the parent's reply validation (``_checked_reply``) either
returns a reply whose fields have their exact types (a finite duration, a bounded message) or
raises ``WireError``. Nothing else may escape: an escape is exit 3 for the whole grader.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graders.sandbox import protocol
from graders.sandbox.protocol import FRAME_HEADER, WireError, decode, encode
from graders.sandbox.replies import MAX_MESSAGE_CHARS, _array_safe, _checked_reply

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=300)


def frame(payload: bytes) -> bytes:
    return FRAME_HEADER.pack(len(payload)) + payload


def message(tree: object, *npy: bytes) -> bytes:
    head = json.dumps({"n": len(npy), "v": tree}, allow_nan=True).encode()
    return frame(head) + b"".join(frame(part) for part in npy)


def npy(descr: str, shape: tuple[int, ...], data: bytes, *, fortran: bool = False) -> bytes:
    """An .npy 1.0 file with exactly this header (not necessarily one numpy would write)."""
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape!r}, }}"
    head = header.encode("latin-1")
    head += b" " * (-(10 + len(head) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head + data


def assert_plain(value: object) -> None:
    """What a decode may return: JSON scalars, containers of them, numeric arrays, valid text."""
    if isinstance(value, str):
        value.encode("utf-8")  # raises for a lone surrogate
    elif isinstance(value, (list, tuple)):
        for item in value:
            assert_plain(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            assert_plain(key)
            assert_plain(item)
    elif isinstance(value, np.ndarray):
        assert value.dtype.kind in "biufc" and value.dtype.names is None
    elif isinstance(value, (protocol.Unsupported, protocol.FunctionSpec)):
        assert_plain(list(vars(value).values()))


def decoded_or_refused(data: bytes) -> object:
    try:
        value = decode(data, max_array_bytes=1 << 16)
    except WireError:
        return None
    assert_plain(value)
    return value


# ------------------------------------------------------------------------ arbitrary bytes


@FUZZ
@given(st.binary(max_size=512))
def test_any_bytes_decode_or_are_refused(data: bytes) -> None:
    decoded_or_refused(data)


@FUZZ
@given(st.binary(max_size=256), st.binary(max_size=256))
def test_any_bytes_in_valid_frames_decode_or_are_refused(head: bytes, body: bytes) -> None:
    decoded_or_refused(frame(head))
    decoded_or_refused(frame(b'{"n": 1, "v": {"t": "nd", "i": 0}}') + frame(body))


# ------------------------------------------------------------------ valid, hostile headers

DESCRS = st.sampled_from(
    ["<f8", ">f8", "|b1", "<i8", "<u2", "<c16", "<f2", "<f3", "|V8", "|O", "<U3", "<M8", "|S0"]
)
DIMENSIONS = st.one_of(
    st.integers(0, 4),
    st.sampled_from([2**31, 2**32, 2**62, 2**63 - 1, 2**63, 2**64 - 1, 10**19 - 1]),
)


@FUZZ
@given(
    descr=DESCRS,
    shape=st.lists(DIMENSIONS, max_size=40).map(tuple),
    fortran=st.booleans(),
    data=st.binary(max_size=64),
)
def test_hostile_array_headers_decode_or_are_refused(
    descr: str, shape: tuple[int, ...], fortran: bool, data: bytes
) -> None:
    value = decoded_or_refused(
        message({"t": "nd", "i": 0}, npy(descr, shape, data, fortran=fortran))
    )
    if value is not None:
        assert isinstance(value, np.ndarray) and value.shape == shape


HOSTILE_NUMBERS = st.one_of(
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**400, -(10**400), 2**4000]),
    st.floats(allow_nan=True, allow_infinity=True),
)
LABELS = st.one_of(st.none(), st.booleans(), HOSTILE_NUMBERS, st.text(max_size=4))
SMALL = st.one_of(st.integers(-2, 3), HOSTILE_NUMBERS)


def node(tag: str, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"t": st.just(tag), **fields})


def indexes(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        node("range", start=SMALL, stop=SMALL, step=SMALL, name=LABELS),
        node("index", data=inner, name=LABELS),
        node("labels", v=st.lists(st.one_of(LABELS, inner), max_size=3), name=LABELS),
        inner,
    )


def trees() -> st.SearchStrategy[Any]:
    """Well-formed nodes of every tag, with hostile children: numbers past int64 and float,
    wrong kinds in every field, indexes that do not fit their data."""
    leaves = st.one_of(LABELS, node("nd", i=SMALL), node("scalar", i=SMALL))
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            node("tuple", v=st.one_of(st.lists(inner, max_size=3), inner)),
            node(
                "dict",
                k=st.lists(st.one_of(LABELS, inner), max_size=3),
                v=st.lists(inner, max_size=3),
            ),
            node("complex", re=st.one_of(SMALL, inner), im=SMALL),
            node("fn", family=st.one_of(st.text(max_size=3), inner), params=inner),
            node("unsupported", type=st.one_of(st.text(max_size=3), inner), summary=inner),
            node("series", data=inner, index=indexes(inner), name=LABELS),
            node(
                "df", data=st.lists(inner, max_size=3), columns=indexes(inner), index=indexes(inner)
            ),
        ),
        max_leaves=10,
    )


ARRAYS = [npy("<f8", (2,), bytes(16)), npy("<f8", (0,), b""), npy("|b1", (), b"\x01")]


@FUZZ
@given(tree=trees(), arrays=st.integers(0, 3))
def test_hostile_trees_decode_or_are_refused(tree: object, arrays: int) -> None:
    decoded_or_refused(message(tree, *ARRAYS[:arrays]))


# Hypothesis's text has no surrogates: they are mixed in on purpose.
TEXT = st.text(st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr)))


@FUZZ
@given(TEXT)
def test_every_decoded_string_is_valid_unicode(text: str) -> None:
    value = decode(encode({text: [text, (text,)], "s": text}))
    assert_plain(value)
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert value == {text: [text, (text,)], "s": text}


# ----------------------------------------------- the named failures of issue 13, as examples

RANGE = {"t": "range", "start": 0, "stop": 10**30, "step": 1, "name": None}


@pytest.mark.parametrize(
    "data",
    [
        # shapes beyond numpy's limits (no data needed: one dimension is 0)
        message({"t": "nd", "i": 0}, npy("<f8", (0, 2**63), b"")),
        message({"t": "nd", "i": 0}, npy("<f8", (2**40, 0, 2**40), b"")),
        # integers too large for C or for float
        message({"t": "complex", "re": 10**400, "im": 0}),
        message(
            {"t": "series", "data": {"t": "nd", "i": 0}, "index": RANGE, "name": None},
            npy("<f8", (0,), b""),
        ),
        message({"t": "df", "data": [], "columns": RANGE, "index": RANGE}),
        # a pandas index with an absurd step and labels that are not labels
        message(
            {
                "t": "series",
                "data": {"t": "nd", "i": 0},
                "index": {"t": "range", "start": 0, "stop": 2**70, "step": 2**69, "name": None},
                "name": None,
            },
            npy("<f8", (2,), bytes(16)),
        ),
        message(
            {
                "t": "df",
                "data": [{"t": "nd", "i": 0}],
                "columns": {"t": "labels", "v": [[1]], "name": None},
                "index": {"t": "labels", "v": [1, 2], "name": None},
            },
            npy("<f8", (2,), bytes(16)),
        ),
    ],
)
def test_exotic_frames_are_wire_errors(data: bytes) -> None:
    with pytest.raises(WireError):
        decode(data)


def test_a_lone_surrogate_decodes_as_a_replacement_character() -> None:
    assert decode(encode("cell 2: ValueError: \udc80")) == "cell 2: ValueError: \ufffd"
    assert decode(encode("\ud83d\ude00 ok")) == "\U0001f600 ok"  # a pair is one character


# ------------------------------------------------------- the parent's validation of replies

REPLY = {"id": 7, "status": "ok", "value": 0.5, "message": "", "args_after": None, "seconds": 0.1}
ODD_VALUES = st.one_of(
    LABELS,
    st.lists(LABELS, max_size=3),
    st.builds(lambda v: np.full(2, v), st.sampled_from([1.0, np.inf, np.nan])),
    st.just(np.array(7)),
    st.just(np.array(["ok"])[0:0]),
    st.just(("ok",)),
    st.dictionaries(st.text(max_size=2), LABELS, max_size=2),
)


@FUZZ
@given(st.dictionaries(st.sampled_from(sorted(REPLY)), ODD_VALUES, max_size=6))
def test_reply_validation_is_total(fields: dict[str, object]) -> None:
    reply = {**REPLY, **fields}
    try:
        checked = _checked_reply(reply, 7)
    except WireError:
        return
    assert type(checked["id"]) is int and checked["status"] in {
        "ok",
        "error",
        "timeout",
        "missing",
        "internal",
    }
    assert type(checked["message"]) is str and len(checked["message"]) <= MAX_MESSAGE_CHARS
    assert type(checked["seconds"]) is float and math.isfinite(checked["seconds"])


@pytest.mark.parametrize(
    "fields",
    [
        {"seconds": math.inf},
        {"seconds": math.nan},
        {"seconds": 1e300},
        {"id": np.array([7, 7])},  # != would be an array: "truth value is ambiguous"
        {"status": ["ok"]},  # unhashable: `in frozenset` would raise TypeError
        {"status": np.array(["ok"])},
    ],
)
def test_forged_reply_fields_are_wire_errors(fields: dict[str, object]) -> None:
    with pytest.raises(WireError):
        _checked_reply({**REPLY, **fields}, 7)


def test_a_huge_reply_message_is_clipped_with_a_marker() -> None:
    checked = _checked_reply({**REPLY, "message": "x" * 10**6}, 7)
    assert len(checked["message"]) <= MAX_MESSAGE_CHARS
    assert checked["message"].endswith("more characters]")


# ------------------------------------------- returned values the checks will read as arrays

NESTED = st.recursive(
    st.one_of(st.floats(allow_nan=False), st.integers(-5, 5), st.booleans()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner), st.tuples(inner, inner)),
    max_leaves=12,
)


def readable(value: object) -> bool:
    try:
        np.asarray(value)
    except ValueError:  # "inhomogeneous shape": a check reading it would have crashed
        return False
    return True


@FUZZ
@given(st.lists(NESTED, max_size=4))
def test_a_returned_list_is_kept_only_when_a_check_can_read_it(value: list[Any]) -> None:
    safe = _array_safe(value)
    if safe is value:  # an array as numpy reads it, or a record of such arrays, of mixed rank
        assert all(map(readable, value))
        assert readable(value) or len({np.ndim(item) for item in value}) > 1
    else:
        assert not readable(value)
        assert isinstance(safe, protocol.Unsupported) and "ragged list" in safe.summary


def test_a_tuple_may_mix_a_point_and_its_path_but_not_hold_a_ragged_path() -> None:
    point_and_path = (0.5, [1.0, 0.75, 0.5])
    assert _array_safe(point_and_path) is point_and_path
    weights_and_iterates = [np.zeros(2), [np.zeros(2), np.ones(2)]]  # an honest record
    assert _array_safe(weights_and_iterates) is weights_and_iterates
    assert isinstance(_array_safe([[1.0], [1.0, 2.0]]), protocol.Unsupported)
    ragged = _array_safe((0.5, [[1.0], [0.75, 0.75]]))
    assert isinstance(ragged, protocol.Unsupported)
    assert ragged.summary.startswith("a tuple holding a list whose items have different")
