"""Tests of helpers.info (Chapter 1) against SciPy, scikit-learn and closed forms,
property tests with hypothesis, and tests of the Chapter 1 question bank."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import rel_entr
from scipy.stats import entropy as scipy_entropy
from sklearn.metrics import mutual_info_score
from sklearn.tree import DecisionTreeClassifier

from helpers.grading import check, questions
from helpers.grading import info as bank
from helpers.info import (
    conditional_entropy,
    conditional_mutual_information,
    cross_entropy,
    entropy,
    huffman_code,
    information_gain,
    joint_entropy,
    kl_divergence,
    mutual_information,
    mutual_information_discrete,
    mutual_information_hist,
)

LN2 = math.log(2)
TOL = 1e-10


def dirichlet(rng, shape):
    """Random distributions along the last axis."""
    return rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])


# --------------------------------------------------------------------------- hypothesis strategies
weights = st.floats(min_value=0.0, max_value=1e3, allow_nan=False, allow_infinity=False)


@st.composite
def distributions(draw, min_size=1, max_size=12, size=None):
    n = size if size is not None else draw(st.integers(min_size, max_size))
    w = draw(arrays(float, n, elements=weights).filter(lambda a: a.sum() > 0))
    return w / w.sum()


@st.composite
def joint_tables(draw):
    nx, ny = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    w = draw(arrays(float, (nx, ny), elements=weights).filter(lambda a: a.sum() > 0))
    return w / w.sum()


@st.composite
def distribution_pairs(draw):
    n = draw(st.integers(1, 10))
    return draw(distributions(size=n)), draw(distributions(size=n))


# --------------------------------------------------------------------------- entropy, cross-entropy, KL
@pytest.mark.parametrize("base", [math.e, 2, 10, 0.5])
def test_entropy_matches_scipy(base):
    rng = np.random.default_rng(1)
    for n in (1, 2, 7, 50):
        p = dirichlet(rng, (n,))
        assert entropy(p, base=base) == pytest.approx(scipy_entropy(p, base=base), abs=TOL)


def test_entropy_known_values():
    assert entropy([0.5, 0.5], base=2) == pytest.approx(1.0)
    assert entropy(np.full(6, 1 / 6), base=2) == pytest.approx(math.log2(6))
    assert entropy([0.0, 1.0, 0.0]) == 0.0            # 0 log 0 = 0, and no -0.0
    assert math.copysign(1.0, entropy([1.0])) == 1.0
    assert isinstance(entropy([0.3, 0.7]), float)


def test_entropy_batches_along_last_axis():
    rng = np.random.default_rng(2)
    p = dirichlet(rng, (4, 3, 5))
    h = entropy(p, base=2)
    assert h.shape == (4, 3)
    np.testing.assert_allclose(h, scipy_entropy(p, base=2, axis=-1), atol=TOL)


def test_entropy_accepts_lists_and_ints():
    assert entropy([0, 1]) == 0.0
    assert entropy((0.25, 0.25, 0.5), base=2) == pytest.approx(1.5)


def test_kl_matches_rel_entr():
    rng = np.random.default_rng(3)
    p, q = dirichlet(rng, (6, 9)), dirichlet(rng, (6, 9))
    np.testing.assert_allclose(kl_divergence(p, q), rel_entr(p, q).sum(axis=-1), atol=TOL)
    np.testing.assert_allclose(kl_divergence(p, q, base=2), rel_entr(p, q).sum(axis=-1) / LN2, atol=TOL)


def test_kl_support_rules():
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf          # q = 0 < p
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(math.log(2))  # p = 0 is fine
    assert kl_divergence([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]) == 0.0
    assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf


def test_kl_is_asymmetric():
    p, q = [0.2, 0.8], [0.5, 0.5]
    assert kl_divergence(p, q) == pytest.approx(0.2 * math.log(0.4) + 0.8 * math.log(1.6))
    assert kl_divergence(p, q) != pytest.approx(kl_divergence(q, p))


def test_cross_entropy_matches_scipy():
    rng = np.random.default_rng(4)
    p, q = dirichlet(rng, (8,)), dirichlet(rng, (8,))
    want = scipy_entropy(p) + scipy_entropy(p, q)  # H(p) + KL(p || q)
    assert cross_entropy(p, q) == pytest.approx(want, abs=TOL)
    assert cross_entropy(p, q, base=2) == pytest.approx(want / LN2, abs=TOL)


def test_cross_entropy_with_one_hot_is_negative_log_likelihood():
    q = np.array([0.7, 0.2, 0.1])
    assert cross_entropy([1, 0, 0], q) == pytest.approx(-math.log(0.7))


def test_inputs_within_tolerance_are_renormalised():
    p = np.array([0.3, 0.7]) * (1 + 5e-7)
    assert kl_divergence(p, p) == 0.0
    assert entropy(p) == pytest.approx(scipy_entropy([0.3, 0.7]), abs=1e-12)


# --------------------------------------------------------------------------- joint tables
def test_joint_and_conditional_entropy_match_scipy():
    rng = np.random.default_rng(5)
    joint = rng.dirichlet(np.ones(12)).reshape(3, 4)
    assert joint_entropy(joint) == pytest.approx(scipy_entropy(joint.ravel()), abs=TOL)
    p_x = joint.sum(axis=1)
    want = sum(p_x[i] * scipy_entropy(joint[i] / p_x[i]) for i in range(3))
    assert conditional_entropy(joint) == pytest.approx(want, abs=TOL)
    p_y = joint.sum(axis=0)
    want_x_given_y = sum(p_y[j] * scipy_entropy(joint[:, j] / p_y[j]) for j in range(4))
    assert conditional_entropy(joint.T) == pytest.approx(want_x_given_y, abs=TOL)


def test_conditional_entropy_special_tables():
    p_x, p_y = np.array([0.2, 0.8]), np.array([0.1, 0.3, 0.6])
    assert conditional_entropy(np.outer(p_x, p_y)) == pytest.approx(scipy_entropy(p_y))  # independent
    determined = np.array([[0.0, 0.3], [0.7, 0.0]])                                      # Y = f(X)
    assert conditional_entropy(determined) == 0.0
    zero_row = np.array([[0.0, 0.0], [0.5, 0.5]])
    assert conditional_entropy(zero_row, base=2) == pytest.approx(1.0)


def test_mutual_information_matches_sklearn_contingency():
    rng = np.random.default_rng(6)
    for shape in ((2, 2), (3, 5), (6, 4)):
        counts = rng.integers(0, 20, size=shape)
        counts[0, 0] += 1
        want = mutual_info_score(None, None, contingency=counts)
        assert mutual_information(counts / counts.sum()) == pytest.approx(want, abs=1e-12)


def test_mutual_information_batches():
    rng = np.random.default_rng(7)
    joints = rng.dirichlet(np.ones(6), size=5).reshape(5, 2, 3)
    mi = mutual_information(joints, base=2)
    assert mi.shape == (5,)
    np.testing.assert_allclose(mi, [mutual_information(j, base=2) for j in joints], atol=TOL)
    assert joint_entropy(joints).shape == (5,)
    assert conditional_entropy(joints).shape == (5,)


def test_mutual_information_extremes():
    p_x, p_y = np.array([0.25, 0.75]), np.array([0.5, 0.2, 0.3])
    assert mutual_information(np.outer(p_x, p_y)) == 0.0
    copy = np.diag([0.1, 0.2, 0.3, 0.4])                 # X = Y
    assert mutual_information(copy) == pytest.approx(scipy_entropy([0.1, 0.2, 0.3, 0.4]))
    assert mutual_information([[1.0]]) == 0.0


def test_mutual_information_with_tiny_marginals():
    """p(x) p(y) underflows to 0 here although p(x, y) > 0: MI must stay finite and = H(X)."""
    tiny = 1e-200
    copy = np.array([[tiny, 0.0], [0.0, 1.0 - tiny]])       # X = Y, one outcome nearly impossible
    assert mutual_information(copy) == pytest.approx(scipy_entropy([tiny, 1.0 - tiny]), rel=1e-9)
    assert mutual_information(copy) <= scipy_entropy([tiny, 1.0 - tiny]) * (1 + 1e-12)


def _scipy_cmi(joint):
    """I(X;Y|Z) = H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z), each entropy by SciPy."""
    h = lambda t: scipy_entropy(np.ravel(t))
    return h(joint.sum(axis=1)) + h(joint.sum(axis=0)) - h(joint) - h(joint.sum(axis=(0, 1)))


def test_conditional_mutual_information_matches_scipy_entropies():
    rng = np.random.default_rng(21)
    for shape in ((2, 2, 2), (3, 4, 2), (2, 5, 3)):
        joint = rng.dirichlet(np.ones(math.prod(shape))).reshape(shape)
        assert conditional_mutual_information(joint) == pytest.approx(_scipy_cmi(joint), abs=TOL)
        assert conditional_mutual_information(joint, base=2) == pytest.approx(
            _scipy_cmi(joint) / LN2, abs=TOL)
    batch = rng.dirichlet(np.ones(12), size=4).reshape(4, 2, 3, 2)
    np.testing.assert_allclose(conditional_mutual_information(batch),
                               [_scipy_cmi(j) for j in batch], atol=TOL)


def test_conditional_mutual_information_known_cases():
    # XOR: x and y fair coins, z = x XOR y.  I(X;Y) = 0 but I(X;Y|Z) = 1 bit.
    xor = np.zeros((2, 2, 2))
    for x, y in itertools.product((0, 1), repeat=2):
        xor[x, y, x ^ y] = 0.25
    assert conditional_mutual_information(xor, base=2) == pytest.approx(1.0, abs=1e-12)
    # Markov chain X -> Z -> Y (Y depends on X only through Z): I(X;Y|Z) = 0.
    rng = np.random.default_rng(22)
    p_x = rng.dirichlet(np.ones(3))
    p_z_given_x = rng.dirichlet(np.ones(4), size=3)
    p_y_given_z = rng.dirichlet(np.ones(2), size=4)
    chain = np.einsum("x,xz,zy->xyz", p_x, p_z_given_x, p_y_given_z)
    assert conditional_mutual_information(chain) == pytest.approx(0.0, abs=1e-12)
    # a value of Z that never occurs contributes nothing, and raises no warning
    padded = np.concatenate([xor, np.zeros((2, 2, 1))], axis=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert conditional_mutual_information(padded, base=2) == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.data())
def test_chain_rule_for_mutual_information(nx, ny, nz, data):
    w = data.draw(arrays(float, (nx, ny, nz), elements=weights).filter(lambda a: a.sum() > 0))
    joint = w / w.sum()
    cmi = conditional_mutual_information(joint)
    assert cmi >= 0.0
    # I(X; (Y, Z)) = I(X; Z) + I(X; Y | Z)
    assert mutual_information(joint.reshape(nx, ny * nz)) == pytest.approx(
        mutual_information(joint.sum(axis=1)) + cmi, abs=1e-9)


def _kraft_optimum(p):
    """Minimum of sum p_i l_i over integer lengths l_i >= 1 with sum 2^-l_i <= 1 (brute force).

    By the Kraft inequality these are exactly the lengths of binary prefix codes, so this is
    the expected length of an optimal prefix code for len(p) >= 2 symbols."""
    n = len(p)
    best = math.inf
    for lengths in itertools.product(range(1, n), repeat=n):
        if sum(2.0 ** -l for l in lengths) <= 1:
            best = min(best, float(np.dot(p, lengths)))
    return best


def _is_prefix_free(codewords):
    return not any(a != b and b.startswith(a) for a in codewords for b in codewords) and \
        len(set(codewords)) == len(codewords)


def test_huffman_known_codes():
    # Cover and Thomas (2006), Example 5.6.1: lengths 2, 2, 2, 3, 3 and 2.3 bits per symbol
    code = huffman_code([0.25, 0.25, 0.2, 0.15, 0.15])
    assert [len(w) for w in code] == [2, 2, 2, 3, 3]
    assert _is_prefix_free(code)
    # dyadic probabilities: lengths are exactly -log2 p, so L = H
    dyadic = np.array([1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 16])
    assert [len(w) for w in huffman_code(dyadic)] == [1, 2, 3, 4, 4]
    assert [len(w) for w in huffman_code([0.7, 0.1, 0.1, 0.1])] in ([1, 2, 3, 3], [1, 3, 3, 2],
                                                                    [1, 3, 2, 3])
    assert huffman_code([0.99, 0.01]) in (["0", "1"], ["1", "0"])
    assert huffman_code([1.0]) == [""]


def test_huffman_length_reference_is_the_optimum():
    """The question bank's reference (a sum of merged weights) against brute force."""
    rng = np.random.default_rng(25)
    for n in (2, 3, 4, 5, 6):
        p = rng.dirichlet(np.ones(n))
        assert bank._huffman_length_bits(p) == pytest.approx(_kraft_optimum(p), abs=1e-12)
    assert bank._huffman_length_bits([1.0]) == 0.0


