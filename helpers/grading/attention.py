"""Auto-graded questions for Chapter 4 (attention and the transformer).

Each reference is computed independently of ``helpers.attention`` (with PyTorch's own
attention and LayerNorm, or a formula written another way), and each ``mistakes`` entry
models a wrong formula a learner is likely to write, with a hint.  The inputs are float64
PyTorch tensors (the positional encoding is NumPy); an answer may return tensors or arrays.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

import dataclasses

from . import CASE_SEED, Question, grade_answer, grade_parts


def _t(x) -> torch.Tensor:
    return torch.from_numpy(np.asarray(x, dtype=float))


# --------------------------------------------------------------------------- attention.scaled_dot_product
def _sdpa_ref(q, k, v, mask=None):
    """PyTorch's attention; the weights are its output for the values I (the identity)."""
    eye = torch.eye(k.shape[-2], dtype=k.dtype).expand(*k.shape[:-1], k.shape[-2])
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return out, F.scaled_dot_product_attention(q, k, eye, attn_mask=mask)


def _some_mask(rng, *shape):
    """A random boolean mask whose every row holds at least one True and one False."""
    mask = rng.uniform(size=shape) < 0.5
    rows = mask.reshape(-1, shape[-1])
    for row in rows:
        yes, no = rng.choice(shape[-1], size=2, replace=False)
        row[yes], row[no] = True, False
    return torch.from_numpy(rows.reshape(shape))


def _sdpa_cases(rng):
    n = int(rng.integers(5, 9))
    return [
        (_t(rng.normal(size=(4, 3))), _t(rng.normal(size=(6, 3))), _t(rng.normal(size=(6, 5))), None),
        (_t(rng.normal(size=(2, 5, 4))), _t(rng.normal(size=(2, 7, 4))), _t(rng.normal(size=(2, 7, 3))), None),
        (_t(rng.normal(size=(n, 4))), _t(rng.normal(size=(n, 4))), _t(rng.normal(size=(n, 2))),
         _some_mask(rng, n, n)),
        (_t(rng.normal(size=(2, 3, 6, 8))), _t(rng.normal(size=(2, 3, 6, 8))),
         _t(rng.normal(size=(2, 3, 6, 4))), _some_mask(rng, 2, 1, 6, 6)),
    ]


def _attend(q, k, v, mask, scale, dim=-1, allowed=True):
    scores = q @ k.transpose(-2, -1) * scale
    if mask is not None:
        scores = scores.masked_fill(mask != allowed, float("-inf"))
    weights = torch.softmax(scores, dim=dim)
    return weights @ v, weights


def _sdpa_no_scale(q, k, v, mask=None):
    return _attend(q, k, v, mask, 1.0)


def _sdpa_scale_d(q, k, v, mask=None):
    return _attend(q, k, v, mask, 1 / q.shape[-1])


def _sdpa_scale_dv(q, k, v, mask=None):
    return _attend(q, k, v, mask, 1 / math.sqrt(v.shape[-1]))


def _sdpa_wrong_axis(q, k, v, mask=None):
    return _attend(q, k, v, mask, 1 / math.sqrt(q.shape[-1]), dim=-2)


def _sdpa_mask_transposed(q, k, v, mask=None):
    return _sdpa_ref(q, k, v, None if mask is None else mask.transpose(-2, -1))


def _sdpa_mask_inverted(q, k, v, mask=None):
    return _attend(q, k, v, mask, 1 / math.sqrt(q.shape[-1]), allowed=False)


def _sdpa_mask_zero(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, 0.0)
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def _sdpa_mask_after(q, k, v, mask=None):
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    if mask is not None:
        weights = weights * mask
    return weights @ v, weights


def _sdpa_scale_lk(q, k, v, mask=None):
    return _attend(q, k, v, mask, 1 / math.sqrt(k.shape[-2]))


