"""Hot loops of the robust rank aggregation, in numba, with slow pure-Python references.

The alpha-RRA score of a gene (Kolde et al. 2012, doi:10.1093/bioinformatics/btr709; Li et al.
2014, doi:10.1186/s13059-014-0554-4): sort the percentiles ``r_(1) <= ... <= r_(n)`` of its n
guides in the ranked list; for each ``k`` with ``r_(k) <= alpha`` (and always for ``k = 1``),
``rho_k`` is the probability that the k-th smallest of n uniform variables is at most ``r_(k)``,
``P(Beta(k, n - k + 1) <= r_(k)) = P(Binomial(n, r_(k)) >= k)``; the score is ``min_k rho_k``.
The number of guides with ``r <= alpha`` is the gene's count of "good" guides.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True)
def _binomial_upper_tail(n: int, k: int, x: float, log_choose: np.ndarray) -> float:
    # P(Binomial(n, x) >= k), summed term by term (n is a gene's guide count, so small).
    if k <= 0:
        return 1.0
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lx = math.log(x)
    l1x = math.log1p(-x)
    total = 0.0
    for j in range(k, n + 1):
        total += math.exp(log_choose[n, j] + j * lx + (n - j) * l1x)
    return min(total, 1.0)


@numba.njit(cache=True)
def _log_choose_table(n_max: int) -> np.ndarray:
    table = np.zeros((n_max + 1, n_max + 1))
    for n in range(n_max + 1):
        for j in range(n + 1):
            table[n, j] = math.lgamma(n + 1.0) - math.lgamma(j + 1.0) - math.lgamma(n - j + 1.0)
    return table


@numba.njit(cache=True)
def rra_scores(
    percentiles: np.ndarray, offsets: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Alpha-RRA score and good-guide count of each group ``percentiles[offsets[g]:offsets[g+1]]``."""
    n_groups = offsets.shape[0] - 1
    scores = np.ones(n_groups)
    good = np.zeros(n_groups, dtype=np.int64)
    n_max = 1
    for g in range(n_groups):
        n_max = max(n_max, offsets[g + 1] - offsets[g])
    log_choose = _log_choose_table(n_max)
    values = np.empty(n_max)
    for g in range(n_groups):
        start = offsets[g]
        n = offsets[g + 1] - start
        if n == 0:
            continue
        # Insertion sort into a reused buffer: groups are small.
        for i in range(n):
            v = percentiles[start + i]
            j = i - 1
            while j >= 0 and values[j] > v:
                values[j + 1] = values[j]
                j -= 1
            values[j + 1] = v
        best = 1.0
        count = 0
        for i in range(n):
            if values[i] > alpha:
                if i > 0:
                    break
            else:
                count += 1
            rho = _binomial_upper_tail(n, i + 1, values[i], log_choose)
            if rho < best:
                best = rho
        scores[g] = best
        good[g] = count
    return scores, good


@numba.njit(cache=True)
def count_at_most(null_sorted: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """For each observed score, how many null scores are <= it (null sorted ascending)."""
    out = np.empty(observed.shape[0], dtype=np.int64)
    for i in range(observed.shape[0]):
        out[i] = np.searchsorted(null_sorted, observed[i], side="right")
    return out


# ----------------------------------------------------------------------------------------------
# Pure-Python references (slow, obviously correct): the tests use them as oracles.


def binomial_upper_tail_reference(n: int, k: int, x: float) -> float:
    """``P(Binomial(n, x) >= k)`` by direct summation with exact binomial coefficients."""
    if k <= 0:
        return 1.0
    return float(sum(math.comb(n, j) * x**j * (1.0 - x) ** (n - j) for j in range(k, n + 1)))


def rra_scores_reference(
    percentiles: list[float], offsets: list[int], alpha: float
) -> tuple[list[float], list[int]]:
    """The definition of the alpha-RRA score, one group at a time, using scipy's beta CDF."""
    from scipy.stats import beta

    scores, good = [], []
    for g in range(len(offsets) - 1):
        values = sorted(percentiles[offsets[g] : offsets[g + 1]])
        n = len(values)
        if n == 0:
            scores.append(1.0)
            good.append(0)
            continue
        considered = [i for i in range(n) if values[i] <= alpha]
        if not considered or considered[0] != 0:
            considered = [0]  # the best guide always counts, even above alpha
        # Only the leading run of guides under alpha counts (sorted, so it is a prefix).
        rhos = [float(beta.cdf(values[i], i + 1, n - i)) for i in considered]
        scores.append(min(min(rhos), 1.0))
        good.append(sum(1 for v in values if v <= alpha))
    return scores, good
