"""A durable, resumable record of what the grader has graded.

The grader commits each result to nbgrader's gradebook as soon as it is known
and appends it to a :class:`Journal` (``OUT/journal.jsonl``) beside it, keyed
by :func:`submission_digest` and :func:`source_digest`: a rerun skips the
submissions whose files and source are unchanged, an interrupted run resumes,
and a changed submission or solution is graded again. POSIX only (``fcntl``).
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import os
import stat
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import AutograderError, NotebookError, SubmissionsError

__all__ = ["Journal", "JournalError", "submission_digest", "source_digest", "KEYS"]

#: The keys every entry must carry, all strings; the rest is the grader's business.
KEYS = ("student_id", "assignment", "digest", "source")

_IGNORED_NAMES = {".ipynb_checkpoints", "__pycache__"}
_CHUNK = 1 << 20


class JournalError(AutograderError):
    """The journal file cannot be read or written."""


def _ignored(name: str) -> bool:
    return name in _IGNORED_NAMES or name.startswith(".")


def _walk_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative posix path, path) of every file under ``root`` that counts."""
    for folder, dirnames, filenames in os.walk(root):
        # Pruned in place so os.walk does not descend; symlinked folders are never followed.
        dirnames[:] = [d for d in dirnames if not _ignored(d)]
        for filename in filenames:
            if not _ignored(filename):
                path = Path(folder, filename)
                yield path.relative_to(root).as_posix(), path


def _digest(files: Iterable[tuple[str, Path]], kind: bytes) -> str:
    """sha256 of (name, bytes) pairs sorted by name, each length-prefixed so no two
    different trees hash alike."""
    h = hashlib.sha256(b"autograder-" + kind + b"-v1\0")
    # NFC, because macOS may hand the same name back decomposed.
    named = [(unicodedata.normalize("NFC", name).encode("utf-8", "surrogateescape"), path)
             for name, path in files]
    for encoded, path in sorted(named, key=lambda pair: pair[0]):
        h.update(len(encoded).to_bytes(8, "big") + encoded + _content_digest(path))
    return h.hexdigest()


