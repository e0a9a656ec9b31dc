"""helpers.backprop against PyTorch autograd, torch.nn.BatchNorm1d, torch.nn.Conv2d and
closed forms (float64)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.backprop import (
    MLP,
    batch_norm,
    conv2d_param_count,
    dense_param_count,
    numerical_gradient,
    receptive_field,
)

torch.set_num_threads(1)
rng = np.random.default_rng(3)


def torch_loss_and_grads(net, X, y):
    """The same network in PyTorch, differentiated by autograd."""
    Ws = [torch.tensor(W, requires_grad=True) for W in net.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in net.biases]
    act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[net.activation]
    a = torch.tensor(X)
    for l, (W, b) in enumerate(zip(Ws, bs)):
        a = a @ W + b
        if l < len(Ws) - 1:
            a = act(a)
    loss = F.cross_entropy(a, torch.tensor(y))
    loss.backward()
    return loss.item(), [W.grad.numpy() for W in Ws], [b.grad.numpy() for b in bs], a.detach().numpy()


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("sizes", [[3, 2], [5, 7, 4], [6, 9, 8, 3], [2, 16, 16, 16, 5]])
def test_gradients_match_autograd(activation, sizes):
    net = MLP(sizes, activation=activation, init="xavier", seed=len(sizes))
    for b in net.biases:                      # non-zero biases, so their gradients matter
        b += rng.normal(scale=0.3, size=b.shape)
    n = 11
    X = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, sizes[-1], size=n)
    loss, gW, gb = net.loss_and_gradients(X, y)
    want_loss, want_W, want_b, want_logits = torch_loss_and_grads(net, X, y)
    assert loss == pytest.approx(want_loss, rel=1e-13)
    np.testing.assert_allclose(net.forward(X), want_logits, rtol=1e-13, atol=1e-14)
    for got, want in zip(gW + gb, want_W + want_b):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


def test_weight_shapes_and_initialisations():
    net = MLP([4, 8, 3])
    assert [W.shape for W in net.weights] == [(4, 8), (8, 3)]
    assert [b.shape for b in net.biases] == [(8,), (3,)]
    wide = {init: MLP([500, 400], init=init, seed=1).weights[0] for init in ["he", "xavier", "default"]}
    assert wide["he"].var() == pytest.approx(2 / 500, rel=0.02)
    assert wide["xavier"].var() == pytest.approx(2 / 900, rel=0.02)
    bound = 1 / np.sqrt(500)                   # torch.nn.Linear: U(-1/sqrt(n_in), 1/sqrt(n_in))
    assert np.abs(wide["default"]).max() <= bound
    assert wide["default"].var() == pytest.approx(bound**2 / 3, rel=0.02)
    assert np.array_equal(MLP([3, 4], seed=7).weights[0], MLP([3, 4], seed=7).weights[0])


def test_training_step_lowers_the_loss_on_separable_data():
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    net = MLP([2, 16, 2], seed=0)
    first = net.sgd_step(X, y, lr=0.5)
    for _ in range(200):
        last = net.sgd_step(X, y, lr=0.5)
    assert last < 0.3 * first
    assert (net.predict(X) == y).mean() > 0.95


def test_mlp_rejects_bad_input():
    with pytest.raises(ValueError, match="activation"):
        MLP([2, 3], activation="gelu")
    with pytest.raises(ValueError, match="init"):
        MLP([2, 3], init="orthogonal")
    with pytest.raises(ValueError, match="sizes"):
        MLP([4])
    with pytest.raises(ValueError, match="positive integer"):
        MLP([4, 0, 2])
    net = MLP([3, 2])
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        net.forward(np.ones((5, 4)))
    with pytest.raises(ValueError, match="NaN"):
        net.forward(np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="integer labels"):
        net.loss_and_gradients(np.ones((2, 3)), np.array([0.2, 0.8]))
    with pytest.raises(ValueError, match="labels must lie"):
        net.loss_and_gradients(np.ones((2, 3)), np.array([0, 2]))


def test_numerical_gradient_matches_closed_form_and_leaves_x_unchanged():
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    x0 = x.copy()
    g = numerical_gradient(lambda v: v @ A @ v, x)
    np.testing.assert_allclose(g, (A + A.T) @ x, rtol=1e-7, atol=1e-8)
    assert np.array_equal(x, x0)
    M = rng.normal(size=(3, 5))[:, ::2]        # a non-contiguous view is perturbed correctly
    g = numerical_gradient(lambda m: np.sum(np.sin(m)), M)
    np.testing.assert_allclose(g, np.cos(M), rtol=1e-7, atol=1e-9)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.zeros(3)

    def f(v):
        if v[1] != 0:
            raise RuntimeError("boom")
        return v.sum()

    with pytest.raises(RuntimeError):
        numerical_gradient(f, x)
    assert np.array_equal(x, np.zeros(3))
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(np.sum, np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError, match="eps"):
        numerical_gradient(np.sum, np.zeros(3), eps=0)


def test_numerical_gradient_checks_the_mlp():
    net = MLP([3, 5, 4], activation="tanh", seed=2)
    X = rng.normal(size=(6, 3))
    y = rng.integers(0, 4, size=6)
    _, gW, gb = net.loss_and_gradients(X, y)
    for param, grad in zip(net.weights + net.biases, gW + gb):
        num = numerical_gradient(lambda _: net.loss_and_gradients(X, y)[0], param)
        np.testing.assert_allclose(num, grad, rtol=1e-6, atol=1e-9)


def measured_receptive_field(layers):
    """Width of the support of d(one output unit)/d(input) in a real 1-D conv stack."""
    torch.manual_seed(0)
    size = 4 * receptive_field(layers) + 64
    x = torch.randn(1, 1, size, dtype=torch.float64, requires_grad=True)
    h = x
    for k, s in layers:
        conv = torch.nn.Conv1d(1, 1, k, stride=s, bias=False).double()
        with torch.no_grad():
            conv.weight.copy_(torch.rand_like(conv.weight) + 0.5)   # no zero weights
        h = conv(h)
    h[0, 0, h.shape[-1] // 2].backward()
    support = torch.nonzero(x.grad[0, 0]).flatten()
    return int(support.max() - support.min() + 1)


@pytest.mark.parametrize("layers", [[(3, 1)], [(3, 1), (3, 1)], [(5, 2), (3, 2), (3, 1)],
                                    [(7, 2), (3, 2), (3, 2), (3, 1)], [(2, 2), (2, 2), (2, 2)]])
def test_receptive_field_matches_the_gradient_support(layers):
    assert receptive_field(layers) == measured_receptive_field(layers)


def test_receptive_field_closed_forms_and_errors():
    assert receptive_field([]) == 1
    assert receptive_field([(3, 1)] * 10) == 21
    assert receptive_field([(2, 2)] * 5) == 32
    with pytest.raises(ValueError, match="pair"):
        receptive_field([3, 3])
    with pytest.raises(ValueError, match="stride"):
        receptive_field([(3, 0)])


@pytest.mark.parametrize("c_in,c_out,k,bias", [(1, 1, 1, True), (3, 16, 3, True), (64, 128, 5, False)])
def test_parameter_counts_match_torch(c_in, c_out, k, bias):
    conv = torch.nn.Conv2d(c_in, c_out, k, bias=bias)
    assert conv2d_param_count(c_in, c_out, k, bias) == sum(p.numel() for p in conv.parameters())
    dense = torch.nn.Linear(c_in * 49, c_out * 49, bias=bias)
    assert dense_param_count(c_in * 49, c_out * 49, bias) == sum(p.numel() for p in dense.parameters())
    with pytest.raises(ValueError, match="k must be a positive integer"):
        conv2d_param_count(c_in, c_out, 0)


@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batch_norm_matches_torch_in_both_modes(momentum):
    n, c = 9, 4
    x = 3 * rng.normal(size=(n, c)) + 1
    gamma, beta = rng.normal(size=c), rng.normal(size=c)
    mean0, var0 = rng.normal(size=c), rng.uniform(0.5, 2, size=c)
    bn = torch.nn.BatchNorm1d(c, momentum=momentum).double()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))
        bn.running_mean.copy_(torch.tensor(mean0))
        bn.running_var.copy_(torch.tensor(var0))
    inputs = [a.copy() for a in (x, gamma, beta, mean0, var0)]
    y, m1, v1 = batch_norm(x, gamma, beta, mean0, var0, training=True, momentum=momentum)
    want = bn.train()(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(m1, bn.running_mean.numpy(), rtol=1e-13)
    np.testing.assert_allclose(v1, bn.running_var.numpy(), rtol=1e-13)
    y_eval, m2, v2 = batch_norm(x, gamma, beta, m1, v1, training=False, momentum=momentum)
    want_eval = bn.eval()(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(y_eval, want_eval, rtol=1e-12, atol=1e-12)
    assert np.array_equal(m2, m1) and np.array_equal(v2, v1)
    for before, after in zip(inputs, (x, gamma, beta, mean0, var0)):
        assert np.array_equal(before, after)
    assert not np.allclose(y, y_eval)          # the two modes differ on the same input


def test_batch_norm_single_example_and_bad_input():
    c = 3
    ones, zeros = np.ones(c), np.zeros(c)
    with pytest.raises(ValueError, match="at least 2 examples"):
        batch_norm(np.ones((1, c)), ones, zeros, zeros, ones, training=True)
    with pytest.raises(ValueError):            # torch refuses a single-example batch too
        torch.nn.BatchNorm1d(c).train()(torch.ones(1, c))
    y, _, _ = batch_norm(np.full((1, c), 2.0), ones, zeros, zeros, ones, training=False)
    np.testing.assert_allclose(y, 2.0 / np.sqrt(1 + 1e-5))
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        batch_norm(np.ones((4, c)), np.ones(2), zeros, zeros, ones, training=True)
    with pytest.raises(ValueError, match=r"shape \(N, C\)"):
        batch_norm(np.ones(4), ones, zeros, zeros, ones, training=True)


# --------------------------------------------------------------------------- the question bank
from helpers.grading import evaluate, grade_answer  # noqa: E402
from helpers.grading.backprop import QUESTIONS  # noqa: E402

_BANK = {q.id: q for q in QUESTIONS}


def _helper_linear_backward(X, W, b, dZ):
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def _helper_mlp_gradients(X, y, W1, b1, W2, b2):
    net = MLP([W1.shape[0], W1.shape[1], W2.shape[1]])
    net.weights, net.biases = [W1, W2], [b1, b2]
    _, (dW1, dW2), (db1, db2) = net.loss_and_gradients(X, y)
    return dW1, db1, dW2, db2


_HELPER_ANSWERS = {
    "backprop.linear_backward": _helper_linear_backward,
    "backprop.relu_backward": lambda Z, dA: dA * (Z > 0),
    "backprop.mlp_gradients": _helper_mlp_gradients,
    "backprop.receptive_field": receptive_field,
}


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.id)
def test_bank_accepts_right_answers(q):
    assert q.chapter == 3 and q.id.startswith("backprop.")
    answers = [q.reference] + ([_HELPER_ANSWERS[q.id]] if q.id in _HELPER_ANSWERS else [])
    for answer in answers:
        status, message = grade_answer(q, answer)
        assert status == "passed", message
    assert q.mistakes  # each gets its hint: tests/test_grading.py checks every bank


def test_bank_names_the_part_with_the_wrong_shape():
    q = _BANK["backprop.linear_backward"]
    status, message = evaluate(q, lambda X, W, b, dZ: (dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)))
    assert status == "failed" and "wrong shape of dW" in message and "X.T @ dZ" in message
    status, message = evaluate(q, lambda X, W, b, dZ: (dZ @ W.T, X.T @ dZ, dZ.sum(axis=1)))
    assert status == "failed" and "wrong shape of db" in message and "axis 0" in message
    status, message = evaluate(q, lambda X, W, b, dZ: (dZ @ W.T, X.T @ dZ))
    assert status == "failed" and "return a tuple (dX, dW, db)" in message
    q = _BANK["backprop.mlp_gradients"]
    status, message = evaluate(q, lambda X, y, W1, b1, W2, b2: (W1.T, b1, W2, b2))
    assert status == "failed" and "wrong shape of dW1" in message


def test_bank_catches_an_unstable_softmax():
    q = _BANK["backprop.softmax_ce_grad"]

    def naive(logits, labels):
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        p[np.arange(len(labels)), labels] -= 1
        return p / len(labels)

    with np.errstate(all="ignore"):
        status, message = evaluate(q, naive)
    assert status == "failed" and "subtract each row's maximum" in message


def test_bank_names_the_wrong_part_and_a_shape_mismatch():
    q = _BANK["backprop.linear_backward"]
    status, message = evaluate(q, lambda X, W, b, dZ: (dZ @ W.T, X.T @ dZ / len(X), dZ.sum(axis=0)))
    assert status == "failed" and message.startswith("wrong value of dW"), message
    status, message = evaluate(q, lambda X, W, b, dZ: (dZ @ W, X.T @ dZ, dZ.sum(axis=0)))
    assert status == "failed" and "dX = dZ @ W.T" in message, message
    q = _BANK["backprop.mlp_gradients"]

    def wrong_dW2(X, y, W1, b1, W2, b2):
        dW1, db1, dW2, db2 = q.reference(X, y, W1, b1, W2, b2)
        Z1 = X @ W1 + b1
        return dW1, db1, dW2 + 0.1 * Z1.T @ np.ones((len(X), W2.shape[1])), db2

    status, message = evaluate(q, wrong_dW2)
    assert status == "failed" and message.startswith("wrong value of dW2"), message


def test_bank_grades_an_answer_that_modifies_its_inputs_on_copies():
    q = _BANK["backprop.relu_backward"]

    def in_place(Z, dA):
        dA[Z <= 0] = 0.0   # modifies its argument: the grader must pass copies
        return dA

    assert grade_answer(q, in_place)[0] == "passed"
