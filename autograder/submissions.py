"""Find the submissions of a class and check that each is a readable notebook.

A class folder is laid out ``SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb``.
:func:`survey_class` lists every student-and-assignment folder found, and every notebook in none;
:func:`stage_submission` copies one into nbgrader's ``submitted/`` tree and
says, in words a student understands, what is wrong with it (if anything).
The instructor's folder is only ever read, and never trusted: a link is not
followed (a student's ``data -> /course/solutions`` or ``loop -> .`` is reported
and left out), special files such as FIFOs and devices are not opened, and the
number and size of files copied, a notebook's size and its number of cells are
capped before any of it is parsed.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .errors import SubmissionsError

__all__ = ["Submission", "Staged", "ClassSurvey", "survey_class", "class_prefix",
           "notebook_problem", "stage_submission",
           "copy_safely", "MAX_FILES", "MAX_FOLDER_MB", "MAX_NOTEBOOK_MB", "MAX_CELLS"]

# Folders no student is called: what archivers, git and Jupyter leave behind.
_NOT_STUDENTS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", ".DS_Store", ".svn"}
_SKIPPED_NAMES = {".ipynb_checkpoints", "__pycache__", ".git", ".DS_Store", "__MACOSX"}
MAX_FILES = 500            # files copied from one submission folder
MAX_FOLDER_MB = 200        # bytes copied from one submission folder, in MB
MAX_NOTEBOOK_MB = 20       # size of one notebook file, in MB
MAX_CELLS = 5000           # cells in one notebook


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


def class_prefix(entries) -> tuple[str, ...]:
    """The top folders to skip to reach the student folders: one rule for folders and zips.

    ``entries`` are ``(parts, is_dir)`` pairs, every file and folder of the
    class by its path's parts. A class whose entries all lie in one top
    folder ``T`` is *wrapped* (as exports often are) when at least one
    notebook lies at ``T/<student>/<assignment>/<name>.ipynb`` or deeper, and
    none at ``T/<x>/<name>.ipynb`` (which would make ``T`` a student and ``x``
    an assignment). The rule is applied again to what ``T`` holds, so
    ``export/class/<student>/...`` works. The one layout it misreads is a
    class of a single student whose every notebook lies in a subfolder of the
    assignment folder.
    """
    entries = [(tuple(parts), bool(is_dir)) for parts, is_dir in entries]
    prefix: tuple[str, ...] = ()
    while True:
        rest = [(parts[len(prefix):], is_dir) for parts, is_dir in entries]
        tops = {r[0] for r, _ in rest if r}
        if len(tops) != 1 or any(len(r) == 1 and not is_dir for r, is_dir in rest):
            return prefix
        depths = [len(r) for r, is_dir in rest if not is_dir and r[-1].lower().endswith(".ipynb")]
        if not any(depth >= 4 for depth in depths) or 3 in depths:
            return prefix
        prefix += (tops.pop(),)


#: Entries a class folder is read to before the grader stops looking (it never follows links).
MAX_CLASS_ENTRIES = 200_000


def _class_entries(root: Path) -> list[tuple[tuple[str, ...], bool]]:
    """(parts, is_dir) of everything under ``root`` that counts, links never followed."""
    entries = []
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_NAMES
                             and not os.path.islink(os.path.join(folder, d)))
        base = Path(folder).relative_to(root).parts
        entries += [(base + (d,), True) for d in dirnames]
        entries += [(base + (f,), False) for f in sorted(filenames) if f not in _SKIPPED_NAMES]
        if len(entries) > MAX_CLASS_ENTRIES:
            break
    return entries


@dataclass
class ClassSurvey:
    """What a class folder holds: its student folders' root, the submissions, the rest."""

    root: Path
    submissions: list[Submission]
    unplaced: list[tuple[str, str]]  # (path relative to the folder given, why)