_sdpa_q = Question(
    id="attention.scaled_dot_product",
    chapter=4,
    prompt="Write attention(q, k, v, mask=None): softmax(q k^T / sqrt(d_k)) v with a boolean mask (True = may attend); return (out, weights)",
    reference=_sdpa_ref,
    cases=_sdpa_cases,
    mistakes=[
        (_sdpa_no_scale, "the scale is missing: divide the scores q k^T by sqrt(d_k)"),
        (_sdpa_scale_d, "you divided by d_k: the scale is 1/sqrt(d_k), which keeps the scores' variance near 1"),
        (_sdpa_scale_dv, "you scaled by the width of the values: the scale is 1/sqrt(d_k), d_k = q.shape[-1]"),
        (_sdpa_wrong_axis, "the softmax runs over the wrong axis: each query's weights sum to 1 over the keys (dim=-1)"),
        (_sdpa_mask_transposed, "the mask is transposed: mask[..., i, j] says whether query i may attend to key j"),
        (_sdpa_mask_inverted, "the mask convention is inverted: True marks the keys a query may attend to, so fill the scores with -inf where the mask is False"),
        (_sdpa_mask_zero, "the masked scores are set to 0, which still gives those keys weight e^0: fill them with -inf (float('-inf')), so their weight is exactly 0"),
        (_sdpa_mask_after, "the mask is applied after the softmax, so the weights no longer sum to 1: fill the masked scores with -inf before the softmax"),
        (_sdpa_scale_lk, "you divided by sqrt of the number of keys: the scale is 1/sqrt(d_k), with d_k = q.shape[-1] the width of a query"),
    ],
    rtol=1e-5,
    atol=1e-6,  # a float32 answer is right
    units=False,
)
grade_parts(_sdpa_q, ("out", "weights"))


# --------------------------------------------------------------------------- attention.causal_mask
def _causal_ref(n):
    return torch.tril(torch.ones(n, n)).bool()


def _causal_cases(rng):
    return [(1,), (2,), (5,), (int(rng.integers(6, 13)),)]


def _causal_upper(n):
    return torch.triu(torch.ones(n, n)).bool()


def _causal_inverted(n):
    return ~_causal_ref(n)


def _causal_strict(n):
    return torch.tril(torch.ones(n, n), diagonal=-1).bool()


def _causal_additive(n):
    return torch.zeros(n, n).masked_fill(~_causal_ref(n), float("-inf"))


_BOOL_HINT = ("return a boolean mask (True where a query may attend); a float mask is added to "
              "the scores, so F.scaled_dot_product_attention would mask nothing")
_ADDITIVE_HINT = ("this is the additive form (0 where a query may attend, -inf elsewhere): "
                  "return the boolean mask, True where j <= i")


def _dtype_name(x) -> str:
    return str(getattr(x, "dtype", type(x).__name__)).replace("torch.", "")


def _causal_grade(answer):
    """The values of the engine, after checking that the answer is a boolean mask."""
    if not callable(answer):
        return False, ("expected a function, got " + type(answer).__name__
                       + "; pass the function itself, without calling it")
    not_bool = []  # the non-boolean answers, as float arrays
    for (n,) in _causal_cases(np.random.default_rng(CASE_SEED)):
        got = answer(n)
        if isinstance(got, torch.Tensor):
            if got.dtype != torch.bool:
                not_bool.append((got, got.detach().cpu().double().numpy()))
        elif isinstance(got, np.ndarray) and got.dtype.kind in "biuf":
            if got.dtype != np.bool_:
                not_bool.append((got, got.astype(float)))
        else:
            return False, f"return a boolean tensor (torch.bool), got {type(got).__name__}"
    if not_bool:
        if any(np.isneginf(arr).any() for _, arr in not_bool):  # n = 1 has no -inf
            return False, _ADDITIVE_HINT
        return False, f"{_BOOL_HINT} (got dtype {_dtype_name(not_bool[0][0])})"
    status, message = grade_answer(dataclasses.replace(_causal_q, grade=None), answer)
    return status == "passed", message


_causal_q = Question(
    id="attention.causal_mask",
    chapter=4,
    prompt="Write causal_mask(n): the (n, n) boolean mask, True where query i may attend to key j (j <= i)",
    reference=_causal_ref,
    cases=_causal_cases,
    mistakes=[
        (_causal_upper, "the mask is transposed: True above the diagonal lets query i see the later keys j > i; keep j <= i (on and below the diagonal)"),
        (_causal_inverted, "the convention is inverted: True marks the keys a query may attend to (j <= i), as in F.scaled_dot_product_attention"),
        (_causal_strict, "the diagonal is missing: a query may attend to its own position (j <= i, not j < i)"),
    ],
    units=False,
)
_causal_q.grade = _causal_grade


# --------------------------------------------------------------------------- attention.positional_encoding
def _pe_angles(max_len, d_model, exponent, start=0):
    pos = np.arange(start, start + max_len, dtype=float)[:, None]
    return pos / 10000.0 ** (exponent(np.arange(d_model)) / d_model)


