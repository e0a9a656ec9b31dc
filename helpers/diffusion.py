"""Denoising diffusion: noise schedules, the forward process, posteriors, samplers, metrics.

Introduced in Chapter 8 (diffusion models).  The NumPy part (schedules, ``q_sample``,
``posterior_mean_variance``, one-step updates, samplers, MMD, Langevin) takes and returns
NumPy arrays; the PyTorch part (``TimeMLP``, ``train_denoiser`` and the two wrappers that turn
a trained network into a NumPy function) trains the small denoisers of the chapter.

Time indices are 0-based, as in common libraries.  A chain has ``T`` noising steps
``t = 0, ..., T-1``; ``betas[t]`` is the variance added by step ``t`` and ``alpha_bars[t]``
is the product of ``1 - betas[s]`` for ``s <= t``, so ``x_t`` is the state *after* step ``t``.
In the papers' 1-based notation (x_0 the data, steps 1..T) index ``t`` is step ``t + 1``.
Before the first step nothing has been added: that "alpha bar" is 1 and the state is ``x0``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

#: The schedule names :func:`beta_schedule` knows.
KNOWN_SCHEDULES = ("linear", "cosine", "quadratic", "sigmoid")


# --------------------------------------------------------------------------- validation
def _as_float_array(x, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers, got {type(x).__name__}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity")
    return arr


def _check_betas(betas) -> np.ndarray:
    b = _as_float_array(betas, "betas")
    if b.ndim != 1 or b.size == 0:
        raise ValueError(f"betas must be a non-empty 1-D array of shape (T,), got shape {b.shape}")
    if np.any(b <= 0) or np.any(b >= 1):
        raise ValueError(
            f"every beta must lie strictly between 0 and 1; got values in [{b.min():.4g}, {b.max():.4g}]"
        )
    return b


def _check_alpha_bars(alpha_bars) -> np.ndarray:
    a = _as_float_array(alpha_bars, "alpha_bars")
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"alpha_bars must be a non-empty 1-D array of shape (T,), got shape {a.shape}")
    if np.any(a < 0) or np.any(a > 1):
        raise ValueError(f"alpha_bars must lie in [0, 1]; got values in [{a.min():.4g}, {a.max():.4g}]")
    return a


def _check_t(t, T: int, n_rows: int | None, name: str = "t"):
    """Validate a 0-based time index: an int, or an integer array with one entry per row."""
    if isinstance(t, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer time index, got a bool")
    if isinstance(t, (int, np.integer)):
        if not 0 <= int(t) < T:
            raise ValueError(f"{name}={int(t)} is out of range: 0-based indices run from 0 to T-1 = {T - 1}")
        return int(t)
    arr = np.asarray(t)
    if arr.ndim == 0 and np.issubdtype(arr.dtype, np.integer):
        return _check_t(int(arr), T, n_rows, name)
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must be an integer index or an integer array (0-based), got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be an int or a 1-D array with one index per row, got shape {arr.shape}")
    if n_rows is None:
        raise ValueError(f"an array {name} needs data with one row per entry; x is a scalar")
    if arr.shape[0] != n_rows:
        raise ValueError(f"{name} has {arr.shape[0]} entries but x has {n_rows} rows: give one index per row")
    if arr.min() < 0 or arr.max() >= T:
        raise ValueError(f"{name} has entries outside 0..T-1 = 0..{T - 1}")
    return arr.astype(int)


def _per_row(values: np.ndarray, t, ndim: int):
    """values[t] as a scalar (int t) or as a column that broadcasts over each row (array t)."""
    if isinstance(t, int):
        return values[t]
    return values[t].reshape((-1,) + (1,) * (ndim - 1))


# --------------------------------------------------------------------------- schedules
def cosine_alpha_bar(
        u,                # fraction of the chain t/T in [0, 1]; scalar or array
        s: float = 0.008,  # offset that keeps beta from being tiny near u = 0
) -> np.ndarray:
    """The continuous cosine schedule of Nichol & Dhariwal (2021): f(u) / f(0) with
    f(u) = cos²((u + s)/(1 + s) · π/2).  Dimensionless, same shape as ``u`` (Chapter 8)."""
    u = _as_float_array(u, "u")
    if np.any(u < 0) or np.any(u > 1):
        raise ValueError("u = t/T must lie in [0, 1]")
    if s < 0:
        raise ValueError(f"s must be >= 0, got {s}")

    def f(v):
        return np.cos((v + s) / (1 + s) * np.pi / 2) ** 2

    return f(u) / f(0.0)


def beta_schedule(
        name: str,               # "linear", "cosine", "quadratic" or "sigmoid"
        T: int,                  # number of noising steps
        beta_start: float = 1e-4,  # first beta (all but "cosine")
        beta_end: float = 0.02,    # last beta (all but "cosine")
) -> np.ndarray:
    """Noise variances beta_t for t = 0..T-1, shape (T,), each in (0, 1) (Chapter 8).

    - ``"linear"``: evenly spaced from ``beta_start`` to ``beta_end`` (Ho et al., 2020 use
      1e-4 → 0.02 with T = 1000).
    - ``"cosine"``: Nichol & Dhariwal (2021): ``beta_t = 1 - abar((t+1)/T) / abar(t/T)`` with
      the cosine ``abar`` of :func:`cosine_alpha_bar` (s = 0.008), clipped at 0.999.  It
      ignores ``beta_start`` and ``beta_end``.
    - ``"quadratic"``: evenly spaced in sqrt(beta), then squared.
    - ``"sigmoid"``: ``beta_start + (beta_end - beta_start) * sigmoid(z)`` with z evenly
      spaced from -6 to 6.
    """
    if not isinstance(name, str) or name not in KNOWN_SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; known schedules: {', '.join(KNOWN_SCHEDULES)}")
    if isinstance(T, (bool, np.bool_)) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be a positive integer number of steps, got {T!r}")
    T = int(T)
    if name == "cosine":
        abar = cosine_alpha_bar(np.arange(T + 1) / T)
        return np.minimum(1.0 - abar[1:] / abar[:-1], 0.999)
    if not (0 < beta_start <= beta_end < 1):
        raise ValueError(
            f"need 0 < beta_start <= beta_end < 1, got beta_start={beta_start}, beta_end={beta_end}"
        )
    if name == "linear":
        return np.linspace(beta_start, beta_end, T)
    if name == "quadratic":
        return np.linspace(math.sqrt(beta_start), math.sqrt(beta_end), T) ** 2
    z = np.linspace(-6.0, 6.0, T)
    return beta_start + (beta_end - beta_start) / (1.0 + np.exp(-z))


def alpha_bar(betas) -> np.ndarray:
    """Cumulative products abar_t = prod_{s<=t} (1 - beta_s), shape (T,) (Chapter 8)."""
    b = _check_betas(betas)
    return np.cumprod(1.0 - b)


def snr(alpha_bars) -> np.ndarray:
    """Signal-to-noise ratio abar / (1 - abar), same shape; +inf where abar = 1 (Chapter 8)."""
    a = _as_float_array(alpha_bars, "alpha_bars")
    if np.any(a < 0) or np.any(a > 1):
        raise ValueError("alpha_bars must lie in [0, 1]")
    with np.errstate(divide="ignore"):
        return a / (1.0 - a)


def gaussian_channel_capacity(
        alpha_bars,                 # abar_t, any shape
        data_variance: float = 1.0,  # variance of one coordinate of x0
) -> np.ndarray:
    """½·log(1 + data_variance · SNR) in nats per dimension (Chapter 8).

    The capacity of the Gaussian channel x0 ↦ sqrt(abar)·x0 + sqrt(1-abar)·noise under the
    power constraint Var(x0) <= data_variance: an upper bound on I(X0; Xt) per coordinate,
    equal to it only when the coordinate of X0 is Gaussian."""
    if not data_variance > 0:
        raise ValueError(f"data_variance must be positive, got {data_variance}")
    return 0.5 * np.log1p(data_variance * snr(alpha_bars))


# --------------------------------------------------------------------------- forward process
def _abar_for_rows(x0, other, other_name, t, alpha_bars):
    """Validate x0 and an array of its shape, and return them with abar_t per row of x0."""
    x0 = _as_float_array(x0, "x0")
    other = _as_float_array(other, other_name)
    a = _check_alpha_bars(alpha_bars)
    if other.shape != x0.shape:
        raise ValueError(f"{other_name} has shape {other.shape} but x0 has shape {x0.shape}; they must match")
    t = _check_t(t, a.size, x0.shape[0] if x0.ndim else None)
    return x0, other, _per_row(a, t, x0.ndim)


def q_sample(
        x0,          # clean data, shape (n, ...) (or any shape when t is an int)
        t,           # 0-based index: an int, or an int array of shape (n,)
        noise,       # standard normal draws, same shape as x0
        alpha_bars,  # abar, shape (T,)
) -> np.ndarray:
    """Draw x_t ~ q(x_t | x0) = N(sqrt(abar_t)·x0, (1 - abar_t)·I) by reparameterization:
    ``sqrt(abar_t)·x0 + sqrt(1 - abar_t)·noise``.  Same shape as ``x0`` (Chapter 8)."""
    x0, noise, ab = _abar_for_rows(x0, noise, "noise", t, alpha_bars)
    return np.sqrt(ab) * x0 + np.sqrt(1.0 - ab) * noise


def posterior_mean_variance(
        x0,     # clean data, shape (n, ...)
        x_t,    # the state after step t, same shape
        t,      # 0-based index of the step being undone: an int or an int array of shape (n,)
        betas,  # beta schedule, shape (T,)
):
    """Mean and variance of q(x_{t-1} | x_t, x0), the Gaussian posterior of one step.

    With abar_prev = abar_{t-1} (and abar_prev = 1 when t = 0)::

        mean     = sqrt(abar_prev)·beta_t/(1 - abar_t) · x0 + sqrt(alpha_t)·(1 - abar_prev)/(1 - abar_t) · x_t
        variance = beta_t · (1 - abar_prev) / (1 - abar_t)        ("beta tilde")

    At t = 0 the "previous state" is x0 itself: the mean is x0 and the variance 0.
    Returns ``(mean, variance)``, both with the shape of ``x0`` (the variance is the same for
    every coordinate of a row) (Chapter 8).
    """
    b = _check_betas(betas)
    x0 = _as_float_array(x0, "x0")
    x_t = _as_float_array(x_t, "x_t")
    if x0.shape != x_t.shape:
        raise ValueError(f"x0 has shape {x0.shape} but x_t has shape {x_t.shape}; they must match")
    t = _check_t(t, b.size, x0.shape[0] if x0.ndim else None)
    log_ab = np.cumsum(np.log1p(-b))
    one_minus_ab = -np.expm1(log_ab)                       # 1 - abar_t, accurate for tiny t
    ab_prev = np.concatenate([[1.0], np.exp(log_ab[:-1])])
    one_minus_ab_prev = np.concatenate([[0.0], one_minus_ab[:-1]])
    coef_x0 = np.sqrt(ab_prev) * b / one_minus_ab
    coef_xt = np.sqrt(1.0 - b) * one_minus_ab_prev / one_minus_ab
    var = b * one_minus_ab_prev / one_minus_ab
    nd = x0.ndim
    mean = _per_row(coef_x0, t, nd) * x0 + _per_row(coef_xt, t, nd) * x_t
    variance = np.broadcast_to(_per_row(var, t, nd), x0.shape).copy()
    return mean, variance


# --------------------------------------------------------------------------- score and steps
def dsm_target(
        x_t,         # noisy data, shape (n, ...)
        x0,          # the clean data it came from, same shape
        t,           # 0-based index: an int or an int array of shape (n,)
        alpha_bars,  # abar, shape (T,)
) -> np.ndarray:
    """Score of q(x_t | x0): -(x_t - sqrt(abar_t)·x0) / (1 - abar_t) = -noise / sqrt(1 - abar_t).

    The regression target of denoising score matching (Vincent, 2011).  Units: 1/length;
    same shape as ``x_t`` (Chapter 8)."""
    x0, x_t, ab = _abar_for_rows(x0, x_t, "x_t", t, alpha_bars)
    if np.any(np.asarray(ab) >= 1):
        raise ValueError("abar_t = 1 means no noise: the conditional score is undefined")
    return -(x_t - np.sqrt(ab) * x0) / (1.0 - ab)


def ancestral_step(
        x_t,      # current state, shape (n, ...)
        t,        # 0-based index of the step being undone (int)
        eps_hat,  # predicted noise at (x_t, t), same shape as x_t
        z,        # fresh standard normal draws, same shape as x_t
        betas,    # beta schedule, shape (T,)
) -> np.ndarray:
    """One step of DDPM ancestral sampling (Ho et al., 2020), x_t ↦ x_{t-1}::

        x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) · eps_hat) / sqrt(alpha_t) + sigma_t · z

    with sigma_t² = beta tilde_t = beta_t (1 - abar_{t-1}) / (1 - abar_t), the posterior
    variance; it is 0 at t = 0, so the last step adds no noise.  Deterministic given its
    inputs (Chapter 8)."""
    b = _check_betas(betas)
    x_t = _as_float_array(x_t, "x_t")
    eps_hat = _as_float_array(eps_hat, "eps_hat")
    z = _as_float_array(z, "z")
    if eps_hat.shape != x_t.shape or z.shape != x_t.shape:
        raise ValueError(
            f"x_t, eps_hat and z must have the same shape, got {x_t.shape}, {eps_hat.shape}, {z.shape}"
        )
    t = _check_t(t, b.size, None)
    log_ab = np.cumsum(np.log1p(-b))
    one_minus_ab = -np.expm1(log_ab[t])
    one_minus_ab_prev = -np.expm1(log_ab[t - 1]) if t > 0 else 0.0
    sigma2 = b[t] * one_minus_ab_prev / one_minus_ab
    mean = (x_t - b[t] / np.sqrt(one_minus_ab) * eps_hat) / np.sqrt(1.0 - b[t])
    return mean + np.sqrt(sigma2) * z


def ddim_step(
        x_t,         # current state, shape (n, ...)
        t,           # 0-based index of the current noise level (int)
        t_prev,      # index of the next, less noisy level (int < t); -1 means clean data
        eps_hat,     # predicted noise at (x_t, t), same shape as x_t
        alpha_bars,  # abar, shape (T,)
) -> np.ndarray:
    """One deterministic DDIM update (Song, Meng & Ermon, 2021, eta = 0)::

        x0_hat = (x_t - sqrt(1 - abar_t)·eps_hat) / sqrt(abar_t)
        x_prev = sqrt(abar_prev)·x0_hat + sqrt(1 - abar_prev)·eps_hat

    with abar_prev = 1 when ``t_prev = -1`` (Chapter 8)."""
    a = _check_alpha_bars(alpha_bars)
    x_t = _as_float_array(x_t, "x_t")
    eps_hat = _as_float_array(eps_hat, "eps_hat")
    if eps_hat.shape != x_t.shape:
        raise ValueError(f"eps_hat has shape {eps_hat.shape} but x_t has shape {x_t.shape}")
    t = _check_t(t, a.size, None)
    if isinstance(t_prev, (bool, np.bool_)) or not isinstance(t_prev, (int, np.integer)) or not -1 <= t_prev < t:
        raise ValueError(f"t_prev must be an int with -1 <= t_prev < t = {t}, got {t_prev!r}")
    ab_prev = a[t_prev] if t_prev >= 0 else 1.0
    x0_hat = (x_t - np.sqrt(1.0 - a[t]) * eps_hat) / np.sqrt(a[t])
    return np.sqrt(ab_prev) * x0_hat + np.sqrt(1.0 - ab_prev) * eps_hat


# --------------------------------------------------------------------------- samplers
def _timesteps(T: int, n_steps: int | None) -> np.ndarray:
    """Evenly spaced 0-based indices from 0 to T-1 (all of them when n_steps is None)."""
    if n_steps is None:
        return np.arange(T)
    if isinstance(n_steps, (bool, np.bool_)) or not isinstance(n_steps, (int, np.integer)) or not 1 <= n_steps <= T:
        raise ValueError(f"n_steps must be an int between 1 and T = {T}, got {n_steps!r}")
    return np.unique(np.round(np.linspace(0, T - 1, int(n_steps))).astype(int))


def _check_sampler_args(n, dim, rng):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive number of samples, got {n!r}")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise ValueError(f"dim must be a positive integer, got {dim!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")


def sample_ancestral(
        eps_fn: Callable[[np.ndarray, int], np.ndarray],  # eps_fn(x_t, t) -> predicted noise
        n: int,                       # number of samples
        betas,                        # beta schedule, shape (T,)
        rng: np.random.Generator,     # source of x_T and of the per-step noise
        *,
        dim: int = 2,                 # dimension of one sample
        n_steps: int | None = None,   # None: all T steps; else a respaced chain of n_steps
        return_path: bool = False,    # also return every intermediate state
):
    """DDPM ancestral sampling from x_T ~ N(0, I) down to x0 with :func:`ancestral_step`.

    With ``n_steps`` < T the chain visits evenly spaced indices tau_0 < ... < tau_{K-1} and
    uses the respaced betas 1 - abar_{tau_k} / abar_{tau_{k-1}} (Nichol & Dhariwal, 2021);
    ``eps_fn`` is always called with the original index.  Returns samples of shape
    (n, dim) and, with ``return_path``, the states of shape (K + 1, n, dim), noise first
    (Chapter 8)."""
    b = _check_betas(betas)
    _check_sampler_args(n, dim, rng)
    taus = _timesteps(b.size, n_steps)
    ab = alpha_bar(b)[taus]
    b_respaced = 1.0 - ab / np.concatenate([[1.0], ab[:-1]])
    x = rng.standard_normal((n, dim))
    path = [x.copy()] if return_path else None
    for k in range(taus.size - 1, -1, -1):
        eps = np.asarray(eps_fn(x, int(taus[k])), dtype=float)
        z = rng.standard_normal(x.shape)
        x = ancestral_step(x, k, eps, z, b_respaced)
        if return_path:
            path.append(x.copy())
    return (x, np.stack(path)) if return_path else x


def sample_ddim(
        eps_fn: Callable[[np.ndarray, int], np.ndarray],  # eps_fn(x_t, t) -> predicted noise
        n: int,                    # number of samples
        alpha_bars,                # abar, shape (T,)
        rng: np.random.Generator,  # source of x_T only: the rest is deterministic
        *,
        dim: int = 2,              # dimension of one sample
        n_steps: int | None = None,  # number of network evaluations (default: T)
        return_path: bool = False,   # also return every intermediate state
):
    """Deterministic DDIM sampling (eta = 0) on evenly spaced indices with :func:`ddim_step`.

    Returns samples (n, dim) and, with ``return_path``, the states (K + 1, n, dim) (Chapter 8)."""
    a = _check_alpha_bars(alpha_bars)
    _check_sampler_args(n, dim, rng)
    taus = _timesteps(a.size, n_steps)
    x = rng.standard_normal((n, dim))
    path = [x.copy()] if return_path else None
    for k in range(taus.size - 1, -1, -1):
        t, t_prev = int(taus[k]), (int(taus[k - 1]) if k > 0 else -1)
        x = ddim_step(x, t, t_prev, np.asarray(eps_fn(x, t), dtype=float), a)
        if return_path:
            path.append(x.copy())
    return (x, np.stack(path)) if return_path else x


def sample_flow(
        v_fn: Callable[[np.ndarray, float], np.ndarray],  # v_fn(x_s, s) -> velocity dx/ds
        n: int,                    # number of samples
        n_steps: int,              # Euler steps from s = 1 (noise) to s = 0 (data)
        rng: np.random.Generator,  # source of the starting noise
        *,
        dim: int = 2,              # dimension of one sample
) -> np.ndarray:
    """Integrate the flow-matching ODE dx/ds = v(x, s) backwards from s = 1 to 0 with Euler
    steps; x_1 ~ N(0, I).  For the path x_s = (1 - s)·x0 + s·noise (Chapter 8)."""
    _check_sampler_args(n, dim, rng)
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}")
    x = rng.standard_normal((n, dim))
    ds = 1.0 / n_steps
    for k in range(n_steps):
        s = 1.0 - k * ds
        x = x - ds * np.asarray(v_fn(x, s), dtype=float)
    return x


def euler_flow(
        v_fn: Callable[[np.ndarray, float], np.ndarray],  # v_fn(x_s, s) -> velocity dx/ds
        x,                         # starting points at times[0], shape (n, dim)
        times,                     # decreasing times, e.g. from 1 (noise) to 0 (data)
) -> np.ndarray:
    """Euler steps x ← x - (s_k - s_{k+1})·v(x, s_k) along any decreasing grid of times;
    ``len(times) - 1`` network evaluations.  :func:`sample_flow` is this on the uniform grid
    from 1 to 0 (Chapter 8)."""
    x = _as_float_array(x, "x").copy()
    s = _as_float_array(times, "times")
    if s.ndim != 1 or s.size < 2:
        raise ValueError(f"times must be a 1-D array of at least two times, got shape {s.shape}")
    if np.any(np.diff(s) >= 0):
        raise ValueError("times must decrease strictly: the flow runs from noise to data")
    for s_now, s_next in zip(s[:-1], s[1:]):
        x = x - (s_now - s_next) * np.asarray(v_fn(x, float(s_now)), dtype=float)
    return x


def langevin(
        score_fn: Callable[[np.ndarray], np.ndarray],  # score_fn(x) = grad log p(x)
        x,                         # starting points, shape (n, ...)
        step_size: float,          # eta > 0
        n_steps: int,              # number of updates
        rng: np.random.Generator,  # source of the injected noise
) -> np.ndarray:
    """Unadjusted Langevin dynamics x ← x + eta·score(x) + sqrt(2·eta)·z (Chapter 8).

    Its stationary law approaches p as eta → 0."""
    x = _as_float_array(x, "x").copy()
    if not step_size > 0:
        raise ValueError(f"step_size must be positive, got {step_size}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative integer, got {n_steps!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    for _ in range(int(n_steps)):
        x = x + step_size * np.asarray(score_fn(x), dtype=float) + math.sqrt(2 * step_size) * rng.standard_normal(x.shape)
    return x


# --------------------------------------------------------------------------- data and quality
#: Centre and scale that bring the 2-D swiss roll (noise 0.5) to about zero mean and unit
#: variance per coordinate (measured on 10^6 points): standardized = (raw - centre) / scale.
ROLL_CENTER = np.array([2.0, 0.2])
ROLL_SCALE = np.array([6.65, 6.97])
_ROLL_CENTER, _ROLL_SCALE = ROLL_CENTER, ROLL_SCALE


def swiss_roll_2d(
        n: int,             # number of points
        seed: int,          # random_state for scikit-learn
        noise: float = 0.5,  # standard deviation of the noise added by scikit-learn
) -> np.ndarray:
    """The (x, z) coordinates of scikit-learn's swiss roll, shifted and scaled to about zero
    mean and unit variance per coordinate; shape (n, 2).  The toy data of Chapter 8."""
    from sklearn.datasets import make_swiss_roll

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    x, _ = make_swiss_roll(int(n), noise=noise, random_state=seed)
    return (x[:, [0, 2]] - _ROLL_CENTER) / _ROLL_SCALE



def mmd_rbf(
        x,                # samples, shape (n, d)
        y,                # samples, shape (m, d)
        bandwidth: float,  # kernel width h in k(a, b) = exp(-|a - b|² / (2 h²)), data units
) -> float:
    """Unbiased estimate of the squared maximum mean discrepancy with a Gaussian RBF kernel
    (Gretton et al., 2012).  Zero in expectation when x and y come from the same law, so the
    estimate can be slightly negative (Chapter 8)."""
    x = _as_float_array(x, "x")
    y = _as_float_array(y, "y")
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have shapes (n, d) and (m, d), got {x.shape} and {y.shape}")
    if x.shape[0] < 2 or y.shape[0] < 2:
        raise ValueError("need at least 2 samples on each side")
    if not bandwidth > 0:
        raise ValueError(f"bandwidth must be positive, got {bandwidth}")

    def gram(a, b):
        d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
        return np.exp(-np.maximum(d2, 0.0) / (2 * bandwidth**2))

    n, m = x.shape[0], y.shape[0]
    kxx, kyy, kxy = gram(x, x), gram(y, y), gram(x, y)
    return float(
        (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * kxy.mean()
    )


#: The roll's angle runs over [1.5·pi, 4.5·pi] in scikit-learn's generator.
_ROLL_ANGLES = (1.5 * math.pi, 4.5 * math.pi)


def roll_centre_line(
        n: int = 20_001,  # number of points along the curve
) -> np.ndarray:
    """The noise-free spiral (a·cos a, a·sin a), a in [1.5·pi, 4.5·pi], in the standardized
    coordinates of :func:`swiss_roll_2d`; shape (n, 2), evenly spaced in the angle (Chapter 8)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    a = np.linspace(*_ROLL_ANGLES, int(n))
    return (np.stack([a * np.cos(a), a * np.sin(a)], axis=1) - _ROLL_CENTER) / _ROLL_SCALE


