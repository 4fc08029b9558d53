"""drugZ: paired guide z-scores of drug against vehicle, summed per gene.

Colic et al. 2019, "Identifying chemogenetic interactions from CRISPR screens with drugZ",
Genome Medicine 11:52 (doi:10.1186/s13073-019-0665-3). For each replicate pair k:

1. counts are scaled to 10 million reads per sample;
2. ``fc = log2((drug + pseudocount) / (vehicle + pseudocount))``;
3. guides are ordered by their raw vehicle count (high to low) and the standard deviation of
   ``fc`` is estimated in a sliding window of ``2 * half_window_size`` guides, recomputed every
   25 guides and never allowed to decrease (the empirical-Bayes smoothing of drugZ), the first and
   last half-windows taking the nearest estimate;
4. ``z = fc / sd`` (not centred: a fold change of 0 is a z of 0).

Per gene, ``sumZ`` adds the z-scores of all its guides in all replicates, ``numObs`` counts the
non-zero ones, ``normZ = sumZ / sqrt(numObs)`` is standardised across genes, and the lower tail
(synthetic-lethal, ``_synth``) and upper tail (suppressor, ``_supp``) normal p-values get
Benjamini–Hochberg FDRs. Unlike the drugZ script, FDRs here are monotone in rank and capped at 1,
tables smaller than a window work (the whole table is one window), and the columns are looked up
by name, not position.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from oncoresist._core import InputError, Provenance, atomic_write
from oncoresist.crispr._stats import benjamini_hochberg
from oncoresist.crispr._table import CountTable

DRUGZ_COLUMNS = [
    "GENE", "sumZ", "numObs", "normZ", "pval_synth", "rank_synth", "fdr_synth",
    "pval_supp", "rank_supp", "fdr_supp",
]  # fmt: skip
NORM_VALUE = 1e7
_STEP = 25


@dataclass(frozen=True)
class DrugZResult:
    """Gene and guide results of :func:`drugz_test`.

    Attributes
    ----------
    gene_summary
        drugZ's gene table, sorted by ``normZ`` ascending.
    fold_changes
        Guide table: ``sgRNA``, ``GENE``, then for each pair k the raw vehicle count,
        ``eb_std_k``, ``zscore_fc_k`` and ``fc_k``; sorted by the first vehicle count.
    provenance
        Where the result came from.
    """

    gene_summary: pd.DataFrame
    fold_changes: pd.DataFrame
    provenance: Provenance = field(compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The gene summary."""
        return self.gene_summary.copy()

    def write(self, prefix: str | os.PathLike[str]) -> list[Path]:
        """Write ``PREFIX.gene_summary.txt`` (drugZ's gene table), ``PREFIX.sgrna_summary.txt``
        (drugZ's fold-change table) and ``PREFIX.provenance.json``."""
        prefix = str(prefix)
        gene_path = Path(prefix + ".gene_summary.txt")
        fc_path = Path(prefix + ".sgrna_summary.txt")
        with atomic_write(gene_path) as handle:
            handle.write(format_gene_summary(self.gene_summary))
        with atomic_write(fc_path) as handle:
            handle.write(format_fold_changes(self.fold_changes))
        prov = self.provenance.write(Path(prefix + ".provenance.json"))
        return [gene_path, fc_path, prov]


def format_gene_summary(frame: pd.DataFrame) -> str:
    """The gene table in drugZ's text layout (its number formats)."""
    lines = ["\t".join(DRUGZ_COLUMNS)]
    for r in frame.itertuples(index=False):
        lines.append(
            f"{r.GENE}\t{r.sumZ:3.2f}\t{int(r.numObs):d}\t{r.normZ:4.2f}\t{r.pval_synth:.3g}\t"
            f"{int(r.rank_synth):d}\t{r.fdr_synth:.3g}\t{r.pval_supp:.3g}\t{int(r.rank_supp):d}\t"
            f"{r.fdr_supp:.3g}"
        )
    return "\n".join(lines) + "\n"


