"""Tests for helpers.diffusion and the Chapter 8 question bank.

Oracles: closed forms written out here, torch (cumprod, linspace, autograd), Gaussian
conditioning computed from the joint covariance, and Monte-Carlo simulation of the chain
with tolerances set from the standard error.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

import helpers.grading.diffusion as bank
from helpers.diffusion import (
    KNOWN_SCHEDULES,
    ROLL_CENTER,
    ROLL_SCALE,
    TimeMLP,
    alpha_bar,
    ancestral_step,
    beta_schedule,
    cosine_alpha_bar,
    ddim_step,
    distance_to_roll,
    dsm_target,
    eps_fn_from_model,
    euler_flow,
    gaussian_channel_capacity,
    langevin,
    mmd_permutation_test,
    mmd_rbf,
    posterior_mean_variance,
    q_sample,
    roll_centre_line,
    sample_ancestral,
    sample_ddim,
    sample_flow,
    snr,
    swiss_roll_2d,
    train_denoiser,
    v_fn_from_model,
)
from helpers.grading import check

# --------------------------------------------------------------------------- schedules


def test_linear_matches_torch_linspace():
    got = beta_schedule("linear", 1000)
    want = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got[0] == pytest.approx(1e-4) and got[-1] == pytest.approx(0.02)


def test_cosine_matches_nichol_dhariwal_formula():
    # Improved DDPM, eq. 17: abar(t) = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s)·π/2), s = 0.008;
    # beta_t = 1 - abar(t)/abar(t-1) for paper steps t = 1..T, clipped at 0.999.
    T, s = 1000, 0.008
    f = [math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2 for t in range(T + 1)]
    want = [min(1 - (f[t] / f[0]) / (f[t - 1] / f[0]), 0.999) for t in range(1, T + 1)]
    np.testing.assert_allclose(beta_schedule("cosine", T), want, rtol=1e-10)
    # where nothing is clipped, the cumulative product is the paper's abar itself
    ab = alpha_bar(beta_schedule("cosine", T))
    want_ab = np.array(f[1:]) / f[0]
    np.testing.assert_allclose(ab[:-5], want_ab[:-5], rtol=1e-9)
    assert beta_schedule("cosine", T)[-1] == 0.999


def test_cosine_alpha_bar_endpoints():
    assert cosine_alpha_bar(0.0) == pytest.approx(1.0)
    assert cosine_alpha_bar(1.0) == pytest.approx(0.0, abs=1e-30)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        cosine_alpha_bar(1.5)


def test_quadratic_and_sigmoid_shapes():
    q = beta_schedule("quadratic", 50, 1e-4, 0.02)
    np.testing.assert_allclose(np.sqrt(q), np.linspace(0.01, math.sqrt(0.02), 50), rtol=1e-12)
    sg = beta_schedule("sigmoid", 50, 1e-4, 0.02)
    assert np.all(np.diff(sg) > 0)
    z = np.linspace(-6, 6, 50)
    np.testing.assert_allclose(sg, 1e-4 + (0.02 - 1e-4) / (1 + np.exp(-z)), rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(KNOWN_SCHEDULES), T=st.integers(1, 3000),
       lo=st.floats(1e-6, 0.5), span=st.floats(0, 0.49))
def test_every_schedule_gives_valid_betas(name, T, lo, span):
    b = beta_schedule(name, T, lo, lo + span)
    assert b.shape == (T,)
    assert np.all(np.isfinite(b)) and np.all(b > 0) and np.all(b < 1)
    ab = alpha_bar(b)
    assert np.all(np.diff(ab) <= 0) and np.all(ab >= 0) and ab[0] < 1


def test_schedule_errors():
    with pytest.raises(ValueError, match="known schedules: linear, cosine"):
        beta_schedule("exponential", 10)
    with pytest.raises(ValueError, match="positive integer"):
        beta_schedule("linear", 0)
    with pytest.raises(ValueError, match="positive integer"):
        beta_schedule("linear", 10.5)
    with pytest.raises(ValueError, match="beta_start <= beta_end"):
        beta_schedule("linear", 10, 0.1, 0.01)
    with pytest.raises(ValueError, match="beta_start <= beta_end"):
        beta_schedule("quadratic", 10, 0.0, 0.01)


# --------------------------------------------------------------------------- alpha_bar, snr


def test_alpha_bar_matches_torch_cumprod():
    b = beta_schedule("cosine", 300)
    want = torch.cumprod(1 - torch.tensor(b, dtype=torch.float64), 0).numpy()
    np.testing.assert_allclose(alpha_bar(b), want, rtol=1e-12)


@pytest.mark.parametrize("bad", [[0.1, 0.0], [0.1, 1.0], [-0.1], [[0.1, 0.2]], [0.1, np.nan], []])
def test_alpha_bar_rejects_bad_betas(bad):
    with pytest.raises(ValueError, match="beta"):
        alpha_bar(bad)


def test_snr_and_capacity():
    ab = np.array([1.0, 0.8, 0.5, 0.0])
    s = snr(ab)
    assert s[0] == np.inf and s[1] == pytest.approx(4.0) and s[2] == pytest.approx(1.0) and s[3] == 0.0
    # For a unit-variance Gaussian x0, I(X0; Xt) = -½ log(1 - rho²), rho² = abar: the bound is exact.
    c = gaussian_channel_capacity(ab[1:3])
    np.testing.assert_allclose(c, -0.5 * np.log(1 - ab[1:3]), rtol=1e-12)
    np.testing.assert_allclose(gaussian_channel_capacity(0.5, data_variance=3.0), 0.5 * math.log(4.0))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        snr([0.5, 1.2])
    with pytest.raises(ValueError, match="positive"):
        gaussian_channel_capacity(0.5, data_variance=0.0)


# --------------------------------------------------------------------------- forward process


def test_q_sample_matches_simulated_chain():
    """Run the Markov chain step by step; the closed form's moments must agree within 5 SE."""
    rng = np.random.default_rng(1)
    betas = beta_schedule("linear", 1000)
    ab = alpha_bar(betas)
    n = 50_000
    x0 = np.array([1.5, -0.7])
    x = np.tile(x0, (n, 1))
    for t in range(400):
        x = np.sqrt(1 - betas[t]) * x + np.sqrt(betas[t]) * rng.standard_normal(x.shape)
        if t in (0, 49, 399):
            mean, var = np.sqrt(ab[t]) * x0, 1 - ab[t]
            se_mean = np.sqrt(var / n)
            se_var = var * np.sqrt(2 / (n - 1))
            assert np.all(np.abs(x.mean(0) - mean) < 5 * se_mean)
            assert np.all(np.abs(x.var(0, ddof=1) - var) < 5 * se_var)
            # and q_sample itself draws from the same law
            y = q_sample(np.tile(x0, (n, 1)), t, rng.standard_normal((n, 2)), ab)
            assert np.all(np.abs(y.mean(0) - mean) < 5 * se_mean)
            assert np.all(np.abs(y.var(0, ddof=1) - var) < 5 * se_var)


