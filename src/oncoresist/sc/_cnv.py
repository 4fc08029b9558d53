"""Clones without barcodes: copy-number profiles inferred from expression, then grouped.

Inference is infercnvpy's (Sturm et al., icbi-lab; the inferCNV method of Patel et al. 2014
Science 344:1396 and Tirosh et al. 2016 Science 352:189): log expression relative to reference
cells, averaged over windows of ``window_size`` neighbouring genes along each chromosome,
centred per cell. The profiles are then clustered: exact PCA, a Gaussian kNN graph (scanpy's)
and Leiden (scanpy's, igraph).

What is added here is the step from clusters to clones (``call_clones``):

1. ``merge_clusters``: two groups stay apart only when their mean profiles differ by more than
   ``min_difference`` over at least ``min_windows`` consecutive windows of one chromosome (a
   copy-number segment) and the cells form two populations over those segments
   (``two_populations``); otherwise they merge, closest pair first.
2. ``reassign``: each cell moves to the group it matches best on the segments' means; 1 and 2
   repeat until no cell moves. Reference cells form the ``normal`` group (label -1) and stay
   there; tumour cells without a segment of their own join it.
3. Groups under ``min_cells`` cells join the nearest group; each clone's segments are the runs
   where its mean profile departs from the normal profile (``segments_of``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oncoresist._core import InputError

NORMAL = "normal"


@dataclass
class CnvCloneResult:
    """Clones from inferred copy number: membership, sizes and each clone's segments."""

    assignment: pd.Series
    clones: pd.DataFrame
    segments: pd.DataFrame
    parameters: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per clone: cells, reference cells, and its segments in words."""
        return self.clones.copy()

    def write(self, path) -> None:
        """Write the segment table as TSV (atomically)."""
        from oncoresist._core import atomic_write

        with atomic_write(path) as handle:
            self.segments.to_csv(handle, sep="\t", index=False, lineterminator="\n",
                                 float_format="%.6g")


def window_coordinates(var: pd.DataFrame, chr_pos: dict, n_windows: int, *, window_size: int,
                       step: int) -> pd.DataFrame:
    """Chromosome and genomic span (bp) of each window, rebuilt as infercnvpy lays them out.

    infercnvpy orders chromosomes naturally, genes by start within a chromosome, and keeps
    every ``step``-th window of ``window_size`` genes (one window of all genes when a chromosome
    has fewer). A window spans from its first gene's start to its last gene's end.
    """
    order = sorted(chr_pos, key=lambda c: int(chr_pos[c]))
    rows = []
    for chrom in order:
        genes = var.loc[var["chromosome"] == chrom, ["start", "end"]].astype(float)
        genes = genes.sort_values("start", kind="stable")
        starts, ends = genes["start"].to_numpy(), genes["end"].to_numpy()
        n = starts.size
        first = np.arange(0, n - window_size + 1, step) if n > window_size else np.array([0])
        last = np.minimum(first + window_size, n) - 1
        running_end = np.maximum.accumulate(ends)  # a long gene may reach past later genes
        rows.append(pd.DataFrame({"chromosome": chrom, "start": starts[first].astype(np.int64),
                                  "end": running_end[last].astype(np.int64)}))
    table = pd.concat(rows, ignore_index=True)
    if len(table) != n_windows:
        msg = (
            f"internal: rebuilt {len(table)} windows but the copy-number matrix has {n_windows}; "
            "the installed infercnvpy lays out windows differently"
        )
        raise RuntimeError(msg)
    return table


def _runs(mask: np.ndarray, chromosomes: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges of consecutive True values that stay within one chromosome."""
    runs, start = [], None
    for i, flag in enumerate(mask):
        if start is not None and (not flag or chromosomes[i] != chromosomes[start]):
            runs.append((start, i))
            start = None
        if flag and start is None:
            start = i
    if start is not None:
        runs.append((start, mask.size))
    return runs


def _segment_runs(a: np.ndarray, b: np.ndarray, chromosomes: np.ndarray, *,
                  min_difference: float, min_windows: int) -> list[tuple[int, int]]:
    """Runs of at least ``min_windows`` windows where ``|a - b| > min_difference``."""
    mask = np.abs(a - b) > min_difference
    return [r for r in _runs(mask, chromosomes) if r[1] - r[0] >= min_windows]


