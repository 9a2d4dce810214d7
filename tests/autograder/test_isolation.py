"""Isolation a student cannot switch off (issue 9), proven on a class graded with ``--workers 2``.

One submission per attack the issue names, built by this module on the fixture
course (``add`` worth 1 point, ``scale`` worth 2; the plain wrong answer earns
``W`` = 1 of 3), and the honest students the defences must not hurt. One grade
run, read by every test: what each student earns, that nothing reached a
classmate, the course, the grader's environment or the machine, and that the
run ends with one row per student.
"""

from __future__ import annotations

import csv
import json
import os
import site
from pathlib import Path

import nbformat
import pytest

from autograder.sandbox import choose_sandbox

from . import factories as F
from . import hostile as H
from .conftest import grade_cli, run_reaped, tree_digest

pytestmark = pytest.mark.slow

W = 1.0
FULL = 3.0
SANDBOX = choose_sandbox("auto")[0]
MARKER = f"isolation-marker-{os.getpid()}"
SITE = Path(site.getsitepackages()[0])


def _folder(root: Path, student: str) -> Path:
    folder = root / student / F.ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write(root: Path, student: str, released: Path, answers: dict, files: dict | None = None):
    folder = _folder(root, student)
    nbformat.write(F.student_notebook(released, answers), str(folder / f"{F.NOTEBOOK}.ipynb"))
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _with(answers: dict, grade_id: str, code: str) -> dict:
    return dict(answers, **{grade_id: answers[grade_id] + "\n\n" + code})


FRAME_READER = '''
class Oracle(float):
    """Answers with whatever the test expects, read from the caller's frame."""
    def __new__(cls):
        return float.__new__(cls, 0.0)
    def __float__(self):
        import sys
        frame = sys._getframe(1)
        while frame is not None:
            for name in ("expected", "target", "want"):
                if name in frame.f_locals:
                    return float(frame.f_locals[name][0])
            frame = frame.f_back
        return 0.0
    def __array__(self, dtype=None, copy=None):
        import numpy as np
        return np.array([float(self)] * 2)

def scale(x, k):
    return Oracle()
'''

REBINDS = '''
from helpers.grading import assert_close as _real
assert_close = lambda *a, **k: None
assert_equal = lambda *a, **k: None
def _patch(*args):
    import numpy as np
    np.allclose = lambda *a, **k: True
get_ipython().events.register("pre_run_cell", _patch)
get_ipython().events.register("post_run_cell", _patch)
'''


def _proc_root(solutions: Path) -> str:
    return f'''
import json, os
for _path in ("/proc/self/root{solutions}", "/proc/1/root{solutions}"):
    try:
        _fd = os.open(os.path.dirname(_path), os.O_RDONLY)
        with open(os.path.basename(_path), opener=lambda p, f: os.open(p, f, dir_fd=_fd)) as _f:
            for _cell in json.load(_f)["cells"]:
                if _cell.get("metadata", {{}}).get("nbgrader", {{}}).get("solution"):
                    exec("".join(_cell["source"]))
    except Exception:
        pass
'''


SNOOP = f'''
import glob, json, os
_found = []
for _pattern in ("/tmp/**/connection*.json", "/tmp/**/kernel-*.json", "../../*/*/*.ipynb",
                 "../../../*/*/*/*.ipynb", "/dev/shm/*"):
    _found += glob.glob(_pattern, recursive=True)
for _path in _found:
    try:
        if _path.endswith(".ipynb") and "snoop" not in _path:
            for _cell in json.load(open(_path))["cells"]:
                if _cell.get("metadata", {{}}).get("nbgrader", {{}}).get("grade_id") == "scale":
                    exec("".join(_cell["source"]))
    except Exception:
        pass
try:
    open("/tmp/{MARKER}", "w").write("left for the next student")
except OSError:
    pass
'''

SHADOW = f'''
import os, sys
print("the student's ctypes.py ran")
for _folder in sys.path:
    try:
        open(os.path.join(_folder, "{MARKER}.pth"), "w").write("import os; os._exit(9)\\n")
    except OSError:
        pass
from importlib import import_module
'''

def _hook_and_log(solutions: Path) -> str:
    """Empty every list, set and dict held in a closure (the audit hook's state), truncate
    every inherited file descriptor (a violations log), then read the solutions."""
    return f'''
import gc, json, os
for _object in gc.get_objects():
    for _cell in (getattr(_object, "__closure__", None) or ()):
        try:
            if isinstance(_cell.cell_contents, (list, set, dict)):
                _cell.cell_contents.clear()
        except ValueError:
            pass
for _fd in range(3, 64):
    try:
        os.ftruncate(_fd, 0)
    except OSError:
        pass
try:
    for _cell in json.load(open("{solutions}"))["cells"]:
        if _cell.get("metadata", {{}}).get("nbgrader", {{}}).get("solution"):
            exec("".join(_cell["source"]))
except Exception:
    pass
'''


