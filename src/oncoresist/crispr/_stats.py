"""Small statistics shared by the screen tests: Benjamini–Hochberg and the Gini index."""

from __future__ import annotations

import numpy as np

from oncoresist._core import InputError


def benjamini_hochberg(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input order.

    ``q_(i) = min_{j >= i} min(1, m p_(j) / j)`` for the sorted p-values ``p_(1) <= ... <= p_(m)``
    (Benjamini & Hochberg 1995); the same as R's ``p.adjust(method = "BH")``. Missing values stay
    missing and do not count in ``m``.

    Examples
    --------
    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.20])).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    """
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if not ok.any():
        return out
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        msg = "p-values must lie in [0, 1]"
        raise InputError(msg, field="pvalues")
    values = p[ok]
    m = values.size
    order = np.argsort(values, kind="mergesort")
    scaled = values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    result = np.empty(m)
    result[order] = adjusted
    out[ok] = result
    return out


def gini_index(values: np.ndarray) -> float:
    """Gini index of non-negative values: 0 when all are equal, near 1 when one holds all.

    ``G = sum_i (2i - n - 1) x_(i) / ((n - 1) sum_i x_i)`` with ``x_(i)`` sorted ascending,
    ``i = 1..n``: the mean-difference form with the ``n / (n - 1)`` small-sample scaling, so that
    one non-zero value gives 1, as MAGeCK reports read-count evenness. MAGeCK computes it on
    ``log(count + 1)``; :func:`screen_qc` does the same.

    Examples
    --------
    >>> gini_index(np.array([1.0, 1.0, 1.0, 1.0]))
    0.0
    >>> gini_index(np.array([0.0, 0.0, 0.0, 4.0]))
    1.0
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    if x.size == 0 or np.any(x < 0) or np.any(~np.isfinite(x)):
        msg = "the Gini index needs at least one finite, non-negative value"
        raise InputError(msg, field="values")
    total = x.sum()
    if total == 0:
        return 0.0
    n = x.size
    if n == 1:
        return 0.0
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * x) / ((n - 1) * total))
