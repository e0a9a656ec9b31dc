"""Auto-graded questions for Chapter 7 (variational autoencoders and normalizing flows).

Each reference is computed independently of ``helpers.vae`` (with torch.distributions, SciPy
or autograd), and each ``mistakes`` entry models a wrong formula a learner is likely to write.
"""

from __future__ import annotations

import numpy as np
import scipy.special
import torch
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

from . import CASE_SEED, Question, as_array, matches
from .losses import _with_overflow_hint


def _t(a):
    return torch.tensor(np.asarray(a, dtype=float))


# --------------------------------------------------------------------------- vae.reparameterize
def _rep_ref(mu, logvar, eps):
    return Normal(_t(mu), (0.5 * _t(logvar)).exp()).icdf(
        Normal(0.0, 1.0).cdf(_t(eps))).numpy()


def _rep_cases(rng):
    return [tuple(rng.normal(size=(4, 3)) for _ in range(3)),
            (rng.normal(size=5), rng.normal(size=5) - 2, rng.normal(size=5)),
            (np.zeros(2), np.array([1.0, -1.0]), np.array([0.5, -0.5]))]


_rep_q = Question(
    id="vae.reparameterize",
    chapter=7,
    prompt="Write reparameterize(mu, logvar, eps): the sample mu + sigma * eps, with logvar = log sigma^2",
    reference=_rep_ref,
    cases=_rep_cases,
    mistakes=[
        (lambda m, lv, e: m + np.exp(lv) * e,
         "you used exp(logvar) = sigma^2 as the scale; sigma = exp(logvar / 2)"),
        (lambda m, lv, e: m + lv * e, "logvar is log sigma^2, not sigma: use exp(logvar / 2)"),
        (lambda m, lv, e: m + np.sqrt(np.abs(lv)) * e,
         "logvar is a logarithm: the scale is exp(logvar / 2), not sqrt(logvar)"),
    ],
    rtol=1e-6, atol=1e-8, units=False,
)


# --------------------------------------------------------------------------- vae.kl_standard
def _kl_ref(mu, logvar):
    mu, logvar = _t(mu), _t(logvar)
    q = Independent(Normal(mu, (0.5 * logvar).exp()), 1)
    p = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    return kl_divergence(q, p).numpy()


def _kl_cases(rng):
    return [(rng.normal(size=(5, 4)), rng.normal(size=(5, 4))),
            (rng.normal(size=(2, 8)) * 3, rng.normal(size=(2, 8)) - 3),
            (np.zeros((1, 3)), np.zeros((1, 3)))]


def _kl_half(mu, lv):
    return 0.5 * np.sum(np.exp(lv) + mu**2 - 1 - lv, axis=-1)


_kl_q = Question(
    id="vae.kl_standard",
    chapter=7,
    prompt="Write kl_standard(mu, logvar): KL(N(mu, diag exp(logvar)) || N(0, I)), summed over the last axis",
    reference=_kl_ref,
    cases=_kl_cases,
    mistakes=[
        (lambda m, lv: -_kl_half(m, lv), "wrong sign: a KL divergence is >= 0"),
        (lambda m, lv: 0.5 * np.mean(np.exp(lv) + m**2 - 1 - lv, axis=-1),
         "you averaged over the latent dimensions; the KL of independent coordinates is their sum"),
        (lambda m, lv: 0.5 * np.sum(lv**2 + m**2 - 1 - np.log(lv**2 + 1e-300), axis=-1),
         "you treated logvar as sigma; sigma^2 = exp(logvar)"),
        (lambda m, lv: np.sum(np.exp(lv) + m**2 - 1 - lv, axis=-1),
         "missing the factor 1/2 in front of the sum"),
    ],
    rtol=1e-6, atol=1e-9,
)


# --------------------------------------------------------------------------- vae.bernoulli_elbo
def _elbo_ref(x, logits, mu, logvar):
    rec = Independent(Bernoulli(logits=_t(logits)), 1).log_prob(_t(x))
    return (rec - torch.tensor(_kl_ref(mu, logvar))).item()


