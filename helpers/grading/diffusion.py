"""Auto-graded questions for Chapter 8 (diffusion models).

The references below are written out from the formulas, independently of
``helpers.diffusion``.  Time indices are 0-based: ``alpha_bars[t]`` belongs to the t-th
noising step and the "alpha bar" before the first step is 1.

What is accepted where a choice exists: the ancestral step must use the posterior variance
sigma_t² = beta tilde_t (the exercise says so); sigma_t² = beta_t, the other choice of Ho et
al. (2020), is recognised and answered with a hint that explains the difference.
"""

from __future__ import annotations

import numpy as np

from . import Question, grade_answer

# --------------------------------------------------------------------------- shared pieces


def _random_betas(rng: np.random.Generator) -> np.ndarray:
    """A short random schedule: linear, quadratic or cosine-like, T between 4 and 40."""
    T = int(rng.integers(4, 41))
    kind = int(rng.integers(0, 3))
    lo, hi = sorted(rng.uniform(1e-3, 0.4, size=2))
    if kind == 0:
        return np.linspace(lo, hi, T)
    if kind == 1:
        return np.linspace(np.sqrt(lo), np.sqrt(hi), T) ** 2
    u = np.arange(T + 1) / T
    f = np.cos((u + 0.008) / 1.008 * np.pi / 2) ** 2
    return np.minimum(1 - f[1:] / f[:-1], 0.999)


def _abar(betas):
    return np.cumprod(1.0 - np.asarray(betas, dtype=float))


def _col(values, t, ndim):
    """values[t] for an int t, or a column (n, 1, ...) for one index per row."""
    v = np.asarray(values, dtype=float)[t]
    return v if np.ndim(t) == 0 else v.reshape((-1,) + (1,) * (ndim - 1))


def _prev(values, t, first):
    """values[t-1] with the value `first` at t = 0 (no wrap-around)."""
    t = np.asarray(t)
    padded = np.concatenate([[first], np.asarray(values, dtype=float)])
    return padded[t]


def _noising_cases(rng):
    """(x0, t, noise, alpha_bars) with int t and one-t-per-row, including both ends."""
    cases = []
    for k in range(8):
        betas = _random_betas(rng)
        T = betas.size
        n, d = int(rng.integers(3, 7)), int(rng.integers(1, 4))
        x0 = rng.normal(size=(n, d)) * 2
        noise = rng.normal(size=(n, d))
        if k == 0:
            t = 0
        elif k == 1:
            t = T - 1
        elif k < 5:
            t = int(rng.integers(0, T))
        else:
            t = rng.integers(0, T, size=n)
            t[0] = 0
        cases.append((x0, t, noise, _abar(betas)))
    return cases


# --------------------------------------------------------------------------- q_sample
def q_sample_ref(x0, t, noise, alpha_bars):
    x0 = np.asarray(x0, dtype=float)
    ab = _col(alpha_bars, t, x0.ndim)
    return np.sqrt(ab) * x0 + np.sqrt(1 - ab) * np.asarray(noise, dtype=float)


def _qs_no_sqrt(x0, t, noise, alpha_bars):
    ab = _col(alpha_bars, t, np.ndim(x0))
    return ab * x0 + (1 - ab) * noise


def _qs_noise_variance(x0, t, noise, alpha_bars):
    ab = _col(alpha_bars, t, np.ndim(x0))
    return np.sqrt(ab) * x0 + (1 - ab) * noise


def _qs_signal_variance(x0, t, noise, alpha_bars):
    ab = _col(alpha_bars, t, np.ndim(x0))
    return ab * x0 + np.sqrt(1 - ab) * noise


def _qs_previous_index(x0, t, noise, alpha_bars):
    ab = _col(alpha_bars, np.asarray(t) - 1, np.ndim(x0))  # wraps to the last entry at t = 0
    return np.sqrt(ab) * x0 + np.sqrt(1 - ab) * noise


def _qs_one_step_alpha(x0, t, noise, alpha_bars):
    alphas = np.asarray(alpha_bars) / np.concatenate([[1.0], np.asarray(alpha_bars)[:-1]])
    a = _col(alphas, t, np.ndim(x0))
    return np.sqrt(a) * x0 + np.sqrt(1 - a) * noise