def test_q_sample_per_row_t_equals_separate_calls():
    rng = np.random.default_rng(2)
    ab = alpha_bar(beta_schedule("cosine", 50))
    x0, noise = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    t = np.array([0, 5, 49, 10, 0, 33])
    got = q_sample(x0, t, noise, ab)
    for i in range(6):
        np.testing.assert_allclose(got[i], q_sample(x0[i], int(t[i]), noise[i], ab), rtol=1e-14)
    np.testing.assert_allclose(q_sample(x0, 3, noise, ab)[0],
                               math.sqrt(ab[3]) * x0[0] + math.sqrt(1 - ab[3]) * noise[0])


def test_q_sample_errors():
    ab = alpha_bar(beta_schedule("linear", 10))
    x = np.zeros((4, 2))
    with pytest.raises(ValueError, match="out of range"):
        q_sample(x, 10, x, ab)
    with pytest.raises(ValueError, match="out of range"):
        q_sample(x, -1, x, ab)
    with pytest.raises(ValueError, match="must match"):
        q_sample(x, 1, np.zeros((4, 3)), ab)
    with pytest.raises(ValueError, match="one index per row"):
        q_sample(x, np.array([1, 2]), x, ab)
    with pytest.raises(ValueError, match="integer"):
        q_sample(x, 1.0, x, ab)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        q_sample(x, 1, x, ab * 2)


# --------------------------------------------------------------------------- posterior


def _posterior_by_conditioning(x0, x_t, t, betas):
    """Condition the joint Gaussian of (x_{t-1}, x_t) given x0 (0-based t, abar_{-1} = 1)."""
    ab = np.cumprod(1 - betas)
    ab_prev = ab[t - 1] if t > 0 else 1.0
    alpha = 1 - betas[t]
    m1, m2 = math.sqrt(ab_prev) * x0, math.sqrt(ab[t]) * x0
    s11, s22 = 1 - ab_prev, 1 - ab[t]
    s12 = math.sqrt(alpha) * s11  # Cov(x_{t-1}, sqrt(alpha)·x_{t-1} + noise)
    return m1 + s12 / s22 * (x_t - m2), s11 - s12**2 / s22


