"""Guard the graded cells: mark them before execution, verify them after.

:class:`MarkGradedCells` runs before nbgrader's Execute. It strips the tags
that would make a graded cell skip or tolerate errors, ends every graded test
cell with a line printing ``AUTOGRADER-DONE <nonce> <grade_id>``, and adds
integrity cells (a fingerprint of numpy, ``helpers``, builtins and IPython's
transformers, see :mod:`autograder.integrity`) at the start, after every graded
test cell and at the end.

:class:`VerifyGradedCells` runs after Execute. A test cell whose marker is
missing without an error did not run to its end (a transformer blanked it, or
it was cut short) and gets an error, so nbgrader scores it 0. Markers,
``execute_result`` outputs and integrity cells are removed, stderr is moved to
stdout (nbgrader would score any stderr as a failure), and what the
fingerprints show lands in ``resources["autograder"]["tampering"]``.
"""

from __future__ import annotations

import json

from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, TraitError, Unicode, validate

from ..cellmeta import is_test_cell, nbgrader_meta
from ..integrity import FINGERPRINT_CODE, compare, parse_fingerprint

__all__ = ["MarkGradedCells", "VerifyGradedCells", "DONE_PREFIX", "is_integrity_cell"]

DONE_PREFIX = "AUTOGRADER-DONE"
GRADING_ERROR = "GradingError"
NOT_FINISHED = "the test cell did not run to its end"




def is_integrity_cell(cell) -> bool:
    """True for a cell :class:`MarkGradedCells` added to take a fingerprint."""
    return bool(cell.metadata.get("autograder", {}).get("integrity"))


def _done_line(nonce: str, grade_id: str) -> str:
    return f"print({json.dumps(f'{DONE_PREFIX} {nonce} {grade_id}')})"


def _check_nonce(proposal):
    nonce = proposal["value"]
    if not nonce or not nonce.isalnum():
        raise TraitError(f"expected a non-empty alphanumeric nonce, got {nonce!r}")
    return nonce


class MarkGradedCells(NbGraderPreprocessor):
    """Make graded cells run in full, end test cells with a marker, add integrity cells."""

    nonce = Unicode(
        "", help="Secret, per-run token printed at the end of every graded test cell; "
                 "student code cannot know it in advance."
    )

    fingerprint_every_test = Bool(
        True, help="Take a fingerprint after every graded test cell (tests run in the "
                   "kernel); with the judge, the start and the end suffice."
    )

    @validate("nonce")
    def _valid_nonce(self, proposal):
        return _check_nonce(proposal)

    @staticmethod
    def integrity_cell(baseline: bool = False):
        """A code cell that prints a fingerprint of the kernel."""
        cell = new_code_cell(FINGERPRINT_CODE)
        cell.metadata["autograder"] = {"integrity": True, "baseline": baseline}
        return cell

    def preprocess(self, nb, resources):
        if not self.nonce:
            raise ValueError("MarkGradedCells needs a nonce")
        cells = [self.integrity_cell(baseline=True)]
        for cell in nb.cells:
            meta = nbgrader_meta(cell)
            if meta.get("grade") or meta.get("solution"):
                # Tags (skip-execution, raises-exception, ...) and hidden-ness are the
                # student's to set on their own cells, never on graded ones.
                cell.metadata.pop("tags", None)
                cell.metadata.pop("jupyter", None)
            cells.append(cell)
            if is_test_cell(cell):
                source = cell.source.rstrip("\n")
                cell.source = source + "\n" + _done_line(self.nonce, meta.get("grade_id", ""))
                if self.fingerprint_every_test:
                    cells.append(self.integrity_cell())
        cells.append(self.integrity_cell())
        nb.cells = cells
        return nb, resources


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _ran(cell) -> bool:
    return cell.get("execution_count") is not None or bool(cell.get("outputs"))


class VerifyGradedCells(NbGraderPreprocessor):
    """Fail test cells that did not finish, clean their outputs, report tampering."""

    nonce = Unicode(
        "", help="The nonce MarkGradedCells used for this notebook."
    )

    @validate("nonce")
    def _valid_nonce(self, proposal):
        return _check_nonce(proposal)

    def _verify_test_cell(self, cell) -> bool:
        """Clean one test cell; return False when it ran but stopped silently."""
        grade_id = nbgrader_meta(cell).get("grade_id", "")
        ran = _ran(cell)
        line = _done_line(self.nonce, grade_id)
        marker = f"{DONE_PREFIX} {self.nonce} {grade_id}"
        done = marker in _stdout(cell)
        source = cell.source
        if source.endswith("\n" + line):
            cell.source = source[:-len(line) - 1]
        else:
            cell.source = source.replace(line, "")
        outputs = []
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "execute_result":
                continue  # nbgrader would read a number there as partial credit
            if kind == "stream":
                text = output.get("text", "").replace(marker + "\n", "").replace(marker, "")
                if output.get("name") == "stderr":
                    text = "".join("(stderr) " + part if part.strip() else part
                                   for part in text.splitlines(keepends=True))
                    output = new_output("stream", name="stdout", text=text)
                output["text"] = text
                if not text:
                    continue
            outputs.append(output)
        errored = any(o.get("output_type") == "error" for o in outputs)
        if ran and not done and not errored:
            outputs.append(new_output("error", ename=GRADING_ERROR, evalue=NOT_FINISHED,
                                      traceback=[f"{GRADING_ERROR}: {NOT_FINISHED}"]))
        cell.outputs = outputs
        return done or errored or not ran

    def preprocess(self, nb, resources):
        if not self.nonce:
            raise ValueError("VerifyGradedCells needs a nonce")
        state = resources.setdefault("autograder", {})
        launched = state.get("baseline")
        start = None
        checks = []
        silent = []
        kept = []
        for cell in nb.cells:
            if is_integrity_cell(cell):
                if _ran(cell):
                    found = parse_fingerprint(_stdout(cell))
                    if cell.metadata["autograder"].get("baseline") and start is None:
                        start = found
                    else:
                        checks.append(found)
                continue
            if is_test_cell(cell) and not self._verify_test_cell(cell):
                silent.append(nbgrader_meta(cell).get("grade_id", ""))
            kept.append(cell)
        nb.cells = kept

        reasons: list[str] = []
        # The launcher's baseline predates any cell; the first cell's sees IPython's
        # per-execution state (displayhook, input) as later cells do. Use both.
        if isinstance(launched, dict):
            for found in ([start] if start is not None else []) + checks:
                reasons += compare(launched, found)
        if start is not None:
            for found in checks:
                reasons += compare(start, found)
        for grade_id in silent:
            reasons.append(f"the test cell {grade_id} stopped before its end without an error")
        state["tampering"] = list(dict.fromkeys(reasons))
        return nb, resources
