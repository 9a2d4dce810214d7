"""Tests of autograder/archive.py: unpacking a class zip safely (no kernel)."""

from __future__ import annotations

import io
import stat
import warnings
import zipfile
from pathlib import Path

import pytest

from autograder.archive import ArchiveError, _copy_limited, extract_class, is_archive
from autograder.errors import SubmissionsError
from autograder.submissions import survey_class

NB = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'


def make_zip(path: Path, entries) -> Path:
    """A zip of ``entries``: (name or ZipInfo, bytes) pairs, written as given."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are written on purpose
        for name, data in entries:
            zf.writestr(name, data)
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every path under ``root`` (folders as None) with its bytes."""
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes())
            for p in sorted(root.rglob("*"))}


def info(name: str, mode: int) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name)
    entry.create_system = 3  # Unix, so the mode in external_attr counts
    entry.external_attr = mode << 16
    return entry


def test_extract_class_unpacks_a_plain_class_with_safe_permissions(tmp_path):
    archive = make_zip(tmp_path / "class.zip", [
        ("alice/01_toy/toy.ipynb", NB),
        (info("bob/01_toy/toy.ipynb", 0o104777), NB),  # setuid and world-writable
        (info("bob/02_more/", 0o40777), b""),
    ])
    root = extract_class(archive, tmp_path / "out")
    assert root == tmp_path / "out"
    assert (root / "bob" / "01_toy" / "toy.ipynb").read_bytes() == NB
    assert [(s.student_id, s.assignment) for s in survey_class(root).submissions] == [
        ("alice", "01_toy"), ("bob", "01_toy"), ("bob", "02_more")]
    for path in root.rglob("*"):
        expected = 0o755 if path.is_dir() else 0o644
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_extract_class_unwraps_one_top_folder_and_ignores_mac_junk(tmp_path):
    archive = make_zip(tmp_path / "class.zip", [
        ("export/", b""),
        ("export/alice/01_toy/toy.ipynb", NB),
        ("export/bob/01_toy/toy.ipynb", NB),
        ("export/bob/.DS_Store", b"junk"),
        ("__MACOSX/export/bob/01_toy/._toy.ipynb", b"junk"),
    ])
    root = extract_class(archive, tmp_path / "out")
    assert root == tmp_path / "out" / "export"
    assert snapshot(tmp_path / "out") == {
        "export": None, "export/alice": None, "export/alice/01_toy": None,
        "export/alice/01_toy/toy.ipynb": NB, "export/bob": None, "export/bob/01_toy": None,
        "export/bob/01_toy/toy.ipynb": NB}


def test_extract_class_unwraps_nested_wrappers(tmp_path):
    archive = make_zip(tmp_path / "class.zip", [("lms/course/alice/01_toy/toy.ipynb", NB)])
    assert extract_class(archive, tmp_path / "out") == tmp_path / "out" / "lms" / "course"


@pytest.mark.parametrize("names", [
    ["alice/01_toy/toy.ipynb"],                                  # one student is not a wrapper
    ["alice/01_toy/toy.ipynb", "alice/01_toy/extra/draft.ipynb"],
    ["alice/01_toy/toy.ipynb", "bob/01_toy/toy.ipynb"],
])
def test_extract_class_does_not_unwrap_a_student_folder(tmp_path, names):
    archive = make_zip(tmp_path / "class.zip", [(name, NB) for name in names])
    assert extract_class(archive, tmp_path / "out") == tmp_path / "out"