IPYTHON_OVERRIDES = '''
_shell = get_ipython()
_shell._showtraceback = lambda *a, **k: None
_shell.showtraceback = lambda *a, **k: None
_real_transform = _shell.transform_cell
_shell.transform_cell = lambda raw: ("pass\\n" if "assert" in raw else _real_transform(raw))
'''

PRIVATE_NUMPY = '''
import numpy._core.numeric as _numeric
import numpy._core.fromnumeric as _fromnumeric
_numeric.allclose = lambda *a, **k: True
_numeric.isclose = lambda a, b, *x, **k: __import__("numpy").ones_like(a, dtype=bool)
_numeric.array_equal = lambda *a, **k: True
_fromnumeric.shape = lambda a: (2,)
'''

SHADOW_HELPERS = {
    "helpers/__init__.py": SHADOW.replace("ctypes.py", "helpers package"),
    "helpers/grading.py": ("def _nothing(*a, **k):\n    return None\n"
                           "assert_close = assert_equal = check = _nothing\n"
                           "def call(f, *a, **k):\n    return f(*a, **k)\n"),
}

HONEST_MAGICS = "%pdb on\n%load_ext autoreload\n%autoreload 2\n" + F.RIGHT["add"]
TMP_SAVE = ("import numpy as np\nnp.save('/tmp/values.npy', np.arange(3.0))\n"
            "assert np.load('/tmp/values.npy').sum() == 3.0\n" + F.RIGHT["add"])
SHM_HOG = (f"with open('/dev/shm/{MARKER}', 'wb') as _f:\n"
           "    _f.write(bytes(32 * 2**20))\n" + F.RIGHT["add"])
BRUSH = ("_big = bytearray(400 * 2**20)\ndel _big\n" + F.RIGHT["add"])
FORMULA = ('_Evil = type(\'=HYPERLINK("http://evil.example","click")\', (Exception,), {})\n'
           "def add(a, b):\n    raise _Evil('1+1')")
HTML_OUTPUT = ("from IPython.display import HTML, Javascript, display\n"
               "display(HTML('<img src=x onerror=\"alert(1)\">'))\n"
               "display(Javascript('alert(2)'))\n" + F.RIGHT["add"])


def build_class(root: Path, released: Path, course: Path) -> None:
    """Write the class: honest students the defences must not hurt, then one per attack."""
    solutions = H.solution_path(course)
    right, wrong = F.RIGHT, F.WRONG_SCALE
    _write(root, "shadow-ctypes", released, right, {"ctypes.py": SHADOW})
    _write(root, "honest-helpers-py", released, right,
           {"helpers.py": "def tool():\n    return 1\n"})
    _write(root, "honest-utils", released,
           dict(right, add="from utils import plus\n\ndef add(a, b):\n    return plus(a, b)"),
           {"utils.py": "def plus(a, b):\n    return a + b\n"})
    _write(root, "honest-magics", released, dict(right, add=HONEST_MAGICS))
    _write(root, "honest-tmp-save", released, dict(right, add=TMP_SAVE))
    _write(root, "honest-memory-brush", released, dict(right, add=BRUSH))
    _write(root, "_underscore", released, right)
    _write(root, ".dot", released, right)
    v3 = nbformat.convert(F.student_notebook(released, right), 3)
    (_folder(root, "honest-nbformat3") / f"{F.NOTEBOOK}.ipynb").write_text(
        nbformat.writes(v3, version=3), encoding="utf-8")
    _write(root, "attack-frame-reader", released, dict(wrong, scale=FRAME_READER))
    _write(root, "attack-rebinds", released, _with(wrong, "scale", REBINDS))
    _write(root, "attack-proc-root", released, _with(wrong, "scale", _proc_root(solutions)))
    _write(root, "attack-snoop", released, _with(wrong, "scale", SNOOP))
    _write(root, "attack-hook-and-log", released,
           _with(wrong, "scale", _hook_and_log(solutions)))
    _write(root, "attack-ipython-overrides", released, _with(wrong, "scale", IPYTHON_OVERRIDES))
    _write(root, "attack-private-numpy", released, _with(wrong, "scale", PRIVATE_NUMPY))
    _write(root, "shadow-helpers-package", released, wrong, SHADOW_HELPERS)
    _write(root, "attack-shm", released, dict(right, add=SHM_HOG))
    _write(root, "attack-formula", released, dict(right, add=FORMULA))
    _write(root, "attack-html", released, dict(right, add=HTML_OUTPUT))
    links = _write(root, "attack-links", released, right)
    (links / "loop").symlink_to(".")
    (links / "zeros.bin").symlink_to("/dev/zero")
    (links / "answers.ipynb").symlink_to(solutions)