def survey_class(folder: str | os.PathLike,
                 assignments: dict[str, str] | None = None) -> ClassSurvey:
    """Every ``<student_id>/<assignment>/`` folder, and every notebook that is in none.

    ``assignments`` maps a notebook's name (``convolution_arithmetic``) to its
    assignment, to tell an instructor where a misplaced notebook belongs.

    Raises
    ------
    SubmissionsError
        When ``folder`` does not exist or is not a folder.
    """
    given = Path(folder)
    if not given.exists():
        raise SubmissionsError(f"the submissions folder {given} does not exist")
    if not given.is_dir():
        raise SubmissionsError(f"{given} is not a folder of submissions")
    entries = _class_entries(given)
    prefix = class_prefix(entries)
    root = given.joinpath(*prefix)
    found = []
    for student in sorted(root.iterdir()):
        # A link is never followed, not even to a student's folder.
        if student.name in _NOT_STUDENTS or student.is_symlink() or not student.is_dir():
            continue
        for assignment in sorted(student.iterdir()):
            if (assignment.name not in _NOT_STUDENTS and not assignment.is_symlink()
                    and assignment.is_dir()):
                found.append(Submission(student.name, assignment.name, assignment))
    unplaced = []
    for parts, is_dir in entries:
        inner = parts[len(prefix):]
        if is_dir or not parts[-1].lower().endswith(".ipynb") or len(inner) > 2:
            continue
        name = "/".join(parts)
        belongs = (assignments or {}).get(Path(parts[-1]).stem)
        if len(inner) == 1:
            why = "a notebook outside any student's folder"
        else:
            why = f"a notebook in {inner[0]}'s folder but in no assignment folder"
            if belongs:
                why += f" (move it to {'/'.join(parts[:-1])}/{belongs}/)"
        unplaced.append((name, why))
    return ClassSurvey(root, sorted(found), sorted(unplaced))


def notebook_problem(path: str | os.PathLike) -> str | None:
    """Why the file at ``path`` is not a gradable notebook, or None when it is.

    The answer is a phrase for a student, e.g. ``"the file is empty"``.
    """
    path = Path(path)
    try:
        if path.is_symlink() or not path.is_file():
            return "the file is a link or not a regular file"
        if path.stat().st_size > MAX_NOTEBOOK_MB * 2**20:
            return f"the file is larger than {MAX_NOTEBOOK_MB} MB"
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
        if isinstance(data, dict) and isinstance(data.get("worksheets"), list):
            pass  # nbformat 3: converted below
        else:
            return "the file is not valid notebook JSON"
    cells = data.get("cells") or [c for w in data.get("worksheets") or [] if isinstance(w, dict)
                                  for c in w.get("cells") or []]
    if len(cells) > MAX_CELLS:
        return f"the notebook has more than {MAX_CELLS:,} cells"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except (nbformat.ValidationError, ValueError, KeyError, TypeError, AttributeError):
        return "the file is not valid notebook JSON"
    return None


def copy_safely(source: str | os.PathLike, dest: str | os.PathLike) -> list[str]:
    """Copy the regular files and folders of ``source`` to ``dest``; return what was left out.

    Links (to files or folders) are not followed and special files (FIFOs,
    devices, sockets) are not opened; each is named in the returned problems.
    Copying stops at :data:`MAX_FILES` files or :data:`MAX_FOLDER_MB` MB.
    Hidden names and the folders Jupyter, git and archivers leave are skipped.
    """
    problems: list[str] = []
    files, size, limit = 0, 0, MAX_FOLDER_MB * 2**20
    pending = [(Path(source), Path(dest))]
    Path(dest).mkdir(parents=True, exist_ok=True)
    while pending:
        folder, target = pending.pop()
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name.startswith(".") or entry.name in _SKIPPED_NAMES:
                    continue
                relative = os.path.relpath(entry.path, source)
                if entry.is_symlink():
                    problems.append(f"{relative} is a link, which the grader does not follow; "
                                    "it was left out")
                elif entry.is_dir(follow_symlinks=False):
                    (target / entry.name).mkdir()
                    pending.append((Path(entry.path), target / entry.name))
                elif not entry.is_file(follow_symlinks=False):
                    problems.append(f"{relative} is not a regular file; it was left out")
                else:
                    files += 1
                    size += entry.stat(follow_symlinks=False).st_size
                    if files > MAX_FILES or size > limit:
                        problems.append(f"the folder holds more than {MAX_FILES} files or "
                                        f"{MAX_FOLDER_MB} MB; the rest was left out")
                        return problems
                    # O_NOFOLLOW: a file swapped for a link since the scan is not followed.
                    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                    descriptor = os.open(entry.path, flags)
                    with os.fdopen(descriptor, "rb") as reader, \
                            open(target / entry.name, "wb") as writer:
                        shutil.copyfileobj(reader, writer)
    return problems


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
    left_out = copy_safely(submission.path, dest)
    present = sorted(p.stem for p in dest.glob("*.ipynb") if p.is_file())
    if not present:
        return Staged([], left_out + ["the folder holds no notebook"])
    # A single notebook under another name (a renamed download) is still the answer.
    if len(expected) == 1 and len(present) == 1 and present != expected:
        (dest / f"{present[0]}.ipynb").rename(dest / f"{expected[0]}.ipynb")
        present = list(expected)
    problems: list[str] = list(left_out)
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
