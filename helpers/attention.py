"""Attention and the transformer: scaled dot-product attention, masks, multi-head attention,
sinusoidal positional encodings and layer normalization.

Introduced in Chapter 4 (Attention and the transformer).

Attention and LayerNorm take and return PyTorch tensors and are differentiable; the
positional encoding and its shift matrices are NumPy arrays.  A mask is boolean and True
where a query may attend to a key, the convention of
``torch.nn.functional.scaled_dot_product_attention``.  Invalid input (wrong shapes, a mask
that is not boolean, a query that may attend to no key, NaN) raises ``ValueError`` with a
message that says what is wrong.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch
import torch.nn as nn

from ._checks import positive_int as _positive_int

__all__ = [
    "scaled_dot_product_attention",
    "causal_mask",
    "split_heads",
    "merge_heads",
    "MultiHeadAttention",
    "sinusoidal_positional_encoding",
    "relative_shift_matrix",
    "layer_norm",
]


def _as_tensor(x, name: str, min_ndim: int = 1) -> torch.Tensor:
    """Return ``x`` as a floating tensor with at least ``min_ndim`` axes and no NaN."""
    if not isinstance(x, torch.Tensor):
        try:
            x = torch.as_tensor(np.asarray(x, dtype=float), dtype=torch.get_default_dtype())
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a tensor of numbers, got {type(x).__name__}") from None
    if not torch.is_floating_point(x):
        x = x.to(torch.get_default_dtype())
    if x.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} axes, got shape {tuple(x.shape)}")
    if torch.isnan(x).any():
        raise ValueError(f"{name} contains NaN")
    return x


def _check_mask(mask, scores_shape: torch.Size) -> torch.Tensor:
    """A boolean mask broadcast to ``scores_shape``, with at least one True in every row."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise ValueError("mask must be a boolean tensor (True where a query may attend)")
    try:
        if torch.broadcast_shapes(mask.shape, scores_shape) != scores_shape:
            raise RuntimeError
    except RuntimeError:
        raise ValueError(f"mask of shape {tuple(mask.shape)} does not broadcast to the scores' "
                         f"shape {tuple(scores_shape)} (..., L_q, L_k)") from None
    mask = mask.expand(scores_shape)
    dead = ~mask.any(dim=-1)
    if dead.any():
        row = tuple(dead.nonzero()[0].tolist())
        raise ValueError(f"mask row {row} is all False: query {row[-1]} may attend to no key")
    return mask


