"""Turn a learning-management system's export into the grader's class folder.

``python -m autograder collect EXPORT --assignment A --into SUBMISSIONS`` reads
an export (a zip, or the folder it was unpacked into) whose files are named the
way Canvas, Moodle or Blackboard name them, and writes
``SUBMISSIONS/<student_id>/A/<notebook>.ipynb``, adding to a class folder that
already holds other assignments.

- **Who**: a pattern (:data:`PATTERNS`, or the instructor's own regular
  expression) reads the student from each file's path in the export.
- **What**: a notebook is recognised by its cells (nbgrader's ids, or their
  text when the markup was stripped), not by its name: ``convolution_arithmetic
  (1).ipynb`` is a browser's download of the same file. A notebook of another
  assignment is reported, not filed under this one.
- **Which**: of a student's several files, the latest is kept (the
  pattern's timestamp or submission number, then the late mark, then the time
  the export records).
- **Accounted for**: every file of the export ends as one row of
  ``SUBMISSIONS/collected.csv`` (placed, unchanged, replaced, left out,
  ignored or unplaced, with why); the command lists the unplaced ones and
  exits 1 while there are any. A student's notebook collected before is never
  overwritten by a different one unless ``--replace`` is given.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import astuple, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from .archive import extract_class, is_archive
from .cellmeta import closest_release
from .course import RELEASE_DIR, resolve_assignments
from .errors import AutograderError
from .submissions import notebook_problem

__all__ = ["CollectError", "CollectRow", "Collected", "PATTERNS", "collect", "compile_pattern",
           "student_id_of", "summary", "MAPPING", "HEADER"]

#: How each system names a hand-in, as a regular expression over the file's path
#: in the export. Groups: ``student`` (the id) or ``name`` (made into an id),
#: and optionally ``late``, ``order`` (a number that grows with each hand-in),
#: ``time`` (a sortable timestamp), ``file`` (the name the student gave it).
PATTERNS = {
    # lastfirst_12345_67890_name.ipynb, a late one lastfirst_LATE_12345_67890_name.ipynb:
    # the Canvas user id (stable across assignments) and the submission id.
    "canvas": r"(?:.*/)?(?P<name>[^/_]+)_(?:(?P<late>(?i:late))_)?(?P<student>\d+)_"
              r"(?P<order>\d+)_(?P<file>[^/]+)",
    # Full Name_12345_assignsubmission_file_/name.ipynb: Moodle's number is
    # per assignment, so the student is the full name made into an id.
    "moodle": r"(?:.*/)?(?P<name>[^/]+?)_(?P<number>\d+)_assignsubmission_file_?/"
              r"(?:.*/)?(?P<file>[^/]+)",
    # Assignment_username_attempt_2026-01-30-15-30-10_name.ipynb (and a .txt per attempt).
    "blackboard": r"(?:.*/)?[^/]+?_(?P<student>[^/_]+)_attempt_(?P<time>\d{4}(?:-\d\d){5})"
                  r"(?:_(?P<file>[^/]+)|\.txt)",
}
MAPPING = "collected.csv"
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|-\d+)+$")  # "name (1)", "name-2": a copy's suffixes
_JUNK = {".DS_Store", "Thumbs.db", "__MACOSX", ".ipynb_checkpoints", "__pycache__"}


class CollectError(AutograderError):
    """The export, the pattern or the target folder cannot be used."""


@dataclass(frozen=True)
class CollectRow:
    """One line of ``collected.csv``: a file of the export and what became of it."""

    collected_at: str
    assignment: str
    student_id: str
    name: str        # the student's name as the export gives it, when it does
    source: str      # the file's path in the export
    late: str        # "yes", "no", or "" when the export does not say
    status: str      # placed, unchanged, replaced, left out, ignored, unplaced
    target: str      # where it was written, relative to SUBMISSIONS
    note: str        # why, in words


HEADER = [f.name for f in fields(CollectRow)]


@dataclass
class Collected:
    """What :func:`collect` did."""

    rows: list[CollectRow]
    mapping: Path
    refused: list[tuple[str, str]] = field(default_factory=list)  # unsafe archive entries

    def count(self, status: str) -> int:
        return sum(row.status == status for row in self.rows)

    @property
    def unplaced(self) -> list[CollectRow]:
        return [row for row in self.rows if row.status == "unplaced"]


@dataclass
class _File:
    source: str
    path: Path
    student_id: str = ""
    name: str = ""
    late: str = ""
    given_name: str = ""
    sort_key: tuple = ()
    kind: str = ""       # "this", "other", "unknown", "not a notebook"
    notebook: str = ""   # the release notebook it is a hand-in of
    other: str = ""      # the assignment it belongs to, when another one
    status: str = ""
    target: str = ""
    note: str = ""


def compile_pattern(pattern: str) -> re.Pattern:
    """A named pattern of :data:`PATTERNS` or a regular expression, compiled and checked."""
    text = PATTERNS.get(pattern, pattern)
    try:
        compiled = re.compile(text)
    except re.error as error:
        raise CollectError(f"the pattern {pattern!r} is not a regular expression ({error})") \
            from None
    if not {"student", "name"} & set(compiled.groupindex):
        raise CollectError(f"the pattern {pattern!r} has no group (?P<student>...) or "
                           "(?P<name>...) to tell whose file it is; name one of "
                           f"{', '.join(PATTERNS)} or write such a group")
    return compiled


def student_id_of(match: re.Match) -> str:
    """The student id a pattern's match gives: its ``student`` group, else its ``name`` made
    into an id (``Zoë Smith-Jones`` -> ``zoe_smith_jones``)."""
    groups = match.groupdict()
    if groups.get("student"):
        return groups["student"]
    ascii_name = unicodedata.normalize("NFKD", groups.get("name") or "")
    ascii_name = ascii_name.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")


def collect(export: str | os.PathLike, assignment: str, into: str | os.PathLike,
            course_root: str | os.PathLike, *, pattern: str = "canvas",
            replace: bool = False) -> Collected:
    """File each student's hand-in of ``assignment`` from ``export`` under ``into``.

    Raises
    ------
    CollectError
        When the export does not exist or is not a zip or folder, or the
        pattern cannot be used; an unknown assignment raises
        :class:`autograder.errors.UnknownAssignmentError`.
    """
    resolve_assignments(course_root, [assignment])
    regex = compile_pattern(pattern)
    releases = _releases(Path(course_root))
    mine = {name for (a, name) in releases if a == assignment}
    if not mine:
        raise CollectError(f"{assignment} has no released notebook under {RELEASE_DIR}/; "
                           "run `python -m autograder release` first")
    export, into = Path(export), Path(into)
    if into.exists() and (into.is_symlink() or not into.is_dir()):
        raise CollectError(f"{into} is not a folder to collect into")
    refused: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="autograder-collect-") as tmp:
        if is_archive(export):
            root = Path(tmp) / "export"
            extract_class(export, root, refused=refused)
        elif export.is_dir():
            root = export
        else:
            raise CollectError(f"the export {export} does not exist or is neither a zip nor "
                               "a folder")
        files, unmatched = _read_export(root, regex, pattern)
        for item in files:
            _recognise(item, releases, assignment)
        _choose(files, assignment, mine)
        into.mkdir(parents=True, exist_ok=True)
        for item in files:
            if item.status == "placed":
                _write(item, into, assignment, replace)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    rows = [CollectRow(stamp, assignment, f.student_id, f.name, f.source, f.late, f.status,
                       f.target, f.note) for f in files]
    rows += [CollectRow(stamp, assignment, "", "", source, "", "unplaced", "", why)
             for source, why in unmatched + [(s, f"the archive's entry {w}") for s, w in refused]]
    rows.sort(key=lambda r: (r.status != "unplaced", r.student_id, r.source))
    mapping = _append_mapping(into / MAPPING, rows)
    return Collected(rows, mapping, refused)


def _releases(course_root: Path) -> dict[tuple[str, str], object]:
    """(assignment, notebook name) -> the released notebook, for every assignment."""
    found = {}
    for path in sorted((course_root / RELEASE_DIR).glob("*/*.ipynb")):
        try:
            found[(path.parent.name, path.name)] = nbformat.read(str(path), as_version=4)
        except Exception:  # noqa: BLE001 (an unreadable release is no candidate)
            continue
    return found


def _read_export(root: Path, regex: re.Pattern, pattern: str):
    """Every file of the export with whose it is; and (path, why) for those the pattern misses."""
    files, unmatched = [], []
    for folder, dirnames, filenames in os.walk(root):
        base = Path(folder)
        links = [d for d in dirnames if (base / d).is_symlink()]
        dirnames[:] = sorted(d for d in dirnames if d not in _JUNK and d not in links)
        for name in sorted(filenames) + sorted(links):
            path = base / name
            source = path.relative_to(root).as_posix()
            if name in _JUNK or name.startswith("._"):
                continue
            if path.is_symlink() or not path.is_file():
                unmatched.append((source, "a link or special file, not a file handed in"))
                continue
            match = regex.fullmatch(source)
            if match is None:
                label = f"the {pattern} pattern" if pattern in PATTERNS else "the pattern given"
                unmatched.append((source, f"its name does not match {label}, so whose it is "
                                          "cannot be told"))
                continue
            student = student_id_of(match)
            groups = match.groupdict()
            item = _File(source, path, student, groups.get("name") or "",
                         given_name=groups.get("file") or name)
            if "late" in regex.groupindex:
                item.late = "yes" if groups.get("late") else "no"
            order = groups.get("order")
            item.sort_key = (groups.get("time") or "", int(order) if order else -1,
                             item.late == "yes", path.stat().st_mtime, source)
            if not _SAFE_ID.fullmatch(student):
                unmatched.append((source, f"the student id {student!r} it gives is not a safe "
                                          "folder name (letters, digits, '.', '_', '-')"))
                continue
            files.append(item)
    _separate_namesakes(files, regex, unmatched)
    return files, unmatched


def _separate_namesakes(files: list[_File], regex: re.Pattern, unmatched: list) -> None:
    """Two students the export numbers apart but whose names give one id: neither is filed."""
    if "number" not in regex.groupindex or "student" in regex.groupindex:
        return
    numbers = defaultdict(set)
    for item in files:
        numbers[item.student_id].add(regex.fullmatch(item.source).group("number"))
    clashing = {sid for sid, seen in numbers.items() if len(seen) > 1}
    for item in [f for f in files if f.student_id in clashing]:
        files.remove(item)
        unmatched.append((item.source, f"two students of the export are both called "
                                       f"{item.name!r}; give a pattern whose "
                                       "(?P<student>...) tells them apart"))


def _recognise(item: _File, releases: dict, assignment: str) -> None:
    """Which release the file is a hand-in of (by its cells), or why it is none."""
    if not item.path.name.lower().endswith(".ipynb"):
        item.kind = "not a notebook"
        return
    problem = notebook_problem(item.path)
    if problem is not None:
        item.kind, item.note = "unknown", problem
        return
    nb = nbformat.read(str(item.path), as_version=4)
    found, _ = closest_release(nb, releases)
    if found is None:
        item.kind = "unknown"
    elif found[0] == assignment:
        item.kind, item.notebook = "this", found[1]
    else:
        item.kind, item.other = "other", found[0]


def _named_like(item: _File, notebooks: set[str]) -> str:
    """The release notebook the file's own name is a copy of (``name (1).ipynb``), or ''."""
    stem = _COPY_SUFFIX.sub("", Path(item.given_name).stem).strip().casefold()
    return next((n for n in sorted(notebooks) if Path(n).stem.casefold() == stem), "")


