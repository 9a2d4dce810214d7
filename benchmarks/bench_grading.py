"""Throughput of ``python -m autograder grade`` against plain serial ``nbgrader autograde``.

Usage: python benchmarks/bench_grading.py [--students N] [--workers 2 1]

A class of N copies of a correct submission of the real notebook
``solutions/01_convolution_arithmetic/convolution_arithmetic.ipynb`` (built as
the demo builds its reference student: the released notebook with every
solution cell holding the reference solution) is graded

(a) by plain nbgrader, as its documentation has an instructor do it: a
    temporary course with ``source/`` and ``submitted/<student>/<assignment>/``,
    ``nbgrader generate_assignment`` then one ``nbgrader autograde`` call for
    the whole class;
(b) by ``python -m autograder grade`` with each ``--workers`` value asked for.

Every run is timed end to end from a cold start, including the gradebook
set-up, and checked: a run that did not give every student full marks is
reported as failed, not timed. Prints a Markdown table for BENCHMARKS.md. The
issue's target (issue 4) is a ratio of at least 1.8 with 2 workers.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
import nbgrader
from nbgrader.api import Gradebook

from autograder.demo import solution_source
from autograder.release import release_assignment

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "01_convolution_arithmetic"
NOTEBOOK = "convolution_arithmetic"
RUN_LIMIT = 3600


@dataclass
class Timing:
    """One timed grading of the class."""

    grader: str
    workers: int
    students: int
    seconds: float | None  # None when the run failed
    note: str = ""

    @property
    def per_minute(self) -> float | None:
        return None if self.seconds is None else 60.0 * self.students / self.seconds


def reference_submission(released: Path, source: Path):
    """The released notebook with every solution cell holding the reference solution."""
    nb = nbformat.read(str(released), as_version=4)
    src = nbformat.read(str(source), as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in src.cells
                 if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and grade_id in solutions:
            cell.source = solution_source(solutions[grade_id], "solution")
    return nb


def write_class(dest: Path, n_students: int) -> list[str]:
    """Write ``dest/<student>/<assignment>/<notebook>.ipynb`` for N students; return their ids."""
    source = ROOT / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        released = Path(tmp) / ASSIGNMENT
        release_assignment(ROOT, ASSIGNMENT, released)
        nb = reference_submission(released / f"{NOTEBOOK}.ipynb", source)
    students = [f"student{i:03d}" for i in range(n_students)]
    for student in students:
        folder = dest / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / f"{NOTEBOOK}.ipynb"))
    return students


def _env() -> dict[str, str]:
    # nbgrader runs `alembic` from PATH: put this interpreter's folder first.
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    return env


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:120] if lines else "no message"


def time_plain_nbgrader(class_dir: Path, students: list[str], work: Path) -> Timing:
    """(a): generate_assignment, then one serial ``nbgrader autograde`` for the class."""
    course = work / "plain"
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    shutil.copytree(class_dir, course / "submitted")
    nbgrader_cmd = [sys.executable, "-m", "nbgrader"]
    start = time.perf_counter()
    for step in (["generate_assignment", ASSIGNMENT, "--force"], ["autograde", ASSIGNMENT]):
        done = subprocess.run(nbgrader_cmd + step, cwd=course, env=_env(), capture_output=True,
                              text=True, timeout=RUN_LIMIT, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            return Timing("plain nbgrader autograde", 1, len(students), None,
                          f"nbgrader {step[0]} exited {done.returncode}: "
                          f"{_last_line(done.stderr)}")
    seconds = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            full = [s.student.id for s in gb.assignment_submissions(ASSIGNMENT)
                    if s.max_score > 0 and abs(s.score - s.max_score) < 1e-9]
    if sorted(full) != students:
        return Timing("plain nbgrader autograde", 1, len(students), None,
                      f"only {len(full)} of {len(students)} got full marks")
    return Timing("plain nbgrader autograde", 1, len(students), seconds)


def time_autograder(class_dir: Path, students: list[str], work: Path, workers: int) -> Timing:
    """(b): ``python -m autograder grade`` with ``workers`` workers."""
    out = work / f"autograder-{workers}"
    command = [sys.executable, "-m", "autograder", "grade", str(class_dir), "--out", str(out),
               "--workers", str(workers), "--course", str(ROOT)]
    name = "python -m autograder grade"
    start = time.perf_counter()
    done = subprocess.run(command, env=_env(), capture_output=True, text=True, timeout=RUN_LIMIT,
                          stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        return Timing(name, workers, len(students), None,
                      f"exited {done.returncode}: {_last_line(done.stderr)}")
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    full = sorted(r["student_id"] for r in rows if r["status"] == "graded"
                  and float(r["max_score"]) > 0 and float(r["score"]) == float(r["max_score"]))
    if full != students or len(rows) != len(students):
        bad = [f"{r['student_id']}: {r['score']}/{r['max_score']} {r['status']} {r['reason']}"
               for r in rows if r["student_id"] not in full]
        return Timing(name, workers, len(students), None,
                      f"{len(full)} of {len(students)} got full marks in {seconds:.0f} s"
                      + (f"; first: {bad[0].strip()}" if bad else ""))
    return Timing(name, workers, len(students), seconds)


def format_table(timings: list[Timing], baseline: Timing) -> str:
    lines = ["| grader | workers | submissions | wall time (s) | submissions/min "
             "| throughput vs plain nbgrader |",
             "|---|---:|---:|---:|---:|---:|"]
    for t in timings:
        if t.seconds is None:
            lines.append(f"| {t.grader} | {t.workers} | {t.students} | failed | - | "
                         f"- ({t.note}) |")
            continue
        ratio = ("-" if baseline.per_minute is None
                 else f"{t.per_minute / baseline.per_minute:.2f}x")
        lines.append(f"| {t.grader} | {t.workers} | {t.students} | {t.seconds:.1f} | "
                     f"{t.per_minute:.1f} | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12, metavar="N",
                        help="number of copies of the correct submission (default 12)")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1], metavar="W",
                        help="worker counts to time the autograder with (default: 2 1)")
    args = parser.parse_args(argv)
    if args.students < 1:
        parser.error(f"expected at least one student, got {args.students}")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        work = Path(tmp)
        class_dir = work / "class"
        students = write_class(class_dir, args.students)
        baseline = time_plain_nbgrader(class_dir, students, work)
        timings = [baseline] + [time_autograder(class_dir, students, work, w)
                                for w in args.workers]
    print(f"Grading {args.students} correct submissions of {ASSIGNMENT} "
          f"({os.cpu_count()} cores, Python {platform.python_version()}, "
          f"nbgrader {nbgrader.__version__}); each run timed end to end from a cold start.\n")
    print(format_table(timings, baseline))
    return 0 if all(t.seconds is not None for t in timings) else 1


if __name__ == "__main__":
    sys.exit(main())
