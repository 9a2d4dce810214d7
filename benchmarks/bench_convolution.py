"""Time notebook 01's loop convolution against its vectorised one, at several sizes.

Usage: python benchmarks/bench_convolution.py
Both functions are taken from the solution notebook itself, so the numbers are
those of the code students run. Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path

import nbformat
import numpy as np

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


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    f = load_functions()
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, Python {platform.python_version()}, {platform.machine()}\n")
    print("| x (N, C, H, W) | w (F, C, K, K) | loops (ms) | vectorised (ms) | speed-up |")
    print("|---|---|---:|---:|---:|")
    for x_shape, w_shape in [((2, 3, 16, 16), (8, 3, 3, 3)), ((8, 3, 32, 32), (16, 3, 3, 3)),
                             ((4, 16, 32, 32), (32, 16, 3, 3)), ((4, 3, 64, 64), (16, 3, 5, 5))]:
        x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
        b = rng.standard_normal(w_shape[0])
        naive = best_of(lambda x=x, w=w, b=b: f["conv2d_naive"](x, w, b, pad=1), 2)
        fast = best_of(lambda x=x, w=w, b=b: f["conv2d_fast"](x, w, b, pad=1), 5)
        assert np.allclose(f["conv2d_naive"](x, w, b, pad=1), f["conv2d_fast"](x, w, b, pad=1))
        print(f"| {x_shape} | {w_shape} | {1e3 * naive:.1f} | {1e3 * fast:.2f} "
              f"| {naive / fast:.0f}x |")


if __name__ == "__main__":
    main()
