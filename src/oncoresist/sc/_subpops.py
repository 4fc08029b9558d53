"""Resistant subpopulations: enriched neighbourhoods -> cell states, markers, programmes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.csgraph import connected_components

from oncoresist._core import InputError, as_generator
from oncoresist.sc._milo import differential_abundance
from oncoresist.sc._scoring import log_normalised, looks_like_counts

NONE_LABEL = "none"


@dataclass
class SubpopulationResult:
    """Neighbourhood tests and the enriched cell states found under drug."""

    neighbourhoods: pd.DataFrame
    states: pd.DataFrame
    samples: pd.DataFrame
    markers: dict[str, list[str]]
    dispersion: float
    parameters: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per enriched state."""
        return self.states.copy()

    def write(self, path) -> None:
        """Write the states table as TSV (atomically)."""
        from oncoresist._core import atomic_write

        with atomic_write(path) as handle:
            self.states.to_csv(handle, sep="\t", index=False, lineterminator="\n")


def _require(adata, keys):
    for key in keys:
        if key not in adata.obs.columns:
            msg = f"adata.obs has no column {key!r}; columns are {list(adata.obs.columns)}"
            raise InputError(msg, field=key)


def _ensure_neighbours(adata, use_rep: str, n_neighbors: int, seed: int) -> None:
    from oncoresist.sc.pp import gauss_neighbors

    if use_rep not in adata.obsm:
        msg = (
            f"adata.obsm has no {use_rep!r}; run oncoresist.sc.pp.embed(adata) (or "
            "scanpy's pca) first, or name another representation with use_rep"
        )
        raise InputError(msg, field="use_rep")
    have = adata.uns.get("neighbors", {}).get("params", {})
    if "distances" not in adata.obsp or have.get("use_rep") != use_rep or have.get("n_neighbors") != n_neighbors:
        gauss_neighbors(adata, n_neighbors=n_neighbors, use_rep=use_rep, seed=seed)


def _cell_fraction(membership: sp.csr_matrix, flags: np.ndarray, conn: sp.csr_matrix) -> np.ndarray:
    """Fraction of each cell's neighbourhoods that are flagged (cells in none: kNN average)."""
    n_in = np.asarray(membership.sum(axis=1)).ravel()
    hits = membership @ flags.astype(float)
    frac = np.divide(hits, n_in, out=np.zeros_like(hits), where=n_in > 0)
    covered = (n_in > 0).astype(float)
    missing = n_in == 0
    if missing.any():
        num = conn @ (frac * covered)
        den = conn @ covered
        frac[missing] = np.divide(num, den, out=np.zeros_like(num), where=den > 0)[missing]
    return frac


def _states(enriched: np.ndarray, conn: sp.csr_matrix, min_cells: int) -> np.ndarray:
    """Connected components of the kNN graph restricted to enriched cells, largest first."""
    idx = np.flatnonzero(enriched)
    labels = np.full(enriched.size, NONE_LABEL, dtype=object)
    if idx.size == 0:
        return labels
    sub = conn[idx][:, idx]
    _, comp = connected_components(sub, directed=False)
    sizes = np.bincount(comp)
    order = [c for c in np.argsort(-sizes, kind="stable") if sizes[c] >= min_cells]
    for rank, c in enumerate(order, start=1):
        labels[idx[comp == c]] = f"state{rank}"
    return labels


