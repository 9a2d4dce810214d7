"""How long one widget update takes, split into the widget's computations and its drawing.

Usage: python benchmarks/bench_widgets.py [--repeats 5] [--fast]

Every solution notebook is executed in this process, cell by cell, as a student
runs it (full size; ``--fast`` for the course's fast mode). Each widget the
notebook builds through ``helpers.widgets`` is kept, named by the function that
built it and the figure function its redraws call. Then each of its controls is
moved to other values (a slider to its ends and middle, a dropdown or toggle
through its options) and every move, the widget's real update, is timed:

- the whole update, from the assignment of the value to the new figure's PNG:
  what a move costs in the kernel before the browser shows it;
- the pure function: the time the update spent inside the computations it
  called. Those are the notebook's functions a widget was given (the student's
  ``convolve_image``, ``sample_text``, ``softmax``, ...) and the computations
  of ``helpers.widgets`` (:data:`COMPUTATIONS`), each wrapped with a timer
  while the benchmark runs; nothing is computed twice or re-implemented here.

The drawing (the figure and its PNG) is the rest. The goal: the pure function
under 100 ms per update. Prints a Markdown table: per widget, the computations
its updates called, and the median and range over all moves of ``--repeats``
rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import inspect
import io
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
from machine import machine, median_and_range  # noqa: E402

import helpers.widgets as course_widgets  # noqa: E402
from helpers import models  # noqa: E402
from helpers.widgets import attention, embeddings, lstm, resnet, rnn  # noqa: E402
from helpers.widgets import convolution as conv  # noqa: E402
from tests.notebooks.cells import course_notebooks  # noqa: E402

GOAL_MS = 100


# --------------------------------------------------------------------------- computations
# What a figure function computes before it draws, from helpers.widgets (and
# helpers.models for notebook 07's figure): replaced in its module while the
# benchmark runs, so the figure functions, which look them up there, call the
# timed version. Notebook functions given to a builder are timed the same way.
COMPUTATIONS = [
    (conv, "window_taps"),
    (resnet, "gradient_norms"),
    (rnn, "hidden_jacobian_norms"),
    (lstm, "gradient_norms_through_time"),
    (attention, "tempered_weights"),
    (attention, "patch_attention"),
    (embeddings, "neighbours"),
    (embeddings, "pca_2d"),
    (models, "logits"),
]


class Clock:
    """Seconds spent inside timed computations, the outermost call counted once."""

    def __init__(self):
        self.seconds = 0.0
        self.called: list[str] = []   # names, in the order first called, of this update
        self._depth = 0

    def reset(self) -> None:
        self.seconds, self.called = 0.0, []

    def timed(self, name: str, function):
        @functools.wraps(function)
        def computation(*args, **kwargs):
            if name not in self.called:
                self.called.append(name)
            if self._depth:
                return function(*args, **kwargs)
            self._depth += 1
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self._depth -= 1

        return computation


clock = Clock()


# --------------------------------------------------------------------------- the notebooks' widgets

@dataclass
class Widget:
    """A widget a notebook built: the ``helpers.widgets`` function that built it, and how."""

    notebook: str
    builder: str
    box: widgets.Box
    figures: list[str] = field(default_factory=list)   # what its redraws called
    computations: list[str] = field(default_factory=list)   # the timed calls of its updates

    @property
    def label(self) -> str:
        drawn = ", ".join(self.figures) or "text, no figure"
        return f"{self.notebook} {self.builder} ({drawn})"


_redraws: list[str] = []   # figure functions called by the current move
_built: list[tuple[str, widgets.Box]] = []   # widgets built, in order


def _recording_figure(name: str, function):
    @functools.wraps(function)
    def figure(*args, **kwargs):
        _redraws.append(name)
        return function(*args, **kwargs)

    return figure


def _recording_builder(name: str, function):
    signature = inspect.signature(function)

    @functools.wraps(function)
    def builder(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        # A function the notebook gives the widget (the student's) is one of its computations.
        for key, value in bound.arguments.items():
            if inspect.isfunction(value):
                bound.arguments[key] = clock.timed(f"{value.__name__} (notebook)", value)
        built = function(*bound.args, **bound.kwargs)
        if isinstance(built, widgets.Box):
            _built.append((name, built))
        return built

    return builder


@contextlib.contextmanager
def recording():
    """Record which widgets ``helpers.widgets`` builds and which figure function each redraw
    calls; time the computations (:data:`COMPUTATIONS`) in their modules.

    The figure functions are replaced in their own modules, before any widget is
    built, because a wrapper keeps the function it was given; every builder is
    replaced in the package, where the notebooks call it.
    """
    replaced = []
    for module, name in COMPUTATIONS:
        function = getattr(module, name)
        replaced.append((module, name, function))
        setattr(module, name, clock.timed(name, function))
    computations = {name for _, name in COMPUTATIONS}
    for name in course_widgets.__all__:
        function = getattr(course_widgets, name)
        if not inspect.isfunction(function) or name in computations:
            continue
        if name.endswith("_figure") and name != "interactive_figure":   # that one is the wrapper
            wrapper = _recording_figure(name, function)
            replaced.append((sys.modules[function.__module__], name, function))
            setattr(sys.modules[function.__module__], name, wrapper)
        else:
            wrapper = _recording_builder(name, function)
        replaced.append((course_widgets, name, function))
        setattr(course_widgets, name, wrapper)
    try:
        yield
    finally:
        for module, name, function in replaced:
            setattr(module, name, function)


def notebook_widgets(path: Path) -> list[Widget]:
    """Every widget the notebook at ``path`` builds, in order (call inside :func:`recording`)."""
    nb = nbformat.read(str(path), as_version=4)
    from IPython.display import display

    namespace: dict = {"__name__": "__notebook__", "display": display}   # as in a kernel
    first = len(_built)
    previous = os.getcwd()
    os.chdir(path.parent)
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(cell.source, f"<{path.stem} cell {index}>", "exec"),  # noqa: S102
                     namespace)   # the course's notebooks
            plt.close("all")   # the notebook's own figures, shown and done with
    finally:
        os.chdir(previous)
    return [Widget(path.parent.name[:2], name, box) for name, box in _built[first:]]


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
    if isinstance(control, widgets.FloatLogSlider):   # its min and max are exponents of base
        exponents = (control.max, control.min, (control.min + control.max) / 2)
        return [control.base ** e for e in exponents] + [control.value]
    if hasattr(control, "min") and hasattr(control, "max"):
        middle = control.min + (control.max - control.min) / 2
        if isinstance(control.value, int):
            middle = int(round(middle))
        return [control.max, control.min, middle, control.value]
    return []


# --------------------------------------------------------------------------- timing

def time_widget(widget: Widget, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds of every move, ``repeats`` rounds: the whole update, and its computations."""
    totals, pures = [], []
    for _ in range(repeats):
        for control in _controls(widget.box):
            for value in _moves(control):
                if value == control.value:
                    continue
                before = control.value
                _redraws.clear()
                clock.reset()
                start = time.perf_counter()
                control.value = value   # the redraw runs here, synchronously
                elapsed = time.perf_counter() - start
                if control.value == before:   # clipped back to where it was: nothing redrawn
                    continue
                totals.append(elapsed)
                pures.append(clock.seconds)
                for known, seen in ((widget.figures, _redraws),
                                    (widget.computations, clock.called)):
                    known.extend(item for item in seen if item not in known)
    return totals, pures


