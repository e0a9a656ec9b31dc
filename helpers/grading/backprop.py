"""Auto-graded questions for Chapter 3 (backpropagation in matrix form).

Each reference is computed independently of ``helpers.backprop``: the gradients by PyTorch's
autograd, the receptive field by the top-down recursion r <- s (r - 1) + k.  Each
``mistakes`` entry models a wrong formula a learner is likely to write, with a hint.  Inputs
are float64 NumPy arrays; a batch has one example per row and a layer computes X @ W + b.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from . import Question, grade_parts
from .losses import _with_overflow_hint


def _t(x, grad=False) -> torch.Tensor:
    return torch.tensor(np.asarray(x, dtype=float), requires_grad=grad)


def _shapes(rng, square=False):
    n = int(rng.integers(3, 7))
    n_in = int(rng.integers(2, 6))
    n_out = n_in if square else n_in + int(rng.integers(1, 4))
    return n, n_in, n_out


# --------------------------------------------------------------------------- backprop.linear_backward
def _lin_ref(X, W, b, dZ):
    X, W, b = _t(X, True), _t(W, True), _t(b, True)
    (X @ W + b).backward(_t(dZ))
    return X.grad.numpy(), W.grad.numpy(), b.grad.numpy()


def _lin_cases(rng):
    cases = []
    for square in (False, False, True):
        n, n_in, n_out = _shapes(rng, square)
        cases.append((rng.normal(size=(n, n_in)), rng.normal(size=(n_in, n_out)),
                      rng.normal(size=n_out), rng.normal(size=(n, n_out))))
    return cases


def _lin_db_mean(X, W, b, dZ):
    return dZ @ W.T, X.T @ dZ, dZ.mean(axis=0)


_lin_q = Question(
    id="backprop.linear_backward",
    chapter=3,
    prompt="Write linear_backward(X, W, b, dZ) -> (dX, dW, db) for Z = X @ W + b, given dZ = dL/dZ",
    reference=_lin_ref,
    cases=_lin_cases,
    mistakes=[  # a transposed dW or dX is caught by its shape (the cases are not square)
        (_lin_db_mean, "db is the sum of dZ over the batch, not its mean (dZ already holds the 1/N of the loss)"),
    ],
    rtol=1e-10,
    atol=1e-12,
    units=False,
    errors=[("matmul", "a matrix product with mismatched shapes: dX = dZ @ W.T has the shape of X, "
                       "dW = X.T @ dZ the shape of W")],
)
grade_parts(_lin_q, ("dX", "dW", "db"), shape_hints={
    "dX": "dX has the shape of X: dX = dZ @ W.T",
    "dW": "dW has the shape of W (n_in, n_out): dW = X.T @ dZ",
    "db": "db has the shape of b: sum dZ over the batch axis (axis 0)",
})


# --------------------------------------------------------------------------- backprop.relu_backward
def _relu_ref(Z, dA):
    Z = _t(Z, True)
    torch.relu(Z).backward(_t(dA))
    return Z.grad.numpy()


def _relu_cases(rng):
    cases = []
    for shape in [(4, 5), (7, 3), (2, 6)]:
        Z = rng.normal(size=shape)
        Z[0, :2] = 0.0  # ReLU's kink: the derivative is taken as 0 there, as in PyTorch
        cases.append((Z, rng.normal(size=shape)))
    return cases


def _relu_mask_only(Z, dA):
    return (Z > 0).astype(float)


def _relu_on_dA(Z, dA):
    return np.maximum(dA, 0.0)


def _relu_times_Z(Z, dA):
    return dA * np.maximum(Z, 0.0)


def _relu_at_zero(Z, dA):
    return dA * (Z >= 0)


_relu_q = Question(
    id="backprop.relu_backward",
    chapter=3,
    prompt="Write relu_backward(Z, dA) -> dZ for A = max(Z, 0), given dA = dL/dA",
    reference=_relu_ref,
    cases=_relu_cases,
    mistakes=[
        (_relu_mask_only, "multiply the mask by the upstream gradient: dZ = dA * (Z > 0)"),
        (_relu_on_dA, "the mask comes from Z, the input of the ReLU, not from dA"),
        (_relu_times_Z, "the derivative of max(z, 0) is 1 for z > 0 and 0 otherwise, not the activation"),
        (_relu_at_zero, "at z = 0 take the derivative as 0 (Z > 0, not Z >= 0), the convention of PyTorch"),
    ],
    rtol=1e-12,
    atol=1e-14,
    units=False,
)


# --------------------------------------------------------------------------- backprop.softmax_ce_grad
def _sce_ref(logits, labels):
    z = _t(logits, True)
    F.cross_entropy(z, torch.tensor(np.asarray(labels))).backward()
    return z.grad.numpy()


def _sce_cases(rng):
    return [
        (rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)),
        (3 * rng.normal(size=(8, 10)), rng.integers(0, 10, size=8)),
        (np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 5.0]]), np.array([2, 0])),
        (np.array([[2.0, 1.0, 0.1]]), np.array([0])),
    ]


def _softmax(z, axis=1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _onehot(labels, c):
    return np.eye(c)[np.asarray(labels)]


def _sce_no_mean(logits, labels):
    return _softmax(logits) - _onehot(labels, np.shape(logits)[1])


def _sce_no_onehot(logits, labels):
    return _softmax(logits) / len(labels)


def _sce_axis0(logits, labels):
    return (_softmax(logits, axis=0) - _onehot(labels, np.shape(logits)[1])) / len(labels)


_sce_q = Question(
    id="backprop.softmax_ce_grad",
    chapter=3,
    prompt="Write softmax_ce_grad(logits, labels): the gradient of the mean softmax cross-entropy with respect to the logits",
    reference=_sce_ref,
    cases=_sce_cases,
    mistakes=[
        (_sce_no_mean, "the loss is a mean over the N examples: divide p - y by N"),
        (_sce_no_onehot, "subtract the one-hot labels: the gradient is (p - y) / N"),
        (_sce_axis0, "the softmax runs over the classes of each row (axis 1), not over the batch"),
    ],
    rtol=1e-8,
    atol=1e-12,
    units=False,
)

_with_overflow_hint(
    _sce_q, {2},
    "NaN or inf only for logits such as [1000, 0, -1000]: exp overflowed; subtract each row's "
    "maximum before the exp (the softmax does not change)",
    "wrong only for logits such as [1000, 0, -1000]: probabilities clipped or rounded; compute "
    "the softmax from z - max(z)")

# --------------------------------------------------------------------------- backprop.mlp_gradients
def _mlp_ref(X, y, W1, b1, W2, b2):
    params = [_t(p, True) for p in (W1, b1, W2, b2)]
    W1_, b1_, W2_, b2_ = params
    logits = torch.relu(_t(X) @ W1_ + b1_) @ W2_ + b2_
    F.cross_entropy(logits, torch.tensor(np.asarray(y))).backward()
    return tuple(p.grad.numpy() for p in params)


def _mlp_cases(rng):
    cases = []
    for n, d, h, c in [(6, 3, 5, 4), (10, 4, 7, 3), (4, 5, 6, 2)]:
        cases.append((rng.normal(size=(n, d)), rng.integers(0, c, size=n),
                      rng.normal(size=(d, h)), rng.normal(scale=0.5, size=h),
                      rng.normal(size=(h, c)), rng.normal(scale=0.5, size=c)))
    return cases


def _mlp_manual(X, y, W1, b1, W2, b2, mean=True, relu_mask=True):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    D2 = _softmax(A1 @ W2 + b2) - _onehot(y, W2.shape[1])
    if mean:
        D2 = D2 / len(X)
    D1 = D2 @ W2.T
    if relu_mask:
        D1 = D1 * (Z1 > 0)
    return X.T @ D1, D1.sum(axis=0), A1.T @ D2, D2.sum(axis=0)


def _mlp_no_mean(*args):
    return _mlp_manual(*args, mean=False)


def _mlp_no_relu(*args):
    return _mlp_manual(*args, relu_mask=False)


_mlp_q = Question(
    id="backprop.mlp_gradients",
    chapter=3,
    prompt="Write mlp_gradients(X, y, W1, b1, W2, b2) -> (dW1, db1, dW2, db2) for a ReLU MLP with mean softmax cross-entropy",
    reference=_mlp_ref,
    cases=_mlp_cases,
    mistakes=[
        (_mlp_no_mean, "the loss is a mean over the N examples: the output error is (P - Y) / N"),
        (_mlp_no_relu, "multiply the hidden error by ReLU's derivative (Z1 > 0) before forming dW1 and db1"),
    ],
    rtol=1e-8,
    atol=1e-12,
    units=False,
    errors=[("matmul", "a matrix product with mismatched shapes: check each factor's shape, "
                       "e.g. D1 = (D2 @ W2.T) * (Z1 > 0) and dW1 = X.T @ D1")],
)
grade_parts(_mlp_q, ("dW1", "db1", "dW2", "db2"), shape_hints={
    "dW1": "dW1 has the shape of W1 (d, h): dW1 = X.T @ D1",
    "db1": "db1 has the shape of b1: sum D1 over the batch axis (axis 0)",
    "dW2": "dW2 has the shape of W2 (h, C): dW2 = A1.T @ D2",
    "db2": "db2 has the shape of b2: sum D2 over the batch axis (axis 0)",
})


# --------------------------------------------------------------------------- backprop.receptive_field
def _rf_ref(layers):
    r = 1
    for k, s in reversed(list(layers)):  # top down: r units of a layer need s (r - 1) + k below
        r = s * (r - 1) + k
    return r


def _rf_cases(rng):
    cases = [([(3, 1)] * 3,), ([(3, 2), (3, 2), (3, 1)],), ([(7, 2), (3, 2), (3, 1), (3, 1)],),
             ([(2, 2)] * 4,), ([(5, 1)],)]
    for _ in range(3):
        depth = int(rng.integers(2, 6))
        cases.append(([(int(rng.integers(1, 6)), int(rng.integers(1, 4))) for _ in range(depth)],))
    return cases


def _rf_strides_inclusive(layers):
    rf, jump = 1, 1
    for k, s in layers:
        jump *= s
        rf += (k - 1) * jump
    return rf


def _rf_no_strides(layers):
    return 1 + sum(k - 1 for k, _ in layers)


def _rf_from_zero(layers):
    return _rf_ref(layers) - 1


_rf_q = Question(
    id="backprop.receptive_field",
    chapter=3,
    prompt="Write receptive_field(layers): the receptive field of a conv stack given as (kernel_size, stride) pairs",
    reference=_rf_ref,
    cases=_rf_cases,
    mistakes=[
        (_rf_strides_inclusive, "layer l adds (k_l - 1) times the product of the strides of the layers before it, not including its own"),
        (_rf_no_strides, "strides matter: layer l adds (k_l - 1) times the product of the earlier strides"),
        (_rf_from_zero, "start from RF_0 = 1: a unit of the input sees one pixel"),
    ],
    rtol=0,
    atol=0,
    units=False,
)


QUESTIONS = [_lin_q, _relu_q, _sce_q, _mlp_q, _rf_q]
