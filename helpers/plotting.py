"""The book's figure style: English labels, a colour-blind-safe palette, white background.

Every chapter calls :func:`use_book_style` once in its setup cell.  Figures keep a white
face colour so that they stay readable on both the light and the dark theme of the site.
"""

from __future__ import annotations

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


def use_book_style() -> None:
    """Set matplotlib defaults for the book's figures (introduced in Chapter 1)."""
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
        }
    )