def _cell(times_ms: list[float]) -> str:
    median, spread = median_and_range(times_ms)
    return f"{median:.1f} ({spread})"


def _verdict(times_ms: list[float]) -> str:
    if max(times_ms) < GOAL_MS:
        return "yes"
    return "median only" if statistics.median(times_ms) < GOAL_MS else "no"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, metavar="R")
    parser.add_argument("--fast", action="store_true", help="the notebooks in fast mode")
    args = parser.parse_args(argv)
    if args.fast:
        os.environ["COURSE_FAST"] = "1"
    rows = []
    with recording():
        for path in course_notebooks():
            for widget in notebook_widgets(path):
                totals, pures = time_widget(widget, args.repeats)
                if not totals:
                    continue
                total = [t * 1000 for t in totals]
                pure = [t * 1000 for t in pures]
                drawing = [t - p for t, p in zip(total, pure, strict=True)]
                label = ", ".join(widget.computations) or "none: it only draws"
                rows.append((widget.label, label, bool(widget.computations), pure, drawing, total))
                print(f"{widget.label}: pure function {statistics.median(pure):.1f} ms, "
                      f"whole update {statistics.median(total):.1f} ms (medians)",
                      file=sys.stderr, flush=True)
    print(f"One widget update per control move, on {machine()}, Python "
          f"{platform.python_version()}; notebooks in {'fast' if args.fast else 'full'} mode, "
          f"{args.repeats} rounds of moves. Pure function: the time the update spent inside "
          f"the computations it called; drawing: the rest of the update (the figure and its "
          f"PNG). Median (min-max) over the moves, in ms.\n")
    print("| widget (figure function) | computations called | moves | pure function (ms) "
          "| drawing (ms) | whole update (ms) | pure under 100 ms | update under 100 ms |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    for name, label, computes, pure, drawing, total in rows:
        pure_cell, pure_verdict = ((_cell(pure), _verdict(pure)) if computes
                                   else ("-", "nothing to compute"))
        print(f"| {name} | {label} | {len(total)} | {pure_cell} | {_cell(drawing)} "
              f"| {_cell(total)} | {pure_verdict} | {_verdict(total)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
