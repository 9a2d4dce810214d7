"""Settings shared by the whole test suite (pytest loads this file first).

Kernels started by the tests (nbval, nbclient, nbgrader) inherit this
environment: figures are drawn off screen, so no test needs a display.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
