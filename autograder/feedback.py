"""Write one HTML feedback page per student and notebook from a graded class.

``python -m autograder feedback`` reads ``OUT/grades.csv`` and, for every row,
writes ``OUT/feedback/<student_id>/<assignment>/<notebook>.html``. Each page is
nbgrader's own feedback (its ``GetGrades`` preprocessor and its ``feedback``
nbconvert template: points per graded cell and the total), with three
additions for the student: every failed test cell shows the test's sentence
first (the ``GradingError`` message of :mod:`helpers.grading`) and the raw
traceback collapsed after it, a passed test cell shows a short mark, and an
``error`` or ``flagged`` submission opens with a coloured banner saying why.
Pages open from disk: styles are inline, no script is loaded from the network, and
formulas are drawn as images (:mod:`autograder.texmath`) instead of by MathJax.
What a student's code displayed is made inert: JavaScript outputs are dropped,
HTML outputs are shown as text, and every page carries a Content-Security-Policy
that lets no script run and nothing be fetched, whatever a notebook contains.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import nbformat
import nbgrader
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbformat.v4 import new_output
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import GetGrades
from traitlets.config import Config

from .cellmeta import is_test_cell
from .course import SOURCE_DIR, check_gradebook_url, sqlite_path
from .csvfiles import CsvError, GradeRow, format_points, read_rows
from .failures import failure_text, strip_ansi
from .texmath import CSS as MATH_CSS
from .texmath import render_math

__all__ = ["FeedbackError", "generate_feedback", "hide_hidden_tests", "read_grades", "strip_ansi",
           "failure_text", "make_outputs_inert", "CSP"]

# What is written when a row names no notebook we know (e.g. an unknown assignment).
FALLBACK_PAGE = "index"

# A script or stylesheet fetched from elsewhere: the page must work offline.
_REMOTE_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>.*?</script\s*>",
    re.IGNORECASE | re.DOTALL)
_REMOTE_LINK = re.compile(
    r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>", re.IGNORECASE)
# nbconvert's inline MathJax set-up: useless once the MathJax script is gone.
_MATHJAX_SETUP = re.compile(r"<script\b[^>]*>(?:(?!</script).)*MathJax(?:(?!</script).)*"
                            r"</script\s*>", re.IGNORECASE | re.DOTALL)

_NBGRADER_TEMPLATES = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
_BOOTSTRAP_CSS = _NBGRADER_TEMPLATES / "static" / "node_modules" / "bootstrap" / "dist" / "css"

# No script runs, nothing is fetched: only inline styles and embedded images.
CSP = ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
       "img-src data:; style-src 'unsafe-inline'; font-src data:\" />\n")
# Output types a student's code may produce that a browser would run or parse as markup.
_ACTIVE_TYPES = ("application/javascript", "text/html", "image/svg+xml",
                 "application/vnd.jupyter.widget-view+json")

STYLE = """<style type="text/css">
.ag-banner { margin: 0 0 1em 0; padding: 0.8em 1.2em; border-radius: 4px;
  border-left: 6px solid; font-size: 15px; }
