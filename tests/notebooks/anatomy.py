"""The cells every course notebook shares word for word: how it works, and how to hand it in.

A student moving from one notebook to the next meets the same instructions in
the same places; ``test_notebook_anatomy.py`` holds every notebook to them.
"""

from __future__ import annotations

HOW_IT_WORKS = """\
**How this notebook works.** Cells marked `YOUR CODE HERE` are yours: replace the
line `raise NotImplementedError()` with your code, and keep the names and
signatures given, because the grader calls them. Under each exercise a test cell
checks your answer. It prints a ✓ line, or an error whose one sentence says what
was expected, what your code gave and, when the mistake is a common one, which one
it probably is; an exercise you have not done yet says so. A failing test does not
stop *Run All*. More tests, hidden here, run when your notebook is graded, so make
your code right in general, not just on the examples. Cells that build on an
unfinished exercise print `Finish <exercise> above to see this cell's result.`
instead of failing, so you can run the notebook from top to bottom at any time."""

HAND_IN = """\
## Before you hand in

Save the notebook, then run the cell below. It runs your **saved** file in a fresh
kernel under the grader's limits, lists every visible test as `PASS` or `FAIL`
with its message, warns about test cells that were changed or deleted, and
estimates your score from the visible tests (the hidden tests can only lower it).
From a terminal, `python -m autograder check <this notebook>` does the same."""

HAND_IN_ID = "cell-handin"
LAST_ID = "cell-last"


def last_cell_source(filename: str) -> str:
    """The code of the last cell: the pre-submission check of this notebook's file."""
    return f'check_notebook("{filename}")'