def _qs_unscaled_signal(x0, t, noise, alpha_bars):
    ab = _col(alpha_bars, t, np.ndim(x0))
    return x0 + np.sqrt(1 - ab) * noise


# --------------------------------------------------------------------------- cosine schedule
def _f_cos(u, s):
    return np.cos((u + s) / (1 + s) * np.pi / 2) ** 2


def cosine_betas_ref(T, s=0.008):
    u = np.arange(T + 1) / T
    f = _f_cos(u, s)
    return np.minimum(1 - f[1:] / f[:-1], 0.999)


def _cos_no_clip(T, s=0.008):
    f = _f_cos(np.arange(T + 1) / T, s)
    return 1 - f[1:] / f[:-1]


def _cos_not_squared(T, s=0.008):
    f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * np.pi / 2)
    return np.minimum(1 - f[1:] / f[:-1], 0.999)


def _cos_returned_abar(T, s=0.008):
    f = _f_cos(np.arange(T + 1) / T, s)
    return (f / f[0])[1:]


def _cos_one_minus_abar(T, s=0.008):
    f = _f_cos(np.arange(T + 1) / T, s)
    return np.minimum(1 - (f / f[0])[1:], 0.999)


def _cos_no_offset(T, s=0.008):
    return cosine_betas_ref(T, 0.0)


def _cos_shifted(T, s=0.008):
    f = _f_cos(np.arange(1, T + 2) / T, s)
    return np.minimum(1 - f[1:] / f[:-1], 0.999)


def _cosine_cases(rng):
    return [(1, 0.008), (2, 0.008), (10, 0.008), (50, 0.008), (1000, 0.008),
            (int(rng.integers(3, 200)), 0.008), (int(rng.integers(3, 200)), 0.02), (20, 0.0)]


# --------------------------------------------------------------------------- posterior
def _posterior_pieces(betas, t):
    b = np.asarray(betas, dtype=float)
    ab = _abar(b)
    ab_prev = _prev(ab, t, 1.0)
    return b[t], ab[t], ab_prev


def posterior_ref(x0, x_t, t, betas):
    bt, abt, abp = _posterior_pieces(betas, t)
    mean = np.sqrt(abp) * bt / (1 - abt) * x0 + np.sqrt(1 - bt) * (1 - abp) / (1 - abt) * x_t
    var = bt * (1 - abp) / (1 - abt)
    return mean, np.full(np.shape(x0), var)


def _post_var_beta(x0, x_t, t, betas):
    mean, _ = posterior_ref(x0, x_t, t, betas)
    return mean, np.full(np.shape(x0), np.asarray(betas, dtype=float)[t])


def _post_std(x0, x_t, t, betas):
    mean, var = posterior_ref(x0, x_t, t, betas)
    return mean, np.sqrt(var)


def _post_wrapped_index(x0, x_t, t, betas):
    b = np.asarray(betas, dtype=float)
    ab = _abar(b)
    bt, abt, abp = b[t], ab[t], ab[t - 1]  # at t = 0 Python takes the last entry
    mean = np.sqrt(abp) * bt / (1 - abt) * x0 + np.sqrt(1 - bt) * (1 - abp) / (1 - abt) * x_t
    return mean, np.full(np.shape(x0), bt * (1 - abp) / (1 - abt))


def _post_no_sqrt(x0, x_t, t, betas):
    bt, abt, abp = _posterior_pieces(betas, t)
    mean = abp * bt / (1 - abt) * x0 + (1 - bt) * (1 - abp) / (1 - abt) * x_t
    return mean, np.full(np.shape(x0), bt * (1 - abp) / (1 - abt))


def _post_abar_for_alpha(x0, x_t, t, betas):
    bt, abt, abp = _posterior_pieces(betas, t)
    mean = np.sqrt(abp) * bt / (1 - abt) * x0 + np.sqrt(abt) * (1 - abp) / (1 - abt) * x_t
    return mean, np.full(np.shape(x0), bt * (1 - abp) / (1 - abt))


