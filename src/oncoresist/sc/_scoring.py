"""Programme scores with expression-matched control genes (scanpy's ``score_genes``).

``scanpy.tl.score_genes`` implements Tirosh et al. (2016, Science 352:189): genes are binned by
mean expression and, for each programme gene, ``ctrl_size`` genes are drawn from the same bin;
the score is the mean of the programme minus the mean of the controls. This module chooses the
programmes, the genes present, the seeds and the input scale; the scoring is scanpy's.
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
    import scanpy as sc

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
    work = ad.AnnData(X=matrix, obs=pd.DataFrame(index=adata.obs_names),
                      var=pd.DataFrame(index=pd.Index(names).astype(str)))
    work.var_names_make_unique()
    present_all = set(work.var_names)
    gen = as_generator(rng)
    seeds = gen.integers(0, 2**31 - 1, size=len(sets))
    columns, used, skipped = {}, {}, {}
    for (name, genes), seed in zip(sets.items(), seeds, strict=True):
        present = [g for g in genes if g in present_all]
        if len(present) < min_genes:
            skipped[name] = f"{len(present)} of {len(genes)} genes present (< {min_genes})"
            continue
        column = f"{key_added}_{name}"
        sc.tl.score_genes(work, present, ctrl_size=ctrl_size, n_bins=n_bins,
                          score_name="_score", random_state=int(seed))
        adata.obs[column] = work.obs["_score"].to_numpy()
        columns[name] = column
        used[name] = present
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
        "skipped": skipped,
        "sources": {k: sources[k] for k in columns},
        "targets": {k: v for k, v in targets.items() if k in columns},
        "params": {
            "drug": drug, "layer": layer, "gene_symbols": gene_symbols, "ctrl_size": ctrl_size,
            "n_bins": n_bins, "min_genes": min_genes,
            "seed": rng if isinstance(rng, int) else None,
            "input": "counts, log1p(CP10k) computed for scoring" if normalised else "as given",
            "method": "scanpy.tl.score_genes (Tirosh et al. 2016 expression-binned controls)",
        },
    }
    adata.uns[key_added] = info
    return info
