"""Tests of autograder/journal.py: digests and the resumable record of results (no kernel)."""

from __future__ import annotations

import json
import multiprocessing
import shutil

import pytest

from autograder.errors import NotebookError, SubmissionsError
from autograder.journal import Journal, source_digest, submission_digest


def entry(student="alice", assignment="01_toy", digest="d1", source="s1", **rest):
    return {"student_id": student, "assignment": assignment, "digest": digest,
            "source": source, "status": "graded", "reason": "", "score": 1.0,
            "max_score": 2.0, "tests": [{"grade_id": "t1", "points": 1.0}], **rest}


@pytest.fixture
def submission(tmp_path):
    folder = tmp_path / "class" / "Zoë O'Brien" / "01_toy"
    folder.mkdir(parents=True)
    (folder / "toy.ipynb").write_bytes(b'{"cells": []}')
    (folder / "data").mkdir()
    (folder / "data" / "x.csv").write_bytes(b"1,2\n")
    return folder


def test_submission_digest_is_stable_across_runs_and_places(submission, tmp_path):
    copy = tmp_path / "elsewhere" / "copy"
    shutil.copytree(submission, copy)
    assert submission_digest(submission) == submission_digest(submission)
    assert submission_digest(copy) == submission_digest(submission)
    assert len(submission_digest(submission)) == 64


def test_submission_digest_ignores_checkpoints_caches_and_dotfiles(submission):
    before = submission_digest(submission)
    for junk in (".ipynb_checkpoints/toy-checkpoint.ipynb", "__pycache__/m.pyc", ".DS_Store",
                 "data/.hidden"):
        path = submission / junk
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"whatever")
    assert submission_digest(submission) == before


@pytest.mark.parametrize("change", ["byte", "rename", "move", "add", "empty-file"])
def test_submission_digest_changes_with_the_submission(submission, change):
    before = submission_digest(submission)
    notebook = submission / "toy.ipynb"
    if change == "byte":
        notebook.write_bytes(b'{"cells": [}')
    elif change == "rename":
        notebook.rename(submission / "toy2.ipynb")
    elif change == "move":
        notebook.rename(submission / "data" / "toy.ipynb")
    elif change == "add":
        (submission / "extra.py").write_bytes(b"")
    else:
        (submission / "data" / "x.csv").write_bytes(b"")
    assert submission_digest(submission) != before


def test_submission_digest_refuses_a_missing_folder(tmp_path):
    with pytest.raises(SubmissionsError, match="does not exist"):
        submission_digest(tmp_path / "missing")


def test_source_digest_depends_on_the_notebooks_bytes_not_their_order_or_place(tmp_path):
    for root in (tmp_path / "a", tmp_path / "b"):
        root.mkdir()
        (root / "toy.ipynb").write_bytes(b"source")
        (root / "more.ipynb").write_bytes(b"more")
    a = [tmp_path / "a" / "toy.ipynb", tmp_path / "a" / "more.ipynb"]
    b = [tmp_path / "b" / "more.ipynb", tmp_path / "b" / "toy.ipynb"]
    assert source_digest(a) == source_digest(b) == source_digest(list(reversed(a)))
    assert source_digest(tmp_path / "a") == source_digest(tmp_path / "b")
    assert source_digest(a) != submission_digest(tmp_path / "a")  # never confused
    (tmp_path / "b" / "toy.ipynb").write_bytes(b"sourcE")
    assert source_digest(a) != source_digest(b)
    with pytest.raises(NotebookError, match="does not exist"):
        source_digest([tmp_path / "missing.ipynb"])
    with pytest.raises(ValueError, match="at least one"):
        source_digest([])