def _step_draws(rng, count=7):
    """(betas, t, shape) for the single-step questions: t = 0, T - 1 and 1 first, then random."""
    for k in range(count):
        betas = _random_betas(rng)
        T = betas.size
        shape = (int(rng.integers(2, 6)), int(rng.integers(1, 4)))
        yield betas, ([0, T - 1, 1][k] if k < 3 else int(rng.integers(0, T))), shape


def _posterior_cases(rng):
    return [(rng.normal(size=shape), rng.normal(size=shape), t, betas)
            for betas, t, shape in _step_draws(rng)]


def _normalise_tuple(out, shape, names, broadcast=()):
    """Turn an answer that returns len(names) arrays into one array (k, *shape); raise a
    ValueError with a reader-facing message if it is not one.  Entries named in ``broadcast``
    may be a number or any array that broadcasts to ``shape``."""
    k = len(names)
    if not isinstance(out, (tuple, list)) or len(out) != k:
        listed = ", ".join(names)
        kind = "pair" if k == 2 else f"tuple of {k}"
        raise ValueError(f"return a {kind} ({listed}), e.g. `return {listed}`")
    parts = []
    for name, value in zip(names, out):
        arr = np.asarray(value, dtype=float) if not isinstance(value, (str, bytes)) else None
        if arr is None or arr.dtype == object:
            raise ValueError(f"{name} should be an array of numbers")
        if name in broadcast:
            try:
                arr = np.broadcast_to(arr, shape)
            except ValueError:
                raise ValueError(
                    f"the {name} (shape {arr.shape}) should be a number or an array that broadcasts to {tuple(shape)}"
                ) from None
        elif arr.shape != tuple(shape):
            raise ValueError(f"the {name} should have the shape of the input, {tuple(shape)}, got {arr.shape}")
        parts.append(arr)
    return np.stack(parts)


def _normalise_pair(out, shape):
    """A (mean, variance) answer as one array (2, *shape); the variance may broadcast."""
    return _normalise_tuple(out, shape, ("mean", "variance"), broadcast=("variance",))


def _grade_tuple(reference, cases_fn, mistakes, names, broadcast=()):
    """A grade() for functions that return several arrays of the first argument's shape
    (entries in ``broadcast`` may also be scalars); then the usual comparison and hints."""

    def normalise(out, shape):
        return _normalise_tuple(out, shape, names, broadcast)

    def grade(answer):
        if not callable(answer):
            return False, "expected a function; pass the function itself, without calling it"
        cases = cases_fn(np.random.default_rng(20261123))
        for args in cases:
            copies = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)
            out = answer(*copies)
            try:
                normalise(out, np.shape(args[0]))
            except (ValueError, TypeError) as exc:
                return False, str(exc)

        def wrap(fn):
            return lambda *args: normalise(fn(*args), np.shape(args[0]))

        inner = Question(
            id="diffusion.tuple", chapter=8, prompt="", reference=wrap(reference),
            cases=cases_fn, mistakes=[(wrap(w), h) for w, h in mistakes], units=False,
        )
        status, message = grade_answer(inner, wrap(answer))
        message = message.replace(f"expected shape ({len(names)}, ",
                                  f"expected ({', '.join(names)}) with shape (")
        return status == "passed", message

    return grade


def _grade_pair(reference, cases_fn, mistakes):
    """A grade() for functions that return (mean, variance): the variance may be a scalar or
    any array that broadcasts to the mean's shape; then the usual comparison and hints."""
    return _grade_tuple(reference, cases_fn, mistakes, ("mean", "variance"), broadcast=("variance",))


_POSTERIOR_MISTAKES = [
    (_post_var_beta,
     "the mean is right but the variance is beta_t: the posterior variance is beta tilde_t = "
     "beta_t·(1 - abar_{t-1})/(1 - abar_t), smaller than beta_t"),
    (_post_std,
     "you returned the standard deviation sqrt(beta tilde_t); return the variance itself"),
    (_post_wrapped_index,
     "at t = 0 you used alpha_bars[t-1], which Python reads as alpha_bars[-1] (the LAST entry); "
     "before the first step abar = 1, so at t = 0 the mean is x0 and the variance 0"),
    (_post_no_sqrt,
     "the mean's coefficients need square roots: sqrt(abar_{t-1})·beta_t/(1 - abar_t) for x0 and "
     "sqrt(alpha_t)·(1 - abar_{t-1})/(1 - abar_t) for x_t"),
    (_post_abar_for_alpha,
     "the x_t coefficient uses the one-step alpha_t = 1 - beta_t, not the product abar_t: "
     "sqrt(alpha_t)·(1 - abar_{t-1})/(1 - abar_t)"),
]