def scaled_dot_product_attention(q, k, v, mask=None):
    """Attention ``softmax(q k^T / sqrt(d) + mask) v``; returns ``(out, weights)``.

    ``q``: (..., L_q, d), ``k``: (..., L_k, d), ``v``: (..., L_k, d_v); the leading axes
    broadcast.  ``mask``: boolean, broadcastable to (..., L_q, L_k), True where a query may
    attend; every query must be allowed at least one key.  ``weights`` (..., L_q, L_k) sum
    to 1 over the keys; ``out`` is (..., L_q, d_v).
    """
    q, k, v = _as_tensor(q, "q", 2), _as_tensor(k, "k", 2), _as_tensor(v, "v", 2)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must have the same last axis d, got {q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must hold the same number of keys, got {k.shape[-2]} and {v.shape[-2]}")
    try:
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    except RuntimeError:
        raise ValueError(f"the leading axes of q {tuple(q.shape)} and k {tuple(k.shape)} "
                         f"do not broadcast") from None
    if mask is not None:
        scores = scores.masked_fill(~_check_mask(mask, scores.shape), float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # over the keys
    try:
        return weights @ v, weights
    except RuntimeError:
        raise ValueError(f"the leading axes of the weights {tuple(weights.shape)} and v "
                         f"{tuple(v.shape)} do not broadcast") from None


def causal_mask(n) -> torch.Tensor:
    """The (n, n) boolean mask that is True on and below the diagonal: query i sees keys j <= i."""
    n = _positive_int(n, "n")
    return torch.ones(n, n, dtype=torch.bool).tril()


def split_heads(x, n_heads) -> torch.Tensor:
    """(B, L, D) -> (B, h, L, D/h): head i gets the features i D/h, ..., (i + 1) D/h - 1.

    View as (B, L, h, D/h), then swap the position and head axes; a plain reshape to
    (B, h, L, D/h) would mix positions across heads.
    """
    x = _as_tensor(x, "x", 3)
    n_heads = _positive_int(n_heads, "n_heads")
    if x.ndim != 3 or x.shape[-1] % n_heads:
        raise ValueError(f"x must have shape (B, L, D) with D divisible by n_heads = {n_heads}, "
                         f"got shape {tuple(x.shape)}")
    B, L, D = x.shape
    return x.contiguous().view(B, L, n_heads, D // n_heads).transpose(1, 2)


def merge_heads(x) -> torch.Tensor:
    """(B, h, L, D/h) -> (B, L, D), the inverse of :func:`split_heads`."""
    x = _as_tensor(x, "x", 4)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (B, h, L, D/h), got shape {tuple(x.shape)}")
    B, h, L, d_head = x.shape
    return x.transpose(1, 2).contiguous().view(B, L, h * d_head)


class MultiHeadAttention(nn.Module):
    """Multi-head attention with ``n_heads`` heads of width ``d_model / n_heads``.

    ``forward(query, key, value, mask=None)`` takes batch-first tensors (B, L, d_model) and
    returns ``(out, weights)``: ``out`` (B, L_q, d_model) and the weights of every head
    (B, n_heads, L_q, L_k).  ``mask`` broadcasts to (B, n_heads, L_q, L_k), True = allowed.
    """

    def __init__(self, d_model: int, n_heads: int, bias: bool = True):
        super().__init__()
        d_model, n_heads = _positive_int(d_model, "d_model"), _positive_int(n_heads, "n_heads")
        if d_model % n_heads:
            raise ValueError(f"d_model = {d_model} is not divisible by n_heads = {n_heads}")
        self.d_model, self.n_heads = d_model, n_heads
        self.W_q = nn.Linear(d_model, d_model, bias=bias)
        self.W_k = nn.Linear(d_model, d_model, bias=bias)
        self.W_v = nn.Linear(d_model, d_model, bias=bias)
        self.W_o = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, query, key, value, mask=None):
        for name, x in (("query", query), ("key", key), ("value", value)):
            if not isinstance(x, torch.Tensor) or x.ndim != 3 or x.shape[-1] != self.d_model:
                shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
                raise ValueError(f"{name} must be a tensor (B, L, {self.d_model}), got {shape}")
        if key.shape[:2] != value.shape[:2] or query.shape[0] != key.shape[0]:
            raise ValueError(f"query, key and value must share B, and key and value L; got shapes "
                             f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        q = split_heads(self.W_q(query), self.n_heads)
        k = split_heads(self.W_k(key), self.n_heads)
        v = split_heads(self.W_v(value), self.n_heads)
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        return self.W_o(merge_heads(out)), weights


def _frequencies(d_model) -> np.ndarray:
    """The d/2 angular frequencies 1 / 10000^(2i/d), i = 0, ..., d/2 - 1."""
    d_model = _positive_int(d_model, "d_model")
    if d_model % 2:
        raise ValueError(f"d_model must be even (sin and cos columns come in pairs), got {d_model}")
    return 10000.0 ** (-np.arange(0, d_model, 2) / d_model)


def sinusoidal_positional_encoding(max_len, d_model) -> np.ndarray:
    """The (max_len, d_model) encoding: PE[pos, 2i] = sin(pos w_i), PE[pos, 2i+1] = cos(pos w_i).

    ``w_i = 1 / 10000^(2i / d_model)``; positions start at 0; ``d_model`` is even.
    """
    max_len = _positive_int(max_len, "max_len")
    angles = np.arange(max_len)[:, None] * _frequencies(d_model)  # (max_len, d/2)
    pe = np.empty((max_len, 2 * angles.shape[1]))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe


def relative_shift_matrix(k, d_model) -> np.ndarray:
    """The (d_model, d_model) matrix M with PE[pos + k] = M @ PE[pos] for every position.

    Block diagonal: the pair (sin, cos) of frequency w_i is rotated by the angle k w_i,
    ``[[cos, sin], [-sin, cos]]``, whatever ``pos``.  ``k`` is an integer, possibly negative.
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise ValueError(f"k must be an integer offset, got {k!r}")
    theta = k * _frequencies(d_model)
    c, s = np.cos(theta), np.sin(theta)
    i = np.arange(0, 2 * len(theta), 2)
    M = np.zeros((2 * len(theta), 2 * len(theta)))
    M[i, i], M[i, i + 1] = c, s           # sin(a + b) = sin a cos b + cos a sin b
    M[i + 1, i], M[i + 1, i + 1] = -s, c  # cos(a + b) = cos a cos b - sin a sin b
    return M


def _feature_vector(p, name: str, D: int) -> torch.Tensor:
    """``p`` as a tensor of shape (D,): a LayerNorm scale or shift, one value per feature."""
    p = _as_tensor(p, name)
    if tuple(p.shape) != (D,):
        raise ValueError(f"{name} must have shape ({D},), one value per feature, got {tuple(p.shape)}")
    return p


def layer_norm(x, gamma=None, beta=None, eps: float = 1e-5) -> torch.Tensor:
    """LayerNorm over the last axis: ``gamma * (x - mean) / sqrt(var + eps) + beta``.

    ``var`` is the biased variance (divide by D), as in ``torch.nn.LayerNorm``; ``gamma``
    and ``beta`` have shape (D,) (None: 1 and 0); ``eps > 0``.
    """
    x = _as_tensor(x, "x")
    if x.shape[-1] == 0:
        raise ValueError("x must have at least one feature on its last axis")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
        raise ValueError(f"eps must be a number > 0, got {eps!r}")
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, unbiased=False, keepdim=True)  # biased: divide by D
    y = (x - mean) / torch.sqrt(var + eps)
    if gamma is not None:
        y = y * _feature_vector(gamma, "gamma", x.shape[-1])
    if beta is not None:
        y = y + _feature_vector(beta, "beta", x.shape[-1])
    return y
