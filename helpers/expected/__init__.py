"""Stored inputs and expected values for the notebooks' visible tests.

A visible test must not compute its expected value with a reference
implementation written in the cell: that would hand the student the answer.
Instead it reads a *case*: the inputs it feeds the student's code and the
values a right answer returns on them (and, where the test names mistakes,
the values those mistakes return), stored as numbers in
``helpers/expected/<notebook folder>.json``.

The files are written by ``python -m tests.notebooks.expected_cases`` from the
reference solutions, and a test proves they still agree with them.

Examples
--------
>>> case = expected.case("03_vanilla_rnn", "test_rnn_step_backward_2")  # doctest: +SKIP
>>> grading.assert_close(db, case["db"], "db", mistakes=case.mistakes("db"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import numpy as np

__all__ = ["Case", "case", "encode", "decode", "path_of"]

FOLDER = Path(__file__).resolve().parent


def path_of(topic: str) -> Path:
    """Where the cases of notebook ``topic`` (its folder name) are stored."""
    return FOLDER / f"{topic}.json"


def encode(value):
    """A JSON-ready form of a value: arrays keep their dtype and shape."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"cannot store an array of dtype {value.dtype}")
        return {"dtype": str(value.dtype), "shape": list(value.shape),
                "data": value.ravel().tolist()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return {"list": [encode(v) for v in value]}
    raise TypeError(f"cannot store a {type(value).__name__}")


def decode(value):
    """The value :func:`encode` stored, as a fresh object (arrays are new copies)."""
    if isinstance(value, dict) and "dtype" in value:
        return np.array(value["data"], dtype=value["dtype"]).reshape(value["shape"])
    if isinstance(value, dict) and "list" in value:
        return [decode(v) for v in value["list"]]
    return value


@cache
def _text(topic: str) -> str:
    path = path_of(topic)
    if not path.is_file():
        raise FileNotFoundError(f"no stored test values for notebook {topic!r} ({path})")
    return path.read_text(encoding="utf-8")


def _load(topic: str) -> dict:
    # Parsed anew for every case: the cache holds only an immutable string, so
    # nothing a notebook does to one case's objects reaches another case.
    return json.loads(_text(topic))


class Case(Mapping):
    """The stored values of one test: ``case["x"]`` is a fresh copy every time.

    Fresh copies mean that a student's function which writes into its input
    cannot change what a later check compares against.
    """

    def __init__(self, topic: str, test: str, stored: Mapping):
        self.topic, self.test = topic, test
        self._values = stored.get("values", {})
        self._mistakes = stored.get("mistakes", {})

    def __getitem__(self, name: str):
        try:
            return decode(self._values[name])
        except KeyError:
            raise KeyError(f"{self.test} of {self.topic} stores no value {name!r}") from None

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def mistakes(self, name: str) -> dict:
        """Known mistake -> the value it gives for ``name`` (for ``grading.assert_close``)."""
        return {label: decode(value) for label, value in self._mistakes.get(name, {}).items()}

    def __repr__(self) -> str:
        return f"Case({self.topic!r}, {self.test!r}, values={list(self._values)})"


def case(topic: str, test: str) -> Case:
    """The stored inputs and expected values of test ``test`` in notebook ``topic``."""
    stored = _load(topic)
    if test not in stored:
        raise KeyError(f"no stored values for {test} of notebook {topic}")
    return Case(topic, test, stored[test])
