"""Input checks shared by the topic modules: clear ValueErrors instead of deep tracebacks."""

from __future__ import annotations

import numbers

import numpy as np


def as_float_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a float64 array; raise ValueError if it is not numeric or holds NaN."""
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers, got {x!r}") from None
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} contains NaN")
    return arr


def positive_int(value, name: str) -> int:
    """Return ``value`` as an int; raise ValueError unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
