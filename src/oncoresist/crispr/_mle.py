"""Negative-binomial GLM of guide counts with a design matrix (in the manner of MAGeCK MLE).

Model, for guide i of gene g in sample j (Li et al. 2015, doi:10.1186/s13059-015-0843-6, without
the guide-efficiency EM of MAGeCK MLE: every guide counts fully):

    y_ij ~ NB(mu_ij, alpha_i),   log mu_ij = a_i + sum_k x_jk beta_gk - log f_j

``a_i`` is the guide's own baseline (the design's ``baseline`` column), ``x_jk`` the design
matrix's other columns (conditions such as "fitness" in every grown sample and "drug" in the drug
arm only, so that ``beta_drug`` is the drug-specific effect separated from plain fitness),
``f_j`` the normalisation factor of sample j. The dispersion follows a trend fitted across guides,
``alpha(m) = a0 / m + a1`` in the guide's mean normalised count m, to per-guide moment estimates
from a first, near-Poisson fit (the trend form MAGeCK2 fits).

Genes are fitted by Fisher scoring (IRLS), all genes with the same number of guides at once.
Wald z and p-values come from the information matrix; permutation p-values compare each beta
with the betas of random genes of the same size (guides drawn from the whole library), two-sided
as MAGeCK: ``2 min(P(null >= beta), P(null <= beta))``. FDRs are Benjamini–Hochberg.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from oncoresist._core import InputError, Provenance
from oncoresist._core.rng import RngLike, seed_of, spawn_seed_sequences
from oncoresist.crispr._normalise import size_factors
from oncoresist.crispr._rra import write_mageck_summaries
from oncoresist.crispr._stats import benjamini_hochberg
from oncoresist.crispr._table import CountTable

_ETA_LIMIT = 30.0
_MLE_SUFFIXES = ("beta", "z", "p-value", "fdr", "wald-p-value", "wald-fdr")


def read_design(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a MAGeCK design matrix: samples as rows, ``baseline`` then condition columns.

    Columns are separated by tabs or runs of spaces (MAGeCK's demo file uses spaces); the first
    column names the samples, the first data column must be all ones (the baseline).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "design.txt"
    >>> _ = p.write_text("Samples baseline drug\\nT0 1 0\\ndrug 1 1\\n")
    >>> read_design(p).columns.tolist()
    ['baseline', 'drug']
    """
    path = Path(path)
    if not path.is_file():
        msg = "does not exist; give a design matrix (samples x baseline, conditions)"
        raise InputError(msg, path=path)
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            rows.append((lineno, re.split(r"\t|\s{1,}", line.strip())))
    if len(rows) < 2:
        msg = "needs a header and one row per sample"
        raise InputError(msg, path=path)
    header = rows[0][1]
    if len(header) < 3:
        msg = f"has {len(header)} column(s); expected sample names, baseline and >= 1 condition"
        raise InputError(msg, path=path, line=rows[0][0])
    names, values = [], []
    for lineno, parts in rows[1:]:
        if len(parts) != len(header):
            msg = f"has {len(parts)} fields where the header has {len(header)}"
            raise InputError(msg, path=path, line=lineno)
        try:
            values.append([float(v) for v in parts[1:]])
        except ValueError:
            msg = f"design values must be numbers (0/1); got {parts[1:]}"
            raise InputError(msg, path=path, line=lineno) from None
        names.append(parts[0])
    design = pd.DataFrame(values, index=names, columns=header[1:])
    design.index.name = header[0]
    _check_design(design, str(path))
    return design


def _check_design(design: pd.DataFrame, source: str | None) -> None:
    if design.shape[1] < 2:
        msg = "the design needs a baseline column and at least one condition column"
        raise InputError(msg, path=source)
    if not np.all(design.iloc[:, 0].to_numpy() == 1):
        msg = (
            f"the first design column ({design.columns[0]!r}) must be the baseline: 1 for every "
            "sample"
        )
        raise InputError(msg, path=source)
    if design.index.duplicated().any():
        msg = f"sample(s) listed twice in the design: {sorted(set(design.index[design.index.duplicated()]))}"
        raise InputError(msg, path=source)
    conds = design.iloc[:, 1:].to_numpy()
    if np.linalg.matrix_rank(np.column_stack([np.ones(len(design)), conds])) < conds.shape[1] + 1:
        msg = "the design's condition columns are not independent of each other and the baseline"
        raise InputError(msg, path=source)