def test_huffman_is_optimal_against_brute_force():
    rng = np.random.default_rng(23)
    for n in (2, 3, 4, 5, 6):
        for _ in range(5):
            p = rng.dirichlet(np.full(n, 0.5))
            code = huffman_code(p)
            assert _is_prefix_free(code)
            length = float(np.dot(p, [len(w) for w in code]))
            assert length == pytest.approx(_kraft_optimum(p), abs=1e-12)


def test_huffman_lengths_meet_the_source_coding_bounds():
    rng = np.random.default_rng(24)
    for n in (2, 3, 7, 20, 100):
        for alpha in (0.1, 1.0, 10.0):
            p = rng.dirichlet(np.full(n, alpha))
            p = np.maximum(p, 1e-12)
            p /= p.sum()
            lengths = np.array([len(w) for w in huffman_code(p)])
            h = scipy_entropy(p, base=2)
            assert h - 1e-12 <= np.dot(p, lengths) < h + 1
            assert np.sum(2.0 ** -lengths) == pytest.approx(1.0, abs=1e-12)   # a complete code
            shannon = np.ceil(-np.log2(p))                 # the Shannon code is never better
            assert np.dot(p, lengths) <= np.dot(p, shannon) + 1e-12


def test_huffman_codes_with_zero_probabilities_and_ties():
    code = huffman_code([0.5, 0.0, 0.5, 0.0])
    assert _is_prefix_free(code) and len(code) == 4
    assert np.dot([0.5, 0.0, 0.5, 0.0], [len(w) for w in code]) <= 1.5
    uniform = huffman_code(np.full(8, 1 / 8))
    assert sorted(uniform) == ["".join(b) for b in itertools.product("01", repeat=3)]
    assert huffman_code(np.full(8, 1 / 8)) == uniform          # deterministic


