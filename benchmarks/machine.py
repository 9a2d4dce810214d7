"""What a benchmark ran on: the CPU model and the BLAS library and kernel numpy uses.

A timing means little without it: OpenBLAS picks a kernel per CPU (SkylakeX,
Haswell, Prescott, ...), and the same script runs at different speeds under each.
"""

from __future__ import annotations

import os
import platform
import statistics

__all__ = ["machine", "median_and_range"]


def machine() -> str:
    """The CPU model and the BLAS library and kernel numpy uses here."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle
                          if line.startswith("model name")), model)
    except OSError:
        pass
    blas = "unknown BLAS"
    try:
        import numpy  # threadpoolctl sees only the libraries already loaded
        from threadpoolctl import threadpool_info

        # SciPy and others may load a BLAS of their own: name numpy's, the one shipped in
        # (or next to) numpy's package folder, and the first one loaded when none is.
        found = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        home = os.path.dirname(numpy.__file__)
        info = next((i for i in found if str(i.get("filepath", "")).startswith(home)),
                    found[0] if found else None)
        if info:
            blas = f"{info.get('internal_api')} {info.get('version')} ({info.get('architecture')})"
    except ImportError:
        pass
    return f"{model}, {os.cpu_count()} cores, {blas}"


def median_and_range(times: list[float], digits: int = 1) -> tuple[float, str]:
    """The median of ``times`` and their range as text, to ``digits`` ("-" for a single run)."""
    spread = f"{min(times):.{digits}f}-{max(times):.{digits}f}" if len(times) > 1 else "-"
    return statistics.median(times), spread
