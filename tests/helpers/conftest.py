"""Fixtures shared by the helpers tests."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)
import pytest  # noqa: E402

from helpers.widgets import base  # noqa: E402

FIT_TOLERANCE = 0.01   # inches


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test drew, so figures never pile up between tests."""
    yield
    plt.close("all")


def assert_fits_its_canvas(fig) -> None:
    """Nothing of ``fig`` is drawn outside its canvas (a widget saves the canvas, uncropped)."""
    width, height = fig.get_size_inches()
    box = fig.get_tightbbox(fig.canvas.get_renderer())   # in inches
    titles = " | ".join(t for t in [fig.get_suptitle()] + [a.get_title() for a in fig.axes] if t)
    assert (box.x0 >= -FIT_TOLERANCE and box.y0 >= -FIT_TOLERANCE
            and box.x1 <= width + FIT_TOLERANCE and box.y1 <= height + FIT_TOLERANCE), (
        f"the figure '{titles}' draws outside its {width:g} x {height:g} in canvas: "
        f"its artists span {tuple(round(float(v), 3) for v in box.extents)}")


@pytest.fixture(autouse=True)
def widget_figures_fit(monkeypatch):
    """Every figure a widget shows in these tests is checked to fit its canvas."""
    shown = base._figure_output

    def checked(fig):
        assert_fits_its_canvas(fig)
        return shown(fig)

    monkeypatch.setattr(base, "_figure_output", checked)
