"""Interactive figures whose sliders work in a live kernel *and* on the static website.

A chapter declares an interactive figure once: a function of the parameters that returns a
matplotlib figure, plus the values each slider takes::

    from helpers.widgets import interactive_figure

    def draw(tau):
        fig, ax = plt.subplots()
        ax.bar(range(5), softmax(scores, tau))
        return fig

    interactive_figure(draw, tau=[0.1, 0.5, 1.0, 2.0, 5.0])

Every combination of values is rendered once, as a palette PNG, into a ``widgets.Image``.  The images
sit in a ``widgets.Stack`` (nested, one level per slider) and each slider's ``index`` is tied
to the stacks' ``selected_index`` with ``widgets.jslink``.  The link runs in the browser, so
the figure follows the slider with no kernel behind the page; ``interact()`` would need one.

Introduced in Chapter 1 and used by every chapter with a slider.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
from PIL import Image

#: Above this many frames a figure gets heavy on the static site; we refuse to build it.
MAX_FRAMES = 240


def _label(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _render(fig, dpi: int) -> bytes:
    """The figure as a PNG with a 256-colour palette: about a third of the bytes of a
    full-colour PNG, and indistinguishable for line plots, bars and scatter plots."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    full = buf.getvalue()
    image = Image.open(io.BytesIO(full)).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue() if out.tell() < len(full) else full


def _control(name: str, values: Sequence, description: str | None) -> widgets.ValueWidget:
    options = [(_label(v), v) for v in values]
    desc = description if description is not None else name
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
    dpi: int = 72,                      # resolution of each pre-rendered frame
    labels: dict[str, str] | None = None,  # slider captions (default: the parameter names)
    initial: dict | None = None,        # starting value per parameter (default: the first)
    **sliders: Sequence,                # parameter name -> the values its slider takes
) -> widgets.VBox:
    """Build a figure with one slider per parameter that works with or without a kernel.

    Parameters are passed to ``draw`` by keyword.  Returns a ``VBox`` of the sliders above
    the figure; display it as the last expression of a cell.
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
        frames[combo] = widgets.Image(
            value=_render(fig, dpi), format="png", layout=widgets.Layout(max_width="100%")
        )

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
