"""Interactive figures whose sliders work in a live kernel *and* on the static website.

A chapter declares an interactive figure once: a function of the parameters that returns a
matplotlib figure, plus the values each slider takes::

    from helpers.widgets import interactive_figure

    def draw(tau):
        fig, ax = plt.subplots()
        ax.bar(range(5), softmax(scores, tau))
        return fig

    interactive_figure(draw, tau=[0.1, 0.5, 1.0, 2.0, 5.0])

Every combination of values is rendered once into a ``widgets.Image``, drawn for a screen with
two device pixels per CSS pixel and shown at its intended CSS size (``dpi`` CSS pixels per
inch of figure), so frames are as sharp as the text around them on high-density screens.
Each frame is stored in whichever of palette PNG, lossless WebP and SVG is smallest
(:func:`helpers.plotting.encode_figure`): all three are equally sharp there.  The images
sit in a ``widgets.Stack`` (nested, one level per slider) and each slider's ``index`` is tied
to the stacks' ``selected_index`` with ``widgets.jslink``.  The link runs in the browser, so
the figure follows the slider with no kernel behind the page; ``interact()`` would need one.

Slider captions may hold math between dollar signs (``labels={"tau": "temperature $\\tau$"}``),
typeset by MathJax on the website as in JupyterLab.

Introduced in Chapter 1 and used by every chapter with a slider.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt

from helpers.plotting import FORMATS, encode_figure

#: Above this many frames a figure gets heavy on the static site; we refuse to build it.
MAX_FRAMES = 240


def _label(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


#: After the first frame, an encoding is still tried only if it came within this factor of
#: the lightest one there: frames of one figure share their layout and differ in a few
#: strokes, so the sizes of their encodings keep their order (an SVG three times a WebP, a
#: PNG a quarter more), and encoding the losers again would only cost build time.
CONTENDER_FACTOR = 1.2


def _frame(fig, dpi: float, formats) -> tuple[widgets.Image, dict[str, int]]:
    """One frame in the lightest equally sharp encoding, shown at ``dpi`` CSS px per inch;
    and the bytes each encoding tried took."""
    images = encode_figure(fig, css_dpi=dpi, formats=formats)
    plt.close(fig)
    best = min(images, key=lambda image: len(image.data))
    sizes = {image.format: len(image.data) for image in images}
    # The width alone fixes the size; the height follows from the picture, also where a
    # narrow screen shrinks the frame to the text column.
    frame = widgets.Image(
        value=best.data, format=best.format,
        layout=widgets.Layout(width=f"{best.width:g}px", height="auto", max_width="100%"),
    )
    return frame, sizes


_MATH = re.compile(r"\$(.+?)\$")


def _caption(text: str) -> str:
    """$...$ becomes \\(...\\), the delimiters MathJax reads on the website and in JupyterLab."""
    return _MATH.sub(lambda m: r"\(" + m.group(1) + r"\)", text)


def _control(name: str, values: Sequence, description: str | None) -> widgets.ValueWidget:
    options = [(_label(v), v) for v in values]
    desc = _caption(description if description is not None else name)
    if all(isinstance(v, str) for v in values) and len(values) <= 6:
        return widgets.ToggleButtons(options=options, description=desc)
    return widgets.SelectionSlider(
        options=options,
        description=desc,
        continuous_update=True,
        readout=True,
        layout=widgets.Layout(width="min(32rem, 100%)"),
        style={"description_width": "initial"},
    )


def interactive_figure(
    draw: Callable[..., "plt.Figure"],  # draw(**params) -> matplotlib Figure
    *,
    dpi: float = 72,                    # CSS pixels per inch of figure, as displayed
    formats: Sequence[str] = FORMATS,   # encodings each frame may take (the smallest wins)
    labels: dict[str, str] | None = None,  # slider captions (default: the parameter names)
    initial: dict | None = None,        # starting value per parameter (default: the first)
    **sliders: Sequence,                # parameter name -> the values its slider takes
) -> widgets.VBox:
    """Build a figure with one slider per parameter that works with or without a kernel.

    Parameters are passed to ``draw`` by keyword.  Returns a ``VBox`` of the sliders above
    the figure; display it as the last expression of a cell.  Each frame is drawn with
    ``helpers.plotting.PIXEL_RATIO`` pixels per CSS pixel and shown ``dpi`` CSS pixels per
    inch of figure size.
    """
    if not callable(draw):
        raise TypeError("interactive_figure: 'draw' must be a function that returns a figure")
    if not sliders:
        raise ValueError("interactive_figure: give at least one slider, e.g. tau=[0.5, 1, 2]")
    for name, values in sliders.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
            raise ValueError(
                f"interactive_figure: slider {name!r} needs a non-empty list of values, got {values!r}"
            )
    formats = [formats] if isinstance(formats, str) else list(formats)
    if not formats or not set(formats) <= set(FORMATS):
        raise ValueError(f"interactive_figure: formats must be among {FORMATS}, got {formats!r}")
    names = list(sliders)
    n_frames = 1
    for name in names:
        n_frames *= len(sliders[name])
    if n_frames > MAX_FRAMES:
        raise ValueError(
            f"interactive_figure: {n_frames} frames is too many for a static page "
            f"(limit {MAX_FRAMES}); use fewer slider values"
        )
    labels = labels or {}
    initial = initial or {}

    frames = {}
    for combo in itertools.product(*(range(len(sliders[n])) for n in names)):
        params = {n: sliders[n][i] for n, i in zip(names, combo)}
        fig = draw(**params)
        if not hasattr(fig, "savefig"):
            raise TypeError(
                f"interactive_figure: draw() must return a matplotlib Figure, got {type(fig).__name__}"
            )
        frames[combo], sizes = _frame(fig, dpi, formats)
        if len(frames) == 1:
            lightest = min(sizes.values())
            formats = [f for f in formats if sizes[f] <= CONTENDER_FACTOR * lightest]

    controls = [_control(n, sliders[n], labels.get(n)) for n in names]

    # Nest one Stack per slider; every Stack at depth k follows slider k.
    stacks_at_depth: list[list[widgets.Stack]] = [[] for _ in names]

    def build(depth: int, prefix: tuple) -> widgets.Widget:
        if depth == len(names):
            return frames[prefix]
        children = [build(depth + 1, prefix + (i,)) for i in range(len(sliders[names[depth]]))]
        stack = widgets.Stack(children=children, selected_index=0)
        stacks_at_depth[depth].append(stack)
        return stack

    figure = build(0, ())
    for depth, control in enumerate(controls):
        start = 0
        name = names[depth]
        if name in initial:
            try:
                start = list(sliders[name]).index(initial[name])
            except ValueError:
                raise ValueError(
                    f"interactive_figure: initial value {initial[name]!r} is not among the values of {name!r}"
                ) from None
        control.index = start
        for stack in stacks_at_depth[depth]:
            stack.selected_index = start
            widgets.jslink((control, "index"), (stack, "selected_index"))

    return widgets.VBox(controls + [figure])