@pytest.mark.parametrize(
    "bad, message",
    [
        ([0.5, 0.6], "must sum to 1"),
        ([0.5, -0.5, 1.0], "negative entry"),
        ([], "empty"),
        ([[0.5, 0.5], [0.5, 0.5]], "one probability vector"),
        (0.5, "probability vector"),
        ([0.5, np.nan], "NaN or inf"),
    ],
)
def test_huffman_bad_input(bad, message):
    with pytest.raises(ValueError, match=f"huffman_code: .*{message}"):
        huffman_code(bad)


def test_conditional_mutual_information_bad_input():
    with pytest.raises(ValueError, match="conditional_mutual_information: joint must be a joint"):
        conditional_mutual_information([[0.5, 0.5]])
    with pytest.raises(ValueError, match="last three axes"):
        conditional_mutual_information(np.full((2, 2, 2), 0.25))


# --------------------------------------------------------------------------- estimators from samples
def test_mutual_information_discrete_matches_sklearn():
    rng = np.random.default_rng(8)
    x = rng.integers(0, 5, size=3000)
    y = (x + rng.integers(0, 3, size=3000)) % 7
    assert mutual_information_discrete(x, y) == pytest.approx(mutual_info_score(x, y), abs=1e-12)
    labels = np.array(["cat", "dog", "bird"])[rng.integers(0, 3, size=500)]
    other = np.where(rng.random(500) < 0.8, labels, "dog")
    assert mutual_information_discrete(labels, other) == pytest.approx(
        mutual_info_score(labels, other), abs=1e-12
    )