def distance_to_roll(
        points,              # points in the standardized coordinates of swiss_roll_2d, shape (n, 2)
        noise: float = 0.5,  # the generator's noise standard deviation (the unit of the answer)
) -> np.ndarray:
    """Distance of each point to the noise-free spiral, in units of the generator's noise
    standard deviation, measured in the generator's own (unstandardized) coordinates;
    shape (n,).  For data from :func:`swiss_roll_2d` it is about the absolute value of a
    standard normal, so values above 4 are rare (about 1 in 10^4) (Chapter 8)."""
    from scipy.spatial import cKDTree

    p = _as_float_array(points, "points")
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {p.shape}")
    if not noise > 0:
        raise ValueError(f"noise must be positive, got {noise}")
    a = np.linspace(*_ROLL_ANGLES, 200_001)   # spacing about 4e-4 in the generator's units
    curve = np.stack([a * np.cos(a), a * np.sin(a)], axis=1)
    dist, _ = cKDTree(curve).query(p * _ROLL_SCALE + _ROLL_CENTER)
    return dist / noise


def mmd_permutation_test(
        x,                          # samples, shape (n, d)
        y,                          # samples, shape (m, d)
        bandwidths,                 # one kernel width h, or several, in data units
        n_permutations: int,        # random relabellings that make up the null distribution
        rng: np.random.Generator,   # source of the permutations
) -> dict:
    """Permutation two-sample test with the unbiased MMD² of :func:`mmd_rbf` (Gretton et
    al., 2012), for each bandwidth on the same permutations.

    Returns a dict of arrays with one entry per bandwidth: ``"mmd2"`` (the observed value),
    ``"p_value"`` ((1 + #null values >= observed) / (1 + n_permutations)), ``"null_mean"``
    and ``"null_sd"`` (mean and standard deviation of MMD² over the relabellings), and
    ``"z"`` ((observed - null mean) / null sd) (Chapter 8)."""
    x = _as_float_array(x, "x")
    y = _as_float_array(y, "y")
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have shapes (n, d) and (m, d), got {x.shape} and {y.shape}")
    if x.shape[0] < 2 or y.shape[0] < 2:
        raise ValueError("need at least 2 samples on each side")
    hs = np.atleast_1d(_as_float_array(bandwidths, "bandwidths"))
    if hs.ndim != 1 or np.any(hs <= 0):
        raise ValueError("bandwidths must be positive numbers")
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1:
        raise ValueError(f"n_permutations must be a positive integer, got {n_permutations!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    n, m = x.shape[0], y.shape[0]
    z = np.concatenate([x, y])
    sq = (z * z).sum(1)
    labels = np.zeros((n + m, n_permutations + 1))
    labels[:n, 0] = 1.0                                  # column 0: the observed split
    for k in range(1, n_permutations + 1):
        labels[rng.permutation(n + m)[:n], k] = 1.0
    s_xx = np.zeros((hs.size, n_permutations + 1))      # kernel sums inside the first group
    row = np.zeros((hs.size, n + m))                     # kernel row sums
    block = 1000                                         # rows at a time: memory O(block · (n + m))
    for start in range(0, n + m, block):
        rows = slice(start, min(start + block, n + m))
        d2 = np.maximum(sq[rows, None] + sq[None, :] - 2 * z[rows] @ z.T, 0.0)
        diag = (np.arange(rows.start, rows.stop) - rows.start, np.arange(rows.start, rows.stop))
        for j, h in enumerate(hs):
            gram = np.exp(-d2 / (2 * h * h))
            gram[diag] = 0.0                             # drop the i = j terms: unbiased
            row[j, rows] = gram.sum(1)
            s_xx[j] += (labels[rows] * (gram @ labels)).sum(0)
    out = {key: np.empty(hs.size) for key in ("mmd2", "p_value", "null_mean", "null_sd", "z")}
    for j in range(hs.size):
        s_xr = labels.T @ row[j]                         # first group against everything
        s_xy = s_xr - s_xx[j]
        s_yy = row[j].sum() - 2 * s_xr + s_xx[j]
        stat = s_xx[j] / (n * (n - 1)) + s_yy / (m * (m - 1)) - 2 * s_xy / (n * m)
        null = stat[1:]
        out["mmd2"][j] = stat[0]
        out["p_value"][j] = (1 + np.sum(null >= stat[0])) / (1 + n_permutations)
        out["null_mean"][j], out["null_sd"][j] = null.mean(), null.std(ddof=1)
        out["z"][j] = (stat[0] - null.mean()) / out["null_sd"][j]
    return out


# --------------------------------------------------------------------------- PyTorch denoiser
class TimeMLP(nn.Module):
    """A small MLP f(x, s) for 2-D diffusion: the input is x with a sinusoidal embedding of
    the time s ∈ [0, 1]; the output has the shape of x (noise or velocity).  Chapter 8."""

    def __init__(self, dim: int = 2, hidden: int = 128, n_freq: int = 16):
        super().__init__()
        self.register_buffer("freqs", torch.exp(-math.log(1e4) * torch.arange(n_freq) / n_freq))
        self.net = nn.Sequential(
            nn.Linear(dim + 2 * n_freq, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, dim),
        )

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        angles = 1000.0 * s.reshape(-1, 1) * self.freqs  # (n, n_freq)
        return self.net(torch.cat([x, torch.sin(angles), torch.cos(angles)], dim=1))


def train_denoiser(
        x_data,                     # training data, shape (N, dim), float
        kind: str = "ddpm",         # "ddpm": predict the noise; "flow": predict the velocity
        *,
        alpha_bars=None,            # abar, shape (T,); required for "ddpm"
        steps: int = 5000,          # optimizer steps
        batch: int = 512,           # minibatch size
        lr: float = 8e-3,           # peak learning rate (one-cycle schedule)
        hidden: int = 128,          # width of TimeMLP
        seed: int = 0,              # seeds the initialization and every draw
        target: str | None = None,  # "flow": regress "v" (eps - x0, default), "eps" or "x0"
        ema: float | None = None,   # decay of an exponential moving average of the weights
):
    """Train a :class:`TimeMLP` on 2-D data; returns ``(model, losses)`` (losses per step).

    ``"ddpm"``: t uniform on 0..T-1, x_t = sqrt(abar_t)·x0 + sqrt(1-abar_t)·eps, loss
    |eps_hat(x_t, (t+1)/T) - eps|² (the simplified loss of Ho et al., 2020).
    ``"flow"``: s uniform on [0, 1], x_s = (1-s)·x0 + s·eps, loss |v_hat(x_s, s) - (eps - x0)|²
    (flow matching, Lipman et al., 2023; rectified flow, Liu et al., 2023); with
    ``target="eps"`` or ``"x0"`` the same path and time distribution, but the network
    regresses eps or x0 instead of the velocity.  With ``ema`` the returned model holds the
    moving average ``w_ema ← ema·w_ema + (1 - ema)·w`` of the weights over the steps.
    Chapter 8."""
    if kind not in ("ddpm", "flow"):
        raise ValueError(f"kind must be 'ddpm' or 'flow', got {kind!r}")
    if target is None:
        target = "eps" if kind == "ddpm" else "v"
    if target not in ("v", "eps", "x0"):
        raise ValueError(f"target must be 'v', 'eps' or 'x0', got {target!r}")
    if kind == "ddpm" and target != "eps":
        raise ValueError("kind='ddpm' regresses the noise (target 'eps'); other targets need kind='flow'")
    if ema is not None and not 0 < ema < 1:
        raise ValueError(f"ema must be a decay strictly between 0 and 1, got {ema!r}")
    x = _as_float_array(x_data, "x_data")
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"x_data must have shape (N, dim) with N >= 2, got {x.shape}")
    if kind == "ddpm":
        if alpha_bars is None:
            raise ValueError("kind='ddpm' needs alpha_bars")
        ab = torch.tensor(_check_alpha_bars(alpha_bars), dtype=torch.float32)
        if torch.any(ab >= 1):
            raise ValueError("alpha_bars must be < 1 for training")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    data = torch.tensor(x, dtype=torch.float32)
    model = TimeMLP(dim=x.shape[1], hidden=hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    averaged = None
    if ema is not None:
        averaged = TimeMLP(dim=x.shape[1], hidden=hidden)
        averaged.load_state_dict(model.state_dict())
    losses = np.empty(steps)
    for i in range(steps):
        x0 = data[torch.randint(0, data.shape[0], (batch,), generator=gen)]
        eps = torch.randn(x0.shape, generator=gen)
        if kind == "ddpm":
            t = torch.randint(0, ab.numel(), (batch,), generator=gen)
            a = ab[t].unsqueeze(1)
            inp, s = a.sqrt() * x0 + (1 - a).sqrt() * eps, (t + 1).float() / ab.numel()
            y = eps
        else:
            s = torch.rand(batch, generator=gen)
            inp = (1 - s.unsqueeze(1)) * x0 + s.unsqueeze(1) * eps
            y = {"v": eps - x0, "eps": eps, "x0": x0}[target]
        loss = ((model(inp, s) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if averaged is not None:
            with torch.no_grad():
                avg_params, params = list(averaged.parameters()), list(model.parameters())
                torch._foreach_mul_(avg_params, ema)
                torch._foreach_add_(avg_params, params, alpha=1 - ema)
        losses[i] = loss.item()
    if averaged is not None:
        model = averaged
    model.eval()
    return model, losses


def eps_fn_from_model(model: nn.Module, T: int) -> Callable[[np.ndarray, int], np.ndarray]:
    """Wrap a noise-predicting :class:`TimeMLP` as a NumPy function eps_fn(x_t, t) with a
    0-based index t, as the samplers expect (Chapter 8)."""

    def eps_fn(x, t):
        with torch.no_grad():
            xt = torch.as_tensor(np.asarray(x), dtype=torch.float32)
            s = torch.full((xt.shape[0],), (int(t) + 1) / T)
            return model(xt, s).double().numpy()

    return eps_fn


def v_fn_from_model(
        model: nn.Module,   # a TimeMLP trained with train_denoiser(kind="flow", target=...)
        target: str = "v",  # what the network predicts: "v", "eps" or "x0"
) -> Callable[[np.ndarray, float], np.ndarray]:
    """Wrap a :class:`TimeMLP` trained on the flow path x_s = (1 - s)·x0 + s·eps as a NumPy
    velocity field v_fn(x_s, s).  A noise or clean-data prediction is converted:
    v = (eps_hat - x)/(1 - s) for ``"eps"`` (undefined at s = 1), v = (x - x0_hat)/s for
    ``"x0"`` (undefined at s = 0) (Chapter 8)."""
    if target not in ("v", "eps", "x0"):
        raise ValueError(f"target must be 'v', 'eps' or 'x0', got {target!r}")

    def v_fn(x, s):
        s = float(s)
        if (target == "eps" and s >= 1) or (target == "x0" and s <= 0):
            raise ValueError(f"a {target}-prediction gives no velocity at s = {s:g}")
        with torch.no_grad():
            xt = torch.as_tensor(np.asarray(x), dtype=torch.float32)
            out = model(xt, torch.full((xt.shape[0],), s)).double().numpy()
        x = np.asarray(x, dtype=float)
        if target == "eps":
            return (out - x) / (1 - s)
        if target == "x0":
            return (x - out) / s
        return out

    return v_fn


__all__ = [
    "KNOWN_SCHEDULES", "beta_schedule", "cosine_alpha_bar", "alpha_bar", "snr",
    "gaussian_channel_capacity", "q_sample", "posterior_mean_variance", "dsm_target",
    "ancestral_step", "ddim_step", "sample_ancestral", "sample_ddim", "sample_flow",
    "euler_flow",
    "langevin", "swiss_roll_2d", "ROLL_CENTER", "ROLL_SCALE", "roll_centre_line", "distance_to_roll", "mmd_rbf",
    "mmd_permutation_test", "TimeMLP", "train_denoiser", "eps_fn_from_model", "v_fn_from_model",
]
