"""Unpack a class handed in as a zip, as a learning-management system exports it.

The grader calls :func:`is_archive` on its ``SUBMISSIONS`` argument and, when
it is a zip, :func:`extract_class` into a folder under ``--out``. Every entry
is checked before a single byte is written: an entry that would land outside
that folder (``../``, an absolute path, a drive letter, a backslash, a link
or a device) makes the whole archive refused, and the size and number of
entries are limited so a zip bomb cannot fill the disk.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import SubmissionsError
from .submissions import class_prefix

__all__ = ["ArchiveError", "extract_class", "is_archive", "MAX_BYTES", "MAX_ENTRIES"]

#: Default limit on the total uncompressed size of what is extracted (2 GiB).
MAX_BYTES = 2 * 1024**3
#: Default limit on the number of entries of an archive.
MAX_ENTRIES = 50_000

_CHUNK = 1 << 20
_FILE_MODE = 0o644
_DIR_MODE = 0o755
# What macOS, Windows and Finder add to archives: never part of a submission.
_JUNK_FOLDERS = {"__MACOSX"}
_JUNK_FILES = {".DS_Store", "Thumbs.db"}
_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveError(SubmissionsError):
    """A zip of submissions that cannot be, or must not be, extracted."""


@dataclass(frozen=True)
class _Entry:
    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    is_dir: bool


def is_archive(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a file to hand to :func:`extract_class`.

    True for a file that is a zip, and for a file named ``*.zip`` even when it
    is not a valid zip (so that :func:`extract_class` can say what is wrong
    with it instead of the grader calling it "not a folder").
    """
    path = Path(path)
    if not path.is_file():
        return False
    return path.suffix.lower() == ".zip" or zipfile.is_zipfile(path)


