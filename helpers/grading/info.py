"""Auto-graded questions for Chapter 1 (information theory).

Each reference is computed independently of ``helpers.info`` (with SciPy or scikit-learn),
and each ``mistakes`` entry models a wrong formula a learner is likely to write, with a hint.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import xlogy
from scipy.stats import entropy as scipy_entropy
from sklearn.metrics import mutual_info_score

from . import Question

LN2 = math.log(2)


# --------------------------------------------------------------------------- shared pieces
def _random_table(rng, shape, zeros=0):
    """A random joint table of the given shape, with ``zeros`` cells set to 0."""
    table = rng.dirichlet(np.ones(shape[0] * shape[1])).reshape(shape)
    if zeros:
        flat = table.ravel()
        flat[rng.choice(flat.size, size=zeros, replace=False)] = 0.0
        table = flat.reshape(shape)
    return table / table.sum()


def _tables(rng):
    """Joint tables with rows indexing X: random, sparse, independent, deterministic, a zero row."""
    cases = [
        _random_table(rng, (2, 3)),
        _random_table(rng, (4, 3)),
        _random_table(rng, (3, 5), zeros=4),
        _random_table(rng, (5, 2), zeros=2),
    ]
    p_x, p_y = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(4))
    cases.append(np.outer(p_x, p_y))                     # X and Y independent
    perm = np.zeros((4, 4))                              # Y is a function of X
    perm[np.arange(4), rng.permutation(4)] = rng.dirichlet(np.ones(4))
    cases.append(perm)
    with_zero_row = _random_table(rng, (4, 3))
    with_zero_row[rng.integers(4)] = 0.0                 # a value of X that never happens
    cases.append(with_zero_row / with_zero_row.sum())
    return [(t,) for t in cases]


def _h(p, base=math.e):
    """Entropy of a probability vector (zeros allowed), via SciPy."""
    return float(scipy_entropy(p, base=base)) if np.sum(p) > 0 else 0.0


def _row_entropies(joint, base=math.e):
    """H(Y | X = x) for each row x with p(x) > 0, and the p(x) of those rows."""
    p_x = joint.sum(axis=1)
    rows = p_x > 0
    return np.array([_h(r / r.sum(), base) for r in joint[rows]]), p_x[rows]


# --------------------------------------------------------------------------- info.entropy
def _entropy_bits(p):
    return float(scipy_entropy(p, base=2))


def _entropy_cases(rng):
    cases = [rng.dirichlet(np.ones(n)) for n in (2, 5, 10)]
    sparse = rng.dirichlet(np.ones(6))
    sparse[[1, 4]] = 0.0
    cases.append(sparse / sparse.sum())
    cases.append(np.array([0.0, 0.0, 1.0, 0.0]))        # certain outcome: 0 bits
    cases.append(np.full(8, 1 / 8))                      # uniform over 8: 3 bits
    cases.append(np.array([0.5, 0.5]))                   # fair coin: 1 bit
    return [(p,) for p in cases]


def _entropy_mean_nonzero(p):
    q = p[p > 0]
    return -np.mean(q * np.log2(q))


def _entropy_mean_all(p):
    return -np.mean(xlogy(p, p)) / LN2


_MEAN_HINT = ("you averaged the terms (np.mean); entropy is the sum -Σ p(x) log2 p(x): "
              "the weights p(x) already make it an average")


def _entropy_unweighted(p):
    return -np.sum(np.log2(np.asarray(p)[np.asarray(p) > 0]))


# --------------------------------------------------------------------------- info.conditional_entropy
def _cond_entropy_bits(joint):
    h_rows, p_x = _row_entropies(joint, base=2)
    return float(np.sum(p_x * h_rows))


def _cond_swapped(joint):
    return _cond_entropy_bits(joint.T)


def _cond_joint(joint):
    return _h(joint.ravel(), 2)


def _cond_h_y(joint):
    return _h(joint.sum(axis=0), 2)


def _cond_h_x(joint):
    return _h(joint.sum(axis=1), 2)


def _cond_unweighted_mean(joint):
    h_rows, _ = _row_entropies(joint, base=2)
    return float(np.mean(h_rows))


def _cond_unweighted_sum(joint):
    h_rows, _ = _row_entropies(joint, base=2)
    return float(np.sum(h_rows))


# --------------------------------------------------------------------------- info.information_gain
def _label_entropy(labels, base=2):
    if len(labels) == 0:
        return 0.0
    _, counts = np.unique(labels, return_counts=True)
    return float(scipy_entropy(counts, base=base))  # SciPy normalises the counts


def _split(y, left):
    """(parent entropy, weights, child entropies) for the split given by the mask ``left``."""
    n = len(y)
    weights = np.array([left.sum(), (~left).sum()]) / n
    children = np.array([_label_entropy(y[left]), _label_entropy(y[~left])])
    return _label_entropy(y), weights, children


def _ig_bits(y, x, threshold):
    left = x <= threshold
    if left.all() or not left.any():
        return 0.0
    parent, w, h = _split(y, left)
    return float(parent - w @ h)


def _ig_unweighted_mean(y, x, threshold):
    left = x <= threshold
    if left.all() or not left.any():
        return 0.0
    parent, _, h = _split(y, left)
    return float(parent - h.mean())


def _ig_unweighted_sum(y, x, threshold):
    left = x <= threshold
    if left.all() or not left.any():
        return 0.0
    parent, _, h = _split(y, left)
    return float(parent - h.sum())


def _ig_children_only(y, x, threshold):
    left = x <= threshold
    if left.all() or not left.any():
        return _label_entropy(y)
    _, w, h = _split(y, left)
    return float(w @ h)


def _ig_strict(y, x, threshold):
    return _ig_bits(y, x, np.nextafter(threshold, -np.inf))


def _gini(labels):
    if len(labels) == 0:
        return 0.0
    _, counts = np.unique(labels, return_counts=True)
    q = counts / counts.sum()
    return 1.0 - float(np.sum(q**2))


def _ig_gini(y, x, threshold):
    left = x <= threshold
    if left.all() or not left.any():
        return 0.0
    n = len(y)
    return _gini(y) - left.sum() / n * _gini(y[left]) - (~left).sum() / n * _gini(y[~left])


def _ig_cases(rng):
    cases = []
    for n, k in ((30, 2), (60, 3), (100, 2), (200, 4)):
        x = rng.integers(0, 10, size=n)                  # integer feature: ties at the threshold
        y = np.where(rng.random(n) < 0.7, (x >= 5).astype(int), rng.integers(0, k, size=n))
        cases.append((y, x, int(rng.integers(2, 8))))
    x = rng.integers(0, 10, size=40)
    cases.append(((x > 3).astype(int), x, 3))           # a perfect split
    x = rng.normal(size=50)
    y = (x + 0.8 * rng.normal(size=50) > 0).astype(int)
    cases.append((y, x, float(np.median(x))))            # a continuous feature
    cases.append((y, x, float(x.min()) - 1.0))           # everything goes right: gain 0
    return cases


# --------------------------------------------------------------------------- info.mutual_information
def _mi_nats(joint):
    p_x, p_y = joint.sum(axis=1), joint.sum(axis=0)
    return float(scipy_entropy(joint.ravel(), np.outer(p_x, p_y).ravel()))  # KL(P_XY || P_X P_Y)


def _mi_unweighted(joint):
    p_x, p_y = joint.sum(axis=1), joint.sum(axis=0)
    nz = joint > 0
    return float(np.sum(np.log(joint[nz] / np.outer(p_x, p_y)[nz])))


def _mi_mixed_variables(joint):
    h_rows, p_x = _row_entropies(joint)
    return _h(joint.sum(axis=1)) - float(np.sum(p_x * h_rows))  # H(X) - H(Y|X)


def _mi_no_joint(joint):
    return _h(joint.sum(axis=1)) + _h(joint.sum(axis=0))


# --------------------------------------------------------------------------- info.mi_histogram
def _mi_hist_nats(x, y, bins):
    counts, _, _ = np.histogram2d(x, y, bins=bins)
    return float(mutual_info_score(None, None, contingency=counts))


def _mi_hist_counts(x, y, bins):
    c, _, _ = np.histogram2d(x, y, bins=bins)
    r, s = c.sum(axis=1), c.sum(axis=0)
    nz = c > 0
    return float(np.sum(c[nz] * np.log(c[nz] / np.outer(r, s)[nz])))


def _mi_hist_unweighted(x, y, bins):
    c, _, _ = np.histogram2d(x, y, bins=bins)
    p = c / c.sum()
    nz = p > 0
    return float(np.sum(np.log(p[nz] / np.outer(p.sum(axis=1), p.sum(axis=0))[nz])))


def _mi_hist_density(x, y, bins):
    d, _, _ = np.histogram2d(x, y, bins=bins, density=True)
    nz = d > 0
    return float(np.sum(d[nz] * np.log(d[nz] / np.outer(d.sum(axis=1), d.sum(axis=0))[nz])))


def _mi_hist_cases(rng):
    cases = []
    for n, rho, bins in ((500, 0.0, 5), (2000, 0.5, 10), (3000, 0.9, 20), (1000, -0.7, 8)):
        x = rng.normal(size=n)
        y = rho * x + math.sqrt(1 - rho**2) * rng.normal(size=n)
        cases.append((x, y, bins))
    x = rng.uniform(-2, 2, size=1500)
    cases.append((x, np.sin(3 * x) + 0.3 * rng.normal(size=1500), 15))  # non-linear relation
    x = rng.normal(size=400)
    cases.append((x, x**2 + 0.1 * rng.normal(size=400), 6))
    cases.append((x, rng.normal(size=400), 1))           # one bin: nothing to learn, MI = 0
    return cases


# --------------------------------------------------------------------------- info.huffman_length
def _huffman_length_bits(p):
    """Average length of a binary Huffman code: the sum of the probabilities of every merged
    node (each merge adds one bit to each symbol below it).  A sorted list, not a heap."""
    weights = sorted(float(w) for w in np.asarray(p, dtype=float))
    total = 0.0
    while len(weights) > 1:
        merged = weights[0] + weights[1]
        total += merged
        weights = sorted(weights[2:] + [merged])
    return total


def _huffman_shannon(p):
    p = np.asarray(p, dtype=float)
    q = p[p > 0]
    return float(np.sum(q * np.ceil(-np.log2(q))))


def _huffman_entropy(p):
    return _h(np.asarray(p, dtype=float), 2)


def _huffman_largest_first(p):
    weights = sorted((float(w) for w in np.asarray(p, dtype=float)), reverse=True)
    total = 0.0
    while len(weights) > 1:
        merged = weights[0] + weights[1]
        total += merged
        weights = sorted(weights[2:] + [merged], reverse=True)
    return total


def _huffman_cases(rng):
    cases = [rng.dirichlet(np.full(n, a)) for n, a in ((2, 1.0), (3, 0.5), (6, 1.0), (9, 0.3),
                                                       (16, 2.0))]
    with_zero = rng.dirichlet(np.ones(5))
    with_zero[2] = 0.0
    cases.append(with_zero / with_zero.sum())              # a symbol that never occurs
    cases.append(np.array([0.7, 0.1, 0.1, 0.1]))            # the chapter's example: 1.5 bits
    cases.append(np.array([0.99, 0.01]))                     # 1 bit, although H = 0.081
    cases.append(np.array([0.5, 0.25, 0.125, 0.125]))        # dyadic: L = H = 1.75
    cases.append(np.full(5, 0.2))                            # ties: 2.4 bits
    return [(p,) for p in cases]


# --------------------------------------------------------------------------- the bank
QUESTIONS = [
    Question(
        id="info.entropy",
        chapter=1,
        prompt="Write entropy(p): the Shannon entropy of a probability vector p, in bits (0 log 0 = 0)",
        reference=_entropy_bits,
        cases=_entropy_cases,
        mistakes=[
            (_entropy_mean_nonzero, _MEAN_HINT),
            (_entropy_mean_all, _MEAN_HINT),
            (_entropy_unweighted, "you summed the surprises -log2 p(x) without weighting them: "
                                  "multiply each by its probability p(x)"),
        ],
    ),
    Question(
        id="info.conditional_entropy",
        chapter=1,
        prompt="Write conditional_entropy(joint): H(Y|X) in bits from a joint table whose rows index X",
        reference=_cond_entropy_bits,
        cases=_tables,
        mistakes=[
            (_cond_swapped, "you computed H(X|Y): rows index X, so condition on the row sums "
                            "p(x) = joint.sum(axis=1) and use p(y|x) = joint[x, y] / p(x)"),
            (_cond_joint, "that is the joint entropy H(X,Y); by the chain rule "
                          "H(Y|X) = H(X,Y) - H(X): subtract the entropy of the row sums"),
            (_cond_h_y, "that is H(Y), the entropy of the column sums; H(Y|X) averages the "
                        "entropy of each row's distribution p(y|x)"),
            (_cond_h_x, "that is H(X), the entropy of the row sums; H(Y|X) is what remains "
                        "uncertain about Y once the row x is known"),
            (_cond_unweighted_mean, "you averaged the row entropies H(Y|X=x) with equal weights; "
                                    "weight each row by its probability p(x)"),
            (_cond_unweighted_sum, "you added up the row entropies H(Y|X=x); weight each one by "
                                   "its probability p(x) = joint[x].sum()"),
        ],
    ),
    Question(
        id="info.information_gain",
        chapter=1,
        prompt="Write information_gain(y, x, threshold): the entropy drop, in bits, of splitting y by x <= threshold",
        reference=_ig_bits,
        cases=_ig_cases,
        mistakes=[
            (_ig_unweighted_mean, "you averaged the two children's entropies equally; weight each "
                                  "child by its share of the samples, n_left/n and n_right/n"),
            (_ig_unweighted_sum, "you subtracted the sum of the children's entropies; weight each "
                                 "child by its share of the samples, n_left/n and n_right/n"),
            (_ig_children_only, "you returned the weighted entropy of the children, H(Y|split); "
                                "the gain is the parent's entropy H(Y) minus it"),
            (_ig_strict, "samples with x equal to the threshold belong to the left child: "
                         "split with x <= threshold, not x < threshold"),
            (_ig_gini, "that is the decrease in Gini impurity (1 - Σ p²); information gain uses "
                       "the entropy -Σ p log2 p"),
        ],
    ),
    Question(
        id="info.mutual_information",
        chapter=1,
        prompt="Write mutual_information(joint): I(X;Y) in nats from a joint probability table",
        reference=_mi_nats,
        cases=_tables,
        mistakes=[
            (_mi_unweighted, "you summed log p(x,y)/(p(x)p(y)) without weighting; multiply each "
                             "term by p(x,y) (MI is an average under the joint)"),
            (_mi_mixed_variables, "you computed H(X) - H(Y|X), which mixes the two variables; "
                                  "use H(X) - H(X|Y) or H(Y) - H(Y|X)"),
            (_mi_no_joint, "that is H(X) + H(Y); the mutual information is H(X) + H(Y) - H(X,Y), "
                           "so subtract the joint entropy"),
        ],
    ),
    Question(
        id="info.mi_histogram",
        chapter=1,
        prompt="Write mi_histogram(x, y, bins): the histogram (plug-in) estimate of I(X;Y) in nats",
        reference=_mi_hist_nats,
        cases=_mi_hist_cases,
        mistakes=[
            (_mi_hist_counts, "you used raw counts as if they were probabilities; divide the "
                              "histogram by the number of samples first"),
            (_mi_hist_unweighted, "you summed log p(x,y)/(p(x)p(y)) over the cells without "
                                  "weighting; multiply each term by the cell probability p(x,y)"),
            (_mi_hist_density, "density=True gives densities (counts / (n × cell area)), not "
                               "probabilities; use the counts divided by n"),
        ],
    ),
    Question(
        id="info.huffman_length",
        chapter=1,
        prompt="Write huffman_length(p): the average codeword length, in bits, of a binary Huffman code for p",
        reference=_huffman_length_bits,
        cases=_huffman_cases,
        units=False,
        mistakes=[
            (_huffman_entropy, "that is the entropy H(p), the lower bound; codewords have whole "
                               "numbers of bits, so build the Huffman tree and average its lengths"),
            (_huffman_shannon, "those are the Shannon lengths ceil(-log2 p(x)): a valid prefix code "
                               "but not an optimal one; merge the two least likely groups instead"),
            (_huffman_largest_first, "you merged the two most likely groups; Huffman's algorithm "
                                     "merges the two least likely, so that rare symbols get the "
                                     "long codewords"),
        ],
    ),
]