@pytest.mark.parametrize("name", ["linear", "cosine", "sigmoid"])
def test_posterior_matches_gaussian_conditioning(name):
    rng = np.random.default_rng(3)
    betas = beta_schedule(name, 200)
    for t in [0, 1, 2, 50, 199]:
        x0, x_t = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
        mean, var = posterior_mean_variance(x0, x_t, t, betas)
        want_mean, want_var = _posterior_by_conditioning(x0, x_t, t, betas)
        np.testing.assert_allclose(mean, want_mean, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(var, np.full((5, 2), want_var), rtol=1e-8, atol=1e-15)


def test_posterior_matches_product_of_gaussians():
    """Bayes: q(x_{t-1}|x_t,x0) ∝ N(x_t; sqrt(alpha)x_{t-1}, beta) · N(x_{t-1}; sqrt(abar_prev)x0, 1-abar_prev);
    precisions add and the mean is the precision-weighted average."""
    betas = beta_schedule("linear", 100)
    ab = alpha_bar(betas)
    t, x0, x_t = 40, np.array([[0.3]]), np.array([[-1.2]])
    alpha = 1 - betas[t]
    prec_lik = alpha / betas[t]                 # x_t as a measurement of x_{t-1}
    mean_lik = x_t / math.sqrt(alpha)
    prec_prior = 1 / (1 - ab[t - 1])
    mean_prior = math.sqrt(ab[t - 1]) * x0
    var = 1 / (prec_lik + prec_prior)
    mean = var * (prec_lik * mean_lik + prec_prior * mean_prior)
    got_mean, got_var = posterior_mean_variance(x0, x_t, t, betas)
    np.testing.assert_allclose(got_mean, mean, rtol=1e-10)
    np.testing.assert_allclose(got_var, var, rtol=1e-10)


def test_posterior_monte_carlo_regression():
    """Simulate (x_{t-1}, x_t) from the chain; the regression of x_{t-1} on x_t recovers the
    posterior mean's slope and the residual variance recovers beta tilde (within 5 SE)."""
    rng = np.random.default_rng(4)
    betas = beta_schedule("linear", 1000)
    ab = alpha_bar(betas)
    t, x0, n = 300, 0.8, 200_000
    x_prev = q_sample(np.full(n, x0), t - 1, rng.standard_normal(n), ab)
    x_t = np.sqrt(1 - betas[t]) * x_prev + np.sqrt(betas[t]) * rng.standard_normal(n)
    slope, intercept = np.polyfit(x_t, x_prev, 1)
    resid_var = np.var(x_prev - (slope * x_t + intercept), ddof=2)
    m0, var = posterior_mean_variance(np.array([x0]), np.array([0.0]), t, betas)
    m1, _ = posterior_mean_variance(np.array([x0]), np.array([1.0]), t, betas)
    se_slope = math.sqrt(resid_var / (n * np.var(x_t)))
    assert abs(slope - (m1 - m0)[0]) < 5 * se_slope
    assert abs(resid_var - var[0]) < 5 * var[0] * math.sqrt(2 / n)


@settings(max_examples=50, deadline=None)
@given(T=st.integers(1, 300), frac=st.floats(0, 1), seed=st.integers(0, 10**6))
def test_posterior_properties(T, frac, seed):
    rng = np.random.default_rng(seed)
    betas = beta_schedule("cosine", T)
    t = min(int(frac * T), T - 1)
    x0, x_t = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    mean, var = posterior_mean_variance(x0, x_t, t, betas)
    assert mean.shape == var.shape == (3, 2)
    assert np.all(var >= 0) and np.all(var <= betas[t] * (1 + 1e-12))
    if t == 0:
        np.testing.assert_allclose(mean, x0, rtol=1e-9, atol=1e-12)
        assert np.all(var == 0)


def test_posterior_per_row_and_errors():
    rng = np.random.default_rng(5)
    betas = beta_schedule("linear", 30)
    x0, x_t = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    t = np.array([0, 7, 29])
    mean, var = posterior_mean_variance(x0, x_t, t, betas)
    for i in range(3):
        m, v = posterior_mean_variance(x0[i:i + 1], x_t[i:i + 1], int(t[i]), betas)
        np.testing.assert_allclose(mean[i], m[0], rtol=1e-13)
        np.testing.assert_allclose(var[i], v[0], rtol=1e-13)
    with pytest.raises(ValueError, match="must match"):
        posterior_mean_variance(x0, x_t[:2], 1, betas)
    with pytest.raises(ValueError, match="out of range"):
        posterior_mean_variance(x0, x_t, 30, betas)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        posterior_mean_variance(x0, x_t, 1, np.r_[betas[:-1], 1.0])


# --------------------------------------------------------------------------- score and steps


def test_dsm_target_is_the_gradient_of_log_q():
    rng = np.random.default_rng(6)
    ab = alpha_bar(beta_schedule("linear", 100))
    x0 = rng.normal(size=(4, 2))
    t = np.array([0, 10, 50, 99])
    x_t = q_sample(x0, t, rng.normal(size=(4, 2)), ab)
    xt_torch = torch.tensor(x_t, requires_grad=True)
    a = torch.tensor(ab[t]).unsqueeze(1)
    logq = torch.distributions.Normal(a.sqrt() * torch.tensor(x0), (1 - a).sqrt()).log_prob(xt_torch).sum()
    logq.backward()
    np.testing.assert_allclose(dsm_target(x_t, x0, t, ab), xt_torch.grad.numpy(), rtol=1e-10)


def test_dsm_target_equals_minus_noise_over_std():
    rng = np.random.default_rng(7)
    ab = alpha_bar(beta_schedule("cosine", 40))
    x0, eps = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    x_t = q_sample(x0, 17, eps, ab)
    np.testing.assert_allclose(dsm_target(x_t, x0, 17, ab), -eps / math.sqrt(1 - ab[17]), rtol=1e-10)


def test_ancestral_step_is_posterior_mean_plus_noise():
    """With eps_hat the true noise, x0_hat = x0 and the step is the posterior mean + sqrt(beta tilde)·z."""
    rng = np.random.default_rng(8)
    betas = beta_schedule("linear", 100)
    ab = alpha_bar(betas)
    x0, eps, z = rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    for t in [0, 1, 60, 99]:
        x_t = q_sample(x0, t, eps, ab)
        mean, var = posterior_mean_variance(x0, x_t, t, betas)
        np.testing.assert_allclose(ancestral_step(x_t, t, eps, z, betas), mean + np.sqrt(var) * z,
                                   rtol=1e-9, atol=1e-12)


def test_ddim_step_with_true_noise_is_exact():
    rng = np.random.default_rng(9)
    ab = alpha_bar(beta_schedule("cosine", 100))
    x0, eps = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    x_t = q_sample(x0, 80, eps, ab)
    np.testing.assert_allclose(ddim_step(x_t, 80, 20, eps, ab), q_sample(x0, 20, eps, ab), rtol=1e-10)
    np.testing.assert_allclose(ddim_step(x_t, 80, -1, eps, ab), x0, rtol=1e-8, atol=1e-10)
    with pytest.raises(ValueError, match="t_prev"):
        ddim_step(x_t, 80, 80, eps, ab)


def test_step_errors():
    betas = beta_schedule("linear", 10)
    x = np.zeros((2, 2))
    with pytest.raises(ValueError, match="same shape"):
        ancestral_step(x, 3, np.zeros((2, 3)), x, betas)
    with pytest.raises(ValueError, match="out of range"):
        ancestral_step(x, 10, x, x, betas)


# --------------------------------------------------------------------------- samplers


def _gaussian_eps_oracle(ab, m, s):
    """E[eps | x_t] for x0 ~ N(m, s²) (any dimension, isotropic)."""

    def eps_fn(x, t):
        a = ab[t]
        return math.sqrt(1 - a) * (x - math.sqrt(a) * m) / (a * s**2 + 1 - a)

    return eps_fn


@pytest.mark.parametrize("sampler", ["ancestral", "ddim"])
def test_samplers_recover_gaussian_data_with_the_exact_noise_predictor(sampler):
    m, s, n = np.array([1.0, -2.0]), 0.5, 20_000
    betas = beta_schedule("linear", 1000)
    ab = alpha_bar(betas)
    eps_fn = _gaussian_eps_oracle(ab, m, s)
    rng = np.random.default_rng(10)
    if sampler == "ancestral":
        x = sample_ancestral(eps_fn, n, betas, rng)
    else:
        x = sample_ddim(eps_fn, n, ab, rng, n_steps=100)
    assert x.shape == (n, 2)
    np.testing.assert_allclose(x.mean(0), m, atol=0.02)
    np.testing.assert_allclose(x.std(0), s, atol=0.02)


def test_respaced_ancestral_sampler_has_the_law_of_its_linear_recursion():
    """For Gaussian data the sampler is a linear-Gaussian chain x <- A·x + c + sigma·z; its
    output law follows from a scalar recursion.  With 50 big steps and sigma² = beta tilde it
    is visibly narrower than the data (the reverse variance is underestimated), and the
    sampler must show exactly that."""
    m, s, n, K = 1.0, 0.5, 40_000, 50
    betas = beta_schedule("linear", 1000)
    ab = alpha_bar(betas)
    taus = np.unique(np.round(np.linspace(0, 999, K)).astype(int))
    ab_k = ab[taus]
    ab_prev = np.r_[1.0, ab_k[:-1]]
    mean, var = 0.0, 1.0
    for k in range(len(taus) - 1, -1, -1):
        b = 1 - ab_k[k] / ab_prev[k]
        g = math.sqrt(1 - ab_k[k]) / (ab_k[k] * s**2 + 1 - ab_k[k])
        A = (1 - b * g / math.sqrt(1 - ab_k[k])) / math.sqrt(1 - b)
        c = b * g * math.sqrt(ab_k[k]) * m / (math.sqrt(1 - ab_k[k]) * math.sqrt(1 - b))
        mean, var = A * mean + c, A * A * var + b * (1 - ab_prev[k]) / (1 - ab_k[k])
    x = sample_ancestral(_gaussian_eps_oracle(ab, m, s), n, betas, np.random.default_rng(14), n_steps=K)
    se_mean, se_var = math.sqrt(var / (2 * n)), var * math.sqrt(2 / (2 * n))
    assert abs(x.mean() - mean) < 5 * se_mean
    assert abs(x.var() - var) < 5 * se_var
    assert math.sqrt(var) < 0.95 * s


def test_sample_flow_recovers_gaussian_data_with_the_exact_velocity():
    m, s0 = np.array([0.5, 1.5]), 0.7

    def v_fn(x, s):
        var = (1 - s) ** 2 * s0**2 + s**2
        r = x - (1 - s) * m
        return s / var * r - (m + (1 - s) * s0**2 / var * r)  # E[eps|x] - E[x0|x]

    x = sample_flow(v_fn, 20_000, 200, np.random.default_rng(11))
    np.testing.assert_allclose(x.mean(0), m, atol=0.02)
    np.testing.assert_allclose(x.std(0), s0, atol=0.02)


def test_sampler_paths_and_errors():
    betas = beta_schedule("linear", 20)
    eps_fn = _gaussian_eps_oracle(alpha_bar(betas), 0.0, 1.0)
    x, path = sample_ancestral(eps_fn, 5, betas, np.random.default_rng(0), return_path=True)
    assert path.shape == (21, 5, 2) and np.array_equal(path[-1], x)
    x, path = sample_ddim(eps_fn, 5, alpha_bar(betas), np.random.default_rng(0), n_steps=4, return_path=True)
    assert path.shape == (5, 5, 2)
    with pytest.raises(ValueError, match="Generator"):
        sample_ancestral(eps_fn, 5, betas, 0)
    with pytest.raises(ValueError, match="n_steps"):
        sample_ddim(eps_fn, 5, alpha_bar(betas), np.random.default_rng(0), n_steps=50)


def test_samplers_are_deterministic_given_the_seed():
    betas = beta_schedule("cosine", 50)
    eps_fn = _gaussian_eps_oracle(alpha_bar(betas), 0.3, 0.8)
    a = sample_ancestral(eps_fn, 10, betas, np.random.default_rng(5))
    b = sample_ancestral(eps_fn, 10, betas, np.random.default_rng(5))
    assert np.array_equal(a, b)


def test_langevin_samples_a_gaussian():
    rng = np.random.default_rng(12)
    x = langevin(lambda x: -(x - 2.0) / 0.25, np.zeros(20_000), 0.005, 1500, rng)
    # unadjusted Langevin on N(2, 0.25) has stationary variance 0.25/(1 - eta/(2·0.25)) ≈ 0.2513
    assert abs(x.mean() - 2.0) < 0.02
    assert abs(x.var() - 0.25 / (1 - 0.005 / 0.5)) < 0.01
    with pytest.raises(ValueError, match="step_size"):
        langevin(lambda x: -x, np.zeros(3), 0.0, 10, rng)


# --------------------------------------------------------------------------- metric and data


def test_mmd_matches_direct_formula():
    rng = np.random.default_rng(13)
    x, y, h = rng.normal(size=(40, 2)), rng.normal(1.0, 1.0, size=(30, 2)), 0.7
    kxx = np.exp(-cdist(x, x, "sqeuclidean") / (2 * h * h))
    kyy = np.exp(-cdist(y, y, "sqeuclidean") / (2 * h * h))
    kxy = np.exp(-cdist(x, y, "sqeuclidean") / (2 * h * h))
    n, m = len(x), len(y)
    want = ((kxx.sum() - n) / (n * (n - 1)) + (kyy.sum() - m) / (m * (m - 1)) - 2 * kxy.mean())
    assert mmd_rbf(x, y, h) == pytest.approx(want, rel=1e-10)
    assert mmd_rbf(x, y, h) == pytest.approx(mmd_rbf(y, x, h), rel=1e-12)
    same = [mmd_rbf(rng.normal(size=(200, 2)), rng.normal(size=(200, 2)), h) for _ in range(20)]
    assert abs(np.mean(same)) < 3 * np.std(same) / math.sqrt(20) + 1e-4
    with pytest.raises(ValueError, match="shapes"):
        mmd_rbf(x, rng.normal(size=(5, 3)), h)
    with pytest.raises(ValueError, match="bandwidth"):
        mmd_rbf(x, y, 0.0)


def test_swiss_roll_is_standardised():
    x = swiss_roll_2d(20_000, 0)
    assert x.shape == (20_000, 2)
    np.testing.assert_allclose(x.mean(0), 0, atol=0.05)
    np.testing.assert_allclose(x.var(0), 1, atol=0.05)


def test_roll_centre_line_is_the_generators_spiral():
    from sklearn.datasets import make_swiss_roll

    raw, angle = make_swiss_roll(50, noise=0.0, random_state=4)
    on_curve = (raw[:, [0, 2]] - ROLL_CENTER) / ROLL_SCALE
    np.testing.assert_allclose(distance_to_roll(on_curve), 0, atol=1e-3)
    line = roll_centre_line(5)
    a = np.linspace(1.5 * np.pi, 4.5 * np.pi, 5)
    np.testing.assert_allclose(line * ROLL_SCALE + ROLL_CENTER, np.stack([a * np.cos(a), a * np.sin(a)], 1),
                               atol=1e-12)
    with pytest.raises(ValueError, match="n must be"):
        roll_centre_line(1)


def test_distance_to_roll_matches_a_direct_minimisation():
    from scipy.optimize import minimize_scalar

    rng = np.random.default_rng(5)
    pts = rng.uniform(-2, 2, size=(12, 2))
    raw = pts * ROLL_SCALE + ROLL_CENTER
    got = distance_to_roll(pts, noise=1.0)
    for p, d in zip(raw, got):
        grid = np.linspace(1.5 * np.pi, 4.5 * np.pi, 2001)
        a0 = grid[np.argmin(np.hypot(p[0] - grid * np.cos(grid), p[1] - grid * np.sin(grid)))]
        res = minimize_scalar(lambda a: math.hypot(p[0] - a * math.cos(a), p[1] - a * math.sin(a)),
                              bounds=(max(a0 - 0.01, 1.5 * np.pi), min(a0 + 0.01, 4.5 * np.pi)),
                              method="bounded", options={"xatol": 1e-10})
        assert d == pytest.approx(res.fun, abs=1e-5)
    # for data the distance in noise units is about |Z|: mean sqrt(2/pi), rare beyond 4
    d = distance_to_roll(swiss_roll_2d(50_000, seed=9))
    assert d.mean() == pytest.approx(math.sqrt(2 / math.pi), abs=0.01)
    assert np.mean(d > 4) < 5e-4
    with pytest.raises(ValueError, match="shape"):
        distance_to_roll(np.zeros((3, 3)))


def test_permutation_test_matches_a_loop_over_mmd_rbf():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(30, 2)), rng.normal(0.3, 1.0, size=(25, 2))
    hs, n_perm = [0.5, 2.0], 40
    got = mmd_permutation_test(x, y, hs, n_perm, np.random.default_rng(7))
    z = np.concatenate([x, y])
    perm_rng = np.random.default_rng(7)
    perms = [perm_rng.permutation(55) for _ in range(n_perm)]
    for j, h in enumerate(hs):
        assert got["mmd2"][j] == pytest.approx(mmd_rbf(x, y, h), rel=1e-10)
        null = np.array([mmd_rbf(z[np.sort(p[:30])], z[np.sort(p[30:])], h) for p in perms])
        assert got["null_sd"][j] == pytest.approx(null.std(ddof=1), rel=1e-8)
        assert got["p_value"][j] == pytest.approx((1 + np.sum(null >= mmd_rbf(x, y, h))) / (n_perm + 1))
    big_x, big_y = rng.normal(size=(700, 2)), rng.normal(0.1, 1.0, size=(600, 2))   # crosses a block
    big = mmd_permutation_test(big_x, big_y, [0.2, 1.0], 3, rng)
    np.testing.assert_allclose(big["mmd2"], [mmd_rbf(big_x, big_y, 0.2), mmd_rbf(big_x, big_y, 1.0)], rtol=1e-9)
    far = mmd_permutation_test(x, y + 5.0, 1.0, 30, np.random.default_rng(0))
    assert far["p_value"][0] == pytest.approx(1 / 31)
    with pytest.raises(ValueError, match="bandwidths"):
        mmd_permutation_test(x, y, [0.0], 10, rng)
    with pytest.raises(ValueError, match="n_permutations"):
        mmd_permutation_test(x, y, 1.0, 0, rng)


