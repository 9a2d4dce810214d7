"""Preloaded into a test's Dask scheduler (``dask scheduler --preload <this file>``).

The scheduler then cannot import ``autograder``, as a scheduler started from
another environment, without the course installed, cannot: every task the
grader sends fails to load there.
"""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder


class _NoGrader(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "autograder" or name.startswith("autograder."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoGrader())
