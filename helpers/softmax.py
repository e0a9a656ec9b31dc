"""Softmax with temperature, its Jacobian, Gumbel-softmax sampling and knowledge distillation.

Everything here is introduced in Chapter 2 (Softmax and temperature) and reused by the
chapters on attention, contrastive learning and variational autoencoders.

The NumPy functions take any array of logits whose last axis (or ``axis``) holds the
categories.  They are exact in the limits (``tau -> 0`` gives the one-hot argmax, or the
uniform distribution over tied maxima; ``tau -> inf`` gives the uniform distribution), and
they never overflow: every exponential is taken of a number ``<= 0``, so for any finite
logits and any ``tau > 0`` the results are finite (log-probabilities excepted where
``(z_i - max z) / tau`` itself exceeds the float range, where the log-probability is -inf)
and no floating-point warning is raised: the functions silence, inside themselves, the
underflows of terms below the float range (and the overflow of ``(z - max z) / tau`` towards
-inf), whose correct rounded value is 0 or a subnormal number.  The result is checked against
50-digit arithmetic in Chapter 2 and in the tests.

Logits may be ``-inf`` to mask a category (as attention masks do): it then gets probability
exactly 0 and log-probability ``-inf``.  NaN, ``+inf`` and a slice with every category masked
raise ``ValueError``.

Logarithms are natural, so log-probabilities and losses are in nats.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "softmax",
    "log_softmax",
    "logsumexp",
    "softmax_jacobian",
    "gumbel_softmax",
    "distillation_loss",
]


# --------------------------------------------------------------------------- validation
def _check_tau(tau, name: str = "tau") -> float:
    """Return ``tau`` as a float; raise ValueError unless it is a number > 0 (inf allowed)."""
    if isinstance(tau, bool) or not isinstance(tau, (numbers.Real, np.floating, np.integer)):
        try:
            tau = float(np.asarray(tau).item())  # a 0-d array or a one-element tensor
        except (TypeError, ValueError, AttributeError):
            raise ValueError(f"{name} must be a positive number, got {tau!r}") from None
    tau = float(tau)
    if np.isnan(tau) or tau <= 0:
        raise ValueError(f"{name} must be > 0 (the temperature divides the logits), got {tau!r}")
    return tau


def _as_logits(z, name: str = "z") -> np.ndarray:
    """Return ``z`` as a float64 array with at least one axis; raise ValueError otherwise."""
    if hasattr(z, "detach"):  # a torch tensor
        z = z.detach().cpu().numpy()
    try:
        arr = np.asarray(z)
    except Exception:
        raise ValueError(f"{name} must be an array of real numbers") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the categories), got a scalar")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: there are no logits")
    if np.isnan(arr).any() or np.isposinf(arr).any():
        raise ValueError(
            f"{name} contains NaN or +inf values; logits must be finite, or -inf for a masked category"
        )
    return arr


def _check_not_all_masked(z: np.ndarray, axis: int, name: str = "z") -> None:
    """A slice whose every logit is -inf (every category masked) has no softmax."""
    if np.isneginf(z).all(axis=axis).any():
        raise ValueError(f"{name} has a slice whose logits are all -inf: every category is masked")


def _check_axis(arr: np.ndarray, axis) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (numbers.Integral, np.integer)):
        raise ValueError(f"axis must be an integer, got {axis!r}")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis {axis} is out of range for an array with {arr.ndim} axis/axes")
    return int(axis) % arr.ndim


def _scaled_shifted(z: np.ndarray, tau: float, axis: int) -> np.ndarray:
    """(z - max z) / tau: every entry <= 0 and the largest entry of each slice exactly 0.

    Masked logits (-inf) stay -inf, also for tau = inf, where -inf / inf would be NaN.
    """
    _check_not_all_masked(z, axis)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        # Huge logits or a tiny tau may send (z - max z) / tau to -inf: exp(-inf) = 0 is
        # the right limit, so the overflow is harmless and silenced.
        d = (z - np.max(z, axis=axis, keepdims=True)) / tau
    return np.where(np.isneginf(z), -np.inf, d)


# --------------------------------------------------------------------------- softmax
def softmax(
        z,                 # logits, shape (..., n, ...); the categories lie along `axis`
        tau: float = 1.0,  # temperature > 0 (np.inf allowed: the uniform distribution)
        axis: int = -1,    # the axis holding the n categories
) -> np.ndarray:
    """Softmax with temperature: ``exp(z_i / tau) / sum_j exp(z_j / tau)`` along ``axis``.

    Returns an array of the shape of ``z`` whose slices along ``axis`` are probability
    vectors (non-negative, summing to 1).  The maximum is subtracted before the exponential
    (softmax is shift-invariant), so nothing overflows.  Introduced in Chapter 2.
    """
    tau = _check_tau(tau)
    z = _as_logits(z)
    axis = _check_axis(z, axis)
    d = _scaled_shifted(z, tau, axis)
    with np.errstate(under="ignore"):  # a probability below ~1e-308 rounds to 0: harmless
        e = np.exp(d)  # in [0, 1], and exactly 1 at the maximum, so the sum is >= 1
        return e / np.sum(e, axis=axis, keepdims=True)


def logsumexp(
        z,              # real numbers, shape (..., n, ...)
        axis: int = -1,  # the axis to reduce
) -> np.ndarray | float:
    """``log(sum_i exp(z_i))`` along ``axis``, computed as ``m + log(sum_i exp(z_i - m))``.

    ``m`` is the maximum along ``axis``; the result is exact to rounding for any finite input
    and is bounded by ``m <= logsumexp(z) <= m + log(n)``.  Returns an array of the shape of
    ``z`` without ``axis`` (a float for a 1-D ``z``).  Units: nats.  Introduced in Chapter 2.
    """
    z = _as_logits(z)
    axis = _check_axis(z, axis)
    _check_not_all_masked(z, axis)
    m = np.max(z, axis=axis, keepdims=True)
    with np.errstate(over="ignore", under="ignore"):
        s = np.sum(np.exp(z - m), axis=axis, keepdims=True)  # in [1, n]
    out = np.squeeze(m + np.log(s), axis=axis)
    return float(out) if out.ndim == 0 else out


def log_softmax(
        z,                 # logits, shape (..., n, ...)
        tau: float = 1.0,  # temperature > 0
        axis: int = -1,    # the axis holding the n categories
) -> np.ndarray:
    """``log softmax(z / tau)`` along ``axis``, as ``z/tau - logsumexp(z/tau)``, in nats.

    Never takes the log of an underflowed probability: a class that softmax rounds to 0 gets
    a large negative, finite log-probability (for finite ``z / tau``).  Introduced in Chapter 2.
    """
    tau = _check_tau(tau)
    z = _as_logits(z)
    axis = _check_axis(z, axis)
    d = _scaled_shifted(z, tau, axis)
    with np.errstate(under="ignore"):
        s = np.sum(np.exp(d), axis=axis, keepdims=True)  # in [1, n]
    return d - np.log(s)


def softmax_jacobian(
        z,                 # logits, shape (n,)
        tau: float = 1.0,  # temperature > 0
) -> np.ndarray:
    """The Jacobian of ``s = softmax(z / tau)`` with respect to ``z``, shape (n, n).

    ``J[i, j] = d s_i / d z_j = s_i (delta_ij - s_j) / tau``, i.e. ``(diag(s) - s s^T) / tau``:
    symmetric, positive semi-definite, every row and column sums to 0, rank n - 1 when every
    s_i > 0.  Introduced in Chapter 2.
    """
    z = _as_logits(z)
    if z.ndim != 1:
        raise ValueError(f"softmax_jacobian needs a 1-D vector of logits, got shape {z.shape}")
    tau = _check_tau(tau)
    s = softmax(z, tau)
    with np.errstate(under="ignore"):
        return (np.diag(s) - np.outer(s, s)) / tau


# --------------------------------------------------------------------------- Gumbel
def gumbel_softmax(
        logits,                   # unnormalized log-probabilities, shape (..., n)
        tau: float,               # temperature > 0 of the relaxation
        rng: np.random.Generator,  # source of randomness
        hard: bool = False,       # return the one-hot vector of the argmax instead
) -> np.ndarray:
    """One Gumbel-softmax sample: ``softmax((logits + g) / tau)`` with ``g_i`` i.i.d. Gumbel(0, 1).

    The result has the shape of ``logits`` and lies on the probability simplex along the last
    axis; leading axes give independent samples (pass ``np.tile(logits, (m, 1))`` for m draws).
    ``g = -log(-log U)`` with ``U`` uniform on (0, 1).  The argmax of ``logits + g`` is an exact
    sample from ``softmax(logits)`` (the Gumbel-max trick); ``hard=True`` returns that one-hot
    vector.  As ``tau -> 0`` the soft sample tends to the same one-hot vector.
    Introduced in Chapter 2.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}"
        )
    tau = _check_tau(tau)
    logits = _as_logits(logits, "logits")
    _check_not_all_masked(logits, -1, "logits")
    # U in [tiny, 1): U > 0 and U < 1, so that both logarithms are finite.
    u = rng.uniform(np.finfo(np.float64).tiny, 1.0, size=logits.shape)
    g = -np.log(-np.log(u))
    y = logits + g
    if hard:
        k = np.argmax(y, axis=-1)
        out = np.zeros_like(y)
        np.put_along_axis(out, k[..., None], 1.0, axis=-1)
        return out
    return softmax(y, tau)