def format_fold_changes(frame: pd.DataFrame) -> str:
    """The guide table in drugZ's fold-change layout (index column unnamed, 3 decimals)."""
    header = [""] + list(frame.columns[1:])
    lines = ["\t".join(header)]
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for v in row:
            if isinstance(v, float | np.floating):
                cells.append(f"{v:4.3f}")
            else:
                cells.append(str(v))
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def _window_sd(values: np.ndarray, lo: int, hi: int, csum: np.ndarray, csq: np.ndarray) -> float:
    lo, hi = max(lo, 0), min(hi, values.size)
    n = hi - lo
    if n < 2:
        return np.nan
    s = csum[hi] - csum[lo]
    q = csq[hi] - csq[lo]
    var = (q - s * s / n) / (n - 1)
    return float(np.sqrt(max(var, 0.0)))


def smoothed_sd(fc_sorted: np.ndarray, half_window_size: int) -> np.ndarray:
    """drugZ's monotone sliding-window SD of fold changes ordered by vehicle count (high first)."""
    n = fc_sorted.size
    h = half_window_size
    csum = np.concatenate([[0.0], np.cumsum(fc_sorted)])
    csq = np.concatenate([[0.0], np.cumsum(fc_sorted * fc_sorted)])
    if n <= h:
        return np.full(n, _window_sd(fc_sorted, 0, n, csum, csq))
    sd = np.zeros(n)
    sd[:h] = _window_sd(fc_sorted, 0, 2 * h, csum, csq)
    for i in range(h, n - h + _STEP, _STEP):
        if i >= n:
            break
        window = _window_sd(fc_sorted, i - h, i + h, csum, csq)
        previous = sd[i - 1]
        sd[i : i + _STEP] = window if window >= previous else previous
    sd[n - h :] = sd[n - h - 1]
    return sd


