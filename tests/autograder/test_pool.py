"""JobPool: jobs side by side, each in a process of its own; how each ended, told apart."""

from __future__ import annotations

import os
import time

import pytest

from autograder.pool import Died, Done, Failed, JobPool, Overdue


def work(job):
    kind, value = job
    if kind == "square":
        return value * value
    if kind == "exit":
        os._exit(value)
    if kind == "sleep":
        time.sleep(value)
        return "woke"
    if kind == "raise":
        raise ValueError(f"bad job {value}\nsecond line")
    if kind == "pid":
        return os.getpid()
    if kind == "global":      # what one job does to its process must not reach the next
        global SEEN
        before = SEEN
        SEEN = value
        return before
    raise AssertionError(kind)


SEEN = "untouched"


def _drain(pool, deadline=60.0):
    ended = {}
    stop = time.monotonic() + deadline
    while pool.running and time.monotonic() < stop:
        ended.update(pool.wait(timeout=1.0))
    return ended


def test_each_outcome_is_told_apart_and_only_its_own_job_is_affected():
    with JobPool(4, work) as pool:
        pool.start("ok", ("square", 7), limit=30)
        pool.start("exit", ("exit", 7), limit=30)
        pool.start("raise", ("raise", 3), limit=30)
        pool.start("slow", ("sleep", 60), limit=1.5)
        ended = _drain(pool)
    assert ended["ok"] == Done(49)
    assert ended["exit"] == Died(7)
    assert ended["raise"] == Failed("ValueError: bad job 3")
    assert ended["slow"] == Overdue(1.5)


def test_never_more_jobs_than_its_size_and_every_job_in_a_fresh_process():
    with JobPool(2, work) as pool:
        pool.start(1, ("pid", 0), limit=30)
        pool.start(2, ("global", "first"), limit=30)
        assert not pool.has_room
        with pytest.raises(RuntimeError, match="full"):
            pool.start(3, ("square", 1), limit=30)
        first = _drain(pool)
        pool.start(3, ("global", "second"), limit=30)
        pool.start(4, ("pid", 0), limit=30)
        second = _drain(pool)
    assert second[3] == Done("untouched")          # the first job's change did not stay
    assert first[1].value != second[4].value != os.getpid()


def test_an_overdue_job_is_killed_and_reaped_and_stop_all_leaves_nothing():
    with JobPool(2, work) as pool:
        pool.start("a", ("sleep", 60), limit=0.5)
        pool.start("b", ("sleep", 60), limit=60)
        process = pool.running["a"].process
        ended = pool.wait(timeout=5)
        assert ended == [("a", Overdue(0.5))]
        assert not process.is_alive()
        other = pool.running["b"].process
    assert not other.is_alive() and not pool.running    # the with block stopped the rest


def test_a_pool_needs_a_size():
    with pytest.raises(ValueError, match="at least one process"):
        JobPool(0, work)
