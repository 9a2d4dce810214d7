"""Interactive figures: a pure function from parameters to a figure, plus a thin ipywidgets wrapper.

Tests call the ``*_figure`` functions directly; notebooks call the wrappers,
which only wire controls to them through :func:`interactive_figure`
(:mod:`helpers.widgets.base`). One module per notebook that has widgets:
:mod:`helpers.widgets.convolution` for notebook 01.
"""

from helpers.widgets.base import FINISH_MESSAGE, interactive_figure
from helpers.widgets.convolution import (
                                         KERNEL_PRESETS,
                                         kernel_playground,
                                         kernel_playground_figure,
                                         sliding_window_explorer,
                                         sliding_window_figure,
                                         window_taps,
)

__all__ = [
    "FINISH_MESSAGE",
    "KERNEL_PRESETS",
    "interactive_figure",
    "kernel_playground",
    "kernel_playground_figure",
    "sliding_window_explorer",
    "sliding_window_figure",
    "window_taps",
]
