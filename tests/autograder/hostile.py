"""A hostile class for the fixture course: honest, wrong, tampering, broken and abusive students.

Built on :mod:`tests.autograder.factories` (the ``01_toy`` assignment: ``add``
worth 1 point, ``scale`` worth 2). Each student is one :class:`Student`: an id,
the group it belongs to and a function that writes its submission folder.
:func:`write_class` writes a whole class; the expectations live in
``test_hostile.py``.

Most hostile students answer ``add`` right and ``scale`` wrong, like the plain
wrong student, so "never earns more than a plain wrong answer" has a baseline
of 1 point out of 3 that a working attack would raise to 3.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.cellmeta import grade_id, nbgrader_meta

from . import factories as F

__all__ = [
    "Context",
    "Student",
    "HONEST_IDS",
    "STUDENTS",
    "SMALL_CLASS",
    "student",
    "write_class",
    "write_notebook",
    "solution_path",
]

# Alternatives to F.RIGHT that the tests must accept as well.
RIGHT_LOOPS = {
    "add": "def add(a, b):\n    total = a\n    total += b\n    return total",
    "scale": ("def scale(x, k):\n    out = []\n    for value in x:\n"
              "        out.append(value * k)\n    return out"),
}
RIGHT_NUMPY = {
    "add": "import numpy as np\n\ndef add(a, b):\n    return int(np.add(a, b))",
    "scale": "import numpy as np\n\ndef scale(x, k):\n    return np.asarray(x, dtype=float) * k",
}
WRONG = F.WRONG_SCALE

_ALWAYS_YES = '''class AlwaysYes(float):
    """Says yes to every comparison, whatever it is compared with."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __bool__(self): return True
    def __lt__(self, other): return True
    __le__ = __gt__ = __ge__ = __lt__
    def __hash__(self): return 0
    def __len__(self): return 1
    def __iter__(self): return iter([self])
    def __array__(self, dtype=None, copy=None):
        raise TypeError("no array for you")
