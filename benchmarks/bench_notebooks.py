"""Time each solution notebook from a cold kernel, and the grading of the demo class.

Usage: python benchmarks/bench_notebooks.py [--repeats 3]
Each notebook runs ``--repeats`` times in each mode; the table gives the median
and the range. The quality bars (DESIGN.md): a solution notebook runs in under 60 s on 2 cores,
and grading one submission takes under 20 s. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import nbformat
from machine import machine, median_and_range
from nbclient import NotebookClient

from autograder.demo import run_demo

ROOT = Path(__file__).resolve().parents[1]


def time_notebook(path: Path, fast: bool) -> float:
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, MPLBACKEND="Agg")
    if fast:
        env["COURSE_FAST"] = "1"
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.km = client.create_kernel_manager()
    client.start_new_kernel(env=env)
    try:
        client.start_new_kernel_client()
        client.execute(cleanup_kc=False)
    finally:
        client._cleanup_kernel()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, metavar="R",
                        help="runs of each notebook in each mode (default 3)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("expected at least one repeat")
    print(f"On {machine()}, Python {platform.python_version()}; median of {args.repeats} "
          f"runs, range in brackets.\n")
    print("| notebook | full run (s) | fast mode, as under the grader (s) |")
    print("|---|---:|---:|")
    for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*/*.ipynb")):
        cells = []
        for fast in (False, True):
            median, spread = median_and_range([time_notebook(path, fast)
                                               for _ in range(args.repeats)])
            cells.append(f"{median:.1f} ({spread})")
        print(f"| {path.parent.name} | {cells[0]} | {cells[1]} |")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run_demo(ROOT, Path(tmp) / "demo", echo=lambda line: None)
        elapsed = time.perf_counter() - start
    n = len(result.grades)
    print(f"\ndemo class: {n} submissions graded in {elapsed:.1f} s "
          f"({elapsed / n:.1f} s per submission, including the gradebook set-up; one run)")


if __name__ == "__main__":
    main()
