"""Find the submissions of a class and check that each is a readable notebook.

A class folder is laid out ``SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb``.
:func:`find_submissions` lists every student-and-assignment folder found;
:func:`stage_submission` copies one into nbgrader's ``submitted/`` tree and
says, in words a student understands, what is wrong with it (if anything).
The instructor's folder is only ever read.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .errors import SubmissionsError

__all__ = ["Submission", "Staged", "find_submissions", "notebook_problem", "stage_submission"]

_IGNORED = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", ".*")


@dataclass(frozen=True, order=True)
class Submission:
    """One student's folder for one assignment."""

    student_id: str
    assignment: str
    path: Path = field(compare=False)


@dataclass
class Staged:
    """A submission copied into ``submitted/``: which notebooks can be graded, and problems."""

    notebooks: list[str]
    problems: list[str]


def find_submissions(folder: str | os.PathLike) -> list[Submission]:
    """Every ``<student_id>/<assignment>/`` folder under ``folder``, sorted.

    Raises
    ------
    SubmissionsError
        When ``folder`` does not exist, is not a folder, or holds no submission.
    """
    root = Path(folder)
    if not root.exists():
        raise SubmissionsError(f"the submissions folder {root} does not exist")
    if not root.is_dir():
        raise SubmissionsError(f"{root} is not a folder of submissions")
    found = []
    for student in sorted(root.iterdir()):
        if not student.is_dir() or student.name.startswith((".", "_")):
            continue
        for assignment in sorted(student.iterdir()):
            if assignment.is_dir() and not assignment.name.startswith("."):
                found.append(Submission(student.name, assignment.name, assignment))
    if not found:
        raise SubmissionsError(
            f"{root} holds no submissions; expected <student_id>/<assignment>/<notebook>.ipynb")
    return sorted(found)


def notebook_problem(path: str | os.PathLike) -> str | None:
    """Why the file at ``path`` is not a gradable notebook, or None when it is.

    The answer is a phrase for a student, e.g. ``"the file is empty"``.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError:
        return "the file cannot be read"
    if not raw.strip():
        return "the file is empty"
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "the file is not valid notebook JSON"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return "the file is not valid notebook JSON"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except (nbformat.ValidationError, ValueError, KeyError, TypeError, AttributeError):
        return "the file is not valid notebook JSON"
    return None


def stage_submission(submission: Submission, submitted_root: str | os.PathLike,
                     expected: list[str]) -> Staged:
    """Copy a submission to ``submitted_root/<student>/<assignment>`` and check its notebooks.

    Parameters
    ----------
    submission : Submission
        The folder to copy (never modified).
    submitted_root : path
        nbgrader's ``submitted/`` folder.
    expected : list of str
        Notebook names (without ``.ipynb``) of the assignment's source.

    Returns
    -------
    Staged
        The notebooks left in the copy for nbgrader to grade (unreadable ones
        are removed from the copy), and one phrase per problem found.
    """
    dest = Path(submitted_root) / submission.student_id / submission.assignment
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(submission.path, dest, ignore=_IGNORED, symlinks=False)
    present = sorted(p.stem for p in dest.glob("*.ipynb") if p.is_file())
    if not present:
        return Staged([], ["the folder holds no notebook"])
    # A single notebook under another name (a renamed download) is still the answer.
    if len(expected) == 1 and len(present) == 1 and present != expected:
        (dest / f"{present[0]}.ipynb").rename(dest / f"{expected[0]}.ipynb")
        present = list(expected)
    problems: list[str] = []
    gradable: list[str] = []
    for name in expected:
        path = dest / f"{name}.ipynb"
        if name not in present:
            problems.append(f"the notebook {name}.ipynb is missing")
            continue
        problem = notebook_problem(path)
        if problem is None:
            gradable.append(name)
        else:
            path.unlink()
            problems.append(problem if len(expected) == 1 else f"{name}.ipynb: {problem}")
    return Staged(gradable, problems)
