"""Release: turn ``solutions/<assignment>`` into the student version with nbgrader.

``python -m autograder release`` runs nbgrader's ``GenerateAssignment``
converter (solutions become stubs, hidden tests vanish) with a throwaway
gradebook, and normalises the output so that two releases are byte-identical.
:func:`record_assignment` runs the same converter into a real gradebook, which
is how ``grade`` records the source cells it later restores.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.converters import GenerateAssignment

from .course import (
    RELEASE_DIR,
    ensure_alembic_on_path,
    make_coursedir,
    resolve_assignments,
    solutions_dir,
)
from .errors import NbgraderError
from .nbgrader_run import last_error_line, run_converter

__all__ = ["release_assignment", "release_course", "record_assignment", "normalise_notebook"]


def record_assignment(course_root: str | os.PathLike, assignment: str,
                      work_root: str | os.PathLike, release_root: str | os.PathLike,
                      db_url: str) -> Path:
    """Run nbgrader generate_assignment for one assignment into a gradebook.

    Parameters
    ----------
    course_root : path
        Course folder holding ``solutions/``.
    assignment : str
        Name of a folder of ``solutions/``.
    work_root : path
        nbgrader's root for this run.
    release_root : path
        Folder that receives ``<assignment>/`` with the student version.
    db_url : str
        Gradebook URL; the assignment and its source cells are recorded there.

    Returns
    -------
    Path
        The folder holding the released files of the assignment.

    Raises
    ------
    NbgraderError
        When nbgrader could not generate the assignment.
    """
    resolve_assignments(course_root, [assignment])
    ensure_alembic_on_path()
    coursedir = make_coursedir(work_root, source=solutions_dir(course_root),
                               release=release_root, db_url=db_url)
    coursedir.assignment_id = assignment
    converter = GenerateAssignment(coursedir=coursedir)
    converter.force = True
    converter.create_assignment = True
    result = run_converter(converter)
    if not result.success:
        raise NbgraderError(f"nbgrader could not release {assignment}: {last_error_line(result)}")
    return Path(release_root) / assignment


def normalise_notebook(path: str | os.PathLike) -> None:
    """Rewrite a released notebook so that it depends only on its source.

    Cells without an id get one derived from their position (nbformat would
    otherwise invent random ids), and the file is written in nbformat's
    canonical layout with a final newline.
    """
    nb = nbformat.read(str(path), as_version=4)
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        cell_id = cell.get("id")
        if not cell_id or cell_id in seen:
            cell_id = f"cell-{index}"
            cell["id"] = cell_id
        seen.add(cell_id)
    if nb.nbformat_minor < 5:
        nb.nbformat_minor = 5
    text = nbformat.writes(nb, version=4)
    Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def release_assignment(course_root: str | os.PathLike, assignment: str,
                       dest_dir: str | os.PathLike) -> list[Path]:
    """Release one assignment into ``dest_dir``, replacing what was there.

    Parameters
    ----------
    course_root : path
        Course folder holding ``solutions/<assignment>/``.
    assignment : str
        The assignment, e.g. ``"01_convolution_arithmetic"``.
    dest_dir : path
        The folder that becomes the student version of the assignment (for
        the course itself ``notebooks/<assignment>``); its old content is
        removed. No gradebook is left anywhere.

    Returns
    -------
    list of Path
        The files written, sorted.

    Raises
    ------
    UnknownAssignmentError
        When ``assignment`` is not a folder of ``solutions/``.
    NbgraderError
        When nbgrader fails on the source notebook.

    Examples
    --------
    >>> release_assignment(".", "01_convolution_arithmetic", "/tmp/rel")  # doctest: +SKIP
    [PosixPath('/tmp/rel/convolution_arithmetic.ipynb')]
    """
    dest = Path(dest_dir).resolve()
    source = (solutions_dir(course_root) / assignment).resolve()
    if dest == source or source in dest.parents:
        raise NbgraderError(f"refusing to release {assignment} into its own source folder {dest}")
    with tempfile.TemporaryDirectory(prefix="autograder-release-") as tmp:
        work = Path(tmp)
        released = record_assignment(course_root, assignment, work, work / "release",
                                     f"sqlite:///{work / 'gradebook.db'}")
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(released, dest)
    written = sorted(p for p in dest.rglob("*") if p.is_file())
    for path in written:
        if path.suffix == ".ipynb":
            normalise_notebook(path)
        os.chmod(path, 0o644)
    return written


def release_course(course_root: str | os.PathLike,
                   assignments: list[str] | None = None) -> list[Path]:
    """Release the named assignments (all by default) into ``course_root/notebooks/``."""
    names = resolve_assignments(course_root, assignments)
    written: list[Path] = []
    for name in names:
        written += release_assignment(course_root, name, Path(course_root) / RELEASE_DIR / name)
    return written