def _gaussian_loglik(x: np.ndarray) -> float:
    sd = max(float(x.std()), 1e-9)
    return float(np.sum(-0.5 * ((x - x.mean()) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)))


def two_populations(x: np.ndarray, in_a: np.ndarray) -> bool:
    """Do the values ``x`` form two populations (``in_a`` and the rest), not one split in two?

    Splitting one unimodal population at a threshold gives two groups whose means differ, so
    a difference of means cannot tell a clone boundary from a cut through noise. Here the two
    groups fitted as a two-Gaussian mixture (weights, means and spreads from the groups) must
    beat a single Gaussian by the Bayesian information criterion (three more parameters):
    ``2 (LL2 - LL1) > 3 ln n``. A threshold cut through one Gaussian gives a mixture that fits
    worse than the Gaussian itself, so it is merged.
    """
    n = x.size
    ll1 = _gaussian_loglik(x)
    density = np.zeros(n)
    for part in (in_a, ~in_a):
        w = part.mean()
        mu, sd = x[part].mean(), max(float(x[part].std()), 1e-9)
        density += w * np.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))
    ll2 = float(np.sum(np.log(np.maximum(density, 1e-300))))
    return 2 * (ll2 - ll1) > 3 * np.log(n)


def differs_by_segment(profiles: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray,
                       chromosomes: np.ndarray, *, min_difference: float,
                       min_windows: int) -> bool:
    """Do the cells ``rows_a`` and ``rows_b`` (row indices) differ by a copy-number segment?

    Their mean profiles must differ by more than ``min_difference`` over ``min_windows``
    consecutive windows of a chromosome, and over those segments the cells must form two
    populations (``two_populations`` on each cell's segment means, combined along the
    discriminant direction: mean difference over pooled variance, feature by feature).
    """
    a, b = profiles[rows_a], profiles[rows_b]
    runs = _segment_runs(a.mean(axis=0), b.mean(axis=0), chromosomes,
                         min_difference=min_difference, min_windows=min_windows)
    if not runs:
        return False
    both = np.concatenate([a, b])
    features = np.stack([both[:, lo:hi].mean(axis=1) for lo, hi in runs], axis=1)
    first = np.arange(both.shape[0]) < a.shape[0]
    fa, fb = features[first], features[~first]
    pooled = (fa.var(axis=0) * fa.shape[0] + fb.var(axis=0) * fb.shape[0]) / features.shape[0]
    direction = (fa.mean(axis=0) - fb.mean(axis=0)) / (pooled + 1e-12)
    return two_populations(features @ direction, first)


def _merge_small(labels: np.ndarray, profiles: np.ndarray, min_cells: int) -> np.ndarray:
    """Relabel cells of clusters under ``min_cells`` to the nearest larger cluster (profile L2).

    The normal group (``-1``) is never dissolved, whatever its size.
    """
    ids, sizes = np.unique(labels, return_counts=True)
    big = ids[(sizes >= min_cells) | (ids == -1)]
    if big.size == 0:
        return labels
    means = {c: profiles[labels == c].mean(axis=0) for c in ids}
    out = labels.copy()
    for c in ids[(sizes < min_cells) & (ids != -1)]:
        nearest = min(big, key=lambda b: float(np.sum((means[c] - means[b]) ** 2)))
        out[labels == c] = nearest
    return out