.ag-banner h2 { margin: 0 0 0.3em 0; font-size: 18px; }
.ag-banner p { margin: 0.2em 0; white-space: pre-wrap; }
.ag-graded { background: #eef6ee; border-color: #3c8d40; }
.ag-error { background: #fdecea; border-color: #c62828; }
.ag-flagged { background: #fff4e0; border-color: #e08a00; }
.ag-fail { margin: 0.3em 0; padding: 0.6em 0.9em; background: #fdecea;
  border: 1px solid #e6a5a0; border-left: 6px solid #c62828; border-radius: 4px; }
.ag-fail .ag-title { font-weight: bold; color: #8e1c1c; margin-bottom: 0.3em; }
.ag-fail .ag-message { white-space: pre-wrap; font-size: 14px; margin: 0; }
.ag-fail details { margin-top: 0.5em; }
.ag-fail summary { cursor: pointer; color: #555; }
.ag-fail details pre { font-size: 12px; background: #fff; padding: 0.5em;
  border: 1px solid #ddd; overflow-x: auto; white-space: pre; }
.ag-pass { margin: 0.3em 0; padding: 0.3em 0.9em; background: #eef6ee;
  border-left: 6px solid #3c8d40; border-radius: 4px; color: #1d5e20; font-weight: bold; }
""" + MATH_CSS + """</style>
"""


class FeedbackError(CsvError):
    """Feedback cannot be written: no grades yet, or an unsafe name in them."""


def _html_output(markup: str):
    return new_output("display_data", data={"text/html": markup})


def _points(score, points) -> str:
    return f"{format_points(score)} / {format_points(points)} points"


_BEGIN_HIDDEN, _END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
HIDDEN_NOTE = "# The hidden tests of this cell are not shown."


def hide_hidden_tests(source: str) -> tuple[str, bool]:
    """``source`` with each hidden-test region replaced by a one-line note.

    The regions are nbgrader's (``### BEGIN HIDDEN TESTS`` to ``### END HIDDEN
    TESTS``, markers included). Returns the new source and whether a region was
    found. An unterminated region hides everything after its start.
    """
    kept: list[str] = []
    hidden = found = False
    for line in source.splitlines():
        if not hidden and _BEGIN_HIDDEN in line:
            hidden = found = True
            indent = line[:len(line) - len(line.lstrip())]
            kept.append(indent + HIDDEN_NOTE)
        elif hidden:
            hidden = _END_HIDDEN not in line
        else:
            kept.append(line)
    return "\n".join(kept), found


def _mark_test_cell(cell, status: str, reason: str, show_traceback: bool = True) -> None:
    """Put a pass mark or a failure box first among a graded test cell's outputs."""
    meta = cell.metadata.nbgrader
    score, points = meta.get("score") or 0.0, meta.get("points") or 0.0
    if score >= points:
        cell.outputs = [_html_output(f'<div class="ag-pass">&#10004; passed &mdash; '
                                     f'{_points(score, points)}</div>')] + cell.outputs
        return
    message, traceback = failure_text(cell.outputs)
    if status == "flagged":
        message = f"No points: your submission was flagged ({reason})." + (
            f"\n\nThe test said: {message}" if message else "")
    elif not message:
        message = "This test cell earned no points, although it printed no error."
    if score > 0:
        title = f"Partly passed &mdash; {_points(score, points)}"
    else:
        title = f"Failed &mdash; {_points(score, points)}"
    box = [f'<div class="ag-fail"><div class="ag-title">&#10008; {title}</div>',
           f'<p class="ag-message">{html.escape(message)}</p>']
    # A GradingError draws itself as its sentence alone: nothing more to unfold.
    if traceback and show_traceback and traceback.strip() not in (message,
                                                                 f"GradingError: {message}"):
        box.append("<details><summary>Show the full traceback</summary>"
                   f"<pre>{html.escape(traceback)}</pre></details>")
    box.append("</div>")
    # The raw error is inside the box now; prints made before it stay below.
    rest = [o for o in cell.outputs if o.get("output_type") != "error"]
    cell.outputs = [_html_output("".join(box))] + rest


def _banner(row: GradeRow, notebook: str, note: str = "") -> str:
    status, reason = row.status, row.reason
    score = f"{format_points(row.score)} of {format_points(row.max_score)} points"
    if status == "error":
        head, text = "Your submission could not be graded in full", reason
    elif status == "flagged":
        head, text = "Your submission was flagged", reason
    else:
        status, head, text = "graded", "Your submission was graded", ""
    parts = [f'<div class="ag-banner ag-{status}" id="ag-banner">',
             f"<h2>{html.escape(head)}</h2>",
             f"<p>Student: {html.escape(row.student_id)} &middot; assignment "
             f"{html.escape(row.assignment)} &middot; notebook {html.escape(notebook)}</p>"]
    if text:
        parts.append(f'<p class="ag-reason"><strong>Why:</strong> {html.escape(text)}</p>')
    parts.append(f"<p>Score for the assignment: {score}.</p>")
    if note:
        parts.append(f"<p>{html.escape(note)}</p>")
    parts.append("</div>")
    return "".join(parts)


def make_outputs_inert(nb) -> None:
    """Drop what a browser would run from the outputs of a student's notebook.

    JavaScript and widget views are dropped; HTML and SVG are kept only as text
    (their ``text/plain`` form, or the markup itself, escaped by the exporter).
    """
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            active = [kind for kind in data if kind in _ACTIVE_TYPES]
            if not active:
                continue
            markup = data.get("text/html") or data.get("image/svg+xml")
            for kind in active:
                del data[kind]
            if "text/plain" not in data and isinstance(markup, (str, list)):
                data["text/plain"] = markup if isinstance(markup, str) else "".join(markup)


def _offline(page: str) -> str:
    page = _REMOTE_SCRIPT.sub("", page)
    page = _REMOTE_LINK.sub("", page)
    return _MATHJAX_SETUP.sub("", page)


def _exporter() -> HTMLExporter:
    # The set-up of nbgrader's GenerateFeedback converter, without its course-folder walk.
    config = Config()
    config.HTMLExporter.template_name = "feedback"
    config.HTMLExporter.extra_template_basedirs = [str(_NBGRADER_TEMPLATES / "templates")]
    config.HTMLExporter.extra_template_paths = [str(_BOOTSTRAP_CSS)]
    config.HTMLExporter.embed_images = True
    exporter = HTMLExporter(config=config)
    exporter.register_preprocessor(CSSHTMLHeaderPreprocessor(), enabled=True)
    return exporter


def _notebook_page(path: Path, row: GradeRow, notebook: str, db_url: str,
                   hide_hidden: bool = False) -> str:
    nb = nbformat.read(str(path), as_version=4)
    resources = {"nbgrader": {"notebook": notebook, "assignment": row.assignment,
                              "student": row.student_id, "db_url": db_url}}
    nb, resources = GetGrades().preprocess(nb, resources)
    make_outputs_inert(nb)  # before our own boxes, which are HTML we wrote
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = render_math(cell.source)
        if is_test_cell(cell):
            had_hidden = False
            if hide_hidden:
                cell.source, had_hidden = hide_hidden_tests(cell.source)
            # A traceback quotes the lines it ran through, hidden ones included.
            _mark_test_cell(cell, row.status, row.reason, show_traceback=not had_hidden)
    resources["metadata"] = {"name": notebook}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return body


def _banner_page(row: GradeRow, notebook: str, note: str) -> str:
    title = html.escape(f"{notebook} - {row.student_id}")
    return ("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\" />\n"
            f"{CSP}<title>{title}</title>\n{STYLE}</head>\n"
            "<body style=\"font-family: sans-serif; margin: 2em;\">\n"
            f"{_banner(row, notebook, note)}\n</body>\n</html>\n")


def _insert(page: str, row: GradeRow, notebook: str) -> str:
    head = re.search(r"<head\b[^>]*>", page)
    if head is not None:  # the policy first, before anything it must govern
        page = page[:head.end()] + "\n" + CSP + page[head.end():]
    page = page.replace("</head>", STYLE + "</head>", 1)
    match = re.search(r"<body\b[^>]*>", page)
    banner = _banner(row, notebook)
    if match is None:
        return banner + page
    return page[:match.end()] + "\n" + banner + page[match.end():]


def _safe_part(name: str, what: str) -> str:
    if (not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name
            or ".." in name):
        raise FeedbackError(f"refusing to write feedback for the {what} {name!r}: "
                            "the name cannot be a folder inside feedback/")
    return name


def _missing_sqlite(db_url: str) -> bool:
    path = sqlite_path(db_url)
    return path is not None and not path.is_file()


def _notebook_names(course_root: Path, db_url: str, row: GradeRow) -> list[str]:
    """The notebooks of a submission: the gradebook's, else the course's sources."""
    names: list[str] = []
    if not _missing_sqlite(db_url):  # opening a missing SQLite gradebook would create one
        with Gradebook(db_url) as gb:
            try:
                submission = gb.find_submission(row.assignment, row.student_id)
                names = sorted(n.name for n in submission.notebooks)
            except MissingEntry:
                pass
    source = course_root / SOURCE_DIR / row.assignment
    if not names and source.is_dir():
        names = sorted(p.stem for p in source.glob("*.ipynb"))
    return names or [FALLBACK_PAGE]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_grades(out: Path) -> list[GradeRow]:
    """The rows of ``OUT/grades.csv``; raises FeedbackError when it is missing or malformed."""
    return read_rows(out / "grades.csv", GradeRow, FeedbackError)


def generate_feedback(out_dir: str | os.PathLike, course_root: str | os.PathLike, *,
                      db_url: str | None = None, hide_hidden: bool = False) -> list[Path]:
    """Write ``OUT/feedback/<student_id>/<assignment>/<notebook>.html`` for every row of grades.csv.

    Parameters
    ----------
    out_dir : path
        The folder ``grade`` wrote (``grades.csv``, ``gradebook.db``, ``autograded/``).
    course_root : path
        Course folder holding ``solutions/``: names the notebooks of a submission
        the gradebook does not know (e.g. one that was not valid JSON).
    db_url : str, optional
        SQLAlchemy URL of the gradebook; default ``sqlite:///OUT/gradebook.db``.
    hide_hidden : bool
        Replace the code of every hidden-test region by a one-line note and drop
        the tracebacks of those cells (they quote the code), keeping each test's
        points and its sentence. For tests reused across resubmissions or years.

    Returns
    -------
    list of Path
        The pages written, in the order of ``grades.csv``. A row whose
        assignment has no known notebook gets ``index.html``.

    Raises
    ------
    FeedbackError
        When ``OUT/grades.csv`` is missing or malformed, or a student id or
        assignment name could leave ``OUT/feedback``.
    """
    out = Path(out_dir).resolve()
    rows = read_grades(out)
    course_root = Path(course_root).resolve()
    db_url = db_url or f"sqlite:///{out / 'gradebook.db'}"
    if not _missing_sqlite(db_url):
        check_gradebook_url(db_url)
    root = out / "feedback"
    for row in rows:
        _safe_part(row.student_id, "student id")
        _safe_part(row.assignment, "assignment")
    written = []
    for row in rows:
        folder = (root / row.student_id / row.assignment).resolve()
        if root.resolve() not in folder.parents:
            raise FeedbackError(f"refusing to write feedback for {row.student_id!r} "
                                "outside the feedback folder")
        for notebook in _notebook_names(course_root, db_url, row):
            _safe_part(notebook, "notebook")
            autograded = out / "autograded" / row.student_id / row.assignment / (
                f"{notebook}.ipynb")
            page = None
            if autograded.is_file():
                try:
                    page = _insert(_notebook_page(autograded, row, notebook, db_url,
                                                  hide_hidden), row, notebook)
                except (MissingEntry, ValueError, KeyError):
                    page = None  # graded cells unknown to the gradebook: banner only
            if page is None:
                note = ("There is no graded copy of this notebook to show, so this page "
                        "only says why.") if row.status != "graded" else (
                        "There is no graded copy of this notebook to show.")
                page = _banner_page(row, notebook, note)
            path = folder / f"{notebook}.html"
            _write(path, _offline(page))
            written.append(path)
    return written
