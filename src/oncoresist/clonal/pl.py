"""Plots of clonal composition: Muller (fish) plots with therapy periods marked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from oncoresist._core import InputError

__all__ = ["muller"]


def _therapy_periods(therapy: Any) -> list[tuple[float, float, str]]:
    if therapy is None:
        return []
    if isinstance(therapy, pd.DataFrame):
        missing = {"start", "end"} - set(therapy.columns)
        if missing:
            msg = f"therapy table needs columns start, end (and optionally label); missing {sorted(missing)}"
            raise InputError(msg, field="therapy")
        labels = therapy["label"] if "label" in therapy.columns else [""] * len(therapy)
        rows = zip(therapy["start"], therapy["end"], labels, strict=True)
    else:
        rows = [(*tuple(p)[:2], tuple(p)[2] if len(tuple(p)) > 2 else "") for p in therapy]
    periods = []
    for start, end, label in rows:
        if float(end) < float(start):
            msg = f"therapy period ends ({end}) before it starts ({start})"
            raise InputError(msg, field="therapy")
        periods.append((float(start), float(end), str(label)))
    return periods


def muller(
    sizes: Any,
    tree: Any = None,
    *,
    times: Mapping[str, float] | None = None,
    therapy: pd.DataFrame | Iterable[tuple] | None = None,
    cumulative: bool | None = None,
    normalize: bool = True,
    colors: Mapping[Any, Any] | None = None,
    ax: Any = None,
    legend: bool = True,
) -> Any:
    """Draw a Muller (fish) plot; returns the matplotlib Axes.

    Parameters
    ----------
    sizes, tree, times, cumulative, normalize
        As for :func:`oncoresist.clonal.muller_layout` (an ``oncoresist.evolve`` clone table,
        deconvolution results with a tree, or sizes with a tree), or its output (a table with
        ``lower`` and ``upper``).
    therapy
        Periods to shade: ``(start, end[, label])`` tuples or a table ``start end [label]``.
    colors
        ``clone_id -> colour``; default the ``tab20`` palette in depth-first order.
    ax
        Axes to draw into; a new figure by default.
    legend
        Add a legend of clones (only when there are at most 20).

    Returns
    -------
    matplotlib.axes.Axes
        The plot.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> table = pd.DataFrame({"time": [0, 0, 10, 10], "clone_id": [0, 1, 0, 1],
    ...                       "parent_id": [-1, 0, -1, 0], "type": ["S", "R"] * 2,
    ...                       "size": [1000.0, 1.0, 100.0, 400.0]})
    >>> ax = muller(table, therapy=[(2, 8, "drug A")])
    >>> len(ax.collections), len(ax.patches)  # two clone bands, one therapy span
    (2, 1)
    """
    import matplotlib.pyplot as plt

    from oncoresist.clonal import muller_layout

    if isinstance(sizes, pd.DataFrame) and {"lower", "upper", "clone_id", "time"} <= set(sizes.columns):
        bands = sizes
    else:
        bands = muller_layout(sizes, tree, times=times, cumulative=cumulative, normalize=normalize)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    order = list(dict.fromkeys(bands["clone_id"]))
    palette = plt.get_cmap("tab20")
    colors = dict(colors or {})
    for i, clone in enumerate(order):
        part = bands.loc[bands["clone_id"] == clone].sort_values("time")
        color = colors.get(clone, palette(i % 20))
        ax.fill_between(
            part["time"].to_numpy(dtype=float), part["lower"].to_numpy(dtype=float),
            part["upper"].to_numpy(dtype=float), color=color, linewidth=0,
            label=f"clone {clone}",
        )
    top = float(np.nanmax(bands["upper"])) if len(bands) else 1.0
    for start, end, label in _therapy_periods(therapy):
        ax.axvspan(start, end, color="grey", alpha=0.15, linewidth=0)
        if label:
            ax.text((start + end) / 2, top, label, ha="center", va="bottom", fontsize=8)
    ax.set_xlabel("time")
    ax.set_ylabel("fraction of tumour cells" if normalize else "cells")
    ax.set_ylim(0, top * 1.08 if top > 0 else 1)
    if legend and 0 < len(order) <= 20:  # beyond 20 clones a legend hides the plot
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    return ax