def test_plug_in_bias_for_independent_variables():
    """For independent X, Y the plug-in estimate averages about (kx-1)(ky-1)/(2n) nats."""
    rng = np.random.default_rng(9)
    kx, ky, n = 4, 5, 2000
    estimates = [
        mutual_information_discrete(rng.integers(0, kx, n), rng.integers(0, ky, n)) for _ in range(200)
    ]
    assert np.mean(estimates) == pytest.approx((kx - 1) * (ky - 1) / (2 * n), rel=0.15)


def test_mutual_information_hist_matches_sklearn_on_the_same_bins():
    rng = np.random.default_rng(10)
    x = rng.normal(size=2000)
    y = np.sin(2 * x) + 0.3 * rng.normal(size=2000)
    for bins in (1, 5, 17, (8, 12)):
        counts, _, _ = np.histogram2d(x, y, bins=bins)
        want = mutual_info_score(None, None, contingency=counts)
        assert mutual_information_hist(x, y, bins=bins) == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_mutual_information_hist_approaches_gaussian_closed_form(rho):
    rng = np.random.default_rng(11)
    n = 200_000
    x = rng.normal(size=n)
    y = rho * x + math.sqrt(1 - rho**2) * rng.normal(size=n)
    exact = -0.5 * math.log(1 - rho**2)
    assert mutual_information_hist(x, y, bins=40) == pytest.approx(exact, abs=0.03)


