"""Figures of a comparison: Kaplan–Meier curves with bands, Muller-style plots, dose bars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def _save(fig: Any, folder: Path, stem: str) -> None:
    fig.savefig(folder / f"{stem}.png", dpi=110, metadata={"Software": None})
    fig.savefig(folder / f"{stem}.svg", metadata={"Date": None})


def write_figures(comparison: Any, folder: Path) -> list[Path]:
    """Write km, muller_<strategy> and dose figures (PNG and SVG) into ``folder``."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "oncoresist"
    written = []
    names = list(dict.fromkeys(comparison.outcomes["strategy"]))
    colours = plt.get_cmap("tab10")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, name in enumerate(names):
        curve = comparison.km[comparison.km["strategy"] == name]
        ax.step(curve["time"], curve["survival"], where="post", color=colours(i % 10), label=name)
        ax.fill_between(curve["time"], curve["lower"], curve["upper"], step="post", alpha=0.2, color=colours(i % 10))
    ax.set_xlabel("days since treatment start")
    ax.set_ylabel("progression-free (Kaplan–Meier)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(frameon=False)
    ax.set_title("Time to progression (95% bands); research use only")
    fig.tight_layout()
    _save(fig, folder, "km")
    plt.close(fig)
    written.append(folder / "km.png")

    types = list(comparison.type_names)
    tcol = plt.get_cmap("tab20")
    for name in names:
        trace = comparison.traces.get((name, 0))
        if trace is None or len(trace["totals"]) < 2:
            continue
        totals = trace["totals"]
        t = totals["time"].to_numpy(float) - trace["start"]
        keep = t >= 0
        values = totals[types].to_numpy(float)[keep]
        t = t[keep]
        if len(t) < 2:
            continue
        total = values.sum(axis=1)
        frac = np.divide(values, total[:, None], out=np.zeros_like(values), where=total[:, None] > 0)
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True, height_ratios=[2, 1])
        top.stackplot(t, frac.T, labels=types, colors=[tcol(i % 20) for i in range(len(types))])
        top.set_ylabel("fraction of cells")
        top.set_ylim(0, 1)
        top.legend(loc="upper left", fontsize=7, ncols=min(4, len(types)), frameon=False)
        top.set_title(f"{name}: patient 0 (same patient in every strategy)")
        bottom.semilogy(t, np.maximum(total, 1e-1), color="black", label="true burden")
        scans = [(s, v) for s, v in trace["scans"] if v > 0]
        if scans:
            bottom.semilogy([s for s, _ in scans], [v for _, v in scans], "o", ms=3, color="tab:red", label="scans")
        bottom.set_xlabel("days since treatment start")
        bottom.set_ylabel("cells")
        bottom.legend(fontsize=7, frameon=False)
        fig.tight_layout()
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        _save(fig, folder, f"muller_{safe}")
        plt.close(fig)
        written.append(folder / f"muller_{safe}.png")

    drugs = list(comparison.drugs)
    if drugs:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        x = np.arange(len(names))
        width = 0.8 / len(drugs)
        for j, drug in enumerate(drugs):
            ax.bar(x + j * width, comparison.outcomes[f"mean_dose_{drug}"], width, label=drug)
        ax.set_xticks(x + 0.4 - width / 2, names, rotation=15)
        ax.set_ylabel("mean cumulative dose (level x days)")
        ax.legend(frameon=False)
        fig.tight_layout()
        _save(fig, folder, "dose")
        plt.close(fig)
        written.append(folder / "dose.png")
    return written
