"""Tools: programme scores, resistant subpopulations, clones and the fluctuation test.

Like scanpy's ``tl``, each function writes its results into the AnnData object (``obs``,
``obsm``, ``uns[key_added]`` with the parameters used). With ``copy=True`` it works on a copy
and returns that copy; otherwise it returns a result object with ``.to_frame()`` and
``.write(path)``.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd

from oncoresist._core import InputError, integer_seed
from oncoresist.sc._clones import CloneResult, FluctuationResult, clone_analysis, fluctuation
from oncoresist.sc._cnv import CnvCloneResult
from oncoresist.sc._scoring import score
from oncoresist.sc._subpops import SubpopulationResult, find_subpopulations

__all__ = [
    "CloneResult",
    "CnvCloneResult",
    "FluctuationResult",
    "SubpopulationResult",
    "clones",
    "cnv_clones",
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
        None for every built-in programme (the 50 MSigDB Hallmarks, ``MAPK_OUTPUT_MPAS`` of
        Wagle et al. 2018 and the literature lists; ``osc.programmes()`` lists them), a list of
        their names, a dict ``name -> genes``, or a ``.gmt`` path.
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
    test: str = "ql",
    dispersion: str = "trended",
    rng: int | np.random.Generator | None = 0,
    copy: bool = False,
) -> Any:
    """Cell states enriched under drug, by differential abundance on kNN neighbourhoods.

    Milo's test (Dann et al. 2022): neighbourhoods of refined-sampled index cells, their cell
    counts per replicate sample, a negative-binomial GLM per neighbourhood with a dispersion
    trend over abundance, the quasi-likelihood F-test of treated vs control that Milo takes from edgeR
    (each neighbourhood's own residual variability, shrunk by empirical Bayes), and the spatial
    FDR. Cells
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
    test
        ``"ql"`` (quasi-likelihood F-test, as Milo) or ``"lr"`` (likelihood-ratio test).
    dispersion
        ``"trended"`` (NB dispersion following neighbourhood abundance, as edgeR estimates it
        for Milo) or ``"common"`` (one for all).
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
        min_cells=min_cells, n_markers=n_markers, key_added=key_added, rng=rng, test=test,
        dispersion=dispersion,
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
    test: str = "ql",
    dispersion: str = "trended",
    key_added: str = "clones",
    copy: bool = False,
) -> Any:
    """Clone sizes per sample and time, clone fitness under drug, and persister clones.

    Counts of each lineage barcode per sample are fitted with a negative-binomial GLM (offset:
    the sample's barcoded cells; a Cox-Reid dispersion trend over clone abundance; edgeR's
    quasi-likelihood F-test of treated vs control, each clone's residual variability shrunk by
    empirical Bayes), so that Poisson sampling of cells and replicate variation are both
    counted as noise. Relative fitness is ``ln(share_treated / share_control) / dt``.
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
    test
        ``"ql"`` (quasi-likelihood F-test, edgeR's) or ``"lr"`` (likelihood-ratio test).
    dispersion
        ``"trended"`` (following clone abundance) or ``"common"`` (one for all clones).
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
        test=test, dispersion=dispersion,
    )
    persisters = set(result.persisters())
    target.obs[f"{key_added}_persister"] = target.obs[barcode_key].astype(str).isin(persisters).to_numpy()
    target.uns[key_added] = {
        "params": result.parameters,
        "sizes": result.sizes,
        "fitness": result.fitness,
    }
    return target if copy else result


def cnv_clones(
    adata: Any,
    reference_key: str | None = None,
    reference_cat: str | list[str] | None = None,
    *,
    window_size: int = 100,
    step: int = 10,
    dynamic_threshold: float | None = None,
    n_neighbors: int = 15,
    resolution: float = 1.0,
    min_difference: float = 0.05,
    min_windows: int = 3,
    min_cells: int = 20,
    layer: str | None = None,
    n_jobs: int | None = 1,
    rng: int | np.random.Generator | None = 0,
    key_added: str = "cnv_clone",
    copy: bool = False,
) -> Any:
    """Clones without lineage barcodes: copy-number profiles inferred from expression.

    Copy number is inferred with infercnvpy (the inferCNV method: log expression relative to
    reference cells, averaged over windows of ``window_size`` genes in genome order; Patel et
    al. 2014, Tirosh et al. 2016), the profiles are clustered (exact PCA, a kNN graph, Leiden),
    and clusters that no copy-number segment tells apart are merged: two groups stay
    apart only when their mean profiles differ by more than ``min_difference`` over at least
    ``min_windows`` consecutive windows of a chromosome. With reference cells (normal cells:
    stroma, immune cells, a matched normal line) their mean profile is the ``normal`` group;
    tumour cells with no segment of their own join it. Genes are placed on GRCh38 from the
    shipped table (Ensembl ids or symbols) unless ``var`` has ``chromosome``, ``start`` and
    ``end`` columns. The labels feed :func:`clones` like barcodes do (normal cells are left
    unassigned there).

    Parameters
    ----------
    adata
        Log-normalised expression (``pp.normalise``); human genes.
    reference_key, reference_cat
        Column of ``obs`` and its value(s) marking normal reference cells. Without them the
        mean of all cells is the reference and no cell is called normal.
    window_size, step
        Genes per window and the stride between windows kept (infercnvpy's meaning).
    dynamic_threshold
        infercnvpy's per-cell noise floor (values under this many standard deviations set to
        zero). Off by default: zeroing shrinks the cell-level means of weak one-copy segments
        and so blurs clones (on ``simulate_cnv`` data the clone recovery drops); set 1.5,
        infercnvpy's default, for heatmaps that look like infercnvpy's.
    n_neighbors, resolution
        kNN graph of the profile PCA and Leiden resolution (over-clustering is merged).
    min_difference, min_windows
        Size of a copy-number difference (units of the smoothed log expression; a one-copy
        change of an arm reads about 0.1-0.2 at 3,000 UMIs per cell) and its length in windows.
    min_cells
        Clusters smaller than this join the cluster with the nearest profile.
    layer
        Layer holding the log expression instead of ``X``.
    n_jobs
        Worker processes for infercnvpy (``None``: all cores).
    rng
        Seed of the PCA, graph and Leiden steps.
    key_added
        ``obs[key_added]`` (clone per cell, missing for normal cells),
        ``obs[key_added + '_status']`` (``normal``/``tumour``, with a reference) and
        ``uns[key_added]`` (clones, segments, parameters). infercnvpy's own results stay in
        ``obsm['X_cnv']``, ``uns['cnv']``, ``obsm['X_cnv_pca']`` and ``obs['cnv_leiden']``, so
        its plots (``infercnvpy.pl.chromosome_heatmap``) work on them.
    copy
        Work on a copy and return it.

    Returns
    -------
    CnvCloneResult or AnnData
        ``.assignment``, ``.clones`` (``.to_frame()``: cells and segments per clone),
        ``.segments`` (clone, chromosome, start, end, windows, mean change, gain/loss), or
        the copy.

    Examples
    --------
    >>> from oncoresist import sc as osc
    >>> adata = osc.simulate_cnv(600, n_genes=6000, rng=2)
    >>> osc.pp.normalise(adata)
    >>> res = osc.tl.cnv_clones(adata, "cell_type", "normal")
    >>> sorted(res.clones["clone"])
    ['cnv1', 'cnv2', 'cnv3', 'normal']
    """
    import infercnvpy

    from oncoresist.sc._cnv import call_clones, check_log_expression, window_coordinates
    from oncoresist.sc._kernels import pca_covariance
    from oncoresist.sc._positions import place_genes
    from oncoresist.sc.pp import gauss_neighbors

    _check_adata(adata)
    check_log_expression(adata, layer)
    reference = _reference_cells(adata, reference_key, reference_cat)
    target = adata.copy() if copy else adata
    seed = integer_seed(rng)
    placed = place_genes(target.var)
    for column in ("chromosome", "start", "end"):
        target.var[column] = placed[column].to_numpy()
    # infercnvpy logs a warning for every unplaced gene set and draws tqdm bars; quiet both.
    with _quiet():
        infercnvpy.tl.infercnv(
            target, reference_key=reference_key if reference is not None else None,
            reference_cat=reference_cat, window_size=window_size, step=step, layer=layer,
            n_jobs=n_jobs, dynamic_threshold=dynamic_threshold,
        )
        n_windows = target.obsm["X_cnv"].shape[1]
        # Exact PCA from the windows' covariance (float64; windows are few, so this is quick):
        # infercnvpy.tl.pca runs ARPACK on the profile matrix, stored sparse but dense in fact.
        n_comps = max(2, min(30, n_windows - 1, target.n_obs - 1))
        target.obsm["X_cnv_pca"] = pca_covariance(target.obsm["X_cnv"], n_comps)[0]
        # infercnvpy.pp.neighbors is scanpy's neighbors on X_cnv_pca; the same graph, faster.
        gauss_neighbors(target, n_neighbors=n_neighbors, use_rep="X_cnv_pca", seed=seed,
                        key_added="cnv_neighbors")
        infercnvpy.tl.leiden(target, resolution=resolution, random_state=seed, flavor="igraph",
                             n_iterations=2, directed=False)
    windows = window_coordinates(target.var.dropna(subset=["chromosome"]), target.uns["cnv"]["chr_pos"],
                                 n_windows, window_size=window_size, step=step)
    result = call_clones(
        target.obsm["X_cnv"], windows, target.obs["cnv_leiden"].astype(int).to_numpy(),
        reference=reference, min_difference=min_difference, min_windows=min_windows,
        min_cells=min_cells, index=target.obs_names,
    )
    result.parameters = {
        "reference_key": reference_key, "reference_cat": reference_cat,
        "window_size": window_size, "step": step, "dynamic_threshold": dynamic_threshold,
        "n_neighbors": n_neighbors,
        "resolution": resolution, "min_difference": min_difference, "min_windows": min_windows,
        "min_cells": min_cells, "layer": layer, "seed": seed,
        "genes_placed": int(placed["chromosome"].notna().sum()), "genes": int(target.n_vars),
        "gene_positions": placed.attrs["source"], "inference": f"infercnvpy {infercnvpy.__version__}",
    }
    labels = result.assignment.where(result.assignment != "normal")
    target.obs[key_added] = pd.Categorical(labels, categories=[c for c in result.clones["clone"]
                                                               if c != "normal"])
    if reference is not None:
        target.obs[f"{key_added}_status"] = pd.Categorical(
            np.where(result.assignment == "normal", "normal", "tumour"), categories=["normal", "tumour"])
    target.uns[key_added] = {"params": result.parameters, "clones": result.clones,
                             "segments": result.segments}
    return target if copy else result


def _reference_cells(adata: Any, reference_key: str | None, reference_cat: Any) -> np.ndarray | None:
    if reference_key is None and reference_cat is None:
        return None
    if reference_key is None or reference_cat is None:
        msg = "give both reference_key (an obs column) and reference_cat (its normal value(s)), or neither"
        raise InputError(msg, field="reference_key")
    if reference_key not in adata.obs.columns:
        msg = f"adata.obs has no column {reference_key!r}; columns are {list(adata.obs.columns)}"
        raise InputError(msg, field="reference_key")
    cats = [reference_cat] if isinstance(reference_cat, str) else list(reference_cat)
    values = adata.obs[reference_key].astype(str)
    missing = [c for c in cats if c not in set(values)]
    if missing:
        msg = f"obs[{reference_key!r}] has no cells labelled {missing}; its values are {sorted(set(values))[:20]}"
        raise InputError(msg, field="reference_cat")
    return values.isin(cats).to_numpy()


@contextlib.contextmanager
def _quiet():
    """Silence infercnvpy's progress bars (stderr) and scanpy's log and deprecation notes."""
    import io
    import warnings

    import scanpy as sc

    verbosity = sc.settings.verbosity
    sc.settings.verbosity = 0  # errors only: infercnvpy logs through scanpy's logger
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        sc.settings.verbosity = verbosity


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
