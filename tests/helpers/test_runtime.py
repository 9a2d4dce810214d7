"""helpers.runtime: the fast-mode switch and the unfinished-exercise guard."""

import pytest

from helpers.runtime import fast_mode, pick, requires


def test_fast_mode_follows_nbgrader_and_course_switches(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("COURSE_FAST", raising=False)
    assert not fast_mode() and pick(100, 5) == 100
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert fast_mode() and pick(100, 5) == 5
    monkeypatch.delenv("NBGRADER_EXECUTION")
    monkeypatch.setenv("COURSE_FAST", "1")
    assert fast_mode()
    monkeypatch.setenv("COURSE_FAST", "0")
    assert not fast_mode()


def test_requires_turns_an_unfinished_exercise_into_one_printed_line(capsys):
    with requires("conv2d_naive"):
        raise NotImplementedError()
    captured = capsys.readouterr()
    assert captured.out.strip() == "Finish conv2d_naive above to see this cell's result."
    assert captured.err == ""


def test_requires_lets_real_bugs_through():
    with pytest.raises(ZeroDivisionError):
        with requires("conv2d_naive"):
            1 / 0
