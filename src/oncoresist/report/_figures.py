"""Figures of the case report (matplotlib, Agg backend)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")
_BANDS = ("#dbe9f6", "#fde2cf", "#dff2dd", "#ece2f3", "#f6e7cf")


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def therapy_bands(ax, history: Sequence[tuple[Sequence[str], int, int | None]], end: float) -> None:
    """Shade each therapy line and label it with its drugs."""
    for i, (drugs, start, stop) in enumerate(history):
        right = end if stop is None else stop + 1
        ax.axvspan(start, right, color=_BANDS[i % len(_BANDS)], alpha=0.8, lw=0, zorder=0)
        ax.text((start + min(right, end)) / 2, 1.01, "+".join(drugs), transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=8)


def ctdna_timeline(
    calls: pd.DataFrame,
    events: pd.DataFrame,
    history: Sequence[tuple[Sequence[str], int, int | None]],
    *,
    bands: dict[str, pd.DataFrame] | None = None,
    imaging: pd.DataFrame | None = None,
    forecast_start: float | None = None,
):
    """Allele fractions over time (log scale) with therapy bands, events and the fitted model."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 4.6))
    variants = sorted(calls["variant"].unique()) if "variant" in calls else []
    end = float(max(calls["day"].max(), forecast_start or 0)) + 14
    therapy_bands(ax, history, end)
    floor = 1e-5
    for i, variant in enumerate(variants):
        color = _COLORS[i % len(_COLORS)]
        block = calls[calls["variant"] == variant].sort_values("day")
        hit = block[block["detected"].astype(bool)]
        miss = block[~block["detected"].astype(bool)]
        ax.plot(hit["day"], np.clip(hit["af"].astype(float), floor, None), "o", color=color, ms=4,
                label=variant)
        if "lod95" in miss:
            ax.plot(miss["day"], np.clip(miss["lod95"].astype(float), floor, None), "v", mfc="none",
                    color=color, ms=4)
        if bands and variant in bands:
            band = bands[variant]
            ax.fill_between(band["day"], np.clip(band["low"], floor, None), np.clip(band["high"], floor, None),
                            color=color, alpha=0.18, lw=0)
            ax.plot(band["day"], np.clip(band["median"], floor, None), "-", color=color, lw=1)
    if events is not None and len(events):
        for row in events[events["event"] == "emergence"].itertuples():
            ax.axvline(row.day, color="#444", ls=":", lw=1)
            ax.text(row.day, 0.98, f" {row.variant}", transform=ax.get_xaxis_transform(), rotation=90,
                    va="top", ha="right", fontsize=7, color="#444")
    if imaging is not None and len(imaging):
        pd_rows = imaging[imaging["result"].astype(str) == "PD"]
        ax.plot(pd_rows["day"], np.full(len(pd_rows), 0.9), "^", color="black", ms=7,
                transform=ax.get_xaxis_transform(), label="imaging: PD")
    if forecast_start is not None:
        ax.axvline(forecast_start, color="black", lw=1.2)
        ax.text(forecast_start, 0.02, " forecast starts", transform=ax.get_xaxis_transform(), fontsize=7)
    ax.set_yscale("log")
    ax.set_ylim(floor, 1)
    ax.set_xlim(min(float(calls["day"].min()), 0) - 7, end)
    ax.set_xlabel("day")
    ax.set_ylabel("allele fraction")
    ax.legend(fontsize=7, loc="lower left", ncol=2, frameon=True)
    fig.tight_layout()
    return fig


def fitted_muller(calibration, days: np.ndarray, history, *, clonal_pl=None):
    """Muller plot of the fitted compartments (posterior median sizes), with therapy spans."""
    plt = _plt()
    logn = calibration.log_sizes(days)
    median = np.exp(np.median(logn, axis=0))  # (days, types)
    rows = []
    for j, name in enumerate(calibration.model.types):
        for d, size in zip(days, median[:, j], strict=True):
            rows.append({"time": float(d), "clone_id": j, "parent_id": j - 1, "type": name, "size": float(size)})
    table = pd.DataFrame(rows)
    spans = [(start, (days[-1] if end is None else end + 1), "+".join(drugs)) for drugs, start, end in history]
    fig, ax = plt.subplots(figsize=(10, 3.6))
    clonal_pl.muller(table, therapy=spans, ax=ax, legend=False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c.get_facecolor()[0]) for c in ax.collections[: len(calibration.model.types)]]
    ax.legend(handles, list(calibration.model.types), fontsize=7, loc="upper left")
    ax.set_xlabel("day")
    ax.set_ylabel("fraction of tumour cells")
    fig.tight_layout()
    return fig


def posteriors(draws: pd.DataFrame, log_scale: Sequence[bool], bounds: Sequence[tuple[float, float]]):
    """Histogram of each parameter's posterior on its prior's range."""
    plt = _plt()
    n = draws.shape[1]
    cols = 3
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(10, 2.4 * rows), squeeze=False)
    for k, name in enumerate(draws.columns):
        ax = axes[k // cols][k % cols]
        values = draws[name].to_numpy(float)
        lo, hi = bounds[k]
        if log_scale[k]:
            values, lo, hi = np.log10(values), math.log10(lo), math.log10(hi)
            ax.set_xlabel(f"log10 {name}", fontsize=8)
        else:
            ax.set_xlabel(name, fontsize=8)
        ax.hist(values, bins=40, range=(lo, hi), color="#4c78a8")
        ax.set_xlim(lo, hi)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].axis("off")
    fig.tight_layout()
    return fig


def survival_curves(survival: pd.DataFrame, burden: dict[str, np.ndarray], start_day: float):
    """Progression-free fraction per strategy, and the tumour burden (median, 90% band)."""
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for i, (name, block) in enumerate(survival.groupby("strategy", sort=False)):
        color = _COLORS[i % len(_COLORS)]
        left.step(block["day"], block["progression_free"], where="post", color=color, label=name)
        values = burden[name]
        days = start_day + np.arange(values.shape[1])
        right.fill_between(days, np.quantile(values, 0.05, axis=0), np.quantile(values, 0.95, axis=0),
                           color=color, alpha=0.15, lw=0)
        right.plot(days, np.median(values, axis=0), color=color, label=name)
    left.set_xlabel("days from forecast start")
    left.set_ylabel("fraction of posterior draws progression-free")
    left.set_ylim(-0.02, 1.02)
    left.legend(fontsize=7)
    right.set_yscale("log")
    right.set_xlabel("day")
    right.set_ylabel("tumour burden (day 0 = 1)")
    fig.tight_layout()
    return fig


def dose_cost(draws: pd.DataFrame):
    """Median cumulative drug-days per drug and median cost, per strategy."""
    plt = _plt()
    doses = [c for c in draws.columns if c.startswith("dose_")]
    medians = draws.groupby("strategy", sort=False)[[*doses, "cost"]].median()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.4))
    bottom = np.zeros(len(medians))
    for i, col in enumerate(doses):
        left.barh(medians.index, medians[col], left=bottom, color=_COLORS[i % len(_COLORS)],
                  label=col.removeprefix("dose_"))
        bottom += medians[col].to_numpy()
    left.set_xlabel("median drug-days until progression or horizon")
    left.legend(fontsize=7)
    right.barh(medians.index, medians["cost"], color="#7f7f7f")
    right.set_xlabel("median cost (case's own units)")
    right.set_yticks([])
    left.tick_params(labelsize=8)
    fig.tight_layout()
    return fig
