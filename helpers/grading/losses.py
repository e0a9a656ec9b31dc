"""Auto-graded questions for Chapter 5 (loss functions from information theory).

Each reference is computed independently of ``helpers.losses`` (with SciPy or PyTorch), and
each ``mistakes`` entry models a wrong formula a learner is likely to write, with a hint.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.special
import scipy.stats
import torch
import torch.nn.functional as F
from scipy.special import log_softmax as scipy_log_softmax

from . import CASE_SEED, Question, as_array, grade_answer, matches

def _with_overflow_hint(q: Question, risky: set[int], overflow_hint: str, clipped_hint: str) -> None:
    """Give ``q`` a grade that names the numerical mistake when the answer is right on every
    case except some of those with huge logits (``risky`` indices): NaN or inf there means an
    overflow, a finite wrong value means probabilities clipped or rounded before the log."""
    plain = dataclasses.replace(q, grade=None)  # the engine's own comparison and hints

    def grade(answer):
        if callable(answer):
            args_list = q.cases(np.random.default_rng(CASE_SEED))
            with np.errstate(all="ignore"):
                try:
                    gots = [as_array(answer(*(np.array(a, copy=True) for a in args))) for args in args_list]
                except Exception:  # noqa: BLE001 - the engine reports the exception below
                    gots = None
            if gots is not None and all(g is not None for g in gots):
                wants = [np.asarray(q.reference(*args), dtype=float) for args in args_list]
                wrong = {i for i, (g, w) in enumerate(zip(gots, wants)) if not matches(g, w, q)}
                if wrong and wrong <= risky:
                    if any(not np.all(np.isfinite(gots[i])) for i in wrong):
                        return False, overflow_hint
                    return False, clipped_hint
        status, message = grade_answer(plain, answer)
        return status == "passed", message

    q.grade = grade


# --------------------------------------------------------------------------- losses.cross_entropy
def _ce_ref(logits, labels):
    return F.cross_entropy(torch.tensor(np.asarray(logits, dtype=float)),
                           torch.tensor(np.asarray(labels))).item()


def _ce_cases(rng):
    return [
        (rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)),
        (3 * rng.normal(size=(8, 10)), rng.integers(0, 10, size=8)),
        (np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 5.0]]), np.array([2, 0])),
        (np.array([[2.0, 1.0, 0.1]]), np.array([0])),
        (rng.normal(size=(1, 3)) - 800.0, np.array([1])),
    ]


def _ce_naive(logits, labels):
    z = np.asarray(logits, dtype=float)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return float(np.mean(-np.log(p[np.arange(len(labels)), labels])))


def _ce_sum(logits, labels):
    lp = scipy_log_softmax(np.asarray(logits, dtype=float), axis=1)
    return float(np.sum(-lp[np.arange(len(labels)), labels]))


def _ce_bits(logits, labels):
    return _ce_ref(logits, labels) / np.log(2)


def _ce_no_log(logits, labels):
    z = np.asarray(logits, dtype=float)
    p = scipy.special.softmax(z, axis=1)
    return float(np.mean(1 - p[np.arange(len(labels)), labels]))


def _ce_wrong_sign(logits, labels):
    return -_ce_ref(logits, labels)


_ce_q = Question(
    id="losses.cross_entropy",
    chapter=5,
    prompt="Write cross_entropy(logits, labels): mean over the batch of -log softmax(logits)[label], stable",
    reference=_ce_ref,
    cases=_ce_cases,
    mistakes=[
        (_ce_sum, "you summed over the batch; the loss is the mean over the N examples"),
        (_ce_bits, "this is in bits: use the natural logarithm (nats)"),
        (_ce_no_log, "you forgot the logarithm: the loss is -log p of the true class"),
        (_ce_wrong_sign, "wrong sign: the loss is minus the log-probability, so it is >= 0"),
    ],
    rtol=1e-8,
    atol=1e-10,
    units=False,
)


# --------------------------------------------------------------------------- losses.bce
def _bce_ref(logits, targets):
    return F.binary_cross_entropy_with_logits(torch.tensor(np.asarray(logits, dtype=float)),
                                              torch.tensor(np.asarray(targets, dtype=float))).item()


def _bce_cases(rng):
    return [
        (rng.normal(size=6), rng.integers(0, 2, size=6).astype(float)),
        (4 * rng.normal(size=10), rng.uniform(size=10)),
        (np.array([1000.0, -1000.0, 50.0, -50.0]), np.array([0.0, 1.0, 1.0, 0.0])),
        (np.array([0.0]), np.array([0.5])),
    ]


def _bce_naive(logits, targets):
    x = np.asarray(logits, dtype=float)
    t = np.asarray(targets, dtype=float)
    p = 1 / (1 + np.exp(-x))
    return float(np.mean(-t * np.log(p) - (1 - t) * np.log(1 - p)))


def _bce_swapped(logits, targets):
    x = np.asarray(logits, dtype=float)
    t = np.asarray(targets, dtype=float)
    return _bce_ref(x, 1 - t)


def _bce_sum(logits, targets):
    return _bce_ref(logits, targets) * len(np.asarray(logits))


_bce_q = Question(
    id="losses.bce_with_logits",
    chapter=5,
    prompt="Write bce_with_logits(logits, targets): mean binary cross-entropy of sigmoid(logits), stable",
    reference=_bce_ref,
    cases=_bce_cases,
    mistakes=[
        (_bce_swapped, "the targets are swapped: t multiplies -log sigmoid(x), 1 - t multiplies -log(1 - sigmoid(x))"),
        (_bce_sum, "you summed; the loss is the mean over the elements"),
    ],
    rtol=1e-8,
    atol=1e-10,
)


# --------------------------------------------------------------------------- losses.perplexity
def _ppl_ref(log_probs):
    return float(np.exp(-np.mean(np.asarray(log_probs, dtype=float))))


def _ppl_cases(rng):
    return [
        (np.log(rng.uniform(0.01, 1, size=20)),),
        (np.full(7, -np.log(29.0)),),
        (np.log(rng.uniform(0.2, 1, size=5)),),
    ]


def _ppl_sum(log_probs):
    return float(np.exp(-np.sum(np.asarray(log_probs, dtype=float))))


def _ppl_base2(log_probs):
    return float(2 ** (-np.mean(np.asarray(log_probs, dtype=float))))


def _ppl_exp_of_bits(log_probs):
    return float(np.exp(-np.mean(np.asarray(log_probs, dtype=float)) / np.log(2)))


def _ppl_no_exp(log_probs):
    return float(-np.mean(np.asarray(log_probs, dtype=float)))


def _ppl_sign(log_probs):
    return float(np.exp(np.mean(np.asarray(log_probs, dtype=float))))


_ppl_q = Question(
    id="losses.perplexity",
    chapter=5,
    prompt="Write perplexity(log_probs): exp of the mean negative log-probability of the tokens",
    reference=_ppl_ref,
    cases=_ppl_cases,
    mistakes=[
        (_ppl_sum, "you used the sum over tokens; perplexity uses the mean per-token NLL"),
        (_ppl_base2, "the log-probabilities are natural logs: use exp, not 2 ** (...)"),
        (_ppl_exp_of_bits, "you took exp of the NLL in bits: use exp of the NLL in nats, or 2 ** (NLL in bits)"),
        (_ppl_no_exp, "this is the mean NLL; perplexity is its exponential"),
        (_ppl_sign, "the sign is wrong: log-probabilities are <= 0, so take exp(-mean(log_probs))"),
    ],
    rtol=1e-8,
    units=False,
)


# --------------------------------------------------------------------------- losses.gaussian_nll
def _gnll_ref(y, mean, var):
    return float(-np.mean(scipy.stats.norm(mean, np.sqrt(var)).logpdf(y)))


def _gnll_cases(rng):
    return [
        (rng.normal(size=10), rng.normal(size=10), rng.uniform(0.1, 3, size=10)),
        (rng.normal(size=5), np.zeros(5), np.full(5, 1.0)),
        (3 * rng.normal(size=8), rng.normal(size=8), rng.uniform(0.01, 0.1, size=8)),
    ]


def _gnll_no_2pi(y, mean, var):
    return _gnll_ref(y, mean, var) - 0.5 * np.log(2 * np.pi)


def _gnll_std(y, mean, var):
    return _gnll_ref(y, mean, np.asarray(var) ** 2)


def _gnll_no_half(y, mean, var):
    return 2 * _gnll_ref(y, mean, var)


def _gnll_half_on_log_only(y, mean, var):
    y, mean, var = (np.asarray(a, dtype=float) for a in (y, mean, var))
    return float(np.mean(0.5 * np.log(2 * np.pi * var) + (y - mean) ** 2 / var))


def _gnll_sum(y, mean, var):
    return _gnll_ref(y, mean, var) * len(np.asarray(y))


def _gnll_no_logvar(y, mean, var):
    y, mean, var = (np.asarray(a, dtype=float) for a in (y, mean, var))
    return float(np.mean(0.5 * (np.log(2 * np.pi) + (y - mean) ** 2 / var)))


_gnll_q = Question(
    id="losses.gaussian_nll",
    chapter=5,
    prompt="Write gaussian_nll(y, mean, var): mean of 0.5 [log(2 pi var) + (y - mean)^2 / var]",
    reference=_gnll_ref,
    cases=_gnll_cases,
    mistakes=[
        (_gnll_no_2pi, "the log(2 pi) term is missing: it is 0.5 log(2 pi var), not 0.5 log(var)"),
        (_gnll_std, "var is a variance: you treated it as a standard deviation (squared it)"),
        (_gnll_no_half, "the factor 1/2 is missing"),
        (_gnll_half_on_log_only, "the 1/2 multiplies both terms: 0.5 (y - mean)^2 / var, not (y - mean)^2 / var"),
        (_gnll_sum, "you summed; return the mean over the elements"),
        (_gnll_no_logvar, "the log(var) term is missing: the normalizer of the density depends on var"),
    ],
    rtol=1e-8,
)


# --------------------------------------------------------------------------- losses.kl_gaussian
def _klg_ref(mu_q, var_q, mu_p, var_p):
    q = torch.distributions.Normal(torch.tensor(np.asarray(mu_q, dtype=float)),
                                   torch.tensor(np.sqrt(np.asarray(var_q, dtype=float))))
    p = torch.distributions.Normal(torch.tensor(np.asarray(mu_p, dtype=float)),
                                   torch.tensor(np.sqrt(np.asarray(var_p, dtype=float))))
    return torch.distributions.kl_divergence(q, p).numpy()


def _klg_cases(rng):
    return [
        (rng.normal(size=6), rng.uniform(0.2, 3, size=6), rng.normal(size=6), rng.uniform(0.2, 3, size=6)),
        (np.array([0.0]), np.array([1.0]), np.array([1.0]), np.array([1.0])),
        (rng.normal(size=4), rng.uniform(0.1, 0.5, size=4), rng.normal(size=4), rng.uniform(2, 5, size=4)),
    ]


def _klg_swapped(mu_q, var_q, mu_p, var_p):
    return _klg_ref(mu_p, var_p, mu_q, var_q)


def _klg_std(mu_q, var_q, mu_p, var_p):
    return _klg_ref(mu_q, np.asarray(var_q) ** 2, mu_p, np.asarray(var_p) ** 2)


def _klg_no_half(mu_q, var_q, mu_p, var_p):
    return 2 * _klg_ref(mu_q, var_q, mu_p, var_p)


def _klg_log_ratio_inverted(mu_q, var_q, mu_p, var_p):
    mu_q, var_q, mu_p, var_p = (np.asarray(a, dtype=float) for a in (mu_q, var_q, mu_p, var_p))
    return 0.5 * (np.log(var_q / var_p) + (var_q + (mu_q - mu_p) ** 2) / var_p - 1)


def _klg_no_minus_one(mu_q, var_q, mu_p, var_p):
    return _klg_ref(mu_q, var_q, mu_p, var_p) + 0.5


_klg_q = Question(
    id="losses.kl_gaussian",
    chapter=5,
    prompt="Write kl_gaussian(mu_q, var_q, mu_p, var_p): elementwise KL(N(mu_q, var_q) || N(mu_p, var_p))",
    reference=_klg_ref,
    cases=_klg_cases,
    mistakes=[
        (_klg_swapped, "the arguments are swapped: you computed KL(p || q); the KL is an expectation over q"),
        (_klg_std, "var_q and var_p are variances: you treated them as standard deviations"),
        (_klg_no_half, "the factor 1/2 in front of the bracket is missing"),
        (_klg_log_ratio_inverted, "the log ratio is upside down: inside the bracket it is log(var_p / var_q), the log of p's variance over q's"),
        (_klg_no_minus_one, "the -1 inside the bracket is missing: KL(q || q) must be 0"),
    ],
    rtol=1e-8,
    atol=1e-12,
)

_CE_OVERFLOW = ("NaN or inf only for logits such as [1000, 0, -1000]: the softmax overflowed or "
                "underflowed to 0 before the log; use log-softmax, z - max - log sum exp(z - max)")
_BCE_OVERFLOW = ("inf or NaN only for logits such as +-1000: log(sigmoid(x)) underflowed; use "
                 "max(x, 0) - x*t + log1p(exp(-|x|))")
_CE_CLIPPED = ("wrong only for logits such as [1000, 0, -1000]: probabilities clipped or rounded "
               "before the log (e.g. np.clip(p, 1e-12, 1)) cap the loss; compute log-softmax directly")
_BCE_CLIPPED = ("wrong only for logits such as +-1000: clipping sigmoid(x) before the log caps the "
                "loss; use max(x, 0) - x*t + log1p(exp(-|x|))")
_with_overflow_hint(_ce_q, {2, 4}, _CE_OVERFLOW, _CE_CLIPPED)
_with_overflow_hint(_bce_q, {2}, _BCE_OVERFLOW, _BCE_CLIPPED)


QUESTIONS = [_ce_q, _bce_q, _ppl_q, _gnll_q, _klg_q]
