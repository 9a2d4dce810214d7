"""Throughput of ``python -m autograder grade`` against plain serial ``nbgrader autograde``.

Usage: python benchmarks/bench_grading.py [--students N] [--workers 2 1] [--repeats 3]
                                         [--sandbox bwrap none] [--cluster-workers K]
                                         [--no-baseline]

A class of N copies of a correct submission of the real notebook
``solutions/01_convolution_arithmetic/convolution_arithmetic.ipynb`` (built as
the demo builds its reference student: the released notebook with every
solution cell holding the reference solution) is graded

(a) by plain nbgrader, as its documentation has an instructor do it: a
    temporary course with ``source/`` and ``submitted/<student>/<assignment>/``,
    ``nbgrader generate_assignment`` then one ``nbgrader autograde`` call for
    the whole class;
(b) by ``python -m autograder grade`` with each ``--workers`` value and each
    ``--sandbox`` mode asked for (the judge always on);
(c) with ``--cluster-workers K``, by ``grade --cluster`` on a Dask cluster of
    K one-thread workers started on this machine (``dask scheduler`` and ``dask
    worker`` processes, as ``tests/dask_cluster.py`` starts them). Its start is
    not timed; its first run (new workers: fork servers starting, imports) is
    reported alone, the next ``--repeats`` runs as the warm cluster an
    instructor's long-lived one would be.

Every run is timed end to end from a cold start, including the gradebook
set-up, and checked: a run that did not give every student full marks is
reported as failed, not timed. Each configuration runs ``--repeats`` times;
the table gives the median and the range. A second table times one submission
through the grader's layers (the kernel alone, bubblewrap, the judge) with
``execute_sandboxed``, to say what each costs. The machine (CPU model, BLAS
kernel) is printed with the tables. Prints Markdown for BENCHMARKS.md.
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
from machine import machine, median_and_range
from nbgrader.api import Gradebook

from autograder.demo import solution_source
from autograder.release import release_assignment
from autograder.zygotes import ZYGOTES_ENV

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
    if course.exists():
        shutil.rmtree(course)
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


def time_autograder(class_dir: Path, students: list[str], work: Path, workers: int,
                    sandbox: str = "auto", kernels: str = "zygote") -> Timing:
    """(b): ``python -m autograder grade`` with ``workers`` workers and ``--sandbox sandbox``.

    ``kernels="fresh"`` starts every kernel from scratch (``AUTOGRADER_ZYGOTES=off``).
    """
    out = work / f"autograder-{workers}-{sandbox}-{kernels}"
    if out.exists():
        shutil.rmtree(out)
    command = [sys.executable, "-m", "autograder", "grade", str(class_dir), "--out", str(out),
               "--course", str(ROOT), "--sandbox", sandbox]
    env = {ZYGOTES_ENV: "off"} if kernels == "fresh" else {}
    started = "kernels forked by zygotes" if kernels == "zygote" else "every kernel started anew"
    return _timed(command + ["--workers", str(workers)], out, students, workers,
                  f"autograder grade, sandbox {sandbox}, judge, {started}", env)


def time_on_cluster(class_dir: Path, students: list[str], work: Path, cluster, workers: int,
                    sandbox: str) -> Timing:
    """(c): ``grade --cluster`` on ``cluster``, already running (its start is not timed)."""
    out = work / "autograder-cluster"
    if out.exists():
        shutil.rmtree(out)
    command = [sys.executable, "-m", "autograder", "grade", str(class_dir), "--out", str(out),
               "--course", str(ROOT), "--sandbox", sandbox, "--cluster", cluster.address]
    return _timed(command, out, students, workers,
                  f"autograder grade --cluster (Dask workers), sandbox {sandbox}, judge")


def _timed(command: list[str], out: Path, students: list[str], workers: int,
           name: str, env: dict[str, str] | None = None) -> Timing:
    start = time.perf_counter()
    done = subprocess.run(command, env=dict(_env(), **(env or {})), capture_output=True,
                          text=True, timeout=RUN_LIMIT, stdin=subprocess.DEVNULL)
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


def summarise(runs: list[Timing]) -> Timing:
    """One row for repeated runs: the median time, with the range in the note."""
    times = [t.seconds for t in runs if t.seconds is not None]
    first = runs[0]
    if len(times) < len(runs):
        failed = next(t for t in runs if t.seconds is None)
        return Timing(first.grader, first.workers, first.students, None, failed.note)
    median, spread = median_and_range(times)
    return Timing(first.grader, first.workers, first.students, median, spread)


def format_table(timings: list[Timing], baseline: Timing) -> str:
    lines = ["| grader | workers | submissions | median wall time (s) | range (s) "
             "| submissions/min | throughput vs plain nbgrader |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for t in timings:
        if t.seconds is None:
            lines.append(f"| {t.grader} | {t.workers} | {t.students} | failed | - | - | "
                         f"- ({t.note}) |")
            continue
        ratio = ("-" if baseline.per_minute is None
                 else f"{t.per_minute / baseline.per_minute:.2f}x")
        lines.append(f"| {t.grader} | {t.workers} | {t.students} | {t.seconds:.1f} | "
                     f"{t.note or '-'} | {t.per_minute:.1f} | {ratio} |")
    return "\n".join(lines)


def per_submission(timings: list[Timing]) -> str:
    """Seconds of one worker per submission, for each row: ``wall time x workers / N``."""
    lines = ["", "| grader | workers | worker-seconds per submission |", "|---|---:|---:|"]
    for t in timings:
        if t.seconds is not None:
            lines.append(f"| {t.grader} | {t.workers} | {t.seconds * t.workers / t.students:.2f} |")
    return "\n".join(lines)


def time_bare(nb, folder: Path) -> float:
    """The notebook in a plain ipykernel through nbclient, as the grader's kernel would run it
    (``NBGRADER_EXECUTION=autograde``: fast mode), with no grader around it; seconds."""
    from unittest import mock

    from nbclient import NotebookClient

    from autograder.sandbox import KERNEL_ENV

    start = time.perf_counter()
    client = NotebookClient(nb, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    with mock.patch.dict(os.environ, NBGRADER_EXECUTION="autograde", **KERNEL_ENV):
        client.execute()
    return time.perf_counter() - start


def time_layers(repeats: int) -> str:
    """One reference submission: bare, then through execute_sandboxed layer by layer."""
    import contextlib

    from autograder.sandbox import bwrap_problem, default_deny
    from autograder.worker import execute_sandboxed, setup_cell_source
    from autograder.zygotes import Zygotes, take_slot

    source = ROOT / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    configurations = [("kernel and audit hook (--sandbox none), tests in the kernel", "none",
                       False, False),
                      ("+ the judge (--sandbox none)", "none", True, False)]
    if bwrap_problem() is None:
        configurations += [("bubblewrap, tests in the kernel", "bwrap", False, False),
                           ("bubblewrap + the judge (the default)", "bwrap", True, False),
                           ("bubblewrap + the judge, the kernel forked by a zygote "
                            "(the default in a grading run)", "bwrap", True, True)]
    else:
        configurations += [("+ the kernel forked by a zygote", "none", True, True)]
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        release_assignment(ROOT, ASSIGNMENT, Path(tmp) / ASSIGNMENT)
        submission = reference_submission(Path(tmp) / ASSIGNMENT / f"{NOTEBOOK}.ipynb", source)
    lines = ["| layers | median (s) | range (s) |", "|---|---:|---:|"]
    bare = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="bench-bare-") as tmp:
            bare.append(time_bare(nbformat.from_dict(submission), Path(tmp)))
    base, spread = median_and_range(bare)
    lines.append(f"| bare: the notebook in a plain ipykernel (nbclient, no grader) | "
                 f"{base:.1f} | {spread} |")
    for label, sandbox, judged, forked in configurations:
        times = []
        with contextlib.ExitStack() as stack:
            slot = None
            if forked:   # the zygote's own start is not timed, as in a grading run
                zygotes = stack.enter_context(Zygotes(1, sandbox, default_deny(ROOT), 2048))
                slot = take_slot(zygotes.base)
            for _ in range(repeats + forked):
                with tempfile.TemporaryDirectory(prefix="bench-layers-") as tmp:
                    folder = Path(tmp) / "submission"
                    folder.mkdir()
                    nb = nbformat.from_dict(submission)
                    start = time.perf_counter()
                    _, _, problems, tampering = execute_sandboxed(
                        nb, {}, folder, Path(tmp) / "run", deny=default_deny(ROOT), timeout=60,
                        memory_mb=2048, sandbox=sandbox,
                        judge_setup=setup_cell_source(source) if judged else "", zygote=slot)
                    times.append(time.perf_counter() - start)
                    if problems or tampering:
                        raise SystemExit(f"{label}: {problems + tampering}")
            times = times[forked:]   # with a zygote, the first run waits for its imports
        median, spread = median_and_range(times)
        lines.append(f"| {label} | {median:.1f} ({median - base:+.1f}) | {spread} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12, metavar="N",
                        help="number of copies of the correct submission (default 12)")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1], metavar="W",
                        help="worker counts to time the autograder with (default: 2 1)")
    parser.add_argument("--repeats", type=int, default=3, metavar="R",
                        help="runs of each configuration; the median is reported (default 3)")
    parser.add_argument("--sandbox", nargs="+", default=["bwrap", "none"],
                        choices=["auto", "bwrap", "none"],
                        help="sandbox modes to time with 2 workers (default: bwrap none)")
    parser.add_argument("--kernels", nargs="+", default=["zygote", "fresh"],
                        choices=["zygote", "fresh"],
                        help="how kernels start, timed with the most workers: forked by "
                             "zygotes, or each from scratch (default: both)")
    parser.add_argument("--cluster-workers", type=int, default=0, metavar="K",
                        help="also grade on a Dask cluster of K workers started here "
                             "(default 0: not)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="do not time plain nbgrader (no ratios against it)")
    parser.add_argument("--no-layers", action="store_true",
                        help="do not time one submission layer by layer")
    args = parser.parse_args(argv)
    if args.students < 1 or args.repeats < 1:
        parser.error("expected at least one student and one repeat")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        work = Path(tmp)
        class_dir = work / "class"
        students = write_class(class_dir, args.students)
        baseline = (Timing("plain nbgrader autograde", 1, len(students), None, "not run")
                    if args.no_baseline else
                    summarise([time_plain_nbgrader(class_dir, students, work)
                               for _ in range(args.repeats)]))
        timings = [] if args.no_baseline else [baseline]
        # The configurations take turns, repeat after repeat, so that a machine that
        # slows down or speeds up during the hour weighs on all of them alike.
        configurations = [(w, mode, kernels) for w in args.workers
                          for mode in (args.sandbox if w == max(args.workers)
                                       else args.sandbox[:1])
                          for kernels in (args.kernels if w == max(args.workers)
                                          and mode == args.sandbox[0] else args.kernels[:1])]
        runs: dict[tuple, list[Timing]] = {c: [] for c in configurations}
        cluster = None
        if args.cluster_workers:
            sys.path.insert(0, str(ROOT))
            from tests.dask_cluster import start_cluster

            # The workers' kernels get the environment the local kernels get from _env():
            # without it they encode every figure as PNG and the local ones do not.
            cluster = start_cluster(work / "dask", args.cluster_workers, course=ROOT,
                                    env={"MPLBACKEND": _env()["MPLBACKEND"]})
            runs["cold"], runs["warm"] = [], []
        try:
            if cluster is not None:   # its workers' first run: fork servers start, imports
                runs["cold"].append(time_on_cluster(class_dir, students, work, cluster,
                                                    args.cluster_workers, args.sandbox[0]))
            for _ in range(args.repeats):
                for workers, mode, kernels in configurations:
                    runs[workers, mode, kernels].append(time_autograder(
                        class_dir, students, work, workers, mode, kernels))
                if cluster is not None:
                    runs["warm"].append(time_on_cluster(class_dir, students, work, cluster,
                                                        args.cluster_workers, args.sandbox[0]))
        finally:
            if cluster is not None:
                cluster.stop()
        timings += [summarise(runs[c]) for c in configurations]
        if cluster is not None:
            cold = runs["cold"][0]
            cold.grader += " (first run on new workers)"
            timings += [cold, summarise(runs["warm"])]
    print(f"Grading {args.students} correct submissions of {ASSIGNMENT} built from the release "
          f"on {machine()}, Python {platform.python_version()}, nbgrader "
          f"{nbgrader.__version__}; each run timed end to end from a cold start, "
          f"{args.repeats} runs each.\n")
    print(format_table(timings, baseline))
    print(per_submission(timings))
    if not args.no_layers:
        print(f"\nOne submission, layer by layer (median of {args.repeats}):\n")
        print(time_layers(args.repeats))
    return 0 if all(t.seconds is not None for t in timings) else 1


if __name__ == "__main__":
    sys.exit(main())