@dataclass(frozen=True)
class MLEResult:
    """Per-gene betas of :func:`mle_test` in MAGeCK MLE's columns.

    Attributes
    ----------
    gene_summary
        ``Gene``, ``sgRNA`` (guides in the table; all-zero guides are not fitted), then per condition ``cond|beta``, ``cond|z``,
        ``cond|p-value``, ``cond|fdr``, ``cond|wald-p-value``, ``cond|wald-fdr``.
    dispersion_trend
        ``(a0, a1)`` of ``alpha(m) = a0 / m + a1``.
    provenance
        Where the result came from.
    """

    gene_summary: pd.DataFrame
    dispersion_trend: tuple[float, float]
    provenance: Provenance = field(compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The gene summary."""
        return self.gene_summary.copy()

    def write(self, prefix: str | os.PathLike[str]) -> list[Path]:
        """Write ``PREFIX.gene_summary.txt`` and ``PREFIX.provenance.json``."""
        return write_mageck_summaries(self.gene_summary, None, prefix, self.provenance)


def _fit_stratum(
    y: np.ndarray,
    log_offset: np.ndarray,
    conds: np.ndarray,
    alpha: np.ndarray,
    *,
    max_iter: int = 50,
    tol: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray]:
    """Fisher scoring for G genes of n guides: y (G, n, J), alpha (G, n) -> beta, se (G, K)."""
    g_count, n, _ = y.shape
    k = conds.shape[1]
    p = n + k
    a = np.log((y * np.exp(-log_offset)[None, None, :]).mean(axis=2) + 0.5)
    b = np.zeros((g_count, k))
    eye = np.eye(p)[None, :, :] * 1e-9
    info = np.zeros((g_count, p, p))
    for _ in range(max_iter):
        eta = a[:, :, None] + (b @ conds.T)[:, None, :] + log_offset[None, None, :]
        mu = np.exp(np.clip(eta, -_ETA_LIMIT, _ETA_LIMIT))
        denom = 1.0 + alpha[:, :, None] * mu
        w = mu / denom
        s = (y - mu) / denom
        score = np.concatenate([s.sum(axis=2), np.einsum("gij,jk->gk", s, conds)], axis=1)
        info = np.zeros((g_count, p, p))
        idx = np.arange(n)
        info[:, idx, idx] = w.sum(axis=2)
        cross = np.einsum("gij,jk->gik", w, conds)
        info[:, :n, n:] = cross
        info[:, n:, :n] = np.transpose(cross, (0, 2, 1))
        info[:, n:, n:] = np.einsum("gij,jk,jl->gkl", w, conds, conds)
        step = np.linalg.solve(info + eye, score[:, :, None])[:, :, 0]
        step = np.clip(step, -5.0, 5.0)  # damp the first steps from far-off starts
        a += step[:, :n]
        b += step[:, n:]
        if np.max(np.abs(step)) < tol:
            break
    cov = np.linalg.inv(info + eye)
    se = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2)[:, n:], 0.0, None))
    return b, se


def _moment_dispersion(y: np.ndarray, mu: np.ndarray, n_conditions: int) -> np.ndarray:
    """Per-guide method-of-moments dispersion, ``sum_j ((y - mu)^2 - mu) / mu^2 / dof``.

    The fit spends one parameter per guide (its baseline) and ``K`` per gene shared by its n
    guides, so each guide keeps ``J - 1 - K / n`` residual degrees of freedom of its J samples.
    """
    n, j = y.shape[-2], y.shape[-1]
    dof = max(j - 1.0 - n_conditions / n, 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = (((y - mu) ** 2 - mu) / mu**2).sum(axis=-1) / dof
    return est


def _fitted_means(
    y: np.ndarray, log_offset: np.ndarray, conds: np.ndarray, beta: np.ndarray
) -> np.ndarray:
    a = np.log(
        (y * np.exp(-log_offset)[None, None, :] * np.exp(-(beta @ conds.T))[:, None, :]).mean(axis=2)
        + 1e-9
    )
    eta = a[:, :, None] + (beta @ conds.T)[:, None, :] + log_offset[None, None, :]
    return np.exp(np.clip(eta, -_ETA_LIMIT, _ETA_LIMIT))


def _null_betas(
    counts: np.ndarray,
    alpha: np.ndarray,
    n: int,
    draws: int,
    log_offset: np.ndarray,
    conds: np.ndarray,
    seed: np.random.SeedSequence,
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picks = np.stack([rng.choice(counts.shape[0], n, replace=False) for _ in range(draws)])
    beta, _ = _fit_stratum(counts[picks], log_offset, conds, alpha[picks])
    return beta


def mle_test(
    table: CountTable,
    design: pd.DataFrame,
    *,
    norm_method: str = "median",
    control_guides: Sequence[str] | None = None,
    permutation_rounds: int = 2,
    min_draws: int = 1000,
    rng: RngLike = 0,
    executor: Executor | None = None,
) -> MLEResult:
    """Per-gene condition effects (betas) from a negative-binomial GLM with a design matrix.

    Parameters
    ----------
    table
        Raw guide counts.
    design
        Samples (index, labels of ``table``) by ``baseline`` then condition columns, as
        :func:`read_design` returns; e.g. ``baseline, fitness, drug`` for T0 / vehicle / drug.
    norm_method, control_guides
        Normalisation (see :func:`size_factors`).
    permutation_rounds
        Random genes per real gene in each stratum of guide count (MAGeCK's
        ``--permutation-round``); at least ``min_draws`` per stratum.
    min_draws
        Minimum random genes per stratum.
    rng
        Seed or Generator of the permutations.
    executor
        Optional executor on which the permutation strata run.

    Returns
    -------
    MLEResult

    Examples
    --------
    >>> import pandas as pd
    >>> from oncoresist.crispr import simulate_screen
    >>> s = simulate_screen(n_genes=40, rng=0)
    >>> design = pd.DataFrame({"baseline": 1, "fitness": [0, 1, 1, 1, 1],
    ...                        "drug": [0, 0, 0, 1, 1]}, index=list(s.table.samples))
    >>> res = mle_test(s.table, design, permutation_rounds=1, min_draws=50)
    >>> res.gene_summary.columns[:4].tolist()
    ['Gene', 'sgRNA', 'fitness|beta', 'fitness|z']
    """
    if not isinstance(design, pd.DataFrame):
        msg = "design must be a DataFrame of samples x (baseline, conditions); see read_design"
        raise InputError(msg, field="design")
    _check_design(design, None)
    if permutation_rounds < 1 or min_draws < 1:
        msg = f"permutation_rounds and min_draws must be >= 1; got {permutation_rounds}, {min_draws}"
        raise InputError(msg, field="permutation_rounds")
    samples = [str(s) for s in design.index]
    sub = table.select(samples)
    factors = size_factors(sub, method=norm_method, control_guides=control_guides)
    log_offset = -np.log(factors)
    conds = design.iloc[:, 1:].to_numpy(dtype=float)
    cond_names = [str(c) for c in design.columns[1:]]

    keep = sub.counts.sum(axis=1) > 0
    counts = sub.counts[keep]
    genes = sub.genes[keep].astype(str)
    names, inverse = np.unique(genes, return_inverse=True)
    order = np.argsort(inverse, kind="mergesort")
    sizes = np.bincount(inverse, minlength=names.size)
    offsets = np.concatenate([[0], np.cumsum(sizes)])

    def stratum_arrays(n: int, alpha_all: np.ndarray):
        members = np.flatnonzero(sizes == n)
        rows = np.stack([order[offsets[g] : offsets[g] + n] for g in members])
        return members, rows, counts[rows], alpha_all[rows]

    # Pass 1: near-Poisson fit, per-guide moment dispersion, trend alpha(m) = a0/m + a1.
    first_alpha = np.full(counts.shape[0], 0.01)
    raw = np.full(counts.shape[0], np.nan)
    for n in np.unique(sizes):
        members, rows, y, al = stratum_arrays(int(n), first_alpha)
        beta, _ = _fit_stratum(y, log_offset, conds, al)
        mu = _fitted_means(y, log_offset, conds, beta)
        raw[rows] = _moment_dispersion(y, mu, conds.shape[1])
    mean_norm = (counts * factors[None, :]).mean(axis=1)
    ok = np.isfinite(raw) & (raw < 10) & (mean_norm > 0)
    if ok.sum() >= 10:
        lhs = np.column_stack([1.0 / mean_norm[ok], np.ones(ok.sum())])
        a0, a1 = np.linalg.lstsq(lhs, raw[ok], rcond=None)[0]
    else:
        a0, a1 = 0.0, 0.01
    a0, a1 = max(float(a0), 0.0), max(float(a1), 1e-4)
    alpha = np.clip(a0 / np.maximum(mean_norm, 1e-3) + a1, 1e-4, 10.0)

    # Pass 2: the NB fit with trended dispersion, and the permutation null per stratum.
    k = conds.shape[1]
    beta_all = np.zeros((names.size, k))
    se_all = np.zeros((names.size, k))
    perm_p = np.ones((names.size, k))
    strata = [int(n) for n in np.unique(sizes)]
    seeds = dict(zip(strata, spawn_seed_sequences(rng, len(strata)), strict=True))
    jobs = {}
    for n in strata:
        members, rows, y, al = stratum_arrays(n, alpha)
        beta, se = _fit_stratum(y, log_offset, conds, al)
        beta_all[members], se_all[members] = beta, se
        draws = max(permutation_rounds * members.size, min_draws)
        if n > counts.shape[0]:
            continue
        args = (counts, alpha, n, draws, log_offset, conds, seeds[n])
        jobs[n] = executor.submit(_null_betas, *args) if executor is not None else args
    for n, job in jobs.items():
        null = job.result() if executor is not None else _null_betas(*job)
        members = np.flatnonzero(sizes == n)
        for c in range(k):
            ref = np.sort(null[:, c])
            obs = beta_all[members, c]
            above = ref.size - np.searchsorted(ref, obs, side="left")
            below = np.searchsorted(ref, obs, side="right")
            p = 2.0 * np.minimum(above + 1.0, below + 1.0) / (ref.size + 1.0)
            perm_p[members, c] = np.minimum(p, 1.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se_all > 0, beta_all / se_all, 0.0)
    wald_p = 2.0 * special.ndtr(-np.abs(z))
    # MAGeCK reports every guide of the gene, including the all-zero ones the fit cannot use.
    all_names, all_sizes = np.unique(sub.genes.astype(str), return_counts=True)
    listed = dict(zip(all_names, all_sizes, strict=True))
    out = pd.DataFrame({"Gene": names, "sgRNA": [int(listed[g]) for g in names]})
    for c, cname in enumerate(cond_names):
        out[f"{cname}|beta"] = beta_all[:, c]
        out[f"{cname}|z"] = z[:, c]
        out[f"{cname}|p-value"] = perm_p[:, c]
        out[f"{cname}|fdr"] = benjamini_hochberg(perm_p[:, c])
        out[f"{cname}|wald-p-value"] = wald_p[:, c]
        out[f"{cname}|wald-fdr"] = benjamini_hochberg(wald_p[:, c])
    params = {
        "design": {s: design.loc[s].tolist() for s in design.index},
        "design_columns": [str(c) for c in design.columns],
        "norm_method": norm_method,
        "size_factors": dict(zip(sub.samples, factors.tolist(), strict=True)),
        "dispersion_trend": [a0, a1],
        "permutation_rounds": permutation_rounds,
        "min_draws": min_draws,
        "guides_removed_all_zero": int((~keep).sum()),
    }
    inputs = [table.source] if table.source and Path(table.source).is_file() else []
    prov = Provenance.create("oncoresist.crispr.mle_test", parameters=params, seed=seed_of(rng), inputs=inputs)
    return MLEResult(out, (a0, a1), prov)
