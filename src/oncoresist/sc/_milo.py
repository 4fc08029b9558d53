"""Differential abundance on kNN neighbourhoods with replicates, as Milo does.

Dann, E., Henderson, N. C., Teichmann, S. A., Morgan, M. D. & Marioni, J. C. (2022).
Differential abundance testing on single-cell data using k-nearest neighbor graphs.
Nat. Biotechnol. 40:245-253.

Steps: (1) sample a fraction of cells and refine each to the cell of its neighbourhood nearest
the neighbourhood's median position in the reduced space; a neighbourhood is the index cell and
its k nearest neighbours; (2) count each neighbourhood's cells per sample; (3) fit a
negative-binomial GLM per neighbourhood (log offset: the sample's total neighbourhood counts),
with a dispersion that follows abundance (``trended_dispersion``; or one shared by all), from
the Cox-Reid adjusted profile likelihood; test the condition coefficient with the quasi-likelihood F-test (below) or, with
``test="lr"``, the plain likelihood-ratio test; (4) control the spatial FDR by weighted
Benjamini-Hochberg with weights 1 / (distance to the k-th neighbour).

Quasi-likelihood, as edgeR's ``glmQLFit``/``glmQLFTest`` that Milo calls (Lund et al. 2012,
Stat Appl Genet Mol Biol 11:8; Chen, Lun & Smyth 2016, F1000Research 5:1438): each row's
residual deviance over its residual degrees of freedom is a quasi-dispersion ``s2``, which
captures variability the NB dispersion misses; the ``s2`` are shrunk towards a common prior
by empirical Bayes (limma's ``squeezeVar``: a scaled F distribution fitted by moments of
``log s2``, Smyth 2004, Stat Appl Genet Mol Biol 3:3); the test statistic is ``F = LR / s2_post``
on ``(1, d0 + d)`` degrees of freedom. Differences from edgeR, stated in docs/sc.md: the NB
trend interpolates bin estimates linearly (edgeR: a spline or locfit), no abundance trend in
the QL prior, and the plain deviance (edgeR adjusts it for very small counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import optimize, special, stats

from oncoresist._core import InputError
from oncoresist.sc._kernels import nb_glm_fit, spatial_fdr


@dataclass
class Neighbourhoods:
    """Index cells, membership (cells x neighbourhoods) and k-distance of each neighbourhood."""

    index_cells: np.ndarray
    membership: sp.csr_matrix
    kth_distance: np.ndarray


def _knn(adata, use_rep: str) -> tuple[sp.csr_matrix, np.ndarray]:
    dist = adata.obsp["distances"].tocsr()
    rep = adata.obsm[use_rep]
    return dist, np.asarray(rep)


def make_neighbourhoods(adata, *, use_rep: str, prop: float, rng: np.random.Generator) -> Neighbourhoods:
    """Refined sampling of index cells (Milo's ``makeNhoods(refined=TRUE)``)."""
    dist, rep = _knn(adata, use_rep)
    n = dist.shape[0]
    adj = dist.copy()
    adj.data[:] = 1.0
    adj = (adj + sp.identity(n, format="csr")).tocsr()
    adj.data[:] = 1.0
    n_sample = max(1, int(round(prop * n)))
    sampled = np.sort(rng.choice(n, n_sample, replace=False))
    refined = np.empty(n_sample, dtype=np.int64)
    for j, cell in enumerate(sampled):
        members = adj.indices[adj.indptr[cell] : adj.indptr[cell + 1]]
        median = np.median(rep[members], axis=0)
        refined[j] = members[np.argmin(((rep[members] - median) ** 2).sum(axis=1))]
    index_cells = np.unique(refined)
    membership = adj[index_cells].T.tocsr()  # cells x neighbourhoods
    kth = np.asarray(dist[index_cells].max(axis=1).todense()).ravel()
    return Neighbourhoods(index_cells, membership, kth)


def _profile(log_alpha, counts, design, offset):
    alpha = float(np.exp(log_alpha))
    _, _, ll, logdet = nb_glm_fit(counts, design, offset, alpha)
    return -(ll.sum() - 0.5 * logdet.sum())  # Cox-Reid adjusted profile likelihood


def common_dispersion(counts: np.ndarray, design: np.ndarray, offset: np.ndarray) -> float:
    """Dispersion shared by all rows, by maximising the Cox-Reid adjusted profile likelihood."""
    res = optimize.minimize_scalar(
        _profile, bounds=(np.log(1e-4), np.log(10.0)), args=(counts, design, offset),
        method="bounded", options={"xatol": 1e-4},
    )
    return float(np.exp(res.x))


def trended_dispersion(counts: np.ndarray, design: np.ndarray, offset: np.ndarray, *,
                       rows_per_bin: int = 50, max_bins: int = 20) -> np.ndarray:
    """A dispersion per row that follows abundance (edgeR's binned trend, simplified).

    Rows are ranked by abundance (log mean count per unit of offset) and cut into up to
    ``max_bins`` bins of at least ``rows_per_bin`` rows; each bin gets its common Cox-Reid
    dispersion, and each row the value interpolated at its abundance, linearly on the log
    scale between the bins' median abundances and flat beyond them (edgeR's
    ``estimateGLMTrendedDisp(method="bin.spline")`` fits a spline through the same bin values).
    Fewer than two bins' worth of rows: the common dispersion for every row.
    """
    n_rows = counts.shape[0]
    n_bins = min(max_bins, n_rows // rows_per_bin)
    if n_bins < 2:
        return np.full(n_rows, common_dispersion(counts, design, offset))
    abundance = np.log((counts / np.exp(offset)).mean(axis=1) + 1e-12)
    bins = np.array_split(np.argsort(abundance, kind="stable"), n_bins)
    centres = np.array([np.median(abundance[b]) for b in bins])
    values = np.log([common_dispersion(counts[b], design, offset) for b in bins])
    return np.exp(np.interp(abundance, centres, values))


def nb_deviance(y: np.ndarray, mu: np.ndarray, alpha) -> np.ndarray:
    """Row sums of the NB2 unit deviance ``2 [y ln(y/mu) - (y + 1/a) ln((y + 1/a)/(mu + 1/a))]``.

    ``alpha``: one dispersion, or one per row.
    """
    a = np.asarray(alpha, dtype=float)
    r = 1.0 / (a[:, None] if a.ndim == 1 else a)
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.where(y > 0, y * np.log(y / mu), 0.0)
    unit = 2.0 * (first - (y + r) * np.log((y + r) / (mu + r)))
    return np.maximum(unit, 0.0).sum(axis=-1)


def _trigamma_inverse(x: float) -> float:
    """The y with trigamma(y) = x (Newton's method, as limma's trigammaInverse)."""
    if x > 1e7:
        return 1.0 / np.sqrt(x)
    if x < 1e-6:
        return 1.0 / x
    y = 0.5 + 1.0 / x
    for _ in range(50):
        tri = float(special.polygamma(1, y))
        step = tri * (1.0 - tri / x) / float(special.polygamma(2, y))
        y += step
        if -step / y < 1e-8:
            break
    return y


def squeeze_variances(s2: np.ndarray, df: float) -> tuple[np.ndarray, float, float]:
    """Empirical-Bayes posterior variances (Smyth 2004): returns ``s2_post``, ``d0``, ``s0^2``.

    ``s2`` are modelled as ``s0^2 F(d, d0)``; ``d0`` and ``s0^2`` come from the mean and
    variance of ``log s2`` (the moments of a log F variable: digamma and trigamma of the
    halved degrees of freedom). When ``log s2`` varies no more than sampling alone explains,
    ``d0`` is infinite and every row gets ``s0^2``.
    """
    s2 = np.maximum(np.asarray(s2, dtype=float), 1e-300)
    z = np.log(s2)
    e = z - special.digamma(df / 2.0) + np.log(df / 2.0)
    mean = float(e.mean())
    excess = float(np.sum((e - mean) ** 2) / max(e.size - 1, 1)) - float(special.polygamma(1, df / 2.0))
    if excess <= 0 or e.size < 2:
        prior = float(np.exp(mean))
        return np.full_like(s2, prior), np.inf, prior
    d0 = 2.0 * _trigamma_inverse(excess)
    prior = float(np.exp(mean + special.digamma(d0 / 2.0) - np.log(d0 / 2.0)))
    return (d0 * prior + df * s2) / (d0 + df), d0, prior


def fit_neighbourhoods(
    counts: np.ndarray, treated: np.ndarray, *, covariates: np.ndarray | None = None,
    test: str = "ql", dispersion: str = "trended",
) -> tuple[pd.DataFrame, float]:
    """NB GLM per row; QL F-test (or LR test) of the treated-vs-control coefficient.

    Returns the table and the dispersion: the common one, or the median of the trend (the
    row's own value is the table's ``dispersion`` column).
    """
    if test not in ("ql", "lr"):
        msg = f"test must be 'ql' (quasi-likelihood F-test, as Milo) or 'lr'; got {test!r}"
        raise InputError(msg, field="test")
    if dispersion not in ("trended", "common"):
        msg = f"dispersion must be 'trended' (over abundance, as edgeR) or 'common'; got {dispersion!r}"
        raise InputError(msg, field="dispersion")
    n_samples = counts.shape[1]
    cols = [np.ones(n_samples)]
    if covariates is not None and covariates.size:
        cols += list(np.atleast_2d(covariates.T))
    reduced = np.column_stack(cols)
    full = np.column_stack([*cols, treated.astype(float)])
    if np.linalg.matrix_rank(full) < full.shape[1]:
        msg = "the design is singular: the condition is confounded with a covariate; drop the covariate"
        raise InputError(msg, field="covariates")
    lib = counts.sum(axis=0).astype(float)
    if np.any(lib <= 0):
        msg = "a sample has no cells in any neighbourhood; drop empty samples"
        raise InputError(msg, field="sample_key")
    offset = np.log(lib)
    if dispersion == "common":
        alpha = np.full(counts.shape[0], common_dispersion(counts, full, offset))
    else:
        alpha = trended_dispersion(counts, full, offset)
    beta, mu, ll_full, _ = nb_glm_fit(counts, full, offset, alpha)
    _, _, ll_red, _ = nb_glm_fit(counts, reduced, offset, alpha)
    lr = np.maximum(2.0 * (ll_full - ll_red), 0.0)
    frame = pd.DataFrame({"logFC": beta[:, -1] / np.log(2.0), "LR": lr, "dispersion": alpha})
    summary = float(np.median(alpha)) if alpha.size else float("nan")
    df_residual = counts.shape[1] - full.shape[1]
    if test == "lr" or df_residual < 1:
        frame["PValue"] = stats.chi2.sf(lr, df=1)
        return frame, summary
    s2 = nb_deviance(counts, mu, alpha) / df_residual
    s2_post, d0, _ = squeeze_variances(s2, df_residual)
    frame["F"] = lr / s2_post
    frame["QL_dispersion"] = s2_post
    df_total = d0 + df_residual
    frame["PValue"] = (stats.chi2.sf(frame["F"], df=1) if np.isinf(df_total)
                       else stats.f.sf(frame["F"], 1, df_total))
    return frame, summary


def differential_abundance(
    adata,
    *,
    sample_key: str,
    condition_key: str,
    control: str,
    treated: str,
    use_rep: str,
    prop: float,
    rng: np.random.Generator,
    test: str = "ql",
    dispersion: str = "trended",
) -> tuple[Neighbourhoods, pd.DataFrame, pd.DataFrame, float]:
    """Neighbourhoods, the test table, the sample table, and the dispersion."""
    keep = adata.obs[condition_key].isin([control, treated]).to_numpy()
    nh = make_neighbourhoods(adata, use_rep=use_rep, prop=prop, rng=rng)
    samples = adata.obs[sample_key].astype(str).to_numpy()
    cond = adata.obs[condition_key].astype(str).to_numpy()
    names = sorted(set(samples[keep]))
    sample_cond = {}
    for s in names:
        conds = set(cond[(samples == s) & keep])
        if len(conds) != 1:
            msg = f"sample {s!r} has cells in both conditions ({sorted(conds)}); each sample must belong to one condition"
            raise InputError(msg, field=sample_key)
        sample_cond[s] = conds.pop()
    n_ctrl = sum(v == control for v in sample_cond.values())
    n_trt = sum(v == treated for v in sample_cond.values())
    if n_ctrl < 2 or n_trt < 2:
        msg = (
            f"differential abundance needs at least two replicate samples per condition; found "
            f"{n_ctrl} for {control!r} and {n_trt} for {treated!r} in obs[{sample_key!r}]"
        )
        raise InputError(msg, field=sample_key)
    code = {s: i for i, s in enumerate(names)}
    col = np.array([code.get(s, -1) for s in samples])
    rows = np.flatnonzero(keep)
    onehot = sp.csr_matrix(
        (np.ones(rows.size), (rows, col[rows])), shape=(adata.n_obs, len(names))
    )
    counts = np.asarray((nh.membership.T @ onehot).todense())
    treated_vec = np.array([sample_cond[s] == treated for s in names])
    table, alpha = fit_neighbourhoods(counts, treated_vec, test=test, dispersion=dispersion)
    weights = 1.0 / nh.kth_distance
    table.insert(0, "index_cell", adata.obs_names[nh.index_cells])
    table.insert(1, "n_cells", np.asarray(nh.membership.sum(axis=0)).ravel().astype(int))
    table["SpatialFDR"] = spatial_fdr(table["PValue"].to_numpy(), weights)
    sample_table = pd.DataFrame(
        {"sample": names, "condition": [sample_cond[s] for s in names],
         "cells_in_neighbourhoods": counts.sum(axis=0)}
    )
    return nh, table, sample_table, alpha
