"""Time each solution notebook from a cold kernel, and the grading of the demo class.

Usage: python benchmarks/bench_notebooks.py
The quality bars (DESIGN.md): a solution notebook runs in under 60 s on 2 cores,
and grading one submission takes under 20 s. Prints a Markdown table.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import nbformat
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


def main() -> None:
    print("| notebook | full run (s) | fast mode, as under the grader (s) |")
    print("|---|---:|---:|")
    for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*/*.ipynb")):
        print(f"| {path.parent.name} | {time_notebook(path, False):.1f} | "
              f"{time_notebook(path, True):.1f} |")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run_demo(ROOT, Path(tmp) / "demo", echo=lambda line: None)
        elapsed = time.perf_counter() - start
    n = len(result.grades)
    print(f"\ndemo class: {n} submissions graded in {elapsed:.1f} s "
          f"({elapsed / n:.1f} s per submission, serial, including the gradebook set-up)")


if __name__ == "__main__":
    main()
