"""Hot loops: beta-binomial upper tails and critical counts, one row at a time in numba.

The background of a locus is a beta-binomial with mean ``mu`` and precision ``s = a + b``
(``a = mu s``, ``b = (1 - mu) s``); ``s = inf`` means a plain binomial. The slow, obviously
correct references (scipy's distributions, a Python loop) are at the bottom and are used by
the tests as oracles.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy import stats

_TINY = 1e-300


@numba.njit(cache=True)
def _log_pmf(k, n, mu, s):
    lchoose = math.lgamma(n + 1.0) - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)
    if math.isinf(s):
        if mu <= 0.0:
            return 0.0 if k == 0 else -math.inf
        if mu >= 1.0:
            return 0.0 if k == n else -math.inf
        return lchoose + k * math.log(mu) + (n - k) * math.log1p(-mu)
    a = mu * s
    b = (1.0 - mu) * s
    return (
        lchoose
        + math.lgamma(k + a) + math.lgamma(n - k + b) - math.lgamma(n + s)
        + math.lgamma(s) - math.lgamma(a) - math.lgamma(b)
    )


@numba.njit(cache=True)
def _ratio(k, n, mu, s):
    """pmf(k + 1) / pmf(k)."""
    if math.isinf(s):
        return (n - k) / (k + 1.0) * mu / (1.0 - mu)
    a = mu * s
    b = (1.0 - mu) * s
    return (n - k) / (k + 1.0) * (k + a) / (n - k - 1.0 + b)


@numba.njit(cache=True)
def _sd(n, mu, s):
    var = n * mu * (1.0 - mu)
    if not math.isinf(s):
        var *= 1.0 + (n - 1.0) / (s + 1.0)
    return math.sqrt(var)


@numba.njit(cache=True)
def _sf_one(x, n, mu, s):
    if x <= 0:
        return 1.0
    if x > n:
        return 0.0
    if mu <= 0.0:
        return 0.0
    if mu >= 1.0:
        return 1.0
    mean = n * mu
    sd = _sd(n, mu, s)
    if x <= mean + 1.0:
        # Lower tail is the small side: sum pmf(lo..x-1) and subtract from one.
        lo = max(0, int(mean - 40.0 * sd - 10.0))
        lo = min(lo, x - 1)
        term = math.exp(_log_pmf(lo, n, mu, s))
        total = term
        for k in range(lo, x - 1):
            term *= _ratio(k, n, mu, s)
            total += term
        return max(0.0, 1.0 - total)
    term = math.exp(_log_pmf(x, n, mu, s))
    total = term
    k = x
    while k < n:
        term *= _ratio(k, n, mu, s)
        total += term
        k += 1
        if term < 1e-17 * total or term < _TINY:
            break
    return min(1.0, total)


@numba.njit(cache=True, parallel=False)
def sf_kernel(x, n, mu, s):
    """P(X >= x) for each row."""
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = _sf_one(x[i], n[i], mu[i], s[i])
    return out


@numba.njit(cache=True)
def _critical_one(n, mu, s, alpha):
    # Smallest c >= 1 with P(X >= c) <= alpha; n + 1 when no count reaches it.
    if mu <= 0.0:
        return 1
    mean = n * mu
    sd = _sd(n, mu, s)
    lo = max(0, int(mean - 40.0 * sd - 10.0))
    term = math.exp(_log_pmf(lo, n, mu, s))
    cdf = term
    k = lo
    while k < n:
        # cdf now holds P(X <= k); the tail from k + 1 is 1 - cdf.
        if 1.0 - cdf <= alpha:
            return max(1, k + 1)
        term *= _ratio(k, n, mu, s)
        cdf += term
        k += 1
    # P(X >= n) still exceeds alpha: no achievable count is significant.
    return n + 1


@numba.njit(cache=True)
def critical_kernel(n, mu, s, alpha):
    """Smallest alt count significant at ``alpha`` for each row."""
    out = np.empty(n.shape[0], dtype=np.int64)
    for i in range(n.shape[0]):
        out[i] = _critical_one(n[i], mu[i], s[i], alpha)
    return out


def upper_tail(x, n, mu, s) -> np.ndarray:
    """Vectorised P(X >= x) under beta-binomial (mu, s) backgrounds (``s = inf``: binomial)."""
    x = np.ascontiguousarray(x, dtype=np.int64)
    n = np.ascontiguousarray(n, dtype=np.int64)
    mu = np.ascontiguousarray(np.broadcast_to(mu, x.shape), dtype=np.float64)
    s = np.ascontiguousarray(np.broadcast_to(s, x.shape), dtype=np.float64)
    return sf_kernel(x, n, mu, s)


def critical_count(n, mu, s, alpha: float) -> np.ndarray:
    """Vectorised smallest significant alt count at level ``alpha``."""
    n = np.ascontiguousarray(n, dtype=np.int64)
    mu = np.ascontiguousarray(np.broadcast_to(mu, n.shape), dtype=np.float64)
    s = np.ascontiguousarray(np.broadcast_to(s, n.shape), dtype=np.float64)
    return critical_kernel(n, mu, s, float(alpha))


# --- slow references -------------------------------------------------------------------------


def upper_tail_reference(x: int, n: int, mu: float, s: float) -> float:
    """P(X >= x) as the plain sum of scipy's pmf over x..n, one value.

    (scipy's own ``betabinom.sf`` is ``1 - cdf`` and loses tails below about 1e-9.)
    """
    if x <= 0:
        return 1.0
    ks = np.arange(x, n + 1)
    if np.isinf(s):
        return float(min(1.0, stats.binom.pmf(ks, n, mu).sum()))
    return float(min(1.0, stats.betabinom.pmf(ks, n, mu * s, (1.0 - mu) * s).sum()))


def critical_count_reference(n: int, mu: float, s: float, alpha: float) -> int:
    """Smallest c >= 1 with P(X >= c) <= alpha, by trying c = 1, 2, ... with scipy."""
    for c in range(1, n + 1):
        if upper_tail_reference(c, n, mu, s) <= alpha:
            return c
    return n + 1


# --- tumour-informed likelihood ratio ----------------------------------------------------------


@numba.njit(cache=True)
def _loglik_shift(x, n, mu, s, f):
    """log P(x | mean mu + f (1 - mu)) - log P(x | mean mu), precision s kept fixed."""
    mu = max(mu, 1e-12)
    q = min(mu + f * (1.0 - mu), 1.0 - 1e-12)
    if math.isinf(s):
        return x * (math.log(q) - math.log(mu)) + (n - x) * (math.log1p(-q) - math.log1p(-mu))
    a0 = mu * s
    b0 = (1.0 - mu) * s
    a1 = q * s
    b1 = (1.0 - q) * s
    return (
        math.lgamma(x + a1) - math.lgamma(a1) + math.lgamma(n - x + b1) - math.lgamma(b1)
        - math.lgamma(x + a0) + math.lgamma(a0) - math.lgamma(n - x + b0) + math.lgamma(b0)
    )


@numba.njit(cache=True)
def lr_grid_kernel(codes, x, n, mu, s, grid, n_groups):
    """Sum over each group's rows of the log-likelihood gain at each grid allele fraction."""
    out = np.zeros((n_groups, grid.shape[0]))
    for i in range(x.shape[0]):
        g = codes[i]
        xi = x[i]
        ni = n[i]
        m = max(mu[i], 1e-12)
        si = s[i]
        if math.isinf(si):
            for j in range(grid.shape[0]):
                out[g, j] += _loglik_shift(xi, ni, m, si, grid[j])
            continue
        # Terms of the null (f = 0) do not depend on the grid: compute them once per row.
        a0 = m * si
        b0 = (1.0 - m) * si
        null = math.lgamma(ni - xi + b0) - math.lgamma(b0)
        if xi > 0:
            null += math.lgamma(xi + a0) - math.lgamma(a0)
        for j in range(grid.shape[0]):
            q = min(m + grid[j] * (1.0 - m), 1.0 - 1e-12)
            a1 = q * si
            b1 = (1.0 - q) * si
            alt = math.lgamma(ni - xi + b1) - math.lgamma(b1)
            if xi > 0:
                alt += math.lgamma(xi + a1) - math.lgamma(a1)
            out[g, j] += alt - null
    return out


def lr_grid_reference(x, n, mu, s, grid) -> np.ndarray:
    """The same sums for one group, from scipy's log-pmfs (slow)."""
    total = np.zeros(len(grid))
    for xi, ni, mi, si in zip(x, n, mu, s, strict=True):
        for j, f in enumerate(grid):
            q = mi + f * (1.0 - mi)
            if np.isinf(si):
                gain = stats.binom.logpmf(xi, ni, q) - stats.binom.logpmf(xi, ni, mi)
            else:
                gain = stats.betabinom.logpmf(xi, ni, q * si, (1 - q) * si) - stats.betabinom.logpmf(
                    xi, ni, mi * si, (1 - mi) * si)
            total[j] += gain
    return total
