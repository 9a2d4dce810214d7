"""nbgrader preprocessors of our own, one per module.

- :class:`TrackedExecute`: nbgrader's Execute, remembering the running cell.
- :class:`SandboxExecute`: plus an output budget and a whole-notebook deadline.
- :class:`DropEmptyMetadata`: repairs what nbgrader's DeduplicateIds leaves.
- :class:`RestoreGradedCells`: OverwriteCells that survives stripped metadata.
- :mod:`.guard`: marks graded cells before execution and verifies them after.

The grader sets their options when it creates them, per submission; none is
read from an ``nbgrader_config.py``, so none is declared configurable.
"""

from .restorecells import RestoreGradedCells
from .sandboxexecute import SandboxExecute
from .sanitize import DropEmptyMetadata
from .trackedexecute import TrackedExecute

__all__ = ["DropEmptyMetadata", "RestoreGradedCells", "SandboxExecute", "TrackedExecute"]
