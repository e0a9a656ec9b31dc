"""Entropy, KL divergence and mutual information (introduced in Chapter 1).

Conventions shared by every function in this module:

* Array-likes in.  A probability distribution lies along the **last axis**; leading axes are a
  batch, so the entropy of an array of shape ``(m, n)`` has shape ``(m,)``.  A joint table
  ``joint[..., x, y]`` lies along the last two axes: rows index X, columns index Y.
* Natural logarithm by default (nats); ``base=2`` gives bits.
* 0 · log 0 = 0.
* Invalid input (a negative, NaN or infinite entry, probabilities that do not sum to 1 within
  1e-6, mismatched shapes, an empty array) raises ``ValueError`` saying what is wrong.
  Probabilities that sum to 1 within the tolerance are renormalised before use.
"""

from __future__ import annotations

import heapq
import math
from numbers import Real

import numpy as np
from scipy.special import xlogy  # xlogy(x, y) = x * log(y), and 0 when x == 0

__all__ = [
    "entropy",
    "cross_entropy",
    "kl_divergence",
    "joint_entropy",
    "conditional_entropy",
    "mutual_information",
    "mutual_information_discrete",
    "mutual_information_hist",
    "information_gain",
    "conditional_mutual_information",
    "huffman_code",
]

#: How far from 1 the probabilities of a distribution may sum.
SUM_TOL = 1e-6


# --------------------------------------------------------------------------- validation
def _log_of_base(base, where: str) -> float:
    """Return log(base), after checking that base is a usable logarithm base."""
    if (
        isinstance(base, bool)
        or not isinstance(base, Real)
        or not math.isfinite(base)
        or base <= 0
        or base == 1
    ):
        raise ValueError(
            f"{where}: base must be a positive number other than 1 "
            f"(2 for bits, e for nats), got {base!r}"
        )
    return math.log(base)


