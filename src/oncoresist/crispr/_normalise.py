"""Between-sample normalisation of guide counts.

``median`` is the median-ratio method of DESeq (Anders & Huber 2010, doi:10.1186/gb-2010-11-10-r106)
as MAGeCK applies it (Li et al. 2014, doi:10.1186/s13059-014-0554-4): the reference of a guide is
the geometric mean of ``count + 1`` across samples (guides with no reads anywhere are left out),
and the factor of a sample is one over the median of its ``count / reference`` ratios (the upper
median when their number is even, as MAGeCK takes it). ``control`` does the same on non-targeting
or other control guides only; ``total`` scales every sample to the mean library size; ``none``
leaves the counts alone.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from oncoresist._core import InputError
from oncoresist.crispr._table import CountTable

METHODS = ("median", "total", "control", "none")


def _median_ratio_factors(counts: np.ndarray) -> np.ndarray:
    keep = counts.sum(axis=1) > 0
    sub = counts[keep]
    if sub.shape[0] == 0:
        msg = "every guide has zero reads in every sample; median normalisation is impossible"
        raise InputError(msg, field="counts")
    reference = np.exp(np.log(sub + 1.0).mean(axis=1))
    ratios = np.sort(sub / reference[:, None], axis=0)
    upper_median = ratios[ratios.shape[0] // 2]
    factors = np.zeros(counts.shape[1])
    ok = upper_median > 0
    factors[ok] = 1.0 / upper_median[ok]
    return factors


def size_factors(
    table: CountTable,
    *,
    method: str = "median",
    control_guides: Iterable[str] | None = None,
) -> np.ndarray:
    """Multiplicative size factors that put each sample on a common scale.

    Parameters
    ----------
    table
        Raw counts.
    method
        ``"median"`` (median ratio, default), ``"total"`` (library size), ``"control"`` (median
        ratio over the guides in ``control_guides``, or guides of the genes named there) or
        ``"none"``.
    control_guides
        Guide ids, or gene names, of negative controls; required with ``method="control"``.

    Returns
    -------
    numpy.ndarray
        One factor per sample; normalised counts are ``counts * factor``. A sample whose median
        ratio is zero (more than half of its guides unseen) falls back to the total-count
        factor, as MAGeCK does.

    Examples
    --------
    Three guides, three samples; hand-calculated in ``tests/crispr/test_normalise.py``:

    >>> import numpy as np
    >>> t = CountTable(np.array(["a", "b", "c"]), np.array(["G", "G", "H"]), ("s1", "s2", "s3"),
    ...                np.array([[9.0, 19.0, 39.0], [1.0, 3.0, 7.0], [3.0, 7.0, 15.0]]))
    >>> np.round(size_factors(t), 4).tolist()
    [2.6667, 1.1429, 0.5333]
    """
    if method not in METHODS:
        msg = f"normalisation method must be one of {', '.join(METHODS)}; got {method!r}"
        raise InputError(msg, field="method")
    counts = table.counts
    n = counts.shape[1]
    if method == "none":
        return np.ones(n)
    totals = counts.sum(axis=0)
    if np.any(totals <= 0):
        empty = [table.samples[i] for i in np.flatnonzero(totals <= 0)]
        msg = f"sample(s) {', '.join(empty)} have no reads at all; remove them from the comparison"
        raise InputError(msg, path=table.source, field="samples")
    total_factors = totals.mean() / totals
    if method == "total":
        return total_factors
    if method == "control":
        if control_guides is None:
            msg = "method 'control' needs control_guides: the ids (or genes) of negative controls"
            raise InputError(msg, field="control_guides")
        wanted = {str(x) for x in control_guides}
        mask = np.array([g in wanted for g in table.guides]) | np.array(
            [g in wanted for g in table.genes]
        )
        if not mask.any():
            msg = (
                f"none of the {len(wanted)} control guides/genes is in the count table; check "
                "that the ids match its first (sgRNA) or second (gene) column"
            )
            raise InputError(msg, path=table.source, field="control_guides")
        counts = counts[mask]
    factors = _median_ratio_factors(counts)
    bad = factors == 0
    factors[bad] = total_factors[bad]
    return factors


def normalise_counts(
    table: CountTable,
    *,
    method: str = "median",
    control_guides: Iterable[str] | None = None,
) -> CountTable:
    """Counts scaled by :func:`size_factors`.

    Examples
    --------
    >>> import numpy as np
    >>> t = CountTable(np.array(["a", "b"]), np.array(["G", "H"]), ("x", "y"),
    ...                np.array([[10.0, 30.0], [30.0, 10.0]]))
    >>> normalise_counts(t, method="total").counts.tolist()
    [[10.0, 30.0], [30.0, 10.0]]
    """
    factors = size_factors(table, method=method, control_guides=control_guides)
    return table.with_counts(table.counts * factors[None, :])