# --------------------------------------------------------------------------- DSM target
def dsm_target_ref(x_t, x0, t, alpha_bars):
    x_t = np.asarray(x_t, dtype=float)
    ab = _col(alpha_bars, t, x_t.ndim)
    return -(x_t - np.sqrt(ab) * x0) / (1 - ab)


def _dsm_minus_eps(x_t, x0, t, alpha_bars):
    ab = _col(alpha_bars, t, np.ndim(x_t))
    return -(x_t - np.sqrt(ab) * x0) / np.sqrt(1 - ab)


def _dsm_no_sqrt_mean(x_t, x0, t, alpha_bars):
    ab = _col(alpha_bars, t, np.ndim(x_t))
    return -(x_t - ab * x0) / (1 - ab)


def _dsm_unscaled_mean(x_t, x0, t, alpha_bars):
    ab = _col(alpha_bars, t, np.ndim(x_t))
    return -(x_t - x0) / (1 - ab)


def _dsm_previous_index(x_t, x0, t, alpha_bars):
    ab = _col(alpha_bars, np.asarray(t) - 1, np.ndim(x_t))
    return -(x_t - np.sqrt(ab) * x0) / (1 - ab)


def _dsm_cases(rng):
    return [(q_sample_ref(x0, t, noise, ab), x0, t, ab) for x0, t, noise, ab in _noising_cases(rng)]


# --------------------------------------------------------------------------- ancestral step
def _step_pieces(t, betas):
    b = np.asarray(betas, dtype=float)
    ab = _abar(b)
    return b[t], ab[t], _prev(ab, t, 1.0)


def ancestral_step_ref(x_t, t, eps_hat, z, betas):
    bt, abt, abp = _step_pieces(t, betas)
    mean = (x_t - bt / np.sqrt(1 - abt) * eps_hat) / np.sqrt(1 - bt)
    return mean + np.sqrt(bt * (1 - abp) / (1 - abt)) * z


def _as_sigma_beta(x_t, t, eps_hat, z, betas):
    bt, abt, _ = _step_pieces(t, betas)
    return (x_t - bt / np.sqrt(1 - abt) * eps_hat) / np.sqrt(1 - bt) + np.sqrt(bt) * z


def _as_sigma_is_variance(x_t, t, eps_hat, z, betas):
    bt, abt, abp = _step_pieces(t, betas)
    return (x_t - bt / np.sqrt(1 - abt) * eps_hat) / np.sqrt(1 - bt) + bt * (1 - abp) / (1 - abt) * z


def _as_abar_scale(x_t, t, eps_hat, z, betas):
    bt, abt, abp = _step_pieces(t, betas)
    return (x_t - bt / np.sqrt(1 - abt) * eps_hat) / np.sqrt(abt) + np.sqrt(bt * (1 - abp) / (1 - abt)) * z


def _as_no_sqrt_eps(x_t, t, eps_hat, z, betas):
    bt, abt, abp = _step_pieces(t, betas)
    return (x_t - bt / (1 - abt) * eps_hat) / np.sqrt(1 - bt) + np.sqrt(bt * (1 - abp) / (1 - abt)) * z


def _as_alpha_in_eps(x_t, t, eps_hat, z, betas):
    bt, abt, abp = _step_pieces(t, betas)
    return (x_t - np.sqrt(bt) * eps_hat) / np.sqrt(1 - bt) + np.sqrt(bt * (1 - abp) / (1 - abt)) * z


def _as_plus_eps(x_t, t, eps_hat, z, betas):
    bt, abt, abp = _step_pieces(t, betas)
    return (x_t + bt / np.sqrt(1 - abt) * eps_hat) / np.sqrt(1 - bt) + np.sqrt(bt * (1 - abp) / (1 - abt)) * z