def test_information_gain_sources_example():
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 1, 0])
    perfect = y.copy()
    alternating = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
    assert information_gain(y, perfect) == pytest.approx(1.0)
    # each child holds 3 of one class and 2 of the other: 1 - H(0.4) bits
    assert information_gain(y, alternating) == pytest.approx(1 - scipy_entropy([0.4, 0.6], base=2))
    assert information_gain(y, alternating.astype(bool)) == pytest.approx(1 - scipy_entropy([0.4, 0.6], base=2))


def test_information_gain_matches_a_decision_stump():
    """sklearn's entropy criterion (log base 2) gives the same gain at its chosen threshold."""
    rng = np.random.default_rng(12)
    x = rng.normal(size=300)
    y = np.where(x + 0.7 * rng.normal(size=300) > 0.3, 1, 0) + (x > 1.5)
    stump = DecisionTreeClassifier(criterion="entropy", max_depth=1).fit(x[:, None], y)
    t = stump.tree_
    left, right = t.children_left[0], t.children_right[0]
    n = t.weighted_n_node_samples
    want = t.impurity[0] - (n[left] * t.impurity[left] + n[right] * t.impurity[right]) / n[0]
    assert information_gain(y, x, threshold=t.threshold[0]) == pytest.approx(want, abs=1e-9)


def test_information_gain_is_mutual_information_with_the_split():
    rng = np.random.default_rng(13)
    y = rng.integers(0, 3, size=400)
    x = y + rng.normal(size=400)
    split = x <= 0.8
    want = mutual_info_score(y, split)
    assert information_gain(y, x, threshold=0.8, base=math.e) == pytest.approx(want, abs=1e-12)


def test_information_gain_edge_cases():
    y = np.array([0, 1, 0, 1])
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert information_gain(y, x, threshold=0.0) == 0.0     # everything goes right
    assert information_gain(y, x, threshold=10.0) == 0.0    # everything goes left
    assert information_gain(y, x, threshold=2.0) == 0.0     # children as mixed as the parent
    assert information_gain([0, 0, 0], [True, False, True]) == 0.0


