"""Formulas in markdown drawn as images, so feedback pages show them offline.

nbconvert leaves ``$...$`` and ``$$...$$`` for MathJax, a script fetched from a
CDN that a page opened from disk without a network cannot load. Here each
formula that matplotlib's mathtext can parse becomes an inline SVG image whose
``alt`` text is the TeX; a formula it cannot parse (``\\begin{aligned}``, ...)
stays as TeX. Code spans and fenced code blocks are left alone.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import re

__all__ = ["CSS", "render_math"]

MAX_DEPTH = 12
CSS = ".ag-math-display { display: block; margin: 0.6em auto; }\n" + "".join(
    f".ag-depth-{n} {{ vertical-align: -{n}pt; }}\n" for n in range(MAX_DEPTH + 1))

# Display math first ($$...$$, may span lines), then inline $...$ within one
# paragraph whose content neither starts nor ends with a space (so "$5 and $6"
# is prose).
_MATH = re.compile(r"(?<!\\)\$\$(?P<display>.+?)(?<!\\)\$\$"
                   r"|(?<![\\$])\$(?P<inline>[^\s$](?:(?:[^$\n]|\n(?![ \t]*\n))*?[^\s$\\])?)"
                   r"\$(?!\$)",
                   re.DOTALL)
# TeX that mathtext lacks but has a plain equivalent for.
_SPELLINGS = [(re.compile(r"\\(?:textstyle|displaystyle)\b\s*"), ""),
              (re.compile(r"\\[td]frac\b"), r"\\frac"),
              (re.compile(r"\\[lr]Vert\b"), r"\\|")]
_CODE = re.compile(r"^(?P<fence>```|~~~).*?^(?P=fence)[^\n]*$|(?P<ticks>`+).+?(?P=ticks)",
                   re.DOTALL | re.MULTILINE)
_METADATA = re.compile(rb"\s*<metadata>.*?</metadata>", re.DOTALL)
FONT_SIZE = 11  # points: about the size of the page's body text


@functools.lru_cache(maxsize=4096)
def _image(tex: str, display: bool) -> str | None:
    """An ``<img>`` showing ``tex``, or None when mathtext cannot draw it."""
    import matplotlib
    from matplotlib import mathtext
    from matplotlib.font_manager import FontProperties

    buffer = io.BytesIO()
    size = FONT_SIZE * (1.2 if display else 1.0)
    try:
        # A fixed salt and no metadata: the same formula gives the same bytes.
        with matplotlib.rc_context({"svg.hashsalt": "formula", "svg.fonttype": "path"}):
            depth = mathtext.math_to_image(f"${tex}$", buffer, format="svg", dpi=72,
                                           prop=FontProperties(size=size))
    except (ValueError, RuntimeError):  # mathtext's parse errors are ValueErrors
        return None
    svg = _METADATA.sub(b"", buffer.getvalue(), count=1)
    source = base64.b64encode(svg).decode("ascii")
    alt = html.escape(tex.strip(), quote=True)
    # nbconvert keeps an image's class, alt and src and drops inline styles: the
    # page's style sheet places the images (see CSS).
    # An inline formula's baseline sits its depth (in points) above the image's
    # bottom; a class per whole point lowers the image by that much.
    kind = ("ag-math ag-math-display" if display
            else f"ag-math ag-depth-{min(round(depth), MAX_DEPTH)}")
    return f'<img class="{kind}" alt="{alt}" src="data:image/svg+xml;base64,{source}"/>'


def _render_prose(text: str) -> str:
    def replace(match: re.Match) -> str:
        display = match.group("display") is not None
        tex = match.group("display") if display else match.group("inline")
        for pattern, spelling in _SPELLINGS:
            tex = pattern.sub(spelling, tex)
        image = _image(" ".join(tex.split()), display)
        return match.group(0) if image is None else image

    return _MATH.sub(replace, text)


def render_math(markdown: str) -> str:
    """``markdown`` with every formula mathtext can draw replaced by an image."""
    parts, start = [], 0
    for code in _CODE.finditer(markdown):
        parts.append(_render_prose(markdown[start:code.start()]))
        parts.append(code.group(0))
        start = code.end()
    parts.append(_render_prose(markdown[start:]))
    return "".join(parts)