def _choose(files: list[_File], assignment: str, notebooks: set[str]) -> None:
    """Per student, the latest hand-in of each notebook is placed; every other file says why."""
    by_student = defaultdict(list)
    for item in files:
        by_student[item.student_id].append(item)
    for items in by_student.values():
        for item in items:
            if item.kind == "unknown" and _named_like(item, notebooks):
                item.notebook = _named_like(item, notebooks)
        placed = []
        for notebook in sorted(notebooks):
            recognised = [f for f in items if f.kind == "this" and f.notebook == notebook]
            by_name = [f for f in items if f.kind == "unknown" and f.notebook == notebook]
            candidates = recognised or by_name
            if not candidates:
                continue
            kept = max(candidates, key=lambda f: f.sort_key)
            kept.status, kept.target = "placed", f"{kept.student_id}/{assignment}/{notebook}"
            if kept.kind == "unknown":
                why = kept.note or "its cells do not match the release"
                kept.note = (f"not recognised ({why}); filed by its name so that the grader "
                             "reports on it")
            placed.append(kept)
            for other in recognised + by_name:
                if other is not kept:
                    other.status = "left out"
                    other.note = f"an earlier or less certain hand-in; {kept.source} was kept"
        for item in items:
            if item.status:
                continue
            if item.kind == "not a notebook" and placed:
                item.status, item.note = "ignored", "not a notebook; the student's notebook " \
                                                    "was placed"
            elif item.kind == "not a notebook":
                item.status = "unplaced"
                item.note = f"not a notebook, and the student handed in no notebook of {assignment}"
            elif item.kind == "other":
                item.status = "unplaced"
                item.note = (f"a hand-in of {item.other}, not of {assignment}: collect it with "
                             f"--assignment {item.other}, or ask the student")
            else:
                item.status = "unplaced"
                why = f" ({item.note})" if item.note else ""
                item.note = (f"neither its cells nor its name match {assignment}'s notebook"
                             f"{why}")