def _as_wrapped_index(x_t, t, eps_hat, z, betas):
    b = np.asarray(betas, dtype=float)
    ab = _abar(b)
    bt, abt, abp = b[t], ab[t], ab[t - 1]
    return (x_t - bt / np.sqrt(1 - abt) * eps_hat) / np.sqrt(1 - bt) + np.sqrt(bt * (1 - abp) / (1 - abt)) * z


def _ancestral_cases(rng):
    return [(rng.normal(size=shape), t, rng.normal(size=shape), rng.normal(size=shape), betas)
            for betas, t, shape in _step_draws(rng)]


# --------------------------------------------------------------------------- conversions
def convert_eps_ref(x_t, eps_hat, alpha_bar_t):
    """(x0_hat, score, v) from a noise prediction; alpha = sqrt(abar), sigma = sqrt(1 - abar)."""
    a, sig = np.sqrt(alpha_bar_t), np.sqrt(1 - alpha_bar_t)
    x_t, eps_hat = np.asarray(x_t, dtype=float), np.asarray(eps_hat, dtype=float)
    return (x_t - sig * eps_hat) / a, -eps_hat / sig, (eps_hat - sig * x_t) / a


def _cv_replace(k, value_fn):
    """The reference with its k-th output replaced by value_fn(x_t, eps_hat, abar)."""

    def wrong(x_t, eps_hat, alpha_bar_t):
        out = list(convert_eps_ref(x_t, eps_hat, alpha_bar_t))
        out[k] = value_fn(np.asarray(x_t, dtype=float), np.asarray(eps_hat, dtype=float), alpha_bar_t)
        return tuple(out)

    return wrong


def _sig(ab):
    return np.sqrt(1 - ab)


_CONVERT_MISTAKES = [
    (_cv_replace(0, lambda x, e, ab: x - _sig(ab) * e),
     "x0_hat: after subtracting the noise sigma·eps_hat, divide by alpha = sqrt(abar): "
     "x_t = alpha·x0 + sigma·eps"),
    (_cv_replace(0, lambda x, e, ab: (x - (1 - ab) * e) / ab),
     "x0_hat: alpha and sigma are the square roots sqrt(abar) and sqrt(1 - abar), not abar and 1 - abar"),
    (_cv_replace(1, lambda x, e, ab: -e),
     "score: the score of N(alpha·x0, sigma²) at x_t is -(x_t - alpha·x0)/sigma² = -eps/sigma; "
     "you left out the 1/sigma"),
    (_cv_replace(1, lambda x, e, ab: -e / (1 - ab)),
     "score: divide eps by sigma = sqrt(1 - abar), not by the variance 1 - abar"),
    (_cv_replace(1, lambda x, e, ab: e / _sig(ab)),
     "score: wrong sign; the score points towards the data, -eps/sigma"),
    (_cv_replace(2, lambda x, e, ab: np.sqrt(ab) * e - _sig(ab) * x),
     "v: v = alpha·eps - sigma·x0 needs x0, not x_t; substitute x0 = (x_t - sigma·eps)/alpha "
     "and use alpha² + sigma² = 1"),
    (_cv_replace(2, lambda x, e, ab: e - (x - _sig(ab) * e) / np.sqrt(ab)),
     "v: that is eps - x0, the velocity of the straight flow-matching path; the v of Salimans & Ho "
     "(2022) is alpha·eps - sigma·x0"),
    (_cv_replace(2, lambda x, e, ab: -(e - _sig(ab) * x) / np.sqrt(ab)),
     "v: wrong sign; v = alpha·eps - sigma·x0 = (eps - sigma·x_t)/alpha"),
]


def _convert_cases(rng):
    cases = []
    for ab in (0.999, 0.5, 1e-3, float(rng.uniform(0.05, 0.95)), float(rng.uniform(0.05, 0.95))):
        shape = (int(rng.integers(2, 6)), int(rng.integers(1, 4)))
        x0, eps = rng.normal(size=shape), rng.normal(size=shape)
        x_t = np.sqrt(ab) * x0 + np.sqrt(1 - ab) * eps
        eps_hat = eps + 0.3 * rng.normal(size=shape)      # an imperfect prediction
        cases.append((x_t, eps_hat, ab))
    return cases