@pytest.fixture(scope="module")
def graded(course, released, tmp_path_factory):
    root = tmp_path_factory.mktemp("isolation-class")
    build_class(root, released, course)
    out = tmp_path_factory.mktemp("isolation-out") / "grading"
    course_before = tree_digest(course)
    class_before = tree_digest(root)
    shm_before = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    process = run_reaped(grade_cli("grade", root, "--out", out, "--workers", 2, "--timeout", 20,
                                   "--memory-mb", 1024, "--course", course), timeout=900)
    if not (out / "grades.csv").exists():
        pytest.fail(f"the run wrote no grades.csv (exit {process.returncode}): "
                    f"{process.stderr[-3000:]}")
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    with open(out / "tests.csv", newline="", encoding="utf-8") as handle:
        raw_tests = list(csv.reader(handle))
    yield {"process": process, "rows": rows, "tests": raw_tests, "out": out, "root": root,
           "course_same": tree_digest(course) == course_before,
           "class_same": tree_digest(root) == class_before,
           "shm_new": (set(os.listdir("/dev/shm")) - shm_before) if shm_before is not None
           else set()}
    for leftover in SITE.glob(f"{MARKER}*"):
        leftover.unlink()
    Path(f"/tmp/{MARKER}").unlink(missing_ok=True)


def score(graded, student: str) -> float:
    row = graded["rows"][student]
    return float(row["score"])


def test_the_run_ends_with_one_row_per_student(graded):
    process, rows = graded["process"], graded["rows"]
    assert process.returncode == 0, process.stderr[-2000:]
    students = sorted(p.name for p in graded["root"].iterdir())
    assert sorted(rows) == students


@pytest.mark.parametrize("student", ["honest-helpers-py", "honest-utils", "honest-magics",
                                     "honest-memory-brush", "_underscore", ".dot",
                                     "honest-nbformat3"])
def test_honest_students_are_graded_not_flagged(graded, student):
    row = graded["rows"][student]
    assert (row["status"], float(row["score"])) == ("graded", FULL), row


@pytest.mark.parametrize("student, earns", [("shadow-ctypes", FULL),
                                            ("shadow-helpers-package", W)])
def test_a_student_file_named_like_a_course_module_neither_runs_first_nor_reaches_the_grader(
        graded, student, earns):
    """The course's ctypes and helpers are imported before the submission's folder is on
    the path: the student's copies never run, so they cannot flag, fake or sabotage."""
    row = graded["rows"][student]
    assert (row["status"], float(row["score"])) == ("graded", earns), row
    assert not list(SITE.glob(f"{MARKER}*")), "a .pth file reached the grader's site-packages"


@pytest.mark.skipif(SANDBOX != "bwrap", reason="/tmp is the kernel's own only under bubblewrap")
def test_saving_to_tmp_is_allowed_and_stays_private(graded):
    row = graded["rows"]["honest-tmp-save"]
    assert (row["status"], float(row["score"])) == ("graded", FULL), row


@pytest.mark.parametrize("student", ["attack-frame-reader", "attack-rebinds", "attack-proc-root",
                                     "attack-snoop", "attack-hook-and-log",
                                     "attack-ipython-overrides", "attack-private-numpy"])
def test_an_attack_never_earns_more_than_the_plain_wrong_answer(graded, student):
    assert score(graded, student) <= W, graded["rows"][student]


def test_nothing_reaches_a_classmate_the_course_or_a_later_run(graded):
    assert graded["course_same"] and graded["class_same"]
    assert not Path(f"/tmp/{MARKER}").exists()
    assert MARKER not in graded["shm_new"]
    assert score(graded, "attack-shm") == FULL


def test_links_are_reported_and_the_rest_is_graded(graded):
    row = graded["rows"]["attack-links"]
    assert float(row["score"]) == FULL
    assert row["status"] == "error"
    for name in ("loop", "zeros.bin", "answers.ipynb"):
        assert f"{name} is a link, which the grader does not follow" in row["reason"]


def test_a_formula_in_an_exception_name_reaches_the_csv_as_text(graded):
    messages = [r[-1] for r in graded["tests"][1:] if r[0] == "attack-formula"]
    hostile = [m for m in messages if "HYPERLINK" in m]
    assert hostile and all(not m.startswith(("=", "+", "-", "@")) for m in hostile)


def test_student_html_and_javascript_are_inert_in_feedback(graded, course):
    made = run_reaped(grade_cli("feedback", "--out", graded["out"], "--course", course), 300)
    assert made.returncode == 0, made.stderr[-2000:]
    page = (graded["out"] / "feedback" / "attack-html" / F.ASSIGNMENT
            / f"{F.NOTEBOOK}.html").read_text(encoding="utf-8")
    assert "default-src 'none'" in page
    assert '<img src=x onerror="alert(1)">' not in page and "alert(2)" not in page.split(
        "Content-Security-Policy")[0]
    assert json.dumps("alert(2)") not in page