def _content_digest(path: Path) -> bytes:
    """What a file contributes to a digest, without following a link or opening a device.

    A link counts by its target's name, a FIFO, socket or device by its kind: the
    grader reports them (it never follows them) when it stages the submission, and
    reading ``/dev/zero`` or a FIFO here would never end.
    """
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            return b"L" + hashlib.sha256(os.fsencode(os.readlink(path))).digest()
        if not stat.S_ISREG(info.st_mode):
            return b"S" + stat.S_IFMT(info.st_mode).to_bytes(4, "big")
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with open(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # swapped since lstat
                return b"S"
            content = hashlib.sha256()
            while chunk := f.read(_CHUNK):
                content.update(chunk)
        return b"F" + content.digest()
    except OSError:
        # An unreadable file: the grader reports it when it stages the submission;
        # here it only has to change the digest.
        return b"U"


def submission_digest(folder: str | os.PathLike) -> str:
    """sha256 (hex) of the relative paths and bytes of every file of a submission.

    ``.ipynb_checkpoints``, ``__pycache__`` and every name starting with ``.``
    are left out, as the grader leaves them out when it copies the folder.
    The digest depends on nothing else (not on where the folder is, file
    times or permissions), so it is stable across runs and machines.

    Raises
    ------
    SubmissionsError
        When ``folder`` is not a folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise SubmissionsError(f"the submission folder {root} does not exist")
    return _digest(_walk_files(root), b"submission")


def source_digest(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> str:
    """sha256 (hex) of an assignment's source notebooks, to invalidate old results.

    Parameters
    ----------
    paths : path or iterable of paths
        Files (named by their path relative to the folder that holds them
        all) or folders (every file in them, with the exclusions of
        :func:`submission_digest`). A single folder is named from inside, so
        ``solutions/01_toy`` and a copy of it elsewhere have the same digest.

    Raises
    ------
    ValueError
        When ``paths`` is empty.
    NotebookError
        When one of ``paths`` does not exist.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    given = [Path(p).absolute() for p in paths]
    if not given:
        raise ValueError("expected at least one source notebook, got none")
    for path in given:
        if not path.exists():
            raise NotebookError(f"the source notebook {path} does not exist")
    if len(given) == 1 and given[0].is_dir():
        base = given[0]  # one folder: named from inside, like a submission
    else:
        base = Path(os.path.commonpath([p.parent for p in given]))
    files: list[tuple[str, Path]] = []
    for path in given:
        name = path.relative_to(base).as_posix()
        if path.is_dir():
            prefix = "" if name == "." else f"{name}/"
            files.extend((prefix + rel, p) for rel, p in _walk_files(path))
        else:
            files.append((name, path))
    return _digest(files, b"source")


class Journal:
    """An append-only JSON-lines file of grading results, one object a line.

    Each entry is a dict with at least the string keys :data:`KEYS`; the
    journal keeps whatever else the grader puts in it. The last entry for a
    ``(student_id, assignment)`` wins. Appends are locked with ``fcntl.flock``
    so processes can share a journal, and each is fsynced before
    :meth:`record` returns. A line cut short by a kill is ignored; the next
    record starts on a new line, and the cut line is then counted in
    :attr:`damaged_lines`.

    Parameters
    ----------
    path : path
        The file, e.g. ``OUT/journal.jsonl``; created on the first record.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        #: 1-based numbers of the lines that were not a valid entry, at the last read.
        self.damaged_lines: list[int] = []
        self._inode: tuple[int, int] | None = None
        self._offset = 0       # bytes parsed so far (always just after a newline)
        self._lines = 0        # complete lines parsed so far
        self._entries: dict[tuple[str, str], dict] = {}

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    @contextmanager
    def _locked(self, flags: int, lock: int) -> Iterator[int | None]:
        """An fd of the current file, locked; None when reading a file that does not exist.

        :meth:`compact` replaces the file, so after waiting for the lock we make
        sure the fd still is the file at :attr:`path`, and open again if not.
        """
        while True:
            try:
                fd = os.open(self.path, flags, 0o644)
            except FileNotFoundError:
                if flags & os.O_CREAT:
                    raise
                yield None
                return
            try:
                fcntl.flock(fd, lock)
                try:
                    current = os.stat(self.path)
                except FileNotFoundError:
                    current = None
                opened = os.fstat(fd)
                if current is not None and (current.st_dev, current.st_ino) == (
                        opened.st_dev, opened.st_ino):
                    yield fd
                    return
            finally:
                os.close(fd)  # also releases the lock

    def record(self, entry: dict) -> None:
        """Append ``entry`` as one line, durable on disk when this returns.

        Raises
        ------
        TypeError
            When ``entry`` is not a dict with string :data:`KEYS`, or holds
            something JSON cannot write.
        JournalError
            When the file cannot be written.
        """
        _check_entry(entry)
        try:
            line = json.dumps(entry, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise TypeError(f"the journal entry for {entry['student_id']!r} / "
                            f"{entry['assignment']!r} cannot be written as JSON ({exc})") from None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            existed = self.path.exists()
            with self._locked(os.O_RDWR | os.O_APPEND | os.O_CREAT, fcntl.LOCK_EX) as fd:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # after a line cut short by a kill
                data = memoryview(line + b"\n")
                while data:
                    data = data[os.write(fd, data):]
                os.fsync(fd)
            if not existed:
                _fsync_folder(self.path.parent)
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path} ({exc.strerror})") from None

    def latest(self) -> dict[tuple[str, str], dict]:
        """The last entry for each ``(student_id, assignment)``, read from the file.

        Only what was appended since the last call is parsed. A line that is
        not a valid entry (a line cut short by a kill) is skipped.
        """
        self._refresh()
        return copy.deepcopy(self._entries)

    def lookup(self, student_id: str, assignment: str, digest: str, source: str) -> dict | None:
        """The latest entry for this submission if it was graded from the same
        files (``digest``) and the same source (``source``); otherwise None."""
        self._refresh()
        entry = self._entries.get((student_id, assignment))
        if entry is None or entry["digest"] != digest or entry["source"] != source:
            return None
        return copy.deepcopy(entry)

    def compact(self) -> int:
        """Rewrite the file with only the latest entry per key, atomically.

        Damaged lines are dropped. The entries keep the order of their last
        record. Returns the number of entries kept.

        Raises
        ------
        JournalError
            When the file cannot be rewritten (it is then left as it was).
        """
        try:
            with self._locked(os.O_RDWR, fcntl.LOCK_EX) as fd:
                if fd is None:
                    return 0
                entries, _, _, _ = _parse(_read_from(fd, 0), 0, 0, {})
                tmp_fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".journal-",
                                               suffix=".tmp")
                try:
                    with os.fdopen(tmp_fd, "wb") as out:
                        for entry in entries.values():
                            out.write(json.dumps(entry, ensure_ascii=False).encode("utf-8"))
                            out.write(b"\n")
                        out.flush()
                        os.fchmod(out.fileno(), 0o644)
                        os.fsync(out.fileno())
                    os.replace(tmp, self.path)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
                _fsync_folder(self.path.parent)
        except OSError as exc:
            raise JournalError(f"cannot rewrite the journal {self.path} ({exc.strerror})") from None
        return len(entries)

    def _refresh(self) -> None:
        """Bring the cached entries up to date with the file."""
        try:
            with self._locked(os.O_RDONLY, fcntl.LOCK_SH) as fd:
                if fd is None:
                    self._reset(None)
                    return
                st = os.fstat(fd)
                inode = (st.st_dev, st.st_ino)
                if inode != self._inode or st.st_size < self._offset:
                    self._reset(inode)  # replaced by compact() or truncated: read it all
                data = _read_from(fd, self._offset)
        except OSError as exc:
            raise JournalError(f"cannot read the journal {self.path} ({exc.strerror})") from None
        self._entries, used, self._lines, damaged = _parse(
            data, self._offset, self._lines, self._entries)
        self._offset += used
        self.damaged_lines.extend(damaged)

    def _reset(self, inode: tuple[int, int] | None) -> None:
        self._inode, self._offset, self._lines = inode, 0, 0
        self._entries, self.damaged_lines = {}, []


def _check_entry(entry: dict) -> None:
    if not isinstance(entry, dict):
        raise TypeError(f"expected a journal entry as a dict, got {type(entry).__name__}")
    for key in KEYS:
        if not isinstance(entry.get(key), str):
            raise TypeError(f"expected the journal entry's {key!r} as a string, "
                            f"got {entry.get(key)!r}")


def _read_from(fd: int, offset: int) -> bytes:
    chunks = []
    while chunk := os.pread(fd, _CHUNK, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _parse(data: bytes, offset: int, lines: int, entries: dict[tuple[str, str], dict]
           ) -> tuple[dict[tuple[str, str], dict], int, int, list[int]]:
    """Parse the complete lines of ``data`` into ``entries`` (last wins, in record order).

    Returns the entries, the bytes consumed (up to the last newline; a line
    without one may still be being written), the line count and the damaged
    line numbers. Splits on ``\\n`` bytes only: entries may hold U+2028 and
    other characters that ``str.splitlines`` would split on.
    """
    used = data.rfind(b"\n") + 1
    damaged = []
    for raw in data[:used].split(b"\n")[:-1]:
        lines += 1
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
            _check_entry(entry)
        except (ValueError, TypeError):
            damaged.append(lines)
            continue
        key = (entry["student_id"], entry["assignment"])
        entries.pop(key, None)  # so the order is that of the last record
        entries[key] = entry
    return entries, used, lines, damaged


def _fsync_folder(folder: Path) -> None:
    """Make a file's creation or renaming durable too."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
