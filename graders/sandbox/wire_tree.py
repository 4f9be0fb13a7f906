"""A value as a JSON tree plus its arrays, and back: the structure of a message.

One reason to change: how each kind of value is spelled on the wire. ``_Encoder`` accepts
exact types only (never ``isinstance``: a subclass could run code or lie about itself) and
charges every node against the message's cap; ``_from_tree`` builds values only from JSON
scalars, lists and already validated arrays, checking every node's tag and fields. The tags of
the two must change together, so they live together.

Worker-side module: copied into the sandbox (``scratch.WORKER_FILES``); standard library and
numpy only (pandas lazily, when a pandas object is actually met), Python >= 3.9.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING or __package__:  # the grader's copy, graders.sandbox.* (and the type checker's)
    from graders.sandbox.wire_values import (
        _SCALAR_TYPES,
        MAX_ARRAYS,
        MAX_DEPTH,
        MAX_INT_BITS,
        MAX_NDIM,
        UNCHANGED,
        Budgeted,
        FunctionSpec,
        Unchanged,
        Unencodable,
        Unsupported,
        WireError,
        _is_label,
        type_name,
    )
else:  # the worker's: a sibling module in its private code directory
    from wire_values import (
        _SCALAR_TYPES,
        MAX_ARRAYS,
        MAX_DEPTH,
        MAX_INT_BITS,
        MAX_NDIM,
        UNCHANGED,
        Budgeted,
        FunctionSpec,
        Unchanged,
        Unencodable,
        Unsupported,
        WireError,
        _is_label,
        type_name,
    )

__all__: list[str] = []  # package-private: used by ``protocol`` (and ``snapshot`` by the worker)


class _Encoder:
    """Turns a value into a JSON tree plus a list of arrays, refusing anything that is not data.

    Only exact types are accepted (``type(v) is list``, never ``isinstance``): a subclass could
    override ``__iter__`` or ``__array__`` and run code, or lie about what it is.
    """

    def __init__(self, max_bytes: int) -> None:
        self.arrays: list[np.ndarray] = []
        self.max_bytes = max_bytes
        self.size = 0

    def _charge(self, nbytes: int) -> None:
        self.size += nbytes
        if self.size > self.max_bytes:
            raise self._too_large()

    def _too_large(self) -> Unencodable:
        return Unencodable("value", f"too large to send (more than {self.max_bytes} bytes)")

    def _array(self, array: np.ndarray) -> int:
        if len(self.arrays) >= MAX_ARRAYS:
            raise Unencodable("value", f"holds more than {MAX_ARRAYS} arrays")
        self._charge(array.nbytes + 128)
        self.arrays.append(array)
        return len(self.arrays) - 1

    def part(self, value: object, max_bytes: int) -> Any:
        """``value``'s tree if it is plain data within ``max_bytes`` more bytes, else the tree of
        the ``Unsupported`` saying why not."""
        arrays, size, cap = len(self.arrays), self.size, self.max_bytes
        self.max_bytes = min(cap, size + max_bytes)
        try:
            return self.tree(value)
        except Unencodable as exc:
            refused = Unsupported(exc.type_name, exc.summary)
        except RecursionError:
            refused = Unsupported(type_name(value), "nested too deeply to send")
        finally:
            self.max_bytes = cap
        del self.arrays[arrays:]  # what the refused value had queued
        self.size = size
        return self.tree(refused)

    def tree(self, value: Any, depth: int = 0) -> Any:
        # Charges bound the JSON text from above: a float needs at most 24 characters, an int
        # about bits/3.3, a string up to 6 per character when escaped (2 if printable ASCII).
        # The common kinds come first: this runs for every value of every call.
        kind = type(value)
        if kind is float:
            self.size += 26
            if self.size > self.max_bytes:
                raise self._too_large()
            return value
        if kind is str:
            self._charge(_str_charge(value))
            return value
        if value is None or kind is bool:
            self._charge(6)
            return value
        if kind is int:
            if value.bit_length() > MAX_INT_BITS:
                raise Unencodable("int", f"an integer with more than {MAX_INT_BITS} bits")
            self._charge(value.bit_length() // 3 + 3)
            return value
        self._charge(16)
        if depth >= MAX_DEPTH:
            raise Unencodable(kind.__name__, f"nested more than {MAX_DEPTH} levels deep")
        if kind is np.ndarray:
            return {"t": "nd", "i": self._array(self._checked_array(value))}
        if kind is dict:
            return self._dict(value, depth)
        if kind is list:
            return self._items(value, depth)
        if kind is tuple:
            return {"t": "tuple", "v": self._items(value, depth)}
        if kind is Budgeted:
            return self.part(value.value, value.max_bytes)
        if kind is complex:
            return {"t": "complex", "re": value.real, "im": value.imag}
        if isinstance(value, tuple) and isinstance(getattr(kind, "_fields", None), tuple):
            # A namedtuple, e.g. ``Estimate(mu, sigma)``: a correct way to return a pair. It
            # crosses as the plain tuple of its stored items (tuple.__iter__, so an overridden
            # __iter__ cannot change what is sent); the parent never sees the class.
            return {"t": "tuple", "v": self._items(tuple.__iter__(value), depth)}
        if kind in _SCALAR_TYPES:
            return {"t": "scalar", "i": self._array(np.asarray(value))}
        if kind is FunctionSpec:
            return {
                "t": "fn",
                "family": self.tree(value.family),
                "params": self.tree(value.params, depth + 1),
            }
        if kind is Unchanged:
            return {"t": "same"}
        if kind is Unsupported:
            return {
                "t": "unsupported",
                "type": self.tree(value.type_name),
                "summary": self.tree(value.summary),
            }
        pandas = sys.modules.get("pandas")  # only a value from pandas can be a pandas object
        if pandas is not None and kind in (pandas.DataFrame, pandas.Series):
            return self._pandas(value, pandas)
        raise Unencodable(type_name(value), _describe(value))

    def _items(self, values: Iterable[object], depth: int) -> list[Any]:
        items: list[Any] = []
        append, tree, inner = items.append, self.tree, depth + 1
        for item in values:
            try:
                append(tree(item, inner))
            except Unencodable as exc:
                raise _located(exc, f"[{len(items)}]") from None
        return items

    def _dict(self, value: dict[Any, Any], depth: int) -> dict[str, Any]:
        keys: list[Any] = []
        values: list[Any] = []
        inner = depth + 1
        for key, item in value.items():
            if type(key) is str:
                self._charge(_str_charge(key))
                keys.append(key)
            elif _is_label(key) or (type(key) is tuple and all(map(_is_label, key))):
                keys.append(self.tree(key, inner))
            else:
                raise Unencodable("dict", f"a dict with a key of type {type_name(key)}")
            try:
                values.append(self.tree(item, inner))
            except Unencodable as exc:
                raise _located(exc, f"[{key!r}]") from None
        return {"t": "dict", "k": keys, "v": values}

    @staticmethod
    def _checked_array(array: np.ndarray) -> np.ndarray:
        dtype = array.dtype
        if dtype.type not in _SCALAR_TYPES or dtype.names is not None:
            raise Unencodable("numpy.ndarray", f"a numpy array of dtype {dtype}")
        if array.ndim > MAX_NDIM:
            raise Unencodable("numpy.ndarray", f"a numpy array with {array.ndim} dimensions")
        return array

    def _column(self, series: Any, what: str) -> dict[str, Any]:
        dtype = series.dtype
        if not isinstance(dtype, np.dtype) or dtype.type not in _SCALAR_TYPES:
            raise Unencodable(type_name(series), f"{what} has dtype {dtype} (not numeric)")
        return {"t": "nd", "i": self._array(series.to_numpy())}

    def _pandas(self, value: Any, pandas: Any) -> dict[str, Any]:
        if type(value) is pandas.Series:
            return {
                "t": "series",
                "data": self._column(value, "the Series"),
                "index": self._index(value.index, pandas),
                "name": self._label(value.name),
            }
        columns = [
            self._column(value.iloc[:, j], f"column {value.columns[j]!r}")
            for j in range(value.shape[1])
        ]
        return {
            "t": "df",
            "data": columns,
            "columns": self._index(value.columns, pandas),
            "index": self._index(value.index, pandas),
        }

    def _index(self, index: Any, pandas: Any) -> dict[str, Any]:
        name = self._label(index.name)
        kind = type(index)
        if kind is pandas.RangeIndex:
            return {
                "t": "range",
                "start": int(index.start),
                "stop": int(index.stop),
                "step": int(index.step),
                "name": name,
            }
        if kind is pandas.Index:
            dtype = index.dtype
            if isinstance(dtype, np.dtype) and dtype.type in _SCALAR_TYPES:
                return {
                    "t": "index",
                    "data": {"t": "nd", "i": self._array(index.to_numpy())},
                    "name": name,
                }
            labels = index.tolist()
            if all(_is_label(label) for label in labels):
                self._charge(sum(len(label) for label in labels if type(label) is str))
                return {"t": "labels", "v": labels, "name": name}
        raise Unencodable(type_name(index), f"a pandas index of type {type_name(index)}")

    @staticmethod
    def _label(label: object) -> object:
        if not _is_label(label):
            raise Unencodable(type_name(label), f"a pandas label of type {type_name(label)}")
        return label


class _Inexact(Exception):
    """A value ``_exact`` has no key for: a pandas object, anything but plain data, or a
    container nested deeper than the wire allows (a list may hold itself)."""


def _exact(value: object, depth: int = 0) -> Hashable:
    """``value``'s identity as the wire carries it, as a hashable of builtins: kinds, dtypes,
    shapes and bytes, a zero's sign, NaN payloads where the wire keeps them (arrays, numpy
    scalars; a JSON float's NaN is just NaN). Equal keys, equal messages.

    The grader's keys of calls and the worker's snapshots of arguments are these. Every item is
    keyed by value, never by identity: a list's item may be replaced by another object. Raises
    ``_Inexact`` for what it does not cover. The common kinds come first: this runs for every
    argument of every call, on both sides.
    """
    kind = type(value)
    if kind is np.ndarray:
        array: np.ndarray = value  # type: ignore[assignment]
        return ("nd", array.dtype.str, array.shape, array.tobytes())
    if kind is float:
        return ("f", value.hex())  # type: ignore[attr-defined]
    if kind is tuple or kind is list:
        if depth >= MAX_DEPTH:
            raise _Inexact
        inner = depth + 1
        return (kind.__name__, tuple([_exact(item, inner) for item in value]))  # type: ignore[attr-defined]
    if value is None or kind is bool or kind is int or kind is str:
        return (kind.__name__, value)
    if kind is dict:
        if depth >= MAX_DEPTH:
            raise _Inexact
        inner = depth + 1
        pairs: dict[Any, Any] = value  # type: ignore[assignment]
        return ("d", tuple([(_exact(k, inner), _exact(v, inner)) for k, v in pairs.items()]))
    if kind in _SCALAR_TYPES:  # numpy scalars are immutable, their bytes say it all
        return ("s", kind.__name__, value.tobytes())  # type: ignore[attr-defined]
    if kind is complex:
        return ("c", value.real.hex(), value.imag.hex())  # type: ignore[attr-defined]
    raise _Inexact


def _snapshot(value: object) -> Hashable | None:
    """``_exact(value)``, or None where it has no key (the argument is then sent back whole).

    The worker takes one of each argument before a call and one after: equal, the call left
    the argument as it was sent (``Unchanged``).
    """
    try:
        return _exact(value)
    except _Inexact:
        return None


def _str_charge(text: str) -> int:
    return (2 if text.isascii() and text.isprintable() else 6) * len(text) + 3


def _located(exc: Unencodable, where: str) -> Unencodable:
    """``exc`` with the position of the refused item appended (a size limit is said once)."""
    if exc.type_name == "value":
        return exc
    return Unencodable(exc.type_name, f"{exc.summary} at {where}")


def _describe(value: object) -> str:
    """Describe an object that is not plain data, for the student-facing message."""
    if isinstance(value, np.ndarray):
        return f"an ndarray subclass ({type_name(value)}), not a plain numpy array"
    if callable(value):
        return f"a callable ({type_name(value)}), not data"
    return f"an object of type {type_name(value)}, not plain data"


# --------------------------------------------------------------------------------------------
# Decoding


def _fields(node: dict[str, Any], *names: str) -> None:
    expected = _FIELD_SETS.get(names)
    if expected is None:  # names are literals of this module: a handful of sets in all
        expected = _FIELD_SETS[names] = frozenset({"t", *names})
    if node.keys() != expected:
        raise WireError(f"node {node.get('t')!r} has fields {sorted(node)}, expected {names}")


_FIELD_SETS: dict[tuple[str, ...], frozenset[str]] = {}
_JSON_LEAVES = frozenset({type(None), bool, int, float, str})


def _from_tree(node: Any, arrays: list[np.ndarray], depth: int) -> object:
    if depth > MAX_DEPTH + 4:  # pandas nodes add a few levels of their own
        raise WireError("the message is nested too deeply")
    kind = type(node)
    if kind in _JSON_LEAVES:
        return node
    if kind is list:
        return _items_from(node, arrays, depth)
    if kind is not dict:
        raise WireError(f"unexpected JSON value of type {kind.__name__}")
    tree: dict[str, Any] = node
    tag = tree.get("t")
    if tag == "nd":
        _fields(tree, "i")
        return _array_at(tree["i"], arrays)
    if tag == "tuple":
        _fields(tree, "v")
        return tuple(_items_from(_list(tree["v"]), arrays, depth))
    if tag == "dict":
        _fields(tree, "k", "v")
        keys = _items_from(_list(tree["k"]), arrays, depth)
        values = _items_from(_list(tree["v"]), arrays, depth)
        if len(keys) != len(values):
            raise WireError("dict keys and values differ in length")
        for key in keys:
            if type(key) is not str and not _is_label(key):
                if not (type(key) is tuple and all(map(_is_label, key))):
                    raise WireError(f"bad dict key of type {type(key).__name__}")
        return dict(zip(keys, values))  # noqa: B905 -- lengths checked above; 3.9 has no strict
    if tag == "complex":
        _fields(tree, "re", "im")
        return complex(_number(tree["re"]), _number(tree["im"]))
    if tag == "scalar":
        _fields(tree, "i")
        array = _array_at(tree["i"], arrays)
        if array.ndim != 0:
            raise WireError("a numpy scalar must be a 0-d array")
        return array[()]
    if tag == "fn":
        _fields(tree, "family", "params")
        params = _from_tree(tree["params"], arrays, depth + 1)
        if type(tree["family"]) is not str or type(params) is not dict:
            raise WireError("bad FunctionSpec")
        return FunctionSpec(tree["family"], params)
    if tag == "same":
        _fields(tree)
        return UNCHANGED
    if tag == "unsupported":
        _fields(tree, "type", "summary")
        if type(tree["type"]) is not str or type(tree["summary"]) is not str:
            raise WireError("bad Unsupported")
        return Unsupported(tree["type"], tree["summary"])
    if tag in ("series", "df"):
        return _pandas_from_tree(tree, arrays, depth)
    raise WireError(f"unknown node tag {tag!r}")


def _items_from(nodes: list[Any], arrays: list[np.ndarray], depth: int) -> list[Any]:
    """Decode a JSON list's items; plain JSON scalars (most of them) are taken as they are."""
    leaves, inner = _JSON_LEAVES, depth + 1
    return [item if type(item) in leaves else _from_tree(item, arrays, inner) for item in nodes]


