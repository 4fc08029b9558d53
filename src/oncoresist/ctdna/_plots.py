"""Per-patient figure: allele fraction on a log scale over time, therapy bands, LoD, events."""

from __future__ import annotations

import numpy as np
import pandas as pd

_FLOOR = 1e-5


def patient_figure(calls: pd.DataFrame, events: pd.DataFrame, therapy: pd.DataFrame | None,
                   imaging: pd.DataFrame | None, patient_id: str, *, title: str | None = None):
    """Build the figure (matplotlib, Agg canvas; nothing is shown)."""
    from matplotlib.figure import Figure

    rows = calls[calls["patient_id"] == patient_id].sort_values("day")
    fig = Figure(figsize=(10.5, 4.8), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_yscale("log")
    if rows.empty:
        ax.set_title(title or "no samples")
        return fig
    last_day = float(rows["day"].max())
    first_day = float(rows["day"].min())
    colours = ["#d9e6f2", "#f7e3c8", "#dcefd9", "#eedcf2", "#f2dcdc"]
    if therapy is not None and not therapy.empty:
        lines = therapy[therapy["patient_id"] == patient_id].sort_values("start_day")
        for k, line in enumerate(lines.itertuples(index=False)):
            end = line.end_day if not np.isnan(line.end_day) else max(last_day, line.start_day)
            ax.axvspan(line.start_day, end, color=colours[k % len(colours)], alpha=0.8, lw=0, zorder=0)
            ax.text((line.start_day + end) / 2, 0.98, str(line.drug), transform=ax.get_xaxis_transform(),
                    ha="center", va="top", fontsize=8)
    lod = rows.groupby("day")["lod95"].median()
    ax.step(lod.index, np.maximum(lod.to_numpy(), _FLOOR), where="mid", color="grey", ls="--", lw=1,
            label="LoD95 (median)")
    cmap = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
    for k, (variant, series) in enumerate(rows.groupby("variant", sort=True)):
        colour = cmap[k % len(cmap)]
        detected = series["detected"].to_numpy(bool)
        # Not detected: drawn at the sample's LoD95 (an upper bound), as an open triangle.
        shown = np.where(detected, series["af"].to_numpy(float),
                         np.fmin(series["lod95"].to_numpy(float), 1.0))
        shown = np.maximum(np.nan_to_num(shown, nan=_FLOOR), _FLOOR)
        days = series["day"].to_numpy(float)
        ax.plot(days, shown, color=colour, lw=1.2, label=variant)
        ax.scatter(days[detected], shown[detected], color=colour, s=22, zorder=3)
        ax.scatter(days[~detected], shown[~detected], marker="v", facecolors="white", edgecolors=colour,
                   s=26, zorder=3)
    if events is not None and not events.empty:
        mine = events[(events["patient_id"] == patient_id) & (events["event"] == "emergence")]
        for e in mine.itertuples(index=False):
            ax.axvline(e.confirmed_day, color="black", lw=0.6, ls=":")
    if imaging is not None and not imaging.empty:
        scans = imaging[imaging["patient_id"] == patient_id]
        for scan in scans.itertuples(index=False):
            marker = "v" if scan.progression else "|"
            ax.plot([scan.day], [1.0], marker=marker, color="black", ms=7, clip_on=False,
                    transform=ax.get_xaxis_transform())
    ax.set_xlim(first_day - 0.02 * (last_day - first_day + 1), last_day + 0.02 * (last_day - first_day + 1))
    detected_af = rows.loc[rows["detected"], "af"]
    low = float(np.nanmin(lod.clip(lower=_FLOOR))) if len(lod) else 1e-3
    if len(detected_af):
        low = min(low, float(detected_af.min()))
    low = max(low, _FLOOR)
    ax.set_ylim(low / 2, 1.0)
    ax.set_xlabel("day")
    ax.set_ylabel("allele fraction (log scale)")
    ax.set_title(title or f"ctDNA over time: {patient_id}", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    fig.text(0.99, 0.005, "open triangle: not detected (drawn at its LoD95); dotted line: emergence confirmed; black v: imaging PD",
             ha="right", fontsize=6, color="dimgray")
    fig.tight_layout()
    return fig


def save_figure(fig, path) -> None:
    """Write a PNG atomically without time stamps, so identical runs give identical bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from oncoresist._core import atomic_write

    FigureCanvasAgg(fig)
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", metadata={"Software": None})