def test_permutation_p_values_are_calibrated_under_the_null():
    rng = np.random.default_rng(8)
    p = [mmd_permutation_test(rng.normal(size=(40, 2)), rng.normal(size=(40, 2)), 1.0, 50, rng)["p_value"][0]
         for _ in range(60)]
    # under the null the p-value is (discrete) uniform: about 10% of them below 0.1
    assert np.mean(np.array(p) <= 0.1) < 0.25 and 0.35 < np.mean(p) < 0.65


def test_euler_flow_matches_sample_flow_and_converges():
    from scipy.integrate import solve_ivp

    x1 = np.random.default_rng(1).standard_normal((6, 2))
    v = lambda x, s: np.sin(x) + s * x  # noqa: E731
    a = sample_flow(v, 6, 8, np.random.default_rng(1))
    np.testing.assert_allclose(euler_flow(v, x1, np.linspace(1, 0, 9)), a, rtol=1e-12)
    ref = solve_ivp(lambda s, y: v(y, s), (1.0, 0.0), x1.ravel(), rtol=1e-10, atol=1e-12).y[:, -1]
    err = [np.abs(euler_flow(v, x1, np.linspace(1, 0, k + 1)).ravel() - ref).max() for k in (100, 200)]
    assert err[1] < 0.6 * err[0] and err[1] < 1e-2          # first order: halves with the step
    with pytest.raises(ValueError, match="decrease"):
        euler_flow(v, x1, [0.0, 1.0])


