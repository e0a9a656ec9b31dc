"""helpers.attention against PyTorch's attention and LayerNorm and closed forms (float64)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.attention import (
    MultiHeadAttention,
    causal_mask,
    layer_norm,
    merge_heads,
    relative_shift_matrix,
    scaled_dot_product_attention,
    sinusoidal_positional_encoding,
    split_heads,
)

torch.set_num_threads(1)
gen = torch.Generator().manual_seed(4)


def randn(*shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


def random_mask(*shape):
    """A boolean mask (True = may attend) with every query allowed its first key at least."""
    mask = torch.rand(*shape, generator=gen) < 0.5
    mask[..., 0] = True
    return mask


# --------------------------------------------------------------------------- scaled dot-product
@pytest.mark.parametrize("shapes", [
    ((4, 3), (6, 3), (6, 5)),                    # L_q != L_k, d_v != d
    ((2, 5, 4), (2, 7, 4), (2, 7, 2)),           # a batch
    ((2, 3, 6, 8), (2, 3, 6, 8), (2, 3, 6, 8)),  # batch and heads
    ((3, 5, 4), (1, 9, 4), (1, 9, 6)),           # the keys broadcast over the batch
])
def test_attention_matches_torch(shapes):
    q, k, v = (randn(*s) for s in shapes)
    out, weights = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v), rtol=1e-12, atol=1e-12)
    L_q, L_k = q.shape[-2], k.shape[-2]
    assert weights.shape == out.shape[:-1] + (L_k,) and out.shape[-2] == L_q
    torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:-1], dtype=torch.float64))


@pytest.mark.parametrize("mask_shape", [(5, 7), (2, 1, 5, 7), (2, 3, 5, 7), (1, 7)])
def test_attention_with_a_boolean_mask_matches_torch(mask_shape):
    q, k, v = randn(2, 3, 5, 4), randn(2, 3, 7, 4), randn(2, 3, 7, 6)
    mask = random_mask(*mask_shape)
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    want = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # True = may attend
    torch.testing.assert_close(out, want, rtol=1e-12, atol=1e-12)
    assert torch.all(weights[~mask.expand_as(weights)] == 0)
    # The weights are the output for the values I (the identity matrix).
    eye = torch.eye(7, dtype=torch.float64).expand(2, 3, 7, 7)
    torch.testing.assert_close(weights, F.scaled_dot_product_attention(q, k, eye, attn_mask=mask),
                               rtol=1e-12, atol=1e-12)


def test_causal_mask_is_the_lower_triangle():
    for n in (1, 2, 7):
        mask = causal_mask(n)
        assert mask.dtype == torch.bool and torch.equal(mask, torch.tril(torch.ones(n, n)).bool())
    q, k, v = randn(6, 4), randn(6, 4), randn(6, 3)
    out, weights = scaled_dot_product_attention(q, k, v, causal_mask(6))
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True),
                               rtol=1e-12, atol=1e-12)
    assert torch.all(weights.triu(1) == 0) and weights[0, 0] == 1


def test_a_fully_masked_query_is_an_error_naming_the_row():
    q, k, v = randn(2, 4, 3), randn(2, 5, 3), randn(2, 5, 3)
    mask = torch.ones(2, 4, 5, dtype=torch.bool)
    mask[1, 2] = False
    with pytest.raises(ValueError, match=r"mask row \(1, 2\) is all False: query 2"):
        scaled_dot_product_attention(q, k, v, mask)


@pytest.mark.parametrize("call", [
    lambda: scaled_dot_product_attention(randn(4, 3), randn(6, 2), randn(6, 5)),        # d differs
    lambda: scaled_dot_product_attention(randn(4, 3), randn(6, 3), randn(5, 5)),        # L_k differs
    lambda: scaled_dot_product_attention(randn(3), randn(6, 3), randn(6, 5)),           # q not 2-D
    lambda: scaled_dot_product_attention(randn(2, 4, 3), randn(3, 6, 3), randn(3, 6, 5)),
    lambda: scaled_dot_product_attention(randn(4, 3), randn(6, 3), randn(6, 5), torch.ones(4, 6)),
    lambda: scaled_dot_product_attention(randn(4, 3), randn(6, 3), randn(6, 5),
                                         torch.ones(6, 4, dtype=torch.bool)),
    lambda: scaled_dot_product_attention(torch.full((4, 3), float("nan")), randn(6, 3), randn(6, 5)),
    lambda: causal_mask(0),
    lambda: causal_mask(2.5),
    lambda: split_heads(randn(2, 3, 10), 4),
    lambda: split_heads(randn(3, 10), 2),
    lambda: merge_heads(randn(2, 3, 4)),
    lambda: MultiHeadAttention(10, 3),
    lambda: MultiHeadAttention(8, 2).double()(randn(2, 3, 6), randn(2, 3, 8), randn(2, 3, 8)),
    lambda: MultiHeadAttention(8, 2).double()(randn(2, 3, 8), randn(2, 4, 8), randn(2, 5, 8)),
    lambda: sinusoidal_positional_encoding(10, 5),
    lambda: sinusoidal_positional_encoding(0, 4),
    lambda: relative_shift_matrix(1.5, 4),
    lambda: relative_shift_matrix(2, 3),
    lambda: layer_norm(randn(3, 4), gamma=torch.ones(3)),
    lambda: layer_norm(randn(3, 4), eps=0.0),
    lambda: layer_norm(torch.ones(3, 0)),
])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------- heads
def test_split_and_merge_heads_are_inverse_and_slice_the_features():
    x = randn(2, 5, 12)
    heads = split_heads(x, 3)
    assert heads.shape == (2, 3, 5, 4)
    for i in range(3):
        torch.testing.assert_close(heads[:, i], x[..., 4 * i:4 * (i + 1)], rtol=0, atol=0)
    torch.testing.assert_close(merge_heads(heads), x, rtol=0, atol=0)
    assert merge_heads(randn(2, 3, 5, 4)).shape == (2, 5, 12)  # a contiguous input, as attention gives


def test_a_plain_reshape_is_not_a_split_into_heads():
    """The pitfall: reshape (B, L, D) -> (B, h, L, D/h) has the right shape, the wrong content."""
    x = randn(2, 5, 12)
    wrong = x.reshape(2, 3, 5, 4)
    assert wrong.shape == split_heads(x, 3).shape
    assert not torch.allclose(wrong, split_heads(x, 3))
    assert not torch.allclose(wrong.transpose(1, 2).reshape(2, 5, 12), x)  # merged the right way


def _torch_mha(mha: MultiHeadAttention) -> torch.nn.MultiheadAttention:
    """PyTorch's multi-head attention holding the same weights as ``mha``."""
    ref = torch.nn.MultiheadAttention(mha.d_model, mha.n_heads, bias=mha.W_q.bias is not None,
                                      batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([mha.W_q.weight, mha.W_k.weight, mha.W_v.weight]))
        ref.out_proj.weight.copy_(mha.W_o.weight)
        if ref.in_proj_bias is not None:
            ref.in_proj_bias.copy_(torch.cat([mha.W_q.bias, mha.W_k.bias, mha.W_v.bias]))
            ref.out_proj.bias.copy_(mha.W_o.bias)
    return ref