def _pair_index(j):
    return 2 * (j // 2)  # columns 2i and 2i + 1 share the exponent 2i


def _pe_ref(max_len, d_model):
    angle = _pe_angles(max_len, d_model, _pair_index)
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angle), np.cos(angle))


def _pe_cases(rng):
    return [(1, 2), (6, 4), (int(rng.integers(10, 40)), 2 * int(rng.integers(3, 17))), (50, 64)]


def _pe_swapped(max_len, d_model):
    angle = _pe_angles(max_len, d_model, _pair_index)
    return np.where(np.arange(d_model) % 2 == 0, np.cos(angle), np.sin(angle))


def _pe_halves(max_len, d_model):
    angle = _pe_angles(max_len, d_model, _pair_index)[:, 0::2]
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)


def _pe_column_exponent(max_len, d_model):
    angle = _pe_angles(max_len, d_model, lambda j: j)
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angle), np.cos(angle))


def _pe_double_exponent(max_len, d_model):
    angle = _pe_angles(max_len, d_model, lambda j: 2 * j)
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angle), np.cos(angle))


def _pe_pair_over_d(max_len, d_model):
    angle = _pe_angles(max_len, d_model, lambda j: j // 2)
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angle), np.cos(angle))


def _pe_times(max_len, d_model):
    pos = np.arange(max_len, dtype=float)[:, None]
    angle = pos * 10000.0 ** (_pair_index(np.arange(d_model)) / d_model)
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angle), np.cos(angle))


def _pe_from_one(max_len, d_model):
    angle = _pe_angles(max_len, d_model, _pair_index, start=1)
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angle), np.cos(angle))


_pe_q = Question(
    id="attention.positional_encoding",
    chapter=4,
    prompt="Write positional_encoding(max_len, d_model): PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(pos / 10000^(2i/d))",
    reference=_pe_ref,
    cases=_pe_cases,
    mistakes=[
        (_pe_swapped, "sin and cos are swapped: the even columns 2i hold sin, the odd columns 2i+1 hold cos"),
        (_pe_halves, "the sin and cos columns sit in two halves; they interleave: column 2i is sin and column 2i+1 is cos of the same frequency"),
        (_pe_column_exponent, "columns 2i and 2i+1 share one frequency 1/10000^(2i/d): the exponent uses 2 * (j // 2), not the column index j"),
        (_pe_double_exponent, "the exponent is 2i/d with i = j // 2 the index of the pair, not 2j/d with j the column"),
        (_pe_from_one, "positions start at 0: the first row is sin(0) = 0 and cos(0) = 1"),
        (_pe_pair_over_d, "the factor 2 is missing: the exponent is 2i/d with i = j // 2 the index of the pair, not i/d"),
        (_pe_times, "the minus sign of the exponent is lost: the angle is pos / 10000^(2i/d) (frequencies 10000^(-2i/d) <= 1), not pos * 10000^(2i/d)"),
    ],
    rtol=1e-5,
    atol=1e-5,  # a float32 answer is right
    units=False,
)


# --------------------------------------------------------------------------- attention.split_heads / merge_heads
def _split_ref(x, n_heads):
    d_head = x.shape[-1] // n_heads
    return torch.stack([x[..., i * d_head:(i + 1) * d_head] for i in range(n_heads)], dim=1)


def _split_cases(rng):
    return [
        (_t(rng.normal(size=(2, 3, 8))), 2),
        (_t(rng.normal(size=(1, 5, 12))), 3),
        (_t(rng.normal(size=(3, 4, 6))), 6),
        (_t(rng.normal(size=(2, int(rng.integers(5, 10)), 16))), 4),
    ]


