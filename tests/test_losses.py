"""helpers.losses against PyTorch and closed forms (float64)."""

import numpy as np
import pytest
import scipy.special
import scipy.stats
import torch
import torch.nn.functional as F

from helpers.losses import (
    binary_cross_entropy_with_logits,
    cross_entropy_from_logits,
    gaussian_nll,
    kl_gaussian,
    perplexity,
)

rng = np.random.default_rng(5)


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5, 1.0])
def test_cross_entropy_matches_torch(eps):
    z = 3 * rng.normal(size=(7, 5))
    y = rng.integers(0, 5, size=7)
    want = F.cross_entropy(torch.tensor(z), torch.tensor(y), label_smoothing=eps).item()
    assert cross_entropy_from_logits(z, y, eps) == pytest.approx(want, rel=1e-12, abs=1e-14)


def test_cross_entropy_worked_example_and_huge_logits():
    assert cross_entropy_from_logits([[2.0, 1.0, 0.1]], [0]) == pytest.approx(0.41703, abs=1e-5)
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]])
    y = np.array([1, 1])
    want = F.cross_entropy(torch.tensor(z), torch.tensor(y)).item()
    assert cross_entropy_from_logits(z, y) == pytest.approx(want, rel=1e-12)
    assert cross_entropy_from_logits(z, y) == pytest.approx(1e4, rel=1e-12)


def test_binary_cross_entropy_matches_torch():
    x = np.concatenate([4 * rng.normal(size=20), [1e4, -1e4, 1e4, -1e4]])
    t = np.concatenate([rng.uniform(size=20), [1.0, 0.0, 0.0, 1.0]])
    want = F.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(t)).item()
    assert binary_cross_entropy_with_logits(x, t) == pytest.approx(want, rel=1e-12)
    assert binary_cross_entropy_with_logits([1e4], [0.0]) == pytest.approx(1e4, rel=1e-12)
    assert binary_cross_entropy_with_logits([1e4], [1.0]) == 0.0


def test_perplexity_closed_forms():
    assert perplexity(np.full(10, np.log(7.0))) == pytest.approx(7.0, rel=1e-12)
    nll = rng.uniform(0, 3, size=50)
    assert perplexity(nll) == pytest.approx(np.exp(nll.mean()), rel=1e-12)


def test_gaussian_nll_matches_scipy_and_torch():
    y, mu, var = rng.normal(size=30), rng.normal(size=30), rng.uniform(0.1, 3, size=30)
    want = -scipy.stats.norm(mu, np.sqrt(var)).logpdf(y).mean()
    assert gaussian_nll(y, mu, var) == pytest.approx(want, rel=1e-12)
    torch_nll = F.gaussian_nll_loss(torch.tensor(mu), torch.tensor(y), torch.tensor(var),
                                    full=True, eps=0.0).item()
    assert gaussian_nll(y, mu, var) == pytest.approx(torch_nll, rel=1e-12)


def test_kl_gaussian_matches_torch():
    mq, vq = rng.normal(size=9), rng.uniform(0.2, 4, size=9)
    mp, vp = rng.normal(size=9), rng.uniform(0.2, 4, size=9)
    q = torch.distributions.Normal(torch.tensor(mq), torch.tensor(np.sqrt(vq)))
    p = torch.distributions.Normal(torch.tensor(mp), torch.tensor(np.sqrt(vp)))
    want = torch.distributions.kl_divergence(q, p).numpy()
    np.testing.assert_allclose(kl_gaussian(mq, vq, mp, vp), want, rtol=1e-12, atol=1e-15)
    assert kl_gaussian(0.0, 1.0, 0.0, 1.0) == 0.0


@pytest.mark.parametrize("call", [
    lambda: cross_entropy_from_logits([1.0, 2.0], [0]),
    lambda: cross_entropy_from_logits([[1.0, 2.0]], [2]),
    lambda: cross_entropy_from_logits([[1.0, 2.0]], [0.3]),
    lambda: cross_entropy_from_logits([[1.0, 2.0]], [0], label_smoothing=1.5),
    lambda: cross_entropy_from_logits([[np.nan, 2.0]], [0]),
    lambda: binary_cross_entropy_with_logits([1.0], [1.5]),
    lambda: binary_cross_entropy_with_logits([1.0, 2.0], [1.0]),
    lambda: perplexity([]),
    lambda: perplexity([-1.0]),
    lambda: gaussian_nll([1.0], [0.0], [0.0]),
    lambda: gaussian_nll([1.0, 2.0], [0.0, 1.0, 2.0], 1.0),
    lambda: kl_gaussian(0.0, -1.0, 0.0, 1.0),
])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------- the question bank
from helpers.grading import grade_answer  # noqa: E402
from helpers.grading.losses import QUESTIONS  # noqa: E402

_HELPER_ANSWERS = {
    "losses.cross_entropy": cross_entropy_from_logits,
    "losses.bce_with_logits": binary_cross_entropy_with_logits,
    "losses.perplexity": lambda log_probs: perplexity(-np.asarray(log_probs)),
    "losses.gaussian_nll": gaussian_nll,
    "losses.kl_gaussian": kl_gaussian,
}


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.id)
def test_bank_accepts_the_helpers_and_names_each_mistake(q):
    assert q.chapter == 5 and q.id.startswith("losses.")
    status, message = grade_answer(q, _HELPER_ANSWERS[q.id])
    assert status == "passed", message
    for wrong, hint in q.mistakes:
        with np.errstate(all="ignore"):
            status, message = grade_answer(q, wrong)
        assert status == "failed" and hint in message, (wrong.__name__, message)


def test_bank_names_the_overflow_mistakes():
    from helpers.grading.losses import (_BCE_OVERFLOW, _CE_OVERFLOW, _bce_naive, _bce_q, _ce_naive,
                                        _ce_q)

    for q, wrong, hint in [(_ce_q, _ce_naive, _CE_OVERFLOW), (_bce_q, _bce_naive, _BCE_OVERFLOW)]:
        with np.errstate(all="ignore"):
            status, message = grade_answer(q, wrong)
        assert status == "failed" and message == hint
        assert grade_answer(q, lambda *args: np.nan)[0] == "failed"


def test_bank_names_clipped_probabilities():
    from helpers.grading.losses import _BCE_CLIPPED, _CE_CLIPPED, _bce_q, _ce_q

    def ce_clipped(logits, labels):
        p = np.clip(scipy.special.softmax(np.asarray(logits, dtype=float), axis=1), 1e-12, 1)
        return float(np.mean(-np.log(p[np.arange(len(labels)), labels])))

    def bce_clipped(logits, targets):
        p = np.clip(scipy.special.expit(np.asarray(logits, dtype=float)), 1e-7, 1 - 1e-7)
        return float(np.mean(-targets * np.log(p) - (1 - targets) * np.log(1 - p)))

    assert grade_answer(_ce_q, ce_clipped) == ("failed", _CE_CLIPPED)
    assert grade_answer(_bce_q, bce_clipped) == ("failed", _BCE_CLIPPED)