def _list(value: object) -> list[Any]:
    if type(value) is not list:
        raise WireError("expected a JSON list")
    return value


def _number(value: Any) -> float:
    if type(value) not in (int, float):
        raise WireError("expected a JSON number")
    return float(value)


def _array_at(index: object, arrays: list[np.ndarray]) -> np.ndarray:
    if type(index) is not int or not 0 <= index < len(arrays):
        raise WireError(f"bad array reference {index!r}")
    return arrays[index]


def _pandas_from_tree(tree: dict[str, Any], arrays: list[np.ndarray], depth: int) -> object:
    try:
        import pandas
    except ImportError:
        raise WireError("a pandas object arrived but pandas is not installed") from None
    if tree["t"] == "series":
        _fields(tree, "data", "index", "name")
        data = _from_tree(tree["data"], arrays, depth + 1)
        index = _index_from_tree(tree["index"], arrays, pandas)
        if type(data) is not np.ndarray or data.ndim != 1 or len(index) != len(data):
            raise WireError("bad Series")
        return pandas.Series(data, index=index, name=_label_from(tree["name"]), copy=False)
    _fields(tree, "data", "columns", "index")
    columns = _index_from_tree(tree["columns"], arrays, pandas)
    index = _index_from_tree(tree["index"], arrays, pandas)
    data = [_from_tree(column, arrays, depth + 1) for column in _list(tree["data"])]
    if len(data) != len(columns) or any(
        type(column) is not np.ndarray or column.shape != (len(index),) for column in data
    ):
        raise WireError("bad DataFrame")
    frame = pandas.DataFrame(dict(enumerate(data)), index=index)
    frame.columns = columns
    return frame