def _elbo_cases(rng):
    cases = []
    for d, k in [(6, 2), (20, 4), (3, 1)]:
        cases.append(((rng.random(d) < 0.5).astype(float), 3 * rng.normal(size=d),
                      rng.normal(size=k), rng.normal(size=k)))
    cases.append((np.array([1.0, 0.0]), np.array([40.0, -40.0]), np.zeros(1), np.zeros(1)))
    return cases


def _rec(x, logits):
    return float(np.sum(x * -np.logaddexp(0, -logits) + (1 - x) * -np.logaddexp(0, logits)))


_elbo_q = Question(
    id="vae.bernoulli_elbo",
    chapter=7,
    prompt="Write bernoulli_elbo(x, logits, mu, logvar): log Bernoulli(x; sigmoid(logits)) summed, minus the KL to N(0, I)",
    reference=_elbo_ref,
    cases=_elbo_cases,
    mistakes=[
        (lambda x, lo, m, lv: _rec(x, lo) + float(_kl_half(m, lv)),
         "KL sign: the ELBO is reconstruction MINUS the KL"),
        (lambda x, lo, m, lv: -_rec(x, lo) + float(_kl_half(m, lv)),
         "this is the negative ELBO (the loss); return the ELBO itself"),
        (lambda x, lo, m, lv: _rec(x, lo) / len(x) - float(_kl_half(m, lv)),
         "you averaged the reconstruction over pixels; log p(x|z) is the sum over pixels"),
        (lambda x, lo, m, lv: _rec(x, lo),
         "you left out the KL term"),
    ],
    rtol=1e-6, atol=1e-8,
)
# Case 3 has logits +-40, where sigmoid(40) rounds to 1 in float64: a correct formula that goes
# through probabilities gives 0 * log(0) = NaN there, and one that clips them (1e-7) is off by
# about 2e-7, far beyond atol, though both are right on the other cases.
_ELBO_OVERFLOW = (
    "NaN or inf only for logits such as +-40: sigmoid(40) rounds to 1, so log(1 - p) is log 0; "
    "compute log sigmoid(l) = -logaddexp(0, -l) and log(1 - sigmoid(l)) = -logaddexp(0, l) "
    "(softplus) from the logits")
_ELBO_CLIPPED = (
    "wrong only for logits such as +-40: clipping the probabilities (e.g. to [1e-7, 1 - 1e-7]) "
    "before the log changes the result there; compute log sigmoid(l) = -logaddexp(0, -l) and "
    "log(1 - sigmoid(l)) = -logaddexp(0, l) (softplus) from the logits, with no clipping")
_with_overflow_hint(_elbo_q, {3}, _ELBO_OVERFLOW, _ELBO_CLIPPED)


# --------------------------------------------------------------------------- vae.iwae
def _iwae_ref(log_w):
    lw = np.asarray(log_w, dtype=float)
    return scipy.special.logsumexp(lw, axis=0) - np.log(lw.shape[0])


def _iwae_cases(rng):
    return [(rng.normal(size=(10, 3)),), (rng.normal(size=(50, 4)) * 5 - 900,),
            (rng.normal(size=(1, 5)),), (rng.normal(size=(200, 2)) + 800,)]


_iwae_q = Question(
    id="vae.iwae",
    chapter=7,
    prompt="Write iwae(log_w): the importance-weighted bound log mean_k exp(log_w[k]) per column, log_w of shape (K, batch)",
    reference=_iwae_ref,
    cases=_iwae_cases,
    mistakes=[
        (lambda lw: scipy.special.logsumexp(np.asarray(lw), axis=0),
         "log-sum-exp without -log K: the bound is the log of the MEAN of the weights"),
        (lambda lw: np.mean(np.asarray(lw), axis=0),
         "this is the mean of the log-weights (the K = 1 ELBO estimate); take log of the mean weight"),
        (lambda lw: scipy.special.logsumexp(np.asarray(lw), axis=1) - np.log(np.shape(lw)[1]),
         "wrong axis: the K samples are along axis 0"),
    ],
    rtol=1e-8, atol=1e-9,
)
# Cases 1 and 3 hold log-weights near -900 and +800, where exp underflows to 0 or overflows to
# inf: log(mean(exp(log_w))) is right on the other cases and -inf or inf there.  The engine's
# generic "contains inf" message would come first, so the bank's own grade names the fix.
_IWAE_OVERFLOW = (
    "exp overflowed or underflowed for log-weights near +800 or -900: subtract the maximum "
    "before exponentiating (log-sum-exp), then subtract log K")
