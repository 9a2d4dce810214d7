"""The instructor's command line: ``python -m autograder <command>``.

Commands: ``release``, ``collect``, ``grade``, ``feedback``, ``report``,
``check`` and ``demo``. Every error of ours becomes one line ``autograder: <sentence>`` on
stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import AutograderError
from .sandbox import SANDBOX_CHOICES, choose_sandbox
from .settings import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, NOTEBOOK_TIMEOUT_FACTOR

# Each command imports its own module (and nbgrader, nbclient) when it runs:
# `--help` and a mistyped option answer at once.

__all__ = ["build_parser", "main"]


def _positive(unit: str):
    """An argparse type: a positive whole number of ``unit``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            message = f"expected a whole number of {unit}, got {text!r}"
            raise argparse.ArgumentTypeError(message) from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number of {unit}, got {value}")
        return value

    parse.__name__ = f"number of {unit}"
    return parse


_seconds, _workers, _megabytes = _positive("seconds"), _positive("workers"), _positive("MB")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m autograder``."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Release, grade and check the course's notebooks with nbgrader.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--course", type=Path, default=None, metavar="DIR",
                        help="course root holding solutions/ and notebooks/ "
                             "(default: $AUTOGRADER_COURSE, else the repository root)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    release = commands.add_parser("release", parents=[common],
                                  help="generate notebooks/ from solutions/")
    release.add_argument("assignments", nargs="*", metavar="NN_topic",
                         help="assignments to release (default: all)")

    grade = commands.add_parser("grade", parents=[common], help="autograde a class")
    grade.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                       help="folder SUBMISSIONS/<student_id>/<NN_topic>/<notebook>.ipynb")
    grade.add_argument("--out", type=Path, default=Path("grading"), metavar="DIR",
                       help="output folder (default: grading/)")
    grade.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                       metavar="SECONDS", help=f"time limit per cell (default {DEFAULT_TIMEOUT}); "
                            f"the whole notebook gets {NOTEBOOK_TIMEOUT_FACTOR} times as long")
    grade.add_argument("--workers", type=_workers, default=None, metavar="N",
                       help="submissions graded at once (default: the number of cores)")
    grade.add_argument("--memory-mb", type=_megabytes, default=DEFAULT_MEMORY_MB,
                       metavar="MB", help="memory limit of each notebook's kernel "
                                          f"(default {DEFAULT_MEMORY_MB})")
    grade.add_argument("--db", default=None, metavar="URL",
                       help="gradebook SQLAlchemy URL (default: sqlite:///DIR/gradebook.db)")
    grade.add_argument("--sandbox", choices=SANDBOX_CHOICES, default="auto",
                       help="confine each kernel with bubblewrap (bwrap), with the in-process "
                            "audit hook alone (none), or with bubblewrap where it works (auto, "
                            "the default)")
    grade.add_argument("--cluster", default=None, metavar="ADDRESS",
                       help="grade on a Dask cluster: its scheduler's address "
                            "(tcp://host:8786) or scheduler file (see the README)")

    collect = commands.add_parser(
        "collect", parents=[common],
        help="file an LMS export's hand-ins as SUBMISSIONS/<student_id>/<assignment>/")
    collect.add_argument("export", type=Path, metavar="EXPORT",
                         help="the export: a zip, or the folder it was unpacked into")
    collect.add_argument("--assignment", required=True, metavar="NN_topic",
                         help="the assignment the export holds")
    collect.add_argument("--into", type=Path, required=True, metavar="SUBMISSIONS",
                         help="the class folder to add to (created if missing)")
    collect.add_argument("--pattern", default="canvas", metavar="canvas|moodle|blackboard|REGEX",
                         help="how the export names files: a known system (default canvas) or "
                              "a regular expression over each file's path in the export with a "
                              "group (?P<student>...) or (?P<name>...), and optionally "
                              "(?P<late>...), (?P<order>...), (?P<time>...)")
    collect.add_argument("--replace", action="store_true",
                         help="replace a notebook collected earlier by a different one")

    check = commands.add_parser("check", parents=[common],
                                help="run a notebook's visible tests before handing it in")
    check.add_argument("notebook", type=Path, metavar="NOTEBOOK")
    check.add_argument("--memory-mb", type=_megabytes, default=DEFAULT_MEMORY_MB,
                       metavar="MB",
                       help=f"memory limit of the kernel (default {DEFAULT_MEMORY_MB})")
    check.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                       metavar="SECONDS", help=f"time limit per cell (default {DEFAULT_TIMEOUT})")

    feedback = commands.add_parser("feedback", parents=[common],
                                   help="write an HTML feedback page per student and notebook")
    feedback.add_argument("--out", type=Path, default=Path("grading"), metavar="DIR",
                          help="the folder `grade` wrote (default: grading/)")
    feedback.add_argument("--db", default=None, metavar="URL",
                          help="gradebook SQLAlchemy URL (default: sqlite:///DIR/gradebook.db)")
    feedback.add_argument("--hide-hidden-tests", action="store_true",
                          help="show each hidden test's points and message but not its code "
                               "or traceback (for tests reused across resubmissions or years)")

    report = commands.add_parser("report", parents=[common],
                                 help="summarise a graded class: terminal summary and HTML page")
    report.add_argument("--out", type=Path, default=Path("grading"), metavar="DIR",
                        help="the folder `grade` wrote (default: grading/)")

    demo = commands.add_parser("demo", parents=[common],
                               help="grade a synthetic class built from the solutions")
    demo.add_argument("--out", type=Path, default=Path("grading/demo"), metavar="DIR",
                      help="output folder (default: grading/demo)")
    demo.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                      metavar="SECONDS", help=f"time limit per cell (default {DEFAULT_TIMEOUT})")
    return parser


