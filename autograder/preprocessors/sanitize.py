"""Repairs nbgrader's own sanitizing needs before a notebook is restored and executed.

nbgrader's ``DeduplicateIds`` keeps the last copy of a duplicated graded cell
and empties the others' metadata to ``{}``, which ``CheckCellMetadata`` then
rejects as "an old version of the nbgrader metadata", failing the whole
submission. :class:`DropEmptyMetadata` removes those empty dictionaries, so a
duplicated cell is simply an ordinary cell.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

__all__ = ["DropEmptyMetadata"]


class DropEmptyMetadata(NbGraderPreprocessor):
    """Remove empty ``nbgrader`` metadata left by ``DeduplicateIds``."""

    def preprocess_cell(self, cell, resources, index):
        if "nbgrader" in cell.metadata and not cell.metadata["nbgrader"]:
            del cell.metadata["nbgrader"]
        return cell, resources
