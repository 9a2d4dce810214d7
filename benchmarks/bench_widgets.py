"""How long one widget update takes, split into the widget's pure function and its drawing.

Usage: python benchmarks/bench_widgets.py [--repeats 5] [--fast]

Every solution notebook is executed in this process, cell by cell, as a student
runs it (full size; ``--fast`` for the course's fast mode). Each widget the
notebook builds through ``helpers.widgets`` is kept, with the solution's
functions and the notebook's own data bound in, and named by the function that
built it and the figure function its redraws call. Then each of its controls is
moved to other values (a slider to its ends and middle, a dropdown or toggle
through its options) and every move is timed twice:

- the whole update, from the assignment of the value to the new figure's PNG:
  what a move costs in the kernel before the browser shows it;
- the widget's pure function alone (:data:`PURE`): the computation the figure
  function makes to get the data it draws, called again, without matplotlib,
  with the arguments the figure function was given by that update.

The drawing (the figure and its PNG) is the difference. The goal: the pure
function under 100 ms per update. Prints a Markdown table: per widget, the
median and range over all moves of ``--repeats`` rounds.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
from machine import machine, median_and_range  # noqa: E402

import helpers.widgets as course_widgets  # noqa: E402
from helpers import models  # noqa: E402
from helpers.widgets import attention, embeddings, lstm, resnet, rnn  # noqa: E402
from helpers.widgets import convolution as conv  # noqa: E402
from tests.notebooks.cells import course_notebooks  # noqa: E402

GOAL_MS = 100


# --------------------------------------------------------------------------- pure functions
# Each takes the arguments of one call of a figure function and makes the calls
# that figure function makes before it draws, with the same arguments.

def _sliding_window(a):
    try:
        a["output_size"](a["n"], a["k"], a["p"], a["s"], a["d"])
    except ValueError:   # a kernel that does not fit: the figure draws no taps
        return
    conv.window_taps(a["row"], a["col"], a["k"], a["s"], a["d"])


def _kernel_playground(a):
    a["convolve"](np.asarray(a["image"], dtype=float), np.asarray(a["kernel"], dtype=float))


def _gradient_flow(a):
    for residual in (False, True):
        resnet.gradient_norms(a["depth"], a["weight_scale"], a["activation"], residual,
                              width=a["width"], seed=a["seed"])


def _spectral_radius(a):
    for radius in (*rnn.REFERENCE_RADII, a["radius"]):
        rnn.hidden_jacobian_norms(a["steps"], radius, a["activation"], a["hidden_size"],
                                  a["input_scale"], a["seed"])


def _sampling(a):
    a["sample_fn"](a["temperature"])


def _gradient_norm(a):
    # the RNN's line (forget bias 0), the reference biases, then the slider's
    for bias in (0.0, *lstm.REFERENCE_FORGET_BIASES, a["forget_bias"]):
        lstm.gradient_norms_through_time(a["steps"], bias, a["hidden_size"], a["seed"])


def _softmax(a):
    attention.tempered_softmax(np.asarray(a["scores"], dtype=float), a["temperature"],
                               a["masked"])


def _patch_attention(a):
    attention.patch_attention(np.asarray(a["image"], dtype=float), a["query"], a["patch"],
                              a["temperature"], a["normalise"])


def _neighbours(a):
    embeddings.neighbours(a["E"], a["words"], a["query"], a["similarity"], a["k"],
                          exclude=(a["query"],))


def _analogy(a):
    E, words = np.asarray(a["E"], dtype=float), list(a["words"])
    target = E[words.index(a["b"])] - E[words.index(a["a"])] + E[words.index(a["c"])]
    found = embeddings.neighbours(E, words, target, a["similarity"], a["k"],
                                  exclude=(a["a"], a["b"], a["c"]))
    shown = [a["a"], a["b"], a["c"], found[0][0] if found else a["c"]]
    shown += [word for word, _ in found[1:]]
    embeddings.pca_2d(E[[words.index(word) for word in shown]])


def _vocabulary_map(a):
    embeddings.pca_2d(a["E"])


def _class_visualisation(a):
    image = a["maximise"](a["model"], int(a["target"]), steps=int(a["steps"]), lr=a["lr"],
                          l2=a["l2"], tv=a["tv"], jitter=int(a["jitter"]), seed=a["seed"])
    models.logits(a["model"], np.asarray(image, dtype=float)[None])


@dataclass(frozen=True)
class Pure:
    """What a widget computes on every update (``run`` is None: nothing, it only draws)."""

    label: str
    run: Callable[[dict], object] | None


# Figure function (or, for the text widget, its builder) -> its pure function.
PURE = {
    "sliding_window_figure": Pure("conv_output_size (notebook), window_taps", _sliding_window),
    "kernel_playground_figure": Pure("convolve_image (notebook)", _kernel_playground),
    "gradient_flow_figure": Pure("gradient_norms x2", _gradient_flow),
    "spectral_radius_figure": Pure("hidden_jacobian_norms x4", _spectral_radius),
    "sampling_explorer": Pure("sample_text (notebook), 300 characters", _sampling),
    "gradient_norm_figure": Pure("gradient_norms_through_time x5", _gradient_norm),
    "gate_inspector_figure": Pure("none: gates recorded once, by record_gates", None),
    "softmax_figure": Pure("tempered_softmax", _softmax),
    "attention_step_figure": Pure("none: the notebook's weights, computed once", None),
    "patch_attention_figure": Pure("patch_attention", _patch_attention),
    "neighbours_figure": Pure("neighbours", _neighbours),
    "analogy_figure": Pure("neighbours, pca_2d", _analogy),
    "vocabulary_map_figure": Pure("pca_2d", _vocabulary_map),
    "class_visualisation_figure": Pure(
        "activation_maximization (notebook), models.logits", _class_visualisation),
}


# --------------------------------------------------------------------------- the notebooks' widgets

@dataclass
class Widget:
    """A widget a notebook built: the ``helpers.widgets`` function that built it, and how."""

    notebook: str
    builder: str
    arguments: dict
    box: widgets.Box
    figures: list[str] = field(default_factory=list)   # what its redraws called

    @property
    def label(self) -> str:
        drawn = ", ".join(self.figures) or "text, no figure"
        return f"{self.notebook} {self.builder} ({drawn})"


_redraws: list[tuple[str, dict]] = []   # figure-function calls of the current move
_built: list[tuple[str, dict, widgets.Box]] = []   # widgets built, in order


def _arguments(signature: inspect.Signature, args, kwargs) -> dict:
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _recording_figure(name: str, function):
    signature = inspect.signature(function)

    @functools.wraps(function)
    def figure(*args, **kwargs):
        _redraws.append((name, _arguments(signature, args, kwargs)))
        return function(*args, **kwargs)

    return figure


def _recording_builder(name: str, function):
    signature = inspect.signature(function)

    @functools.wraps(function)
    def builder(*args, **kwargs):
        built = function(*args, **kwargs)
        if isinstance(built, widgets.Box):
            _built.append((name, _arguments(signature, args, kwargs), built))
        return built

    return builder


@contextlib.contextmanager
def recording():
    """Record which widgets ``helpers.widgets`` builds and which figure function each redraw calls.

    The figure functions are replaced in their own modules, before any widget is
    built, because a wrapper keeps the function it was given; every public
    function is replaced in the package, where the notebooks call it.
    """
    replaced = []
    for name in course_widgets.__all__:
        function = getattr(course_widgets, name)
        if not inspect.isfunction(function):
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
    return [Widget(path.parent.name[:2], name, arguments, box)
            for name, arguments, box in _built[first:]]


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

def _pure(figure: str) -> Pure:
    try:
        return PURE[figure]
    except KeyError:
        raise KeyError(f"{figure} has no entry in PURE: say what it computes before it draws"
                       ) from None


def time_widget(widget: Widget, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds of every move, ``repeats`` rounds: the whole update, and the pure function alone."""
    totals, pures = [], []
    for _ in range(repeats):
        for control in _controls(widget.box):
            for value in _moves(control):
                if value == control.value:
                    continue
                before = control.value
                _redraws.clear()
                start = time.perf_counter()
                control.value = value   # the redraw runs here, synchronously
                elapsed = time.perf_counter() - start
                if control.value == before:   # clipped back to where it was: nothing redrawn
                    continue
                totals.append(elapsed)
                calls = list(_redraws)
                for figure, _ in calls:
                    if figure not in widget.figures:
                        widget.figures.append(figure)
                if not calls and widget.builder == "sampling_explorer":
                    # no figure: the redraw is the notebook's sampler at the slider's value
                    calls = [(widget.builder, {**widget.arguments, "temperature": control.value})]
                start = time.perf_counter()
                for figure, arguments in calls:
                    run = _pure(figure).run
                    if run is not None:
                        run(arguments)
                pures.append(time.perf_counter() - start)
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
                computes = any(_pure(f).run is not None
                               for f in widget.figures or [widget.builder])
                label = "; ".join(_pure(f).label for f in widget.figures or [widget.builder])
                rows.append((widget.label, label, computes, pure, drawing, total))
                print(f"{widget.label}: pure function {statistics.median(pure):.1f} ms, "
                      f"whole update {statistics.median(total):.1f} ms (medians)",
                      file=sys.stderr, flush=True)
    print(f"One widget update per control move, on {machine()}, Python "
          f"{platform.python_version()}; notebooks in {'fast' if args.fast else 'full'} mode, "
          f"{args.repeats} rounds of moves. Pure function: the widget's computation called "
          f"alone with the update's arguments; drawing: the rest of the update (the figure "
          f"and its PNG). Median (min-max) over the moves, in ms.\n")
    print("| widget (figure function) | pure function | moves | pure function (ms) "
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