# --------------------------------------------------------------------------- the VP kernel
def vp_kernel_ref(x0, t, beta):
    x0 = np.asarray(x0, dtype=float)
    return np.exp(-beta * t / 2) * x0, np.full(x0.shape, -np.expm1(-beta * t))


def _vk(mean_fn, var_fn):
    def wrong(x0, t, beta):
        x0 = np.asarray(x0, dtype=float)
        return mean_fn(x0, t, beta), np.full(x0.shape, var_fn(t, beta))

    return wrong


_VP_MISTAKES = [
    (_vk(lambda x0, t, b: np.exp(-b * t / 2) * x0, lambda t, b: b * t),
     "the variance beta·t is Brownian motion without the drift; the drift -beta·x/2 also shrinks "
     "the accumulated noise: Var = integral of e^{-beta(t-s)}·beta ds"),
    (_vk(lambda x0, t, b: np.exp(-b * t) * x0, lambda t, b: 1 - np.exp(-b * t)),
     "the mean decays at rate beta/2 (the drift is -beta·x/2), so it is e^{-beta·t/2}·x0"),
    (_vk(lambda x0, t, b: np.exp(-b * t / 2) * x0, lambda t, b: 1 - np.exp(-b * t / 2)),
     "the variance is 1 - e^{-beta·t}: the squared mean factor (e^{-beta·t/2})² plus the variance is 1"),
    (_vk(lambda x0, t, b: np.exp(-b * t / 2) * x0, lambda t, b: np.sqrt(1 - np.exp(-b * t))),
     "you returned the standard deviation; return the variance 1 - e^{-beta·t}"),
    (_vk(lambda x0, t, b: np.exp(-b * t ** 2 / 4) * x0, lambda t, b: 1 - np.exp(-b * t ** 2 / 2)),
     "beta is constant, so B(t) = integral of beta ds = beta·t (t²/2 is the integral for a linear beta(s) = beta·s)"),
    (_vk(lambda x0, t, b: np.exp(-b * t / 2) * x0, lambda t, b: np.exp(-b * t)),
     "the variance is 1 - e^{-beta·t}: it starts at 0 (x_t = x0 at t = 0) and tends to 1"),
]


def _vp_cases(rng):
    cases = []
    for t, beta in ((0.5, 2.0), (1.0, 20.0), (1e-3, 0.1), (float(rng.uniform(0.05, 1)), float(rng.uniform(0.1, 20))),
                    (float(rng.uniform(0.05, 1)), float(rng.uniform(0.1, 20)))):
        shape = (int(rng.integers(2, 6)), int(rng.integers(1, 4)))
        cases.append((rng.normal(size=shape) * 2, t, beta))
    return cases


# --------------------------------------------------------------------------- masked weight
def masked_weight_ref(t):
    t = np.asarray(t, dtype=float)
    return (np.pi / 2) * np.sin(np.pi * t / 2) / (1 - np.cos(np.pi * t / 2))


def _mw_linear(t):
    return 1 / np.asarray(t, dtype=float)


def _mw_no_derivative(t):
    return 1 / (1 - np.cos(np.pi * np.asarray(t, dtype=float) / 2))


def _mw_derivative_only(t):
    return (np.pi / 2) * np.sin(np.pi * np.asarray(t, dtype=float) / 2)


def _mw_unmasked(t):
    t = np.asarray(t, dtype=float)
    return (np.pi / 2) * np.sin(np.pi * t / 2) / np.cos(np.pi * t / 2)


def _mw_no_chain_rule(t):
    t = np.asarray(t, dtype=float)
    return np.sin(np.pi * t / 2) / (1 - np.cos(np.pi * t / 2))


def _masked_cases(rng):
    return [(np.array([1.0]),), (np.array([0.5, 0.25]),), (np.array([1e-3, 0.999]),),
            (rng.uniform(0.01, 1, size=7),), (rng.uniform(0.01, 1, size=(2, 3)),)]


