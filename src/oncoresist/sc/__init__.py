"""Single-cell resistance: programme scores, resistant subpopulations, clones under drug.

Follows scanpy's layout: :mod:`~oncoresist.sc.pp` (reading, normalising, embedding with
scanpy), :mod:`~oncoresist.sc.tl` (programme scores with expression-matched controls,
Milo-style differential abundance on kNN neighbourhoods, clone fitness from lineage barcodes,
the Luria-Delbruck fluctuation test) and :mod:`~oncoresist.sc.pl` (plots). Results go back into
the AnnData object. :func:`simulate`, :func:`simulate_cnv` and :func:`simulate_fluctuation` make
synthetic data with known truth. A research tool, not for clinical decisions.

Examples
--------
>>> from oncoresist import sc as osc
>>> adata = osc.simulate(400, n_genes=500, rng=0)
>>> sorted(adata.obs.condition.unique())
['control', 'drug']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from oncoresist.sc import pl, pp, tl
from oncoresist.sc._signatures import builtin_programmes, programme_sources
from oncoresist.sc._simulate import simulate_counts
from oncoresist.sc._simulate import simulate_fluctuation as _simulate_fluctuation
from oncoresist.sc._simulate_cnv import simulate_cnv

__all__ = ["pl", "pp", "programmes", "simulate", "simulate_cnv", "simulate_fluctuation", "tl"]


def programmes() -> pd.DataFrame:
    """The built-in gene programmes, their sizes and sources.

    Returns
    -------
    pandas.DataFrame
        ``programme``, ``n_genes``, ``source``.

    Examples
    --------
    >>> table = programmes()
    >>> table.set_index("programme").loc["MAPK_OUTPUT_MPAS", "n_genes"]
    np.int64(10)
    """
    sets = builtin_programmes()
    sources = programme_sources()
    return pd.DataFrame(
        {"programme": list(sets), "n_genes": [len(v) for v in sets.values()],
         "source": [sources[k] for k in sets]}
    )


def simulate(
    n_cells: int = 2000,
    *,
    n_genes: int = 1000,
    n_replicates: int = 3,
    persister_fraction: tuple[float, float] = (0.03, 0.30),
    cycling_fraction: float = 0.25,
    effect: float = 4.0,
    median_umis: float = 2000.0,
    mode: str = "pre-existing",
    n_clones: int = 200,
    rng: int | np.random.Generator | None = None,
) -> Any:
    """Synthetic single-cell counts with a drug-enriched persister state and lineage barcodes.

    Cells are ``sensitive``, ``persister`` (EMT Hallmark genes x ``effect``; MAPK output kept
    on under drug) or ``cycling`` (G2M genes x ``effect``; not enriched by the drug) in
    ``n_replicates`` control and drug samples. The persister fraction is
    ``persister_fraction[0]`` in control and ``[1]`` under drug (Beta-distributed per sample).
    Treated non-persister cells have the MAPK output genes (MPAS) at 0.2x. Barcodes: in
    ``pre-existing`` mode the persister state is carried by whole clones that the drug selects;
    in ``induced`` mode clones keep their frequencies and the state is cell by cell.

    Parameters
    ----------
    n_cells, n_genes
        Size of the matrix (``n_genes`` >= about 450: programme genes plus fillers).
    n_replicates
        Samples per arm.
    persister_fraction
        Persister fraction (control, drug).
    cycling_fraction
        Fraction of cycling cells in every sample.
    effect
        Fold change of the planted programmes.
    median_umis
        Median counts per cell.
    mode
        ``"pre-existing"`` or ``"induced"`` resistance for the barcodes.
    n_clones
        Barcoded clones.
    rng
        Seed.

    Returns
    -------
    anndata.AnnData
        Raw counts (CSR) with ``obs`` columns sample, condition, replicate, time, barcode,
        true_state, true_resistant_clone; ``uns['simulation']`` the parameters and truth.

    Examples
    --------
    >>> adata = simulate(600, n_genes=500, rng=0)
    >>> adata.obs.groupby("condition", observed=True).true_state.apply(
    ...     lambda s: round(float((s == "persister").mean()), 1)).tolist()
    [0.0, 0.3]
    """
    return simulate_counts(
        n_cells, n_genes=n_genes, n_replicates=n_replicates,
        persister_fraction=persister_fraction, cycling_fraction=cycling_fraction, effect=effect,
        median_umis=median_umis, mode=mode, n_clones=n_clones, rng=rng,
    )


def simulate_fluctuation(
    n_populations: int = 20,
    *,
    mode: str = "pre-existing",
    m: float = 2.0,
    initial_size: int = 100,
    final_size: int = 5000,
    rng: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Resistant-cell counts in parallel populations, pre-existing or drug-induced.

    ``pre-existing``: resistant mutants arise at divisions during growth from
    ``initial_size`` to ``final_size`` cells, ``m`` expected mutations per population, and grow
    with the rest (exact Polya-urn clone sizes; Luria-Delbruck). ``induced``: each cell turns
    resistant at exposure with probability ``m / final_size`` (binomial).

    Parameters
    ----------
    n_populations
        Parallel populations.
    mode
        ``"pre-existing"`` or ``"induced"``.
    m
        Expected number of resistance events per population.
    initial_size, final_size
        Population sizes at the start and at exposure.
    rng
        Seed.

    Returns
    -------
    numpy.ndarray
        Resistant cells per population.

    Examples
    --------
    >>> counts = simulate_fluctuation(200, mode="induced", m=3.0, rng=0)
    >>> bool(abs(counts.mean() - 3.0) < 4 * (3.0 / 200) ** 0.5)   # 4 standard errors
    True
    """
    return _simulate_fluctuation(n_populations, mode=mode, m=m, initial_size=initial_size,
                                 final_size=final_size, rng=rng)
