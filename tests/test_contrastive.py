"""Tests of helpers.contrastive against direct formulas written independently (float64)."""

import math

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F

from helpers.contrastive import (
    alignment,
    contrastive_margin_loss,
    gaussian_mi,
    info_nce_loss,
    infonce_mi_estimate,
    nt_xent_loss,
    triplet_loss,
    uniformity,
)

torch.set_default_dtype(torch.float64)


def g(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_info_nce_matches_loop_formula():
    q, p, n, tau = g(4, 3), g(4, 3, seed=1), g(4, 5, 3, seed=2), 0.3
    want = 0.0
    for b in range(4):
        s = [float(q[b] @ p[b]) / tau] + [float(q[b] @ n[b, k]) / tau for k in range(5)]
        want += -(s[0] - scipy.special.logsumexp(s))
    assert info_nce_loss(q, p, n, tau).item() == pytest.approx(want / 4, rel=1e-12)


def test_info_nce_gradient_matches_closed_form():
    # d L / d s_j = (softmax(s)_j - [j == 0]) / (B tau) with s the similarities
    q, p, n, tau = g(2, 3), g(2, 3, seed=1), g(2, 4, 3, seed=2), 0.5
    q.requires_grad_(True)
    info_nce_loss(q, p, n, tau).backward()
    cand = torch.cat([p[:, None], n], dim=1)
    s = torch.einsum("bd,bkd->bk", q.detach(), cand) / tau
    w = torch.softmax(s, 1) - F.one_hot(torch.tensor(0), 5)
    want = torch.einsum("bk,bkd->bd", w, cand) / (2 * tau)
    assert torch.allclose(q.grad, want, atol=1e-12)


def test_nt_xent_matches_per_anchor_loop():
    z1, z2, tau = g(5, 4), g(5, 4, seed=1), 0.2
    z = torch.cat([z1, z2]) / torch.cat([z1, z2]).norm(dim=1, keepdim=True)
    total = 0.0
    for i in range(10):
        j = (i + 5) % 10
        logits = [float(z[i] @ z[k]) / tau for k in range(10) if k != i]
        pos = float(z[i] @ z[j]) / tau
        total += scipy.special.logsumexp(logits) - pos
    assert nt_xent_loss(z1, z2, tau).item() == pytest.approx(total / 10, rel=1e-12)


def test_nt_xent_scale_invariant_and_identical_views():
    z1 = g(6, 3)
    assert nt_xent_loss(3 * z1, z1).item() == pytest.approx(nt_xent_loss(z1, z1).item(), rel=1e-12)


def test_margin_loss_direct_and_sklearn_free():
    a, b = g(6, 2), g(6, 2, seed=1)
    y = torch.tensor([1, 0, 1, 0, 0, 1])
    d = np.sqrt(((a - b).numpy() ** 2).sum(1))
    want = np.sum(np.where(y.numpy() == 1, d**2, np.maximum(1.5 - d, 0) ** 2)) / 12
    assert contrastive_margin_loss(a, b, y, 1.5).item() == pytest.approx(want, rel=1e-12)


def test_triplet_matches_torch():
    a, p, n = g(7, 3), g(7, 3, seed=1), g(7, 3, seed=2)
    want = F.triplet_margin_loss(a, p, n, margin=0.7, eps=0.0)
    assert triplet_loss(a, p, n, 0.7).item() == pytest.approx(want.item(), rel=1e-10)


def test_alignment_uniformity_direct():
    z1, z2 = g(8, 3), g(8, 3, seed=1)
    want_a = np.mean(np.linalg.norm((z1 - z2).numpy(), axis=1) ** 3)
    assert alignment(z1, z2, alpha=3).item() == pytest.approx(want_a, rel=1e-12)
    zz = z1.numpy()
    vals = [np.exp(-2 * np.sum((zz[i] - zz[j]) ** 2)) for i in range(8) for j in range(i + 1, 8)]
    assert uniformity(z1).item() == pytest.approx(np.log(np.mean(vals)), rel=1e-12)


def test_uniformity_on_circle_closed_form():
    # uniform on the unit circle: E exp(-2||u-v||^2) = e^{-4} I_0(4)
    th = torch.linspace(0, 2 * math.pi, 2001)[:-1]
    z = torch.stack([th.cos(), th.sin()], 1)
    assert uniformity(z).item() == pytest.approx(-4 + math.log(scipy.special.i0(4)), abs=2e-3)


def test_mi_estimate_bounded_and_gaussian_mi():
    s = g(10, 8) * 20
    assert infonce_mi_estimate(s).item() <= math.log(8) + 1e-12
    assert gaussian_mi(0.99, 10) == pytest.approx(-5 * math.log(1 - 0.99**2))
    x = np.random.default_rng(0).multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], 200000)
    # MI of a bivariate normal from its entropies (SciPy)
    hx = scipy.stats.norm.entropy()
    hxy = scipy.stats.multivariate_normal(cov=[[1, 0.6], [0.6, 1]]).entropy()
    assert gaussian_mi(0.6, 1) == pytest.approx(2 * hx - hxy, rel=1e-12)


