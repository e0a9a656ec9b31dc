"""Static sliders: one pre-rendered frame per combination, each slider jslinked to its stacks."""

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from helpers.widgets import interactive_figure  # noqa: E402


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
    assert len({bytes(img.value) for img in frames}) == 3  # three distinct PNGs
    assert all(bytes(img.value).startswith(b"\x89PNG") for img in frames)
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