# --------------------------------------------------------------------------- torch part


def test_time_mlp_and_short_training_are_deterministic():
    net = TimeMLP(hidden=16)
    assert net(torch.zeros(7, 2), torch.rand(7)).shape == (7, 2)
    x = swiss_roll_2d(500, 0)
    ab = alpha_bar(beta_schedule("linear", 100))
    m1, l1 = train_denoiser(x, "ddpm", alpha_bars=ab, steps=30, batch=64, hidden=16, seed=3)
    m2, l2 = train_denoiser(x, "ddpm", alpha_bars=ab, steps=30, batch=64, hidden=16, seed=3)
    assert l1.shape == (30,) and np.all(np.isfinite(l1)) and np.array_equal(l1, l2)
    eps = eps_fn_from_model(m1, 100)(x[:5], 10)
    assert eps.shape == (5, 2) and eps.dtype == np.float64
    fm, lf = train_denoiser(x, "flow", steps=30, batch=64, hidden=16)
    assert v_fn_from_model(fm)(x[:4], 0.3).shape == (4, 2)
    with pytest.raises(ValueError, match="kind"):
        train_denoiser(x, "score")
    with pytest.raises(ValueError, match="target"):
        train_denoiser(x, "flow", target="score", steps=2)
    with pytest.raises(ValueError, match="ddpm"):
        train_denoiser(x, "ddpm", alpha_bars=ab, target="x0", steps=2)
    with pytest.raises(ValueError, match="ema"):
        train_denoiser(x, "flow", ema=1.0, steps=2)
    with pytest.raises(ValueError, match="alpha_bars"):
        train_denoiser(x, "ddpm")