def _run(args: argparse.Namespace) -> int:
    from .course import default_course_root

    course = args.course if args.course is not None else default_course_root()
    if args.command == "release":
        from .release import release_course

        for path in release_course(course, args.assignments):
            print(f"released {path}")
        return 0
    if args.command == "grade":
        from .demo import format_table
        from .grade import grade_class

        start = time.monotonic()
        if args.cluster:
            if args.workers is not None:
                raise AutograderError("--workers sets how many submissions this machine grades "
                                      "at once; with --cluster the cluster's workers decide")
            mode = args.sandbox   # each worker decides; grade_class says what they chose
            print(f"grading on the Dask cluster at {args.cluster}", flush=True)
        else:
            mode, note = choose_sandbox(args.sandbox)
            print(note, flush=True)
        result = grade_class(args.submissions, course, args.out, workers=args.workers,
                             timeout=args.timeout, memory_mb=args.memory_mb, db_url=args.db,
                             progress=sys.stderr.isatty(), sandbox=mode, cluster=args.cluster)
        if args.cluster:
            print(result.sandbox_note)
        print(format_table(result.grades))
        print(f"grades: {result.grades_csv}")
        print(f"tests:  {result.tests_csv}")
        not_graded = sum(row.status != "graded" for row in result.grades)
        print(f"{len(result.grades)} rows: {result.graded} graded now, {result.reused} unchanged "
              f"since the last run, {not_graded} with status error or flagged "
              f"({time.monotonic() - start:.0f} s)")
        if result.unplaced:
            print(f"{len(result.unplaced)} files could not be placed as "
                  "<student_id>/<assignment>/<notebook>.ipynb and have no row:")
            for path, why in result.unplaced:
                print(f"  {path}: {why}")
            print(f"autograder: {len(result.unplaced)} files under {args.submissions} have no "
                  "row (listed above); put them where they belong and run the same command "
                  "again", file=sys.stderr)
            return 1
        return 0
    if args.command == "collect":
        from .collect import collect, summary

        result = collect(args.export, args.assignment, args.into, course,
                         pattern=args.pattern, replace=args.replace)
        for line in summary(result, args.assignment, args.export, args.into):
            print(line)
        if result.unplaced:
            print(f"autograder: {len(result.unplaced)} files of {args.export} were not placed "
                  "(listed above); see why, then collect again", file=sys.stderr)
            return 1
        return 0
    if args.command == "check":
        from .check import print_check

        return print_check(args.notebook, timeout=args.timeout, memory_mb=args.memory_mb,
                              course_root=course)
    if args.command == "feedback":
        from .feedback import generate_feedback

        pages = generate_feedback(args.out, course, db_url=args.db,
                                  hide_hidden=args.hide_hidden_tests)
        print(f"wrote {len(pages)} feedback pages under {Path(args.out) / 'feedback'}")
        return 0
    if args.command == "report":
        from .report import build_report, summary_text

        build_report(args.out)
        print(summary_text(args.out))
        return 0
    if args.command == "demo":
        from .demo import run_demo

        run_demo(course, args.out, timeout=args.timeout)
        return 0
    raise AssertionError(f"unhandled command {args.command}")  # argparse prevents this


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (2 for an error of ours)."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except AutograderError as error:  # the user's situation, in one sentence; a bug of
        print(f"autograder: {error}", file=sys.stderr)  # ours keeps its traceback
        return 2
    except KeyboardInterrupt:
        print("autograder: interrupted; run the same command again to continue", file=sys.stderr)
        return 130
