"""How long one widget update takes: the figure function and its PNG, per control moved.

Usage: python benchmarks/bench_widgets.py [--repeats 5] [--fast]

Every solution notebook is executed in this process, cell by cell, as a student
runs it (full size; ``--fast`` for the course's fast mode). Each widget the
notebook builds (``helpers.widgets.*_explorer``, ``kernel_playground``, ...)
is kept, with the solution's functions and the notebook's own data bound in.
Then each of its controls is moved to other values (a slider to its ends and
middle, a dropdown or toggle through its options) and every move is timed:
what a move costs in the kernel, the widget's pure function plus drawing the
figure to a PNG, before the browser shows it. The goal (SYLLABUS.md): under
100 ms. Prints a Markdown table: per widget, the median and the slowest move
over ``--repeats`` rounds.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
from machine import machine  # noqa: E402

from tests.notebooks.cells import course_notebooks  # noqa: E402

GOAL_MS = 100


def _run_cell(source: str, namespace: dict, label: str):
    """Execute a cell; return the value of its last line if that is an expression."""
    tree = ast.parse(source, filename=label)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(tree, label, "exec"), namespace)  # noqa: S102 (the course's notebooks)
        if last is not None:
            return eval(compile(ast.Expression(last.value), label, "eval"), namespace)  # noqa: S307
    return None


def notebook_widgets(path: Path) -> list[tuple[str, widgets.Box]]:
    """(label, widget) for every widget the notebook at ``path`` builds, in order."""
    nb = nbformat.read(str(path), as_version=4)
    from IPython.display import display

    namespace: dict = {"__name__": "__notebook__", "display": display}   # as in a kernel
    found: list[tuple[str, widgets.Box]] = []
    seen: set[int] = set()
    previous = os.getcwd()
    os.chdir(path.parent)
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            value = _run_cell(cell.source, namespace, f"<{path.stem} cell {index}>")
            plt.close("all")   # the notebook's own figures, shown and done with
            candidates = [value] + list(namespace.values())
            for candidate in candidates:
                if isinstance(candidate, widgets.Box) and id(candidate) not in seen:
                    seen.add(id(candidate))
                    name = _widget_name(cell.source, candidate)
                    found.append((f"{path.parent.name[:2]} {name}", candidate))
    finally:
        os.chdir(previous)
    return found


def _widget_name(source: str, box) -> str:
    for line in source.splitlines():
        if "widgets." in line and "(" in line:
            return line.split("widgets.", 1)[1].split("(", 1)[0]
    return type(box).__name__


def _controls(box) -> list[widgets.ValueWidget]:
    found = []
    for child in getattr(box, "children", ()):
        if isinstance(child, widgets.ValueWidget) and not isinstance(child, widgets.Output):
            found.append(child)
        elif isinstance(child, widgets.Box):
            found.extend(_controls(child))
    return found


def _moves(control) -> list:
    """Values to move ``control`` to: ends and middle of a slider, every option else."""
    if hasattr(control, "options") and control.options:
        options = list(control.options)
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        if isinstance(control, widgets.SelectMultiple):
            return [tuple(values[:1]), tuple(values[:2]), control.value]
        return [v for v in values if v != control.value][:4] + [control.value]
    if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        return [not control.value, control.value]
    if hasattr(control, "min") and hasattr(control, "max"):
        middle = control.min + (control.max - control.min) / 2
        if isinstance(control.value, int):
            middle = int(round(middle))
        return [control.max, control.min, middle, control.value]
    return []


def time_widget(box, repeats: int) -> list[float]:
    """Seconds of every move of every control, ``repeats`` rounds."""
    times = []
    for _ in range(repeats):
        for control in _controls(box):
            for value in _moves(control):
                if value == control.value:
                    continue
                start = time.perf_counter()
                control.value = value   # the redraw runs here, synchronously
                times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, metavar="R")
    parser.add_argument("--fast", action="store_true", help="the notebooks in fast mode")
    args = parser.parse_args(argv)
    if args.fast:
        os.environ["COURSE_FAST"] = "1"
    rows = []
    for path in course_notebooks():
        for label, box in notebook_widgets(path):
            times = time_widget(box, args.repeats)
            if times:
                rows.append((label, len(times), statistics.median(times), max(times)))
                print(f"{label}: median {statistics.median(times) * 1000:.0f} ms",
                      file=sys.stderr, flush=True)
    print(f"One widget update (a control moved: the figure function and its PNG) on "
          f"{machine()}, Python {platform.python_version()}; notebooks in "
          f"{'fast' if args.fast else 'full'} mode, {args.repeats} rounds of moves.\n")
    print("| widget | moves timed | median (ms) | slowest (ms) | under 100 ms |")
    print("|---|---:|---:|---:|---|")
    for label, count, median, slowest in rows:
        verdict = "yes" if slowest * 1000 < GOAL_MS else (
            "median only" if median * 1000 < GOAL_MS else "no")
        print(f"| {label} | {count} | {median * 1000:.0f} | {slowest * 1000:.0f} | {verdict} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
