"""Figures for the web: static sliders (one pre-rendered frame per combination, each slider
jslinked to its stacks) and the encodings behind every figure (sharp at a device pixel ratio
of 2, the lightest chosen)."""

import io
import re

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from helpers import plotting  # noqa: E402
from helpers.plotting import encode_figure, render_figure, use_book_style  # noqa: E402
from helpers.widgets import interactive_figure  # noqa: E402

#: Image pixels per CSS pixel a raster figure needs to be sharp at a device pixel ratio of 2.
SHARP = 2


def _draw(**params):
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.set_title(" ".join(f"{k}={v}" for k, v in sorted(params.items())))
    return fig


def _images(widget):
    if isinstance(widget, widgets.Image):
        return [widget]
    return [img for child in getattr(widget, "children", ()) for img in _images(child)]


def _links_from(control):
    from ipywidgets.widgets.widget import _instances

    return [w for w in _instances.values()
            if isinstance(w, widgets.widget_link.Link) and w.source[0] is control]


def test_one_slider_frames_and_link():
    box = interactive_figure(_draw, tau=[0.5, 1.0, 2.0])
    slider, stack = box.children
    assert isinstance(slider, widgets.SelectionSlider)
    assert isinstance(stack, widgets.Stack) and len(stack.children) == 3
    frames = _images(stack)
    assert len({bytes(img.value) for img in frames}) == 3  # three distinct pictures
    assert all(_decoded_format(img) == img.format for img in frames)
    links = _links_from(slider)
    assert [(link.target[0], link.target[1]) for link in links] == [(stack, "selected_index")]


def test_two_sliders_nest_stacks():
    box = interactive_figure(_draw, initial={"b": "y"}, a=[1, 2, 3], b=["x", "y"])
    slider_a, buttons_b, outer = box.children
    assert isinstance(buttons_b, widgets.ToggleButtons) and buttons_b.index == 1
    assert len(outer.children) == 3 and all(len(inner.children) == 2 for inner in outer.children)
    assert len(_images(outer)) == 6
    assert {link.target[0] for link in _links_from(buttons_b)} == set(outer.children)
    assert all(inner.selected_index == 1 for inner in outer.children)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "at least one slider"),
        ({"tau": []}, "non-empty list"),
        ({"tau": "abc"}, "non-empty list"),
        ({"tau": list(range(500))}, "too many"),
        ({"tau": [1, 2], "initial": {"tau": 3}}, "not among the values"),
    ],
)
def test_bad_declarations_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        interactive_figure(_draw, **kwargs)


def test_draw_must_return_a_figure():
    with pytest.raises(TypeError, match="must return a matplotlib Figure"):
        interactive_figure(lambda tau: None, tau=[1])


# --- Sharpness and encodings ---------------------------------------------------------


def _decoded_format(img: widgets.Image) -> str:
    """What the bytes of a frame really are: 'png', 'webp' or 'svg+xml'."""
    data = bytes(img.value)
    if data.lstrip().startswith((b"<?xml", b"<svg")):
        return "svg+xml"
    with Image.open(io.BytesIO(data)) as image:
        return image.format.lower()


def _css_width(img: widgets.Image) -> float:
    match = re.fullmatch(r"([\d.]+)px", img.layout.width or "")
    assert match, f"frame has no CSS width in pixels: {img.layout.width!r}"
    return float(match.group(1))


def _line(figsize=(6, 2.5), **params):
    fig, ax = plt.subplots(figsize=figsize)
    x = np.linspace(0, 1, 50)
    ax.plot(x, x ** (1 + len(str(params))))
    ax.set_title(f"line {sorted(params.items())}, $\\alpha$")
    return fig


def _scatter(n=20_000, seed=0):
    fig, ax = plt.subplots(figsize=(5, 4))
    xy = np.random.default_rng(seed).normal(size=(n, 2))
    ax.scatter(*xy.T, s=2, lw=0)
    return fig


def _bare_line(k=1):
    """Almost nothing to draw: a few vector strokes beat any bitmap."""
    fig = plt.figure(figsize=(6, 2))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.plot([0, 1, 2], [0, k, 0])
    ax.axis("off")
    return fig