@pytest.mark.parametrize("call", [
    lambda: info_nce_loss(np.zeros((2, 3)), g(2, 3), g(2, 4, 3)),
    lambda: info_nce_loss(g(2, 3), g(2, 3), g(2, 3)),
    lambda: info_nce_loss(g(2, 3), g(3, 3), g(2, 4, 3)),
    lambda: info_nce_loss(g(2, 3), g(2, 3), g(2, 4, 3), temperature=0.0),
    lambda: nt_xent_loss(g(2, 3), g(3, 3)),
    lambda: nt_xent_loss(g(1, 3), g(1, 3)),
    lambda: contrastive_margin_loss(g(2, 3), g(2, 3), torch.tensor([0, 2])),
    lambda: contrastive_margin_loss(g(2, 3), g(2, 3), torch.tensor([0, 1, 1])),
    lambda: alignment(g(2, 3), g(2, 4)),
    lambda: uniformity(g(1, 3)),
    lambda: gaussian_mi(1.0, 3),
])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


# ----------------------------------------------------------------------- the grading bank
from scipy.special import logsumexp  # noqa: E402

from helpers.grading import _registry, grade_answer  # noqa: E402


def _grade(qid, fn):
    return grade_answer(_registry()[qid], fn)


def test_bank_hint_positive_not_first():
    def wrong(q, p, n, t):
        pos = np.sum(q * p, 1, keepdims=True)
        logits = np.concatenate([np.einsum("bd,bkd->bk", q, n), pos], 1) / t
        return float(np.mean(logsumexp(logits, 1) - logits[:, 0]))
    status, msg = _grade("contrastive.info_nce", wrong)
    assert status == "failed" and "index 0" in msg


def test_bank_hint_self_similarity_and_normalisation():
    def no_mask(z1, z2, tau):
        z = np.concatenate([z1, z2])
        z = z / np.linalg.norm(z, axis=1, keepdims=True)
        n = len(z1)
        s = z @ z.T / tau
        p = np.concatenate([np.arange(n, 2 * n), np.arange(n)])
        return float(np.mean(logsumexp(s, 1) - s[np.arange(2 * n), p]))

    def no_norm(z1, z2, tau):
        z = np.concatenate([z1, z2])
        n = len(z1)
        s = z @ z.T / tau
        np.fill_diagonal(s, -np.inf)
        p = np.concatenate([np.arange(n, 2 * n), np.arange(n)])
        return float(np.mean(logsumexp(s, 1) - s[np.arange(2 * n), p]))

    status, msg = _grade("contrastive.nt_xent", no_mask)
    assert status == "failed" and "masked" in msg
    status, msg = _grade("contrastive.nt_xent", no_norm)
    assert status == "failed" and "normalise" in msg


def test_bank_accepts_helpers_formula_through_torch():
    def via_torch(z1, z2, tau):
        return nt_xent_loss(torch.tensor(z1), torch.tensor(z2), tau).item()
    assert _grade("contrastive.nt_xent", via_torch)[0] == "passed"

    def tau_twice(q, p, n, t):
        return info_nce_loss(torch.tensor(q), torch.tensor(p), torch.tensor(n), t * t).item()
    status, msg = _grade("contrastive.info_nce", tau_twice)
    assert status == "failed" and "twice" in msg
