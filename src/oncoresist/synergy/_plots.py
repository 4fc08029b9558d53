"""Figures: dose-response curves, response and synergy heat maps, synergy surface."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oncoresist._core import InputError
from oncoresist.synergy._fit import CurveFit


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_dose_response(fit: CurveFit, dose=None, response=None, *, ax=None):
    """Plot a fitted single-drug curve, with the data points if given.

    Parameters
    ----------
    fit
        A :class:`CurveFit` (from ``fit_dose_response``).
    dose, response
        Measured points to overlay (optional). Untreated wells are drawn at the left edge.
    ax
        Matplotlib axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> import numpy as np
    >>> from oncoresist.synergy import fit_dose_response
    >>> d = np.array([0, 0.1, 1, 10, 100])
    >>> fit = fit_dose_response(d, 90 * d / (d + 1), drug="a")
    >>> fig = plot_dose_response(fit, d, 90 * d / (d + 1))
    >>> fig.axes[0].get_xscale()
    'log'
    """
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(4, 3))
    else:
        fig = ax.figure
    low, high = fit.dose_min, fit.dose_max
    if np.isfinite(low) and np.isfinite(high):
        grid = np.logspace(np.log10(low) - 0.5, np.log10(high) + 0.5, 200)
        if fit.usable:
            ax.plot(grid, fit.predict(grid), color="C0", label=f"{fit.drug} ({fit.status})")
        if dose is not None and response is not None:
            d = np.asarray(dose, float)
            shown = np.where(d > 0, d, grid[0])
            ax.scatter(shown, response, s=12, color="C1", zorder=3)
        if fit.usable and np.isfinite(fit.ec50):
            ax.axvline(fit.ec50, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("concentration")
    ax.set_ylabel("% inhibition")
    ax.set_title(f"{fit.drug}: quality {fit.quality}", fontsize=9)
    return fig


def _grid(wells: pd.DataFrame, value: str) -> pd.DataFrame:
    if value not in wells.columns:
        msg = f"column {value!r} not in the wells table; choose one of {', '.join(wells.columns)}"
        raise InputError(msg, field="value")
    if "conc3" in wells.columns:
        msg = "heat maps and surfaces are drawn for pairs; this table has three or more drugs"
        raise InputError(msg, field="wells")
    return wells.pivot_table(index="conc1", columns="conc2", values=value, aggfunc="mean", dropna=False)


def plot_heatmap(
    wells: pd.DataFrame,
    value: str = "response",
    *,
    ax=None,
    title: str | None = None,
    drugs: tuple[str, str] = ("drug 1", "drug 2"),
):
    """Heat map of one column of a pair's wells table (response or a model's synergy).

    Parameters
    ----------
    wells
        Rows of one block from ``SynergyResult.wells``.
    value
        Column to draw: ``response`` or ``<model>_synergy``.
    ax
        Matplotlib axes; a new figure when None.
    title
        Figure title.
    drugs
        Names for the axis labels (drug 1 on rows, drug 2 on columns).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> import pandas as pd
    >>> wells = pd.DataFrame({"conc1": [0, 0, 1, 1], "conc2": [0, 1, 0, 1],
    ...                       "response": [0, 30, 40, 80]})
    >>> fig = plot_heatmap(wells)
    >>> len(fig.axes)  # the map and its colour bar
    2
    """
    plt = _pyplot()
    grid = _grid(wells, value)
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.5, 3.5))
    else:
        fig = ax.figure
    values = grid.to_numpy(dtype=float)
    synergy = value.endswith("_synergy")
    limit = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
    image = ax.imshow(
        values, origin="lower", cmap="RdBu_r" if synergy else "viridis",
        vmin=-limit if synergy else None, vmax=limit if synergy else None, aspect="auto",
    )
    for (r, c), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(c, r, f"{v:.0f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(grid.shape[1]), [f"{x:g}" for x in grid.columns], rotation=45, fontsize=7)
    ax.set_yticks(range(grid.shape[0]), [f"{x:g}" for x in grid.index], fontsize=7)
    ax.set_xlabel(f"{drugs[1]} concentration")
    ax.set_ylabel(f"{drugs[0]} concentration")
    fig.colorbar(image, ax=ax, label=value)
    ax.set_title(title or value, fontsize=9)
    fig.tight_layout()
    return fig


def plot_surface(
    wells: pd.DataFrame,
    model: str = "zip",
    *,
    title: str | None = None,
    drugs: tuple[str, str] = ("drug 1", "drug 2"),
):
    """Three-dimensional synergy surface of a pair over the log-dose grid.

    Parameters
    ----------
    wells
        Rows of one block from ``SynergyResult.wells``.
    model
        Which synergy: ``hsa``, ``bliss``, ``loewe`` or ``zip``.
    title
        Figure title.
    drugs
        Names for the axis labels.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Examples
    --------
    >>> import pandas as pd
    >>> wells = pd.DataFrame({"conc1": [1, 1, 10, 10], "conc2": [1, 10, 1, 10],
    ...                       "bliss_synergy": [0, 5, 5, 10]})
    >>> fig = plot_surface(wells, "bliss")
    >>> fig.axes[0].name
    '3d'
    """
    plt = _pyplot()
    grid = _grid(wells, f"{model}_synergy")
    grid = grid.loc[grid.index > 0, grid.columns > 0]
    fig = plt.figure(figsize=(5, 4))
    ax = fig.add_subplot(projection="3d")
    x, y = np.meshgrid(np.log10(grid.columns.to_numpy(float)), np.log10(grid.index.to_numpy(float)))
    z = grid.to_numpy(dtype=float)
    limit = np.nanmax(np.abs(z)) if np.isfinite(z).any() else 1.0
    ax.plot_surface(x, y, np.nan_to_num(z), cmap="RdBu_r", vmin=-limit, vmax=limit, edgecolor="k", lw=0.2)
    ax.set_xlabel(f"log10 {drugs[1]}")
    ax.set_ylabel(f"log10 {drugs[0]}")
    ax.set_zlabel(f"{model} synergy")
    ax.set_title(title or f"{model} synergy", fontsize=9)
    return fig
