"""Programme scores with expression-matched control genes (scanpy's ``score_genes``).

``scanpy.tl.score_genes`` implements Tirosh et al. (2016, Science 352:189): genes are binned by
mean expression and, for each programme gene, ``ctrl_size`` genes are drawn from the same bin;
the score is the mean of the programme minus the mean of the controls. This module chooses the
programmes, the genes present, the seeds and the input scale.

The scoring is scanpy's algorithm, batched: ``score_genes`` recomputes every gene's mean and
copies two column subsets of the matrix for each programme, which takes minutes for 50
programmes at 100,000 cells. Here the gene means and expression bins are computed once, the
control genes of each programme are drawn exactly as scanpy draws them (``numpy.random.seed``
then ``pandas.Series.sample``, i.e. ``RandomState(seed).permutation(n)[:ctrl_size]`` per bin, in
ascending bin order), and all programme and control means come from one sparse product. The
tests use ``scanpy.tl.score_genes`` with the same seed as the oracle (agreement to 1e-10).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from oncoresist._core import InputError, as_generator
from oncoresist.sc import _signatures


def looks_like_counts(matrix) -> bool:
    """True when the first rows are whole numbers (raw counts, not log-normalised values)."""
    block = matrix[: min(200, matrix.shape[0])]
    values = block.data if sp.issparse(block) else np.asarray(block).ravel()
    if values.size == 0:
        return False
    values = values[: 20000]
    return bool(np.all(values == np.round(values)) and values.max() > 1)


def log_normalised(matrix) -> sp.csr_matrix | np.ndarray:
    """log1p of counts scaled to 10,000 per cell (scanpy's normalize_total + log1p, on a copy)."""
    if sp.issparse(matrix):
        m = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
        totals = np.asarray(m.sum(axis=1)).ravel()
        scale = np.divide(1e4, totals, out=np.zeros_like(totals, dtype=float), where=totals > 0)
        m = sp.diags(scale.astype(np.float32)) @ m
        m.data = np.log1p(m.data)
        return sp.csr_matrix(m)
    m = np.asarray(matrix, dtype=np.float32)
    totals = m.sum(axis=1, keepdims=True)
    return np.log1p(np.divide(m * 1e4, totals, out=np.zeros_like(m), where=totals > 0))


def _nan_means(matrix, axis: int) -> np.ndarray:
    """Means ignoring NaN, computed as scanpy's ``score_genes`` computes them (float64 sums)."""
    if sp.issparse(matrix):
        nan = np.isnan(matrix.data)
        if nan.any():
            counts = sp.csr_matrix(matrix, copy=True)
            counts.data = np.isnan(counts.data).astype(np.int64)
            n_elements = matrix.shape[axis] - np.asarray(counts.sum(axis)).ravel()
            clean = matrix.copy()
            clean.data[np.isnan(clean.data)] = 0
        else:
            n_elements = matrix.shape[axis]
            clean = matrix
        return np.asarray(clean.sum(axis, dtype="float64")).ravel() / n_elements
    return np.asarray(np.nanmean(matrix, axis=axis)).ravel()


def expression_bins(matrix, var_names: pd.Index, n_bins: int) -> pd.Series:
    """Expression bin of every gene with a finite mean (scanpy's ``score_genes`` binning).

    Genes are ranked by mean expression (ties share the lowest rank) and the rank is divided,
    rounding down, by ``round(n_genes / (n_bins - 1))``.
    """
    means = pd.Series(_nan_means(matrix, axis=0), index=var_names)
    means = means[np.isfinite(means)]
    n_items = int(np.round(len(means) / (n_bins - 1)))
    return means.rank(method="min") // n_items


def control_genes(cut: pd.Series, gene_list: list[str], ctrl_size: int, seed: int) -> list[str]:
    """Control genes of one programme, drawn as ``scanpy.tl.score_genes(random_state=seed)`` does.

    For each bin holding a programme gene (ascending), ``ctrl_size`` genes of that bin are drawn
    without replacement (all of them when the bin is smaller), then the programme's own genes
    are removed; the union over bins is returned in sorted order.
    """
    state = np.random.RandomState(seed)
    values = cut.to_numpy()
    index = cut.index
    chosen: set[str] = set()
    for level in np.unique(cut.loc[gene_list].to_numpy()):
        members = index[values == level]
        if ctrl_size < len(members):
            # pandas' Series.sample(n) draws RandomState.choice(len, n, replace=False), which
            # is permutation(len)[:n].
            members = members[state.permutation(len(members))[:ctrl_size]]
        chosen.update(members)
    chosen.difference_update(gene_list)
    return sorted(chosen)


def set_means_difference(matrix, var_names: pd.Index, lists: dict[str, list[str]],
                         controls: dict[str, list[str]], *, chunk: int = 8192) -> np.ndarray:
    """Per cell, mean of each programme's genes minus mean of its controls (NaN ignored).

    One indicator matrix (genes x 2 programmes) and one product per block of cells replace
    scanpy's two column subsets per programme; sums are in float64.
    """
    n_sets = len(lists)
    indicator = np.zeros((len(var_names), 2 * n_sets))
    for j, name in enumerate(lists):
        indicator[var_names.get_indexer(lists[name]), 2 * j] = 1.0
        indicator[var_names.get_indexer(controls[name]), 2 * j + 1] = 1.0
    sizes = indicator.sum(axis=0)
    if sp.issparse(matrix) and matrix.format != "csr":
        matrix = sp.csr_matrix(matrix)
    out = np.empty((matrix.shape[0], n_sets))
    for start in range(0, matrix.shape[0], chunk):
        block = matrix[start : start + chunk]
        if sp.issparse(block):
            block = sp.csr_matrix(block, dtype=np.float64)
            nan = np.isnan(block.data)
            if nan.any():
                flags = block.copy()
                flags.data = nan.astype(np.float64)
                n_valid = sizes - np.asarray(flags @ indicator)
                block.data[nan] = 0.0
            else:
                n_valid = sizes
            sums = np.asarray(block @ indicator)
        else:
            block = np.asarray(block, dtype=np.float64)
            nan = np.isnan(block)
            n_valid = sizes - nan.astype(np.float64) @ indicator if nan.any() else sizes
            sums = np.where(nan, 0.0, block) @ indicator
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / n_valid
        out[start : start + chunk] = means[:, 0::2] - means[:, 1::2]
    return out


def resolve_programmes(programs) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    builtin = _signatures.builtin_programmes()
    sources = _signatures.programme_sources()
    if programs is None:
        return builtin, sources
    if isinstance(programs, str | os.PathLike) and Path(programs).suffix.lower() == ".gmt":
        sets = _signatures.read_gmt(programs)
        return sets, dict.fromkeys(sets, f"user file {Path(programs).name}")
    if isinstance(programs, str):
        programs = [programs]
    if isinstance(programs, Mapping):
        sets = {str(k): tuple(dict.fromkeys(map(str, v))) for k, v in programs.items()}
        return sets, dict.fromkeys(sets, "user gene list")
    if isinstance(programs, Sequence):
        unknown = [p for p in programs if p not in builtin]
        if unknown:
            msg = (
                f"unknown programme(s) {unknown}; use Hallmark names (e.g. "
                "HALLMARK_HYPOXIA), MAPK_OUTPUT_MPAS, a dict name -> genes, or a .gmt path"
            )
            raise InputError(msg, field="programs")
        return {p: builtin[p] for p in programs}, {p: sources[p] for p in programs}
    msg = f"programs must be None, names, a dict or a .gmt path; got {type(programs).__name__}"
    raise InputError(msg, field="programs")


def score(
    adata,
    programs,
    *,
    drug: str | None,
    gene_symbols: str | None,
    layer: str | None,
    ctrl_size: int,
    n_bins: int,
    min_genes: int,
    key_added: str,
    rng,
) -> dict:
    import anndata as ad

    sets, sources = resolve_programmes(programs)
    targets = {}
    if drug is not None:
        for out in _signatures.target_outputs(drug):
            name = f"target_{out.pathway}"
            sets[name] = _signatures.builtin_programmes()[out.programme]
            sources[name] = f"{out.programme}: {out.source}; chosen by the kb pathway graph"
            targets[name] = {"pathway": out.pathway, "programme": out.programme,
                             "effectors": list(out.effectors)}
        if not targets:
            msg = f"the knowledge base's pathway graph gives no scorable output pathway for {drug!r}"
            raise InputError(msg, field="drug")
    matrix = adata.layers[layer] if layer is not None else adata.X
    normalised = False
    if looks_like_counts(matrix):
        matrix = log_normalised(matrix)
        normalised = True
    names = adata.var[gene_symbols].astype(str) if gene_symbols else adata.var_names.astype(str)
    work = ad.AnnData(obs=pd.DataFrame(index=adata.obs_names),
                      var=pd.DataFrame(index=pd.Index(names).astype(str)))
    work.var_names_make_unique()
    var_names = pd.Index(work.var_names)
    present_all = set(var_names)
    gen = as_generator(rng)
    seeds = gen.integers(0, 2**31 - 1, size=len(sets))
    cut = expression_bins(matrix, var_names, n_bins)
    used, skipped, lists, controls, seed_of = {}, {}, {}, {}, {}
    for (name, genes), seed in zip(sets.items(), seeds, strict=True):
        present = [g for g in genes if g in present_all]
        if len(present) < min_genes:
            skipped[name] = f"{len(present)} of {len(genes)} genes present (< {min_genes})"
            continue
        gene_list = list(dict.fromkeys(present))
        control = control_genes(cut, gene_list, ctrl_size, int(seed))
        if not control:
            msg = (f"programme {name!r}: no control genes in the expression bins of its genes; "
                   "score fewer bins (n_bins) or more genes")
            raise InputError(msg, field="programs")
        lists[name], controls[name], seed_of[name] = gene_list, control, int(seed)
        used[name] = present
    columns = {}
    if lists:
        values = set_means_difference(matrix, var_names, lists, controls)
        for j, name in enumerate(lists):
            column = f"{key_added}_{name}"
            adata.obs[column] = values[:, j]
            columns[name] = column
    if not columns:
        msg = (
            "no programme has enough of its genes in the data (matched on "
            f"{'var[' + repr(gene_symbols) + ']' if gene_symbols else 'var_names'}); give gene "
            "symbols (e.g. gene_symbols='gene_symbol') or lower min_genes"
        )
        raise InputError(msg, field="programs")
    info = {
        "programmes": list(columns),
        "columns": columns,
        "genes_used": used,
        "n_genes_used": {k: len(v) for k, v in used.items()},
        "n_control_genes": {k: len(v) for k, v in controls.items()},
        "seeds": seed_of,
        "skipped": skipped,
        "sources": {k: sources[k] for k in columns},
        "targets": {k: v for k, v in targets.items() if k in columns},
        "params": {
            "drug": drug, "layer": layer, "gene_symbols": gene_symbols, "ctrl_size": ctrl_size,
            "n_bins": n_bins, "min_genes": min_genes,
            "seed": rng if isinstance(rng, int) else None,
            "input": "counts, log1p(CP10k) computed for scoring" if normalised else "as given",
            "method": ("scanpy.tl.score_genes algorithm (Tirosh et al. 2016 expression-binned "
                       "controls), all programmes batched; equal to scanpy's score_genes with "
                       "the same seed"),
        },
    }
    adata.uns[key_added] = info
    return info