def _split_reshape(x, n_heads):
    B, L, D = x.shape
    return x.reshape(B, n_heads, L, D // n_heads)


def _split_head_minor(x, n_heads):
    B, L, D = x.shape
    return x.reshape(B, L, D // n_heads, n_heads).permute(0, 3, 1, 2)


_split_q = Question(
    id="attention.split_heads",
    chapter=4,
    prompt="Write split_heads(x, n_heads): (B, L, D) -> (B, h, L, D/h), head i holding features i D/h to (i+1) D/h - 1",
    reference=_split_ref,
    cases=_split_cases,
    mistakes=[
        (_split_reshape, "a plain reshape to (B, h, L, D/h) mixes positions across heads: view as (B, L, h, D/h), then transpose(1, 2)"),
        (_split_head_minor, "the head is the slower index: head i holds the features i D/h to (i+1) D/h - 1, so view as (B, L, h, D/h), not (B, L, D/h, h)"),
    ],
    units=False,
)


def _merge_ref(x):
    return torch.cat([x[:, i] for i in range(x.shape[1])], dim=-1)


def _merge_cases(rng):
    return [
        (_t(rng.normal(size=(2, 2, 3, 4))),),
        (_t(rng.normal(size=(1, 3, 5, 4))),),
        (_t(rng.normal(size=(3, 6, 4, 1))),),
        (_t(rng.normal(size=(2, 4, int(rng.integers(5, 10)), 4))),),
    ]


def _merge_reshape(x):
    B, h, L, d_head = x.shape
    return x.reshape(B, L, h * d_head)


def _merge_head_minor(x):
    B, h, L, d_head = x.shape
    return x.permute(0, 2, 3, 1).reshape(B, L, h * d_head)


_merge_q = Question(
    id="attention.merge_heads",
    chapter=4,
    prompt="Write merge_heads(x): (B, h, L, D/h) -> (B, L, D), the inverse of split_heads",
    reference=_merge_ref,
    cases=_merge_cases,
    mistakes=[
        (_merge_reshape, "a plain reshape of (B, h, L, D/h) to (B, L, D) mixes positions and heads: transpose(1, 2) first, then reshape"),
        (_merge_head_minor, "the head is the slower index of the merged axis: transpose(1, 2) to (B, L, h, D/h), then reshape"),
    ],
    units=False,
    errors=[("view size is not compatible", "after transpose the tensor is not contiguous: call .contiguous() before .view(...), or use .reshape(...)")],
)


# --------------------------------------------------------------------------- attention.layer_norm
def _ln_ref(x, gamma, beta, eps):
    return F.layer_norm(x, x.shape[-1:], gamma, beta, eps)


def _ln_cases(rng):
    def case(shape, scale=1.0, shift=0.0, eps=1e-5):
        D = shape[-1]
        return (_t(shift + scale * rng.normal(size=shape)), _t(rng.uniform(0.5, 2, size=D)),
                _t(rng.normal(size=D)), eps)
    return [case((5, 8)), case((2, 3, 6)), case((4, 10), scale=0.01, shift=3.0),
            case((int(rng.integers(3, 8)), 5), eps=1e-3)]


def _ln_unbiased(x, gamma, beta, eps):
    return gamma * (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, keepdim=True) + eps) + beta


def _ln_first_axis(x, gamma, beta, eps):
    mean, var = x.mean(0, keepdim=True), x.var(0, unbiased=False, keepdim=True)
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta


def _ln_all_entries(x, gamma, beta, eps):
    return gamma * (x - x.mean()) / torch.sqrt(x.var(unbiased=False) + eps) + beta


def _ln_no_eps(x, gamma, beta, eps):
    return _ln_ref(x, gamma, beta, 0.0)


def _ln_eps_outside(x, gamma, beta, eps):
    std = x.std(-1, unbiased=False, keepdim=True)
    return gamma * (x - x.mean(-1, keepdim=True)) / (std + eps) + beta


def _ln_fixed_eps(x, gamma, beta, eps):
    return _ln_ref(x, gamma, beta, 1e-5)


def _ln_no_affine(x, gamma, beta, eps):
    return _ln_ref(x, None, None, eps)


_ln_q = Question(
    id="attention.layer_norm",
    chapter=4,
    prompt="Write layer_norm(x, gamma, beta, eps): gamma (x - mean) / sqrt(var + eps) + beta over the last axis, biased variance",
    reference=_ln_ref,
    cases=_ln_cases,
    mistakes=[
        (_ln_unbiased, "the variance is unbiased (divides by D - 1), torch's default: LayerNorm divides by D, x.var(-1, unbiased=False)"),
        (_ln_first_axis, "you normalized over the first axis (each feature across the batch, like BatchNorm): LayerNorm normalizes each vector over the last axis"),
        (_ln_all_entries, "you normalized over all the entries at once: LayerNorm takes the mean and variance of each vector over the last axis (keepdim=True)"),
        (_ln_no_eps, "eps is missing: divide by sqrt(var + eps), not sqrt(var)"),
        (_ln_eps_outside, "eps goes inside the square root: sqrt(var + eps), not std + eps"),
        (_ln_no_affine, "the affine part is missing: multiply by gamma, then add beta"),
        (_ln_fixed_eps, "eps is hard-coded to 1e-5: use the argument eps, sqrt(var + eps)"),
    ],
    units=False,
)


QUESTIONS = [_sdpa_q, _causal_q, _pe_q, _split_q, _merge_q, _ln_q]