# --------------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@given(distributions())
def test_entropy_is_between_zero_and_log_n(p):
    h = entropy(p)
    assert 0.0 <= h <= math.log(len(p)) + 1e-9
    assert entropy(p, base=2) == pytest.approx(h / LN2, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_gibbs_inequality_and_cross_entropy_decomposition(pq):
    p, q = pq
    kl = kl_divergence(p, q)
    assert kl >= 0.0
    assert kl_divergence(p, p) == 0.0
    if math.isfinite(kl):
        assert cross_entropy(p, q) == pytest.approx(entropy(p) + kl, rel=1e-9, abs=1e-9)
        assert cross_entropy(p, q) >= entropy(p) - 1e-12


@settings(max_examples=60, deadline=None)
@given(joint_tables())
def test_mutual_information_properties(joint):
    mi = mutual_information(joint)
    h_x, h_y = entropy(joint.sum(axis=1)), entropy(joint.sum(axis=0))
    assert mi >= 0.0
    assert mi == pytest.approx(mutual_information(joint.T), abs=1e-12)       # symmetry
    assert mi <= min(h_x, h_y) + 1e-9                                       # bounded by each entropy
    assert mi == pytest.approx(h_y - conditional_entropy(joint), abs=1e-9)   # H(Y) - H(Y|X)
    assert mi == pytest.approx(h_x - conditional_entropy(joint.T), abs=1e-9)  # H(X) - H(X|Y)


@settings(max_examples=60, deadline=None)
@given(joint_tables())
def test_chain_rule(joint):
    h_xy = joint_entropy(joint)
    assert h_xy == pytest.approx(entropy(joint.sum(axis=1)) + conditional_entropy(joint), abs=1e-9)
    assert h_xy == pytest.approx(entropy(joint.sum(axis=0)) + conditional_entropy(joint.T), abs=1e-9)
    assert conditional_entropy(joint) <= entropy(joint.sum(axis=0)) + 1e-9   # conditioning reduces entropy


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=60), st.data())
def test_plug_in_mi_is_symmetric_and_bounded(xs, data):
    ys = data.draw(st.lists(st.integers(0, 4), min_size=len(xs), max_size=len(xs)))
    mi = mutual_information_discrete(xs, ys)
    assert mi == pytest.approx(mutual_information_discrete(ys, xs), abs=1e-12)
    assert mi == pytest.approx(mutual_info_score(xs, ys), abs=1e-12)
    _, cx = np.unique(xs, return_counts=True)
    assert 0.0 <= mi <= scipy_entropy(cx) + 1e-12


def test_extreme_probabilities_stay_finite():
    tiny = np.array([1e-300, 1 - 1e-300])
    assert math.isfinite(entropy(tiny)) and entropy(tiny) >= 0
    assert math.isfinite(kl_divergence(tiny, tiny[::-1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")                     # no RuntimeWarning from 0 log 0
        entropy([0.0, 0.0, 1.0])
        mutual_information([[0.5, 0.0], [0.0, 0.5]])
        conditional_entropy([[0.0, 0.0], [0.5, 0.5]])


# --------------------------------------------------------------------------- invalid input
@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: entropy([0.5, -0.1, 0.6]), "negative entry"),
        (lambda: entropy([0.5, 0.6]), "must sum to 1"),
        (lambda: entropy([3, 1]), "divide them by their total"),
        (lambda: entropy([]), "empty"),
        (lambda: entropy(np.zeros((3, 0))), "empty"),
        (lambda: entropy([0.5, np.nan]), "NaN or inf"),
        (lambda: entropy(0.5), "probability vector"),
        (lambda: entropy(["a", "b"]), "array of numbers"),
        (lambda: entropy([0.5, 0.5], base=1), "base must be a positive number other than 1"),
        (lambda: entropy([0.5, 0.5], base=0), "base must be"),
        (lambda: entropy([0.5, 0.5], base=-2), "base must be"),
        (lambda: entropy([0.5, 0.5], base="2"), "base must be"),
        (lambda: entropy([0.5, 0.5], base=math.inf), "base must be"),
        (lambda: kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5]), "same shape"),
        (lambda: cross_entropy([0.5, 0.5], [[0.5, 0.5]]), "same shape"),
        (lambda: kl_divergence([0.5, 0.5], [0.7, 0.7]), "q must sum to 1"),
        (lambda: joint_entropy([0.5, 0.5]), "joint table"),
        (lambda: conditional_entropy([[0.5, 0.5], [0.5, 0.5]]), "last two axes"),
        (lambda: mutual_information([[0.5, -0.5], [0.5, 0.5]]), "negative entry"),
        (lambda: mutual_information_discrete([1, 2, 3], [1, 2]), "same length"),
        (lambda: mutual_information_discrete([], []), "no samples"),
        (lambda: mutual_information_discrete([[1, 2]], [[1, 2]]), "1-D array"),
        (lambda: mutual_information_hist([0.1, 0.2], [0.3, np.inf]), "NaN or inf"),
        (lambda: mutual_information_hist([0.1, 0.2], [0.3, 0.4], bins=0), "bins must be"),
        (lambda: mutual_information_hist([0.1, 0.2], [0.3, 0.4], bins=2.5), "bins must be"),
        (lambda: information_gain([0, 1, 1], [0.2, 3.0, 1.0]), "must be boolean"),
        (lambda: information_gain([0, 1], [0.2, 3.0], threshold="1"), "threshold must be"),
        (lambda: information_gain([0, 1], [True], threshold=None), "same length"),
        (lambda: information_gain([0, 1], [True, False], base=1), "base must be"),
    ],
)
def test_invalid_input_raises_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------- the question bank
IDS = ["info.entropy", "info.conditional_entropy", "info.information_gain",
       "info.mutual_information", "info.mi_histogram", "info.huffman_length"]


