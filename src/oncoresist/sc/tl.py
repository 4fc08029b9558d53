"""Tools: programme scores, resistant subpopulations, clones and the fluctuation test.

Like scanpy's ``tl``, each function writes its results into the AnnData object (``obs``,
``obsm``, ``uns[key_added]`` with the parameters used). With ``copy=True`` it works on a copy
and returns that copy; otherwise it returns a result object with ``.to_frame()`` and
``.write(path)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oncoresist._core import InputError
from oncoresist.sc._clones import CloneResult, FluctuationResult, clone_analysis, fluctuation
from oncoresist.sc._scoring import score
from oncoresist.sc._subpops import SubpopulationResult, find_subpopulations

__all__ = [
    "CloneResult",
    "FluctuationResult",
    "SubpopulationResult",
    "clones",
    "fluctuation_test",
    "resistant_subpopulations",
    "score_programs",
]


def _check_adata(adata: Any) -> None:
    import anndata as ad

    if not isinstance(adata, ad.AnnData):
        msg = f"expected an AnnData object; got {type(adata).__name__} (read files with oncoresist.sc.pp.read)"
        raise InputError(msg, field="adata")


def score_programs(
    adata: Any,
    programs: Any = None,
    *,
    drug: str | None = None,
    gene_symbols: str | None = None,
    layer: str | None = None,
    ctrl_size: int = 50,
    n_bins: int = 25,
    min_genes: int = 3,
    key_added: str = "programs",
    rng: int | np.random.Generator | None = 0,
    copy: bool = False,
) -> Any:
    """Score resistance programmes per cell against expression-matched control genes.

    Each score is scanpy's ``score_genes`` (Tirosh et al. 2016): the mean expression of the
    programme's genes minus that of control genes drawn from the same expression bins, so that
    a score means the same in datasets of different depth. Raw counts are log-normalised
    (log1p of counts per 10,000) for scoring, on a copy; log-normalised input is used as is.

    Parameters
    ----------
    adata
        Cells x genes; gene symbols in ``var_names`` or in ``var[gene_symbols]``.
    programs
        None for every built-in programme (the 50 MSigDB Hallmarks and ``MAPK_OUTPUT_MPAS``,
        Wagle et al. 2018), a list of their names, a dict ``name -> genes``, or a ``.gmt`` path.
    drug
        Also score the drug's target-pathway outputs (``target_MAPK``, ``target_PI3K-AKT``...),
        chosen with the knowledge base's pathway graph.
    gene_symbols
        Column of ``var`` holding gene symbols, when ``var_names`` are not symbols.
    layer
        Layer to score instead of ``X``.
    ctrl_size, n_bins
        Control genes per programme gene and number of expression bins (scanpy's meaning).
    min_genes
        Programmes with fewer genes present are skipped (listed in ``uns[key_added]['skipped']``).
    key_added
        Prefix of the ``obs`` columns (``{key_added}_{programme}``) and key in ``uns``.
    rng
        Seed for the control-gene draws.
    copy
        Work on a copy and return it.

    Returns
    -------
    dict or AnnData
        The ``uns[key_added]`` record (columns, genes used, sources, parameters), or the copy.

    Examples
    --------
    >>> from oncoresist import sc as osc
    >>> adata = osc.simulate(600, n_genes=600, rng=1)
    >>> info = osc.tl.score_programs(adata, ["HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION"])
    >>> emt = adata.obs["programs_HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION"]
    >>> bool(emt[adata.obs.true_state == "persister"].mean() > emt[adata.obs.true_state == "sensitive"].mean())
    True
    """
    _check_adata(adata)
    target = adata.copy() if copy else adata
    info = score(target, programs, drug=drug, gene_symbols=gene_symbols, layer=layer,
                 ctrl_size=ctrl_size, n_bins=n_bins, min_genes=min_genes, key_added=key_added,
                 rng=rng)
    return target if copy else info


def resistant_subpopulations(
    adata: Any,
    condition_key: str,
    *,
    control: str,
    treated: str,
    sample_key: str,
    use_rep: str = "X_pca",
    n_neighbors: int = 30,
    prop: float = 0.1,
    alpha: float = 0.1,
    min_cells: int = 10,
    n_markers: int = 10,
    key_added: str = "resistant",
    rng: int | np.random.Generator | None = 0,
    copy: bool = False,
) -> Any:
    """Cell states enriched under drug, by differential abundance on kNN neighbourhoods.

    Milo's test (Dann et al. 2022): neighbourhoods of refined-sampled index cells, their cell
    counts per replicate sample, a negative-binomial GLM per neighbourhood with a shared
    dispersion and a likelihood-ratio test of treated vs control, and the spatial FDR. Cells
    whose neighbourhoods are mostly significantly enriched (spatial FDR < ``alpha``, log fold
    change > 0) form states (connected on the kNN graph); each state is reported with its
    marker genes (Wilcoxon, vs the rest), the mean of every programme scored by
    :func:`score_programs`, and whether the drug's target-pathway output is re-activated in it
    compared with the other treated cells (one-sided Mann-Whitney, p < 0.05).

    Parameters
    ----------
    adata
        Cells with ``obsm[use_rep]`` (run :func:`oncoresist.sc.pp.embed` first).
    condition_key
        Column of ``obs`` with the arm of each cell.
    control, treated
        Values of ``obs[condition_key]`` to compare (e.g. an earlier time point as control).
    sample_key
        Column of ``obs`` naming the replicate sample of each cell (>= 2 per arm).
    use_rep
        Representation for the kNN graph and the neighbourhoods.
    n_neighbors
        k of the kNN graph (computed with scanpy when missing or different).
    prop
        Fraction of cells sampled as neighbourhood index cells (Milo's default 0.1).
    alpha
        Spatial FDR threshold.
    min_cells
        Smallest state reported.
    n_markers
        Marker genes listed per state.
    key_added
        ``obs[key_added]`` (state or "none"), ``obs[key_added + '_logFC']``,
        ``obsm[key_added + '_nhoods']`` (cells x neighbourhoods) and ``uns[key_added]``.
    rng
        Seed for the sampling of index cells.
    copy
        Work on a copy and return it.

    Returns
    -------
    SubpopulationResult or AnnData
        Neighbourhood table, states table (``.to_frame()``), samples and markers, or the copy.

    Examples
    --------
    >>> from oncoresist import sc as osc
    >>> adata = osc.simulate(900, n_genes=600, rng=2)
    >>> osc.pp.normalise(adata); osc.pp.embed(adata, n_pcs=15, drug="erlotinib", umap=False)
    >>> res = osc.tl.resistant_subpopulations(adata, "condition", control="control",
    ...                                       treated="drug", sample_key="sample")
    >>> top = adata.obs["resistant"] == "state1"
    >>> bool((adata.obs.true_state[top] == "persister").mean() > 0.8)
    True
    """
    _check_adata(adata)
    target = adata.copy() if copy else adata
    result = find_subpopulations(
        target, condition_key=condition_key, control=control, treated=treated,
        sample_key=sample_key, use_rep=use_rep, n_neighbors=n_neighbors, prop=prop, alpha=alpha,
        min_cells=min_cells, n_markers=n_markers, key_added=key_added, rng=rng,
    )
    return target if copy else result


def clones(
    adata: Any,
    barcode_key: str = "barcode",
    *,
    sample_key: str,
    condition_key: str,
    control: str,
    treated: str,
    time_key: str | None = None,
    min_cells: int = 5,
    alpha: float = 0.1,
    key_added: str = "clones",
    copy: bool = False,
) -> Any:
    """Clone sizes per sample and time, clone fitness under drug, and persister clones.

    Counts of each lineage barcode per sample are fitted with a negative-binomial GLM (offset:
    the sample's barcoded cells; one dispersion for all clones, Cox-Reid; likelihood-ratio
    test of treated vs control), so that Poisson sampling of cells and replicate variation are
    both counted as noise. Relative fitness is ``ln(share_treated / share_control) / dt``.
    Persister clones: enriched under drug at Benjamini-Hochberg FDR < ``alpha``.

    Parameters
    ----------
    adata
        Cells with a lineage barcode (clone id) in ``obs[barcode_key]``; missing = unbarcoded.
    barcode_key
        Column of ``obs`` with the clone id.
    sample_key, condition_key
        Columns naming each cell's sample and arm.
    control, treated
        Values of ``obs[condition_key]`` (before / under drug).
    time_key
        Column with each cell's time; fitness is then per unit time.
    min_cells
        Clones with fewer barcoded cells in all samples together are not tested.
    alpha
        FDR for persister clones.
    key_added
        ``obs[key_added + '_persister']`` (bool per cell) and ``uns[key_added]``.
    copy
        Work on a copy and return it.

    Returns
    -------
    CloneResult or AnnData
        ``.sizes`` (sample, condition, clone, cells, fraction), ``.fitness`` (``.to_frame()``),
        ``.persisters()``, or the copy.

    Examples
    --------
    >>> from oncoresist import sc as osc
    >>> adata = osc.simulate(1200, n_genes=600, n_clones=40, rng=3)
    >>> res = osc.tl.clones(adata, "barcode", sample_key="sample", condition_key="condition",
    ...                     control="control", treated="drug", time_key="time")
    >>> truth = set(adata.uns["simulation"]["resistant_clones"])
    >>> set(res.persisters()) <= truth and len(res.persisters()) > 0
    True
    """
    _check_adata(adata)
    target = adata.copy() if copy else adata
    result = clone_analysis(
        target.obs, barcode_key=barcode_key, sample_key=sample_key, condition_key=condition_key,
        control=control, treated=treated, time_key=time_key, min_cells=min_cells, alpha=alpha,
    )
    persisters = set(result.persisters())
    target.obs[f"{key_added}_persister"] = target.obs[barcode_key].astype(str).isin(persisters).to_numpy()
    target.uns[key_added] = {
        "params": result.parameters,
        "sizes": result.sizes,
        "fitness": result.fitness,
    }
    return target if copy else result


def fluctuation_test(
    data: Any,
    *,
    population_key: str | None = None,
    resistant_key: str | None = None,
    alpha: float = 0.05,
    likelihood: bool = True,
    key_added: str = "fluctuation",
) -> FluctuationResult:
    """Was resistance there before the drug, or induced by it? (Luria & Delbruck 1943).

    Resistant cells counted in parallel populations grown apart and then exposed: resistance
    induced at exposure, cell by cell, gives Poisson counts (variance = mean); resistance that
    arose by heritable change during growth gives the Lea-Coulson distribution, whose jackpots
    make the variance far exceed the mean. The test is the index of dispersion
    ``sum (x - mean)^2 / mean``, chi-square with n - 1 degrees of freedom under the Poisson
    law; the call is "pre-existing" when p < ``alpha``. With ``likelihood`` the Lea-Coulson
    ``m`` is also fitted by maximum likelihood (``oncoresist.evolve.theory.luria_delbruck_pmf``)
    and both log-likelihoods are reported.

    Parameters
    ----------
    data
        Resistant-cell counts, one per population; or an AnnData whose cells flagged in
        ``obs[resistant_key]`` are counted per ``obs[population_key]``.
    population_key, resistant_key
        Columns of ``obs`` (AnnData input only).
    alpha
        Level of the test.
    likelihood
        Also fit the Lea-Coulson distribution (slower for counts in the thousands).
    key_added
        Key in ``uns`` for the result (AnnData input).

    Returns
    -------
    FluctuationResult
        Dispersion index, p-value, log-likelihoods, fitted m and the call.

    Examples
    --------
    >>> from oncoresist import sc as osc
    >>> jackpots = osc.simulate_fluctuation(20, mode="pre-existing", rng=4)
    >>> osc.tl.fluctuation_test(jackpots, likelihood=False).call
    'pre-existing'
    >>> even = osc.simulate_fluctuation(20, mode="induced", rng=4)
    >>> osc.tl.fluctuation_test(even, likelihood=False).call
    'induced'
    """
    import anndata as ad

    if isinstance(data, ad.AnnData):
        if population_key is None or resistant_key is None:
            msg = "with an AnnData, give population_key and resistant_key (obs columns)"
            raise InputError(msg, field="population_key")
        for key in (population_key, resistant_key):
            if key not in data.obs.columns:
                msg = f"adata.obs has no column {key!r}; columns are {list(data.obs.columns)}"
                raise InputError(msg, field=key)
        flags = data.obs[resistant_key].astype(bool)
        counts = flags.groupby(data.obs[population_key].astype(str)).sum().sort_index()
        result = fluctuation(counts.to_numpy(), alpha=alpha, likelihood=likelihood)
        data.uns[key_added] = {**result.to_dict(), "populations": list(counts.index),
                               "params": {"population_key": population_key,
                                          "resistant_key": resistant_key, "alpha": alpha}}
        return result
    return fluctuation(np.asarray(data), alpha=alpha, likelihood=likelihood)
