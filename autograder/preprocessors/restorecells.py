"""Restore a submission's graded cells from the source, whatever the student did to them.

nbgrader's ``OverwriteCells`` restores the cells it can still recognise by their
metadata; its ``add_missing_cells`` option puts back deleted test cells, but it
fails (``KeyError``) or puts them before the code they test when the
submission's metadata was stripped, as some editors do on save. This
preprocessor, a subclass of ``OverwriteCells``:

1. gives metadata back to cells that lost it: an unmarked cell whose code is a
   released test cell (or nearly so) becomes that test cell again, and an
   unmarked cell that defines an exercise's function (``def <grade_id>(``) or
   assigns its answer (``<grade_id> =``) becomes that solution cell;
2. gives every marked cell the source's markup back (a test cell re-tagged as
   an answer, unlocked or given other points is a test again), then lets
   nbgrader restore the sources;
3. inserts each test cell still missing right after the submission's copy of
   the source cell before it (or at the end), never before the code it tests.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from nbformat.v4 import new_code_cell
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import OverwriteCells
from traitlets import Float

from ..cellmeta import grade_id, graded_ids, nbgrader_meta

__all__ = ["RestoreGradedCells", "SourceCells"]


@dataclass(frozen=True)
class SourceCells:
    """What restoring one notebook needs of its source: plain data, sent to any worker.

    The grader reads it from the gradebook once per notebook
    (:meth:`from_gradebook`); ``check`` takes it from the released notebook
    (:meth:`from_notebook`). A worker restores from it without a database.
    """

    cells: tuple[dict, ...]  # name, source, cell_type, locked, checksum; in notebook order
    points: dict[str, float] = field(default_factory=dict)  # graded cells: their points
    solutions: frozenset[str] = frozenset()  # the cells students answer in
    kernelspec: dict | None = None

    @classmethod
    def from_gradebook(cls, db_url: str, assignment: str, notebook: str) -> SourceCells:
        with Gradebook(db_url) as gb:
            source_nb = gb.find_notebook(notebook, assignment)
            return cls(
                cells=tuple({"name": c.name, "source": c.source, "cell_type": c.cell_type,
                             "locked": c.locked, "checksum": c.checksum}
                            for c in source_nb.source_cells),
                points={c.name: c.max_score for c in source_nb.grade_cells},
                solutions=frozenset(c.name for c in source_nb.solution_cells),
                kernelspec=json.loads(source_nb.kernelspec) if source_nb.kernelspec else None)

    @classmethod
    def from_notebook(cls, reference) -> SourceCells:
        cells, points, solutions = [], {}, set()
        for cell in reference.cells:
            meta = nbgrader_meta(cell)
            if not grade_id(cell):
                continue
            cells.append({"name": meta["grade_id"], "source": cell.source,
                          "cell_type": cell.cell_type, "locked": meta.get("locked", False),
                          "checksum": meta.get("checksum")})
            if meta.get("grade"):
                points[meta["grade_id"]] = meta.get("points", 0)
            if meta.get("solution"):
                solutions.add(meta["grade_id"])
        return cls(tuple(cells), points, frozenset(solutions),
                   reference.metadata.get("kernelspec"))

    # What nbgrader's OverwriteCells asks of a gradebook, answered from these cells.
    def find_source_cell(self, name: str, notebook: str, assignment: str):
        found = next((c for c in self.cells if c["name"] == name), None)
        if found is None:
            raise MissingEntry
        return SimpleNamespace(**found)

    def find_graded_cell(self, name: str, notebook: str, assignment: str):
        if name not in self.points:
            raise MissingEntry
        return SimpleNamespace(name=name, max_score=self.points[name])

_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)


def _normalise(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


class RestoreGradedCells(OverwriteCells):
    """``OverwriteCells`` that also survives stripped metadata and deleted test cells."""

    match_ratio = Float(
        0.8, help="How similar (0..1) an unmarked cell must be to a released test cell "
                  "to be taken for it."
    )

    def preprocess(self, nb, resources):
        """nbgrader's interface: the source cells come from ``resources["nbgrader"]``'s
        gradebook (``db_url``), or from its ``source`` (:class:`SourceCells`) if given."""
        given = resources["nbgrader"]
        source = given.get("source") or SourceCells.from_gradebook(
            given["db_url"], given["assignment"], given["notebook"])
        return self.restore(nb, resources, source), resources

    def restore(self, nb, resources, source: SourceCells):
        """Restore ``nb``'s graded cells from ``source``: the three steps, no database."""
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        cells, points, solutions = list(source.cells), source.points, source.solutions
        self._reattach_metadata(nb, cells, points, solutions)
        self._reset_metadata(nb, cells, points, solutions)
        # OverwriteCells' per-cell checks, asking the source cells instead of a gradebook.
        self.gradebook = source
        nb, resources = super(OverwriteCells, self).preprocess(nb, resources)
        self._add_missing_tests(nb, cells, points, solutions)
        return nb

    def restore_from_notebook(self, nb, reference):
        """Restore ``nb``'s graded cells from another notebook (no gradebook needed).

        Used by ``check``, which compares a student's notebook with the released
        one: the same three steps, with the reference notebook's cells standing
        in for the gradebook's source cells.
        """
        given = SourceCells.from_notebook(reference)
        source, points, solutions = list(given.cells), given.points, given.solutions
        self._reattach_metadata(nb, source, points, solutions)
        self._reset_metadata(nb, source, points, solutions)
        originals = {c["name"]: c for c in source}
        for cell in nb.cells:
            name = grade_id(cell)
            if name in points and name not in solutions and name in originals:
                cell.source = originals[name]["source"]
                cell.metadata["nbgrader"] = self._metadata(originals[name], points, solutions)
        self._add_missing_tests(nb, source, points, solutions)
        return nb

    def reattach_from_notebook(self, nb, reference):
        """Step 1 alone: give cells that lost their metadata the reference's, as grading will.

        ``check`` compares the result with the release, so it warns about what
        the grader will actually find changed or missing, nothing else.
        """
        given = SourceCells.from_notebook(reference)
        self._reattach_metadata(nb, list(given.cells), given.points, given.solutions)
        return nb

    # -- step 1 -------------------------------------------------------------
    def _reattach_metadata(self, nb, source, points, solutions):
        present = graded_ids(nb)
        tests = [s for s in source if s["name"] in points and s["name"] not in solutions
                 and s["cell_type"] == "code"]
        for cell in nb.cells:
            if cell.cell_type != "code" or nbgrader_meta(cell):
                continue
            text = _normalise(cell.source)
            if not text:
                continue
            best, best_ratio = None, 0.0
            for test in tests:
                if test["name"] in present:
                    continue
                other = _normalise(_HIDDEN.sub("", test["source"]))
                # Bounded work on hostile input: lengths too different to reach the
                # threshold skip the quadratic comparison, and so do the quick bounds.
                if 2 * min(len(text), len(other)) < self.match_ratio * (len(text) + len(other)):
                    continue
                matcher = difflib.SequenceMatcher(None, text, other)
                if (matcher.real_quick_ratio() < self.match_ratio
                        or matcher.quick_ratio() < self.match_ratio):
                    continue
                ratio = matcher.ratio()
                if ratio > best_ratio:
                    best, best_ratio = test, ratio
            if best is not None and best_ratio >= self.match_ratio:
                cell.metadata["nbgrader"] = self._metadata(best, points, solutions)
                present.add(best["name"])
                continue
            for name in solutions:
                if name in present:
                    continue
                pattern = rf"^\s*(def|class)\s+{re.escape(name)}\b|^\s*{re.escape(name)}\s*="
                if re.search(pattern, cell.source, flags=re.M):
                    found = next(s for s in source if s["name"] == name)
                    cell.metadata["nbgrader"] = self._metadata(found, points, solutions)
                    present.add(name)
                    break

    # -- between steps 1 and 2 ------------------------------------------------
    def _reset_metadata(self, nb, source, points, solutions):
        """Every cell with a known grade_id gets the source's markup back, whatever the
        student made of it (a test re-tagged as an answer, unlocked, its points changed).

        nbgrader's ``OverwriteCells`` restores a test's source but not all of its
        flags, then finds the checksum inconsistent and stops the whole notebook.
        """
        originals = {c["name"]: c for c in source}
        for cell in nb.cells:
            name = grade_id(cell)
            if name in originals:
                cell.metadata["nbgrader"] = self._metadata(originals[name], points, solutions)

    @staticmethod
    def _metadata(cell, points, solutions) -> dict:
        meta = {"grade": cell["name"] in points, "grade_id": cell["name"],
                "locked": bool(cell["locked"]), "solution": cell["name"] in solutions,
                "schema_version": 3, "task": False, "checksum": cell["checksum"]}
        if cell["name"] in points:
            meta["points"] = points[cell["name"]]
        return meta

    # -- step 3 -------------------------------------------------------------
    def _add_missing_tests(self, nb, source, points, solutions):
        def position(name):
            for index, cell in enumerate(nb.cells):
                if grade_id(cell) == name:
                    return index
            return None

        for order, cell in enumerate(source):
            name = cell["name"]
            if name not in points or name in solutions or position(name) is not None:
                continue
            anchor = None
            for previous in reversed(source[:order]):
                anchor = position(previous["name"])
                if anchor is not None:
                    break
            restored = new_code_cell(
                "# This test cell was missing from the submission; the grader put it back.\n"
                + cell["source"])
            restored.metadata["nbgrader"] = self._metadata(cell, points, solutions)
            restored.metadata["nbgrader"]["checksum"] = utils.compute_checksum(restored)
            restored.metadata["deletable"] = False
            restored.metadata["editable"] = False
            nb.cells.insert(len(nb.cells) if anchor is None else anchor + 1, restored)