def test_bank_ids_and_chapter():
    info = questions()
    assert [q.id for q in bank.QUESTIONS] == IDS
    for qid in IDS:
        assert info[qid].chapter == 1 and info[qid].prompt


@pytest.mark.parametrize("question", bank.QUESTIONS, ids=lambda q: q.id)
def test_reference_passes(question, capsys):
    assert check(question.id, question.reference)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize(
    "question, wrong, hint",
    [(q, w, h) for q in bank.QUESTIONS for w, h in q.mistakes],
    ids=lambda v: getattr(v, "id", getattr(v, "__name__", "hint"))[:40],
)
def test_each_known_mistake_gets_its_hint(question, wrong, hint):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = check(question.id, wrong)
    assert not result
    assert result.message == hint


@pytest.mark.parametrize("qid", IDS)
def test_stub_is_not_attempted(qid):
    def stub(*args):
        raise NotImplementedError("Exercise: complete this function")

    result = check(qid, stub)
    assert not result and result.status == "not attempted"


# The book's own helpers, adapted to each exercise's signature and units, must pass: the
# independent references in the bank and helpers.info agree.
HELPER_ANSWERS = {
    "info.entropy": lambda p: entropy(p, base=2),
    "info.conditional_entropy": lambda joint: conditional_entropy(joint, base=2),
    "info.information_gain": lambda y, x, t: information_gain(y, x, threshold=t),
    "info.mutual_information": mutual_information,
    "info.mi_histogram": mutual_information_hist,
    "info.huffman_length": lambda p: float(np.dot(p, [len(w) for w in huffman_code(p)])),
}


@pytest.mark.parametrize("qid", IDS)
def test_helpers_pass_their_own_exercises(qid):
    assert check(qid, HELPER_ANSWERS[qid])


@pytest.mark.parametrize(
    "qid, answer, fragment",
    [
        ("info.entropy", lambda p: entropy(p), "in nats, but bits"),
        ("info.entropy", lambda p: -entropy(p, base=2), "wrong sign"),
        ("info.mutual_information", lambda j: mutual_information(j, base=2), "in bits, but nats"),
        ("info.mi_histogram", lambda x, y, b: 0.3, "wrong value"),
        ("info.information_gain", lambda y, x, t: information_gain(y, x, t, base=math.e), "in nats, but bits"),
    ],
)
def test_automatic_hints(qid, answer, fragment):
    result = check(qid, answer)
    assert not result and fragment in result.message
