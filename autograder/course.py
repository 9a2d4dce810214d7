"""The course folder: where the solutions are and how nbgrader sees them.

A course root holds ``solutions/<NN_topic>/<name>.ipynb`` (nbgrader's source
directory) and ``notebooks/<NN_topic>/`` (its release directory). This module
finds assignments and builds the :class:`nbgrader.coursedir.CourseDirectory`
that every other module hands to nbgrader's converters.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

from nbgrader.coursedir import CourseDirectory

from .errors import CourseError, GradebookError, UnknownAssignmentError, first_line
from .settings import SOURCE_DIR, default_course_root

__all__ = [
    "sqlite_path",
    "SOURCE_DIR",
    "RELEASE_DIR",
    "COURSE_ID",
    "default_course_root",
    "solutions_dir",
    "list_assignments",
    "resolve_assignments",
    "source_notebooks",
    "make_coursedir",
    "ensure_alembic_on_path",
    "check_gradebook_url",
    "shown_url",
    "write_nbgrader_config",
    "gradebook_lock",
    "NBGRADER_CONFIG",
]

RELEASE_DIR = "notebooks"
#: The gradebook's course: the one nbgrader's ``Gradebook`` creates by default. Every
#: assignment is recorded under it; nbgrader's own CourseDirectory default (``""``)
#: names no course row, which a database that enforces foreign keys (PostgreSQL)
#: refuses and SQLite lets through.
COURSE_ID = "default_course"


def solutions_dir(course_root: str | os.PathLike) -> Path:
    """Return ``course_root/solutions``.

    Raises
    ------
    CourseError
        When the course root or its ``solutions/`` folder does not exist.
    """
    root = Path(course_root).resolve()
    if not root.is_dir():
        raise CourseError(f"the course folder {root} does not exist")
    source = root / SOURCE_DIR
    if not source.is_dir():
        raise CourseError(f"the course folder {root} has no {SOURCE_DIR}/ folder")
    return source


def list_assignments(course_root: str | os.PathLike) -> list[str]:
    """Names of the assignments: the folders of ``solutions/`` holding a notebook, sorted."""
    source = solutions_dir(course_root)
    return sorted(
        p.name for p in source.iterdir()
        if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb"))
    )


def resolve_assignments(course_root: str | os.PathLike,
                        names: list[str] | None = None) -> list[str]:
    """Check assignment names against ``solutions/``; all of them when ``names`` is empty.

    Raises
    ------
    UnknownAssignmentError
        For a name that is not an assignment, listing the known ones.
    CourseError
        When the course has no assignment at all.
    """
    known = list_assignments(course_root)
    if not known:
        source = solutions_dir(course_root)
        raise CourseError(f"{source} holds no assignment folder with a notebook")
    if not names:
        return known
    for name in names:
        if name not in known:
            raise UnknownAssignmentError(
                f"unknown assignment {name!r}; known assignments: {', '.join(known)}")
    return list(dict.fromkeys(names))


def source_notebooks(course_root: str | os.PathLike, assignment: str) -> list[Path]:
    """The source notebooks of one assignment, sorted."""
    resolve_assignments(course_root, [assignment])
    return sorted((solutions_dir(course_root) / assignment).glob("*.ipynb"))


def make_coursedir(root: str | os.PathLike, *, source: str | os.PathLike,
                   release: str | os.PathLike | None = None,
                   db_url: str | None = None) -> CourseDirectory:
    """A :class:`CourseDirectory` rooted at ``root`` with absolute source/release folders.

    Parameters
    ----------
    root : path
        nbgrader's working root: ``submitted/`` and ``autograded/`` live here.
    source : path
        The folder that holds ``<assignment>/<notebook>.ipynb`` sources.
    release : path, optional
        Where generate_assignment writes; defaults to ``root/release``.
    db_url : str, optional
        SQLAlchemy URL of the gradebook; defaults to ``sqlite:///root/gradebook.db``.
    """
    coursedir = CourseDirectory()
    coursedir.course_id = COURSE_ID
    coursedir.root = str(Path(root).resolve())
    coursedir.source_directory = str(Path(source).resolve())
    if release is not None:
        coursedir.release_directory = str(Path(release).resolve())
    if db_url:
        coursedir.db_url = db_url
    return coursedir


def ensure_alembic_on_path() -> None:
    """Put this interpreter's ``bin`` folder first on ``PATH``.

    nbgrader runs ``alembic`` as a subprocess when it creates a gradebook; in
    a virtual environment that was not activated it is otherwise not found.
    """
    bindir = os.path.dirname(sys.executable)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if not parts or parts[0] != bindir:
        os.environ["PATH"] = os.pathsep.join([bindir] + [p for p in parts if p != bindir])


def sqlite_path(db_url: str) -> Path | None:
    """The file of a ``sqlite:///`` gradebook URL, None for any other database."""
    prefix = "sqlite:///"
    return Path(db_url[len(prefix):]).resolve() if db_url.startswith(prefix) else None


