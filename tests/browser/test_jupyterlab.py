"""Notebook 01 as a student sees it: JupyterLab in headless Chromium.

Starts JupyterLab on localhost (a free port, a random token, a throw-away
home), opens the released notebook 01 with exercise 1 solved, runs every cell
from the Run menu as a student would, and checks the rendered page: no error
output outside the unfinished exercises, and a sliding-window explorer whose
sliders redraw its figure. Screenshots land in the test's temporary folder.

Needs Debian's Chromium (``/usr/bin/chromium``), Playwright's Python package
(which drives that Chromium; Playwright's own browser download is not used)
and JupyterLab; without one of them the test is skipped, saying which.
Set ``COURSE_WIDGET_SCREENSHOT=PATH`` to also write the explorer's picture to
PATH: that is how ``docs/widget.png`` is made.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from autograder.cellmeta import grade_id, is_solution_cell

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "01_convolution_arithmetic" / "convolution_arithmetic.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags Chromium keeps dialling Google's hosts, which a
# closed network refuses (see the machine notes); nothing here needs them.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SOLVED = "conv_output_size"  # the exercise our simulated student has finished
SOLUTION = '''\
    for name, value, smallest in (("n", n, 1), ("k", k, 1), ("s", s, 1), ("d", d, 1), ("p", p, 0)):
        if value < smallest:
            raise ValueError(f"{name} must be at least {smallest}, got {value}")
    span = d * (k - 1) + 1  # positions covered by the dilated kernel
    if span > n + 2 * p:
        raise ValueError(f"kernel spanning {span} does not fit input {n} with padding {p}")
    return int((n + 2 * p - span) // s + 1)
'''
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"

# Worst cases; a run here takes about 30 s in all (server 3 s, page 7 s, cells 14 s).
SERVER_START_SECONDS = 40
TEST_SECONDS = 70  # everything after the server answers, browser included


def _missing():
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright module (pip install playwright)")
    if importlib.util.find_spec("jupyterlab") is None:  # started as sys.executable -m jupyterlab
        missing.append("jupyter-lab (pip install jupyterlab)")
    return missing


MISSING = _missing()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(MISSING), reason="needs " + "; ".join(MISSING)),
]


# --------------------------------------------------------------------------- the notebook

def write_student_notebook(folder):
    """The released notebook 01 with exercise 1 solved, as a student would save it.

    Returns the file's path and the notebook's cells (to map the page's cells
    back to their ``grade_id``).
    """
    nb = nbformat.read(NOTEBOOK, as_version=4)
    (cell,) = [c for c in nb.cells if _grade_id(c) == SOLVED]
    assert STUB in cell.source, f"the released {SOLVED} cell no longer ends in the stub"
    cell.source = cell.source.replace(STUB, SOLUTION.rstrip("\n"))
    path = folder / NOTEBOOK.name
    nbformat.write(nb, path)
    return path, nb.cells


def _grade_id(cell):
    return grade_id(cell)


def exercise_of(cell, exercises):
    """The exercise a solution or test cell belongs to (``test_x_2`` -> ``x``), else None."""
    grade_id = _grade_id(cell)
    if grade_id in exercises:
        return grade_id
    match = re.fullmatch(r"test_(.+?)(_\d+)?", grade_id or "")
    if match and match.group(1) in exercises:
        return match.group(1)
    return None


# --------------------------------------------------------------------------- the server

def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _settings():
    """User settings that keep JupyterLab quiet and put every cell in the page."""
    return {
        # The default windowing leaves off-screen cells out of the DOM.
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false", "checkForUpdates": False},
    }


@contextmanager
def jupyterlab(root, home):
    """Run JupyterLab on 127.0.0.1 serving ``root``; yields ``(base_url, token, log)``.

    Everything Jupyter, IPython and matplotlib read or write goes under
    ``home``, so nothing of this machine's configuration leaks in. The server
    and its kernels are stopped on the way out, whatever happened.
    """
    token = secrets.token_hex(24)
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "IPYTHON", "MPL", "NBGRADER"))}
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "lab-workspaces"),
        IPYTHONDIR=str(home / "ipython"),
        MPLCONFIGDIR=str(home / "matplotlib"),
        JUPYTER_TOKEN=token,  # in the environment, not on the command line
        COURSE_FAST="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    )
    # MPLBACKEND is left unset (the suite sets Agg): the kernel draws inline figures.
    for name, content in _settings().items():
        path = home / "lab-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content))
    log = home / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    with open(log, "wb") as out:
        # Its own session, so the kernels it starts can be stopped with it.
        server = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(server, base_url, token, log)
        yield base_url, token, log
    finally:
        _stop(server)


def _wait_until_answering(server, base_url, token, log):
    request = urllib.request.Request(f"{base_url}/api/status",
                                     headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {server.returncode} before answering; "
                        f"its log ({log}) ends:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    pytest.fail(f"JupyterLab did not answer on {base_url} within {SERVER_START_SECONDS} s; "
                f"its log ({log}) ends:\n{_tail(log)}")


def _stop(server):
    if server.poll() is None:
        server.terminate()  # a clean shutdown also shuts its kernels down
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(server.pid, signal.SIGKILL)  # whatever of its session is left (kernels)
    except (ProcessLookupError, PermissionError):
        pass
    server.wait(timeout=10)


def _tail(path, lines=30):
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"(unreadable: {error})"


# --------------------------------------------------------------------------- the page

# For every cell of the page, in order: its kind, its input prompt, and the
# text of its error outputs (stream stderr and exceptions share this MIME type).
READ_CELLS = """() => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).map(cell => ({
    code: cell.classList.contains('jp-CodeCell'),
    prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
    errors: Array.from(cell.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
        .map(output => output.textContent),
    text: (cell.querySelector('.jp-Cell-outputArea') || {}).textContent || '',
}))"""


class Deadline:
    """One time budget shared by every wait of the test."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def ms(self, at_most=None):
        left = max(0.0, self.end - time.monotonic()) * 1000
        return left if at_most is None else min(left, at_most * 1000)

    def expired(self):
        return time.monotonic() >= self.end


def dismiss_dialogs(page):
    """Accept whatever modal JupyterLab shows (kernel choice, ...), so it cannot block the run."""
    for _ in range(5):
        dialog = page.locator(".jp-Dialog")
        if dialog.count() == 0:
            return
        accept = dialog.locator(".jp-Dialog-button.jp-mod-accept")
        if accept.count():
            accept.first.click()
        else:
            page.keyboard.press("Escape")
        page.wait_for_timeout(300)


def run_menu(page, item):
    """Choose ``Run > item`` in JupyterLab's menu bar."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def wait_until_idle(page, deadline):
    """Wait until no cell is queued or running (``[*]``) and the kernel says idle."""
    page.wait_for_function(
        """() => {
            const prompts = Array.from(
                document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt'));
            const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
            return !prompts.some(p => p.textContent.includes('*'))
                && (!status || status.getAttribute('data-status') === 'idle');
        }""",
        timeout=deadline.ms(),
        polling=250,
    )


def run_every_cell(page, deadline):
    """Run All Cells once and wait until every code cell has run.

    JupyterLab stops a run at the first cell that raises, unless the cell is
    tagged ``raises-exception``: the course tags its test cells and answer
    stubs so that an unfinished exercise never stops *Run All*. A cell that
    did not run fails this test, naming the first one.
    """
    run_menu(page, "Run All Cells")
    while True:
        page.wait_for_timeout(300)  # let the cells queue up
        wait_until_idle(page, deadline)
        cells = page.evaluate(READ_CELLS)
        waiting = [i for i, c in enumerate(cells)
                   if c["code"] and not re.search(r"\[\d+\]", c["prompt"])]
        if not waiting:
            return cells
        busy = page.locator(".jp-Notebook .jp-InputArea-prompt", has_text="[*]").count()
        ran = len(waiting) < sum(1 for c in cells if c["code"])
        assert busy or not deadline.expired(), (
            f"Run All stopped before cell {waiting[0]} ({len(waiting)} code cells never ran): "
            "a cell that may raise needs the raises-exception tag")
        # Nothing ran and nothing runs: the kernel is still starting (a busy machine).
        if not busy and ran:
            raise AssertionError(
                f"Run All stopped before cell {waiting[0]} ({len(waiting)} code cells never "
                "ran): a cell that may raise needs the raises-exception tag")


# --------------------------------------------------------------------------- the test

def test_notebook_01_runs_in_jupyterlab_and_its_slider_redraws_the_figure(tmp_path):
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    root, home = tmp_path / "root", tmp_path / "home"
    root.mkdir()
    home.mkdir()
    path, nb_cells = write_student_notebook(root)
    exercises = {_grade_id(c) for c in nb_cells
                 if is_solution_cell(c)}
    page_screenshot, widget_screenshot = tmp_path / "notebook.png", tmp_path / "widget.png"

    # Printed first, so a failure's captured output says where to look.
    print(f"\nscreenshots: {page_screenshot} and {widget_screenshot}; "
          f"server log: {home / 'jupyterlab.log'}")
    page_errors = []
    with jupyterlab(root, home) as (base_url, token, log):
        server_up = time.monotonic() - started
        deadline = Deadline(TEST_SECONDS)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                                 headless=True, timeout=deadline.ms(30))
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(20_000)
                page.on("pageerror", lambda error: page_errors.append(str(error)))
                try:
                    page.goto(f"{base_url}/lab/tree/{path.name}?token={token}",
                              timeout=deadline.ms(30))
                    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=deadline.ms(30))
                    page.wait_for_function(
                        "() => document.querySelectorAll('.jp-Notebook .jp-Cell').length >= "
                        f"{len(nb_cells)}", timeout=deadline.ms(20))
                    # The kernel has started once the notebook's toolbar says idle.
                    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
                        state="attached", timeout=deadline.ms(40))
                    dismiss_dialogs(page)
                    loaded = time.monotonic() - started

                    cells = run_every_cell(page, deadline)
                    ran = time.monotonic() - started
                    check_errors(cells, nb_cells, exercises)
                    explorer = check_explorer(page, deadline)
                finally:
                    try:
                        page.screenshot(path=page_screenshot, full_page=True)
                    except PlaywrightError as error:  # never hide the failure that got us here
                        print(f"no screenshot of the page: {error}")
                explorer.screenshot(path=widget_screenshot)
                if os.environ.get("COURSE_WIDGET_SCREENSHOT"):
                    shutil.copyfile(widget_screenshot, os.environ["COURSE_WIDGET_SCREENSHOT"])
            finally:
                browser.close()
    print(f"JupyterLab answered after {server_up:.1f} s, notebook loaded at {loaded:.1f} s, "
          f"all cells ran at {ran:.1f} s (one Run All), "
          f"done at {time.monotonic() - started:.1f} s")
    if page_errors:
        print("JavaScript errors in the page:", *page_errors, sep="\n  ")


def check_errors(cells, nb_cells, exercises):
    """Errors only where an exercise other than the solved one is unfinished.

    An unfinished exercise's own cell may raise only its ``NotImplementedError``
    (a stub that only defines a function raises nothing); each of its test
    cells must fail, as every graded test cell does on the stub (which also
    proves the page's errors are being read at all). Every other cell must
    show no error, and the solved exercise's test cells must print their ✓ line.
    """
    assert len(cells) == len(nb_cells), (
        f"the page shows {len(cells)} cells, the notebook has {len(nb_cells)}")
    unexpected, unchecked = [], []
    for index, (shown, cell) in enumerate(zip(cells, nb_cells, strict=True)):
        if cell.cell_type != "code":
            continue
        exercise, grade_id = exercise_of(cell, exercises), _grade_id(cell)
        where = f"cell {index} ({grade_id or cell.source.splitlines()[0][:50]!r})"
        if exercise in (None, SOLVED):
            unexpected += [f"{where}:\n{error[-1500:]}" for error in shown["errors"]]
        elif grade_id == exercise:
            unexpected += [f"{where}:\n{error[-1500:]}" for error in shown["errors"]
                           if "NotImplementedError" not in error]
        else:
            assert shown["errors"], (
                f"{where} tests the unfinished {exercise} but shows no error: "
                f"{shown['text']!r:.300}")
        if exercise == SOLVED and grade_id != SOLVED and "✓" not in shown["text"]:
            unchecked.append(f"{where}: {shown['text']!r:.300}")
    assert not unexpected, "unexpected error output:\n\n" + "\n\n".join(unexpected)
    assert not unchecked, "test cells of the solved exercise without their ✓ line:\n" + "\n".join(
        unchecked)


def check_explorer(page, deadline):
    """The sliding-window explorer shows sliders and a figure, and each slider moved redraws it.

    Leaves it at N=6, K=3, P=1, S=2 computing out[1, 1] (the last padded
    column is never visited) and returns the explorer's widget (a Playwright
    locator).
    """
    explorer = (page.locator(".jp-Notebook .jp-CodeCell")
                .filter(has=page.get_by_text("widgets.sliding_window_explorer("))
                .locator(".jp-OutputArea-output .jupyter-widgets.widget-vbox").first)
    explorer.wait_for(timeout=deadline.ms(20))
    sliders = explorer.locator(".widget-slider")
    labels = [text.strip() for text in sliders.locator(".widget-label").all_inner_texts()]
    assert labels == ["N", "K", "P", "S", "D", "out row", "out col"], labels
    explorer.locator("img").wait_for(timeout=deadline.ms(20))
    assert "Finish" not in explorer.inner_text(), "the explorer asks to finish an exercise"

    for label, expected in [("N", "6"), ("P", "1"), ("S", "2"), ("out row", "1"), ("out col", "1")]:
        before = explorer.locator("img").get_attribute("src")
        assert before and before.startswith("data:image/png"), f"no PNG figure: {before!r:.60}"
        name = page.locator(".widget-label", has_text=re.compile(f"^{label}$"))
        slider = sliders.filter(has=name)
        slider.locator(".noUi-handle").focus()
        page.keyboard.press("ArrowRight")
        # The output is replaced on redraw, so look the picture up afresh each time.
        page.wait_for_function(
            """([box, before]) => {
                const img = box.querySelector('img');
                return img !== null && img.getAttribute('src') !== before && img.complete;
            }""",
            arg=[explorer.element_handle(), before], timeout=deadline.ms(20), polling=100)
        readout = slider.locator(".widget-readout").inner_text().strip()
        assert readout == expected, f"slider {label} reads {readout}, expected {expected}"
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    assert "Finish" not in explorer.inner_text(), "the explorer asks to finish an exercise"
    return explorer