# --------------------------------------------------------------------------- question bank

QIDS = ["diffusion.q_sample", "diffusion.cosine_schedule", "diffusion.posterior",
        "diffusion.dsm_target", "diffusion.ancestral_step", "diffusion.convert_eps",
        "diffusion.vp_kernel", "diffusion.masked_weight"]


def _convert_by_autograd(x_t, eps_hat, alpha_bar_t):
    """Independent answer: x0 from the forward equation, the score by autograd of
    log N(x_t; alpha·x0, sigma²) at x0 = x0_hat, v from its definition alpha·eps - sigma·x0."""
    a, sig = math.sqrt(alpha_bar_t), math.sqrt(1 - alpha_bar_t)
    x0_hat = (x_t - sig * eps_hat) / a
    xt = torch.tensor(x_t, dtype=torch.float64, requires_grad=True)
    log_q = torch.distributions.Normal(torch.tensor(a * x0_hat), sig).log_prob(xt).sum()
    (score,) = torch.autograd.grad(log_q, xt)
    return x0_hat, score.numpy(), a * eps_hat - sig * x0_hat


def _vp_kernel_by_quadrature(x0, t, beta):
    """Independent answer: mean exp(-B/2)·x0 and the Itô-isometry variance integrated by quad."""
    from scipy import integrate

    var = integrate.quad(lambda s: math.exp(-beta * (t - s)) * beta, 0, t, epsabs=1e-13, epsrel=1e-12)[0]
    return math.exp(-beta * t / 2) * np.asarray(x0, dtype=float), var