def shown_url(db_url) -> str:
    """A database URL as it may be printed: its password, if any, as ``***``."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 (not a URL: shown as given would risk a password)
        return "the given URL"


def check_gradebook_url(db_url: str) -> None:
    """Raise GradebookError, naming the URL and why, unless ``db_url`` can be connected to.

    nbgrader's own failures on a bad URL name neither; this check comes first.
    A password in the URL is never shown.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    try:
        url = make_url(db_url)
    except ArgumentError:
        raise GradebookError(f"the gradebook URL {db_url!r} is not a database URL; give one "
                             "like sqlite:///grading/gradebook.db") from None
    shown = shown_url(url)
    try:
        engine = create_engine(url)
    except ImportError as error:
        raise GradebookError(f"cannot use the gradebook at {shown}: its database driver is not "
                             f"installed ({first_line(error)})") from None
    except (ArgumentError, SQLAlchemyError) as error:
        raise GradebookError(f"cannot use the gradebook at {shown}: "
                             f"{first_line(error)}") from None
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        raise GradebookError(f"cannot open the gradebook at {shown}: "
                             f"{first_line(getattr(error, 'orig', None) or error)}") from None
    finally:
        engine.dispose()


#: The advisory lock every grader writing to a PostgreSQL gradebook takes (any number).
_GRADEBOOK_LOCK = 0x6772616465  # "grade"


@contextmanager
def gradebook_lock(db_url: str):
    """Hold the gradebook for one writer at a time, across processes and machines.

    nbgrader creates its tables, its course and its students with "find, else
    insert": two graders writing to one PostgreSQL database at once (two
    instructors, two notebooks) both insert, and one of them fails. On
    PostgreSQL this takes a session advisory lock for the block; SQLite locks
    its file itself, so there it does nothing.
    """
    if not db_url.startswith("postgresql"):
        yield
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _GRADEBOOK_LOCK})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": _GRADEBOOK_LOCK})
    finally:
        engine.dispose()


#: The file ``grade`` writes into its output folder for nbgrader's own tools.
NBGRADER_CONFIG = "nbgrader_config.py"


def write_nbgrader_config(out: str | os.PathLike, course_root: str | os.PathLike,
                          db_url: str) -> Path:
    """Write ``OUT/nbgrader_config.py``: formgrader and ``nbgrader export`` started in OUT
    then read the class graded there.

    nbgrader reads ``nbgrader_config.py`` from the folder it starts in. The course
    root's own file describes the course (``solutions/``, ``notebooks/``), not a
    graded class, so formgrader opened there shows empty tables (and creates a
    ``gradebook.db`` beside it). This one roots nbgrader in OUT, where
    ``autograded/`` and the gradebook are, and sends ``nbgrader export`` to
    ``nbgrader_grades.csv``, so it never overwrites the grader's ``grades.csv``.
    A gradebook URL that holds a password is not written; the file says to give it.
    """
    from sqlalchemy.engine import make_url

    out = Path(out)
    url = make_url(db_url)
    own_sqlite = sqlite_path(db_url) == (out / "gradebook.db").resolve()
    if own_sqlite:
        db_line = "# the gradebook is ./gradebook.db, nbgrader's default for this root"
    elif url.password:
        db_line = ("# the gradebook's URL holds a password, so it is not written here: start\n"
                   "# nbgrader with --CourseDirectory.db_url=<the URL given to grade --db>")
    else:
        db_line = f"c.CourseDirectory.db_url = {db_url!r}"
    solutions = str(Path(course_root).resolve() / SOURCE_DIR)
    text = (
        '"""nbgrader\'s settings for the class graded in this folder (written by\n'
        "`python -m autograder grade`, rewritten at every run).\n\n"
        "    cd <this folder> && jupyter lab    # Nbgrader > Formgrader: this class\n"
        "    cd <this folder> && nbgrader export  # -> nbgrader_grades.csv\n"
        '"""\n\n'
        "c = get_config()  # noqa: F821 (provided by traitlets)\n\n"
        "# The course root is the folder nbgrader starts in (its default): this one.\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.source_directory = {solutions!r}\n"
        f"{db_line}\n"
        'c.ExportPlugin.to = "nbgrader_grades.csv"\n')
    path = out / NBGRADER_CONFIG
    partial = out / f".{NBGRADER_CONFIG}.partial"
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path