def merge_clusters(labels: np.ndarray, profiles: np.ndarray, chromosomes: np.ndarray, *,
                   min_difference: float, min_windows: int):
    """Merge clusters that no copy-number segment tells apart, closest pair first.

    Returns the group of every cluster label and the mean profile of each group; the normal
    group (label ``-1``) keeps its label when others join it.
    """
    cells = {int(c): np.flatnonzero(labels == c) for c in np.unique(labels)}
    group_of = {c: c for c in cells}
    means = {c: profiles[idx].mean(axis=0) for c, idx in cells.items()}
    distinct: dict[tuple[int, int], bool] = {}  # pair decisions, dropped when a group changes
    while True:
        best = None
        keys = sorted(means)
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                if (a, b) not in distinct:
                    distinct[(a, b)] = differs_by_segment(
                        profiles, cells[a], cells[b], chromosomes,
                        min_difference=min_difference, min_windows=min_windows)
                if distinct[(a, b)]:
                    continue
                distance = float(np.mean((means[a] - means[b]) ** 2))
                if best is None or distance < best[0]:
                    best = (distance, a, b)
        if best is None:
            break
        _, keep, gone = best  # keys are sorted: the normal group (-1) keeps its name
        cells[keep] = np.union1d(cells[keep], cells.pop(gone))
        means.pop(gone)
        means[keep] = profiles[cells[keep]].mean(axis=0)
        group_of = {c: keep if g == gone else g for c, g in group_of.items()}
        distinct = {pair: d for pair, d in distinct.items() if keep not in pair and gone not in pair}
    return group_of, means


def _segment_windows(means: dict, baseline: np.ndarray, chromosomes: np.ndarray, *,
                     min_difference: float, min_windows: int) -> list[np.ndarray]:
    """Window ranges where some group departs from the baseline by a copy-number segment."""
    spans = set()
    for g, profile in means.items():
        if g == -1:
            continue
        mask = np.abs(profile - baseline) > min_difference
        spans |= {r for r in _runs(mask, chromosomes) if r[1] - r[0] >= min_windows}
    # Overlapping spans of different groups are cut at every boundary, so that each feature
    # is a stretch of windows over which every group's state is one.
    cuts = sorted({b for span in spans for b in span})
    pieces = []
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=False):
        if any(a <= lo and hi <= b for a, b in spans) and chromosomes[lo] == chromosomes[hi - 1]:
            pieces.append(np.arange(lo, hi))
    return pieces