def extract_class(zip_path: str | os.PathLike, dest: str | os.PathLike, *,
                  max_bytes: int = MAX_BYTES, max_entries: int = MAX_ENTRIES,
                  refused: list[tuple[str, str]] | None = None) -> Path:
    """Extract a zip of ``<student_id>/<assignment>/<notebook>.ipynb`` into ``dest``.

    Every entry is validated before anything is written; one unsafe entry
    refuses the whole archive. ``__MACOSX/``, ``.DS_Store`` and ``Thumbs.db``
    are skipped. Names are kept as Python's :mod:`zipfile` decodes them (UTF-8
    when the entry says so, cp437 otherwise). Files are written ``0644`` and
    folders ``0755``, whatever the archive says, and keep the modification
    time it records.

    Top folders that wrap the whole class (``export/<student>/...``, as LMS
    exports often are) are skipped by the rule a class folder is read with
    (:func:`autograder.submissions.class_prefix`).

    Parameters
    ----------
    zip_path : path
        The archive (never modified).
    dest : path
        The folder to extract into; created if missing, and it must be empty.
    max_bytes : int
        Limit on the total uncompressed size, checked from the headers and
        again on the bytes actually decompressed.
    max_entries : int
        Limit on the number of entries in the archive.
    refused : list, optional
        Given, an unsafe entry (one that would land outside ``dest``, a link, a
        device, a duplicate, an encrypted one) is left out and appended here as
        (entry name, why), and the rest is extracted; without it, one unsafe
        entry refuses the whole archive. Limits and damage refuse it either way.

    Returns
    -------
    Path
        The folder holding the student folders: ``dest`` or, for a wrapped
        archive, ``dest/T``.

    Raises
    ------
    ArchiveError
        When the file is not a zip, an entry is unsafe, encrypted or damaged,
        a limit is exceeded, the archive holds no file, or ``dest`` is not an
        empty folder. Nothing is left in ``dest`` when it is raised.
    """
    if max_bytes <= 0 or max_entries <= 0:
        raise ValueError(
            f"expected positive limits, got max_bytes={max_bytes} and max_entries={max_entries}")
    zip_path, dest = Path(zip_path), Path(dest)
    name = zip_path.name
    if not zip_path.is_file():
        raise ArchiveError(f"the archive {zip_path} does not exist or is not a file")
    try:
        zf = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        raise ArchiveError(f"{zip_path} is not a zip file") from None
    except OSError as exc:
        raise ArchiveError(f"cannot read the archive {zip_path} ({exc.strerror})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > max_entries:
            raise ArchiveError(f"{name} holds {len(infos)} entries, more than the limit of "
                               f"{max_entries}; the archive was refused")
        entries = _validated_entries(infos, name, refused)
        declared = sum(e.info.file_size for e in entries if not e.is_dir)
        if declared > max_bytes:
            raise ArchiveError(f"{name} would unpack to {declared} bytes, more than the limit of "
                               f"{max_bytes}; the archive was refused")
        if not any(not e.is_dir for e in entries):
            raise ArchiveError(f"{name} holds no files")
        created = _prepare_dest(dest)
        try:
            _extract(zf, entries, dest, max_bytes, name)
        except BaseException:
            _clean(dest, created)
            raise
    return dest.joinpath(*class_prefix((e.parts, e.is_dir) for e in entries))


def _validated_entries(infos: list[zipfile.ZipInfo], name: str,
                       refused: list[tuple[str, str]] | None = None) -> list[_Entry]:
    """The entries to extract, junk left out.

    An unsafe entry raises :class:`ArchiveError`, or, with ``refused``, is
    left out and appended there as (entry name, why).
    """
    entries: list[_Entry] = []
    seen: dict[tuple[str, ...], bool] = {}  # parts -> is a folder
    implied: set[tuple[str, ...]] = set()   # folders that some entry lies in

    def refuse(info, why: str) -> None:
        if refused is None:
            raise ArchiveError(f"the entry {info.filename!r} in {name} {why}; "
                               "the archive was refused")
        refused.append((info.filename, why))

    for info in infos:
        try:
            parts = _safe_parts(info, name)
        except _UnsafeEntry as unsafe:
            refuse(info, str(unsafe))
            continue
        if parts is None or _is_junk(parts):
            continue
        is_dir = info.is_dir() or stat.S_ISDIR(info.external_attr >> 16)
        # A file may not also be the folder of another entry ("a" and "a/b").
        prefixes = [parts[:depth] for depth in range(1, len(parts))]
        if info.flag_bits & 0x1:
            refuse(info, "is encrypted")
        elif parts in seen and not (is_dir and seen[parts]):
            refuse(info, "appears twice")
        elif any(seen.get(prefix) is False for prefix in prefixes):
            refuse(info, "lies inside a file")
        elif not is_dir and parts in implied:
            refuse(info, "is also a folder")
        else:
            implied.update(prefixes)
            seen[parts] = is_dir
            entries.append(_Entry(info, parts, is_dir))
    return entries


class _UnsafeEntry(Exception):
    """Why one entry of an archive may not be extracted (a phrase: "is a symbolic link")."""


def _safe_parts(info: zipfile.ZipInfo, name: str) -> tuple[str, ...] | None:
    """The path components of an entry; :class:`_UnsafeEntry` when it could escape or is not
    a file.

    Returns None for the entry of the root itself (``./``).
    """
    raw = info.filename

    def refuse(why: str) -> _UnsafeEntry:
        return _UnsafeEntry(why)

    if "\\" in raw:
        raise refuse("contains a backslash, which could lead outside the output folder")
    if raw.startswith("/") or _DRIVE.match(raw):
        raise refuse("is an absolute path, which would land outside the output folder")
    parts = tuple(p for p in raw.split("/") if p not in ("", "."))
    if ".." in parts:
        raise refuse("goes up with '..', which could land outside the output folder")
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if stat.S_ISLNK(mode):
        raise refuse("is a symbolic link")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise refuse("is a device or special file, not a file")
    if kind == stat.S_IFDIR and info.file_size:
        raise refuse("is marked as a folder but holds data")
    if not parts:
        if info.is_dir() or kind == stat.S_IFDIR:
            return None
        raise refuse("has no name")
    return parts


def _is_junk(parts: tuple[str, ...]) -> bool:
    return any(p in _JUNK_FOLDERS for p in parts) or parts[-1] in _JUNK_FILES


def _prepare_dest(dest: Path) -> bool:
    """Make sure ``dest`` is an empty folder; True when this call created it."""
    if dest.exists() or dest.is_symlink():
        if not dest.is_dir() or dest.is_symlink():
            raise ArchiveError(f"cannot extract into {dest}: it is not a folder")
        if any(dest.iterdir()):
            raise ArchiveError(f"cannot extract into {dest}: the folder is not empty")
        return False
    try:
        dest.mkdir(parents=True, mode=_DIR_MODE)
    except OSError as exc:
        raise ArchiveError(f"cannot create the folder {dest} ({exc.strerror})") from None
    return True


def _clean(dest: Path, created: bool) -> None:
    """Remove what a failed extraction wrote (``dest`` was empty before)."""
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
    if created:
        try:
            dest.rmdir()
        except OSError:
            pass  # something else wrote into it meanwhile; leave it


def _extract(zf: zipfile.ZipFile, entries: list[_Entry], dest: Path,
             max_bytes: int, name: str) -> None:
    budget = max_bytes
    root = os.path.realpath(dest)
    for entry in entries:
        target = dest.joinpath(*entry.parts)
        # Belt and braces: the checks above already make this impossible.
        if os.path.commonpath([root, os.path.realpath(target)]) != root:
            raise ArchiveError(f"the entry {entry.info.filename!r} in {name} would land "
                               "outside the output folder; the archive was refused")
        folder = target if entry.is_dir else target.parent
        _make_folders(dest, folder)
        if entry.is_dir:
            continue
        try:
            with zf.open(entry.info) as src:
                budget -= _copy_limited(src, target, budget, entry.info.file_size)
            _keep_time(target, entry.info)
        except ArchiveError as exc:
            raise ArchiveError(f"the entry {entry.info.filename!r} in {name} {exc}; "
                               "the archive was refused") from None
        except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError,
                ValueError) as exc:
            raise ArchiveError(f"the entry {entry.info.filename!r} in {name} cannot be "
                               f"read ({exc}); the archive was refused") from None
        except OSError as exc:
            raise ArchiveError(f"cannot write the entry {entry.info.filename!r} of {name} "
                               f"({exc.strerror})") from None


def _keep_time(target: Path, info: zipfile.ZipInfo) -> None:
    """Give an extracted file the modification time the archive records (when it hands in)."""
    try:
        stamp = time.mktime((*info.date_time, 0, 0, -1))
        os.utime(target, (stamp, stamp), follow_symlinks=False)
    except (OverflowError, ValueError, OSError):
        pass  # a nonsense date in a header: the file keeps the time it was written


def _make_folders(dest: Path, folder: Path) -> None:
    current = dest
    for part in folder.relative_to(dest).parts:
        current = current / part
        if not current.is_dir():
            current.mkdir(mode=_DIR_MODE)  # raises if a file or link is there
            os.chmod(current, _DIR_MODE)   # whatever the umask


def _copy_limited(src: BinaryIO, target: Path, budget: int, declared: int) -> int:
    """Stream ``src`` into a new file ``target``; the number of bytes written.

    Raises ArchiveError (a phrase, completed by the caller) as soon as more
    than ``budget`` bytes, or more than the ``declared`` size, come out.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, _FILE_MODE)
    written = 0
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), _FILE_MODE)
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > declared:
                raise ArchiveError("holds more data than its header says")
            if written > budget:
                raise ArchiveError("unpacks to more than the size limit")
            out.write(chunk)
    return written


