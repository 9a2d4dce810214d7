"""What nbgrader's markup says about a cell, and which release a notebook is a copy of.

Every module of the grader reads a cell's ``metadata.nbgrader`` through here,
so a student's notebook whose metadata is missing, ``null`` or not a mapping
reads as "no markup" everywhere, never as a crash in one place and as markup in
another. :func:`closest_release` is the one rule by which ``check`` finds the
release a student's file was copied from and ``collect`` recognises a hand-in
whatever it was renamed to.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["nbgrader_meta", "grade_id", "is_solution_cell", "is_test_cell", "graded_ids",
           "cell_texts", "likeness", "closest_release", "MATCH", "MARGIN"]

#: Share of a release's graded cells (or, with the markup stripped, of its cells'
#: text) that a notebook must hold to be recognised as a copy of that release.
MATCH = 0.5
#: How far the best release must lead the next one for the match to be certain.
MARGIN = 0.2


def nbgrader_meta(cell) -> Mapping:
    """A cell's ``metadata.nbgrader``; an empty mapping when absent or malformed."""
    metadata = cell.get("metadata") if isinstance(cell, Mapping) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, Mapping) else None
    return meta if isinstance(meta, Mapping) else {}


def grade_id(cell) -> str | None:
    """The cell's nbgrader ``grade_id``, or None when it has none (or a non-text one)."""
    value = nbgrader_meta(cell).get("grade_id")
    return value if isinstance(value, str) and value else None


def is_solution_cell(cell) -> bool:
    """An answer cell: nbgrader's ``solution`` flag."""
    return bool(nbgrader_meta(cell).get("solution"))


def is_test_cell(cell) -> bool:
    """A graded test cell: a code cell with nbgrader's ``grade`` and not ``solution``."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def graded_ids(nb) -> set[str]:
    """The grade_ids of a notebook's cells."""
    return {name for name in map(grade_id, nb.get("cells") or []) if name}


def cell_texts(nb) -> set[str]:
    """The non-empty sources of a notebook's cells, whitespace normalised."""
    texts = set()
    for cell in nb.get("cells") or []:
        source = cell.get("source", "") if isinstance(cell, Mapping) else ""
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str) and source.strip():
            texts.add(" ".join(source.split()))
    return texts


def likeness(nb, release) -> float:
    """How much of ``release`` the notebook ``nb`` holds, from 0 to 1.

    The share of the release's grade_ids found in ``nb`` or, when that is
    higher (a notebook whose markup was stripped), the share of its cells' text.
    """
    ids, texts = graded_ids(release), cell_texts(release)
    by_ids = len(ids & graded_ids(nb)) / len(ids) if ids else 0.0
    by_text = len(texts & cell_texts(nb)) / len(texts) if texts else 0.0
    return max(by_ids, by_text)


def closest_release(nb, releases: Mapping) -> tuple[object | None, float]:
    """The key of the release ``nb`` is a copy of, and its :func:`likeness`.

    ``releases`` maps any key (a path, an assignment) to a release notebook.
    The key is None unless the best release is held at least :data:`MATCH`
    and leads every other by :data:`MARGIN`.
    """
    scores = sorted(((likeness(nb, release), index, key)
                     for index, (key, release) in enumerate(releases.items())),
                    key=lambda s: (-s[0], s[1]))
    if not scores:
        return None, 0.0
    best, _, key = scores[0]
    if best >= MATCH and (len(scores) == 1 or scores[1][0] < best - MARGIN):
        return key, best
    return None, best