@pytest.mark.parametrize("entry, why", [
    ("../evil.ipynb", "'..'"),
    ("/abs.ipynb", "absolute"),
    ("a/../../x", "'..'"),
    ("alice/01_toy/../../../x", "'..'"),
    ("..\\x", "backslash"),
    ("alice\\..\\..\\x", "backslash"),
    ("C:/x.ipynb", "absolute"),
    ("c:x.ipynb", "absolute"),
    (info("alice/01_toy/link.ipynb", 0o120777), "symbolic link"),
    (info("alice/01_toy/tty", 0o20644), "device"),
    (info("alice/01_toy/pipe", 0o10644), "device"),
])
@pytest.mark.parametrize("dest_exists", [False, True])
def test_extract_class_refuses_an_escaping_entry_and_writes_nothing(tmp_path, entry, why,
                                                                    dest_exists):
    data = b"/etc/passwd" if isinstance(entry, zipfile.ZipInfo) else b"evil"
    make_zip(tmp_path / "class.zip", [("alice/01_toy/toy.ipynb", NB), (entry, data),
                                      ("bob/01_toy/toy.ipynb", NB)])
    dest = tmp_path / "work" / "out"
    if dest_exists:
        dest.mkdir(parents=True)
    before = snapshot(tmp_path)
    name = entry.filename if isinstance(entry, zipfile.ZipInfo) else entry
    with pytest.raises(ArchiveError, match=why) as raised:
        extract_class(tmp_path / "class.zip", dest)
    assert repr(name) in str(raised.value) and "refused" in str(raised.value)
    assert snapshot(tmp_path) == before
    assert not (tmp_path.parent / "evil.ipynb").exists() and not Path("/abs.ipynb").exists()


