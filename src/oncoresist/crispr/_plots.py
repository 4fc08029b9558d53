"""Figures: QC panels, gene ranks, volcano and per-gene guide counts (matplotlib, no display)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import InputError, atomic_write
from oncoresist.crispr._normalise import size_factors
from oncoresist.crispr._qc import QCResult
from oncoresist.crispr._table import CountTable


def _figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (6.0, 4.0)):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _save(fig, path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    # Fixed metadata so that the same input gives the same bytes.
    metadata = {"Software": None} if fmt == "png" else {"CreationDate": None} if fmt == "pdf" else {}
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format=fmt, dpi=120, metadata=metadata)
    return path


def plot_qc(qc: QCResult, path: str | os.PathLike[str]) -> Path:
    """Four QC panels: mapped reads, zero-count fraction and Gini, count distributions, correlation.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from oncoresist.crispr import simulate_screen, screen_qc
    >>> qc = screen_qc(simulate_screen(n_genes=20, rng=0).table)
    >>> plot_qc(qc, pathlib.Path(tempfile.mkdtemp()) / "qc.png").exists()
    True
    """
    s = qc.samples
    fig, axes = _figure(2, 2, (10.0, 7.5))
    x = np.arange(len(s))
    labels = s["Label"].tolist()
    ax = axes[0, 0]
    ax.bar(x, s["Reads"], color="#4c72b0")
    ax.set_xticks(x, labels, rotation=45, ha="right")
    ax.set_ylabel("mapped reads")
    ax = axes[0, 1]
    ax.bar(x - 0.2, s["ZeroFraction"], width=0.4, label="zero-count guides", color="#dd8452")
    ax.bar(x + 0.2, s["GiniIndex"], width=0.4, label="Gini index", color="#55a868")
    ax.set_xticks(x, labels, rotation=45, ha="right")
    ax.set_ylim(0, 1)
    ax.legend(frameon=False)
    ax = axes[1, 0]
    ax.boxplot([qc.log_counts[c].to_numpy() for c in qc.log_counts.columns], showfliers=False)
    ax.set_xticks(np.arange(1, len(labels) + 1), labels, rotation=45, ha="right")
    ax.set_ylabel("log2(normalised count + 1)")
    ax = axes[1, 1]
    im = ax.imshow(qc.correlation.to_numpy(), vmin=0, vmax=1, cmap="viridis")
    ax.set_xticks(x, labels, rotation=45, ha="right")
    ax.set_yticks(x, labels)
    fig.colorbar(im, ax=ax, label="Pearson r, log counts")
    return _save(fig, path)


def plot_gene_ranks(
    gene_summary: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    direction: str = "neg",
    label_top: int = 10,
) -> Path:
    """Genes ranked by RRA score (MAGeCK ``gene_summary``), the top ones named.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> g = pd.DataFrame({"id": ["A", "B", "C"], "neg|score": [1e-5, 0.01, 0.5],
    ...                   "neg|fdr": [0.01, 0.2, 1.0]})
    >>> plot_gene_ranks(g, pathlib.Path(tempfile.mkdtemp()) / "ranks.png").exists()
    True
    """
    if direction not in ("neg", "pos"):
        msg = f"direction must be 'neg' or 'pos'; got {direction!r}"
        raise InputError(msg, field="direction")
    col = f"{direction}|score"
    if col not in gene_summary.columns:
        msg = f"the gene summary has no column {col!r}; give a MAGeCK gene_summary table"
        raise InputError(msg, field="gene_summary")
    g = gene_summary.sort_values(col, kind="mergesort").reset_index(drop=True)
    y = -np.log10(np.maximum(g[col].to_numpy(dtype=float), 1e-300))
    fig, axes = _figure(size=(6.0, 4.5))
    ax = axes[0, 0]
    fdr = g.get(f"{direction}|fdr", pd.Series(np.ones(len(g)))).to_numpy(dtype=float)
    ax.scatter(np.arange(1, len(g) + 1), y, s=6, c=np.where(fdr < 0.1, "#c44e52", "#8c8c8c"))
    for i in range(min(label_top, len(g))):
        ax.annotate(str(g["id"].iloc[i]), (i + 1, y[i]), fontsize=7, xytext=(4, 0),
                    textcoords="offset points")
    ax.set_xlabel("gene rank")
    ax.set_ylabel(f"-log10 RRA score ({'depletion' if direction == 'neg' else 'enrichment'})")
    return _save(fig, path)


def plot_volcano(
    gene_summary: pd.DataFrame, path: str | os.PathLike[str], *, label_top: int = 10
) -> Path:
    """Gene LFC against -log10 of the smaller of the two RRA p-values.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> g = pd.DataFrame({"id": ["A", "B"], "neg|lfc": [-2.0, 1.0], "neg|p-value": [1e-4, 0.9],
    ...                   "pos|p-value": [0.9, 0.01], "neg|fdr": [0.01, 1], "pos|fdr": [1, 0.05]})
    >>> plot_volcano(g, pathlib.Path(tempfile.mkdtemp()) / "volcano.png").exists()
    True
    """
    needed = ["id", "neg|lfc", "neg|p-value", "pos|p-value"]
    missing = [c for c in needed if c not in gene_summary.columns]
    if missing:
        msg = f"the gene summary lacks column(s) {', '.join(missing)}; give a MAGeCK gene_summary"
        raise InputError(msg, field="gene_summary")
    lfc = gene_summary["neg|lfc"].to_numpy(dtype=float)
    p = np.minimum(gene_summary["neg|p-value"], gene_summary["pos|p-value"]).to_numpy(dtype=float)
    y = -np.log10(np.maximum(p, 1e-300))
    fdr = np.minimum(
        gene_summary.get("neg|fdr", pd.Series(np.ones(len(p)))).to_numpy(dtype=float),
        gene_summary.get("pos|fdr", pd.Series(np.ones(len(p)))).to_numpy(dtype=float),
    )
    fig, axes = _figure(size=(6.0, 4.5))
    ax = axes[0, 0]
    ax.scatter(lfc, y, s=6, c=np.where(fdr < 0.1, "#c44e52", "#8c8c8c"))
    for i in np.argsort(-y, kind="mergesort")[:label_top]:
        ax.annotate(str(gene_summary["id"].iloc[i]), (lfc[i], y[i]), fontsize=7, xytext=(3, 2),
                    textcoords="offset points")
    ax.axvline(0, color="#444444", lw=0.5)
    ax.set_xlabel("gene log2 fold change")
    ax.set_ylabel("-log10 p (smaller tail)")
    return _save(fig, path)


def plot_guide_counts(
    table: CountTable,
    gene: str,
    path: str | os.PathLike[str],
    *,
    samples: Sequence[str] | None = None,
) -> Path:
    """Normalised counts of each guide of one gene across samples (one line per guide).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from oncoresist.crispr import simulate_screen
    >>> t = simulate_screen(n_genes=20, rng=0).table
    >>> plot_guide_counts(t, "GENE01", pathlib.Path(tempfile.mkdtemp()) / "g.png").exists()
    True
    """
    mask = table.genes.astype(str) == gene
    if not mask.any():
        msg = f"gene {gene!r} has no guides in the count table; check the spelling"
        raise InputError(msg, path=table.source, field="gene")
    sub = table.select(list(samples)) if samples is not None else table
    factors = size_factors(sub)
    norm = sub.counts[mask] * factors[None, :]
    fig, axes = _figure(size=(6.0, 4.0))
    ax = axes[0, 0]
    x = np.arange(len(sub.samples))
    for guide, row in zip(sub.guides[mask], norm, strict=True):
        ax.plot(x, np.log2(row + 1.0), marker="o", lw=1, label=str(guide))
    ax.set_xticks(x, sub.samples, rotation=45, ha="right")
    ax.set_ylabel("log2(normalised count + 1)")
    ax.set_title(gene)
    ax.legend(fontsize=6, frameon=False)
    return _save(fig, path)