def test_journal_latest_keeps_the_last_entry_per_student_and_assignment(tmp_path):
    journal = Journal(tmp_path / "out" / "journal.jsonl")
    assert journal.latest() == {}
    assert journal.lookup("alice", "01_toy", "d1", "s1") is None
    journal.record(entry(score=0.0))
    journal.record(entry(student="bob"))
    journal.record(entry(digest="d2", score=2.0, reason="line\u2028separator"))
    latest = journal.latest()
    assert set(latest) == {("alice", "01_toy"), ("bob", "01_toy")}
    assert latest[("alice", "01_toy")] == entry(digest="d2", score=2.0,
                                                reason="line\u2028separator")
    # A second journal on the same file (another run) sees the same.
    assert Journal(journal.path).latest() == latest


def test_journal_lookup_needs_the_same_digest_and_source(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    journal.record(entry())
    assert journal.lookup("alice", "01_toy", "d1", "s1") == entry()
    assert journal.lookup("alice", "01_toy", "d2", "s1") is None  # the submission changed
    assert journal.lookup("alice", "01_toy", "d1", "s2") is None  # the solution changed
    assert journal.lookup("alice", "02_more", "d1", "s1") is None
    journal.lookup("alice", "01_toy", "d1", "s1")["score"] = 99  # a copy, not the cache
    assert journal.lookup("alice", "01_toy", "d1", "s1")["score"] == 1.0


@pytest.mark.parametrize("bad, error", [
    ({"student_id": "alice", "assignment": "01_toy", "digest": "d1"}, "'source'"),
    (entry(student=7), "'student_id'"),
    (entry(score=object()), "cannot be written as JSON"),
    (entry(score=float("nan")), "cannot be written as JSON"),
])
def test_journal_record_refuses_entries_it_cannot_key_or_write(tmp_path, bad, error):
    journal = Journal(tmp_path / "journal.jsonl")
    with pytest.raises(TypeError, match=error):
        journal.record(bad)
    assert not journal.path.exists()


def test_journal_ignores_a_line_cut_short_and_appends_after_it(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    journal.record(entry())
    with open(journal.path, "ab") as f:  # a kill in the middle of a write
        f.write(json.dumps(entry(student="bob")).encode()[:30])
    assert set(journal.latest()) == {("alice", "01_toy")}
    journal.record(entry(student="carol"))
    assert set(journal.latest()) == {("alice", "01_toy"), ("carol", "01_toy")}
    assert set(Journal(journal.path).latest()) == {("alice", "01_toy"), ("carol", "01_toy")}
    assert journal.damaged_lines == [2]
    assert len(journal.path.read_bytes().split(b"\n")) == 4  # 3 lines and the final newline


def _append_many(path, writer, count):
    journal = Journal(path)
    for i in range(count):
        # Lines longer than a pipe buffer, so unlocked writes could interleave.
        journal.record(entry(student=f"{writer}-{i}", reason="x" * 8000))


def test_journal_appends_from_two_processes_do_not_interleave(tmp_path):
    path = tmp_path / "journal.jsonl"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(path, writer, 200))
               for writer in ("w0", "w1")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 401
    entries = [json.loads(line) for line in lines[:-1]]
    assert all(e["reason"] == "x" * 8000 for e in entries)
    assert len(Journal(path).latest()) == 400


def test_journal_compact_keeps_only_the_latest_entries(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    assert journal.compact() == 0
    for digest in ("d1", "d2", "d3"):
        journal.record(entry(digest=digest))
    journal.record(entry(student="bob"))
    with open(journal.path, "ab") as f:
        f.write(b'{"student_id": "cut')
    before = journal.latest()
    reader = Journal(journal.path)
    reader.latest()
    assert journal.compact() == 2
    lines = journal.path.read_bytes().splitlines()
    assert [json.loads(line)["digest"] for line in lines] == ["d3", "d1"]
    assert journal.latest() == before == reader.latest()  # a reader notices the new file
    journal.record(entry(student="carol"))
    assert set(reader.latest()) == {("alice", "01_toy"), ("bob", "01_toy"), ("carol", "01_toy")}
    assert not list(tmp_path.glob(".journal-*"))  # no temporary file left