@pytest.mark.parametrize("dpi", [72, 80, 100])
def test_frames_have_two_pixels_per_css_pixel_at_their_intended_size(dpi):
    box = interactive_figure(lambda a: _line(figsize=(6, 2.5), a=a), dpi=dpi, a=[1, 2])
    for img in _images(box.children[1]):
        assert img.layout.height == "auto" and img.layout.max_width == "100%"
        css = _css_width(img)
        assert abs(css - 6 * dpi) <= 1   # shown at dpi CSS pixels per inch of figure
        if _decoded_format(img) != "svg+xml":
            with Image.open(io.BytesIO(bytes(img.value))) as image:
                assert image.width / css >= SHARP
                assert image.width / css < SHARP + 0.01   # and no heavier than that


def test_each_frame_takes_its_lightest_encoding():
    box = interactive_figure(lambda a: _line(a=a), a=[1, 2, 3])
    for a, img in zip([1, 2, 3], _images(box.children[1])):
        candidates = encode_figure(_line(a=a), css_dpi=72)
        plt.close("all")
        assert {c.format for c in candidates} == {"svg+xml", "png", "webp"}
        assert len(bytes(img.value)) == min(len(c.data) for c in candidates)


def test_frames_can_be_svg_when_that_is_lightest():
    box = interactive_figure(_bare_line, k=[1, 2])
    frames = _images(box.children[1])
    assert [img.format for img in frames] == ["svg+xml", "svg+xml"]
    assert all(_decoded_format(img) == "svg+xml" for img in frames)
    assert all(_css_width(img) == 6 * 72 for img in frames)


def test_frame_formats_can_be_restricted():
    box = interactive_figure(lambda a: _line(a=a), formats=["png"], a=[1, 2])
    assert {_decoded_format(img) for img in _images(box.children[1])} == {"png"}
    with pytest.raises(ValueError, match="formats must be among"):
        interactive_figure(lambda a: _line(a=a), formats=["gif"], a=[1])


def test_captions_take_math_between_dollars():
    box = interactive_figure(lambda tau: _line(tau=tau), labels={"tau": "temperature $\\tau$"},
                             tau=[1, 2])
    assert box.children[0].description == r"temperature \(\tau\)"


def test_encodings_are_equally_sharp_and_lossless_to_each_other():
    images = encode_figure(_line(), css_dpi=96)
    plt.close("all")
    png, webp = (next(i for i in images if i.format == f) for f in ("png", "webp"))
    assert png.width == webp.width and png.height == webp.height
    assert png.sharpness >= SHARP and webp.sharpness >= SHARP
    svg = next(i for i in images if i.vector)
    assert svg.sharpness == float("inf") and abs(svg.width - png.width) <= 1
    with Image.open(io.BytesIO(png.data)) as a, Image.open(io.BytesIO(webp.data)) as b:
        assert np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))


def test_svg_is_reproducible():
    use_book_style()
    first = render_figure(_line(), formats=["svg+xml"]).data
    second = render_figure(_line(), formats=["svg+xml"]).data
    plt.close("all")
    assert first == second


def test_static_figures_are_svg_unless_heavy():
    """The notebook display: a line plot as SVG; 20 000 points as a PNG at twice its width."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        use_book_style()
        data, meta = shell.display_formatter.format(_line())
        assert "image/svg+xml" in data and "image/png" not in data
        assert data["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))

        data, meta = shell.display_formatter.format(_scatter())
        assert "image/png" in data and "image/svg+xml" not in data
        width = meta["image/png"]["width"]
        import base64

        with Image.open(io.BytesIO(base64.b64decode(data["image/png"]))) as image:
            assert image.width / width >= SHARP
        svg_bytes = len(render_figure(_scatter(), formats=["svg+xml"], bbox_inches="tight").data)
        assert svg_bytes > plotting.SVG_BUDGET_BYTES   # it really was heavy

        assert shell.display_formatter.format(plt.figure())[0].keys() <= {"text/plain"}
    finally:
        plt.close("all")
        InteractiveShell.clear_instance()


def test_palette_only_where_it_changes_nothing_visible():
    """Line plots are stored with a 256-colour palette; a fine colour mesh keeps its colours."""
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.pcolormesh(np.random.default_rng(0).random((40, 40)))
    mesh = render_figure(fig, formats=["png"])
    line = render_figure(_line(), formats=["png"])
    plt.close("all")
    with Image.open(io.BytesIO(mesh.data)) as a, Image.open(io.BytesIO(line.data)) as b:
        assert a.mode in ("RGB", "RGBA") and b.mode == "P"