# --------------------------------------------------------------------------- distillation
def distillation_loss(
        student_logits,  # torch tensor (B, K): the student's logits, gradients flow into these
        teacher_logits,  # torch tensor (B, K): the teacher's logits, treated as constants
        labels,          # torch integer tensor (B,): the true classes in 0..K-1
        tau: float,      # distillation temperature > 0 (Hinton et al. use 1..20)
        alpha: float,    # weight in [0, 1] of the soft (distillation) term
):
    """Knowledge-distillation loss of Hinton, Vinyals and Dean (2015), a scalar torch tensor:

        alpha * tau**2 * mean_b KL(softmax(t_b / tau) || softmax(s_b / tau))
            + (1 - alpha) * mean_b CE(softmax(s_b), y_b)

    in nats.  The factor ``tau**2`` keeps the gradient of the soft term on the scale of the
    hard term (its gradient shrinks like 1 / tau**2).  The teacher is detached: no gradient
    reaches it.  Introduced in Chapter 2.
    """
    import torch
    import torch.nn.functional as F

    tau = _check_tau(tau)
    if isinstance(alpha, bool) or not isinstance(alpha, (numbers.Real, np.floating, np.integer)):
        raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}")
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1] (the weight of the soft term), got {alpha}")
    s = torch.as_tensor(student_logits)
    t = torch.as_tensor(teacher_logits)
    y = torch.as_tensor(labels)
    for name, x in (("student_logits", s), ("teacher_logits", t)):
        if not torch.is_floating_point(x):
            raise ValueError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
        if x.ndim != 2:
            raise ValueError(f"{name} must have shape (batch, classes), got {tuple(x.shape)}")
        if not bool(torch.isfinite(x).all()):
            raise ValueError(f"{name} contains NaN or infinite values")
    if s.shape != t.shape:
        raise ValueError(
            f"student_logits {tuple(s.shape)} and teacher_logits {tuple(t.shape)} must have the same shape"
        )
    if y.dtype not in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
        raise ValueError(f"labels must be an integer tensor of class indices, got dtype {y.dtype}")
    if y.shape != (s.shape[0],):
        raise ValueError(f"labels must have shape ({s.shape[0]},), one class per row, got {tuple(y.shape)}")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= s.shape[1]):
        raise ValueError(f"labels must lie in 0..{s.shape[1] - 1}")
    if s.shape[0] == 0:
        raise ValueError("the batch is empty")

    log_p_teacher = F.log_softmax(t.detach() / tau, dim=-1)
    log_p_student = F.log_softmax(s / tau, dim=-1)
    kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(dim=-1).mean()
    ce = F.cross_entropy(s, y.long())
    return alpha * tau**2 * kl + (1.0 - alpha) * ce
