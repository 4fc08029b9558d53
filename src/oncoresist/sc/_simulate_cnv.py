"""Synthetic single-cell counts with copy-number clones at real GRCh38 gene positions.

Model (every choice stated so that tests can reason about the truth):

- Genes: ``n_genes`` real autosomal genes from the shipped position table
  (``data/gene_positions_hg38.tsv.gz``), taken at even steps along the genome-ordered table so
  that every autosome is covered as densely as it is gene-rich. Baseline relative expression
  ``p_g`` is log-normal (sigma 1.5) over genes.
- Cells: ``normal`` cells (two copies everywhere; the reference a user would give, e.g. stroma
  or a matched normal line) and tumour cells in copy-number clones. A clone's copy number ``c``
  over a segment multiplies the expression of the genes there by ``c / 2`` (expression follows
  dosage, the premise of expression-based copy-number inference; Patel et al. 2014 Science
  344:1396, Tirosh et al. 2016 Science 352:189).
- Events: ``TRUNCAL_EVENTS`` in every tumour clone, then each clone's own events
  (``CLONE_EVENTS``). Clone ``C`` gains chromosome 7q with MET (the bypass amplification of
  EGFR-inhibitor resistance) and is the one the drug selects.
- Counts: library size log-normal (median ``median_umis``, sigma 0.35); gamma-Poisson with mean
  ``L_i * p_g * f_g`` normalised per cell and dispersion 0.2 (as ``_simulate``).
- Samples: ``n_replicates`` control and drug samples; the normal share is ``normal_fraction``
  in each, and the tumour cells split among clones with ``clone_fractions[arm]`` (multinomial
  per sample).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from oncoresist._core import InputError, as_generator
from oncoresist.sc._positions import gene_position_table


@dataclass(frozen=True)
class CopyNumberEvent:
    """A segment with ``copies`` copies (2 = neutral) in the named clone."""

    clone: str
    chromosome: str
    start: int
    end: int
    copies: int

    def label(self) -> str:
        """``gain chr7:62.0-159.3 Mb`` style description."""
        kind = "gain" if self.copies > 2 else "loss"
        return f"{kind} {self.chromosome}:{self.start / 1e6:.1f}-{self.end / 1e6:.1f} Mb"


# Arm-scale segments on GRCh38 (centromeres near 1:123.4 Mb, 7:60.1 Mb, 8:45.2 Mb,
# 9:43.0 Mb, 17:24.7 Mb; chromosome 13 is acrocentric).
TRUNCAL_EVENTS = (
    CopyNumberEvent("*", "chr1", 125_000_000, 248_956_422, 3),
    CopyNumberEvent("*", "chr13", 1, 114_364_328, 1),
)
CLONE_EVENTS = (
    CopyNumberEvent("A", "chr9", 1, 43_000_000, 1),
    CopyNumberEvent("B", "chr8", 47_000_000, 145_138_636, 3),
    CopyNumberEvent("C", "chr7", 62_000_000, 159_345_973, 4),
    CopyNumberEvent("C", "chr17", 1, 24_000_000, 1),
)
CLONES = ("A", "B", "C")


def _genes(n_genes: int) -> pd.DataFrame:
    table = gene_position_table()
    autosomes = table.loc[~table["chromosome"].isin(["chrX", "chrY"])]
    if not 500 <= n_genes <= len(autosomes):
        msg = f"n_genes must be between 500 and {len(autosomes)}; got {n_genes}"
        raise InputError(msg, field="n_genes")
    picks = np.linspace(0, len(autosomes) - 1, n_genes).round().astype(int)
    return autosomes.iloc[picks].reset_index(drop=True)


def _dosage(genes: pd.DataFrame) -> dict[str, np.ndarray]:
    """Expression fold (copies / 2) of every gene in each clone and in normal cells."""
    folds = {"normal": np.ones(len(genes))}
    for clone in CLONES:
        fold = np.ones(len(genes))
        for event in TRUNCAL_EVENTS + tuple(e for e in CLONE_EVENTS if e.clone == clone):
            inside = (
                (genes["chromosome"] == event.chromosome)
                & (genes["start"] >= event.start)
                & (genes["end"] <= event.end)
            ).to_numpy()
            fold[inside] = event.copies / 2.0
        folds[clone] = fold
    return folds


def _check(n_cells, n_replicates, normal_fraction, clone_fractions):
    if n_replicates < 1 or n_cells < 50 * 2 * n_replicates:
        msg = f"need n_replicates >= 1 and at least 50 cells per sample; got n_cells={n_cells}, n_replicates={n_replicates}"
        raise InputError(msg, field="n_cells")
    if not 0 <= normal_fraction < 1:
        msg = f"normal_fraction must be in [0, 1); got {normal_fraction}"
        raise InputError(msg, field="normal_fraction")
    for arm in clone_fractions:
        if len(arm) != len(CLONES) or min(arm) < 0 or abs(sum(arm) - 1) > 1e-9:
            msg = f"clone_fractions needs, per arm, {len(CLONES)} non-negative shares summing to 1; got {arm}"
            raise InputError(msg, field="clone_fractions")


def simulate_cnv(
    n_cells: int = 3000,
    *,
    n_genes: int = 8000,
    n_replicates: int = 2,
    normal_fraction: float = 0.2,
    clone_fractions: tuple[tuple[float, ...], tuple[float, ...]] = ((0.5, 0.35, 0.15), (0.25, 0.15, 0.6)),
    median_umis: float = 3000.0,
    chunk: int = 5000,
    rng: int | np.random.Generator | None = None,
) -> Any:
    """Synthetic counts of normal cells and three copy-number clones, one selected by the drug.

    Genes are real autosomal genes at their GRCh38 positions (the shipped table). All tumour
    clones share a gain of 1q and a loss of chromosome 13; clone ``A`` also loses 9p, ``B``
    gains 8q, and ``C`` gains 7q (with MET, four copies) and loses 17p. A gene's expression
    scales with copies / 2. Each sample holds ``normal_fraction`` normal cells (two copies
    everywhere, ``obs['cell_type'] == 'normal'``); tumour cells split among A, B, C with
    ``clone_fractions`` (control, drug), so the drug enriches ``C``. Truth:
    ``obs['true_cnv_clone']`` and ``uns['simulation']['events']``.

    Parameters
    ----------
    n_cells, n_genes
        Size of the matrix (500 <= ``n_genes`` <= the autosomal genes of the table).
    n_replicates
        Samples per arm.
    normal_fraction
        Share of normal cells in each sample.
    clone_fractions
        Shares of clones A, B, C among tumour cells, in control and under drug.
    median_umis
        Median counts per cell.
    chunk
        Cells drawn at a time (bounds memory; another chunk size gives other draws).
    rng
        Seed.

    Returns
    -------
    anndata.AnnData
        Raw counts with ``sample``, ``condition``, ``replicate``, ``time``, ``cell_type`` and
        ``true_cnv_clone`` in ``obs``.

    Examples
    --------
    >>> adata = simulate_cnv(400, n_genes=2000, rng=0)
    >>> sorted(adata.obs.true_cnv_clone.unique())
    ['A', 'B', 'C', 'normal']
    >>> adata.uns["simulation"]["events"]["label"].iloc[2]
    'loss chr9:0.0-43.0 Mb'
    """
    import anndata as ad

    _check(n_cells, n_replicates, normal_fraction, clone_fractions)
    gen = as_generator(rng)
    genes = _genes(n_genes)
    base = gen.lognormal(0.0, 1.5, n_genes)
    base /= base.sum()
    folds = _dosage(genes)

    per_sample = np.full(2 * n_replicates, n_cells // (2 * n_replicates))
    per_sample[: n_cells - per_sample.sum()] += 1
    samples, arms, reps, clones = [], [], [], []
    k = 0
    for arm, shares in zip(("control", "drug"), clone_fractions, strict=True):
        for r in range(1, n_replicates + 1):
            n = int(per_sample[k])
            k += 1
            n_normal = gen.binomial(n, normal_fraction)
            sizes = gen.multinomial(n - n_normal, shares)
            labels = np.repeat(["normal", *CLONES], [n_normal, *sizes])
            clones.append(labels[gen.permutation(n)])
            samples += [f"{arm}_{r}"] * n
            arms += [arm] * n
            reps += [f"rep{r}"] * n
    clones = np.concatenate(clones)

    profile = np.stack([folds[c] for c in ("normal", *CLONES)]) * base
    profile /= profile.sum(axis=1, keepdims=True)
    row = pd.Index(["normal", *CLONES]).get_indexer(clones)
    libs = gen.lognormal(np.log(median_umis), 0.35, n_cells)
    shape = 1.0 / 0.2
    blocks = []
    for start in range(0, n_cells, chunk):  # chunks keep 100,000-cell runs in memory
        stop = min(start + chunk, n_cells)
        mu = profile[row[start:stop]] * libs[start:stop, None]
        blocks.append(sp.csr_matrix(gen.poisson(gen.gamma(shape, mu / shape)).astype(np.float32)))
    counts = sp.vstack(blocks, format="csr")

    arms_a = np.asarray(arms)
    obs = pd.DataFrame(
        {
            "sample": pd.Categorical(samples),
            "condition": pd.Categorical(arms, categories=["control", "drug"]),
            "replicate": pd.Categorical(reps),
            "time": np.where(arms_a == "drug", 14.0, 0.0),
            "cell_type": pd.Categorical(np.where(clones == "normal", "normal", "tumour")),
            "true_cnv_clone": pd.Categorical(clones, categories=["normal", *CLONES]),
        },
        index=[f"cell{i:06d}" for i in range(n_cells)],
    )
    var = pd.DataFrame(index=pd.Index(genes["symbol"].to_numpy(), name="gene"))
    adata = ad.AnnData(X=counts, obs=obs, var=var)
    events = [("*", e) for e in TRUNCAL_EVENTS] + [(e.clone, e) for e in CLONE_EVENTS]
    adata.uns["simulation"] = {
        "kind": "copy-number clones",
        "normal_fraction": normal_fraction,
        "clone_fractions": {arm: list(f) for arm, f in zip(("control", "drug"), clone_fractions, strict=True)},
        "median_umis": median_umis,
        "events": pd.DataFrame(
            [{"clone": c, "chromosome": e.chromosome, "start": e.start, "end": e.end,
              "copies": e.copies, "label": e.label()} for c, e in events]
        ),
        "drug_selected_clone": "C",
    }
    return adata