def test_extract_class_refuses_duplicate_entries_and_files_that_are_folders(tmp_path):
    make_zip(tmp_path / "dup.zip", [("alice/01_toy/toy.ipynb", NB),
                                    ("alice/01_toy/toy.ipynb", b"")])
    with pytest.raises(ArchiveError, match="appears twice"):
        extract_class(tmp_path / "dup.zip", tmp_path / "out")
    make_zip(tmp_path / "clash.zip", [("alice/01_toy", b"file"), ("alice/01_toy/toy.ipynb", NB)])
    with pytest.raises(ArchiveError, match="inside a file"):
        extract_class(tmp_path / "clash.zip", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_extract_class_refuses_an_archive_larger_than_the_limit_from_its_headers(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", [("alice/01_toy/toy.ipynb", b"\0" * 10_000)])
    assert archive.stat().st_size < 1000  # compresses well: the trap of a bomb
    with pytest.raises(ArchiveError, match="more than the limit of 1000"):
        extract_class(archive, tmp_path / "out", max_bytes=1000)
    assert not (tmp_path / "out").exists()


def test_extract_class_refuses_too_many_entries(tmp_path):
    archive = make_zip(tmp_path / "many.zip", [(f"s{i}/01_toy/toy.ipynb", NB) for i in range(11)])
    with pytest.raises(ArchiveError, match="11 entries, more than the limit of 10"):
        extract_class(archive, tmp_path / "out", max_entries=10)


def test_extract_class_refuses_an_entry_whose_header_lies_about_its_size(tmp_path):
    real, told = 10_000, 100
    archive = make_zip(tmp_path / "liar.zip", [("alice/01_toy/toy.ipynb", NB),
                                               ("bob/01_toy/toy.ipynb", b"\0" * real)])
    raw = bytearray(archive.read_bytes())
    # Rewrite the uncompressed size of bob's entry in its local and central headers.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = -1
        while (at := raw.find(signature, at + 1)) >= 0:
            if int.from_bytes(raw[at + offset:at + offset + 4], "little") == real:
                raw[at + offset:at + offset + 4] = told.to_bytes(4, "little")
    archive.write_bytes(bytes(raw))
    with zipfile.ZipFile(archive) as zf:
        assert zf.getinfo("bob/01_toy/toy.ipynb").file_size == told
    with pytest.raises(ArchiveError, match="bob/01_toy/toy.ipynb"):
        extract_class(archive, tmp_path / "out", max_bytes=1000)
    assert not (tmp_path / "out").exists()  # alice, written first, was removed again


def test_copy_limited_stops_streaming_past_the_budget_or_the_declared_size(tmp_path):
    with pytest.raises(ArchiveError, match="more than the size limit"):
        _copy_limited(io.BytesIO(b"x" * 5000), tmp_path / "a", budget=1000, declared=10_000)
    assert (tmp_path / "a").stat().st_size <= 1000
    with pytest.raises(ArchiveError, match="more data than its header says"):
        _copy_limited(io.BytesIO(b"x" * 5000), tmp_path / "b", budget=10_000, declared=100)
    assert _copy_limited(io.BytesIO(b"x" * 50), tmp_path / "c", budget=50, declared=50) == 50


def test_extract_class_says_a_file_is_not_a_zip(tmp_path):
    fake = tmp_path / "class.zip"
    fake.write_text("not a zip at all")
    assert is_archive(fake)  # named .zip: extract_class says what is wrong with it
    with pytest.raises(ArchiveError, match="class.zip is not a zip file"):
        extract_class(fake, tmp_path / "out")
    assert isinstance(ArchiveError("x"), SubmissionsError)


def test_is_archive_tells_zips_from_folders_and_other_files(tmp_path):
    real = make_zip(tmp_path / "export.bin", [("alice/01_toy/toy.ipynb", NB)])
    (tmp_path / "notes.txt").write_text("hello")
    assert is_archive(real)
    assert not is_archive(tmp_path / "notes.txt")
    assert not is_archive(tmp_path)
    assert not is_archive(tmp_path / "missing.zip")


def test_extract_class_refuses_a_folder_that_is_not_empty(tmp_path):
    archive = make_zip(tmp_path / "class.zip", [("alice/01_toy/toy.ipynb", NB)])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(ArchiveError, match="not empty"):
        extract_class(archive, tmp_path / "out")
    assert snapshot(tmp_path / "out") == {"keep.txt": b"mine"}


def test_extract_class_keeps_student_ids_with_quotes_spaces_and_other_scripts(tmp_path):
    ids = ["Zoë O'Brien", 'a "quoted" id', "李雷", "with space"]
    archive = make_zip(tmp_path / "class.zip",
                       [(f"{student}/01_toy/toy.ipynb", NB) for student in ids]
                       + [("ZoX cp437/01_toy/toy.ipynb", NB)])
    # The last name as an old Windows zipper writes it: cp437 bytes, no UTF-8 flag.
    raw = archive.read_bytes()
    assert raw.count(b"ZoX cp437") == 2
    archive.write_bytes(raw.replace(b"ZoX cp437", "Zoë cp437".encode("cp437")))
    root = extract_class(archive, tmp_path / "out")
    found = sorted(s.student_id for s in survey_class(root).submissions)
    assert found == sorted([*ids, "Zoë cp437"])
    for student in found:
        assert (root / student / "01_toy" / "toy.ipynb").read_bytes() == NB


@pytest.mark.parametrize("entry, why", [
    ("alice\\01_toy\\toy.ipynb", "backslash"),
    ("../evil.ipynb", "'..'"),
    ("/abs.ipynb", "absolute"),
    (info("alice/01_toy/link.ipynb", 0o120777), "symbolic link"),
])
def test_with_a_refused_list_only_the_unsafe_entry_is_left_out(tmp_path, entry, why):
    data = b"/etc/passwd" if isinstance(entry, zipfile.ZipInfo) else b"evil"
    make_zip(tmp_path / "class.zip", [("carol/01_toy/toy.ipynb", NB), (entry, data),
                                      ("bob/01_toy/toy.ipynb", NB)])
    refused = []
    root = extract_class(tmp_path / "class.zip", tmp_path / "out", refused=refused)
    name = entry.filename if isinstance(entry, zipfile.ZipInfo) else entry
    assert [n for n, _ in refused] == [name] and why in refused[0][1]
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.ipynb")) == [
        "bob/01_toy/toy.ipynb", "carol/01_toy/toy.ipynb"]
    assert not (tmp_path / "evil.ipynb").exists() and not Path("/abs.ipynb").exists()
