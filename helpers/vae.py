"""Variational autoencoders and normalizing flows: the helpers of Chapter 7.

Chapter 7 introduces this module. Every function takes and returns PyTorch tensors and is
differentiable; invalid input raises ``ValueError``.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

__all__ = ["gaussian_kl_standard", "gaussian_kl", "reparameterize", "iwae_bound",
           "AffineCoupling", "CouplingFlow"]


def _as_tensor(x, name):
    if not isinstance(x, torch.Tensor):
        try:
            x = torch.as_tensor(x, dtype=torch.get_default_dtype())
        except (TypeError, ValueError, RuntimeError) as err:
            raise ValueError(f"{name} must be a tensor of numbers, got {type(x).__name__}") from err
    if not torch.is_floating_point(x):
        x = x.to(torch.get_default_dtype())
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the latent dimensions)")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def _same_shape(**tensors):
    shapes = {k: tuple(v.shape) for k, v in tensors.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"shapes must agree, got {shapes}")


def gaussian_kl_standard(mu, logvar):
    """KL(N(mu, diag exp(logvar)) || N(0, I)) in nats, summed over the last axis.

    ``0.5 * sum(exp(logvar) + mu**2 - 1 - logvar)``; ``logvar`` is log sigma^2, not sigma.
    """
    mu, logvar = _as_tensor(mu, "mu"), _as_tensor(logvar, "logvar")
    _same_shape(mu=mu, logvar=logvar)
    return 0.5 * (logvar.exp() + mu.pow(2) - 1.0 - logvar).sum(dim=-1)


def gaussian_kl(mu_q, logvar_q, mu_p, logvar_p):
    """KL(N(mu_q, diag exp(logvar_q)) || N(mu_p, diag exp(logvar_p))), summed over the last axis."""
    mu_q, logvar_q = _as_tensor(mu_q, "mu_q"), _as_tensor(logvar_q, "logvar_q")
    mu_p, logvar_p = _as_tensor(mu_p, "mu_p"), _as_tensor(logvar_p, "logvar_p")
    _same_shape(mu_q=mu_q, logvar_q=logvar_q, mu_p=mu_p, logvar_p=logvar_p)
    ratio = (logvar_q - logvar_p).exp()
    return 0.5 * (ratio + (mu_q - mu_p).pow(2) / logvar_p.exp() - 1.0
                  - (logvar_q - logvar_p)).sum(dim=-1)


def reparameterize(mu, logvar, eps):
    """The reparameterised sample mu + exp(logvar / 2) * eps (eps ~ N(0, I), given)."""
    mu, logvar, eps = (_as_tensor(mu, "mu"), _as_tensor(logvar, "logvar"),
                       _as_tensor(eps, "eps"))
    _same_shape(mu=mu, logvar=logvar, eps=eps)
    return mu + (0.5 * logvar).exp() * eps


def iwae_bound(log_weights):
    """Importance-weighted bound logsumexp_k(log w_k) - log K, from log-weights of shape (K, batch).

    ``log_weights[k, i] = log p(x_i, z_k) - log q(z_k | x_i)`` for K samples z_k ~ q(z | x_i).
    K = 1 gives the ELBO estimate; the bound rises towards log p(x) as K grows.
    """
    lw = _as_tensor(log_weights, "log_weights")
    if lw.ndim != 2:
        raise ValueError(f"log_weights must have shape (K, batch), got {tuple(lw.shape)}")
    if lw.shape[0] < 1:
        raise ValueError("log_weights needs at least one sample (K >= 1)")
    return torch.logsumexp(lw, dim=0) - math.log(lw.shape[0])


class AffineCoupling(nn.Module):
    """One affine coupling layer (RealNVP): z_b = x_b * exp(s(x_a)) + t(x_a), z_a = x_a.

    ``mask`` (0/1, shape (dim,)) marks the coordinates x_a that pass unchanged and condition
    the others. The scale is ``tanh``-bounded, so exp(s) lies in [e^-scale_bound, e^scale_bound].
    """

    def __init__(self, mask, hidden=64, scale_bound=2.0):
        super().__init__()
        mask = torch.as_tensor(mask, dtype=torch.get_default_dtype())
        if mask.ndim != 1 or not ((mask == 0) | (mask == 1)).all() or mask.sum() in (0, len(mask)):
            raise ValueError("mask must be a 1-D 0/1 vector with both values present")
        if hidden < 1:
            raise ValueError(f"hidden must be a positive integer, got {hidden}")
        dim = len(mask)
        self.register_buffer("mask", mask)
        self.scale_bound = float(scale_bound)
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, 2 * dim))

    def _st(self, x_a):
        s, t = self.net(x_a).chunk(2, dim=-1)
        s = self.scale_bound * torch.tanh(s / self.scale_bound)
        keep = 1.0 - self.mask
        return s * keep, t * keep

    def forward(self, x):
        """(z, log|det dz/dx|) for rows x; the log-determinant is the sum of the scales s."""
        x_a = x * self.mask
        s, t = self._st(x_a)
        z = x_a + (1.0 - self.mask) * (x * s.exp() + t)
        return z, s.sum(dim=-1)

    def inverse(self, z):
        """x from z: x_b = (z_b - t(z_a)) * exp(-s(z_a))."""
        z_a = z * self.mask
        s, t = self._st(z_a)
        return z_a + (1.0 - self.mask) * ((z - t) * (-s).exp())


class CouplingFlow(nn.Module):
    """A normalizing flow of ``n_layers`` affine coupling layers with alternating masks.

    ``forward(x)`` maps data to the base space and returns (z, log|det dz/dx|) per row;
    ``log_prob(x)`` is log N(z; 0, I) + log_det; ``sample(n)`` pushes N(0, I) draws back.
    """

    def __init__(self, dim=2, n_layers=8, hidden=64):
        super().__init__()
        if not isinstance(dim, int) or dim < 2:
            raise ValueError(f"dim must be an integer >= 2 (coupling splits the coordinates), got {dim}")
        if not isinstance(n_layers, int) or n_layers < 1:
            raise ValueError(f"n_layers must be a positive integer, got {n_layers}")
        self.dim = dim
        base = (torch.arange(dim) % 2).to(torch.get_default_dtype())
        self.layers = nn.ModuleList(
            AffineCoupling(base if i % 2 == 0 else 1.0 - base, hidden) for i in range(n_layers))

    def _check(self, x):
        if not isinstance(x, torch.Tensor):
            x = torch.as_tensor(x, dtype=torch.get_default_dtype())
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (batch, {self.dim}), got {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise ValueError("x contains NaN or infinite values")
        return x

    def forward(self, x):
        z = self._check(x)
        log_det = torch.zeros(z.shape[0], dtype=z.dtype)
        for layer in self.layers:
            z, ld = layer(z)
            log_det = log_det + ld
        return z, log_det

    def log_prob(self, x):
        z, log_det = self.forward(x)
        base = -0.5 * z.pow(2).sum(dim=-1) - 0.5 * self.dim * math.log(2 * math.pi)
        return base + log_det

    def inverse(self, z):
        x = self._check(z)
        for layer in reversed(self.layers):
            x = layer.inverse(x)
        return x

    def sample(self, n, generator=None):
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n}")
        return self.inverse(torch.randn(n, self.dim, generator=generator))
