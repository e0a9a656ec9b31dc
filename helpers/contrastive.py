"""Contrastive losses and representation metrics, introduced in Chapter 6.

PyTorch tensors in and out, differentiable; invalid input raises ``ValueError``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _check_tensor(x, name, ndim):
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(x.shape)}")
    if not torch.is_floating_point(x):
        raise ValueError(f"{name} must be a floating-point tensor, got {x.dtype}")


def _check_positive(value, name):
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def info_nce_loss(query, positive, negatives, temperature=0.07):
    """InfoNCE: mean over the batch of the cross-entropy of the positive among K+1 candidates.

    ``query`` and ``positive`` are (B, D), ``negatives`` (B, K, D); similarities are dot
    products divided by ``temperature`` (normalise the rows first for cosine similarity).
    """
    _check_tensor(query, "query", 2)
    _check_tensor(positive, "positive", 2)
    _check_tensor(negatives, "negatives", 3)
    _check_positive(temperature, "temperature")
    B, D = query.shape
    if positive.shape != (B, D):
        raise ValueError(f"positive must have shape {(B, D)} like query, got {tuple(positive.shape)}")
    if negatives.shape[0] != B or negatives.shape[2] != D:
        raise ValueError(f"negatives must have shape ({B}, K, {D}), got {tuple(negatives.shape)}")
    pos = (query * positive).sum(dim=1, keepdim=True)            # (B, 1)
    neg = torch.einsum("bd,bkd->bk", query, negatives)            # (B, K)
    logits = torch.cat([pos, neg], dim=1) / temperature           # positive at index 0
    return -torch.log_softmax(logits, dim=1)[:, 0].mean()


def nt_xent_loss(z1, z2, temperature=0.5):
    """NT-Xent (SimCLR): InfoNCE over the 2N views with cosine similarity, self-pairs excluded.

    Row i of ``z1`` and row i of ``z2`` are two views of the same input; each of the 2N
    views is an anchor whose positive is its partner and whose 2N - 2 negatives are the
    other views. Returns the mean over the 2N anchors.
    """
    _check_tensor(z1, "z1", 2)
    _check_tensor(z2, "z2", 2)
    _check_positive(temperature, "temperature")
    if z1.shape != z2.shape:
        raise ValueError(f"z1 and z2 must have the same shape, got {tuple(z1.shape)} and {tuple(z2.shape)}")
    n = z1.shape[0]
    if n < 2:
        raise ValueError(f"nt_xent_loss needs at least 2 pairs (negatives), got {n}")
    z = F.normalize(torch.cat([z1, z2], dim=0), dim=1)
    sim = z @ z.T / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


def contrastive_margin_loss(a, b, y, margin=1.0):
    """1/(2N) sum [y d^2 + (1 - y) max(margin - d, 0)^2], d = ||a_i - b_i||, y = 1 similar."""
    _check_tensor(a, "a", 2)
    _check_tensor(b, "b", 2)
    _check_positive(margin, "margin")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    y = torch.as_tensor(y, dtype=a.dtype)
    if y.shape != (a.shape[0],):
        raise ValueError(f"y must have shape ({a.shape[0]},), got {tuple(y.shape)}")
    if not bool(((y == 0) | (y == 1)).all()):
        raise ValueError("y must contain only 0 (dissimilar) and 1 (similar)")
    d = torch.linalg.vector_norm(a - b, dim=1)
    loss = y * d**2 + (1 - y) * torch.clamp(margin - d, min=0) ** 2
    return loss.sum() / (2 * a.shape[0])


def triplet_loss(anchor, positive, negative, margin=1.0):
    """Mean of max(||a - p|| - ||a - n|| + margin, 0) over the batch (Euclidean distances)."""
    for x, name in [(anchor, "anchor"), (positive, "positive"), (negative, "negative")]:
        _check_tensor(x, name, 2)
    _check_positive(margin, "margin")
    if not (anchor.shape == positive.shape == negative.shape):
        raise ValueError("anchor, positive and negative must have the same shape")
    d_pos = torch.linalg.vector_norm(anchor - positive, dim=1)
    d_neg = torch.linalg.vector_norm(anchor - negative, dim=1)
    return torch.clamp(d_pos - d_neg + margin, min=0).mean()


def alignment(z1, z2, alpha=2):
    """Mean over pairs of ||z1_i - z2_i||^alpha (Wang & Isola, 2020); lower is better aligned."""
    _check_tensor(z1, "z1", 2)
    _check_tensor(z2, "z2", 2)
    _check_positive(alpha, "alpha")
    if z1.shape != z2.shape:
        raise ValueError(f"z1 and z2 must have the same shape, got {tuple(z1.shape)} and {tuple(z2.shape)}")
    return torch.linalg.vector_norm(z1 - z2, dim=1).pow(alpha).mean()


def uniformity(z, t=2):
    """log of the mean over pairs i < j of exp(-t ||z_i - z_j||^2); lower is more uniform."""
    _check_tensor(z, "z", 2)
    _check_positive(t, "t")
    if z.shape[0] < 2:
        raise ValueError(f"uniformity needs at least 2 rows, got {z.shape[0]}")
    sq = torch.pdist(z, p=2).pow(2)
    return torch.logsumexp(-t * sq, dim=0) - math.log(sq.numel())


def gaussian_mi(rho, dim):
    """Mutual information (nats) of `dim` independent pairs of standard normals with correlation rho."""
    if not (-1 < rho < 1):
        raise ValueError(f"rho must lie in (-1, 1), got {rho!r}")
    return -0.5 * dim * math.log(1 - rho**2)


def gaussian_log_density_ratio(x, y, rho):
    """log p(y|x)/p(y) for x, y standard normal in each coordinate with correlation rho.

    ``x`` is (B, D) and ``y`` is (..., D) broadcastable against it; sums over the last axis.
    """
    if not (-1 < rho < 1):
        raise ValueError(f"rho must lie in (-1, 1), got {rho!r}")
    s2 = 1 - rho**2
    return (-0.5 * math.log(s2) - (y - rho * x) ** 2 / (2 * s2) + y**2 / 2).sum(-1)


def infonce_mi_estimate(scores):
    """log(K+1) - InfoNCE from critic scores (B, K+1) with the positive in column 0."""
    _check_tensor(scores, "scores", 2)
    k1 = scores.shape[1]
    if k1 < 2:
        raise ValueError("scores needs at least 2 columns: the positive and one negative")
    loss = -torch.log_softmax(scores, dim=1)[:, 0].mean()
    return math.log(k1) - loss
