"""Tests of autograder/cli.py: one-line errors, exit codes, no tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from autograder.cli import main

from .conftest import grade_cli, run_reaped


def run_cli(*args):
    return run_reaped(grade_cli(*args), timeout=120)


@pytest.mark.parametrize("args, words", [
    (("release", "99_nothing"), "unknown assignment '99_nothing'; known assignments: 01_toy"),
    (("grade", "{missing}"), "does not exist"),
    (("grade", "{empty}"), "holds no submissions"),
    (("check", "{missing}"), "there is no notebook file"),
])
def test_cli_errors_are_one_line_without_traceback(course, tmp_path, capsys, args, words):
    (tmp_path / "empty").mkdir()
    args = [a.format(missing=tmp_path / "missing", empty=tmp_path / "empty") for a in args]
    assert main([*args, "--course", str(course)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("autograder: ") and words in err


def test_cli_refuses_a_course_without_solutions(tmp_path, capsys):
    assert main(["release", "--course", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"autograder: the course folder {tmp_path} has no solutions/ folder\n")


def test_python_m_autograder_exits_non_zero_with_one_line(course):
    result = run_cli("release", "99_nothing", "--course", course)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "autograder: unknown assignment '99_nothing'; known assignments: 01_toy"]


def test_usage_errors_come_from_argparse(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["grade"])
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_the_command_line_starts_without_nbgrader():
    """`--help` and a mistyped option answer at once: nbgrader loads only for a command."""
    probe = ("import sys\nfrom autograder.cli import build_parser\nbuild_parser()\n"
             "print(sorted(m for m in ('nbgrader', 'nbclient', 'nbconvert') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


@pytest.mark.parametrize("option, words", [
    ("--workers", "expected a positive number of workers, got 0"),
    ("--timeout", "expected a positive number of seconds, got 0"),
    ("--memory-mb", "expected a positive number of MB, got 0"),
])
def test_a_zero_limit_is_named_by_its_unit(tmp_path, option, words):
    result = run_cli("grade", tmp_path, option, "0")
    assert result.returncode == 2 and words in result.stderr


@pytest.mark.slow
def test_grade_lists_the_notebooks_it_could_not_place_and_exits_non_zero(course, released,
                                                                         tmp_path):
    import nbformat

    from . import factories as F

    nb = F.student_notebook(released, F.RIGHT)
    for path in (f"erin/{F.ASSIGNMENT}/{F.NOTEBOOK}.ipynb", f"dave/{F.NOTEBOOK}.ipynb"):
        (tmp_path / "class" / path).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(tmp_path / "class" / path))
    result = run_cli("grade", tmp_path / "class", "--out", tmp_path / "out", "--course", course)
    assert result.returncode == 1
    assert f"  dave/{F.NOTEBOOK}.ipynb: a notebook in dave's folder but in no assignment " \
           f"folder (move it to dave/{F.ASSIGNMENT}/)" in result.stdout
    assert result.stderr.count("\n") == 1 and "1 files under" in result.stderr
    rows = (tmp_path / "out" / "grades.csv").read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith(f"erin,{F.ASSIGNMENT},3,")


@pytest.mark.slow
def test_a_zip_with_one_unsafe_entry_grades_the_rest_and_lists_it(course, released, tmp_path):
    import zipfile

    import nbformat

    from . import factories as F

    text = nbformat.writes(F.student_notebook(released, F.RIGHT))
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as zf:
        zf.writestr(f"erin/{F.ASSIGNMENT}/{F.NOTEBOOK}.ipynb", text)
        zf.writestr(f"dave\\{F.ASSIGNMENT}\\{F.NOTEBOOK}.ipynb", text)
    result = run_cli("grade", tmp_path / "class.zip", "--out", tmp_path / "out",
                     "--course", course)
    assert result.returncode == 1
    assert (f"  class.zip: dave\\{F.ASSIGNMENT}\\{F.NOTEBOOK}.ipynb: an entry of the zip that "
            "was left out: it contains a backslash") in result.stdout
    rows = (tmp_path / "out" / "grades.csv").read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith(f"erin,{F.ASSIGNMENT},3,")
