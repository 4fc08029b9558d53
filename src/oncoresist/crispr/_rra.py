"""MAGeCK-style robust rank aggregation test of treated against control samples.

The model follows MAGeCK (Li et al. 2014, doi:10.1186/s13059-014-0554-4) as its current release,
MAGeCK2 0.3.0, runs it:

1. counts of the compared samples are normalised (median ratio by default);
2. a mean–variance model ``var = mean + 2^b mean^k`` is fitted across guides by weighted least
   squares of ``log2(var - mean + 1)`` on ``log2(mean + 1)`` (weights: the mean), on the control
   replicates (on all compared samples when there is one control), leaving out guides whose
   variance does not exceed their mean and guides with extreme counts (> 4 SD above the mean);
3. each guide gets lower- and upper-tail p-values of its treated mean under a normal distribution
   truncated at zero, centred on the control mean with the modelled variance;
4. guides are ranked by a score (the normal quantile of the depletion p-value for depleted
   guides, the z-value otherwise) and each gene's guides are aggregated by alpha-RRA, alpha being
   the fraction of guides with p <= 0.25 (clipped to [0.05, 0.5]);
5. gene p-values come from permutations *stratified by the number of guides per gene* (MAGeCK's
   RRA pools every gene into one null): random genes of the same size drawn from uniform
   percentiles, or from the percentiles of control guides when these are given;
6. Benjamini–Hochberg FDR over genes; gene LFC is the median of its guides' LFCs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from oncoresist._core import InputError, Provenance, atomic_write
from oncoresist._core.rng import RngLike, seed_of, spawn_seed_sequences
from oncoresist.crispr._kernels import count_at_most, rra_scores
from oncoresist.crispr._normalise import size_factors
from oncoresist.crispr._stats import benjamini_hochberg
from oncoresist.crispr._table import CountTable

GENE_COLUMNS = [
    "id", "num",
    "neg|score", "neg|p-value", "neg|fdr", "neg|rank", "neg|goodsgrna", "neg|lfc",
    "pos|score", "pos|p-value", "pos|fdr", "pos|rank", "pos|goodsgrna", "pos|lfc",
]  # fmt: skip
SGRNA_COLUMNS = [
    "sgrna", "Gene", "control_count", "treatment_count", "control_mean", "treat_mean", "LFC",
    "control_var", "adj_var", "score", "p.low", "p.high", "p.twosided", "FDR",
    "high_in_treatment",
]  # fmt: skip
_REMOVE_ZERO = ("none", "control", "treatment", "both", "any")
_LFC_METHODS = ("median", "mean", "secondbest")
_CHUNK_ROWS = 1 << 19  # random genes scored per kernel call: bounds memory on big libraries


@dataclass(frozen=True)
class MeanVarianceModel:
    """``var = mean + 2**intercept * mean**slope``, fitted across guides."""

    slope: float
    intercept: float
    n_guides: int

    def variance(self, mean: np.ndarray) -> np.ndarray:
        """Modelled variance at the given means."""
        return mean**self.slope * 2.0**self.intercept + mean


@dataclass(frozen=True)
class RRAResult:
    """Gene- and guide-level results of :func:`rra_test`, in MAGeCK's columns.

    Attributes
    ----------
    gene_summary
        One row per gene, MAGeCK ``gene_summary`` columns, sorted by ``neg|rank``.
    sgrna_summary
        One row per guide, MAGeCK ``sgrna_summary`` columns, sorted by score.
    size_factors
        Sample label -> normalisation factor.
    model
        The fitted mean–variance model.
    alpha
        The RRA percentile cut-offs used for depletion and enrichment.
    provenance
        Where the result came from.
    """

    gene_summary: pd.DataFrame
    sgrna_summary: pd.DataFrame
    size_factors: dict[str, float]
    model: MeanVarianceModel
    alpha: tuple[float, float]
    provenance: Provenance = field(compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The gene summary."""
        return self.gene_summary.copy()

    def write(self, prefix: str | os.PathLike[str]) -> list[Path]:
        """Write ``PREFIX.gene_summary.txt``, ``PREFIX.sgrna_summary.txt`` and provenance."""
        return write_mageck_summaries(self.gene_summary, self.sgrna_summary, prefix, self.provenance)


