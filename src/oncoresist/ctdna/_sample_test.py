"""Tumour-informed detection of ctDNA in a sample, combining all tracked loci.

A tumour-informed assay follows the patient's own variants. In a sample with counts
``(x_j, n_j)`` at loci ``j`` whose backgrounds are beta-binomial ``(mu_j, s_j)``, the alternative
adds a common tumour allele fraction ``f`` to every locus: mean ``mu_j + f (1 - mu_j)``, same
precision. The statistic is the likelihood ratio

    LR = 2 max_f>=0 sum_j [log P(x_j | f) - log P(x_j | 0)],

maximised over a fixed log-spaced grid of ``f`` (1e-6 to 0.5, 48 points, plus 0), so that the
statistic is cheap for a million rows and exactly the same for samples and normals.

Its threshold is calibrated on the panel of normals to the chosen specificity: the statistic is
computed for every normal donor that covers all of the patient's loci, and the threshold is the
``ceil((m + 1) * specificity)``-th smallest of the ``m`` values (the finite-sample conformal
quantile, so that a new normal exceeds it with probability at most ``1 - specificity``).
With too few covering normals (``m + 1 < 1 / (1 - specificity)``) the threshold falls back to
the asymptotic null of a one-sided LR on a boundary, ``0.5 chi2_0 + 0.5 chi2_1``
(Self & Liang 1987, JASA 82:605), which ignores any misfit of the background model.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from oncoresist.ctdna._background import BackgroundModel
from oncoresist.ctdna._kernels import lr_grid_kernel

GRID = np.concatenate([[0.0], np.logspace(-6, np.log10(0.5), 48)])


def lr_statistics(codes: np.ndarray, x, n, mu, s, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """LR statistic and the maximising allele fraction for each group of rows."""
    gains = lr_grid_kernel(
        np.ascontiguousarray(codes, dtype=np.int64),
        np.ascontiguousarray(x, dtype=np.int64),
        np.ascontiguousarray(n, dtype=np.int64),
        np.ascontiguousarray(mu, dtype=np.float64),
        np.ascontiguousarray(s, dtype=np.float64),
        GRID,
        int(n_groups),
    )
    best = np.argmax(gains, axis=1)
    lr = 2.0 * np.maximum(gains[np.arange(n_groups), best], 0.0)
    return lr, GRID[best]


def asymptotic_threshold(specificity: float) -> float:
    """Threshold of 0.5 chi2_0 + 0.5 chi2_1 at the given specificity."""
    return float(stats.chi2.ppf(1.0 - 2.0 * (1.0 - specificity), 1)) if specificity > 0.5 else 0.0


def _normal_statistics(normals: pd.DataFrame, loci: tuple[str, ...],
                       background: BackgroundModel) -> np.ndarray:
    subset = normals[normals["locus"].isin(loci)]
    covered = subset.groupby("sample_id")["locus"].nunique()
    donors = covered.index[covered == len(loci)]
    subset = subset[subset["sample_id"].isin(donors)]
    if subset.empty:
        return np.empty(0)
    codes, _ = pd.factorize(subset["sample_id"], sort=True)
    mu, s, _ = background.lookup(subset["locus"].to_numpy(), subset["substitution_class"].to_numpy())
    lr, _ = lr_statistics(codes, subset["alt_reads"].to_numpy(), subset["depth"].to_numpy(), mu, s,
                          codes.max() + 1)
    return lr


def sample_tests(calls: pd.DataFrame, background: BackgroundModel, normals: pd.DataFrame | None,
                 *, specificity: float = 0.95) -> pd.DataFrame:
    """One row per sample: LR statistic, calibrated threshold and the detection call."""
    codes = calls.groupby(["patient_id", "sample_id"], sort=False).ngroup().to_numpy()
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    first_row = np.full(n_groups, -1, dtype=np.int64)
    first_row[codes[::-1]] = np.arange(len(codes))[::-1]
    mu = calls["background_rate"].to_numpy(dtype=float)
    rho = calls["background_rho"].to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        s = np.where(rho > 0, 1.0 / np.where(rho > 0, rho, 1.0) - 1.0, np.inf)
    lr, f_hat = lr_statistics(codes, calls["alt_reads"].to_numpy(), calls["depth"].to_numpy(), mu, s,
                              n_groups)
    loci_count = np.bincount(codes, minlength=n_groups)
    day = calls["day"].to_numpy(dtype=float)[first_row]
    patient = calls["patient_id"].to_numpy(dtype=object)[first_row]
    sample = calls["sample_id"].to_numpy(dtype=object)[first_row]

    # One threshold per patient: the set of loci a tumour-informed panel tracks.
    fallback = asymptotic_threshold(specificity)
    needed = math.ceil(1.0 / (1.0 - specificity)) - 1
    cache: dict[tuple[str, ...], tuple[float, str]] = {}
    by_patient: dict[str, tuple[float, str]] = {}
    pairs = calls[["patient_id", "locus"]].drop_duplicates()
    loci_by_patient: dict[str, list[str]] = {}
    for pid, locus in zip(pairs["patient_id"], pairs["locus"], strict=True):
        loci_by_patient.setdefault(pid, []).append(locus)
    for pid, loci in loci_by_patient.items():
        loci = tuple(sorted(set(loci)))
        if loci not in cache:
            null = np.empty(0) if normals is None else _normal_statistics(normals, loci, background)
            m = len(null)
            if m >= needed and m > 0:
                rank = math.ceil((m + 1) * specificity)
                value = float(np.sort(null)[min(rank, m) - 1]) if rank <= m else float(np.max(null))
                cache[loci] = (value, f"normals (n={m})")
            else:
                cache[loci] = (fallback, "asymptotic 0.5*chi2_0 + 0.5*chi2_1")
        by_patient[pid] = cache[loci]
    threshold = np.array([by_patient[p][0] for p in patient], dtype=float)
    method = np.array([by_patient[p][1] for p in patient], dtype=object)
    frame = pd.DataFrame({
        "patient_id": patient,
        "sample_id": sample,
        "day": day,
        "loci": loci_count,
        "lr_statistic": lr,
        "threshold": threshold,
        "threshold_method": method,
        "detected": lr > threshold,
        "tumour_af_estimate": f_hat,
    })
    return frame.sort_values(["patient_id", "day", "sample_id"], kind="stable").reset_index(drop=True)