@pytest.mark.parametrize("bias", [True, False])
def test_multi_head_attention_matches_torch(bias):
    torch.manual_seed(0)
    mha = MultiHeadAttention(12, 3, bias=bias).double()
    ref = _torch_mha(mha)
    query, memory = randn(2, 5, 12), randn(2, 7, 12)
    out, weights = mha(query, memory, memory)
    want, want_weights = ref(query, memory, memory, average_attn_weights=False)
    assert weights.shape == (2, 3, 5, 7)
    torch.testing.assert_close(out, want, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(weights, want_weights, rtol=1e-12, atol=1e-12)
    _, averaged = ref(query, memory, memory)  # torch averages the heads by default
    torch.testing.assert_close(weights.mean(1), averaged, rtol=1e-12, atol=1e-12)


def test_multi_head_attention_with_a_mask_matches_torch():
    torch.manual_seed(1)
    mha = MultiHeadAttention(8, 4).double()
    ref = _torch_mha(mha)
    x = randn(3, 6, 8)
    for mask in (causal_mask(6), random_mask(6, 6)):
        out, weights = mha(x, x, x, mask)
        # nn.MultiheadAttention's boolean attn_mask is True where attention is NOT allowed
        want, want_weights = ref(x, x, x, attn_mask=~mask, average_attn_weights=False)
        torch.testing.assert_close(out, want, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(weights, want_weights, rtol=1e-12, atol=1e-12)


def test_splitting_heads_with_a_plain_reshape_breaks_multi_head_attention():
    torch.manual_seed(2)
    mha = MultiHeadAttention(8, 2).double()
    x = randn(2, 5, 8)
    want, _ = _torch_mha(mha)(x, x, x)
    q, k, v = (W(x).reshape(2, 2, 5, 4) for W in (mha.W_q, mha.W_k, mha.W_v))
    out, _ = scaled_dot_product_attention(q, k, v)
    wrong = mha.W_o(out.reshape(2, 5, 8))
    assert not torch.allclose(wrong, want, atol=1e-6)
    torch.testing.assert_close(mha(x, x, x)[0], want, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- positional encoding
def test_positional_encoding_closed_form():
    pe = sinusoidal_positional_encoding(50, 16)
    assert pe.shape == (50, 16)
    np.testing.assert_array_equal(pe[0], np.tile([0.0, 1.0], 8))
    for pos, i in [(1, 0), (7, 3), (49, 7), (20, 5)]:
        angle = pos / 10000 ** (2 * i / 16)
        assert pe[pos, 2 * i] == pytest.approx(np.sin(angle), abs=1e-15)
        assert pe[pos, 2 * i + 1] == pytest.approx(np.cos(angle), abs=1e-15)
    assert pe[3, 0] == pytest.approx(np.sin(3.0), abs=1e-15)
    assert pe[3, 1] == pytest.approx(np.cos(3.0), abs=1e-15)


@pytest.mark.parametrize("k", [0, 1, 3, 17, -1, -5, -30])
def test_a_shift_by_k_is_one_matrix_for_every_position(k):
    d = 12
    pe = sinusoidal_positional_encoding(80, d)
    M = relative_shift_matrix(k, d)
    positions = np.arange(max(0, -k), min(80, 80 - k))
    np.testing.assert_allclose(pe[positions] @ M.T, pe[positions + k], rtol=0, atol=1e-9)
    np.testing.assert_allclose(M @ M.T, np.eye(d), atol=1e-12)  # a rotation
    np.testing.assert_allclose(relative_shift_matrix(-k, d), M.T, atol=1e-12)
    assert np.count_nonzero(M[np.abs(np.subtract.outer(range(d), range(d))) > 1]) == 0


# --------------------------------------------------------------------------- layer norm
@pytest.mark.parametrize("shape,eps", [((5, 8), 1e-5), ((2, 3, 6), 1e-5), ((4, 10), 1e-3), ((7,), 1e-5)])
def test_layer_norm_matches_torch(shape, eps):
    x = 3.0 + 0.1 * randn(*shape)
    gamma, beta = randn(shape[-1]), randn(shape[-1])
    torch.testing.assert_close(layer_norm(x, gamma, beta, eps),
                               F.layer_norm(x, shape[-1:], gamma, beta, eps), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(layer_norm(x, eps=eps), F.layer_norm(x, shape[-1:], eps=eps),
                               rtol=1e-12, atol=1e-12)
    ln = torch.nn.LayerNorm(shape[-1], eps=eps, dtype=torch.float64)
    torch.testing.assert_close(layer_norm(x, ln.weight, ln.bias, eps), ln(x), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- the question bank
import helpers.grading as grading  # noqa: E402
from helpers.grading import evaluate, grade_answer  # noqa: E402
from helpers.grading.attention import QUESTIONS  # noqa: E402

_HELPER_ANSWERS = {
    "attention.scaled_dot_product": scaled_dot_product_attention,
    "attention.causal_mask": causal_mask,
    "attention.positional_encoding": sinusoidal_positional_encoding,
    "attention.split_heads": split_heads,
    "attention.merge_heads": merge_heads,
    "attention.layer_norm": layer_norm,
}
_BANK = {q.id: q for q in QUESTIONS}


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.id)
def test_bank_accepts_the_helpers(q):
    assert q.chapter == 4 and q.id.startswith("attention.")
    assert sorted(_BANK) == sorted(_HELPER_ANSWERS)
    for answer in (_HELPER_ANSWERS[q.id], q.reference):
        status, message = grade_answer(q, answer)
        assert status == "passed", message
    assert q.mistakes  # each gets its hint: tests/test_grading.py checks every bank


def test_bank_explains_a_wrong_return_value():
    q = _BANK["attention.scaled_dot_product"]
    assert evaluate(q, lambda q_, k, v, mask=None: scaled_dot_product_attention(q_, k, v, mask)[0]) == (
        "failed", "return a tuple (out, weights), got Tensor")
    status, message = evaluate(q, lambda q_, k, v, mask=None: scaled_dot_product_attention(
        q_, k, v, mask)[::-1])
    assert status == "failed" and message.startswith("wrong shape of out")
    assert evaluate(q, scaled_dot_product_attention(randn(2, 2), randn(2, 2), randn(2, 2)))[0] == "failed"


def test_bank_names_the_non_contiguous_view():
    q = _BANK["attention.merge_heads"]

    def merge_with_view(x):
        B, h, L, d_head = x.shape
        return x.transpose(1, 2).view(B, L, h * d_head)

    status, message = evaluate(q, merge_with_view)
    assert status == "failed" and ".contiguous()" in message


def test_check_finds_the_bank_once_registered(monkeypatch, capsys):
    monkeypatch.setattr(grading, "BANKS", grading.BANKS + ("attention",) * ("attention" not in grading.BANKS))
    monkeypatch.setattr(grading, "_REGISTRY", None)
    assert {qid for qid, info in grading.questions().items() if info.chapter == 4} == set(_BANK)
    assert grading.check("attention.causal_mask", causal_mask)
    assert not grading.check("attention.causal_mask", lambda n: ~causal_mask(n))
    out = capsys.readouterr().out
    assert "✅ attention.causal_mask" in out and "the convention is inverted" in out


def test_causal_mask_must_be_boolean():
    """A float 0/1 mask is added to the scores by F.scaled_dot_product_attention: no masking."""
    q = _BANK["attention.causal_mask"]
    status, message = evaluate(q, lambda n: torch.tril(torch.ones(n, n)))
    assert status == "failed" and "return a boolean mask" in message and "float mask" in message
    status, message = evaluate(q, lambda n: torch.tril(torch.ones(n, n, dtype=torch.float64)).numpy())
    assert status == "failed" and "return a boolean mask" in message
    additive = lambda n: torch.zeros(n, n).masked_fill(~causal_mask(n), float("-inf"))  # noqa: E731
    status, message = evaluate(q, additive)
    assert status == "failed" and "additive form" in message and "contains inf" not in message
    assert evaluate(q, lambda n: [[True]] * n)[0] == "failed"
    assert evaluate(q, lambda n: np.tril(np.ones((n, n), dtype=bool)))[0] == "passed"
    # why the float mask is wrong: it changes the scores but masks nothing
    x = randn(4, 3)
    leaky = F.scaled_dot_product_attention(x, x, x, attn_mask=torch.tril(torch.ones(4, 4)).double())
    assert not torch.allclose(leaky, F.scaled_dot_product_attention(x, x, x, is_causal=True))


def test_bank_accepts_a_float32_attention():
    q = _BANK["attention.scaled_dot_product"]

    def in_float32(q_, k, v, mask=None):
        out, weights = scaled_dot_product_attention(q_.float(), k.float(), v.float(), mask)
        return out, weights

    assert evaluate(q, in_float32)[0] == "passed"


@pytest.mark.parametrize("qid,wrong,needle", [
    ("attention.scaled_dot_product",
     lambda q_, k, v, mask=None: (lambda w: (w @ v, w))(torch.softmax(
         (q_ @ k.transpose(-2, -1) / q_.shape[-1] ** 0.5).masked_fill(
             ~mask if mask is not None else torch.zeros((), dtype=torch.bool), 0.0), -1)),
     "set to 0"),
    ("attention.scaled_dot_product",
     lambda q_, k, v, mask=None: (lambda w: (w @ v, w))(torch.softmax(
         q_ @ k.transpose(-2, -1) / q_.shape[-1] ** 0.5, -1) * (1 if mask is None else mask)),
     "after the softmax"),
    ("attention.scaled_dot_product",
     lambda q_, k, v, mask=None: (lambda w: (w @ v, w))(torch.softmax(
         (q_ @ k.transpose(-2, -1) / k.shape[-2] ** 0.5).masked_fill(
             ~mask if mask is not None else torch.zeros((), dtype=torch.bool), float("-inf")), -1)),
     "number of keys"),
    ("attention.layer_norm",
     lambda x, g, b, e: g * (x - x.mean(-1, keepdim=True))
     / torch.sqrt(x.var(-1, unbiased=False, keepdim=True) + 1e-5) + b,
     "hard-coded"),
    ("attention.positional_encoding",
     lambda L, d: (lambda a: np.stack([np.sin(a), np.cos(a)], -1).reshape(L, d))(
         np.arange(L)[:, None] / 10000 ** (np.arange(d // 2) / d)),
     "factor 2 is missing"),
    ("attention.positional_encoding",
     lambda L, d: (lambda a: np.stack([np.sin(a), np.cos(a)], -1).reshape(L, d))(
         np.arange(L)[:, None] * 10000 ** (np.arange(0, d, 2) / d)),
     "minus sign"),
])
def test_bank_names_a_learners_mistake(qid, wrong, needle):
    status, message = evaluate(_BANK[qid], wrong)
    assert status == "failed" and needle in message, message
