"""autograder.wire: what crosses between a student's kernel and the judge is plain data only."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from autograder import wire


@pytest.mark.parametrize("value", [
    None, True, False, 0, -3, 2**70, 1.5, "text", [1, [2, 3]], (1, "a", None), {"k": [1.0]},
    complex(1, -2),
])
def test_plain_values_come_back_equal_and_of_the_same_type(value):
    back = wire.loads(wire.dumps(value))
    assert back == value and type(back) is type(value)


def test_nan_and_infinities_cross():
    back = wire.loads(wire.dumps([math.nan, math.inf, -math.inf]))
    assert math.isnan(back[0]) and back[1:] == [math.inf, -math.inf]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool", "complex128"])
def test_arrays_come_back_as_fresh_writable_arrays_of_their_dtype(dtype):
    array = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    back = wire.loads(wire.dumps(array[:, ::2]))       # a non-contiguous view
    assert back.dtype == array.dtype and back.shape == (3, 2)
    assert np.array_equal(back, array[:, ::2]) and back.flags.writeable
    assert type(back) is np.ndarray


@pytest.mark.parametrize("shape", [(), (0,), (1,), (2, 0, 3), (1, 1)])
def test_arrays_keep_their_shape_even_with_no_axis_or_no_element(shape):
    array = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    back = wire.loads(wire.dumps(array))
    assert back.shape == shape and np.array_equal(back, array)


def test_numpy_scalars_become_python_scalars():
    assert wire.loads(wire.dumps(np.float64(2.5))) == 2.5
    assert type(wire.loads(wire.dumps(np.int64(3)))) is int
    assert type(wire.loads(wire.dumps(np.bool_(True)))) is bool


def test_anything_else_needs_a_handle_and_comes_back_through_resolve():
    class Secret:
        def __eq__(self, other):
            return True

    with pytest.raises(wire.WireError, match="a Secret cannot cross"):
        wire.dumps(Secret())
    text = wire.dumps([1, Secret()], handle=lambda obj: {"id": 7, "type": type(obj).__name__})
    assert wire.loads(text, resolve=lambda h: ("proxy", h["id"])) == [1, ("proxy", 7)]
    with pytest.raises(wire.WireError, match="unknown form"):
        wire.loads(text)                                  # no resolver: handles refused


@pytest.mark.parametrize("data", [
    {"__pickle__": "gASVAAAAAAAAAAB9lC4="},
    {"__ndarray__": {"dtype": "object", "shape": [1], "data": ""}},
    {"__ndarray__": {"dtype": "float64", "shape": [2], "data": "AAAA"}},
    {"__ndarray__": {"dtype": "float64", "shape": [-1], "data": ""}},
    {"a": 1, "b": 2},
    {"__dict__": [[1, 2]]},
    {"__int__": "12a"},
])
def test_unknown_or_malformed_forms_are_refused(data):
    with pytest.raises(wire.WireError):
        wire.loads(json.dumps(data))


def test_sizes_and_depth_are_capped(monkeypatch):
    monkeypatch.setattr(wire, "MAX_BYTES", 1000)
    with pytest.raises(wire.WireError, match="MB of arrays"):
        wire.dumps(np.zeros(200))
    nested = []
    for _ in range(wire.MAX_DEPTH + 2):
        nested = [nested]
    with pytest.raises(wire.WireError, match="deeper"):
        wire.dumps(nested)
