"""Quality control of any count table: depth, dropouts, evenness, replicate agreement."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import InputError, Provenance, write_table
from oncoresist.crispr._normalise import size_factors
from oncoresist.crispr._stats import gini_index
from oncoresist.crispr._table import CountTable

_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


@dataclass(frozen=True)
class QCResult:
    """Per-sample and replicate quality figures of a screen.

    Attributes
    ----------
    samples
        One row per sample: ``Label``, ``Reads`` (mapped reads: the column total),
        ``TotalsgRNAs``, ``Zerocounts``, ``ZeroFraction``, ``GiniIndex`` (of ``log(count + 1)``,
        as MAGeCK), ``SizeFactor`` (median ratio), and count quantiles ``q10 .. q90``.
    correlation
        Pearson correlation of ``log2(normalised + 1)`` between every pair of samples.
    replicates
        One row per replicate pair named in ``replicates``: ``group``, ``sample_a``,
        ``sample_b``, ``pearson_log``, ``spearman``.
    log_counts
        ``log2(normalised count + 1)`` per guide and sample, for distribution plots.
    provenance
        Where the figures came from.
    """

    samples: pd.DataFrame
    correlation: pd.DataFrame
    replicates: pd.DataFrame
    log_counts: pd.DataFrame
    provenance: Provenance = field(compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The per-sample table."""
        return self.samples.copy()

    def write(self, prefix: str | os.PathLike[str]) -> list[Path]:
        """Write ``PREFIX.qc_samples.txt``, ``PREFIX.qc_correlation.txt``, ``PREFIX.qc_replicates.txt``."""
        prefix = str(prefix)
        paths = [
            write_table(self.samples, Path(prefix + ".qc_samples.txt"), provenance=self.provenance),
            write_table(
                self.correlation.reset_index(names="sample"), Path(prefix + ".qc_correlation.txt")
            ),
            write_table(self.replicates, Path(prefix + ".qc_replicates.txt")),
        ]
        return paths


def screen_qc(
    table: CountTable,
    *,
    replicates: Mapping[str, Sequence[str]] | None = None,
    norm_method: str = "median",
) -> QCResult:
    """Mapped reads, zero-count guides, Gini index, count distribution and replicate agreement.

    Parameters
    ----------
    table
        Raw counts.
    replicates
        Groups of replicate samples, e.g. ``{"drug": ["drug_1", "drug_2"]}``; every pair within
        a group gets its correlations.
    norm_method
        Normalisation before correlations and distributions (see :func:`size_factors`).

    Returns
    -------
    QCResult

    Examples
    --------
    >>> from oncoresist.crispr import simulate_screen
    >>> s = simulate_screen(n_genes=40, rng=0)
    >>> qc = screen_qc(s.table, replicates={"vehicle": ["vehicle_1", "vehicle_2"]})
    >>> qc.samples["Label"].tolist()[:2]
    ['T0', 'vehicle_1']
    >>> bool(qc.replicates["pearson_log"].iloc[0] > 0.5)
    True
    """
    from scipy import stats

    factors = size_factors(table, method=norm_method)
    norm = table.counts * factors[None, :]
    logc = np.log2(norm + 1.0)
    rows = []
    for j, label in enumerate(table.samples):
        raw = table.counts[:, j]
        row = {
            "Label": label,
            "Reads": float(raw.sum()),
            "TotalsgRNAs": table.n_guides,
            "Zerocounts": int((raw == 0).sum()),
            "ZeroFraction": float((raw == 0).mean()),
            "GiniIndex": gini_index(np.log(raw + 1.0)),
            "SizeFactor": float(factors[j]),
        }
        for q in _QUANTILES:
            row[f"q{round(q * 100)}"] = float(np.quantile(raw, q))
        rows.append(row)
    samples = pd.DataFrame(rows)
    corr = pd.DataFrame(np.corrcoef(logc, rowvar=False), index=table.samples, columns=table.samples)
    rep_rows = []
    for group, members in (replicates or {}).items():
        members = list(members)
        idx = table.sample_indices(members)
        if len(idx) < 2:
            msg = f"replicate group {group!r} needs at least two samples; got {members}"
            raise InputError(msg, field="replicates")
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                x, y = logc[:, idx[a]], logc[:, idx[b]]
                rep_rows.append(
                    {
                        "group": group,
                        "sample_a": table.samples[idx[a]],
                        "sample_b": table.samples[idx[b]],
                        "pearson_log": float(np.corrcoef(x, y)[0, 1]),
                        "spearman": float(stats.spearmanr(x, y)[0]),
                    }
                )
    reps = pd.DataFrame(rep_rows, columns=["group", "sample_a", "sample_b", "pearson_log", "spearman"])
    log_counts = pd.DataFrame(logc, columns=list(table.samples))
    inputs = [table.source] if table.source and Path(table.source).is_file() else []
    prov = Provenance.create(
        "oncoresist.crispr.screen_qc",
        parameters={"norm_method": norm_method, "replicates": dict(replicates or {})},
        inputs=inputs,
    )
    return QCResult(samples, corr, reps, log_counts, prov)
