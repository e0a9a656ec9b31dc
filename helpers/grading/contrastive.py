"""Auto-graded questions for Chapter 6 (contrastive learning).

Each reference is computed independently of ``helpers.contrastive`` (NumPy and SciPy, row by
row), and each ``mistakes`` entry models a wrong formula a learner is likely to write, with a
hint: the positive not at index 0, the self-similarity not masked, cosine similarity without
normalising, the temperature applied twice, and the like.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from . import Question


def _f(x):
    return np.asarray(x, dtype=float)


# --------------------------------------------------------------------------- contrastive.info_nce
def _infonce_general(query, positive, negatives, tau, pos_last=False, tau_power=1, include_pos=True,
                     reduce=np.mean):
    q, p, n = _f(query), _f(positive), _f(negatives)
    losses = []
    for b in range(len(q)):
        pos = q[b] @ p[b] / tau**tau_power
        neg = n[b] @ q[b] / tau**tau_power
        if pos_last:   # logits [negatives..., positive] with target 0: a negative is scored
            losses.append(logsumexp(np.concatenate([[pos], neg])) - neg[0])
        else:
            cands = np.concatenate([[pos], neg]) if include_pos else neg
            losses.append(logsumexp(cands) - pos)
    return float(reduce(losses))


def _infonce_ref(query, positive, negatives, tau):
    return _infonce_general(query, positive, negatives, tau)


def _infonce_cases(rng):
    return [
        (rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 5, 3)), 0.5),
        (rng.normal(size=(6, 8)), rng.normal(size=(6, 8)), rng.normal(size=(6, 2, 8)), 0.07),
        (rng.normal(size=(1, 2)), rng.normal(size=(1, 2)), rng.normal(size=(1, 1, 2)), 1.0),
        (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 7, 4)), 2.0),
    ]


_infonce_q = Question(
    id="contrastive.info_nce",
    chapter=6,
    prompt="Write info_nce_loss(query, positive, negatives, tau): mean cross-entropy of the positive (index 0) among K+1 dot-product logits / tau",
    reference=_infonce_ref,
    cases=_infonce_cases,
    mistakes=[
        (lambda q, p, n, t: _infonce_general(q, p, n, t, pos_last=True),
         "the target index 0 points at a negative: put the positive first in the logits (index 0), then the K negatives"),
        (lambda q, p, n, t: _infonce_general(q, p, n, t, tau_power=2),
         "the temperature is applied twice: divide the similarities by tau once"),
        (lambda q, p, n, t: _infonce_general(q, p, n, t, tau_power=0),
         "the temperature is missing: divide the similarities by tau"),
        (lambda q, p, n, t: _infonce_general(q, p, n, t, include_pos=False),
         "the positive must also be in the denominator: the softmax runs over all K+1 candidates"),
        (lambda q, p, n, t: _infonce_general(q, p, n, t, reduce=np.sum),
         "you summed over the batch; return the mean over the B queries"),
    ],
    rtol=1e-6,
    atol=1e-9,
    units=False,
)


# --------------------------------------------------------------------------- contrastive.nt_xent
def _ntxent_general(z1, z2, tau, normalize=True, mask=True, tau_power=1, one_side=False):
    z = np.concatenate([_f(z1), _f(z2)])
    if normalize:
        z = z / np.linalg.norm(z, axis=1, keepdims=True)
    n = len(z1)
    losses = []
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        s = z @ z[i] / tau**tau_power
        others = np.delete(s, i) if mask else s
        losses.append(logsumexp(others) - s[j])
    return float(np.mean(losses[:n] if one_side else losses))


def _ntxent_ref(z1, z2, tau):
    return _ntxent_general(z1, z2, tau)


def _ntxent_cases(rng):
    return [
        (rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), 0.5),
        (3 * rng.normal(size=(6, 5)), rng.normal(size=(6, 5)), 0.1),
        (rng.normal(size=(2, 2)), rng.normal(size=(2, 2)), 1.0),
        (rng.normal(size=(8, 4)), 0.5 * rng.normal(size=(8, 4)), 0.2),
    ]


_ntxent_q = Question(
    id="contrastive.nt_xent",
    chapter=6,
    prompt="Write nt_xent_loss(z1, z2, tau): the SimCLR loss over the 2N views, cosine similarity, self-pairs excluded",
    reference=_ntxent_ref,
    cases=_ntxent_cases,
    mistakes=[
        (lambda a, b, t: _ntxent_general(a, b, t, mask=False),
         "the self-similarity is not masked: exclude each view's similarity with itself (set it to -inf)"),
        (lambda a, b, t: _ntxent_general(a, b, t, normalize=False),
         "cosine similarity needs unit vectors: normalise the rows of z1 and z2 before the dot products"),
        (lambda a, b, t: _ntxent_general(a, b, t, tau_power=2),
         "the temperature is applied twice: divide the cosine similarities by tau once"),
        (lambda a, b, t: _ntxent_general(a, b, t, tau_power=0),
         "the temperature is missing: divide the cosine similarities by tau"),
        (lambda a, b, t: _ntxent_general(a, b, t, one_side=True),
         "average over all 2N anchors: the views of z2 are anchors too"),
    ],
    rtol=1e-6,
    atol=1e-9,
    units=False,
)


# --------------------------------------------------------------------------- contrastive.margin
def _margin_general(a, b, y, m, half=True, square_hinge=True, swap=False):
    d = np.sqrt(((_f(a) - _f(b)) ** 2).sum(axis=1))
    y = _f(y)
    if swap:
        y = 1 - y
    hinge = np.maximum(m - d, 0)
    terms = y * d**2 + (1 - y) * (hinge**2 if square_hinge else hinge)
    return float(terms.sum() / (2 * len(d) if half else len(d)))


def _margin_ref(a, b, y, m):
    return _margin_general(a, b, y, m)


def _margin_cases(rng):
    return [
        (rng.normal(size=(6, 2)), rng.normal(size=(6, 2)), np.array([1, 0, 1, 0, 0, 1]), 1.0),
        (0.3 * rng.normal(size=(5, 4)), 0.3 * rng.normal(size=(5, 4)), np.array([0, 0, 1, 0, 1]), 2.0),
        (rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), np.array([0, 0, 0, 0]), 3.0),
    ]


_margin_q = Question(
    id="contrastive.margin",
    chapter=6,
    prompt="Write contrastive_margin_loss(a, b, y, margin): 1/(2N) sum [y d^2 + (1 - y) max(margin - d, 0)^2]",
    reference=_margin_ref,
    cases=_margin_cases,
    mistakes=[
        (lambda a, b, y, m: _margin_general(a, b, y, m, half=False),
         "the loss has a factor 1/(2N), not 1/N"),
        (lambda a, b, y, m: _margin_general(a, b, y, m, square_hinge=False),
         "square the hinge: the dissimilar term is max(margin - d, 0)**2"),
        (lambda a, b, y, m: _margin_general(a, b, y, m, swap=True),
         "y = 1 means similar: similar pairs pay d**2, dissimilar pairs pay the hinge"),
    ],
    rtol=1e-6,
    atol=1e-9,
    units=False,
)


# --------------------------------------------------------------------------- alignment, uniformity
def _align_ref(z1, z2, alpha):
    return float(np.mean(np.linalg.norm(_f(z1) - _f(z2), axis=1) ** alpha))


def _align_cases(rng):
    return [(rng.normal(size=(6, 3)), rng.normal(size=(6, 3)), 2),
            (rng.normal(size=(4, 5)), rng.normal(size=(4, 5)), 1),
            (rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), 3)]


_align_q = Question(
    id="contrastive.alignment",
    chapter=6,
    prompt="Write alignment(z1, z2, alpha): the mean over rows of ||z1_i - z2_i|| ** alpha",
    reference=_align_ref,
    cases=_align_cases,
    mistakes=[
        (lambda a, b, al: float(np.mean(np.linalg.norm(_f(a) - _f(b), axis=1) ** 2)),
         "use the exponent alpha, not always 2"),
        (lambda a, b, al: float(np.mean(np.linalg.norm(_f(a) - _f(b), axis=1))),
         "raise each distance to the power alpha"),
        (lambda a, b, al: float(np.mean(np.abs(_f(a) - _f(b)) ** al)),
         "take the Euclidean norm of each row difference, then the power alpha"),
    ],
    units=False,
)


def _uniform_general(z, t, diag=False, log=True, t_used=True):
    z = _f(z)
    sq = ((z[:, None] - z[None]) ** 2).sum(-1)
    i, j = np.triu_indices(len(z), k=0 if diag else 1)
    vals = -(t if t_used else 2) * sq[i, j]
    return float(logsumexp(vals) - np.log(len(vals)) if log else np.mean(np.exp(vals)))


def _uniform_ref(z, t):
    return _uniform_general(z, t)


def _uniform_cases(rng):
    return [(rng.normal(size=(6, 3)), 2), (0.3 * rng.normal(size=(5, 4)), 1),
            (rng.normal(size=(8, 2)), 3)]


_uniform_q = Question(
    id="contrastive.uniformity",
    chapter=6,
    prompt="Write uniformity(z, t): log of the mean over pairs i < j of exp(-t ||z_i - z_j||^2)",
    reference=_uniform_ref,
    cases=_uniform_cases,
    mistakes=[
        (lambda z, t: _uniform_general(z, t, diag=True),
         "only pairs i < j: a row paired with itself (distance 0) must not be in the mean"),
        (lambda z, t: _uniform_general(z, t, log=False),
         "take the logarithm of the mean"),
        (lambda z, t: _uniform_general(z, t, t_used=False),
         "use the parameter t in exp(-t ||z_i - z_j||^2)"),
    ],
    units=False,
)


# --------------------------------------------------------------------------- contrastive.mi_estimate
def _mi_ref(scores):
    s = _f(scores)
    return float(np.log(s.shape[1]) - np.mean(logsumexp(s, axis=1) - s[:, 0]))


def _mi_cases(rng):
    return [(rng.normal(size=(5, 4)),), (3 * rng.normal(size=(10, 9)),),
            (rng.normal(size=(3, 2)) + np.array([5.0, 0.0]),)]


def _mi_no_log_k(scores):
    s = _f(scores)
    return float(-np.mean(logsumexp(s, axis=1) - s[:, 0]))


def _mi_log_k(scores):
    return _mi_ref(scores) - np.log(_f(scores).shape[1]) + np.log(_f(scores).shape[1] - 1)


def _mi_pos_last(scores):
    s = _f(scores)
    return float(np.log(s.shape[1]) - np.mean(logsumexp(s, axis=1) - s[:, -1]))


_mi_q = Question(
    id="contrastive.mi_estimate",
    chapter=6,
    prompt="Write infonce_mi_estimate(scores): log(K+1) - InfoNCE from critic scores (B, K+1), positive in column 0",
    reference=_mi_ref,
    cases=_mi_cases,
    mistakes=[
        (_mi_no_log_k, "this is minus the loss; the estimate is log(K+1) minus the loss"),
        (_mi_log_k, "there are K+1 candidates (K = scores.shape[1] - 1): use log(K+1), not log K"),
        (_mi_pos_last, "the positive is column 0 of the scores"),
    ],
    rtol=1e-6,
    atol=1e-9,
)

QUESTIONS = [_infonce_q, _ntxent_q, _margin_q, _align_q, _uniform_q, _mi_q]
