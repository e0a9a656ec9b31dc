"""Auto-graded questions for Chapter 2 (softmax and temperature).

Each reference is computed independently of ``helpers.softmax`` (with SciPy or PyTorch), and
each ``mistakes`` entry models a wrong formula a learner is likely to write, with a hint.

Two kinds of mistake get special treatment because the generic comparison cannot name them:

* overflow: a softmax or log-sum-exp without the max shift returns NaN or inf on logits such
  as [1000, 1001, 1002].  The grade functions below look at *which* inputs gave non-finite
  output and say whether the shift is missing altogether or was taken over the whole batch
  instead of row by row;
* the Gumbel-max sampler is random, so it is judged on the frequencies of its samples
  (a chi-square test against softmax(logits)), and its known wrong versions (no noise, noise
  only, exponential or Gaussian noise, a sign error) are recognized by their own frequencies,
  computed exactly by quadrature (:func:`noise_pick_probs`).  It is graded in two stages, a
  quick call with a few draws and then the statistical test, and stopped after 5 seconds.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.stats
from scipy.special import logsumexp as scipy_logsumexp
from scipy.special import softmax as scipy_softmax
from scipy.stats import chi2

from . import Question, as_array, matches, diagnose

#: The seed the grading engine uses for the randomized cases; the custom grades share it.
SEED = 20261123


def _copy_args(args):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _grade_with_overflow_hints(q: Question, risky: set[int], rowwise: set[int],
                               overflow_hint: str, row_hint: str):
    """A ``grade`` for ``q`` that compares like the engine, but names overflow mistakes.

    ``risky``: indices of the cases with huge logits or a tiny temperature, where a formula
    without the max shift overflows; ``rowwise``: the batch whose rows have very different
    scales, where a shift by the maximum of the whole array underflows in the other rows.
    """

    def grade(answer):
        if not callable(answer):
            return False, f"expected a function, got {type(answer).__name__}; pass the function itself, without calling it"
        args_list = q.cases(np.random.default_rng(SEED))
        wants = [np.asarray(q.reference(*args), dtype=float) for args in args_list]
        with np.errstate(all="ignore"):  # the hint explains an overflow better than a warning
            gots = [answer(*_copy_args(args)) for args in args_list]
        arrays = [as_array(g) for g in gots]
        if all(a is not None for a in arrays):
            if all(matches(a, w, q) for a, w in zip(arrays, wants)):
                n = len(args_list)
                return True, f"correct on {n} randomized test inputs"
            if all(a.shape == w.shape for a, w in zip(arrays, wants)):
                bad = {i for i, (a, w) in enumerate(zip(arrays, wants))
                       if not np.all(np.isfinite(a)) and np.all(np.isfinite(w))}
                if bad and bad <= rowwise:
                    return False, row_hint
                if bad and bad <= risky | rowwise:
                    return False, overflow_hint
        with np.errstate(all="ignore"):
            return False, diagnose(gots, wants, q, args_list)

    return grade


# --------------------------------------------------------------------------- softmax.stable
def _softmax_ref(z, tau):
    return scipy_softmax(np.asarray(z, dtype=float) / tau, axis=-1)


def _softmax_cases(rng):
    return [
        (rng.normal(size=6), 1.0),
        (3 * rng.normal(size=5), 0.5),
        (np.array([1000.0, 1001.0, 1002.0]), 1.0),             # 2: exp(1000) overflows
        (np.array([-1000.0, -1001.0, -1002.0]), 1.0),          # 3: exp(-1000) underflows to 0
        (rng.normal(size=8), 1e-3),                            # 4: z / tau in the thousands
        (rng.normal(size=4), 100.0),                           # nearly uniform
        (2 * rng.normal(size=(3, 5)), 2.0),                    # a batch of rows
        (np.array([[1000.0, 999.0, 998.0], [0.0, 1.0, 2.0]]), 1.0),  # 7: rows of different scales
        (np.array([3.0, 3.0, 1.0]), 0.01),                     # a tie at the maximum
    ]


def _stable(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_no_tau(z, tau):
    return _stable(np.asarray(z, dtype=float))


def _softmax_times_tau(z, tau):
    return _stable(np.asarray(z, dtype=float) * tau)


def _softmax_whole_array(z, tau):
    x = np.asarray(z, dtype=float) / tau
    e = np.exp(x - x.max())
    return e / e.sum()


def _softmax_axis0(z, tau):
    x = np.asarray(z, dtype=float) / tau
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _softmax_log(z, tau):
    x = np.asarray(z, dtype=float) / tau
    return x - scipy_logsumexp(x, axis=-1, keepdims=True)


def _softmax_unnormalized(z, tau):
    x = np.asarray(z, dtype=float) / tau
    return np.exp(x - np.max(x, axis=-1, keepdims=True))


_softmax_q = Question(
    id="softmax.stable",
    chapter=2,
    prompt="Write softmax_stable(z, tau): softmax(z / tau) over the last axis that never overflows",
    reference=_softmax_ref,
    cases=_softmax_cases,
    mistakes=[
        (_softmax_no_tau, "the temperature is ignored: divide the logits by tau before the exponential"),
        (_softmax_times_tau, "you multiplied the logits by tau; the temperature divides them: exp(z / tau)"),
        (_softmax_whole_array, "for a batch, normalize each row separately: sum over the last axis with keepdims=True, not over the whole array"),
        (_softmax_axis0, "you normalized the columns: use axis=-1 (the last axis holds the classes) with keepdims=True"),
        (_softmax_log, "these are log-probabilities (log-softmax); exponentiate them to get probabilities"),
        (_softmax_unnormalized, "the exponentials are not normalized: divide by their sum over the last axis"),
    ],
    rtol=1e-6,
    atol=1e-12,
    units=False,
)
_softmax_q.grade = _grade_with_overflow_hints(
    _softmax_q, risky={2, 3, 4}, rowwise={7},
    overflow_hint=("NaN or inf on logits such as [1000, 1001, 1002] or with a tiny tau: exp overflowed "
                   "(or underflowed to 0/0); subtract the maximum of z / tau before exp, which leaves "
                   "softmax unchanged because softmax(x - c) = softmax(x)"),
    row_hint=("NaN only in the batch whose rows have very different scales: subtract each row's own "
              "maximum (np.max(x, axis=-1, keepdims=True)), not the maximum of the whole array"),
)


# --------------------------------------------------------------------------- softmax.logsumexp
def _lse_ref(z):
    return scipy_logsumexp(np.asarray(z, dtype=float), axis=-1)


def _lse_cases(rng):
    return [
        (rng.normal(size=7),),
        (np.array([1000.0, 1001.0, 1002.0]),),                 # 1: exp overflows
        (np.array([-1000.0, -1001.0, -1002.0]),),              # 2: exp underflows, log(0) = -inf
        (5 * rng.normal(size=(4, 6)),),                        # a batch: one value per row
        (np.array([7.5]),),                                    # a single term: lse = the term
        (np.array([[800.0, 801.0], [-3.0, 2.0]]),),            # 5: rows of different scales
        (rng.normal(size=50) - 300.0,),                        # 6: all terms tiny
        (np.zeros(4),),                                        # log 4
    ]


def _lse_no_add_back(z):
    z = np.asarray(z, dtype=float)
    m = np.max(z, axis=-1, keepdims=True)
    return np.log(np.sum(np.exp(z - m), axis=-1))


def _lse_mean(z):
    z = np.asarray(z, dtype=float)
    return scipy_logsumexp(z, axis=-1) - np.log(z.shape[-1])


def _lse_max(z):
    return np.max(np.asarray(z, dtype=float), axis=-1)


def _lse_sum_of_logs(z):
    z = np.asarray(z, dtype=float)
    m = np.max(z, axis=-1)
    return m + np.log(z.shape[-1])


_lse_q = Question(
    id="softmax.logsumexp",
    chapter=2,
    prompt="Write logsumexp(z): log(sum(exp(z))) over the last axis without overflow or underflow",
    reference=_lse_ref,
    cases=_lse_cases,
    mistakes=[
        (_lse_no_add_back, "you subtracted the maximum m inside the exponential but did not add it back: logsumexp(z) = m + log(sum(exp(z - m)))"),
        (_lse_mean, "this is the log of the mean of exp(z): use the sum (the two differ by log n)"),
        (_lse_max, "this is only the maximum m, the first term: add log(sum(exp(z - m)))"),
        (_lse_sum_of_logs, "m + log(n) is only an upper bound, reached when all entries are equal: sum exp(z - m) instead of counting the entries"),
    ],
    rtol=1e-9,
    atol=1e-9,
)
_lse_q.grade = _grade_with_overflow_hints(
    _lse_q, risky={1, 2, 6}, rowwise={5},
    overflow_hint=("inf or -inf on inputs such as [1000, 1001, 1002] (exp overflows) or [-1000, -1001, -1002] "
                   "(exp underflows and log(0) = -inf): factor out the maximum m, "
                   "logsumexp(z) = m + log(sum(exp(z - m)))"),
    row_hint=("inf or -inf only in the batch whose rows have very different scales: take the maximum of "
              "each row (axis=-1, keepdims=True), not of the whole array"),
)


# --------------------------------------------------------------------------- softmax.jacobian
def _jacobian_ref(z, tau):
    import torch

    x = torch.as_tensor(np.asarray(z, dtype=float))
    jac = torch.autograd.functional.jacobian(lambda v: torch.softmax(v / tau, dim=-1), x)
    return jac.numpy()


def _jacobian_cases(rng):
    return [
        (rng.normal(size=3), 1.0),
        (rng.normal(size=5), 0.5),
        (2 * rng.normal(size=4), 2.0),
        (rng.normal(size=6), 5.0),
        (np.array([1000.0, 1001.0, 1002.0]), 1.0),             # 4: needs a stable softmax
        (np.array([0.3, 0.31, -0.2]), 0.05),                   # small tau near a tie: large entries
        (np.array([2.0, 1.0, 0.5]), 1.0),
    ]


def _jac_parts(z, tau):
    s = _stable(np.asarray(z, dtype=float) / tau)
    return s, np.diag(s), np.outer(s, s)


def _jac_no_tau(z, tau):
    s, d, o = _jac_parts(z, tau)
    return d - o


def _jac_times_tau(z, tau):
    s, d, o = _jac_parts(z, tau)
    return (d - o) * tau


def _jac_diagonal_only(z, tau):
    s, d, o = _jac_parts(z, tau)
    return np.diag(s * (1 - s)) / tau


def _jac_plus(z, tau):
    s, d, o = _jac_parts(z, tau)
    return (d + o) / tau


def _jac_outer_only(z, tau):
    s, d, o = _jac_parts(z, tau)
    return -o / tau


def _jac_log_softmax(z, tau):
    s, d, o = _jac_parts(z, tau)
    return (np.eye(len(s)) - np.outer(np.ones(len(s)), s)) / tau


def _jac_s_at_tau1(z, tau):
    s = _stable(np.asarray(z, dtype=float))
    return (np.diag(s) - np.outer(s, s)) / tau


_jacobian_q = Question(
    id="softmax.jacobian",
    chapter=2,
    prompt="Write softmax_jacobian(z, tau): the (n, n) Jacobian of softmax(z / tau) with respect to z",
    reference=_jacobian_ref,
    cases=_jacobian_cases,
    mistakes=[
        (_jac_no_tau, "this is the Jacobian with respect to z / tau; by the chain rule the Jacobian with respect to z has an extra factor 1 / tau"),
        (_jac_times_tau, "the chain rule gives a factor 1 / tau (d(z/tau)/dz = 1/tau), not tau"),
        (_jac_diagonal_only, "only the diagonal s_i (1 - s_i) is there: the off-diagonal entries are -s_i s_j, as every z_j moves every s_i"),
        (_jac_plus, "sign error: the matrix is diag(s) - s s^T (off-diagonal entries -s_i s_j)"),
        (_jac_outer_only, "the diagonal term is missing: J = (diag(s) - s s^T) / tau"),
        (_jac_log_softmax, "this is the Jacobian of log-softmax, (I - 1 s^T) / tau; multiply row i by s_i to get that of softmax"),
        (_jac_s_at_tau1, "s must be softmax(z / tau), at the given temperature, not softmax(z)"),
    ],
    rtol=1e-6,
    atol=1e-10,
    units=False,
)
_jacobian_q.grade = _grade_with_overflow_hints(
    _jacobian_q, risky={4}, rowwise=set(),
    overflow_hint=("NaN or inf for z = [1000, 1001, 1002]: the softmax inside overflowed; compute s with "
                   "the max shift (a stable softmax) before forming diag(s) - s s^T"),
    row_hint="",
)


# --------------------------------------------------------------------------- softmax.distillation_loss
def _torch():
    import torch
    import torch.nn.functional as F

    return torch, F


def _distill_ref(s, t, y, tau, alpha):
    torch, F = _torch()
    soft = F.kl_div(F.log_softmax(s / tau, dim=-1), F.log_softmax(t / tau, dim=-1),
                    reduction="batchmean", log_target=True)
    return (alpha * tau**2 * soft + (1 - alpha) * F.cross_entropy(s, y)).detach().numpy()


def _distill_cases(rng):
    torch, _ = _torch()
    cases = []
    for batch, classes, tau, alpha in [(4, 10, 4.0, 0.9), (8, 3, 2.0, 0.5), (1, 5, 10.0, 0.7),
                                       (6, 10, 1.0, 0.3), (5, 4, 20.0, 1.0), (3, 6, 3.0, 0.0)]:
        s = torch.tensor(2 * rng.normal(size=(batch, classes)), dtype=torch.float64)
        t = torch.tensor(4 * rng.normal(size=(batch, classes)), dtype=torch.float64)
        y = torch.tensor(rng.integers(classes, size=batch), dtype=torch.int64)
        cases.append((s, t, y, tau, alpha))
    return cases


def _kl(p_log, q_log):
    """Mean over the batch of KL(p || q), from log-probabilities."""
    return (p_log.exp() * (p_log - q_log)).sum(-1).mean()


def _distill_parts(s, t, y, tau):
    torch, F = _torch()
    return F.log_softmax(s / tau, dim=-1), F.log_softmax(t / tau, dim=-1), F.cross_entropy(s, y)


def _distill_no_tau2(s, t, y, tau, alpha):
    ls, lt, ce = _distill_parts(s, t, y, tau)
    return (alpha * _kl(lt, ls) + (1 - alpha) * ce).detach().numpy()


def _distill_reversed(s, t, y, tau, alpha):
    ls, lt, ce = _distill_parts(s, t, y, tau)
    return (alpha * tau**2 * _kl(ls, lt) + (1 - alpha) * ce).detach().numpy()


def _distill_mean_reduction(s, t, y, tau, alpha):
    ls, lt, ce = _distill_parts(s, t, y, tau)
    return (alpha * tau**2 * _kl(lt, ls) / s.shape[-1] + (1 - alpha) * ce).detach().numpy()


def _distill_batch_sum(s, t, y, tau, alpha):
    ls, lt, ce = _distill_parts(s, t, y, tau)
    return (alpha * tau**2 * _kl(lt, ls) * s.shape[0] + (1 - alpha) * ce).detach().numpy()


def _distill_soft_cross_entropy(s, t, y, tau, alpha):
    ls, lt, ce = _distill_parts(s, t, y, tau)
    soft_ce = -(lt.exp() * ls).sum(-1).mean()
    return (alpha * tau**2 * soft_ce + (1 - alpha) * ce).detach().numpy()


def _distill_hard_at_tau(s, t, y, tau, alpha):
    torch, F = _torch()
    ls, lt, _ = _distill_parts(s, t, y, tau)
    return (alpha * tau**2 * _kl(lt, ls) + (1 - alpha) * F.cross_entropy(s / tau, y)).detach().numpy()


def _distill_swapped_alpha(s, t, y, tau, alpha):
    ls, lt, ce = _distill_parts(s, t, y, tau)
    return ((1 - alpha) * tau**2 * _kl(lt, ls) + alpha * ce).detach().numpy()


def _distill_teacher_not_scaled(s, t, y, tau, alpha):
    torch, F = _torch()
    ls, _, ce = _distill_parts(s, t, y, tau)
    return (alpha * tau**2 * _kl(F.log_softmax(t, dim=-1), ls) + (1 - alpha) * ce).detach().numpy()


def _distill_student_not_scaled(s, t, y, tau, alpha):
    torch, F = _torch()
    _, lt, ce = _distill_parts(s, t, y, tau)
    return (alpha * tau**2 * _kl(lt, F.log_softmax(s, dim=-1)) + (1 - alpha) * ce).detach().numpy()


def _distill_probs_into_kl_div(s, t, y, tau, alpha):
    # F.kl_div(input, target) with probabilities (not log-probabilities) as the input
    torch, F = _torch()
    ls, lt, ce = _distill_parts(s, t, y, tau)
    p_t = lt.exp()
    soft = (p_t * (lt - ls.exp())).sum(-1).mean()
    return (alpha * tau**2 * soft + (1 - alpha) * ce).detach().numpy()


_distill_q = Question(
    id="softmax.distillation_loss",
    chapter=2,
    prompt=("Write distillation_loss(s, t, y, tau, alpha) = alpha tau^2 KL(softmax(t/tau) || softmax(s/tau)) "
            "+ (1 - alpha) CE(s, y), batch means, in torch"),
    reference=_distill_ref,
    cases=_distill_cases,
    mistakes=[
        (_distill_no_tau2, "the factor tau**2 is missing from the soft term: without it the soft gradients shrink like 1/tau**2"),
        (_distill_reversed, "the KL is the wrong way round: the teacher's distribution comes first, KL(p_teacher || p_student) = sum p_t (log p_t - log p_s)"),
        (_distill_mean_reduction, "F.kl_div(..., reduction='mean') averages over batch x classes; use reduction='batchmean' (the sum over classes, averaged over the batch)"),
        (_distill_batch_sum, "the soft term is summed over the batch: average it (reduction='batchmean')"),
        (_distill_soft_cross_entropy, "this is the cross-entropy with the soft targets; it exceeds the KL by the teacher's entropy H(p_t) (same gradient for the student, different value): subtract it"),
        (_distill_hard_at_tau, "the hard-label cross-entropy uses the student's ordinary logits (temperature 1), not s / tau"),
        (_distill_swapped_alpha, "alpha weights the soft (teacher) term and 1 - alpha the hard-label term: they are swapped"),
        (_distill_teacher_not_scaled, "divide the teacher's logits by tau as well: the soft targets are softmax(t / tau)"),
        (_distill_student_not_scaled, "divide the student's logits by tau in the soft term: compare softmax(s / tau) with softmax(t / tau)"),
        (_distill_probs_into_kl_div, "F.kl_div expects log-probabilities as its first argument: pass F.log_softmax(s / tau, dim=-1), not softmax"),
    ],
    rtol=1e-6,
    atol=1e-9,
)


# --------------------------------------------------------------------------- softmax.gumbel_max
_N_DRAWS = 20_000  # draws per logit vector in the statistical stage
_N_PROBE = 5       # draws in the first, quick stage: the output's type, shape and range
_TIMEOUT = 5.0     # seconds: a runaway sampler is stopped after this long
_P_PASS = 1e-6     # a correct sampler fails a test with this probability: generous on purpose
_P_MATCH = 1e-3    # a wrong sampler is recognized when its frequencies fit this well


def _gumbel_logits():
    rng = np.random.default_rng(SEED)
    return [
        np.array([2.0, 1.5, 0.5, 0.1, -0.5]),
        rng.normal(size=8),
        np.array([1000.0, 1001.0, 999.5]),  # huge logits: exp() would overflow, Gumbel-max does not care
    ]


def _chi2_pvalue(counts: np.ndarray, probs: np.ndarray) -> float:
    """Chi-square goodness of fit; classes with an expected count below 5 are pooled."""
    n = counts.sum()
    expected = n * probs
    small = expected < 5
    if small.any():
        counts = np.append(counts[~small], counts[small].sum())
        expected = np.append(expected[~small], expected[small].sum())
        if expected[-1] == 0:
            if counts[-1] > 0:
                return 0.0
            counts, expected = counts[:-1], expected[:-1]
    if len(expected) < 2:
        return 1.0
    stat = float(np.sum((counts - expected) ** 2 / expected))
    return float(chi2.sf(stat, df=len(expected) - 1))


def noise_pick_probs(noise, logits, pick: str = "max", n_grid: int = 4000) -> np.ndarray:
    """Exact class probabilities of ``argmax`` (or ``argmin``) of ``logits + X``, X i.i.d. ``noise``.

    ``noise`` is a frozen ``scipy.stats`` distribution.  Class k wins the argmax when
    ``X_i < X_k + z_k - z_i`` for every other i; conditioning on ``X_k = x`` and substituting
    ``u = F(x)`` gives ``P(k) = integral_0^1 prod_i F(F^-1(u) + z_k - z_i) du`` (``1 - F`` for the
    argmin), computed by the midpoint rule on ``n_grid`` points.  Only differences of logits
    enter, so huge logits are harmless.
    """
    z = np.asarray(logits, dtype=float)
    u = (np.arange(n_grid) + 0.5) / n_grid
    x = noise.ppf(u)[:, None]
    probs = np.empty(len(z))
    for k in range(len(z)):
        cdf = noise.cdf(x + z[k] - np.delete(z, k)[None, :])
        probs[k] = np.mean(np.prod(cdf if pick == "max" else 1.0 - cdf, axis=1))
    return probs


def _wrong_samplers():
    """Known wrong samplers, each as (noise, sign, pick, hint): pick(sign * logits + noise).

    ``argmax(z - X) = argmin(-z + X)``, so a noise subtracted from the logits is the argmin
    with the logits negated.
    """
    gumbel, expon, normal = scipy.stats.gumbel_r(), scipy.stats.expon(), scipy.stats.norm()
    return [
        (gumbel, 1.0, "min",
         "the samples favour unlikely classes: take the argmax of logits + g, not the argmin"),
        (gumbel, -1.0, "min",  # argmax(z - g)
         "sign error in the noise: Gumbel noise is g = -log(-log U), with two minus signs"),
        (expon, 1.0, "max",    # argmax(z - log U): -log U is exponential
         "-log U is exponential noise; Gumbel noise takes the log twice: g = -log(-log U)"),
        (expon, -1.0, "min",   # argmax(z + log U) = argmax(z - E)
         "log U is not Gumbel noise; use g = -log(-log U) with U uniform on (0, 1)"),
        (normal, 1.0, "max",
         "Gaussian noise does not give softmax probabilities: the noise must be Gumbel, g = -log(-log U)"),
    ]


@functools.lru_cache(maxsize=None)
def _wrong_probs(which: int, logits: tuple) -> np.ndarray:
    noise, sign, pick, _ = _wrong_samplers()[which]
    return noise_pick_probs(noise, sign * np.asarray(logits), pick)


def _check_draws(out, n: int, size: int):
    """The draws as an integer array, or a hint saying what is wrong with them."""
    arr = as_array(out)
    if arr is None:
        return None, f"expected an array of class indices, got {type(out).__name__}"
    if arr.shape != (size,):
        return None, f"expected an array of shape ({size},), one class index per draw, got shape {arr.shape}"
    if not np.all(np.isfinite(arr)):
        return None, "the samples contain NaN or inf: return integer class indices"
    if not np.all(arr == np.round(arr)):
        return None, "expected integer class indices (the argmax), got fractional numbers"
    if size and (arr.min() < 0 or arr.max() > n - 1):
        return None, (f"class indices must lie in 0..{n - 1} for {n} logits, "
                      f"got values from {arr.min():g} to {arr.max():g}")
    return arr.astype(int), ""


def grade_gumbel_max(answer, seed: int = SEED) -> tuple[bool, str]:
    """Grade a Gumbel-max sampler ``answer(logits, rng, size)``; return (passed, message).

    Two stages.  First a quick call with ``size = 5`` on each logit vector checks the
    output's type, shape and range, and that two identically seeded generators give the same
    draws.  Then ``20,000`` draws per logit vector are compared with ``softmax(logits)`` by a
    chi-square test; a failing sampler is matched against the known wrong ones.  The engine
    stops the whole grade after the question's ``timeout``.  ``seed`` seeds the generators
    handed to the answer (the book uses ``SEED``; tests vary it).
    """
    if not callable(answer):
        return False, f"expected a function, got {type(answer).__name__}; pass the function itself, without calling it"
    tests = _gumbel_logits()
    for k, logits in enumerate(tests):  # stage 1: a few draws, cheap even for a slow sampler
        with np.errstate(all="ignore"):
            probe = answer(logits.copy(), np.random.default_rng(seed + k), _N_PROBE)
        arr, hint = _check_draws(probe, len(logits), _N_PROBE)
        if arr is None:
            return False, hint
        if k == 0:
            with np.errstate(all="ignore"):
                again = as_array(answer(logits.copy(), np.random.default_rng(seed + k), _N_PROBE))
            if again is None or again.shape != arr.shape or not np.array_equal(again, arr):
                return False, ("two calls with identically seeded generators gave different samples: "
                               "draw every random number from the rng argument (rng.random or rng.gumbel), "
                               "not from np.random or another generator")
    counts_list = []
    for k, logits in enumerate(tests):  # stage 2: the statistical test
        with np.errstate(all="ignore"):
            out = answer(logits.copy(), np.random.default_rng(seed + 100 + k), _N_DRAWS)
        arr, hint = _check_draws(out, len(logits), _N_DRAWS)
        if arr is None:
            return False, hint
        counts_list.append(np.bincount(arr, minlength=len(logits)))
    probs = [scipy_softmax(logits) for logits in tests]
    pvalues = [_chi2_pvalue(c, p) for c, p in zip(counts_list, probs)]
    if min(pvalues) >= _P_PASS:
        return True, (f"correct: on {len(tests)} logit vectors, {_N_DRAWS} draws each, the frequencies "
                      f"match softmax(logits) (smallest chi-square p-value {min(pvalues):.2g})")
    # Name the mistake.
    if all(np.array_equal(np.nonzero(c)[0], [np.argmax(z)]) for c, z in zip(counts_list, tests)):
        return False, ("every draw is the most likely class argmax(logits): add Gumbel noise "
                       "g = -log(-log U) to the logits before the argmax")
    informative = [i for i, z in enumerate(tests) if np.ptp(z) > 0]
    if all(_chi2_pvalue(counts_list[i], np.full(len(tests[i]), 1 / len(tests[i]))) > _P_MATCH for i in informative):
        return False, ("the draws look uniform, whatever the logits: take the argmax of logits + g, "
                       "not of the noise g alone")
    for which, (*_, hint) in enumerate(_wrong_samplers()):
        if all(_chi2_pvalue(counts_list[i], _wrong_probs(which, tuple(tests[i]))) > _P_MATCH
               for i in informative):
            return False, hint
    worst = int(np.argmin(pvalues))
    freq = counts_list[worst] / _N_DRAWS
    return False, (f"the frequencies do not match softmax(logits) (chi-square p = {pvalues[worst]:.1g}): "
                   f"expected {np.round(probs[worst], 3).tolist()}, got {np.round(freq, 3).tolist()}")


def _gumbel_reference(logits, rng, size):
    g = rng.gumbel(size=(size, len(logits)))
    return np.argmax(np.asarray(logits, dtype=float) + g, axis=-1)


_gumbel_q = Question(
    id="softmax.gumbel_max",
    chapter=2,
    prompt="Write gumbel_max_sample(logits, rng, size): size class indices drawn from softmax(logits) with the Gumbel-max trick",
    reference=_gumbel_reference,
    grade=grade_gumbel_max,
    timeout=_TIMEOUT,
    units=False,
)


QUESTIONS = [_softmax_q, _lse_q, _jacobian_q, _distill_q, _gumbel_q]
