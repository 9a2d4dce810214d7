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
            _ = 1 / 0


def test_check_notebook_is_skipped_in_fast_mode(monkeypatch, capsys):
    from helpers.runtime import check_notebook

    monkeypatch.setenv("COURSE_FAST", "1")
    assert check_notebook("anything.ipynb") is True
    assert "skipped" in capsys.readouterr().out


def test_check_notebook_names_a_missing_file(monkeypatch, tmp_path, capsys):
    from helpers.runtime import check_notebook

    monkeypatch.delenv("COURSE_FAST", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.chdir(tmp_path)
    assert check_notebook("missing.ipynb") is False
    captured = capsys.readouterr()
    assert "There is no file missing.ipynb" in captured.out and captured.err == ""