def find_subpopulations(
    adata,
    *,
    condition_key: str,
    control: str,
    treated: str,
    sample_key: str,
    use_rep: str,
    n_neighbors: int,
    prop: float,
    alpha: float,
    min_cells: int,
    n_markers: int,
    key_added: str,
    rng,
    test: str = "ql",
    dispersion: str = "trended",
) -> SubpopulationResult:
    import scanpy as sc

    _require(adata, [condition_key, sample_key])
    levels = set(adata.obs[condition_key].astype(str))
    for name, value in (("control", control), ("treated", treated)):
        if value not in levels:
            msg = f"{name}={value!r} is not a value of obs[{condition_key!r}] (values: {sorted(levels)})"
            raise InputError(msg, field=name)
    if not 0 < prop <= 1:
        msg = f"prop must be in (0, 1]; got {prop}"
        raise InputError(msg, field="prop")
    gen = as_generator(rng)
    seed = int(gen.integers(0, 2**31 - 1))
    _ensure_neighbours(adata, use_rep, n_neighbors, seed)
    nh, table, samples, fitted = differential_abundance(
        adata, sample_key=sample_key, condition_key=condition_key, control=control,
        treated=treated, use_rep=use_rep, prop=prop, rng=gen, test=test, dispersion=dispersion,
    )
    sig_up = (table["SpatialFDR"] < alpha).to_numpy() & (table["logFC"] > 0).to_numpy()
    conn = adata.obsp["connectivities"].tocsr()
    frac = _cell_fraction(nh.membership, sig_up, conn)
    # Cell-level log fold change: average over the neighbourhoods that contain the cell.
    n_in = np.asarray(nh.membership.sum(axis=1)).ravel()
    lfc = np.divide(nh.membership @ table["logFC"].to_numpy(), n_in,
                    out=np.full(adata.n_obs, np.nan), where=n_in > 0)
    enriched = frac > 0.5
    labels = _states(enriched, conn, min_cells)

    adata.obs[key_added] = pd.Categorical(labels)
    adata.obs[f"{key_added}_logFC"] = lfc
    adata.obs[f"{key_added}_enriched_fraction"] = frac
    adata.obsm[f"{key_added}_nhoods"] = nh.membership

    state_names = [s for s in pd.unique(labels) if s != NONE_LABEL]
    state_names.sort(key=lambda s: int(s.removeprefix("state")))
    markers: dict[str, list[str]] = {}
    if state_names:
        matrix = adata.X
        work = sc.AnnData(
            X=log_normalised(matrix) if looks_like_counts(matrix) else matrix,
            obs=pd.DataFrame({"g": adata.obs[key_added].astype(str).to_numpy()},
                             index=adata.obs_names),
            var=pd.DataFrame(index=adata.var_names),
        )
        work.obs["g"] = work.obs["g"].astype("category")
        sc.tl.rank_genes_groups(work, "g", groups=state_names, reference="rest",
                                method="wilcoxon", n_genes=n_markers, tie_correct=True)
        names = work.uns["rank_genes_groups"]["names"]
        for s in state_names:
            markers[s] = [str(g) for g in names[s]]

    cond = adata.obs[condition_key].astype(str).to_numpy()
    rows = []
    programmes = adata.uns.get("programs", {})
    columns = programmes.get("columns", {})
    targets = programmes.get("targets", {})
    for s in state_names:
        in_s = labels == s
        row = {
            "state": s,
            "n_cells": int(in_s.sum()),
            "fraction_control": float(in_s[cond == control].mean()) if (cond == control).any() else np.nan,
            "fraction_treated": float(in_s[cond == treated].mean()) if (cond == treated).any() else np.nan,
            "mean_log2FC": float(np.nanmean(lfc[in_s])),
            "markers": ",".join(markers.get(s, [])),
        }
        for name, column in columns.items():
            values = adata.obs[column].to_numpy()
            row[f"score_{name}"] = float(np.mean(values[in_s]))
        other_treated = (~in_s) & (cond == treated)
        for name in targets:
            values = adata.obs[columns[name]].to_numpy()
            a, b = values[in_s & (cond == treated)], values[other_treated]
            if a.size >= 3 and b.size >= 3:
                p = float(stats.mannwhitneyu(a, b, alternative="greater").pvalue)
                delta = float(np.median(a) - np.median(b))
            else:
                p, delta = np.nan, np.nan
            row[f"{name}_delta_vs_treated"] = delta
            row[f"{name}_pvalue"] = p
            row[f"{name}_reactivated"] = bool(p < 0.05 and delta > 0) if np.isfinite(p) else False
        rows.append(row)
    states = pd.DataFrame(rows, columns=None if rows else ["state", "n_cells"])
    params = {
        "condition_key": condition_key, "control": control, "treated": treated,
        "sample_key": sample_key, "use_rep": use_rep, "n_neighbors": n_neighbors, "prop": prop,
        "alpha": alpha, "min_cells": min_cells, "n_markers": n_markers,
        "seed": rng if isinstance(rng, int) else None, "dispersion": fitted,
        "dispersion_model": dispersion,
        "test": (f"NB GLM, {dispersion} Cox-Reid dispersion, "
                 + ("quasi-likelihood F-test (edgeR glmQLFTest)" if test == "ql" else "LR test")
                 + "; spatial FDR (Dann et al. 2022)"),
    }
    adata.uns[key_added] = {
        "params": params,
        "neighbourhoods": table,
        "states": states,
        "samples": samples,
        "markers": markers,
    }
    return SubpopulationResult(table, states, samples, markers, fitted, params)
