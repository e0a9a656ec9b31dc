"""Loss functions read as likelihoods: cross-entropy, binary cross-entropy, perplexity,
the Gaussian negative log-likelihood and the KL divergence between two Gaussians.

Introduced in Chapter 5 (Loss functions from information theory).

NumPy arrays in, NumPy floats or arrays out; logarithms are natural, so every loss is in
nats.  The classification losses take logits and never form a probability that could
underflow: they work through log-sum-exp and are exact for logits of size 1e4.  Invalid
input (wrong shapes, labels out of range, targets outside [0, 1], a variance <= 0, NaN)
raises ``ValueError`` with a message that says what is wrong.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._checks import as_float_array as _as_float_array

__all__ = [
    "cross_entropy_from_logits",
    "binary_cross_entropy_with_logits",
    "perplexity",
    "gaussian_nll",
    "kl_gaussian",
]


def cross_entropy_from_logits(logits, labels, label_smoothing: float = 0.0) -> float:
    """Mean cross-entropy (nats) of ``softmax(logits)`` against integer ``labels``.

    ``logits``: shape (N, C), finite; ``labels``: N integers in [0, C).  With
    ``label_smoothing = eps`` the target of each row is ``(1 - eps) * onehot + eps / C``,
    the convention of ``torch.nn.functional.cross_entropy``.  Returns a float.
    """
    z = _as_float_array(logits, "logits")
    if z.ndim != 2 or z.shape[0] == 0 or z.shape[1] == 0:
        raise ValueError(f"logits must have shape (N, C) with N, C >= 1, got shape {z.shape}")
    if not np.all(np.isfinite(z)):
        raise ValueError("logits must be finite")
    y = np.asarray(labels)
    if y.shape != (z.shape[0],):
        raise ValueError(f"labels must have shape ({z.shape[0]},), got shape {y.shape}")
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(int)
        else:
            raise ValueError("labels must be integers (class indices), not probabilities")
    n_classes = z.shape[1]
    if np.any(y < 0) or np.any(y >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got min {y.min()}, max {y.max()}")
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise ValueError(f"label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {eps}")
    m = z.max(axis=1, keepdims=True)
    log_p = z - m - np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))  # log-softmax
    nll = -log_p[np.arange(len(y)), y]
    uniform = -log_p.mean(axis=1)  # cross-entropy to the uniform target
    return float(np.mean((1.0 - eps) * nll + eps * uniform))


def binary_cross_entropy_with_logits(logits, targets) -> float:
    """Mean binary cross-entropy (nats) of ``sigmoid(logits)`` against ``targets`` in [0, 1].

    Computed as ``max(x, 0) - x t + log(1 + exp(-|x|))``, which never overflows and is exact
    for logits of size 1e4.  ``logits`` and ``targets`` have the same shape.
    """
    x = _as_float_array(logits, "logits")
    t = _as_float_array(targets, "targets")
    if x.shape != t.shape:
        raise ValueError(f"logits and targets must have the same shape, got {x.shape} and {t.shape}")
    if x.size == 0:
        raise ValueError("logits must not be empty")
    if not np.all(np.isfinite(x)):
        raise ValueError("logits must be finite")
    if np.any(t < 0) or np.any(t > 1):
        raise ValueError("targets must lie in [0, 1]")
    return float(np.mean(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))))


def perplexity(nll) -> float:
    """``exp`` of the mean per-token negative log-likelihood ``nll`` (nats, each >= 0)."""
    a = _as_float_array(nll, "nll")
    if a.size == 0:
        raise ValueError("nll must hold at least one token")
    if np.any(a < 0):
        raise ValueError("a negative log-likelihood of a token is >= 0 (pass -log p, not log p)")
    return float(np.exp(np.mean(a)))


def gaussian_nll(y, mean, var) -> float:
    """Mean Gaussian negative log-likelihood ``0.5 [log(2 pi var) + (y - mean)^2 / var]``.

    ``y``, ``mean`` and ``var`` broadcast against each other; ``var > 0``.  Nats.
    """
    y = _as_float_array(y, "y")
    mean = _as_float_array(mean, "mean")
    var = _as_float_array(var, "var")
    if np.any(var <= 0):
        raise ValueError("var must be > 0 (a variance, not a standard deviation or log-variance)")
    try:
        y, mean, var = np.broadcast_arrays(y, mean, var)
    except ValueError:
        raise ValueError(f"y, mean and var do not broadcast: shapes {y.shape}, {mean.shape}, "
                         f"{var.shape}") from None
    if y.size == 0:
        raise ValueError("y must not be empty")
    return float(np.mean(0.5 * (np.log(2 * np.pi * var) + (y - mean) ** 2 / var)))


def kl_gaussian(mu_q, var_q, mu_p, var_p):
    """Elementwise ``KL(N(mu_q, var_q) || N(mu_p, var_p))`` in nats; variances > 0.

    ``0.5 [log(var_p / var_q) + (var_q + (mu_q - mu_p)^2) / var_p - 1]``; the arguments
    broadcast.  Returns a float for scalar input, an array otherwise.
    """
    mu_q = _as_float_array(mu_q, "mu_q")
    var_q = _as_float_array(var_q, "var_q")
    mu_p = _as_float_array(mu_p, "mu_p")
    var_p = _as_float_array(var_p, "var_p")
    if np.any(var_q <= 0) or np.any(var_p <= 0):
        raise ValueError("var_q and var_p must be > 0 (variances)")
    try:
        mu_q, var_q, mu_p, var_p = np.broadcast_arrays(mu_q, var_q, mu_p, var_p)
    except ValueError:
        raise ValueError("mu_q, var_q, mu_p and var_p do not broadcast") from None
    kl = 0.5 * (np.log(var_p / var_q) + (var_q + (mu_q - mu_p) ** 2) / var_p - 1.0)
    return float(kl) if kl.ndim == 0 else kl
