"""Clones from lineage barcodes: sizes per sample and time, fitness under drug, persister clones.

Clone fitness uses the same negative-binomial GLM as the neighbourhood test (``_milo``): the
counts of each clone across samples, with the sample's total barcoded cells as offset, a
Cox-Reid dispersion that follows clone abundance (or one shared by all clones), and the
quasi-likelihood F-test (or the likelihood-ratio test) of treated vs control.
Sampling cells for sequencing is Poisson counting noise on top of replicate-to-replicate
variation, which the NB dispersion absorbs. Relative fitness is the log fold change of the
clone's share divided by the time between the arms: ``s = ln(share_treated / share_control) /
dt`` (per unit of ``time_key``; per arm when no time is given).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from oncoresist._core import InputError
from oncoresist.sc._milo import fit_neighbourhoods


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values."""
    p = np.asarray(p, dtype=float)
    n = p.size
    if n == 0:
        return p
    order = np.argsort(p, kind="stable")
    adj = p[order] * n / np.arange(1, n + 1)
    adj = np.minimum.accumulate(adj[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(adj, 1.0)
    return out


@dataclass
class CloneResult:
    """Clone sizes per sample and the fitness of each clone under drug."""

    sizes: pd.DataFrame
    fitness: pd.DataFrame
    dispersion: float
    parameters: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The fitness table, one row per clone."""
        return self.fitness.copy()

    def persisters(self) -> list[str]:
        """Clones enriched under drug at the chosen FDR."""
        return self.fitness.loc[self.fitness["persister"], "clone"].tolist()

    def write(self, path) -> None:
        """Write the fitness table as TSV (atomically)."""
        from oncoresist._core import atomic_write

        with atomic_write(path) as handle:
            self.fitness.to_csv(handle, sep="\t", index=False, lineterminator="\n")


def clone_analysis(
    obs: pd.DataFrame,
    *,
    barcode_key: str,
    sample_key: str,
    condition_key: str,
    control: str,
    treated: str,
    time_key: str | None,
    min_cells: int,
    alpha: float,
    test: str = "ql",
    dispersion: str = "trended",
) -> CloneResult:
    for key in (barcode_key, sample_key, condition_key) + ((time_key,) if time_key else ()):
        if key not in obs.columns:
            msg = f"obs has no column {key!r}; columns are {list(obs.columns)}"
            raise InputError(msg, field=key)
    frame = obs.loc[obs[barcode_key].notna() & obs[condition_key].isin([control, treated])]
    frame = frame.assign(
        _clone=frame[barcode_key].astype(str),
        _sample=frame[sample_key].astype(str),
        _cond=frame[condition_key].astype(str),
    )
    group = ["_sample", "_cond"] + ([time_key] if time_key else [])
    sizes = (
        frame.groupby(group + ["_clone"], observed=True).size().rename("cells").reset_index()
    )
    totals = sizes.groupby("_sample")["cells"].transform("sum")
    sizes["fraction"] = sizes["cells"] / totals
    sizes = sizes.rename(columns={"_sample": "sample", "_cond": "condition", "_clone": "clone"})

    wide = sizes.pivot_table(index="clone", columns="sample", values="cells", fill_value=0)
    cond_of = sizes.drop_duplicates("sample").set_index("sample")["condition"]
    n_ctrl = int((cond_of == control).sum())
    n_trt = int((cond_of == treated).sum())
    if n_ctrl < 1 or n_trt < 1:
        msg = f"clone fitness needs barcoded cells in both {control!r} and {treated!r}"
        raise InputError(msg, field=condition_key)
    if n_ctrl + n_trt < 3:
        msg = "clone fitness needs at least three samples (replicates) to estimate the noise"
        raise InputError(msg, field=sample_key)
    tested = wide.loc[wide.sum(axis=1) >= min_cells]
    treated_vec = (cond_of.reindex(tested.columns) == treated).to_numpy()
    table, fitted = fit_neighbourhoods(tested.to_numpy(dtype=float), treated_vec, test=test,
                                       dispersion=dispersion)
    dt = 1.0
    if time_key:
        times = frame.groupby("_cond", observed=True)[time_key].mean()
        dt = float(times.get(treated, np.nan) - times.get(control, np.nan))
        if not np.isfinite(dt) or dt <= 0:
            dt = 1.0
    ctrl_cols = tested.columns[~treated_vec]
    trt_cols = tested.columns[treated_vec]
    fitness = pd.DataFrame(
        {
            "clone": tested.index.astype(str),
            "cells_control": tested[ctrl_cols].sum(axis=1).to_numpy(),
            "cells_treated": tested[trt_cols].sum(axis=1).to_numpy(),
            "log2FC": table["logFC"].to_numpy(),
            "fitness": table["logFC"].to_numpy() * np.log(2.0) / dt,
            "PValue": table["PValue"].to_numpy(),
        }
    )
    fitness["FDR"] = benjamini_hochberg(fitness["PValue"].to_numpy())
    fitness["persister"] = (fitness["FDR"] < alpha) & (fitness["log2FC"] > 0)
    fitness = fitness.sort_values(["FDR", "clone"], kind="stable").reset_index(drop=True)
    params = {
        "barcode_key": barcode_key, "sample_key": sample_key, "condition_key": condition_key,
        "control": control, "treated": treated, "time_key": time_key, "min_cells": min_cells,
        "alpha": alpha, "dt": dt, "dispersion": fitted, "dispersion_model": dispersion,
        "test": test,
    }
    return CloneResult(sizes, fitness, fitted, params)


# ----------------------------------------------------------------------------- fluctuation
@dataclass
class FluctuationResult:
    """The Luria-Delbruck fluctuation test on resistant counts of parallel populations."""

    counts: np.ndarray
    dispersion_index: float
    pvalue: float
    poisson_loglik: float
    ld_m: float
    ld_loglik: float
    call: str
    alpha: float

    def to_frame(self) -> pd.DataFrame:
        """One-row summary."""
        return pd.DataFrame([{k: v for k, v in self.to_dict().items() if k != "counts"}])

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {
            "counts": [int(c) for c in self.counts],
            "n_populations": int(self.counts.size),
            "mean": float(self.counts.mean()),
            "variance": float(self.counts.var(ddof=1)),
            "dispersion_index": self.dispersion_index,
            "pvalue": self.pvalue,
            "poisson_loglik": self.poisson_loglik,
            "ld_m": self.ld_m,
            "ld_loglik": self.ld_loglik,
            "call": self.call,
            "alpha": self.alpha,
        }

    def write(self, path) -> None:
        """Write the summary as JSON (atomically)."""
        import json

        from oncoresist._core import write_text_atomic

        write_text_atomic(path, json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")


LD_MAX_COUNT = 20000


def _ld_fit(counts: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood m of the Lea-Coulson distribution (oncoresist.evolve.theory)."""
    from scipy import optimize

    from oncoresist.evolve.theory import luria_delbruck_pmf

    top = int(counts.max())
    if top > LD_MAX_COUNT:
        return float("nan"), float("nan")

    def nll(log_m: float) -> float:
        pmf = luria_delbruck_pmf(float(np.exp(log_m)), top)
        return -float(np.sum(np.log(np.maximum(pmf[counts], 1e-300))))

    # m is at most the mean count and at least what p0 gives (p0 = exp(-m)); search in logs.
    hi = np.log(max(counts.mean(), 1e-2) + 1.0)
    res = optimize.minimize_scalar(nll, bounds=(np.log(1e-3), hi), method="bounded",
                                   options={"xatol": 1e-3})
    return float(np.exp(res.x)), -float(res.fun)


def fluctuation(counts, *, alpha: float, likelihood: bool) -> FluctuationResult:
    x = np.asarray(counts)
    if x.ndim != 1 or x.size < 3:
        msg = f"the fluctuation test needs resistant counts of at least 3 parallel populations; got {x.size}"
        raise InputError(msg, field="counts")
    if not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x != np.round(x)):
        msg = "resistant counts must be whole numbers >= 0"
        raise InputError(msg, field="counts")
    x = x.astype(np.int64)
    mean = x.mean()
    if mean == 0:
        msg = "no population has resistant cells: the test cannot tell pre-existing from induced"
        raise InputError(msg, field="counts")
    # Index of dispersion: sum (x - mean)^2 / mean ~ chi2(n - 1) under the Poisson law that
    # drug-induced resistance gives (each cell independently, at exposure).
    d = float(((x - mean) ** 2).sum() / mean)
    p = float(stats.chi2.sf(d, x.size - 1))
    ll_pois = float(stats.poisson.logpmf(x, mean).sum())
    m, ll_ld = _ld_fit(x) if likelihood else (float("nan"), float("nan"))
    call = "pre-existing" if p < alpha else "induced"
    return FluctuationResult(x, d, p, ll_pois, m, ll_ld, call, alpha)