def _label_from(value: object) -> object:
    if not _is_label(value):
        raise WireError("bad pandas label")
    return value


def _index_from_tree(node: object, arrays: list[np.ndarray], pandas: Any) -> Any:
    if type(node) is not dict:
        raise WireError("bad pandas index")
    tag = node.get("t")
    name = _label_from(node.get("name"))
    if tag == "range":
        _fields(node, "start", "stop", "step", "name")
        bounds = (node["start"], node["stop"], node["step"])
        if not all(type(b) is int and -(2**63) <= b < 2**63 for b in bounds) or bounds[2] == 0:
            raise WireError("bad RangeIndex")  # an int64 range, as pandas sends one
        if len(range(*bounds)) > 2**31:
            raise WireError("RangeIndex too long")
        return pandas.RangeIndex(*bounds, name=name)
    if tag == "index":
        _fields(node, "data", "name")
        data = _from_tree(node["data"], arrays, 0)
        if type(data) is not np.ndarray or data.ndim != 1:
            raise WireError("bad Index")
        return pandas.Index(data, name=name, copy=False)
    if tag == "labels":
        _fields(node, "v", "name")
        labels = _list(node["v"])
        if not all(_is_label(label) for label in labels):
            raise WireError("bad index labels")
        return pandas.Index(labels, name=name)
    raise WireError(f"unknown index tag {tag!r}")
