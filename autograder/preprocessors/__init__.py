"""nbgrader preprocessors of our own, one per module."""

from .trackedexecute import TrackedExecute

__all__ = ["TrackedExecute"]
