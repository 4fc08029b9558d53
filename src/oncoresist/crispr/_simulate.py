"""A pooled knockout screen simulator with known truth, to measure precision and recall.

Model (one draw per call, all randomness from ``rng``):

- library: each guide's starting abundance is log-normal (sd ``library_sd`` on the natural-log
  scale) around an even library;
- guide efficiency ``e ~ Beta(efficiency_a, efficiency_b)``: the fraction of the gene effect that
  a guide achieves (mean ~0.75 with the defaults, a few near-dead guides);
- gene effects on the log2 scale over the screen: essential genes lose ``essential_lfc`` in both
  arms; resistance genes gain ``drug_lfc`` and sensitisers lose it, in the drug arm only;
- guide LFC = ``e * effect``; expected count = depth x abundance x 2^LFC (renormalised);
- counts are negative binomial with variance ``mu + dispersion * mu^2`` per replicate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import InputError, Provenance, write_table
from oncoresist._core.rng import RngLike, as_generator, seed_of
from oncoresist.crispr._table import CountTable


@dataclass(frozen=True)
class SimulatedScreen:
    """A simulated drug/vehicle screen and its truth.

    Attributes
    ----------
    table
        Counts: ``T0``, ``vehicle_1..r``, ``drug_1..r``.
    truth
        One row per gene: ``gene``, ``role`` (``resistance``, ``sensitiser``, ``essential`` or
        ``neutral``), ``fitness_lfc``, ``drug_lfc``.
    provenance
        The parameters and seed.
    """

    table: CountTable
    truth: pd.DataFrame
    provenance: Provenance

    def genes_with_role(self, role: str) -> set[str]:
        """Names of the genes with a given role."""
        return set(self.truth.loc[self.truth["role"] == role, "gene"])

    def to_frame(self) -> pd.DataFrame:
        """The count table."""
        return self.table.to_frame()

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the count table, and the truth beside it as ``<path>.truth.tsv``."""
        path = Path(path)
        write_table(self.truth, path.with_name(path.name + ".truth.tsv"))
        return self.table.write(path, provenance=self.provenance)


