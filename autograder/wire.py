"""Plain data across the trust boundary between a student's kernel and the judge.

What crosses is JSON text, never a pickle (unpickling untrusted bytes runs
code). :func:`encode` turns a value into JSON-ready data and :func:`decode`
rebuilds it, making only these: ``None``, ``bool``, ``int``, ``float``,
``complex``, ``str``, lists, tuples, dicts with string keys, numpy arrays of
numeric or boolean dtypes (rebuilt from their raw bytes), and *handles*:
references to objects that stay on the side where they live (a student's
class instance, a function), for the other side to call or read through.

Sizes are capped: a message may not hold more than :data:`MAX_BYTES` of array
data, nest deeper than :data:`MAX_DEPTH` or hold more than :data:`MAX_ITEMS`
values.

This module imports only the standard library and numpy: the kernel loads it
by path, without the ``autograder`` package.
"""

from __future__ import annotations

import base64
import json

import numpy as np

__all__ = ["WireError", "encode", "decode", "dumps", "loads", "arrays_in", "MAX_BYTES",
           "MAX_DEPTH", "MAX_ITEMS", "DTYPES"]

MAX_BYTES = 64 * 2**20
MAX_DEPTH = 32
MAX_ITEMS = 100_000
DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                    "uint64", "float16", "float32", "float64", "complex64", "complex128"})


class WireError(ValueError):
    """A value that cannot cross: too big, too deep, or of a kind the wire refuses."""


class _Budget:
    def __init__(self):
        self.bytes = 0
        self.items = 0

    def spend(self, items: int = 1, size: int = 0) -> None:
        self.items += items
        self.bytes += size
        if self.items > MAX_ITEMS:
            raise WireError(f"more than {MAX_ITEMS:,} values in one message")
        if self.bytes > MAX_BYTES:
            raise WireError(f"more than {MAX_BYTES // 2**20} MB of arrays in one message")


def encode(value, handle=None):
    """JSON-ready data for ``value``.

    ``handle(obj) -> dict`` is called for anything that is not plain data and
    returns the handle to send instead; without it such a value raises
    :class:`WireError`.
    """
    return _encode(value, handle, _Budget(), 0)


def _encode(value, handle, budget, depth):
    if depth > MAX_DEPTH:
        raise WireError(f"values nested deeper than {MAX_DEPTH} levels")
    budget.spend()
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return value if abs(value) < 2**63 else {"__int__": str(value)}
    if kind is float:
        finite = value == value and abs(value) != float("inf")
        return value if finite else {"__float__": repr(value)}
    if kind is complex:
        return {"__complex__": [_encode(value.real, None, budget, depth + 1),
                                _encode(value.imag, None, budget, depth + 1)]}
    if isinstance(value, np.generic) and value.dtype.name in DTYPES:
        return _encode(value.item(), handle, budget, depth)
    if kind is np.ndarray and value.dtype.name in DTYPES:
        # (not np.ascontiguousarray: it turns a 0-d array into shape (1,))
        data = value if value.flags.c_contiguous else value.copy(order="C")
        budget.spend(size=data.nbytes)
        return {"__ndarray__": {"dtype": data.dtype.name, "shape": list(data.shape),
                                "data": base64.b64encode(data.tobytes()).decode("ascii")}}
    if kind is list:
        return [_encode(v, handle, budget, depth + 1) for v in value]
    if kind is tuple:
        return {"__tuple__": [_encode(v, handle, budget, depth + 1) for v in value]}
    if kind is dict and all(type(k) is str for k in value):
        return {"__dict__": [[k, _encode(v, handle, budget, depth + 1)] for k, v in value.items()]}
    if handle is None:
        raise WireError(f"a {kind.__name__} cannot cross as plain data")
    return {"__handle__": handle(value)}


def decode(data, resolve=None):
    """The value :func:`encode` made ``data`` from; ``resolve(handle)`` turns handles into objects.

    Arrays are new, writable and of the dtype sent; anything that is not one
    of the documented forms raises :class:`WireError`.
    """
    return _decode(data, resolve, _Budget(), 0)


def _decode(data, resolve, budget, depth):
    if depth > MAX_DEPTH:
        raise WireError(f"values nested deeper than {MAX_DEPTH} levels")
    budget.spend()
    kind = type(data)
    if data is None or kind in (bool, int, float, str):
        return data
    if kind is list:
        return [_decode(v, resolve, budget, depth + 1) for v in data]
    if kind is not dict or len(data) != 1:
        raise WireError("a message holds a value of an unknown form")
    (tag, body), = data.items()
    if tag == "__tuple__" and type(body) is list:
        return tuple(_decode(v, resolve, budget, depth + 1) for v in body)
    if tag == "__dict__" and type(body) is list:
        result = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise WireError("a dict entry of an unknown form")
            result[pair[0]] = _decode(pair[1], resolve, budget, depth + 1)
        return result
    if tag == "__ndarray__" and type(body) is dict:
        return _array(body, budget)
    if tag == "__float__" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag == "__int__" and type(body) is str and body.lstrip("-").isdigit():
        return int(body)
    if tag == "__complex__" and type(body) is list and len(body) == 2:
        real, imag = (_decode(v, None, budget, depth + 1) for v in body)
        if type(real) is float and type(imag) is float:
            return complex(real, imag)
    if tag == "__handle__" and type(body) is dict and resolve is not None:
        return resolve(body)
    raise WireError(f"a message holds a value of an unknown form ({tag})")


def _array(body: dict, budget: _Budget) -> np.ndarray:
    dtype, shape, raw = body.get("dtype"), body.get("shape"), body.get("data")
    if dtype not in DTYPES or type(shape) is not list or type(raw) is not str:
        raise WireError(f"an array of a dtype or form the wire refuses ({dtype!r})")
    if any(type(n) is not int or n < 0 for n in shape) or len(shape) > 32:
        raise WireError("an array with an invalid shape")
    size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    budget.spend(size=size)
    buffer = base64.b64decode(raw.encode("ascii"), validate=True)
    if len(buffer) != size:
        raise WireError("an array whose data does not fit its shape")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape).copy()


def dumps(value, handle=None) -> str:
    """:func:`encode` to JSON text."""
    return json.dumps(encode(value, handle), separators=(",", ":"))


def loads(text: str, resolve=None):
    """:func:`decode` from JSON text; malformed text raises :class:`WireError`."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise WireError(f"a message that is not valid JSON ({error})") from None
    return decode(data, resolve)


def arrays_in(args, kwargs) -> list:
    """The numpy arrays among a call's arguments, in one fixed order.

    Positional arguments first, then keyword arguments, each searched inside
    lists, tuples and dicts up to four levels down. Both sides of the channel
    number the arrays a call wrote into by this order, so it is written once.
    """
    found = []

    def visit(value, depth=0):
        if isinstance(value, np.ndarray):
            found.append(value)
        elif isinstance(value, (list, tuple)) and depth < 4:
            for item in value:
                visit(item, depth + 1)
        elif isinstance(value, dict) and depth < 4:
            for item in value.values():
                visit(item, depth + 1)

    visit(list(args))
    visit(dict(kwargs))
    return found
