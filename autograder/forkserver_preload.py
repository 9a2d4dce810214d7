"""Imported once by the fork server of a Dask worker (see :mod:`autograder.cluster`).

Every grading job on the worker is forked from that server; what is imported
here, the grader's modules and the imports of every setup cell of the course
(numpy, matplotlib, ``helpers``), each job finds loaded instead of importing it
for itself, as local jobs find what the grader imported before forking them.
"""

from __future__ import annotations

from .settings import SOURCE_DIR, default_course_root
from .worker import warm_up_the_judge

_source = default_course_root() / SOURCE_DIR
if _source.is_dir():
    warm_up_the_judge(_source, {p.name for p in _source.iterdir() if p.is_dir()})
