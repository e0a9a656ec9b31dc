"""Tests of helpers.vae against torch.distributions, autograd and closed forms."""

import math

import numpy as np
import pytest
import scipy.special
import torch
from torch.distributions import Independent, Normal, kl_divergence

from helpers.grading import check
from helpers.grading import vae as bank
from helpers.vae import (CouplingFlow, gaussian_kl, gaussian_kl_standard, iwae_bound,
                         reparameterize)



@pytest.fixture(autouse=True)
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _diag(mu, logvar):
    return Independent(Normal(mu, (0.5 * logvar).exp()), 1)


def test_kl_standard_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(7, 5, generator=g), 2 * torch.randn(7, 5, generator=g)
    ref = kl_divergence(_diag(mu, logvar), _diag(torch.zeros(7, 5), torch.zeros(7, 5)))
    assert torch.allclose(gaussian_kl_standard(mu, logvar), ref, rtol=1e-12, atol=1e-12)
    assert gaussian_kl_standard(torch.zeros(3), torch.zeros(3)).item() == 0.0


def test_kl_general_matches_torch_distributions_and_monte_carlo():
    g = torch.Generator().manual_seed(1)
    a, b, c, d = (torch.randn(4, 3, generator=g) for _ in range(4))
    ref = kl_divergence(_diag(a, b), _diag(c, d))
    assert torch.allclose(gaussian_kl(a, b, c, d), ref, rtol=1e-12, atol=1e-12)
    q, p = _diag(a[0], b[0]), _diag(c[0], d[0])
    z = q.sample((200000,))
    mc = (q.log_prob(z) - p.log_prob(z)).mean()
    assert abs(mc - gaussian_kl(a[0], b[0], c[0], d[0])) < 0.05


def test_reparameterize_is_the_gaussian_and_differentiable():
    mu = torch.tensor([1.0, -2.0], requires_grad=True)
    logvar = torch.tensor([0.5, -1.0], requires_grad=True)
    eps = torch.tensor([0.3, -1.2])
    z = reparameterize(mu, logvar, eps)
    assert torch.allclose(z, mu.detach() + torch.tensor(np.exp([0.25, -0.5])) * eps)
    z.sum().backward()
    assert torch.allclose(mu.grad, torch.ones(2))
    assert torch.allclose(logvar.grad, 0.5 * torch.tensor(np.exp([0.25, -0.5])) * eps)


def test_iwae_bound_matches_scipy_and_is_tighter():
    rng = np.random.default_rng(0)
    lw = rng.normal(size=(50, 6)) * 3 - 100
    ref = scipy.special.logsumexp(lw, axis=0) - math.log(50)
    assert np.allclose(iwae_bound(torch.tensor(lw)).numpy(), ref, rtol=0, atol=1e-10)
    assert (iwae_bound(torch.tensor(lw)) >= torch.tensor(lw).mean(0)).all()  # Jensen
    assert torch.allclose(iwae_bound(torch.tensor(lw[:1])), torch.tensor(lw[0]))


def test_flow_log_det_matches_autograd_jacobian_and_inverse():
    torch.manual_seed(0)
    flow = CouplingFlow(dim=2, n_layers=4, hidden=16)
    for p in flow.parameters():      # non-trivial scales and shifts
        torch.nn.init.normal_(p, std=0.5)
    x = torch.randn(5, 2)
    z, log_det = flow(x)
    for i in range(5):
        jac = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], x[i])
        assert abs(torch.linalg.slogdet(jac)[1] - log_det[i]) < 1e-10
    assert torch.allclose(flow.inverse(z), x, atol=1e-10)


def test_flow_density_integrates_to_one():
    torch.manual_seed(1)
    flow = CouplingFlow(dim=2, n_layers=2, hidden=8)
    g = torch.linspace(-12, 12, 601)
    xx, yy = torch.meshgrid(g, g, indexing="ij")
    with torch.no_grad():
        p = flow.log_prob(torch.stack([xx.ravel(), yy.ravel()], 1)).exp()
    assert abs(p.sum().item() * (g[1] - g[0]).item() ** 2 - 1) < 1e-3


@pytest.mark.parametrize("call", [
    lambda: gaussian_kl_standard(torch.zeros(3), torch.zeros(4)),
    lambda: gaussian_kl_standard(torch.tensor(1.0), torch.tensor(0.0)),
    lambda: gaussian_kl_standard(torch.tensor([float("nan")]), torch.zeros(1)),
    lambda: reparameterize(torch.zeros(2), torch.zeros(2), torch.zeros(3)),
    lambda: iwae_bound(torch.zeros(5)),
    lambda: gaussian_kl(torch.zeros(2), torch.zeros(2), torch.zeros(2), torch.zeros(1)),
    lambda: CouplingFlow(dim=1),
    lambda: CouplingFlow(dim=2)(torch.zeros(4, 3)),
    lambda: gaussian_kl_standard("abc", "def"),
])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("q", bank.QUESTIONS, ids=lambda q: q.id)
def test_bank_accepts_its_reference_and_names_each_mistake(q, capsys):
    assert check(q.id, q.reference)
    for wrong, hint in q.mistakes:
        result = check(q.id, wrong)
        assert not result and result.message == hint


def _elbo_via_probabilities(clip):
    def answer(x, logits, mu, logvar):
        x, logits, mu, logvar = (np.asarray(a, dtype=float) for a in (x, logits, mu, logvar))
        p = 1 / (1 + np.exp(-logits))
        if clip:
            p = np.clip(p, 1e-7, 1 - 1e-7)
        kl = 0.5 * np.sum(np.exp(logvar) + mu**2 - 1 - logvar)
        return float(np.sum(x * np.log(p) + (1 - x) * np.log(1 - p)) - kl)
    return answer


def test_bank_names_clipped_probabilities_and_overflow(capsys):
    def elbo_softplus(x, logits, mu, logvar):
        x, logits, mu, logvar = (np.asarray(a, dtype=float) for a in (x, logits, mu, logvar))
        rec = np.sum(-x * np.logaddexp(0, -logits) - (1 - x) * np.logaddexp(0, logits))
        return float(rec - 0.5 * np.sum(np.exp(logvar) + mu**2 - 1 - logvar))

    assert check("vae.bernoulli_elbo", elbo_softplus)
    with np.errstate(all="ignore"):
        clipped = check("vae.bernoulli_elbo", _elbo_via_probabilities(clip=True))
        naive = check("vae.bernoulli_elbo", _elbo_via_probabilities(clip=False))
        iwae_naive = check("vae.iwae", lambda lw: np.log(np.mean(np.exp(np.asarray(lw)), axis=0)))
    assert not clipped and clipped.message == bank._ELBO_CLIPPED
    assert not naive and naive.message == bank._ELBO_OVERFLOW
    assert not iwae_naive and iwae_naive.message == bank._IWAE_OVERFLOW
    assert check("vae.iwae", lambda lw: scipy.special.logsumexp(lw, axis=0) - math.log(len(lw)))
