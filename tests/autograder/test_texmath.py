"""Tests of autograder/texmath.py: formulas become images, everything else stays as written."""

from __future__ import annotations

import base64
import re

import pytest

from autograder.texmath import _image, render_math

IMAGE = re.compile(r'<img class="ag-math (?:ag-math-display|ag-depth-\d+)" '
                   r'alt="(?P<alt>[^"]*)"[^>]*src="data:image/svg\+xml;base64,(?P<svg>[^"]+)"/>')


def images(text: str) -> list[re.Match]:
    return list(IMAGE.finditer(text))


@pytest.mark.parametrize("markdown, alts", [
    ("a $x_1$ b", ["x_1"]),
    ("$$\\sum_{i=1}^{n} w_i\nx_i$$", ["\\sum_{i=1}^{n} w_i x_i"]),  # display, two lines
    ("$a$ and $b < c$", ["a", "b &lt; c"]),
    ("a formula that wraps: $x +\ny$ here", ["x + y"]),
    ("$\\tfrac{1}{2}\\lVert g \\rVert$", ["\\frac{1}{2}\\| g \\|"]),  # rewritten for mathtext
])
def test_formulas_become_images_with_their_tex_as_alt_text(markdown, alts):
    out = render_math(markdown)
    assert [m.group("alt") for m in images(out)] == alts
    for match in images(out):
        svg = base64.b64decode(match.group("svg"))
        assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
        assert b"<metadata>" not in svg  # no date: the page is the same on every run
    assert "$" not in IMAGE.sub("", out)


@pytest.mark.parametrize("markdown", [
    "it costs $5 and $6 today",  # money, not math
    "an escaped \\$x\\$ stays",
    "`$x$` in code",
    "```python\nprice = '$x$'\n```",
    "$a\n\nb$",  # a blank line ends a paragraph, and inline math with it
    "$\\begin{bmatrix} 1 & 2 \\end{bmatrix}$",  # mathtext cannot draw it: TeX stays
    "no math at all",
])
def test_what_is_not_a_drawable_formula_is_left_as_written(markdown):
    assert render_math(markdown) == markdown


def test_code_is_kept_around_formulas():
    out = render_math("`$a$` then $b$\n```\n$c$\n```\n$d$")
    assert [m.group("alt") for m in images(out)] == ["b", "d"]
    assert "`$a$`" in out and "```\n$c$\n```" in out


def test_rendering_is_deterministic():
    first = render_math("$\\alpha^2$")
    _image.cache_clear()  # draw it again, not from the cache
    assert render_math("$\\alpha^2$") == first


def test_an_inline_formula_is_lowered_by_its_depth():
    flat, deep = render_math("$x$"), render_math("$x_{i_j}$")
    assert "ag-depth-" in flat and "ag-depth-" in deep
    depth = [int(re.search(r"ag-depth-(\d+)", out).group(1)) for out in (flat, deep)]
    assert depth[0] < depth[1]
