"""Ctrl-C during grading is never lost, even where Python would drop its KeyboardInterrupt."""

from __future__ import annotations

import os
import signal

import pytest

from autograder.grade import _remember_interrupts


def _press_ctrl_c_where_it_is_swallowed() -> None:
    # As in an at-fork hook: the KeyboardInterrupt is raised and dropped on the spot.
    try:
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # the handler runs between these bytecodes
            pass
    except KeyboardInterrupt:
        pass


@pytest.fixture
def default_sigint():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_swallowed_ctrl_c_still_ends_the_run(default_sigint):
    with pytest.raises(KeyboardInterrupt):
        with _remember_interrupts() as interrupted:
            _press_ctrl_c_where_it_is_swallowed()
            assert interrupted.seen
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_run_without_ctrl_c_ends_normally_and_restores_the_handler(default_sigint):
    with _remember_interrupts() as interrupted:
        pass
    assert not interrupted.seen
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_ignored_sigint_stays_ignored():
    # nohup and background jobs ignore SIGINT on purpose; the grader keeps it so.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with _remember_interrupts() as interrupted:
            os.kill(os.getpid(), signal.SIGINT)
        assert not interrupted.seen
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