# --------------------------------------------------------------------------- the bank
QUESTIONS = [
    Question(
        id="diffusion.q_sample",
        chapter=8,
        prompt="Write q_sample(x0, t, noise, alpha_bars): x_t = sqrt(abar_t)·x0 + sqrt(1-abar_t)·noise, t an int or one per row",
        reference=q_sample_ref,
        cases=_noising_cases,
        mistakes=[
            (_qs_no_sqrt, "you forgot both square roots: abar_t and 1 - abar_t are variances; "
                          "multiply x0 by sqrt(abar_t) and the noise by sqrt(1 - abar_t)"),
            (_qs_noise_variance, "the noise is scaled by the variance 1 - abar_t; scale it by the "
                                 "standard deviation sqrt(1 - abar_t)"),
            (_qs_signal_variance, "x0 is scaled by abar_t; scale it by sqrt(abar_t)"),
            (_qs_previous_index, "off by one: with 0-based indices x_t uses alpha_bars[t] (the product "
                                 "over steps 0..t), not alpha_bars[t-1]"),
            (_qs_one_step_alpha, "you used the one-step alpha_t = 1 - beta_t; the closed form uses the "
                                 "cumulative product abar_t = alpha_bars[t]"),
            (_qs_unscaled_signal, "x0 must shrink by sqrt(abar_t): without it the variance grows instead "
                                  "of staying near 1 (that is the variance-exploding form x0 + sigma·noise)"),
        ],
        errors=[("broadcast", "t may hold one index per row of x0: take abar = alpha_bars[t] and "
                              "reshape it to a column (abar.reshape(-1, 1)) so it multiplies whole rows")],
        units=False,
    ),
    Question(
        id="diffusion.cosine_schedule",
        chapter=8,
        prompt="Write cosine_betas(T, s=0.008): the betas of the cosine schedule (Nichol & Dhariwal 2021), clipped at 0.999",
        reference=cosine_betas_ref,
        cases=_cosine_cases,
        mistakes=[
            (_cos_no_clip, "clip beta at 0.999: near t = T the ratio abar_t/abar_{t-1} goes to 0 "
                           "and beta to 1, which makes the last steps singular"),
            (_cos_not_squared, "f(u) is the SQUARE of cos((u + s)/(1 + s)·pi/2)"),
            (_cos_returned_abar, "you returned abar_t; the question asks for beta_t = 1 - abar_t/abar_{t-1}"),
            (_cos_one_minus_abar, "beta_t = 1 - abar_t/abar_{t-1} (one step), not 1 - abar_t "
                                  "(the total noise variance after t steps)"),
            (_cos_no_offset, "you left out the offset s inside the cosine: f(u) = cos²((u + s)/(1 + s)·pi/2)"),
            (_cos_shifted, "off by one: beta for index t is 1 - f((t+1)/T)/f(t/T) with t = 0..T-1, "
                           "so the first beta compares u = 1/T with u = 0"),
        ],
        units=False,
    ),
    Question(
        id="diffusion.posterior",
        chapter=8,
        prompt="Write posterior_mean_variance(x0, x_t, t, betas): mean and variance of q(x_{t-1} | x_t, x0), 0-based t",
        reference=posterior_ref,
        cases=_posterior_cases,
        grade=_grade_pair(posterior_ref, _posterior_cases, _POSTERIOR_MISTAKES),
        mistakes=_POSTERIOR_MISTAKES,
        units=False,
    ),
    Question(
        id="diffusion.dsm_target",
        chapter=8,
        prompt="Write dsm_target(x_t, x0, t, alpha_bars): the score of q(x_t | x0), -(x_t - sqrt(abar_t)·x0)/(1 - abar_t)",
        reference=dsm_target_ref,
        cases=_dsm_cases,
        mistakes=[
            (_dsm_minus_eps, "that is -eps, the negative noise; the score divides by the standard "
                             "deviation once more: -eps/sqrt(1 - abar_t) = -(x_t - sqrt(abar_t)·x0)/(1 - abar_t)"),
            (_dsm_no_sqrt_mean, "the mean of q(x_t | x0) is sqrt(abar_t)·x0, not abar_t·x0"),
            (_dsm_unscaled_mean, "the mean of q(x_t | x0) is sqrt(abar_t)·x0: you subtracted x0 unscaled"),
            (_dsm_previous_index, "off by one: with 0-based indices use alpha_bars[t], not alpha_bars[t-1]"),
        ],
        units=False,
    ),
    Question(
        id="diffusion.ancestral_step",
        chapter=8,
        prompt="Write ancestral_step(x_t, t, eps_hat, z, betas): one DDPM sampling step with sigma_t² = beta tilde_t",
        reference=ancestral_step_ref,
        cases=_ancestral_cases,
        mistakes=[
            (_as_sigma_beta, "you used sigma_t² = beta_t. Ho et al. (2020) report it works about as well, "
                             "but this exercise asks for the posterior variance beta tilde_t = "
                             "beta_t·(1 - abar_{t-1})/(1 - abar_t), which is 0 at t = 0 (no noise on the final sample)"),
            (_as_sigma_is_variance, "beta tilde_t is a variance: multiply z by its square root"),
            (_as_abar_scale, "divide by sqrt(alpha_t) = sqrt(1 - beta_t), the one-step factor, not by sqrt(abar_t)"),
            (_as_no_sqrt_eps, "the noise coefficient is beta_t/sqrt(1 - abar_t): you forgot the square root"),
            (_as_alpha_in_eps, "the noise coefficient is beta_t/sqrt(1 - abar_t), with the product abar_t; "
                               "with the one-step alpha_t it collapses to sqrt(beta_t)"),
            (_as_plus_eps, "subtract the predicted noise: x_t - beta_t/sqrt(1 - abar_t)·eps_hat"),
            (_as_wrapped_index, "at t = 0 you used alpha_bars[t-1] = alpha_bars[-1] (Python wraps to the last "
                                "entry); before the first step abar = 1, so sigma_0 = 0"),
        ],
        units=False,
    ),
    Question(
        id="diffusion.convert_eps",
        chapter=8,
        prompt="Write convert_eps(x_t, eps_hat, alpha_bar_t): the (x0_hat, score, v) that a noise prediction implies",
        reference=convert_eps_ref,
        cases=_convert_cases,
        grade=_grade_tuple(convert_eps_ref, _convert_cases, _CONVERT_MISTAKES, ("x0_hat", "score", "v")),
        mistakes=_CONVERT_MISTAKES,
        units=False,
    ),
    Question(
        id="diffusion.vp_kernel",
        chapter=8,
        prompt="Write vp_kernel(x0, t, beta): mean and variance of x_t given x0 for the VP SDE with constant beta",
        reference=vp_kernel_ref,
        cases=_vp_cases,
        grade=_grade_tuple(vp_kernel_ref, _vp_cases, _VP_MISTAKES, ("mean", "variance"), broadcast=("variance",)),
        mistakes=_VP_MISTAKES,
        units=False,
    ),
    Question(
        id="diffusion.masked_weight",
        chapter=8,
        prompt="Write masked_weight(t): the weight of the masked-diffusion loss for the mask schedule 1 - cos(pi·t/2)",
        reference=masked_weight_ref,
        cases=_masked_cases,
        mistakes=[
            (_mw_linear, "1/t is the weight for the linear schedule m(t) = t; for a general mask "
                         "probability m(t) the weight is m'(t)/m(t)"),
            (_mw_no_derivative, "1/m(t) leaves out the rate m'(t): in [t - dt, t] a masked token is revealed "
                                "with probability m'(t)·dt/m(t)"),
            (_mw_derivative_only, "m'(t) alone is the rate at which tokens get masked; divide by m(t), the "
                                  "probability that the token is masked at time t"),
            (_mw_unmasked, "you divided by 1 - m(t), the probability of being unmasked; the weight divides "
                           "by m(t) = 1 - cos(pi·t/2)"),
            (_mw_no_chain_rule, "the derivative of 1 - cos(pi·t/2) is (pi/2)·sin(pi·t/2): the chain rule gives "
                                "the factor pi/2"),
        ],
        units=False,
    ),
]
