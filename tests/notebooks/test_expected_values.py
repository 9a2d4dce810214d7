"""The values the visible tests compare with (helpers/expected) agree with the reference solutions.

A stored value that a changed solution no longer returns would fail every
right answer; this test catches it, and ``python -m tests.notebooks.expected_cases``
rewrites the files.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers import expected

from . import cells, expected_cases

TOPICS = sorted(expected_cases.modules())


def _same(stored, built, where: str) -> None:
    stored, built = expected.decode(stored), expected.decode(built)
    if isinstance(built, np.ndarray):
        assert isinstance(stored, np.ndarray) and stored.dtype == built.dtype, where
        assert stored.shape == built.shape, where
        # rounding differs between BLAS kernels; a changed answer differs by far more
        np.testing.assert_allclose(stored, built, rtol=1e-9, atol=1e-12, err_msg=where)
    elif isinstance(built, list):
        assert isinstance(stored, list) and len(stored) == len(built), where
        for i, (s, b) in enumerate(zip(stored, built, strict=True)):
            _same(expected.encode(s), expected.encode(b), f"{where}[{i}]")
    elif isinstance(built, float):
        assert stored == pytest.approx(built, rel=1e-9, abs=1e-12), where
    else:
        assert stored == built, where


@pytest.mark.parametrize("topic", TOPICS)
def test_stored_values_agree_with_the_reference_solution(topic):
    stored = json.loads(expected.path_of(topic).read_text(encoding="utf-8"))
    built = expected_cases.build(topic)
    assert sorted(stored) == sorted(built), "run python -m tests.notebooks.expected_cases"
    for test, case in built.items():
        for part in ("values", "mistakes"):
            assert sorted(stored[test][part]) == sorted(case[part]), f"{test} {part}"
        for name, value in case["values"].items():
            _same(stored[test]["values"][name], value, f"{topic} {test} {name}")
        for name, wrong in case["mistakes"].items():
            assert sorted(stored[test]["mistakes"][name]) == sorted(wrong), f"{test} {name}"
            for label, value in wrong.items():
                _same(stored[test]["mistakes"][name][label], value, f"{test} {name} {label}")


@pytest.mark.parametrize("topic", TOPICS)
def test_every_stored_case_is_read_by_a_test_cell(topic):
    source = next((cells.SOLUTIONS / topic).glob("*.ipynb"))
    tests = cells.test_cells(cells.read(source))
    for test in json.loads(expected.path_of(topic).read_text(encoding="utf-8")):
        assert test in tests, f"{topic} stores values for {test}, which is not a test cell"
        assert f'"{test}"' in tests[test], f"{test} does not read its stored case"


@pytest.mark.parametrize("topic", TOPICS)
def test_stored_mistakes_differ_from_the_right_answer(topic):
    # A "mistake" equal to the right value would name a mistake on a right answer.
    for test, case in expected_cases.build(topic).items():
        for name, wrong in case["mistakes"].items():
            right = np.asarray(expected.decode(case["values"][name]), dtype=float)
            for label, value in wrong.items():
                value = np.asarray(expected.decode(value), dtype=float)
                same = value.shape == right.shape and np.allclose(value, right, rtol=1e-6)
                assert not same, f"{topic} {test}: the mistake {label!r} gives the right {name}"


def test_a_case_hands_out_fresh_copies(tmp_path, monkeypatch):
    monkeypatch.setattr(expected, "FOLDER", tmp_path)
    expected._text.cache_clear()
    try:
        data = {"test_x": {"values": {"x": expected.encode(np.arange(3.0)), "n": 3},
                           "mistakes": {"x": {"off by one": expected.encode(np.arange(1.0, 4))}}}}
        expected.path_of("99_demo").write_text(json.dumps(data))
        case = expected.case("99_demo", "test_x")
        first = case["x"]
        first[0] = 42.0
        assert case["x"][0] == 0.0 and case["n"] == 3
        assert case.mistakes("x")["off by one"].tolist() == [1.0, 2.0, 3.0]
        with pytest.raises(KeyError, match="stores no value 'y'"):
            case["y"]
        with pytest.raises(KeyError, match="no stored values for test_z"):
            expected.case("99_demo", "test_z")
    finally:
        expected._text.cache_clear()
