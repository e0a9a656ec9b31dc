"""Backpropagation in matrix form: a hand-written multilayer perceptron, a finite-difference
gradient check, BatchNorm's two modes and the bookkeeping of convolutional layers.

Introduced in Chapter 3 (Backpropagation in matrix form).

NumPy arrays in and out, float64.  The layout is row-major: a batch ``X`` has one example
per row, shape (N, n_in), and a layer computes ``X @ W + b`` with ``W`` of shape
(n_in, n_out).  Invalid input (wrong shapes, an unknown activation, labels out of range,
NaN) raises ``ValueError`` with a message that says what is wrong.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array as _as_float_array
from ._checks import positive_int as _positive_int

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MLP",
    "numerical_gradient",
    "receptive_field",
    "conv2d_param_count",
    "dense_param_count",
    "batch_norm",
]


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # never overflows


# Each activation f with its derivative written through f's output a = f(z) where possible.
ACTIVATIONS = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(float)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a**2),
    "sigmoid": (_sigmoid, lambda z, a: a * (1.0 - a)),
}

INITS = ("he", "xavier", "default")


def _init_weight(rng, n_in: int, n_out: int, init: str) -> np.ndarray:
    """He: N(0, 2/n_in); Xavier (Glorot): N(0, 2/(n_in + n_out));
    default: U(-1/sqrt(n_in), 1/sqrt(n_in)), the initialisation of torch.nn.Linear."""
    if init == "he":
        return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
    if init == "xavier":
        return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))
    bound = 1.0 / np.sqrt(n_in)
    return rng.uniform(-bound, bound, size=(n_in, n_out))


class MLP:
    """A multilayer perceptron with a softmax cross-entropy loss, gradients by hand.

    ``sizes = [n_in, hidden..., n_classes]``; ``activation`` ("relu", "tanh" or "sigmoid")
    acts between layers, the last layer is linear (it gives the logits).  ``init`` is "he",
    "xavier" or "default" (torch.nn.Linear's uniform); biases start at zero.
    ``weights[l]`` has shape (sizes[l], sizes[l + 1]) and ``biases[l]`` (sizes[l + 1],).
    """

    def __init__(self, sizes, activation: str = "relu", init: str = "he", seed: int = 0):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least an input and an output size, got {sizes}")
        self.sizes = [_positive_int(n, "every entry of sizes") for n in sizes]
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if init not in INITS:
            raise ValueError(f"init must be one of {list(INITS)}, got {init!r}")
        self.activation = activation
        rng = np.random.default_rng(seed)
        self.weights = [_init_weight(rng, a, b, init) for a, b in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.zeros(b) for b in sizes[1:]]

    def _check_inputs(self, X) -> np.ndarray:
        X = _as_float_array(X, "X")
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have shape (N, {self.sizes[0]}), got shape {X.shape}")
        return X

    def _forward(self, X):
        """Logits and the cache the backward pass needs: every z and every a."""
        f = ACTIVATIONS[self.activation][0]
        a, cache = X, []
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            z = a @ W + b
            cache.append((a, z))
            a = z if l == len(self.weights) - 1 else f(z)
        return a, cache

    def forward(self, X) -> np.ndarray:
        """Logits, shape (N, n_classes)."""
        return self._forward(self._check_inputs(X))[0]

    def loss_and_gradients(self, X, y):
        """(mean softmax cross-entropy in nats, [dL/dW per layer], [dL/db per layer])."""
        X = self._check_inputs(X)
        y = np.asarray(y)
        if y.shape != (X.shape[0],) or y.dtype.kind not in "iu":
            raise ValueError(f"y must be {X.shape[0]} integer labels, got {y.dtype} of shape {y.shape}")
        if y.size and (y.min() < 0 or y.max() >= self.sizes[-1]):
            raise ValueError(f"labels must lie in [0, {self.sizes[-1]}), got {y.min()}..{y.max()}")
        logits, cache = self._forward(X)
        n = X.shape[0]
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_p[np.arange(n), y].mean()
        delta = np.exp(log_p)                       # dL/dz at the output: (p - onehot) / N
        delta[np.arange(n), y] -= 1.0
        delta /= n
        fprime = ACTIVATIONS[self.activation][1]
        grads_W, grads_b = [], []
        for l in range(len(self.weights) - 1, -1, -1):
            a_prev, _ = cache[l]
            grads_W.append(a_prev.T @ delta)        # (n_in, N) @ (N, n_out)
            grads_b.append(delta.sum(axis=0))       # sum over the batch
            if l > 0:
                z_prev = cache[l - 1][1]
                delta = (delta @ self.weights[l].T) * fprime(z_prev, a_prev)
        return float(loss), grads_W[::-1], grads_b[::-1]

    def predict(self, X) -> np.ndarray:
        """The most likely class of every row of X."""
        return self.forward(X).argmax(axis=1)

    def sgd_step(self, X, y, lr: float) -> float:
        """One gradient-descent step on the batch (X, y); returns the loss before the step."""
        loss, gW, gb = self.loss_and_gradients(X, y)
        for W, b, dW, db in zip(self.weights, self.biases, gW, gb):
            W -= lr * dW
            b -= lr * db
        return loss


def numerical_gradient(f, x, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f`` at the float array ``x``.

    Every entry is perturbed in place by +-eps and restored, so ``x`` is unchanged afterwards
    (also if ``f`` raises).  Error O(eps^2) from truncation plus O(1e-16 / eps) from rounding.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError("x must be a float64 NumPy array (it is perturbed in place)")
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        try:
            x[i] = old + eps
            up = float(f(x))
            x[i] = old - eps
            down = float(f(x))
        finally:
            x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def receptive_field(layers) -> int:
    """Receptive field (in input pixels, along one axis) of one unit after a stack of layers.

    ``layers`` is a list of ``(kernel_size, stride)`` pairs, first layer first:
    RF_0 = 1 and RF_l = RF_{l-1} + (k_l - 1) * (s_1 * ... * s_{l-1}).
    """
    rf, jump = 1, 1
    for layer in layers:
        try:
            k, s = layer
        except (TypeError, ValueError):
            raise ValueError(f"every layer must be a (kernel_size, stride) pair, got {layer!r}") from None
        k, s = _positive_int(k, "kernel_size"), _positive_int(s, "stride")
        rf += (k - 1) * jump
        jump *= s
    return rf


def conv2d_param_count(c_in: int, c_out: int, k: int, bias: bool = True) -> int:
    """Parameters of a k x k convolution from c_in to c_out channels: c_out (c_in k^2 + 1)."""
    c_in, c_out, k = (_positive_int(v, n) for v, n in [(c_in, "c_in"), (c_out, "c_out"), (k, "k")])
    return c_out * c_in * k * k + (c_out if bias else 0)


def dense_param_count(n_in: int, n_out: int, bias: bool = True) -> int:
    """Parameters of a dense layer from n_in to n_out units: n_out (n_in + 1)."""
    n_in, n_out = _positive_int(n_in, "n_in"), _positive_int(n_out, "n_out")
    return n_out * n_in + (n_out if bias else 0)


def batch_norm(x, gamma, beta, running_mean, running_var, training: bool,
               momentum: float = 0.1, eps: float = 1e-5):
    """BatchNorm over the batch axis of ``x`` (N, C), the conventions of torch.nn.BatchNorm1d.

    Training: normalise with the batch mean and the biased batch variance, and move the
    running estimates towards the batch's (the unbiased variance):
    new = (1 - momentum) * running + momentum * batch.  Inference: normalise with the
    running estimates, which stay as they are.  Returns (y, new_running_mean,
    new_running_var); the inputs are not modified.
    """
    x = _as_float_array(x, "x")
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, C), got shape {x.shape}")
    c = x.shape[1]
    params = {}
    for name, value in [("gamma", gamma), ("beta", beta),
                        ("running_mean", running_mean), ("running_var", running_var)]:
        params[name] = _as_float_array(value, name)
        if params[name].shape != (c,):
            raise ValueError(f"{name} must have shape ({c},), got shape {params[name].shape}")
    if np.any(params["running_var"] < 0):
        raise ValueError("running_var must be >= 0")
    if not 0 <= momentum <= 1:
        raise ValueError(f"momentum must lie in [0, 1], got {momentum!r}")
    if training:
        n = x.shape[0]
        if n < 2:
            raise ValueError("training mode needs at least 2 examples per batch "
                             "(the variance of one example is 0; torch raises here too)")
        mean, var = x.mean(axis=0), x.var(axis=0)
        new_mean = (1 - momentum) * params["running_mean"] + momentum * mean
        new_var = (1 - momentum) * params["running_var"] + momentum * var * n / (n - 1)
    else:
        mean, var = params["running_mean"], params["running_var"]
        new_mean, new_var = mean.copy(), var.copy()
    y = params["gamma"] * (x - mean) / np.sqrt(var + eps) + params["beta"]
    return y, new_mean, new_var