def _write(item: _File, into: Path, assignment: str, replace: bool) -> None:
    """Copy a placed file to its target; never over a different file unless ``replace``."""
    folder = into / item.student_id / assignment
    target = into / item.target
    for part in (into / item.student_id, folder, target):
        if part.is_symlink():
            item.status = "unplaced"
            item.note = f"{part.relative_to(into)} is a link in {into}; nothing was written"
            return
    data = item.path.read_bytes()
    if target.exists():
        if target.read_bytes() == data:
            item.status, item.note = "unchanged", "the same file was collected before"
            return
        if not replace:
            item.status = "unplaced"
            item.note = (f"{item.target} already holds another hand-in of this student (an "
                         "earlier collect); it was kept: pass --replace to take this one")
            return
        item.status, item.note = "replaced", "a different earlier hand-in was replaced"
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(data)
    os.chmod(partial, 0o644)
    os.replace(partial, target)
    shutil.copystat(item.path, target)


def _append_mapping(path: Path, rows: list[CollectRow]) -> Path:
    """Add ``rows`` to the mapping file (written with its header when new)."""
    if path.is_symlink():
        raise CollectError(f"{path} is a link; the mapping was not written")
    new = not path.exists()
    with open(path, "a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(HEADER)
        writer.writerows(astuple(row) for row in rows)
    return path


def summary(result: Collected, assignment: str, export, into) -> list[str]:
    """What the command prints: the counts, then every unplaced file with why."""
    late = sum(row.late == "yes" and row.status in ("placed", "replaced") for row in result.rows)
    lines = [f"collected {assignment} from {export} into {into}: "
             f"{result.count('placed') + result.count('replaced')} notebooks placed "
             f"({late} late, {result.count('replaced')} replacing an earlier one), "
             f"{result.count('unchanged')} unchanged since the last collect, "
             f"{result.count('left out')} earlier files left out, "
             f"{result.count('ignored')} other files ignored",
             f"mapping: {result.mapping}"]
    if result.unplaced:
        lines.append(f"{len(result.unplaced)} files could not be placed:")
        lines += [f"  {row.source}: {row.note}" for row in result.unplaced]
    return lines
