"""Synthetic single-cell counts with known truth: states, drug enrichment, lineage barcodes.

Model (all choices stated so that tests can reason about the truth):

- Genes: every gene of the Hallmark EMT and G2M-checkpoint sets and the ten MPAS genes, then
  neutral filler genes ``SIM00001``... up to ``n_genes``. Baseline relative expression
  ``p_g`` is log-normal (sigma 1.5) over genes.
- Cells: library size log-normal (median ``median_umis``, sigma 0.35); counts are
  gamma-Poisson (negative binomial) with mean ``L_i * p_g * f_state,g`` and dispersion 0.2.
- States: ``sensitive`` (baseline); ``persister`` (EMT genes x ``effect``, MAPK output kept
  on under drug: the planted re-activation); ``cycling`` (G2M genes x ``effect``, same
  abundance in both arms: a distinct state that the drug does not enrich).
- Drug: MPAS genes x 0.2 in treated non-persister cells (the target pathway is off).
- Samples: ``n_replicates`` per arm; each sample's persister fraction is drawn from a Beta with
  mean ``persister_fraction[arm]`` and concentration 200, so replicates vary a little.
- Lineage barcodes: one barcoded population of ``n_clones`` clones (log-normal frequencies)
  is split into all samples. ``mode="pre-existing"``: the persister state is heritable, carried
  by whole clones (the smallest-index clones up to the control persister fraction); the drug
  selects those clones. ``mode="induced"``: clones are drawn with their pre-drug frequencies in
  both arms and the state is assigned cell by cell, whatever the clone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from oncoresist._core import InputError, as_generator
from oncoresist.sc._signatures import MPAS_GENES, hallmarks

EMT = "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION"
G2M = "HALLMARK_G2M_CHECKPOINT"
MODES = ("pre-existing", "induced")


def _gene_names(n_genes: int) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    sets = hallmarks()
    emt, g2m = list(sets[EMT]), list(sets[G2M])
    named = list(dict.fromkeys(list(MPAS_GENES) + emt + g2m))
    if n_genes < len(named) + 50:
        msg = f"n_genes must be at least {len(named) + 50} (programme genes plus 50 fillers); got {n_genes}"
        raise InputError(msg, field="n_genes")
    names = named + [f"SIM{i:05d}" for i in range(1, n_genes - len(named) + 1)]
    index = pd.Index(names)
    is_emt = index.isin(emt)
    is_g2m = index.isin(g2m)
    is_mpas = index.isin(MPAS_GENES)
    # A gene in two planted sets would carry two effects; keep the sets disjoint.
    is_g2m &= ~is_emt & ~is_mpas
    is_emt &= ~is_mpas
    return names, is_emt, is_g2m, is_mpas


def _validate(n_cells, n_replicates, persister_fraction, cycling_fraction, mode, n_clones):
    if n_cells < 20 * n_replicates or n_replicates < 1:
        msg = f"need n_replicates >= 1 and at least 20 cells per sample; got n_cells={n_cells}, n_replicates={n_replicates}"
        raise InputError(msg, field="n_cells")
    f0, f1 = persister_fraction
    if not (0 < f0 < 1 and 0 < f1 < 1 and f0 + cycling_fraction < 1 and f1 + cycling_fraction < 1):
        msg = f"persister fractions and cycling_fraction must be in (0, 1) with sums < 1; got {persister_fraction}, {cycling_fraction}"
        raise InputError(msg, field="persister_fraction")
    if mode not in MODES:
        msg = f"mode must be one of {MODES}; got {mode!r}"
        raise InputError(msg, field="mode")
    if n_clones < 2:
        msg = f"n_clones must be >= 2; got {n_clones}"
        raise InputError(msg, field="n_clones")


def _clone_frequencies(n_clones: int, rng: np.random.Generator) -> np.ndarray:
    sizes = rng.lognormal(0.0, 1.0, n_clones)
    return sizes / sizes.sum()


def _resistant_clones(freq: np.ndarray, fraction: float) -> np.ndarray:
    """Clones 0..k-1 whose total frequency first reaches ``fraction``."""
    k = int(np.searchsorted(np.cumsum(freq), fraction)) + 1
    resistant = np.zeros(freq.size, dtype=bool)
    resistant[:k] = True
    return resistant


def _assign(arm, n, f_persist, f_cycle, freq, resistant, mode, f0, rng):
    """States and clones of ``n`` cells of one sample."""
    states = np.full(n, "sensitive", dtype=object)
    if mode == "pre-existing":
        # Persister cells come from resistant clones, the rest from the other clones.
        n_persist = rng.binomial(n, f_persist)
        p_res = np.where(resistant, freq, 0.0)
        p_sen = np.where(resistant, 0.0, freq)
        clones = np.empty(n, dtype=np.int64)
        clones[:n_persist] = rng.choice(freq.size, n_persist, p=p_res / p_res.sum())
        clones[n_persist:] = rng.choice(freq.size, n - n_persist, p=p_sen / p_sen.sum())
        states[:n_persist] = "persister"
        order = rng.permutation(n)
        states, clones = states[order], clones[order]
    else:
        clones = rng.choice(freq.size, n, p=freq)
        states[rng.random(n) < f_persist] = "persister"
    free = np.flatnonzero(states == "sensitive")
    cyc = free[rng.random(free.size) < f_cycle / (1.0 - f_persist)]
    states[cyc] = "cycling"
    return states, clones


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
    chunk: int = 5000,
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
    chunk
        Cells drawn at a time (bounds memory; another chunk size gives other draws).
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
    import anndata as ad

    _validate(n_cells, n_replicates, persister_fraction, cycling_fraction, mode, n_clones)
    gen = as_generator(rng)
    names, is_emt, is_g2m, is_mpas = _gene_names(n_genes)
    base = gen.lognormal(0.0, 1.5, n_genes)
    base /= base.sum()
    freq = _clone_frequencies(n_clones, gen)
    f0, f1 = persister_fraction
    resistant = _resistant_clones(freq, f0)

    samples, arms, reps, states, clones = [], [], [], [], []
    per_sample = np.full(2 * n_replicates, n_cells // (2 * n_replicates))
    per_sample[: n_cells - per_sample.sum()] += 1
    k = 0
    for arm, f_mean in (("control", f0), ("drug", f1)):
        for r in range(1, n_replicates + 1):
            n = int(per_sample[k])
            k += 1
            f = float(np.clip(gen.beta(200 * f_mean, 200 * (1 - f_mean)), 1e-3, 0.95 - cycling_fraction))
            s, c = _assign(arm, n, f, cycling_fraction, freq, resistant, mode, f0, gen)
            samples += [f"{arm}_{r}"] * n
            arms += [arm] * n
            reps += [f"rep{r}"] * n
            states.append(s)
            clones.append(c)
    states = np.concatenate(states)
    clones = np.concatenate(clones)
    arms_a = np.asarray(arms)

    # Per-cell mean profile = base * state effect * drug effect, applied in chunks.
    fold_persist = np.where(is_emt, effect, 1.0)
    fold_cycle = np.where(is_g2m, effect, 1.0)
    drug_off = np.where(is_mpas, 0.2, 1.0)
    libs = gen.lognormal(np.log(median_umis), 0.35, n_cells)
    shape = 1.0 / 0.2
    blocks = []
    for start in range(0, n_cells, chunk):
        stop = min(start + chunk, n_cells)
        st = states[start:stop]
        prof = np.tile(base, (stop - start, 1))
        prof[st == "persister"] *= fold_persist
        prof[st == "cycling"] *= fold_cycle
        off = (arms_a[start:stop] == "drug") & (st != "persister")
        prof[off] *= drug_off
        prof /= prof.sum(axis=1, keepdims=True)
        mu = prof * libs[start:stop, None]
        lam = gen.gamma(shape, mu / shape)
        blocks.append(sp.csr_matrix(gen.poisson(lam).astype(np.float32)))
    X = sp.vstack(blocks, format="csr")

    obs = pd.DataFrame(
        {
            "sample": pd.Categorical(samples),
            "condition": pd.Categorical(arms, categories=["control", "drug"]),
            "replicate": pd.Categorical(reps),
            "time": np.where(arms_a == "drug", 14.0, 0.0),
            "barcode": pd.Categorical([f"BC{c:04d}" for c in clones]),
            "true_state": pd.Categorical(states, categories=["sensitive", "persister", "cycling"]),
            "true_resistant_clone": resistant[clones],
        },
        index=[f"cell{i:06d}" for i in range(n_cells)],
    )
    adata = ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=pd.Index(names, name="gene")))
    adata.uns["simulation"] = {
        "mode": mode,
        "drug": "erlotinib",  # its effect here: MAPK output (MPAS genes) off in sensitive cells
        "persister_fraction": list(persister_fraction),
        "cycling_fraction": cycling_fraction,
        "effect": effect,
        "n_replicates": n_replicates,
        "n_clones": n_clones,
        "median_umis": median_umis,
        "resistant_clones": [f"BC{c:04d}" for c in np.flatnonzero(resistant)],
    }
    return adata


def simulate_fluctuation(
    n_populations: int = 20,
    *,
    mode: str = "pre-existing",
    m: float = 2.0,
    initial_size: int = 100,
    final_size: int = 5000,
    rng: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Resistant-cell counts in parallel populations (Luria & Delbruck 1943 design).

    ``pre-existing``: each of ``final_size - initial_size`` divisions makes a resistant
    daughter with probability ``m / (final_size - initial_size)``; a mutant born when the
    population has ``n`` cells ends with ``1 + Binomial(final - n - 1, q)`` cells,
    ``q ~ Beta(1, n)`` (Polya urn: a neutral lineage in a pure-birth process). ``induced``: at
    drug exposure each of the ``final_size`` cells turns resistant with probability
    ``m / final_size`` (binomial, nearly Poisson with mean ``m``).

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
    if mode not in MODES:
        msg = f"mode must be one of {MODES}; got {mode!r}"
        raise InputError(msg, field="mode")
    if not (0 < initial_size < final_size) or m <= 0 or n_populations < 2:
        msg = f"need 0 < initial_size < final_size, m > 0, n_populations >= 2; got {initial_size}, {final_size}, {m}, {n_populations}"
        raise InputError(msg, field="final_size")
    gen = as_generator(rng)
    counts = np.zeros(n_populations, dtype=np.int64)
    if mode == "induced":
        return gen.binomial(final_size, m / final_size, n_populations).astype(np.int64)
    divisions = final_size - initial_size
    for j in range(n_populations):
        k = gen.binomial(divisions, m / divisions)
        if k == 0:
            continue
        n = gen.integers(initial_size, final_size, k)  # population size at the division
        q = gen.beta(1.0, n)
        counts[j] = int(np.sum(1 + gen.binomial(final_size - n - 1, q)))
    return counts