def _format_column(values: pd.Series) -> list[str]:
    if pd.api.types.is_bool_dtype(values):
        return ["True" if v else "False" for v in values.tolist()]
    if pd.api.types.is_float_dtype(values):
        return [f"{v:.5g}" for v in values.tolist()]
    return [str(v) for v in values.tolist()]


def _format_frame(frame: pd.DataFrame) -> str:
    """Tab-separated text, numbers with 5 significant digits as MAGeCK prints them."""
    columns = [_format_column(frame[c]) for c in frame.columns]
    lines = ["\t".join(map(str, frame.columns))]
    lines.extend("\t".join(cells) for cells in zip(*columns, strict=True))
    return "\n".join(lines) + "\n"


def write_mageck_summaries(
    gene_summary: pd.DataFrame,
    sgrna_summary: pd.DataFrame | None,
    prefix: str | os.PathLike[str],
    provenance: Provenance | None = None,
) -> list[Path]:
    """Write MAGeCK-named summary files atomically, numbers with 5 significant digits as MAGeCK."""
    prefix = str(prefix)
    written = []
    pairs = [(gene_summary, Path(prefix + ".gene_summary.txt"))]
    if sgrna_summary is not None:
        pairs.append((sgrna_summary, Path(prefix + ".sgrna_summary.txt")))
    for frame, path in pairs:
        with atomic_write(path) as handle:
            handle.write(_format_frame(frame))
        written.append(path)
    if provenance is not None:
        written.append(provenance.write(Path(prefix + ".provenance.json")))
    return written


def _centre(matrix: np.ndarray, how: str) -> np.ndarray:
    return np.median(matrix, axis=1) if how == "median" else matrix.mean(axis=1)


def _spread(matrix: np.ndarray, centre: np.ndarray) -> np.ndarray:
    # Sum of squares about the replicate centre over max(n - 1, 1), as MAGeCK.
    dof = max(matrix.shape[1] - 1, 1)
    return ((matrix - centre[:, None]) ** 2).sum(axis=1) / dof


def fit_mean_variance(matrix: np.ndarray, *, centre: str = "median") -> MeanVarianceModel:
    """Fit MAGeCK's ``var = mean + 2^b mean^k`` across guides of a normalised count matrix."""
    mean = _centre(matrix, centre)
    var = _spread(matrix, mean)
    if mean.size > 10:
        # Guides with extreme counts (> 4 SD above the typical mean) are left out; the typical
        # mean and the SD about it follow the chosen replicate centre, as MAGeCK2 does.
        typical = _centre(mean[None, :], centre)
        high = typical[0] + 4.0 * np.sqrt(_spread(mean[None, :], typical)[0])
    else:
        high = mean.max() * 2.0
    good = (mean < var) & (mean < high)
    if good.sum() >= 10:
        m, excess = mean[good], var[good] - mean[good]
    else:
        # Replicates agree too well (technical replicates?): fit on everything, floored.
        m, excess = mean, np.maximum(var - mean, 0.01)
    x = np.log2(m + 1.0)
    y = np.log2(excess + 1.0)
    w = m
    sw, sx, sy = w.sum(), (w * x).sum(), (w * y).sum()
    sxx, sxy = (w * x * x).sum(), (w * x * y).sum()
    denom = sw * sxx - sx * sx
    if denom <= 0 or not np.isfinite(denom):
        slope, intercept = 1.0, 0.0
    else:
        slope = (sw * sxy - sx * sy) / denom
        intercept = (sy * sxx - sx * sxy) / denom
    return MeanVarianceModel(max(float(slope), 1.0), max(float(intercept), 0.0), int(m.size))