def simulate_screen(
    *,
    n_genes: int = 500,
    guides_per_gene: int = 4,
    replicates: int = 2,
    depth: float = 500.0,
    n_resistance: int | None = None,
    n_sensitiser: int | None = None,
    essential_fraction: float = 0.1,
    essential_lfc: float = 2.0,
    drug_lfc: float = 2.0,
    library_sd: float = 0.5,
    efficiency_a: float = 6.0,
    efficiency_b: float = 2.0,
    dispersion: float = 0.05,
    rng: RngLike = None,
) -> SimulatedScreen:
    """Simulate counts of a pooled CRISPR knockout screen under drug and vehicle.

    Parameters
    ----------
    n_genes, guides_per_gene
        Library size.
    replicates
        Replicates of each arm (paired by index for drugZ).
    depth
        Mean reads per guide and sample.
    n_resistance, n_sensitiser
        Genes whose loss helps (resists) or hurts (sensitises) under drug; default 2% each.
    essential_fraction, essential_lfc
        Fraction of genes depleted in both arms, and their log2 depletion.
    drug_lfc
        Log2 effect of resistance (+) and sensitiser (-) genes in the drug arm.
    library_sd, efficiency_a, efficiency_b, dispersion
        Library evenness, guide-efficiency Beta parameters, negative-binomial dispersion.
    rng
        Seed or Generator.

    Returns
    -------
    SimulatedScreen

    Examples
    --------
    >>> s = simulate_screen(n_genes=50, rng=1)
    >>> s.table.samples
    ('T0', 'vehicle_1', 'vehicle_2', 'drug_1', 'drug_2')
    >>> sorted(s.truth["role"].unique())
    ['essential', 'neutral', 'resistance', 'sensitiser']
    """
    if n_genes < 4 or guides_per_gene < 1 or replicates < 1 or depth <= 0 or dispersion < 0:
        msg = (
            "simulate_screen needs n_genes >= 4, guides_per_gene >= 1, replicates >= 1, "
            f"depth > 0 and dispersion >= 0; got {n_genes}, {guides_per_gene}, {replicates}, "
            f"{depth}, {dispersion}"
        )
        raise InputError(msg, field="n_genes")
    gen = as_generator(rng)
    n_res = max(1, round(0.02 * n_genes)) if n_resistance is None else n_resistance
    n_sen = max(1, round(0.02 * n_genes)) if n_sensitiser is None else n_sensitiser
    n_ess = round(essential_fraction * n_genes)
    if n_res + n_sen + n_ess > n_genes:
        msg = f"{n_res} resistance + {n_sen} sensitiser + {n_ess} essential genes exceed {n_genes}"
        raise InputError(msg, field="n_genes")
    width = len(str(n_genes))
    names = np.array([f"GENE{i:0{width}d}" for i in range(1, n_genes + 1)], dtype=object)
    roles = np.array(["neutral"] * n_genes, dtype=object)
    shuffled = gen.permutation(n_genes)
    roles[shuffled[:n_res]] = "resistance"
    roles[shuffled[n_res : n_res + n_sen]] = "sensitiser"
    roles[shuffled[n_res + n_sen : n_res + n_sen + n_ess]] = "essential"
    fitness = np.where(roles == "essential", -essential_lfc, 0.0)
    drug = np.select([roles == "resistance", roles == "sensitiser"], [drug_lfc, -drug_lfc], 0.0)

    gene_of_guide = np.repeat(np.arange(n_genes), guides_per_gene)
    n_guides = gene_of_guide.size
    guide_ids = np.array(
        [f"{names[g]}_sg{k + 1}" for g in range(n_genes) for k in range(guides_per_gene)],
        dtype=object,
    )
    abundance = gen.lognormal(0.0, library_sd, n_guides)
    abundance /= abundance.mean()
    efficiency = gen.beta(efficiency_a, efficiency_b, n_guides)
    lfc_vehicle = efficiency * fitness[gene_of_guide]
    lfc_drug = efficiency * (fitness + drug)[gene_of_guide]

    def arm(lfc: np.ndarray) -> np.ndarray:
        share = abundance * np.exp2(lfc)
        return depth * n_guides * share / share.sum()

    means = [arm(np.zeros(n_guides))]
    means += [arm(lfc_vehicle)] * replicates
    means += [arm(lfc_drug)] * replicates
    counts = np.empty((n_guides, len(means)))
    for j, mu in enumerate(means):
        if dispersion == 0:
            counts[:, j] = gen.poisson(mu)
        else:
            shape = 1.0 / dispersion
            counts[:, j] = gen.poisson(gen.gamma(shape, mu / shape))
    samples = ("T0",) + tuple(f"vehicle_{i}" for i in range(1, replicates + 1))
    samples += tuple(f"drug_{i}" for i in range(1, replicates + 1))
    table = CountTable(guide_ids, names[gene_of_guide], samples, counts)
    truth = pd.DataFrame(
        {"gene": names, "role": roles, "fitness_lfc": fitness, "drug_lfc": drug}
    )
    params = {
        "n_genes": n_genes,
        "guides_per_gene": guides_per_gene,
        "replicates": replicates,
        "depth": depth,
        "n_resistance": n_res,
        "n_sensitiser": n_sen,
        "essential_fraction": essential_fraction,
        "essential_lfc": essential_lfc,
        "drug_lfc": drug_lfc,
        "library_sd": library_sd,
        "efficiency": [efficiency_a, efficiency_b],
        "dispersion": dispersion,
    }
    prov = Provenance.create("oncoresist.crispr.simulate_screen", parameters=params, seed=seed_of(rng))
    return SimulatedScreen(table, truth, prov)
