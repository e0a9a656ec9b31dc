"""The book's figure style: English labels, a colour-blind-safe palette, white background,
and figures that stay sharp on high-density screens.

Every chapter calls :func:`use_book_style` once in its setup cell.  Figures keep a white
face colour so that they stay readable on both the light and the dark theme of the site.

Most laptops and phones show a CSS pixel with two or more device pixels, so a figure drawn
at one pixel per CSS pixel looks blurred there.  :func:`render_figure` encodes a figure for
such screens: as SVG (sharp at any size), or as a PNG or lossless WebP with
:data:`PIXEL_RATIO` pixels per CSS pixel, displayed at its intended CSS size.  In a notebook,
:func:`use_book_style` makes every figure a chapter shows go through it, so a static figure
is an SVG unless its SVG would be heavy (a scatter plot of thousands of points, a fine
colour mesh), and then a PNG at twice its displayed size.
"""

from __future__ import annotations

import io
import re
from base64 import b64encode
from dataclasses import dataclass

import matplotlib

# The Okabe–Ito palette: distinguishable under the common forms of colour blindness.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Device pixels per CSS pixel that every raster figure is drawn for (2 on most laptops and
#: phones); a figure is displayed at 1/PIXEL_RATIO of its pixel size.
PIXEL_RATIO = 2

#: CSS pixels per inch of a static figure: the scale at which a browser shows an SVG
#: (1 pt = 96/72 CSS px), so an SVG and its PNG stand-in show at the same size.
CSS_DPI = 96

#: A static figure stays an SVG up to this size, even when a PNG would be lighter; above it,
#: the lighter of the two is used (both are sharp at PIXEL_RATIO).
SVG_BUDGET_BYTES = 120 * 1024

#: A raster figure is stored with a 256-colour palette unless that changes more than
#: PALETTE_MAX_SHARE of its pixels by more than PALETTE_MAX_CHANGE (of 255, in some channel).
#: Line plots, bars and scatter plots pass (a few antialiased edge pixels move); a colour
#: mesh or an image with a smooth colour map fails, and keeps its colours.
PALETTE_MAX_CHANGE = 16
PALETTE_MAX_SHARE = 0.001

#: Encodings :func:`render_figure` knows, as the subtype of their ``image/`` MIME type.
FORMATS = ("svg+xml", "png", "webp")


def use_book_style() -> None:
    """Set matplotlib defaults for the book's figures (introduced in Chapter 1).

    In IPython (a notebook, the book build) figures are also displayed through
    :func:`render_figure`: SVG, or a PNG at twice the displayed size when the SVG is heavy.
    """
    _activate_inline_backend()  # first: the inline backend resets display settings on load
    matplotlib.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 100,
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "legend.frameon": False,
            "image.cmap": "viridis",
            "svg.fonttype": "path",    # text as outlines: the same glyphs on every machine
            "svg.hashsalt": "mathdl",  # the same SVG for the same figure, build after build
        }
    )
    _show_figures_sharp()


@dataclass(frozen=True)
class FigureImage:
    """A figure encoded for the web: ``data`` in ``format``, shown ``width`` x ``height``
    CSS pixels."""

    format: str    # "svg+xml", "png" or "webp"
    data: bytes
    width: float   # CSS pixels
    height: float

    @property
    def mime(self) -> str:
        return "image/" + self.format

    @property
    def vector(self) -> bool:
        return self.format == "svg+xml"

    @property
    def sharpness(self) -> float:
        """Image pixels per CSS pixel (infinite for SVG)."""
        if self.vector:
            return float("inf")
        return _pixel_size(self.data, self.format)[0] / self.width


def _pixel_size(data: bytes, fmt: str) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size


_SVG_SIZE = re.compile(rb'<svg[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"', re.S)


