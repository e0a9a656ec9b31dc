"""helpers.softmax against PyTorch and SciPy, its properties, and the Chapter 2 question bank."""

import re
import warnings

import numpy as np
import pytest
import scipy.special
import scipy.stats
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers.grading import check, questions
from helpers.grading import softmax as softmax_bank
from helpers.softmax import (
    distillation_loss,
    gumbel_softmax,
    log_softmax,
    logsumexp,
    softmax,
    softmax_jacobian,
)

torch.set_default_dtype(torch.float64)

finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
moderate = st.floats(-20, 20, allow_nan=False, allow_infinity=False)
taus = st.sampled_from([1e-3, 0.01, 0.1, 0.5, 1.0, 2.0, 10.0, 1e3])


def vectors(elements=finite, min_size=1, max_size=8):
    return arrays(np.float64, st.integers(min_size, max_size), elements=elements)


def matrices(elements=finite):
    return arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)), elements=elements)


# --------------------------------------------------------------------------- against references
@pytest.mark.parametrize("tau", [0.05, 0.5, 1.0, 3.0, 50.0])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_matches_torch_and_scipy(tau, axis):
    z = np.random.default_rng(0).normal(scale=4, size=(3, 5, 4))
    ours = softmax(z, tau, axis=axis)
    np.testing.assert_allclose(ours, torch.softmax(torch.tensor(z) / tau, dim=axis).numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours, scipy.special.softmax(z / tau, axis=axis), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("tau", [0.05, 1.0, 7.0])
@pytest.mark.parametrize("axis", [-1, 0])
def test_log_softmax_matches_torch(tau, axis):
    z = np.random.default_rng(1).normal(scale=30, size=(6, 7))
    expected = torch.log_softmax(torch.tensor(z) / tau, dim=axis).numpy()
    np.testing.assert_allclose(log_softmax(z, tau, axis=axis), expected, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_logsumexp_matches_torch_and_scipy(axis):
    z = np.random.default_rng(2).normal(scale=300, size=(4, 9, 3))
    ours = logsumexp(z, axis=axis)
    np.testing.assert_allclose(ours, torch.logsumexp(torch.tensor(z), dim=axis).numpy(), rtol=1e-13)
    np.testing.assert_allclose(ours, scipy.special.logsumexp(z, axis=axis), rtol=1e-13)


def test_logsumexp_of_a_vector_is_a_float():
    assert isinstance(logsumexp([1.0, 2.0]), float)
    assert logsumexp([1000.0, 1000.0]) == pytest.approx(1000 + np.log(2), abs=1e-12)


@pytest.mark.parametrize("tau", [0.1, 1.0, 4.0])
@pytest.mark.parametrize("n", [1, 2, 5, 10])
def test_jacobian_matches_torch_autograd(n, tau):
    z = np.random.default_rng(n).normal(scale=2, size=n)
    jac = torch.autograd.functional.jacobian(lambda v: torch.softmax(v / tau, dim=-1), torch.tensor(z))
    np.testing.assert_allclose(softmax_jacobian(z, tau), jac.numpy(), rtol=1e-10, atol=1e-14)


def test_jacobian_matches_finite_differences():
    z, tau, h = np.array([0.3, -1.2, 2.0, 0.0]), 0.7, 1e-6
    numeric = np.column_stack([(softmax(z + h * e, tau) - softmax(z - h * e, tau)) / (2 * h) for e in np.eye(4)])
    np.testing.assert_allclose(softmax_jacobian(z, tau), numeric, atol=1e-9)


# --------------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@given(z=matrices(), tau=taus)
def test_rows_are_probability_vectors(z, tau):
    p = softmax(z, tau)
    assert p.shape == z.shape
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(z=vectors(moderate), c=st.floats(-1e3, 1e3), tau=taus)
def test_shift_invariance(z, c, tau):
    np.testing.assert_allclose(softmax(z + c, tau), softmax(z, tau), atol=1e-9)
    np.testing.assert_allclose(log_softmax(z + c, tau), log_softmax(z, tau), atol=1e-6 / tau)
    np.testing.assert_allclose(logsumexp(z + c), logsumexp(z) + c, rtol=1e-12, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(z=vectors(finite))
def test_logsumexp_bounds(z):
    m = z.max()
    lse = logsumexp(z)
    assert m - 1e-9 * abs(m) <= lse <= m + np.log(z.size) + 1e-9 * max(1.0, abs(m))


@settings(max_examples=60, deadline=None)
@given(z=vectors(moderate), tau=st.sampled_from([0.3, 1.0, 3.0]))
def test_log_softmax_is_log_of_softmax(z, tau):
    np.testing.assert_allclose(np.exp(log_softmax(z, tau)), softmax(z, tau), rtol=1e-10, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(z=vectors(moderate, min_size=2), tau=st.sampled_from([0.5, 1.0, 2.0, 10.0]))
def test_jacobian_properties(z, tau):
    jac = softmax_jacobian(z, tau)
    n = z.size
    np.testing.assert_allclose(jac, jac.T, atol=0)                       # symmetric
    np.testing.assert_allclose(jac.sum(axis=1), 0.0, atol=1e-15 / tau)   # rows sum to 0
    eig = np.linalg.eigvalsh(jac)
    assert eig.min() >= -1e-14 / tau                                     # positive semi-definite
    assert eig.max() <= 0.5 / tau + 1e-12                                # spectral norm <= 1 / (2 tau)
    s = softmax(z, tau)
    if s.min() > 1e-6:
        assert np.linalg.matrix_rank(jac, tol=1e-10 / tau) == n - 1      # null space = the constants


def test_jacobian_rank_is_n_minus_1():
    jac = softmax_jacobian([2.0, 1.5, 0.5, 0.1, -0.5], 1.0)
    eig = np.linalg.eigvalsh(jac)
    assert abs(eig[0]) < 1e-15 and eig[1] > 1e-3
    np.testing.assert_allclose(jac @ np.ones(5), 0.0, atol=1e-16)


def test_jacobian_scales_with_one_over_tau():
    z = np.array([0.4, -0.2, 1.1])
    for tau in (0.5, 2.0, 8.0):
        np.testing.assert_allclose(softmax_jacobian(z, tau), softmax_jacobian(z / tau, 1.0) / tau, rtol=1e-12)


@given(z=vectors(moderate, min_size=2))
def test_zero_temperature_limit_is_one_hot_on_the_maximum(z):
    z = np.round(z, 6)  # distinct logits differ by >= 1e-6, so at tau = 1e-300 the gaps are huge
    p = softmax(z, 1e-300)
    winners = z == z.max()
    np.testing.assert_array_equal(p[~winners], 0.0)
    np.testing.assert_allclose(p[winners], 1.0 / winners.sum(), rtol=1e-15)


def test_limits_are_exact():
    scores = np.array([2.0, 1.5, 0.5, 0.1, -0.5])
    np.testing.assert_array_equal(softmax(scores, 1e-4), [1.0, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(softmax([3.0, 3.0, 1.0], 1e-3), [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(softmax(scores, np.inf), np.full(5, 0.2))
    np.testing.assert_allclose(softmax(scores, 1e12), np.full(5, 0.2), rtol=1e-11)
    np.testing.assert_array_equal(softmax_jacobian(scores, 1e-4), np.zeros((5, 5)))


def test_entropy_increases_with_temperature():
    scores = np.array([2.0, 1.5, 0.5, 0.1, -0.5])
    tau = np.logspace(-2, 2, 60)
    entropy = [scipy.stats.entropy(softmax(scores, t)) for t in tau]
    assert np.all(np.diff(entropy) > 0)
    assert entropy[0] < 1e-6 and np.log(5) - entropy[-1] < 1e-3


@settings(max_examples=80, deadline=None)
@given(z=matrices(finite), tau=taus)
def test_extreme_inputs_are_finite_and_silent(z, tau):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        p = softmax(z, tau)
        lp = log_softmax(z, tau)
        lse = logsumexp(z)
        jac = softmax_jacobian(z[0], tau)
        g = gumbel_softmax(z, tau, np.random.default_rng(0))
    for out in (p, lp, lse, jac, g):
        assert np.all(np.isfinite(out))
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)


def test_naive_formula_fails_where_ours_does_not():
    z = np.array([1000.0, 1001.0, 1002.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(z) / np.exp(z).sum()
    assert np.all(np.isnan(naive))
    np.testing.assert_allclose(softmax(z), scipy.special.softmax(z - 1000), rtol=1e-15)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        assert np.all(np.isfinite(log_softmax([0.0, -1e4], tau=1e-3)))
        assert softmax([1e308, -1e308])[0] == 1.0


# --------------------------------------------------------------------------- Gumbel
def test_gumbel_softmax_is_on_the_simplex_and_reproducible():
    logits = np.array([1.0, 0.2, -0.5, 2.0])
    y = gumbel_softmax(logits, 0.5, np.random.default_rng(3))
    assert y.shape == (4,) and np.all(y >= 0)
    assert y.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_array_equal(y, gumbel_softmax(logits, 0.5, np.random.default_rng(3)))
    batch = gumbel_softmax(np.tile(logits, (10, 1)), 2.0, np.random.default_rng(4))
    assert batch.shape == (10, 4)
    np.testing.assert_allclose(batch.sum(axis=1), 1.0, rtol=1e-12)


def test_hard_sample_is_the_one_hot_argmax_of_the_soft_sample():
    logits = np.random.default_rng(5).normal(size=(50, 6))
    soft = gumbel_softmax(logits, 0.7, np.random.default_rng(6))
    hard = gumbel_softmax(logits, 0.7, np.random.default_rng(6), hard=True)
    np.testing.assert_array_equal(hard, np.eye(6)[soft.argmax(axis=1)])
    cold = gumbel_softmax(logits, 1e-6, np.random.default_rng(6))
    np.testing.assert_allclose(cold, hard, atol=1e-12)


def test_gumbel_max_samples_follow_softmax():
    logits = np.array([2.0, 1.5, 0.5, 0.1, -0.5])
    draws = gumbel_softmax(np.tile(logits, (40_000, 1)), 1.0, np.random.default_rng(7), hard=True)
    counts = draws.sum(axis=0)
    expected = counts.sum() * scipy.special.softmax(logits)
    assert scipy.stats.chisquare(counts, expected).pvalue > 1e-4


def test_gumbel_noise_has_the_gumbel_distribution():
    # With zero logits and tau = 1, log(y) = g - logsumexp(g); g itself is recovered up to a shift.
    rng = np.random.default_rng(8)
    y = gumbel_softmax(np.zeros((20_000, 2)), 1.0, rng)
    diff = np.log(y[:, 0]) - np.log(y[:, 1])  # g1 - g2: a standard logistic variable
    assert scipy.stats.kstest(diff, scipy.stats.logistic.cdf).pvalue > 1e-4


# --------------------------------------------------------------------------- distillation
def _reference_distillation(s, t, y, tau, alpha):
    soft = F.kl_div(F.log_softmax(s / tau, dim=-1), F.softmax(t / tau, dim=-1), reduction="batchmean")
    return alpha * tau**2 * soft + (1 - alpha) * F.cross_entropy(s, y)


@pytest.mark.parametrize("tau,alpha", [(1.0, 0.5), (4.0, 0.9), (20.0, 1.0), (2.0, 0.0), (0.5, 0.3)])
def test_distillation_loss_and_gradient_match_torch(tau, alpha):
    gen = torch.Generator().manual_seed(0)
    s = torch.randn(7, 10, generator=gen, requires_grad=True)
    t = 3 * torch.randn(7, 10, generator=gen)
    y = torch.randint(0, 10, (7,), generator=gen)
    ours = distillation_loss(s, t, y, tau, alpha)
    ref = _reference_distillation(s, t, y, tau, alpha)
    assert ours.shape == ()
    torch.testing.assert_close(ours, ref)
    (g_ours,) = torch.autograd.grad(ours, s)
    (g_ref,) = torch.autograd.grad(ref, s)
    torch.testing.assert_close(g_ours, g_ref)


def test_distillation_limits_and_teacher_gets_no_gradient():
    gen = torch.Generator().manual_seed(1)
    s = torch.randn(5, 4, generator=gen)
    t = torch.randn(5, 4, generator=gen, requires_grad=True)
    y = torch.randint(0, 4, (5,), generator=gen)
    torch.testing.assert_close(distillation_loss(s, t, y, 3.0, 0.0), F.cross_entropy(s, y))
    assert float(distillation_loss(t.detach(), t, y, 3.0, 1.0)) == pytest.approx(0.0, abs=1e-12)
    assert not distillation_loss(s, t, y, 3.0, 0.5).requires_grad


def test_tau_squared_keeps_the_soft_gradient_scale():
    gen = torch.Generator().manual_seed(2)
    t = torch.randn(1, 10, generator=gen)
    s = torch.randn(1, 10, generator=gen, requires_grad=True)
    y = torch.tensor([0])
    norms = []
    for tau in (10.0, 100.0, 1000.0):
        (g,) = torch.autograd.grad(distillation_loss(s, t, y, tau, 1.0), s)
        norms.append(g.norm().item())
    # High-temperature limit: tau^2 * d KL / d s -> ((s - mean s) - (t - mean t)) / n.
    limit = ((s - s.mean()) - (t - t.mean())).norm().item() / 10
    assert norms[-1] == pytest.approx(limit, rel=1e-3)
    assert max(norms) / min(norms) < 1.5


# --------------------------------------------------------------------------- invalid input
@pytest.mark.parametrize("fn", [softmax, log_softmax, lambda z, tau=1.0: softmax_jacobian(z, tau)])
@pytest.mark.parametrize("tau", [0.0, -1.0, np.nan])
def test_nonpositive_tau_raises(fn, tau):
    with pytest.raises(ValueError, match="tau must be > 0"):
        fn([1.0, 2.0], tau)


@pytest.mark.parametrize("fn", [softmax, log_softmax, logsumexp, softmax_jacobian])
@pytest.mark.parametrize("z,match", [
    ([1.0, np.nan], r"NaN or \+inf"),
    ([1.0, np.inf], r"NaN or \+inf"),
    ([-np.inf, -np.inf], "every category is masked"),
    (3.0, "at least one axis"),
    ([], "empty"),
    (["a", "b"], "real numbers"),
])
def test_bad_logits_raise(fn, z, match):
    with pytest.raises(ValueError, match=match):
        fn(z)


def test_other_invalid_input():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        softmax([1.0, 2.0], axis=2)
    with pytest.raises(ValueError, match="1-D vector"):
        softmax_jacobian(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="positive number"):
        softmax([1.0], tau="hot")
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        gumbel_softmax([1.0, 2.0], 1.0, 0)
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        gumbel_softmax([1.0, 2.0], 1.0, np.random.RandomState(0))
    with pytest.raises(ValueError, match="tau must be > 0"):
        gumbel_softmax([1.0, 2.0], 0.0, np.random.default_rng(0))


def test_distillation_invalid_input():
    s, t, y = torch.zeros(3, 4), torch.zeros(3, 4), torch.tensor([0, 1, 3])
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]"):
        distillation_loss(s, t, y, 2.0, 1.5)
    with pytest.raises(ValueError, match="tau must be > 0"):
        distillation_loss(s, t, y, 0.0, 0.5)
    with pytest.raises(ValueError, match="same shape"):
        distillation_loss(s, torch.zeros(3, 5), y, 2.0, 0.5)
    with pytest.raises(ValueError, match=r"shape \(batch, classes\)"):
        distillation_loss(torch.zeros(4), torch.zeros(4), y, 2.0, 0.5)
    with pytest.raises(ValueError, match="integer tensor"):
        distillation_loss(s, t, y.float(), 2.0, 0.5)
    with pytest.raises(ValueError, match=r"lie in 0\.\.3"):
        distillation_loss(s, t, torch.tensor([0, 1, 4]), 2.0, 0.5)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        distillation_loss(s, t, torch.tensor([0, 1]), 2.0, 0.5)
    with pytest.raises(ValueError, match="NaN or infinite"):
        distillation_loss(torch.full((3, 4), float("nan")), t, y, 2.0, 0.5)


def test_masked_logits_match_torch():
    """-inf masks a category, as in attention: probability exactly 0, like torch.softmax."""
    z = np.array([[1.0, -np.inf, 0.5, 2.0], [-np.inf, 3.0, -np.inf, -1.0]])
    for tau in (0.5, 1.0, 4.0):
        ref = torch.softmax(torch.tensor(z) / tau, dim=-1).numpy()
        np.testing.assert_allclose(softmax(z, tau), ref, rtol=1e-12, atol=0)
        assert np.all(softmax(z, tau)[np.isneginf(z)] == 0.0)
        ref_log = torch.log_softmax(torch.tensor(z) / tau, dim=-1).numpy()
        np.testing.assert_array_equal(np.isneginf(log_softmax(z, tau)), np.isneginf(z))
        np.testing.assert_allclose(log_softmax(z, tau)[np.isfinite(z)], ref_log[np.isfinite(z)], rtol=1e-12)
    np.testing.assert_allclose(logsumexp(z), scipy.special.logsumexp(z, axis=-1), rtol=1e-14)
    # tau -> inf: uniform over the categories that are not masked
    np.testing.assert_array_equal(softmax(z, np.inf), [[1 / 3, 0, 1 / 3, 1 / 3], [0, 0.5, 0, 0.5]])
    rng = np.random.default_rng(0)
    draws = np.array([gumbel_softmax(z[1], 0.5, rng, hard=True) for _ in range(200)])
    assert draws[:, [0, 2]].sum() == 0  # a masked category is never sampled


# --------------------------------------------------------------------------- the question bank
def _stub(*args):
    raise NotImplementedError("Exercise: complete the function")


def _naive_softmax(z, tau):
    e = np.exp(np.asarray(z) / tau)
    return e / e.sum(axis=-1, keepdims=True)


def _global_max_softmax(z, tau):
    x = np.asarray(z) / tau
    e = np.exp(x - x.max())
    return e / e.sum(axis=-1, keepdims=True)


def _gumbel_max(logits, rng, size):
    return np.argmax(logits + rng.gumbel(size=(size, len(logits))), axis=-1)


def _distill_without_tau2(s, t, y, tau, alpha):
    soft = F.kl_div(F.log_softmax(s / tau, dim=-1), F.softmax(t / tau, dim=-1), reduction="batchmean")
    return alpha * soft + (1 - alpha) * F.cross_entropy(s, y)


def _distill_reversed(s, t, y, tau, alpha):
    soft = F.kl_div(F.log_softmax(t / tau, dim=-1), F.softmax(s / tau, dim=-1), reduction="batchmean")
    return alpha * tau**2 * soft + (1 - alpha) * F.cross_entropy(s, y)


CORRECT = {
    "softmax.stable": lambda z, tau: softmax(z, tau),
    "softmax.logsumexp": logsumexp,
    "softmax.jacobian": softmax_jacobian,
    "softmax.distillation_loss": distillation_loss,
    "softmax.gumbel_max": _gumbel_max,
}

MISTAKES = [
    ("softmax.stable", _naive_softmax, "subtract the maximum"),
    ("softmax.stable", _global_max_softmax, "each row's own maximum"),
    ("softmax.stable", lambda z, tau: softmax(z, 1.0), "temperature is ignored"),
    ("softmax.logsumexp", lambda z: np.log(np.exp(z).sum(axis=-1)), "factor out the maximum"),
    ("softmax.logsumexp", lambda z: np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1)), "did not add it back"),
    ("softmax.jacobian", lambda z, tau: softmax_jacobian(z, tau) * tau, "extra factor 1 / tau"),
    ("softmax.jacobian", lambda z, tau: np.diag(softmax(z, tau) * (1 - softmax(z, tau))) / tau, "off-diagonal"),
    ("softmax.distillation_loss", _distill_without_tau2, "tau\\*\\*2 is missing"),
    ("softmax.distillation_loss", _distill_reversed, "wrong way round"),
    ("softmax.gumbel_max", lambda l, rng, size: np.full(size, np.argmax(l)), "add Gumbel noise"),
    ("softmax.gumbel_max", lambda l, rng, size: rng.integers(len(l), size=size), "look uniform"),
    ("softmax.gumbel_max", lambda l, rng, size: np.argmax(l - np.log(rng.random((size, len(l)))), -1), "exponential noise"),
    ("softmax.gumbel_max", lambda l, rng, size: np.argmax(l + np.random.gumbel(size=(size, len(l))), -1), "rng argument"),
    ("softmax.gumbel_max", lambda l, rng, size: np.argmax(l + rng.gumbel(size=(size, len(l))), -1)[:5], "shape"),
]


@pytest.mark.parametrize("qid", sorted(CORRECT))
def test_correct_answers_pass(qid):
    result = check(qid, CORRECT[qid])
    assert result, result.message
    assert result.status == "passed"


@pytest.mark.parametrize("qid", sorted(CORRECT))
def test_stubs_are_not_attempted(qid):
    result = check(qid, _stub)
    assert not result and result.status == "not attempted"


@pytest.mark.parametrize("qid,answer,hint", MISTAKES)
def test_mistakes_get_their_hint(qid, answer, hint):
    result = check(qid, answer)
    assert not result and result.status == "failed"
    assert re.search(hint, result.message), result.message


def test_questions_belong_to_chapter_2():
    ids = {qid for qid, info in questions().items() if info.chapter == 2}
    assert ids == set(CORRECT)


# --------------------------------------------------------------------------- the Gumbel-max grader
def _gumbel_by_uniforms(logits, rng, size):
    u = rng.uniform(np.finfo(float).tiny, 1.0, size=(size, len(logits)))
    return np.argmax(np.asarray(logits) - np.log(-np.log(u)), axis=-1)


def _exponential_race(logits, rng, size):
    # argmin_i E_i / exp(z_i - max z) is a categorical draw from softmax(z): another exact sampler
    z = np.asarray(logits, dtype=float)
    return np.argmin(rng.exponential(size=(size, len(z))) / np.exp(z - z.max()), axis=-1)


def _inverse_cdf(logits, rng, size):
    cdf = np.cumsum(scipy.special.softmax(np.asarray(logits, dtype=float)))
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(cdf) - 1)


def _python_loop(logits, rng, size):
    out = np.empty(size, dtype=int)
    for i in range(size):
        out[i] = np.argmax(logits + rng.gumbel(size=len(logits)))
    return out


def test_every_chapter_2_question_stops_a_runaway_answer_within_5_s():
    for q in softmax_bank.QUESTIONS:
        assert 0 < q.timeout <= 5.0, q.id


def _endless(logits, rng, size):
    while True:
        pass


def test_an_endless_gumbel_sampler_is_stopped():
    result = check("softmax.gumbel_max", _endless)
    assert not result and result.status == "failed"
    assert "took too long" in result.message and "5 s" in result.message


def test_a_sampler_that_loops_only_on_many_draws_is_stopped(monkeypatch):
    # The statistical stage runs under the same deadline as the quick one (shortened here).
    monkeypatch.setattr(softmax_bank._gumbel_q, "timeout", 1.0)

    def slow_on_many(logits, rng, size):
        if size > 100:
            _endless(logits, rng, size)
        return _gumbel_by_uniforms(logits, rng, size)

    result = check("softmax.gumbel_max", slow_on_many)
    assert not result and "took too long" in result.message


@pytest.mark.parametrize("sampler", [_gumbel_max, _gumbel_by_uniforms, _exponential_race, _inverse_cdf])
def test_correct_samplers_pass_for_every_seed(sampler):
    failures = [seed for seed in range(60) if not softmax_bank.grade_gumbel_max(sampler, seed)[0]]
    assert failures == []


def test_a_slow_but_correct_sampler_passes():
    assert check("softmax.gumbel_max", _python_loop)


@pytest.mark.parametrize("answer,hint", [
    (lambda l, rng, size: np.argmax(l + rng.normal(size=(size, len(l))), -1), "Gaussian noise"),
    (lambda l, rng, size: np.argmin(l + rng.gumbel(size=(size, len(l))), -1), "argmin"),
    (lambda l, rng, size: np.argmax(l - rng.gumbel(size=(size, len(l))), -1), "sign error"),
    (lambda l, rng, size: np.argmax(l + np.log(rng.random((size, len(l)))), -1), "log U is not Gumbel"),
])
def test_wrong_samplers_fail_with_their_hint_for_every_seed(answer, hint):
    for seed in range(10):
        passed, message = softmax_bank.grade_gumbel_max(answer, seed)
        assert not passed and hint in message, (seed, message)


def test_noise_pick_probs_against_closed_form_and_simulation():
    z = np.array([1.2, 0.0, -0.7, 0.4])
    gumbel = scipy.stats.gumbel_r()
    np.testing.assert_allclose(softmax_bank.noise_pick_probs(gumbel, z), scipy.special.softmax(z), atol=1e-6)
    rng = np.random.default_rng(11)
    n = 400_000
    for noise, draw, pick in [
        (scipy.stats.norm(), rng.normal, np.argmax),
        (scipy.stats.expon(), rng.exponential, np.argmax),
        (gumbel, rng.gumbel, np.argmin),
    ]:
        probs = softmax_bank.noise_pick_probs(noise, z, "max" if pick is np.argmax else "min")
        counts = np.bincount(pick(z + draw(size=(n, len(z))), axis=-1), minlength=len(z))
        assert probs.sum() == pytest.approx(1.0, abs=1e-5)
        assert scipy.stats.chisquare(counts, n * probs / probs.sum()).pvalue > 1e-4


# --------------------------------------------------------------------------- high-precision reference
def _softmax_50_digits(z, tau):
    import mpmath

    with mpmath.workdps(50):
        terms = [mpmath.exp(mpmath.mpf(float(x)) / mpmath.mpf(float(tau))) for x in z]
        total = mpmath.fsum(terms)
        return np.array([float(t / total) for t in terms])


@pytest.mark.parametrize("z,tau", [
    (np.array([0.0, -1.0, -700.0, -740.0, -745.0, -800.0]), 1.0),   # through the subnormal range
    (np.random.default_rng(9).uniform(-1e4, 1e4, size=6), 1e-3),    # exponents of size 1e7
    (np.random.default_rng(10).uniform(-800, 0, size=300), 1.0),
    (np.array([1000.0, 1001.0, 1002.0]), 1.0),
])
def test_softmax_against_50_digit_arithmetic(z, tau):
    """The underflows the helper silences cost nothing float64 could represent."""
    ours, ref = softmax(z, tau), _softmax_50_digits(z, tau)
    normal = ref >= np.finfo(np.float64).tiny
    np.testing.assert_allclose(ours[normal], ref[normal], rtol=4 * np.finfo(np.float64).eps, atol=0)
    assert np.all(np.abs(ours[~normal] - ref[~normal]) <= 2 * 5e-324)
