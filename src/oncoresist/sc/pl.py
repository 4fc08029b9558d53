"""Plots: programme scores, abundance changes, clone trajectories, copy-number profiles."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from oncoresist._core import InputError

__all__ = ["abundance", "clone_trajectories", "cnv_profiles", "programs"]


def programs(
    adata: Any,
    names: Any = None,
    *,
    basis: str = "umap",
    key: str = "programs",
    ncols: int = 3,
) -> Any:
    """Programme scores drawn on an embedding (scanpy's ``embedding``); returns the Axes.

    Parameters
    ----------
    adata
        Cells scored by :func:`oncoresist.sc.tl.score_programs`.
    names
        Programmes to draw (default: all scored, target outputs first).
    basis
        Embedding in ``obsm['X_' + basis]``.
    key
        ``key_added`` of the scoring.
    ncols
        Panels per row.

    Returns
    -------
    list of matplotlib.axes.Axes or matplotlib.axes.Axes
        One panel per programme.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from oncoresist import sc as osc
    >>> adata = osc.simulate(300, n_genes=500, rng=0)
    >>> osc.pp.normalise(adata); osc.pp.embed(adata, n_pcs=10, drug="erlotinib", umap=False)
    >>> _ = osc.tl.score_programs(adata, ["MAPK_OUTPUT_MPAS"])
    >>> ax = osc.pl.programs(adata, basis="pca")
    >>> ax.get_title()
    'MAPK_OUTPUT_MPAS'
    """
    import scanpy as sc

    info = adata.uns.get(key)
    if not info:
        msg = f"adata.uns has no {key!r}: run oncoresist.sc.tl.score_programs first"
        raise InputError(msg, field="key")
    columns = info["columns"]
    if names is None:
        names = sorted(columns, key=lambda n: (not n.startswith("target_"), n))
    elif isinstance(names, str):
        names = [names]
    missing = [n for n in names if n not in columns]
    if missing:
        msg = f"programme(s) {missing} were not scored; scored: {sorted(columns)}"
        raise InputError(msg, field="names")
    if f"X_{basis}" not in adata.obsm:
        msg = f"adata.obsm has no 'X_{basis}'; run oncoresist.sc.pp.embed or choose another basis"
        raise InputError(msg, field="basis")
    axes = sc.pl.embedding(adata, basis=basis, color=[columns[n] for n in names],
                           title=list(names), ncols=ncols, show=False, cmap="viridis")
    return axes


def abundance(adata: Any, *, key: str = "resistant", basis: str = "umap", ax: Any = None) -> Any:
    """Neighbourhoods on an embedding, coloured by log2 fold change under drug (as Milo draws).

    Index cells are drawn at their embedding position, sized by neighbourhood size, coloured by
    log2 fold change; neighbourhoods above the spatial FDR threshold are grey.

    Parameters
    ----------
    adata
        Cells analysed by :func:`oncoresist.sc.tl.resistant_subpopulations`.
    key
        Its ``key_added``.
    basis
        Embedding in ``obsm['X_' + basis]``.
    ax
        Axes to draw into.

    Returns
    -------
    matplotlib.axes.Axes
        The plot.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from oncoresist import sc as osc
    >>> adata = osc.simulate(600, n_genes=500, rng=0)
    >>> osc.pp.normalise(adata); osc.pp.embed(adata, n_pcs=10, drug="erlotinib", umap=False)
    >>> _ = osc.tl.resistant_subpopulations(adata, "condition", control="control",
    ...                                     treated="drug", sample_key="sample")
    >>> ax = osc.pl.abundance(adata, basis="pca")
    >>> ax.get_xlabel()
    'pca 1'
    """
    import matplotlib.pyplot as plt

    info = adata.uns.get(key)
    if not info or "neighbourhoods" not in info:
        msg = f"adata.uns has no {key!r} results: run oncoresist.sc.tl.resistant_subpopulations first"
        raise InputError(msg, field="key")
    if f"X_{basis}" not in adata.obsm:
        msg = f"adata.obsm has no 'X_{basis}'; run oncoresist.sc.pp.embed or choose another basis"
        raise InputError(msg, field="basis")
    table = pd.DataFrame(info["neighbourhoods"])
    alpha = info["params"]["alpha"]
    xy = np.asarray(adata.obsm[f"X_{basis}"])[:, :2]
    pos = adata.obs_names.get_indexer(table["index_cell"].astype(str))
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.scatter(xy[:, 0], xy[:, 1], s=2, c="#dddddd", linewidths=0, rasterized=True)
    sig = (table["SpatialFDR"] < alpha).to_numpy()
    size = 4 + 40 * table["n_cells"].to_numpy() / max(1, table["n_cells"].max())
    ax.scatter(xy[pos[~sig], 0], xy[pos[~sig], 1], s=size[~sig], c="#bbbbbb", linewidths=0)
    lim = float(np.nanmax(np.abs(table["logFC"]))) if len(table) else 1.0
    points = ax.scatter(xy[pos[sig], 0], xy[pos[sig], 1], s=size[sig],
                        c=table["logFC"].to_numpy()[sig], cmap="RdBu_r", vmin=-lim, vmax=lim,
                        edgecolors="black", linewidths=0.3)
    plt.colorbar(points, ax=ax, label="log2 fold change (treated / control)")
    ax.set_xlabel(f"{basis} 1")
    ax.set_ylabel(f"{basis} 2")
    ax.set_title(f"neighbourhoods, spatial FDR < {alpha}")
    return ax


def clone_trajectories(adata: Any, *, key: str = "clones", top: int = 8, ax: Any = None) -> Any:
    """Clone shares over time as a Muller plot (``oncoresist.clonal.pl.muller``).

    Lineage-barcode clones have no known ancestry, so every clone is a root; the ``top``
    clones by largest share are drawn and the rest pooled as ``other``.

    Parameters
    ----------
    adata
        Cells analysed by :func:`oncoresist.sc.tl.clones` with a ``time_key``.
    key
        Its ``key_added``.
    top
        Clones drawn individually.
    ax
        Axes to draw into.

    Returns
    -------
    matplotlib.axes.Axes
        The plot.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from oncoresist import sc as osc
    >>> adata = osc.simulate(600, n_genes=500, n_clones=30, rng=0)
    >>> _ = osc.tl.clones(adata, "barcode", sample_key="sample", condition_key="condition",
    ...                   control="control", treated="drug", time_key="time")
    >>> ax = osc.pl.clone_trajectories(adata, top=3)
    >>> len(ax.collections)   # three clones and "other"
    4
    """
    from oncoresist.clonal.pl import muller

    info = adata.uns.get(key)
    if not info or "sizes" not in info:
        msg = f"adata.uns has no {key!r} results: run oncoresist.sc.tl.clones first"
        raise InputError(msg, field="key")
    time_key = info["params"].get("time_key")
    if not time_key:
        msg = "clone trajectories need times: run tl.clones with time_key"
        raise InputError(msg, field="time_key")
    sizes = pd.DataFrame(info["sizes"])
    share = sizes.groupby([time_key, "clone"], observed=True)["cells"].sum().reset_index()
    share["fraction"] = share["cells"] / share.groupby(time_key)["cells"].transform("sum")
    best = share.groupby("clone")["fraction"].max().sort_values(ascending=False, kind="stable")
    keep = list(best.index[:top])
    share["clone_id"] = np.where(share["clone"].isin(keep), share["clone"], "other")
    table = share.groupby([time_key, "clone_id"])["fraction"].sum().unstack(fill_value=0.0).stack()
    table = table.rename("size").reset_index().rename(columns={time_key: "time"})
    table["parent_id"] = -1
    table["type"] = "clone"
    ax = muller(table[["time", "clone_id", "parent_id", "type", "size"]], ax=ax)
    ax.set_xlabel(time_key)
    return ax


def cnv_profiles(adata: Any, *, key: str = "cnv_clone", ax: Any = None) -> Any:
    """Mean inferred copy-number profile of each clone along the genome.

    One line per clone (and the normal group) over infercnvpy's windows in genome order,
    with chromosome boundaries; gains above zero, losses below. For a cell-by-cell view use
    ``infercnvpy.pl.chromosome_heatmap(adata, groupby=key + "_status")`` or ``groupby=key``.

    Parameters
    ----------
    adata
        Cells analysed by :func:`oncoresist.sc.tl.cnv_clones`.
    key
        Its ``key_added``.
    ax
        Axes to draw into.

    Returns
    -------
    matplotlib.axes.Axes
        The plot.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from oncoresist import sc as osc
    >>> adata = osc.simulate_cnv(600, n_genes=6000, rng=2)
    >>> osc.pp.normalise(adata)
    >>> _ = osc.tl.cnv_clones(adata, "cell_type", "normal")
    >>> ax = osc.pl.cnv_profiles(adata)
    >>> len(ax.get_lines()) >= 4   # three clones and the normal group, then boundaries
    True
    """
    import matplotlib.pyplot as plt

    if key not in adata.obs.columns or "X_cnv" not in adata.obsm or "cnv" not in adata.uns:
        msg = f"no copy-number clones under {key!r}: run oncoresist.sc.tl.cnv_clones first"
        raise InputError(msg, field="key")
    profiles = adata.obsm["X_cnv"]
    labels = adata.obs[key].astype(object).fillna("normal")  # unassigned = the normal group
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 3.5))
    for name in pd.unique(labels):
        rows = np.flatnonzero((labels == name).to_numpy())
        mean = np.asarray(profiles[rows].mean(axis=0)).ravel()
        ax.plot(mean, lw=1.2, color="0.5" if name == "normal" else None, label=str(name))
    chr_pos = sorted(adata.uns["cnv"]["chr_pos"].items(), key=lambda kv: int(kv[1]))
    bounds = [int(p) for _, p in chr_pos] + [profiles.shape[1]]
    for b in bounds[1:-1]:
        ax.axvline(b, color="0.85", lw=0.6, zorder=0)
    ax.set_xticks([(lo + hi) / 2 for lo, hi in zip(bounds[:-1], bounds[1:], strict=False)])
    ax.set_xticklabels([c.removeprefix("chr") for c, _ in chr_pos], fontsize=7)
    ax.axhline(0, color="0.3", lw=0.6)
    ax.set_xlim(0, profiles.shape[1])
    ax.set_xlabel("chromosome")
    ax.set_ylabel("inferred copy number\n(log expression vs reference)")
    ax.legend(fontsize=7, ncol=4, frameon=False)
    return ax