def _svg(fig, css_dpi: float, bbox_inches) -> FigureImage:
    buf = io.BytesIO()
    # No date (the same figure gives the same file) and no RDF block: it only names the tool.
    fig.savefig(buf, format="svg", bbox_inches=bbox_inches,
                metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    data = buf.getvalue()
    match = _SVG_SIZE.search(data[:2000])
    if match is None:  # not matplotlib's SVG header: fall back on the figure size
        width, height = fig.get_size_inches() * css_dpi
    else:
        width, height = (float(v) / 72 * css_dpi for v in match.groups())
    return FigureImage("svg+xml", data, width, height)


def _rasters(fig, css_dpi: float, bbox_inches, formats) -> list[FigureImage]:
    """PNG and/or lossless WebP of the same pixels, PIXEL_RATIO per CSS pixel.

    The pixels are reduced to a 256-colour palette (a third of the bytes) when that leaves
    them as they were to the eye (see PALETTE_MAX_CHANGE).
    """
    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=css_dpi * PIXEL_RATIO, bbox_inches=bbox_inches)
    full = buf.getvalue()
    with Image.open(io.BytesIO(full)) as image:
        rgb = image.convert("RGB")
    width, height = rgb.size
    # Shown at a whole number of CSS pixels, rounded down: at least PIXEL_RATIO pixels each.
    css_width, css_height = width // PIXEL_RATIO, height // PIXEL_RATIO
    pixels = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    if rgb.getcolors(256) is None:  # more than 256 colours: was anything visibly lost?
        change = np.abs(np.asarray(pixels.convert("RGB"), dtype=np.int16)
                        - np.asarray(rgb, dtype=np.int16)).max(axis=2)
        if (change > PALETTE_MAX_CHANGE).mean() > PALETTE_MAX_SHARE:
            pixels = rgb
    out = []
    if "png" in formats:
        buf = io.BytesIO()
        pixels.save(buf, format="PNG", optimize=True)
        data = buf.getvalue() if buf.tell() < len(full) else full
        out.append(FigureImage("png", data, css_width, css_height))
    if "webp" in formats:
        buf = io.BytesIO()
        pixels.save(buf, format="WEBP", lossless=True, quality=100, method=4)
        out.append(FigureImage("webp", buf.getvalue(), css_width, css_height))
    return out


def encode_figure(fig, *, css_dpi: float = CSS_DPI, formats=FORMATS,
                  bbox_inches=None) -> list[FigureImage]:
    """The figure in each of ``formats``, all sharp at :data:`PIXEL_RATIO` and shown
    ``css_dpi`` CSS pixels per inch; ``bbox_inches="tight"`` crops to the drawn content."""
    formats = tuple(formats)
    unknown = set(formats) - set(FORMATS)
    if not formats or unknown:
        raise ValueError(f"formats must be among {FORMATS}, got {formats!r}")
    images = []
    if "svg+xml" in formats:
        images.append(_svg(fig, css_dpi, bbox_inches))
    if "png" in formats or "webp" in formats:
        images += _rasters(fig, css_dpi, bbox_inches, formats)
    return images


def render_figure(
    fig,
    *,
    css_dpi: float = CSS_DPI,              # CSS pixels per inch of the figure as displayed
    formats=FORMATS,                       # encodings to choose from
    bbox_inches=None,                      # "tight" crops to the drawn content
    svg_budget: int = 0,                   # keep the SVG up to this many bytes
) -> FigureImage:
    """Encode a matplotlib figure in each of ``formats``, all sharp at :data:`PIXEL_RATIO`,
    and return the lightest; an SVG of at most ``svg_budget`` bytes is kept regardless.

    The figure is displayed ``css_dpi`` CSS pixels per inch.  Raster encodings carry
    ``PIXEL_RATIO`` times as many pixels; SVG is sharp at any ratio.
    """
    formats = tuple(formats)
    if "svg+xml" in formats and svg_budget > 0:
        svg = _svg(fig, css_dpi, bbox_inches)   # small enough: no need to draw the others
        rest = [f for f in formats if f != "svg+xml"]
        if len(svg.data) <= svg_budget or not rest:
            return svg
        images = [svg, *encode_figure(fig, css_dpi=css_dpi, formats=rest, bbox_inches=bbox_inches)]
    else:
        images = encode_figure(fig, css_dpi=css_dpi, formats=formats, bbox_inches=bbox_inches)
    return min(images, key=lambda image: len(image.data))


# --- Notebook display ------------------------------------------------------------------


def _activate_inline_backend() -> None:
    """Load the inline backend now if it is the one in use: loading it (on the first figure
    otherwise) would reset the display formats chosen below."""
    try:
        backend = matplotlib.get_backend(auto_select=False)
    except TypeError:  # matplotlib < 3.10
        backend = matplotlib.rcParams._get("backend")
    if backend in ("inline", "module://matplotlib_inline.backend_inline"):
        import matplotlib_inline.backend_inline  # noqa: F401  (registers itself on import)


def _figure_bundle(fig):
    """IPython display of a figure: an SVG, or a PNG twice its displayed size."""
    if not fig.axes and not fig.lines:
        return None  # an empty figure shows nothing, as with matplotlib's own formatter
    image = render_figure(fig, formats=("svg+xml", "png"), bbox_inches="tight",
                          svg_budget=SVG_BUDGET_BYTES)
    if image.vector:
        return {image.mime: image.data.decode("utf-8")}, {}
    # The width alone: the height follows from the picture, also where a narrow screen
    # shrinks the figure to the text column.
    size = {"width": int(image.width)}
    return {image.mime: b64encode(image.data).decode("ascii")}, {image.mime: size}


def _show_figures_sharp() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib.figure import Figure

    display = shell.display_formatter
    for formatter in display.formatters.values():  # matplotlib's PNG (or other) formatter
        formatter.pop(Figure, None)
    display.mimebundle_formatter.for_type(Figure, _figure_bundle)