def _masked_weight_by_complex_step(t):
    """Independent answer: m'(t)/m(t) with m' by the complex-step derivative of m."""
    t = np.asarray(t, dtype=float)
    h = 1e-20
    m = lambda u: 1 - np.cos(np.pi * u / 2)  # noqa: E731
    return np.imag(m(t + 1j * h)) / h / m(t)
REFERENCES = {
    "diffusion.q_sample": q_sample,
    "diffusion.cosine_schedule": lambda T, s=0.008: (beta_schedule("cosine", T) if s == 0.008
                                                     else bank.cosine_betas_ref(T, s)),
    "diffusion.posterior": posterior_mean_variance,
    "diffusion.dsm_target": dsm_target,
    "diffusion.ancestral_step": ancestral_step,
    "diffusion.convert_eps": _convert_by_autograd,
    "diffusion.vp_kernel": _vp_kernel_by_quadrature,
    "diffusion.masked_weight": _masked_weight_by_complex_step,
}


def test_bank_has_the_chapter_questions():
    assert [q.id for q in bank.QUESTIONS] == QIDS
    assert all(q.chapter == 8 for q in bank.QUESTIONS)


@pytest.mark.parametrize("qid", QIDS)
def test_helpers_and_references_pass(qid, capsys):
    q = next(q for q in bank.QUESTIONS if q.id == qid)
    assert check(qid, q.reference)
    assert check(qid, REFERENCES[qid])  # the book's helper is an independent second answer


