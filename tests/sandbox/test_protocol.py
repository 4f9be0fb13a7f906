"""The wire format: what round-trips exactly, and what is refused without being decoded."""

from __future__ import annotations

import collections
import io
import json
import math
import pickle
import struct
import warnings
from typing import Any

import hypothesis.extra.numpy as hnp
import hypothesis.extra.pandas as hpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from graders.sandbox.protocol import (
    DEFAULT_MAX_BYTES,
    FRAME_HEADER,
    UNCHANGED,
    Budgeted,
    FunctionSpec,
    Unencodable,
    Unsupported,
    WireError,
    decode,
    encode,
    read_message,
    snapshot,
)

SETTINGS = settings(derandomize=True, database=None, deadline=None, max_examples=60)

NUMERIC_DTYPES = st.one_of(
    hnp.boolean_dtypes(),
    hnp.integer_dtypes(endianness="="),
    hnp.unsigned_integer_dtypes(endianness="="),
    hnp.floating_dtypes(endianness="="),
    hnp.complex_number_dtypes(endianness="="),
)


def same(a: Any, b: Any) -> bool:
    """Exact structural equality: same types all the way down, NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return (
            a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    if isinstance(a, np.generic):
        return same(np.asarray(a), np.asarray(b))
    return bool(a == b)


# ------------------------------------------------------------------------------ round trips


ANY_ENDIAN_DTYPES = st.one_of(
    hnp.boolean_dtypes(),
    hnp.integer_dtypes(),
    hnp.unsigned_integer_dtypes(),
    hnp.floating_dtypes(),
    hnp.complex_number_dtypes(),
)
ARRAYS = hnp.arrays(
    ANY_ENDIAN_DTYPES, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)
)


def array_frames(data: bytes) -> list[bytes]:
    """The .npy frames of an encoded message."""
    frames = []
    position = 0
    while position < len(data):
        (length,) = FRAME_HEADER.unpack_from(data, position)
        frames.append(data[position + 8 : position + 8 + length])
        position += 8 + length
    return frames[1:]


@SETTINGS
@given(ARRAYS)
def test_arrays_travel_as_the_npy_files_numpy_writes(array: np.ndarray) -> None:
    # The protocol writes .npy headers itself (numpy parses them slowly); the bytes must stay
    # exactly those of numpy's own writer, so any .npy reader can read a captured message.
    (sent,) = array_frames(encode(array))
    assert sent == npy(array)


@SETTINGS
@given(ARRAYS, st.booleans())
def test_npy_files_from_numpy_decode_exactly(array: np.ndarray, fortran: bool) -> None:
    # Headers the fast reader does not produce (Fortran order here) go through numpy's reader.
    source = array.copy(order="F") if fortran else array
    back = decode(message({"t": "nd", "i": 0}, npy(source)))
    assert type(back) is np.ndarray
    assert same(array, back)
    assert back.flags.writeable


@pytest.mark.parametrize(
    ("descr", "error"),
    [("<m8", "forbidden dtype"), ("<M8", "forbidden dtype"), ("<f3", "dtype"), ("|V8", "dtype")],
)
def test_npy_header_with_a_forbidden_type_code_is_rejected(descr: str, error: str) -> None:
    tampered = npy(np.zeros(2)).replace(b"'<f8'", f"'{descr}'".encode())
    with pytest.raises(WireError, match=error):
        decode(message({"t": "nd", "i": 0}, tampered))


@SETTINGS
@given(hnp.arrays(NUMERIC_DTYPES, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)))
def test_numeric_arrays_round_trip_exactly(array: np.ndarray) -> None:
    back = decode(encode(array))
    assert type(back) is np.ndarray
    assert same(array, back)
    assert back.flags.writeable  # a student function may legitimately mutate its input


@SETTINGS
@given(hnp.arrays(np.float64, (3, 4)).map(lambda a: a.T))
def test_non_contiguous_arrays_round_trip(array: np.ndarray) -> None:
    assert same(array, decode(encode(array)))


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.complex_numbers(allow_nan=False),
)
labels = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
nested = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(labels, children, max_size=4),
        hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=3)),
    ),
    max_leaves=20,
)


@SETTINGS
@given(nested)
def test_nested_structures_round_trip_with_their_types(value: object) -> None:
    assert same(value, decode(encode(value)))


@SETTINGS
@given(nested, nested)
def test_equal_snapshots_mean_equal_messages(first: object, second: object) -> None:
    # The worker reports an argument ``Unchanged`` when its snapshots before and after the call
    # are equal: that must never hide a difference the wire would show.
    assert snapshot(first) is not None
    assert snapshot(first) == snapshot(decode(encode(first)))  # what the worker received
    if snapshot(first) == snapshot(second):
        assert encode(first) == encode(second)


_NAN = np.array([np.nan])
_OTHER_NAN = (_NAN.view(np.uint64) ^ 1).view(np.float64)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (0.0, -0.0),
        (1, True),
        (1, 1.0),
        ([1.0], (1.0,)),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        ({0.0: 1}, {-0.0: 1}),
        (_NAN, _OTHER_NAN),
        (np.float64(1.0), 1.0),
        (np.array([1.0]), np.array([1.0], dtype=np.float32)),
        (np.zeros((2, 1)), np.zeros((1, 2))),
        (pd.Series([1.0]), pd.Series([1.0])),
    ],
    ids=repr,
)
def test_values_that_look_equal_have_different_snapshots(first: object, second: object) -> None:
    # Either one is not what was sent: a worker comparing these must send the argument back.
    # Pandas objects are not snapshot at all (None): they always travel back in full.
    assert snapshot(first) != snapshot(second) or snapshot(first) is None


def test_unchanged_crosses_as_itself() -> None:
    assert decode(encode([UNCHANGED, 1.0])) == [UNCHANGED, 1.0]


@pytest.mark.parametrize(
    "value",
    [
        np.float64("nan"),
        np.float32(-0.0),
        np.int8(-3),
        np.uint64(2**64 - 1),
        np.bool_(True),
        np.complex128(1 - 2j),
        float("inf"),
        float("-inf"),
        -0.0,
        2**200,
    ],
    ids=repr,
)
def test_scalars_keep_their_exact_type(value: object) -> None:
    assert same(value, decode(encode(value)))


@settings(SETTINGS, max_examples=20)
@given(
    hpd.data_frames(
        columns=[
            hpd.column("x", dtype=float),
            hpd.column("n", dtype=int),
            hpd.column("ok", dtype=bool),
        ],
        index=st.one_of(hpd.range_indexes(max_size=6), hpd.indexes(dtype=int, max_size=6)),
    )
)
def test_dataframes_round_trip(frame: pd.DataFrame) -> None:
    back = decode(encode(frame))
    assert type(back) is pd.DataFrame
    pd.testing.assert_frame_equal(back, frame, check_index_type=True)
    column = frame["x"]
    pd.testing.assert_series_equal(decode(encode(column)), column)


def test_dataframe_and_series_round_trip() -> None:
    frame = pd.DataFrame(
        {"x": [1.0, np.nan, 3.0], "y": [1, 2, 3], "ok": [True, False, True]}, index=[10, 20, 30]
    )
    back = decode(encode(frame))
    assert type(back) is pd.DataFrame
    pd.testing.assert_frame_equal(back, frame)
    series = pd.Series([0.5, 1.5], index=["a", "b"], name="p")
    pd.testing.assert_series_equal(decode(encode(series)), series)
    ranged = pd.DataFrame(np.arange(6.0).reshape(3, 2), columns=["a", "a"])  # duplicate labels
    pd.testing.assert_frame_equal(decode(encode(ranged)), ranged)


def test_namedtuple_crosses_as_the_plain_tuple_of_its_items() -> None:
    Estimate = collections.namedtuple("Estimate", "mu sigma")

    class Lying(Estimate):  # an overridden __iter__ must not change what is sent
        def __iter__(self) -> Any:
            return iter((0.0, 0.0))

    for value in (Estimate(1.5, np.float64(0.25)), Lying(1.5, np.float64(0.25))):
        back = decode(encode(value))
        assert type(back) is tuple
        assert back == (1.5, 0.25)
        assert type(back[1]) is np.float64


def test_function_spec_and_unsupported_round_trip() -> None:
    value = (
        FunctionSpec("quadratic", {"a": 2.0, "c": np.array([1.0, 2.0])}),
        Unsupported("LyingArray", "an ndarray subclass"),
    )
    back = decode(encode(value))
    assert isinstance(back, tuple)
    assert back[1] == value[1]
    assert back[0].family == "quadratic"
    assert same(back[0].params, value[0].params)


# ------------------------------------------------------------------------------ what cannot be sent


# Defined as a student's notebook would define them (module "__main__").
class LyingArray(np.ndarray):
    __module__ = "__main__"

    def __eq__(self, other: object) -> bool:
        return True


class Thing:
    __module__ = "__main__"


with warnings.catch_warnings():
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    MATRIX = np.asmatrix(np.eye(2))


@pytest.mark.parametrize(
    ("value", "type_name", "fragment"),
    [
        (np.zeros(3).view(LyingArray), "LyingArray", "ndarray subclass"),
        (np.array([1, "a"], dtype=object), "numpy.ndarray", "dtype object"),
        (np.array(["a"]), "numpy.ndarray", "dtype <U1"),
        (MATRIX, "numpy.matrix", "ndarray subclass"),
        (Thing(), "Thing", "Thing"),
        ([1, 2, Thing()], "Thing", "at [2]"),
        ({"w": (x for x in [])}, "generator", "at ['w']"),
        (pd.DataFrame({"s": ["a", "b"]}), "pandas.Series", "column 's'"),
    ],
    ids=lambda v: type(v).__name__,
)
def test_non_data_becomes_unsupported(value: object, type_name: str, fragment: str) -> None:
    with pytest.raises(Unencodable):
        encode(value)
    result = decode(encode(Budgeted(value, DEFAULT_MAX_BYTES)))
    assert isinstance(result, Unsupported)
    assert result.type_name == type_name
    assert fragment in result.summary


def test_self_referencing_list_is_unsupported_not_a_crash() -> None:
    loop: list[object] = []
    loop.append(loop)
    assert isinstance(decode(encode(Budgeted(loop, DEFAULT_MAX_BYTES))), Unsupported)


def test_oversized_value_is_unsupported() -> None:
    result = decode(encode(Budgeted(np.zeros(1000), 1000)))
    assert isinstance(result, Unsupported)
    assert "too large" in result.summary


def test_a_refused_part_leaves_the_rest_of_the_message_intact() -> None:
    # The arrays the refused part had already queued are dropped, so the later ones keep
    # their places, and its bytes no longer count against the message.
    message = {
        "before": np.arange(2.0),
        "refused": Budgeted([np.ones(3), np.ones(4), Thing()], DEFAULT_MAX_BYTES),
        "too_big": Budgeted(np.zeros(1000), 1000),
        "kept": Budgeted((np.zeros(1), 2.5), 1000),
        "after": np.full(5, 7, dtype=np.int64),
    }
    decoded = decode(encode(message, max_bytes=1000 + 2 * 128 + 400))
    assert type(decoded) is dict
    assert_array_equal(decoded["before"], np.arange(2.0))
    refused = Unsupported("Thing", "an object of type Thing, not plain data at [2]")
    assert decoded["refused"] == refused
    assert isinstance(decoded["too_big"], Unsupported)
    assert "too large" in decoded["too_big"].summary
    kept = decoded["kept"]
    assert type(kept) is tuple and kept[1] == 2.5
    assert_array_equal(kept[0], np.zeros(1))
    assert_array_equal(decoded["after"], np.full(5, 7, dtype=np.int64))


# ------------------------------------------------------------------------------ hostile bytes


def frame(payload: bytes) -> bytes:
    return FRAME_HEADER.pack(len(payload)) + payload


def message(tree: object, *arrays: bytes) -> bytes:
    head = json.dumps({"n": len(arrays), "v": tree}).encode()
    return frame(head) + b"".join(frame(a) for a in arrays)


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


class Boom:
    def __reduce__(self) -> tuple[object, ...]:
        return (print, ("pwned",))


def test_pickle_payload_is_rejected() -> None:
    with pytest.raises(WireError, match="npy"):
        decode(message({"t": "nd", "i": 0}, pickle.dumps(Boom())))


def test_object_dtype_npy_is_rejected() -> None:
    with pytest.raises(WireError, match="forbidden dtype object"):
        decode(message({"t": "nd", "i": 0}, npy(np.array([Boom()], dtype=object))))


def test_npy_header_claiming_a_huge_shape_is_rejected_before_reading() -> None:
    header = npy(np.zeros(2)).replace(b"(2,)", b"(10000000000000,)")
    with pytest.raises(WireError, match="exceeds the cap"):
        decode(message({"t": "nd", "i": 0}, header))


def test_npy_data_shorter_than_its_header_says_is_rejected() -> None:
    with pytest.raises(WireError, match="expected 80"):
        decode(message({"t": "nd", "i": 0}, npy(np.zeros(10))[:-8]))


def test_a_header_read_before_is_still_checked_against_each_cap_and_length() -> None:
    # Headers are parsed once and remembered; what depends on the reader must not be.
    data = npy(np.arange(16.0))
    assert_array_equal(decode(message({"t": "nd", "i": 0}, data)), np.arange(16.0))
    with pytest.raises(WireError, match="exceeds the cap of 64 bytes"):
        decode(message({"t": "nd", "i": 0}, data), max_array_bytes=64, max_total_bytes=4096)
    with pytest.raises(WireError, match="expected 128"):
        decode(message({"t": "nd", "i": 0}, data[:-8]))
    forbidden = npy(np.zeros(16, dtype=object))
    for _ in range(2):  # refused headers are never remembered as good ones
        with pytest.raises(WireError, match="forbidden dtype object"):
            decode(message({"t": "nd", "i": 0}, forbidden))


def test_a_flood_of_distinct_headers_keeps_the_remembered_layouts_bounded() -> None:
    from graders.sandbox import wire_npy

    for length in range(3 * wire_npy._MAX_HEADERS):
        decode(message({"t": "nd", "i": 0}, npy(np.zeros(length % 4096 + length // 4096))))
    assert 0 < len(wire_npy._NPY_LAYOUTS) <= wire_npy._MAX_HEADERS
    for length in (3, 5000):  # and still reads what comes after it
        assert_array_equal(decode(encode(np.ones(length))), np.ones(length))


def test_frame_length_two_to_the_63_is_rejected_without_reading() -> None:
    reads: list[int] = []

    def read_exact(n: int) -> bytes:
        reads.append(n)
        return struct.pack(">Q", 2**63)

    with pytest.raises(WireError, match="exceeds the cap"):
        read_message(read_exact)
    assert reads == [8]  # only the length was read


def test_truncated_frames_are_rejected() -> None:
    data = encode({"x": np.arange(4.0)})
    for cut in (3, 8, 20, len(data) - 1):
        with pytest.raises(WireError, match="truncated"):
            decode(data[:cut])


def test_trailing_bytes_and_unknown_tags_are_rejected() -> None:
    with pytest.raises(WireError, match="unexpected bytes"):
        decode(encode(1) + b"x")
    with pytest.raises(WireError, match="unknown node tag"):
        decode(message({"t": "pickle", "v": "..."}))
    with pytest.raises(WireError, match="bad array reference"):
        decode(message({"t": "nd", "i": 5}))
    with pytest.raises(WireError, match="JSON frame is invalid"):
        decode(frame(("[" * 100_000 + "]" * 100_000).join(['{"n":0,"v":', "}"]).encode()))
    with pytest.raises(WireError, match="nested too deeply"):
        decode(message(json.loads("[" * 60 + "]" * 60)))


def test_many_frames_cannot_exceed_the_message_budget() -> None:
    arrays = [npy(np.zeros(1000)) for _ in range(10)]  # 8 kB each, 80 kB in all
    data = message([{"t": "nd", "i": i} for i in range(10)], *arrays)
    assert len(decode(data, max_array_bytes=10_000, max_total_bytes=100_000)) == 10
    with pytest.raises(WireError, match="exceeds the cap"):
        decode(data, max_array_bytes=10_000, max_total_bytes=50_000)
    with pytest.raises(WireError, match="exceeds the cap"):
        decode(data, max_array_bytes=10_000)  # default: twice the largest frame