def reassign(labels: np.ndarray, profiles: np.ndarray, chromosomes: np.ndarray, *,
             reference: np.ndarray | None, min_difference: float, min_windows: int,
             max_rounds: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Merge groups no segment tells apart, then move cells to the group they match best.

    A cell's features are its mean profile over each segment found in some group (many genes
    per feature, so far less noisy than single windows); it joins the group whose centroid is
    nearest in those features, each feature scaled by its pooled within-group standard
    deviation (a Gaussian naive-Bayes rule with equal priors). Reference cells stay normal.
    Repeats until no cell moves. Returns the groups and, for every cell, the group it matched
    best in the last round (for reference cells: where they would have gone).
    """
    is_reference = np.zeros(labels.size, bool) if reference is None else reference
    labels = labels.copy()
    if reference is not None:
        labels[is_reference] = -1
    nearest = labels.copy()
    for _ in range(max_rounds):
        group_of, means = merge_clusters(labels, profiles, chromosomes,
                                         min_difference=min_difference, min_windows=min_windows)
        labels = np.array([group_of[c] for c in labels])
        groups = np.unique(labels)
        baseline = means[-1] if -1 in means else np.median(np.stack(list(means.values())), axis=0)
        pieces = _segment_windows(means, baseline, chromosomes, min_difference=min_difference,
                                  min_windows=min_windows)
        if not pieces or groups.size < 2:
            break
        features = np.stack([profiles[:, idx].mean(axis=1) for idx in pieces], axis=1)
        centroids = np.stack([features[labels == g].mean(axis=0) for g in groups])
        residual = features - centroids[np.searchsorted(groups, labels)]
        scale = residual.std(axis=0) + 1e-9
        distance = (((features[:, None, :] - centroids[None]) / scale) ** 2).sum(axis=2)
        nearest = groups[np.argmin(distance, axis=1)]
        moved = np.where(is_reference, -1, nearest)
        if np.array_equal(moved, labels):
            break
        labels = moved
    return labels, nearest


def segments_of(profile: np.ndarray, baseline: np.ndarray, windows: pd.DataFrame, *,
                min_difference: float, min_windows: int) -> list[dict]:
    """Gains and losses of ``profile`` against ``baseline``.

    A segment spans the genes of its windows: from the first window's first gene to the last
    window's last gene. Windows average ``window_size`` genes, so a segment can reach up to
    half a window past the altered stretch on each side (farther at a chromosome's ends, where
    no window is centred).
    """
    delta = profile - baseline
    chromosomes = windows["chromosome"].to_numpy()
    out = []
    for start, stop in _runs(np.abs(delta) > min_difference, chromosomes):
        if stop - start < min_windows:
            continue
        mean = float(delta[start:stop].mean())
        out.append({
            "chromosome": chromosomes[start],
            "start": int(windows["start"].iloc[start]),
            "end": int(windows["end"].iloc[stop - 1]),
            "n_windows": stop - start,
            "mean_change": mean,
            "kind": "gain" if mean > 0 else "loss",
        })
    return out


def call_clones(profiles, windows: pd.DataFrame, leiden: np.ndarray, *,
                reference: np.ndarray | None, min_difference: float, min_windows: int,
                min_cells: int, index: pd.Index) -> CnvCloneResult:
    """Clones from Leiden clusters of copy-number profiles (cells x windows)."""
    dense = profiles.toarray() if hasattr(profiles, "toarray") else np.asarray(profiles)
    chromosomes = windows["chromosome"].to_numpy()
    is_reference = np.zeros(dense.shape[0], bool) if reference is None else np.asarray(reference, bool)
    labels = _merge_small(np.asarray(leiden, dtype=int), dense, min_cells)
    labels, nearest = reassign(labels, dense, chromosomes,
                               reference=is_reference if reference is not None else None,
                               min_difference=min_difference, min_windows=min_windows)
    labels = _merge_small(labels, dense, min_cells)
    group_of, means = merge_clusters(labels, dense, chromosomes,
                                     min_difference=min_difference, min_windows=min_windows)
    groups = np.array([group_of[c] for c in labels])
    nearest = np.array([group_of.get(c, c) for c in nearest])
    # Reference cells are normal by the user's word; those that match a tumour clone better
    # are counted (a mislabelled reference or doublets) and kept normal.
    misplaced = {g: int(np.sum(is_reference & (nearest == g))) for g in means if g != -1}
    tumour = [g for g in means if g != -1]
    sizes = {g: int(np.sum(groups == g)) for g in tumour}
    order = sorted(tumour, key=lambda g: (-sizes[g], g))
    names = {g: f"cnv{k}" for k, g in enumerate(order, start=1)}
    names[-1] = NORMAL
    baseline = means[-1] if -1 in means else np.zeros(dense.shape[1])
    rows, segment_rows = [], []
    for g in ([-1] if -1 in means else []) + order:
        segs = [] if g == -1 else segments_of(
            means[g], baseline, windows, min_difference=min_difference, min_windows=min_windows)
        for s in segs:
            segment_rows.append({"clone": names[g], **s})
        rows.append({
            "clone": names[g],
            "n_cells": int(np.sum(groups == g)),
            # Which group each reference cell matches best (all stay normal); sums to all of them.
            "reference_cells_matching": (
                int(is_reference.sum()) - sum(misplaced.values()) if g == -1 else misplaced[g]
            ),
            "segments": "; ".join(
                f"{s['kind']} {s['chromosome']}:{s['start'] / 1e6:.1f}-{s['end'] / 1e6:.1f} Mb"
                for s in segs
            ),
        })
    assignment = pd.Series([names[g] for g in groups], index=index, name="cnv_clone")
    columns = ["clone", "chromosome", "start", "end", "n_windows", "mean_change", "kind"]
    return CnvCloneResult(
        assignment=assignment,
        clones=pd.DataFrame(rows),
        segments=pd.DataFrame(segment_rows, columns=columns),
    )


def check_log_expression(adata, layer: str | None) -> None:
    """Refuse raw counts: the inference compares log-normalised expression."""
    from oncoresist.sc._scoring import looks_like_counts

    matrix = adata.X if layer is None else adata.layers[layer]
    if looks_like_counts(matrix):
        where = "X" if layer is None else f"layers[{layer!r}]"
        msg = (
            f"adata.{where} holds raw counts; copy-number inference needs log-normalised "
            "expression: run oncoresist.sc.pp.normalise(adata) first"
        )
        raise InputError(msg, field="adata.X")