@pytest.mark.parametrize("qid", QIDS)
def test_every_known_mistake_gets_its_hint(qid, capsys):
    q = next(q for q in bank.QUESTIONS if q.id == qid)
    assert q.mistakes
    for wrong, hint in q.mistakes:
        result = check(qid, wrong)
        assert not result and result.message == hint


@pytest.mark.parametrize("qid", QIDS)
def test_stub_is_not_attempted(qid, capsys):
    def stub(*args):
        raise NotImplementedError("Exercise")

    result = check(qid, stub)
    assert not result and result.status == "not attempted"


def test_posterior_accepts_a_scalar_variance_and_explains_a_bad_return(capsys):
    def scalar_variance(x0, x_t, t, betas):
        mean, var = bank.posterior_ref(x0, x_t, t, betas)
        return mean, float(var.flat[0])

    assert check("diffusion.posterior", scalar_variance)
    result = check("diffusion.posterior", lambda x0, x_t, t, betas: bank.posterior_ref(x0, x_t, t, betas)[0])
    assert not result and "pair" in result.message


def test_tuple_questions_explain_a_bad_return(capsys):
    result = check("diffusion.convert_eps", lambda x_t, eps_hat, ab: (x_t, eps_hat))
    assert not result and "tuple of 3 (x0_hat, score, v)" in result.message
    result = check("diffusion.convert_eps", lambda x_t, eps_hat, ab: (x_t, eps_hat, 1.0))
    assert not result and "the v should have the shape" in result.message
    assert check("diffusion.vp_kernel", lambda x0, t, b: (np.exp(-b * t / 2) * x0, -np.expm1(-b * t)))


def test_conversions_agree_with_the_flow_path():
    # the conversions of the bank, on a VP point, give back the x0 and eps that made it, and
    # the Salimans-Ho v equals d x_t / d phi for alpha = cos(phi), sigma = sin(phi)
    rng = np.random.default_rng(0)
    x0, eps = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    for ab in (0.9, 0.3, 0.01):
        x_t = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps
        x0_hat, score, v = bank.convert_eps_ref(x_t, eps, ab)
        np.testing.assert_allclose(x0_hat, x0, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(score, dsm_target(x_t, x0, 0, np.array([ab])), rtol=1e-10)
        phi = math.acos(math.sqrt(ab))
        x_of = lambda p: math.cos(p) * x0 + math.sin(p) * eps  # noqa: E731
        np.testing.assert_allclose(v, (x_of(phi + 1e-6) - x_of(phi - 1e-6)) / 2e-6, rtol=1e-6, atol=1e-8)


def test_ema_is_the_running_average_of_the_weights():
    x = swiss_roll_2d(300, 0)
    plain, _ = train_denoiser(x, "flow", steps=5, batch=32, hidden=8, seed=1)
    tiny, _ = train_denoiser(x, "flow", steps=5, batch=32, hidden=8, seed=1, ema=1e-12)
    for a, b in zip(plain.parameters(), tiny.parameters()):
        torch.testing.assert_close(a, b)              # decay ~ 0: the average is the last weights
    # with one step, the average is ema·w0 + (1 - ema)·w1
    torch.manual_seed(1)
    w0 = [p.detach().clone() for p in TimeMLP(hidden=8).parameters()]
    one, _ = train_denoiser(x, "flow", steps=1, batch=32, hidden=8, seed=1)
    avg, _ = train_denoiser(x, "flow", steps=1, batch=32, hidden=8, seed=1, ema=0.25)
    for a, p0, p1 in zip(avg.parameters(), w0, one.parameters()):
        torch.testing.assert_close(a, 0.25 * p0 + 0.75 * p1)


class _Known(torch.nn.Module):
    """A stand-in network with a known output 2·x + s."""

    def forward(self, x, s):
        return 2 * x + s.reshape(-1, 1)


@pytest.mark.parametrize("target", ["v", "eps", "x0"])
def test_v_fn_from_model_converts_each_target(target):
    x = np.random.default_rng(2).normal(size=(4, 2))
    s = 0.3
    out = 2 * x + s
    want = {"v": out, "eps": (out - x) / (1 - s), "x0": (x - out) / s}[target]
    np.testing.assert_allclose(v_fn_from_model(_Known(), target)(x, s), want, rtol=1e-6, atol=1e-6)
    # a consistent pair: with x_s = (1 - s) x0 + s eps the three give the same velocity eps - x0
    x0, eps = np.random.default_rng(3).normal(size=(2, 4, 2))
    xs = (1 - s) * x0 + s * eps

    class Oracle(torch.nn.Module):
        def forward(self, inp, s_):
            return torch.as_tensor({"v": eps - x0, "eps": eps, "x0": x0}[target], dtype=torch.float32)

    np.testing.assert_allclose(v_fn_from_model(Oracle(), target)(xs, s), eps - x0, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="target"):
        v_fn_from_model(_Known(), "score")
