"""Time notebook 01's loop convolution against its vectorised one, at several sizes.

Usage: python benchmarks/bench_convolution.py [--repeats 5]
Both functions are taken from the solution notebook itself, so the numbers are
those of the code students run. Each is timed ``--repeats`` times at each size
(the vectorised one four times as often); the table gives the median and range
of each, and the speed-up as the ratio of the two medians of this run. Prints a
Markdown table for BENCHMARKS.md, headed by the CPU and numpy's BLAS kernel.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import nbformat
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine, median_and_range  # noqa: E402

NOTEBOOK = (Path(__file__).resolve().parents[1]
            / "solutions/01_convolution_arithmetic/convolution_arithmetic.ipynb")


def load_functions() -> dict:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    namespace: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and ("def conv2d_naive" in cell.source
                                         or "def conv2d_fast" in cell.source):
            exec(cell.source, {"np": np} | namespace, namespace)  # noqa: S102
    return namespace


def times_ms(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(1e3 * (time.perf_counter() - start))
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, metavar="R")
    args = parser.parse_args(argv)
    f = load_functions()
    rng = np.random.default_rng(0)
    print(f"On {machine()}, numpy {np.__version__}, Python {platform.python_version()}; "
          f"median (min-max) of {args.repeats} runs (loops) and {4 * args.repeats} "
          "(vectorised), in ms.\n")
    print("| x (N, C, H, W) | w (F, C, K, K) | loops (ms) | vectorised (ms) "
          "| speed-up (ratio of medians) |")
    print("|---|---|---:|---:|---:|")
    for x_shape, w_shape in [((2, 3, 16, 16), (8, 3, 3, 3)), ((8, 3, 32, 32), (16, 3, 3, 3)),
                             ((4, 16, 32, 32), (32, 16, 3, 3)), ((4, 3, 64, 64), (16, 3, 5, 5))]:
        x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
        b = rng.standard_normal(w_shape[0])
        assert np.allclose(f["conv2d_naive"](x, w, b, pad=1), f["conv2d_fast"](x, w, b, pad=1))
        naive = times_ms(lambda x=x, w=w, b=b: f["conv2d_naive"](x, w, b, pad=1), args.repeats)
        fast = times_ms(lambda x=x, w=w, b=b: f["conv2d_fast"](x, w, b, pad=1), 4 * args.repeats)
        (slow_median, slow_range), (fast_median, fast_range) = (
            median_and_range(naive), median_and_range(fast, digits=2))
        print(f"| {x_shape} | {w_shape} | {slow_median:.1f} ({slow_range}) "
              f"| {fast_median:.2f} ({fast_range}) | {slow_median / fast_median:.0f}x |")


if __name__ == "__main__":
    main()