def drugz_test(
    table: CountTable,
    drug: Sequence[str],
    vehicle: Sequence[str],
    *,
    half_window_size: int = 500,
    pseudocount: float = 5.0,
    min_obs: int = 1,
    remove_genes: Sequence[str] = (),
) -> DrugZResult:
    """Find genes whose loss sensitises to (``_synth``) or suppresses (``_supp``) a drug.

    Parameters
    ----------
    table
        Raw guide counts.
    drug, vehicle
        Paired sample labels: ``drug[k]`` is compared with ``vehicle[k]``.
    half_window_size
        Half-width of the SD window in guides (drugZ's default 500).
    pseudocount
        Added to normalised counts before the ratio (drugZ's default 5).
    min_obs
        Genes with fewer non-zero guide z-scores are left out.
    remove_genes
        Genes to drop first (e.g. ``EGFP``, ``LacZ``, ``luciferase`` controls of TKOv3).

    Returns
    -------
    DrugZResult

    Examples
    --------
    >>> from oncoresist.crispr import simulate_screen
    >>> s = simulate_screen(n_genes=100, rng=2)
    >>> res = drugz_test(s.table, ["drug_1", "drug_2"], ["vehicle_1", "vehicle_2"],
    ...                  half_window_size=50)
    >>> res.gene_summary.columns.tolist()[:4]
    ['GENE', 'sumZ', 'numObs', 'normZ']
    """
    drug, vehicle = list(drug), list(vehicle)
    if len(drug) != len(vehicle) or not drug:
        msg = (
            f"drugZ compares paired samples: give as many drug as vehicle samples (got "
            f"{len(drug)} drug, {len(vehicle)} vehicle), in matching order"
        )
        raise InputError(msg, field="samples")
    if half_window_size < 1 or pseudocount <= 0:
        msg = f"half_window_size must be >= 1 and pseudocount > 0; got {half_window_size}, {pseudocount}"
        raise InputError(msg, field="half_window_size")
    keep = ~np.isin(table.genes.astype(str), [str(g) for g in remove_genes])
    sub = table.select(vehicle + drug)
    guides, genes, counts = sub.guides[keep], sub.genes[keep], sub.counts[keep]
    if guides.size < 2:
        msg = "drugZ needs at least two guides after removing genes"
        raise InputError(msg, path=table.source)
    totals = counts.sum(axis=0)
    if np.any(totals <= 0):
        msg = "a drug or vehicle sample has no reads; check the sample labels"
        raise InputError(msg, path=table.source, field="samples")
    normed = NORM_VALUE * counts / totals[None, :]
    r = len(vehicle)
    z = np.empty((guides.size, r))
    fc = np.empty((guides.size, r))
    sd = np.empty((guides.size, r))
    for k in range(r):
        fc[:, k] = np.log2((normed[:, r + k] + pseudocount) / (normed[:, k] + pseudocount))
        order = np.argsort(-counts[:, k], kind="mergesort")
        sd_sorted = smoothed_sd(fc[order, k], half_window_size)
        sd[order, k] = sd_sorted
        z[:, k] = fc[:, k] / sd[:, k]

    frame = pd.DataFrame({"GENE": genes.astype(str)})
    flat_z = np.where(np.isfinite(z), z, 0.0)
    frame["sumZ"] = flat_z.sum(axis=1)
    frame["numObs"] = (flat_z != 0).sum(axis=1)
    gene = frame.groupby("GENE", sort=True)[["sumZ", "numObs"]].sum().reset_index()
    gene = gene.loc[gene["numObs"] >= min_obs].reset_index(drop=True)
    if len(gene) < 2:
        msg = "fewer than two genes have observations; drugZ standardises across genes"
        raise InputError(msg, path=table.source)
    raw_z = gene["sumZ"].to_numpy() / np.sqrt(gene["numObs"].to_numpy())
    norm_z = (raw_z - raw_z.mean()) / raw_z.std()  # population SD, as drugZ (scipy's zscore)
    gene["normZ"] = norm_z
    gene["pval_synth"] = special.ndtr(norm_z)
    gene["pval_supp"] = special.ndtr(-norm_z)
    order_synth = np.lexsort((gene["GENE"].to_numpy(), norm_z))
    order_supp = np.lexsort((gene["GENE"].to_numpy(), -norm_z))
    rank_synth = np.empty(len(gene), dtype=np.int64)
    rank_synth[order_synth] = np.arange(1, len(gene) + 1)
    rank_supp = np.empty(len(gene), dtype=np.int64)
    rank_supp[order_supp] = np.arange(1, len(gene) + 1)
    gene["rank_synth"] = rank_synth
    gene["fdr_synth"] = benjamini_hochberg(gene["pval_synth"].to_numpy())
    gene["rank_supp"] = rank_supp
    gene["fdr_supp"] = benjamini_hochberg(gene["pval_supp"].to_numpy())
    gene = gene.iloc[order_synth][DRUGZ_COLUMNS].reset_index(drop=True)

    guide_frame = pd.DataFrame({"sgRNA": guides.astype(str), "GENE": genes.astype(str)})
    for k in range(r):
        guide_frame[vehicle[k]] = counts[:, k].astype(np.int64) if np.all(
            counts[:, k] == np.round(counts[:, k])
        ) else counts[:, k]
        guide_frame[f"eb_std_{k}"] = sd[:, k]
        guide_frame[f"zscore_fc_{k}"] = z[:, k]
        guide_frame[f"fc_{k}"] = fc[:, k]
    first = np.argsort(-counts[:, 0], kind="mergesort")
    guide_frame = guide_frame.iloc[first].reset_index(drop=True)
    params = {
        "drug": drug,
        "vehicle": vehicle,
        "half_window_size": half_window_size,
        "pseudocount": pseudocount,
        "min_obs": min_obs,
        "remove_genes": list(remove_genes),
    }
    inputs = [table.source] if table.source and Path(table.source).is_file() else []
    prov = Provenance.create("oncoresist.crispr.drugz_test", parameters=params, inputs=inputs)
    return DrugZResult(gene, guide_frame, prov)