def _midranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank (scipy's rankdata 'average')."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    new_run = np.concatenate([[True], sorted_values[1:] != sorted_values[:-1]])
    run_id = np.cumsum(new_run) - 1
    starts = np.flatnonzero(new_run)
    ends = np.concatenate([starts[1:], [values.size]])
    average = (starts + ends + 1) / 2.0  # mean of the 1-based positions start+1 .. end
    ranks = np.empty(values.size)
    ranks[order] = average[run_id]
    return ranks


def _gene_groups(genes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gene names (sorted), offsets, and the guide order that makes each gene contiguous."""
    names, inverse = np.unique(genes.astype(str), return_inverse=True)
    order = np.argsort(inverse, kind="mergesort")
    sizes = np.bincount(inverse, minlength=names.size)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return names, offsets, order


def _null_scores(
    n_guides: int,
    draws: int,
    alpha: float,
    seed: np.random.SeedSequence,
    control_percentiles: np.ndarray | None,
) -> np.ndarray:
    """Sorted alpha-RRA scores of ``draws`` random genes with ``n_guides`` guides each."""
    rng = np.random.default_rng(seed)
    out = np.empty(draws)
    done = 0
    while done < draws:
        rows = min(draws - done, max(_CHUNK_ROWS // n_guides, 1))
        if control_percentiles is None:
            values = rng.random((rows, n_guides)).ravel()
        else:
            values = control_percentiles[rng.integers(0, control_percentiles.size, rows * n_guides)]
        offsets = np.arange(0, rows * n_guides + 1, n_guides, dtype=np.int64)
        out[done : done + rows] = rra_scores(values, offsets, alpha)[0]
        done += rows
    out.sort()
    return out


def _aggregate(
    ranking: np.ndarray,
    valid_genes: np.ndarray,
    alpha: float,
    *,
    permutations: int,
    min_draws: int,
    seeds: dict[int, np.random.SeedSequence],
    control_mask: np.ndarray | None,
    executor: Executor | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Alpha-RRA of a ranked list of valid guides: names, sizes, scores, good counts, p-values."""
    percentiles = (_midranks(ranking) - 0.5) / ranking.size
    names, offsets, order = _gene_groups(valid_genes)
    scores, good = rra_scores(percentiles[order], offsets, alpha)
    sizes = np.diff(offsets)
    control_percentiles = None
    if control_mask is not None and control_mask.any():
        control_percentiles = np.ascontiguousarray(percentiles[control_mask])
    pvalues = np.empty(names.size)
    jobs = {}
    for n in np.unique(sizes):
        n = int(n)
        draws = max(permutations * int((sizes == n).sum()), min_draws)
        args = (n, draws, alpha, seeds[n], control_percentiles)
        jobs[n] = executor.submit(_null_scores, *args) if executor is not None else args
    for n, job in jobs.items():
        null = job.result() if executor is not None else _null_scores(*job)
        members = np.flatnonzero(sizes == n)
        at_most = count_at_most(null, scores[members])
        pvalues[members] = (at_most + 1.0) / (null.size + 1.0)
    return names, sizes, scores, good, pvalues


def _gene_lfc(lfc: np.ndarray, valid_genes: np.ndarray, method: str, positive: bool) -> np.ndarray:
    names, offsets, order = _gene_groups(valid_genes)
    sizes = np.diff(offsets)
    group = np.repeat(np.arange(names.size), sizes)
    # Sort within each gene (genes stay contiguous) so medians and second-best are positions.
    values = lfc[order]
    within = np.lexsort((values, group))
    values = values[within]
    starts = offsets[:-1]
    if method == "mean":
        return np.add.reduceat(values, starts) / sizes
    if method == "median":
        lo = values[starts + (sizes - 1) // 2]
        hi = values[starts + sizes // 2]
        return (lo + hi) / 2.0
    # Second-best guide in the direction of selection, as MAGeCK's 'secondbest'.
    second = np.where(positive, starts + sizes - 2, starts + 1)
    return np.where(sizes > 1, values[np.clip(second, 0, values.size - 1)], 0.0)


def _ranks(scores: np.ndarray, pvalues: np.ndarray, names: np.ndarray) -> np.ndarray:
    order = np.lexsort((names, pvalues, scores))
    ranks = np.empty(scores.size, dtype=np.int64)
    ranks[order] = np.arange(1, scores.size + 1)
    return ranks


def rra_test(
    table: CountTable,
    treated: Sequence[str],
    control: Sequence[str],
    *,
    norm_method: str = "median",
    control_guides: Sequence[str] | None = None,
    centre: str = "median",
    fdr_threshold: float = 0.25,
    alpha: float | None = None,
    permutations: int = 100,
    min_draws: int = 10_000,
    lfc_method: str = "median",
    remove_zero: str = "both",
    remove_zero_threshold: float = 0.0,
    rng: RngLike = 0,
    executor: Executor | None = None,
) -> RRAResult:
    """Rank genes whose guides are depleted or enriched in treated samples (MAGeCK RRA).

    Parameters
    ----------
    table
        Raw guide counts (see :func:`read_counts`).
    treated, control
        Sample labels (or 0-based column indices) of the two groups; replicates are pooled.
    norm_method
        ``"median"`` (default), ``"total"``, ``"control"`` or ``"none"``; see :func:`size_factors`.
    control_guides
        Negative-control guide ids (or their genes). With them, normalisation may use them
        (``norm_method="control"``) and the permutation null draws percentiles from them.
    centre
        Replicate centre: ``"median"`` (default; as MAGeCK2 0.3.0 computes its "mean") or
        ``"mean"`` (the arithmetic mean of the MAGeCK paper). Identical with two replicates.
    fdr_threshold
        Guides with p <= this set alpha (fraction of such guides, clipped to [0.05, 0.5]).
    alpha
        A fixed RRA percentile cut-off instead.
    permutations
        Random genes per real gene in each stratum of guide count; at least ``min_draws`` random
        genes per stratum. p-values are ``(1 + #null <= score) / (1 + draws)``.
    min_draws
        Minimum random genes per stratum.
    lfc_method
        Gene LFC from guide LFCs: ``"median"`` (default), ``"mean"`` or ``"secondbest"``.
    remove_zero, remove_zero_threshold
        Leave out guides whose normalised mean is <= the threshold in the ``"control"``,
        ``"treatment"``, ``"both"`` (default; zero in both) or ``"any"`` group, or ``"none"``.
    rng
        Seed or Generator for the permutations (same seed, same output).
    executor
        Optional ``concurrent.futures.Executor``; the permutation strata run on it.

    Returns
    -------
    RRAResult

    Examples
    --------
    >>> from oncoresist.crispr import simulate_screen
    >>> screen = simulate_screen(n_genes=60, rng=3)
    >>> res = rra_test(screen.table, ["drug_1", "drug_2"], ["vehicle_1", "vehicle_2"],
    ...                permutations=20, min_draws=2000, rng=1)
    >>> list(res.gene_summary.columns[:4])
    ['id', 'num', 'neg|score', 'neg|p-value']
    """
    _check_options(norm_method, centre, lfc_method, remove_zero, permutations, min_draws, alpha)
    treated, control = list(treated), list(control)
    overlap = sorted(set(treated) & set(control))
    if overlap:
        msg = f"sample(s) {', '.join(overlap)} are both treated and control; list each once"
        raise InputError(msg, field="samples")
    if not treated or not control:
        msg = "give at least one treated and one control sample"
        raise InputError(msg, field="samples")
    sub = table.select(control + treated)
    factors = size_factors(sub, method=norm_method, control_guides=control_guides)
    norm = sub.counts * factors[None, :]
    nc = len(control)
    ctrl, trt = norm[:, :nc], norm[:, nc:]
    var_samples = ctrl if nc > 1 else norm
    model = fit_mean_variance(var_samples, centre=centre)

    c_mean = _centre(ctrl, centre)
    t_mean = _centre(trt, centre)
    valid_c = c_mean > remove_zero_threshold
    valid_t = t_mean > remove_zero_threshold
    valid = {
        "none": np.ones_like(valid_c),
        "control": valid_c,
        "treatment": valid_t,
        "both": valid_c | valid_t,
        "any": valid_c & valid_t,
    }[remove_zero]
    if not valid.any():
        msg = "no guide is left after removing zero-count guides; check the samples chosen"
        raise InputError(msg, path=table.source, field="remove_zero")
    positive_c = c_mean[c_mean > 0]
    positive_t = t_mean[t_mean > 0]
    if positive_c.size == 0 or positive_t.size == 0:
        msg = "the control or the treated samples have no reads in any guide"
        raise InputError(msg, path=table.source, field="samples")
    c_mean = np.maximum(c_mean, positive_c.min())
    adj_var = model.variance(c_mean)
    sd = np.sqrt(adj_var)

    # Normal distribution truncated at zero (counts cannot be negative), as MAGeCK.
    t_adj = np.maximum(t_mean, positive_t.min())
    z = (t_adj - c_mean) / sd
    z0 = -c_mean / sd
    above0 = special.ndtr(-z0)
    p_low = np.clip((special.ndtr(z) - special.ndtr(z0)) / above0, 0.0, 1.0)
    p_high = np.clip(special.ndtr(-z) / above0, 0.0, 1.0)
    p_two = np.minimum(2.0 * np.minimum(p_low, p_high), 1.0)

    # Ranking score: the depletion p-value on the normal scale for depleted guides, so that
    # guides with tiny p-values keep their order; the plain z-value otherwise.
    z_raw = (t_mean - c_mean) / sd
    floor = 0.1 * p_low[p_low > 0].min() if np.any(p_low > 0) else 1e-300
    theta = np.where(t_mean < c_mean, special.ndtri(np.maximum(p_low, floor)), z_raw)
    theta = np.where(np.isfinite(theta), theta, z_raw)
    lfc = np.log2(t_mean + 1.0) - np.log2(c_mean + 1.0)
    if nc > 1 or trt.shape[1] == 1:
        raw_var = _spread(ctrl, _centre(ctrl, centre)) if nc > 1 else _spread(norm, _centre(norm, centre))
    else:
        frac_c = (nc - 1) / (nc - 1 + trt.shape[1] - 1)
        raw_var = frac_c * _spread(ctrl, _centre(ctrl, centre)) + (1 - frac_c) * _spread(
            trt, _centre(trt, centre)
        )

    n_valid = int(valid.sum())
    if alpha is None:
        alpha_neg = float(np.clip((p_low[valid] <= fdr_threshold).sum() / n_valid, 0.05, 0.5))
        alpha_pos = float(np.clip((p_high[valid] <= fdr_threshold).sum() / n_valid, 0.05, 0.5))
    else:
        alpha_neg = alpha_pos = float(alpha)

    valid_genes = sub.genes[valid]
    control_mask = None
    if control_guides is not None:
        wanted = {str(x) for x in control_guides}
        control_mask = np.array([g in wanted for g in sub.guides[valid]]) | np.array(
            [g in wanted for g in valid_genes]
        )
    sizes = np.unique(np.bincount(np.unique(valid_genes.astype(str), return_inverse=True)[1]))
    # One child seed per (direction, stratum size) so results do not depend on the executor.
    children = spawn_seed_sequences(rng, 2 * int(sizes.size))
    seeds_neg = {int(n): children[i] for i, n in enumerate(sizes)}
    seeds_pos = {int(n): children[sizes.size + i] for i, n in enumerate(sizes)}
    common = {
        "permutations": permutations,
        "min_draws": min_draws,
        "control_mask": control_mask,
        "executor": executor,
    }
    names, num, s_neg, g_neg, p_neg = _aggregate(
        theta[valid], valid_genes, alpha_neg, seeds=seeds_neg, **common
    )
    _, _, s_pos, g_pos, p_pos = _aggregate(
        -theta[valid], valid_genes, alpha_pos, seeds=seeds_pos, **common
    )
    lfc_neg = _gene_lfc(lfc[valid], valid_genes, lfc_method, positive=False)
    lfc_pos = _gene_lfc(lfc[valid], valid_genes, lfc_method, positive=True)
    genes = pd.DataFrame(
        {
            "id": names,
            "num": num,
            "neg|score": s_neg,
            "neg|p-value": p_neg,
            "neg|fdr": benjamini_hochberg(p_neg),
            "neg|rank": _ranks(s_neg, p_neg, names),
            "neg|goodsgrna": g_neg,
            "neg|lfc": lfc_neg,
            "pos|score": s_pos,
            "pos|p-value": p_pos,
            "pos|fdr": benjamini_hochberg(p_pos),
            "pos|rank": _ranks(s_pos, p_pos, names),
            "pos|goodsgrna": g_pos,
            "pos|lfc": lfc_pos,
        }
    )
    genes = genes.sort_values("neg|rank", kind="mergesort").reset_index(drop=True)

    def joined(matrix: np.ndarray) -> list[str]:
        return ["/".join(f"{v:.5g}" for v in row) for row in matrix]

    guides = pd.DataFrame(
        {
            "sgrna": sub.guides,
            "Gene": sub.genes,
            "control_count": joined(ctrl),
            "treatment_count": joined(trt),
            "control_mean": c_mean,
            "treat_mean": t_mean,
            "LFC": lfc,
            "control_var": raw_var,
            "adj_var": adj_var,
            "score": np.abs(theta),
            "p.low": p_low,
            "p.high": p_high,
            "p.twosided": p_two,
            "FDR": benjamini_hochberg(p_two),
            "high_in_treatment": t_mean > c_mean,
        }
    )
    order = np.lexsort((sub.guides.astype(str), -np.abs(theta)))
    guides = guides.iloc[order].reset_index(drop=True)
    params = {
        "treated": treated,
        "control": control,
        "norm_method": norm_method,
        "control_guides": None if control_guides is None else len(list(control_guides)),
        "centre": centre,
        "fdr_threshold": fdr_threshold,
        "alpha": [alpha_neg, alpha_pos],
        "permutations": permutations,
        "min_draws": min_draws,
        "lfc_method": lfc_method,
        "remove_zero": remove_zero,
        "remove_zero_threshold": remove_zero_threshold,
        "size_factors": dict(zip(sub.samples, factors.tolist(), strict=True)),
        "mean_variance_model": [model.slope, model.intercept],
    }
    inputs = [table.source] if table.source and Path(table.source).is_file() else []
    prov = Provenance.create(
        "oncoresist.crispr.rra_test", parameters=params, seed=seed_of(rng), inputs=inputs
    )
    return RRAResult(
        genes,
        guides,
        dict(zip(sub.samples, factors.tolist(), strict=True)),
        model,
        (alpha_neg, alpha_pos),
        prov,
    )


def _check_options(norm_method, centre, lfc_method, remove_zero, permutations, min_draws, alpha):
    if centre not in ("mean", "median"):
        msg = f"centre must be 'mean' or 'median'; got {centre!r}"
        raise InputError(msg, field="centre")
    if lfc_method not in _LFC_METHODS:
        msg = f"lfc_method must be one of {', '.join(_LFC_METHODS)}; got {lfc_method!r}"
        raise InputError(msg, field="lfc_method")
    if remove_zero not in _REMOVE_ZERO:
        msg = f"remove_zero must be one of {', '.join(_REMOVE_ZERO)}; got {remove_zero!r}"
        raise InputError(msg, field="remove_zero")
    if permutations < 1 or min_draws < 1:
        msg = f"permutations and min_draws must be >= 1; got {permutations} and {min_draws}"
        raise InputError(msg, field="permutations")
    if alpha is not None and not 0 < alpha <= 1:
        msg = f"alpha must lie in (0, 1]; got {alpha}"
        raise InputError(msg, field="alpha")
    del norm_method  # checked by size_factors