def _numbers(x, name: str, where: str) -> np.ndarray:
    """``x`` as a non-empty float array of finite numbers."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {name} must be an array of numbers") from None
    if arr.size == 0:
        raise ValueError(f"{where}: {name} is empty")
    if not np.isfinite(arr).all():
        raise ValueError(f"{where}: {name} contains NaN or inf")
    return arr


def _distribution(x, name: str, where: str, axes: int = 1) -> np.ndarray:
    """Check that ``x`` holds probabilities over its last ``axes`` axes; return them renormalised."""
    arr = _numbers(x, name, where)
    if arr.ndim < axes:
        what = "a probability vector (at least 1-D)" if axes == 1 else f"a joint table (at least {axes}-D)"
        raise ValueError(f"{where}: {name} must be {what}, got shape {arr.shape}")
    if (arr < 0).any():
        raise ValueError(
            f"{where}: {name} has a negative entry ({arr.min():.3g}); probabilities must be >= 0"
        )
    total = arr.sum(axis=tuple(range(-axes, 0)), keepdims=True)
    off = np.abs(total - 1.0) > SUM_TOL
    if off.any():
        over = "its last axis" if axes == 1 else f"its last {('two', 'three')[axes - 2]} axes"
        raise ValueError(
            f"{where}: {name} must sum to 1 over {over} (within {SUM_TOL:g}), "
            f"but a sum is {total[off].flat[0]:.6g}; to turn counts into probabilities, "
            "divide them by their total"
        )
    return arr / total


def _same_shape(p: np.ndarray, q: np.ndarray, where: str) -> None:
    if p.shape != q.shape:
        raise ValueError(f"{where}: p and q must have the same shape, got {p.shape} and {q.shape}")


def _paired_samples(a, b, names: tuple[str, str], where: str) -> tuple[np.ndarray, np.ndarray]:
    """Two 1-D arrays of paired samples of the same, non-zero length."""
    a, b = np.asarray(a), np.asarray(b)
    for arr, name in zip((a, b), names):
        if arr.ndim != 1:
            raise ValueError(f"{where}: {name} must be a 1-D array of samples, got shape {arr.shape}")
        if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
            raise ValueError(f"{where}: {name} contains NaN or inf")
    if len(a) != len(b):
        raise ValueError(
            f"{where}: {names[0]} and {names[1]} must have the same length (paired samples), "
            f"got {len(a)} and {len(b)}"
        )
    if len(a) == 0:
        raise ValueError(f"{where}: no samples: {names[0]} and {names[1]} are empty")
    return a, b


def _in_base(nats, log_base: float):
    """Convert nats to the requested base; a single value comes back as a Python float."""
    out = np.asarray(nats, dtype=float) / log_base + 0.0  # "+ 0.0" turns -0.0 into 0.0
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------- distributions
def entropy(
    p,                     # probabilities, shape (..., n), summing to 1 along the last axis
    base: float = math.e,  # logarithm base: e for nats, 2 for bits
):
    """Shannon entropy H(p) = -sum_x p(x) log p(x), the average surprise (Chapter 1).

    Returns a float for one distribution of shape (n,), an array of shape (...) for a batch.
    """
    log_base = _log_of_base(base, "entropy")
    p = _distribution(p, "p", "entropy")
    return _in_base(-np.sum(xlogy(p, p), axis=-1), log_base)


def cross_entropy(
    p,                     # true distribution, shape (..., n)
    q,                     # model distribution, same shape as p
    base: float = math.e,  # logarithm base: e for nats, 2 for bits
):
    """Cross-entropy H(p, q) = -sum_x p(x) log q(x) (Chapter 1).

    The average code length, in nats or bits, when data drawn from p are coded with a code
    built for q.  Infinite when q(x) = 0 for some x with p(x) > 0.  Shape: as ``entropy``.
    """
    log_base = _log_of_base(base, "cross_entropy")
    p = _distribution(p, "p", "cross_entropy")
    q = _distribution(q, "q", "cross_entropy")
    _same_shape(p, q, "cross_entropy")
    return _in_base(-np.sum(xlogy(p, q), axis=-1), log_base)


def kl_divergence(
    p,                     # first distribution (the one the average is taken under), shape (..., n)
    q,                     # second distribution, same shape as p
    base: float = math.e,  # logarithm base: e for nats, 2 for bits
):
    """Kullback–Leibler divergence KL(p ‖ q) = sum_x p(x) log(p(x) / q(x)) (Chapter 1).

    Always >= 0 (Gibbs' inequality), 0 only when p = q, and not symmetric.  Infinite when
    q(x) = 0 for some x with p(x) > 0.  Shape: as ``entropy``; units: nats, or bits with base=2.
    """
    log_base = _log_of_base(base, "kl_divergence")
    p = _distribution(p, "p", "kl_divergence")
    q = _distribution(q, "q", "kl_divergence")
    _same_shape(p, q, "kl_divergence")
    kl = np.sum(xlogy(p, p) - xlogy(p, q), axis=-1)
    return _in_base(np.maximum(kl, 0.0), log_base)  # rounding may give -1e-17; KL >= 0


# --------------------------------------------------------------------------- joint tables
def joint_entropy(
    joint,                 # joint[..., x, y] = P(X=x, Y=y), summing to 1 over the last two axes
    base: float = math.e,  # logarithm base: e for nats, 2 for bits
):
    """Joint entropy H(X, Y) = -sum_{x,y} p(x,y) log p(x,y) of a joint table (Chapter 1).

    Returns a float for a table of shape (n_x, n_y), an array of shape (...) for a batch.
    """
    log_base = _log_of_base(base, "joint_entropy")
    joint = _distribution(joint, "joint", "joint_entropy", axes=2)
    return _in_base(-np.sum(xlogy(joint, joint), axis=(-2, -1)), log_base)


def conditional_entropy(
    joint,                 # joint[..., x, y] = P(X=x, Y=y); rows index X, columns index Y
    base: float = math.e,  # logarithm base: e for nats, 2 for bits
):
    """Conditional entropy H(Y | X) = -sum_{x,y} p(x,y) log p(y|x) (Chapter 1).

    The uncertainty left in Y (the columns) once X (the rows) is known; for H(X | Y) pass
    ``joint.T``.  A row with p(x) = 0 contributes nothing.  Shape: as ``joint_entropy``.
    """
    log_base = _log_of_base(base, "conditional_entropy")
    joint = _distribution(joint, "joint", "conditional_entropy", axes=2)
    p_x = joint.sum(axis=-1, keepdims=True)
    p_y_given_x = np.divide(joint, p_x, out=np.zeros_like(joint), where=p_x > 0)
    h = -np.sum(xlogy(joint, p_y_given_x), axis=(-2, -1))
    return _in_base(np.maximum(h, 0.0), log_base)


def mutual_information(
    joint,                 # joint[..., x, y] = P(X=x, Y=y), summing to 1 over the last two axes
    base: float = math.e,  # logarithm base: e for nats, 2 for bits
):
    """Mutual information I(X; Y) = KL(P_XY ‖ P_X P_Y) of a joint table (Chapter 1).

    I(X; Y) = sum_{x,y} p(x,y) log(p(x,y) / (p(x) p(y))) = H(Y) - H(Y|X) = H(X) - H(X|Y).
    Shape: as ``joint_entropy``; units: nats, or bits with base=2.
    """
    log_base = _log_of_base(base, "mutual_information")
    joint = _distribution(joint, "joint", "mutual_information", axes=2)
    p_x = joint.sum(axis=-1, keepdims=True)
    p_y = joint.sum(axis=-2, keepdims=True)
    # log(p(x,y) / (p(x) p(y))).  Where the product of two tiny marginals underflows to 0
    # although p(x,y) > 0, the logarithms are subtracted term by term instead.
    def safe_log(a):
        return np.log(a, where=a > 0, out=np.zeros_like(a))

    product = p_x * p_y
    direct = joint > 0
    direct &= product > 0
    ratio = np.divide(joint, product, out=np.ones_like(joint), where=direct)
    log_ratio = np.where(direct, safe_log(ratio), 0.0)
    underflow = (joint > 0) & ~direct
    if underflow.any():
        split = safe_log(joint) - safe_log(p_x) - safe_log(p_y)
        log_ratio = np.where(underflow, split, log_ratio)
    mi = np.sum(joint * log_ratio, axis=(-2, -1))
    return _in_base(np.maximum(mi, 0.0), log_base)  # rounding may give -1e-17; MI >= 0


def conditional_mutual_information(
    joint,                 # joint[..., x, y, z] = P(X=x, Y=y, Z=z), summing to 1 over the last three axes
    base: float = math.e,  # logarithm base: e for nats, 2 for bits
):
    """Conditional mutual information I(X; Y | Z) of a three-way table (Chapter 1).

    I(X; Y | Z) = sum_z p(z) I(X; Y | Z = z) = H(X | Z) - H(X | Y, Z), the information X and Y
    share once Z is known; Z is the last axis.  Always >= 0; 0 exactly when X and Y are
    independent given every z with p(z) > 0.  A slice with p(z) = 0 contributes nothing.
    Returns a float for a table of shape (n_x, n_y, n_z), an array of shape (...) for a batch.
    """
    where = "conditional_mutual_information"
    log_base = _log_of_base(base, where)
    joint = _distribution(joint, "joint", where, axes=3)
    by_z = np.moveaxis(joint, -1, -3)                     # (..., z, x, y)
    p_z = by_z.sum(axis=(-2, -1))                         # (..., z)
    given_z = np.where(p_z[..., None, None] > 0, by_z, 1.0)  # empty slices: any valid table
    given_z = given_z / given_z.sum(axis=(-2, -1), keepdims=True)
    cmi = np.sum(p_z * mutual_information(given_z), axis=-1)
    return _in_base(cmi, log_base)


# --------------------------------------------------------------------------- codes
def huffman_code(
    p,  # shape (n,): symbol probabilities, summing to 1
):
    """A binary Huffman code for the distribution p: one codeword per symbol (Chapter 1).

    Returns a list of n strings of '0' and '1'; codeword i is for symbol i.  The code is a
    prefix code of minimum expected length sum_i p_i len(codeword_i) (Huffman, 1952), so
    H(p) <= L < H(p) + 1 bits when every p_i > 0.  Symbols of probability 0 get codewords
    too (they never occur, so they cost nothing).  A single symbol gets the empty codeword:
    nothing needs to be sent.  Ties are broken by symbol index, so the code is deterministic;
    other tie-breaks give other codes with the same expected length.
    """
    where = "huffman_code"
    p = _distribution(p, "p", where)
    if p.ndim != 1:
        raise ValueError(f"{where}: p must be one probability vector (1-D), got shape {p.shape}")
    codewords = [""] * len(p)
    # Heap of (probability, tie-break, symbols in the subtree).  Merging the two least likely
    # subtrees prepends 0 to the codewords of one and 1 to those of the other.
    heap = [(float(prob), i, [i]) for i, prob in enumerate(p)]
    heapq.heapify(heap)
    tiebreak = len(p)
    while len(heap) > 1:
        p0, _, group0 = heapq.heappop(heap)
        p1, _, group1 = heapq.heappop(heap)
        for i in group0:
            codewords[i] = "0" + codewords[i]
        for i in group1:
            codewords[i] = "1" + codewords[i]
        heapq.heappush(heap, (p0 + p1, tiebreak, group0 + group1))
        tiebreak += 1
    return codewords


# --------------------------------------------------------------------------- from samples
def mutual_information_discrete(
    x,  # shape (n,): the value of X in each sample (numbers or labels)
    y,  # shape (n,): the value of Y in the same samples
):
    """Plug-in estimate of I(X; Y) in nats from paired discrete samples (Chapter 1).

    Counts the pairs into a contingency table, divides by n and returns the mutual
    information of that empirical joint table.  Biased: when all k_x * k_y cells have positive
    probability (e.g. X and Y independent) the bias is about +(k_x - 1)(k_y - 1) / (2n) nats;
    when few cells are possible it can be negative (for y = x it is the plug-in entropy of x).
    """
    x, y = _paired_samples(x, y, ("x", "y"), "mutual_information_discrete")
    _, x_idx = np.unique(x, return_inverse=True)
    _, y_idx = np.unique(y, return_inverse=True)
    counts = np.zeros((x_idx.max() + 1, y_idx.max() + 1))
    np.add.at(counts, (x_idx, y_idx), 1)
    return mutual_information(counts / counts.sum())


def mutual_information_hist(
    x,            # shape (n,): samples of a continuous variable X
    y,            # shape (n,): the paired samples of Y
    bins=30,      # number of equal-width bins per axis (an int, or a pair of ints)
):
    """Histogram estimate of I(X; Y) in nats from paired continuous samples (Chapter 1).

    Bins the pairs on a ``bins`` x ``bins`` grid (``np.histogram2d``) and returns the mutual
    information of the binned joint table.  Too few bins lose information (biased down),
    too many leave cells with a handful of points (biased up).
    """
    where = "mutual_information_hist"
    x, y = _paired_samples(x, y, ("x", "y"), where)
    x, y = _numbers(x, "x", where), _numbers(y, "y", where)
    pair = bins if isinstance(bins, (tuple, list)) else (bins,)
    if len(pair) not in (1, 2) or not all(
        isinstance(b, (int, np.integer)) and not isinstance(b, bool) and b >= 1 for b in pair
    ):
        raise ValueError(f"{where}: bins must be a positive int or a pair of positive ints, got {bins!r}")
    counts, _, _ = np.histogram2d(x, y, bins=bins)
    return mutual_information(counts / counts.sum())


def _label_entropy(labels: np.ndarray, base: float) -> float:
    """Entropy of the empirical distribution of a 1-D array of labels."""
    _, counts = np.unique(labels, return_counts=True)
    return entropy(counts / counts.sum(), base=base)


def information_gain(
    y,                     # shape (n,): class labels
    x,                     # shape (n,): a feature; boolean (or 0/1) when threshold is None
    threshold=None,        # split on x <= threshold; None: split on the boolean x itself
    base: float = 2,       # logarithm base: 2 for bits (the default here), e for nats
):
    """Information gain of splitting the labels ``y`` in two by the feature ``x`` (Chapter 1).

    IG = H(Y) - (n_left / n) H(Y_left) - (n_right / n) H(Y_right), in bits by default;
    the left child holds the samples with ``x <= threshold`` (or ``x`` true).  A split that
    leaves one side empty gains nothing (0).  IG equals I(Y; S) for the split indicator S.
    """
    where = "information_gain"
    _log_of_base(base, where)
    y, x = _paired_samples(y, x, ("y", "x"), where)
    if threshold is None:
        if x.dtype != bool and not np.isin(x, [0, 1]).all():
            raise ValueError(
                f"{where}: with threshold=None, x must be boolean (or 0/1); "
                "pass threshold=... to split a numeric feature at x <= threshold"
            )
        left = x.astype(bool)
    else:
        if isinstance(threshold, bool) or not isinstance(threshold, Real) or math.isnan(threshold):
            raise ValueError(f"{where}: threshold must be a number or None, got {threshold!r}")
        left = _numbers(x, "x", where) <= threshold
    n, n_left = len(y), int(left.sum())
    if n_left in (0, n):
        return 0.0
    h_left = _label_entropy(y[left], base)    # entropy of the labels that go left
    h_right = _label_entropy(y[~left], base)  # ... and of those that go right
    children = (n_left / n) * h_left + ((n - n_left) / n) * h_right  # weighted by size
    return max(_label_entropy(y, base) - children, 0.0)
