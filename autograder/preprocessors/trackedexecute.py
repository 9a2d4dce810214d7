"""nbgrader's Execute that remembers which cell it was running.

When a kernel dies, nbclient raises and nbgrader logs a traceback that names
no cell; the grader reads :attr:`TrackedExecute.current_cell` instead to tell
the student where their notebook stopped.
"""

from __future__ import annotations

from nbgrader.preprocessors import Execute
from traitlets import Integer

__all__ = ["TrackedExecute"]


class TrackedExecute(Execute):
    """Execute cells like nbgrader, recording the index of the cell being run."""

    current_cell = Integer(
        -1, help="Index (0-based) of the cell being executed, -1 before the first."
    )

    def preprocess_cell(self, cell, resources, index):
        self.current_cell = index
        return super().preprocess_cell(cell, resources, index)
