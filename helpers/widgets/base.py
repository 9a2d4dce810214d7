"""The thin ipywidgets wrapper every interactive figure of the course goes through.

:func:`interactive_figure` redraws a pure figure function whenever a control
changes, shows the figure as a PNG in an ``ipywidgets.Output`` (so it works
with any matplotlib backend, and tests can read it), and turns an unfinished
exercise into a one-line message instead of a traceback.
"""

from __future__ import annotations

import base64
import io

import ipywidgets as widgets
import matplotlib.pyplot as plt

__all__ = ["FINISH_MESSAGE", "interactive_figure"]

FINISH_MESSAGE = "Finish the exercise above to use this widget."


# --------------------------------------------------------------------------- wrapper

def _figure_text(fig):
    """The figure's titles, as the plain-text stand-in of its picture."""
    titles = [fig.get_suptitle()] + [ax.get_title() for ax in fig.axes]
    titles = [title for title in titles if title]
    return "<Figure: " + " | ".join(titles) + ">"


def _figure_output(fig):
    """A notebook ``display_data`` output holding ``fig`` as a PNG.

    Built by hand rather than through IPython's formatters so it works with
    any matplotlib backend and outside a kernel (in tests). The whole canvas is
    saved: every figure function lays itself out to fit it (a test checks that
    nothing is drawn outside), and ``bbox_inches="tight"`` would draw the figure
    twice, up to 100 ms more per update.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return {
        "output_type": "display_data",
        "data": {
            "image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
            "text/plain": _figure_text(fig),
        },
        "metadata": {},
    }


def _stdout_output(text):
    return {"output_type": "stream", "name": "stdout", "text": text + "\n"}


def _render(output, figure_fn, values):
    """Replace what ``output`` shows by ``figure_fn(**values)``.

    An unfinished exercise (``NotImplementedError``) becomes the finish
    message; any other error is shown as one line, then raised, because it
    is a real bug that should not pass silently.
    """
    try:
        fig = figure_fn(**values)
    except NotImplementedError:
        output.outputs = (_stdout_output(FINISH_MESSAGE),)
        return
    except Exception as error:
        output.outputs = (_stdout_output(f"{type(error).__name__}: {error}"),)
        raise
    try:
        # One assignment replaces the old picture, so the widget never flickers empty.
        output.outputs = (_figure_output(fig),)
    finally:
        # Close it, or every slider move leaves a figure open in pyplot (and the
        # inline backend would draw it a second time under the cell).
        plt.close(fig)


def interactive_figure(figure_fn, **controls):
    """Redraw ``figure_fn(**values)`` whenever one of the controls changes.

    Parameters
    ----------
    figure_fn : callable
        Takes the controls' names as keyword arguments and returns a
        ``matplotlib.figure.Figure``.
    **controls : ipywidgets.ValueWidget
        ``IntSlider``, ``Dropdown``, ... ; the keyword is the argument name.

    Returns
    -------
    ipywidgets.VBox
        The controls, then the ``ipywidgets.Output`` showing the figure
        (the last child). Drawn once at creation.

    Raises
    ------
    TypeError
        If a control is not an ipywidgets value widget.
    """
    for name, control in controls.items():
        if not isinstance(control, widgets.ValueWidget):
            raise TypeError(
                f"control {name!r} should be an ipywidgets value widget, "
                f"got {type(control).__name__}")
    output = widgets.Output()

    def redraw(_change=None):
        _render(output, figure_fn, {name: c.value for name, c in controls.items()})

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([*controls.values(), output])