_IWAE_CLIPPED = (
    "wrong only for log-weights near +800 or -900: compute the bound with log-sum-exp "
    "(subtract the maximum before exponentiating), then subtract log K")
_with_overflow_hint(_iwae_q, {1, 3}, _IWAE_OVERFLOW, _IWAE_CLIPPED)


def _with_shape_mistake(q: Question, wrong, hint: str) -> None:
    """Name a known mistake whose result has another shape than the reference's: the engine
    reports a wrong shape before it tries the known mistakes, so check this one first."""
    inner = q.grade

    def grade(answer):
        if callable(answer):
            args_list = q.cases(np.random.default_rng(CASE_SEED))
            with np.errstate(all="ignore"):
                try:
                    gots = [as_array(answer(*(np.array(a, copy=True) for a in args)))
                            for args in args_list]
                    alts = [as_array(wrong(*args)) for args in args_list]
                except Exception:  # noqa: BLE001 - the inner grade reports the exception
                    gots = None
            if gots is not None and all(g is not None and matches(g, a, q)
                                        for g, a in zip(gots, alts)):
                return False, hint
        return inner(answer)

    q.grade = grade


_with_shape_mistake(_iwae_q, *_iwae_q.mistakes[-1])   # the wrong axis: shape (batch,) -> (K,)


# --------------------------------------------------------------------------- vae.coupling_logdet
def _coupling_map(x, mask, W, b):
    mask, W, b = _t(mask), _t(W), _t(b)
    s = torch.tanh((x * mask) @ W + b) * (1 - mask)
    return x * mask + (1 - mask) * x * s.exp()


def _cl_ref(x, mask, W, b):
    out = []
    for row in np.atleast_2d(np.asarray(x, dtype=float)):
        jac = torch.autograd.functional.jacobian(lambda v: _coupling_map(v, mask, W, b), _t(row))
        out.append(torch.linalg.slogdet(jac)[1].item())
    return np.array(out)


def _cl_cases(rng):
    cases = []
    for d in (2, 4, 5):
        mask = (np.arange(d) % 2).astype(float)
        cases.append((rng.normal(size=(3, d)), mask, rng.normal(size=(d, d)), rng.normal(size=d)))
    return cases


def _cl_all(x, mask, W, b):
    return np.tanh((np.asarray(x) * mask) @ W + b).sum(-1)


_cl_q = Question(
    id="vae.coupling_logdet",
    chapter=7,
    prompt="Write coupling_logdet(x, mask, W, b): log|det dz/dx| per row for z = x_a + (1-m)*x*exp(s), s = tanh((x*m) @ W + b)*(1-m)",
    reference=_cl_ref,
    cases=_cl_cases,
    mistakes=[
        (_cl_all, "you summed s over all coordinates: the passed-through ones (mask = 1) add 0"),
        (lambda x, m, W, b: np.exp(np.tanh((np.asarray(x) * m) @ W + b) * (1 - m)).prod(-1),
         "this is the determinant itself; return its logarithm, the sum of the scales"),
        (lambda x, m, W, b: (np.tanh((np.asarray(x) * m) @ W + b) * (1 - m)).mean(-1),
         "you averaged the scales; the log-determinant is their sum"),
    ],
    rtol=1e-7, atol=1e-9, units=False,
)

QUESTIONS = [_rep_q, _kl_q, _elbo_q, _iwae_q, _cl_q]