'''


@dataclass(frozen=True)
class Context:
    """What a hostile student may know: the course on disk and the grader's output folder."""

    released: Path
    course: Path
    out: Path


@dataclass(frozen=True)
class Student:
    """One student of the hostile class."""

    student_id: str
    group: str
    write: Callable[[Path, Context], None]


def solution_path(course: Path) -> Path:
    """The absolute path of the fixture course's source notebook (solutions and hidden tests)."""
    return (Path(course) / "solutions" / F.ASSIGNMENT / f"{F.NOTEBOOK}.ipynb").resolve()


def _folder(root: Path, student_id: str) -> Path:
    folder = Path(root) / student_id / F.ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_notebook(root: Path, student_id: str, nb) -> Path:
    """Write ``nb`` as ``root/<student_id>/01_toy/toy.ipynb``; return the path."""
    path = _folder(root, student_id) / f"{F.NOTEBOOK}.ipynb"
    nbformat.write(nb, str(path))
    return path


def _test_cells(nb):
    return [c for c in nb.cells if nbgrader_meta(c).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


# --- notebook factories -------------------------------------------------------------------

def answered(answers: dict[str, str], drop: tuple[str, ...] = ()) -> Callable:
    """A writer for the released notebook with ``answers`` (grade_id -> source)."""
    def write(root: Path, student_id: str, ctx: Context) -> None:
        write_notebook(root, student_id, F.student_notebook(ctx.released, answers, drop))
    return write


def wrong_with(code: Callable[[Context], str], *, answers: dict[str, str] = WRONG) -> Callable:
    """The plain wrong answer with ``code(ctx)`` run at the end of the ``scale`` cell."""
    def write(root: Path, student_id: str, ctx: Context) -> None:
        cells = dict(answers, scale=answers["scale"] + "\n\n" + code(ctx))
        write_notebook(root, student_id, F.student_notebook(ctx.released, cells))
    return write


def edited(change: Callable, answers: dict[str, str]) -> Callable:
    """A writer for the answered notebook after ``change(nb)`` edited it in place."""
    def write(root: Path, student_id: str, ctx: Context) -> None:
        nb = F.student_notebook(ctx.released, answers)
        change(nb)
        write_notebook(root, student_id, nb)
    return write


def raw_file(text: str, name: str = f"{F.NOTEBOOK}.ipynb") -> Callable:
    """A writer for a file holding ``text`` (a broken notebook or not a notebook at all)."""
    def write(root: Path, student_id: str, ctx: Context) -> None:
        (_folder(root, student_id) / name).write_text(text, encoding="utf-8")
    return write


def empty_folder(root: Path, student_id: str, ctx: Context) -> None:
    _folder(root, student_id)


def _strip_metadata(nb) -> None:
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
        cell.metadata.pop("deletable", None)
        cell.metadata.pop("editable", None)


def _duplicate_graded_cells(nb) -> None:
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if grade_id(cell):
            twin = copy.deepcopy(cell)
            twin["id"] = f"{cell['id']}-copy"  # Jupyter gives a pasted cell a new id
            cells.append(twin)
    nb.cells = cells


def _make_tests_pass(nb) -> None:
    for cell in _test_cells(nb):
        cell.source = "pass"


def _inflate_points(nb) -> None:
    for cell in _test_cells(nb):
        cell.metadata["nbgrader"]["points"] = 100


def _tag_tests(tag: str) -> Callable:
    def change(nb) -> None:
        for cell in _test_cells(nb):
            cell.metadata.setdefault("tags", []).append(tag)
    return change


# --- the code hostile students run ---------------------------------------------------------

def _always_yes(ctx: Context) -> str:
    return _ALWAYS_YES + "\n\ndef add(a, b):\n    return AlwaysYes(0)\n\n" \
        "def scale(x, k):\n    return AlwaysYes(0)"


def _patch_numpy(ctx: Context) -> str:
    return ("import numpy as np\nimport numpy.testing\n"
            "np.allclose = lambda *a, **k: True\n"
            "np.testing.assert_allclose = lambda *a, **k: None")


def _patch_helpers(ctx: Context) -> str:
    return ("import helpers.grading\n"
            "for _name in ('assert_close', 'assert_equal', 'assert_shape', 'to_float_array',\n"
            "              'to_int'):\n"
            "    setattr(helpers.grading, _name, lambda *a, **k: None)\n"
            "assert_close = helpers.grading.assert_close\n"
            "assert_equal = helpers.grading.assert_equal")


def _patch_builtins(ctx: Context) -> str:
    # A wrapper that still answers like the original keeps the kernel alive;
    # what matters is that the test cells no longer run on the real builtin.
    return ("import builtins\n"
            "_real_isinstance = builtins.isinstance\n"
            "def _isinstance(obj, kind):\n"
            "    return _real_isinstance(obj, kind)\n"
            "builtins.isinstance = _isinstance")


def _input_transformer(ctx: Context) -> str:
    return "get_ipython().input_transformers_cleanup.append(lambda lines: [])"


def _read_solutions(ctx: Context) -> str:
    return (f"import json\n"
            f"try:\n"
            f"    with open({str(solution_path(ctx.course))!r}, encoding='utf-8') as _f:\n"
            f"        _source = json.load(_f)\n"
            f"    for _cell in _source['cells']:\n"
            f"        if _cell.get('metadata', {{}}).get('nbgrader', {{}}).get('solution'):\n"
            f"            exec(''.join(_cell['source']))\n"
            f"except Exception:\n"
            f"    pass")


def _write_grader_files(ctx: Context) -> str:
    targets = [str((ctx.out / "gradebook.db").resolve()), str((ctx.out / "grades.csv").resolve()),
               "../../gradebook.db", "../../grades.csv", "../../../gradebook.db",
               "../../../grades.csv"]
    return (f"for _target in {targets!r}:\n"
            f"    try:\n"
            f"        with open(_target, 'w') as _f:\n"
            f"            _f.write('student_id,assignment,score\\n')\n"
            f"    except OSError:\n"
            f"        pass")


def _start_program(ctx: Context) -> str:
    return "import os\nos.system('cat /etc/hostname > /dev/null')"


def _answers_with(grade_id: str, code: str, answers: dict[str, str] = F.RIGHT) -> dict[str, str]:
    return dict(answers, **{grade_id: code})


INFINITE_LOOP = "def add(a, b):\n    while True:\n        pass"
IGNORES_SIGINT = ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                  "while True:\n    pass")
# Grows to 4 GiB in 64 MiB steps (bytearray zero-fills, so every page is touched);
# bounded so that a grader without a memory limit does not take the machine down.
MEMORY_BOMB = ("_hog = []\nfor _ in range(64):\n    _hog.append(bytearray(64 * 2**20))\n"
               + F.RIGHT["add"])
EXIT = "import os\nos._exit(1)"
SEGFAULT = "import faulthandler\nfaulthandler._sigsegv()"
WARNS = ("import warnings\n\ndef add(a, b):\n"
         "    warnings.warn('add is about to add', UserWarning)\n    return a + b")
STDERR = ("import sys\n\ndef scale(x, k):\n"
          "    print('scaling', len(x), 'values', file=sys.stderr)\n"
          "    return [v * k for v in x]")
PRINTS_50MB = F.RIGHT["scale"] + "\n\nfor _ in range(50):\n    print('x' * 2**20)"
SLEEPY = "import time\ntime.sleep(4)\n" + F.RIGHT["add"]


def student(student_id: str, group: str, write: Callable) -> Student:
    return Student(student_id, group, write)


HONEST_IDS = ("Zoë O'Brien", 'a "quoted" id', "李雷", "with space")

STUDENTS: tuple[Student, ...] = (
    # honest: right answers, written three ways
    student("Zoë O'Brien", "honest", answered(F.RIGHT)),
    student('a "quoted" id', "honest", answered(RIGHT_LOOPS)),
    student("李雷", "honest", answered(RIGHT_NUMPY)),
    student("with space", "honest", answered(F.RIGHT)),
    # the baseline
    student("wrong", "wrong", answered(WRONG)),
    # tampering
    student("tamper-always-yes", "tamper", wrong_with(_always_yes)),
    student("tamper-numpy", "tamper", wrong_with(_patch_numpy)),
    student("tamper-helpers", "tamper", wrong_with(_patch_helpers)),
    student("tamper-builtins", "tamper", wrong_with(_patch_builtins)),
    student("tamper-input-transformer", "tamper", wrong_with(_input_transformer)),
    student("tamper-reads-solutions", "tamper", wrong_with(_read_solutions)),
    student("tamper-writes-grader-files", "tamper", wrong_with(_write_grader_files)),
    student("tamper-starts-program", "tamper", wrong_with(_start_program)),
    # broken files and damaged notebooks
    student("broken-invalid-json", "broken", raw_file('{"cells": [')),
    student("broken-empty-file", "broken", raw_file("")),
    student("broken-not-a-notebook", "broken", raw_file("print('hello')\n", name="answer.py")),
    student("broken-empty-folder", "broken", empty_folder),
    student("damaged-stripped-metadata", "damaged", edited(_strip_metadata, F.RIGHT)),
    student("damaged-duplicated-cells", "damaged", edited(_duplicate_graded_cells, F.RIGHT)),
    student("damaged-deleted-tests", "damaged", answered(F.RIGHT, drop=("test_add", "test_scale"))),
    student("damaged-edited-tests", "damaged", edited(_make_tests_pass, WRONG)),
    student("damaged-changed-points", "damaged", edited(_inflate_points, F.RIGHT)),
    student("damaged-skip-execution", "damaged", edited(_tag_tests("skip-execution"), WRONG)),
    student("damaged-raises-exception", "damaged", edited(_tag_tests("raises-exception"), WRONG)),
    # resource abuse
    student("abuse-infinite-loop", "abuse", answered(_answers_with("add", INFINITE_LOOP))),
    student("abuse-ignores-sigint", "abuse", answered(_answers_with("add", IGNORES_SIGINT))),
    student("abuse-memory-bomb", "abuse", answered(_answers_with("add", MEMORY_BOMB))),
    student("abuse-os-exit", "abuse", answered(_answers_with("add", EXIT))),
    student("abuse-segfault", "abuse", answered(_answers_with("add", SEGFAULT))),
    # output noise around right answers
    student("noise-warning", "noise", answered(_answers_with("add", WARNS))),
    student("noise-stderr", "noise", answered(_answers_with("scale", STDERR))),
    student("noise-50mb", "noise", answered(_answers_with("scale", PRINTS_50MB))),
)

# A quick class for the tests that grade several times (zip, resume, changed submission):
# the honest ids, a baseline, one tamperer, broken files, and two slow honest students so
# that an interrupted run is caught with work left to do.
SMALL_CLASS: tuple[Student, ...] = tuple(
    s for s in STUDENTS if s.student_id in HONEST_IDS + (
        "wrong", "tamper-always-yes", "broken-invalid-json", "broken-empty-folder",
        "damaged-deleted-tests")
) + (
    student("sleepy-1", "honest", answered(_answers_with("add", SLEEPY))),
    student("sleepy-2", "honest", answered(_answers_with("add", SLEEPY))),
)


def write_class(root: Path, students: tuple[Student, ...], ctx: Context) -> Path:
    """Write every student's submission under ``root``; return ``root``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for s in students:
        s.write(root, s.student_id, ctx)
    return root

