"""Preprocessing: reading count data and preparing it with scanpy.

Nothing here re-implements scanpy: :func:`normalise` and :func:`embed` call scanpy's
``normalize_total``/``log1p``, ``highly_variable_genes``, ``pca``, ``neighbors`` and ``umap`` with
the choices recorded in ``uns``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from oncoresist._core import InputError, as_generator

__all__ = ["embed", "normalise", "read"]


def _read_table(path: Path, cells_in_rows: bool) -> Any:
    import anndata as ad

    sep = "," if path.suffix.lower() in {".csv"} or path.name.lower().endswith(".csv.gz") else "\t"
    try:
        frame = pd.read_csv(path, sep=sep, index_col=0)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        msg = f"cannot read count table: {exc}; give a {'comma' if sep == ',' else 'tab'}-separated table with names in the first column"
        raise InputError(msg, path=str(path)) from None
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        msg = f"count table column {bad[0]!r} is not numeric; every column after the first must hold counts"
        raise InputError(msg, path=str(path), field=str(bad[0]))
    values = frame.to_numpy(dtype=np.float32)
    if np.any(values < 0) or not np.all(np.isfinite(values)):
        row = int(np.argwhere(~(values >= 0))[0][0]) + 2
        msg = "counts must be finite numbers >= 0"
        raise InputError(msg, path=str(path), line=row)
    if not cells_in_rows:
        frame = frame.T
        values = values.T
    return ad.AnnData(
        X=sp.csr_matrix(values),
        obs=pd.DataFrame(index=frame.index.astype(str)),
        var=pd.DataFrame(index=frame.columns.astype(str)),
    )


def read(path: str | os.PathLike[str], *, cells_in_rows: bool = False) -> Any:
    r"""Read single-cell counts: an ``.h5ad`` file, a 10x directory or ``.h5``, or a count table.

    Parameters
    ----------
    path
        ``.h5ad`` (anndata); a Cell Ranger ``filtered_feature_bc_matrix`` directory or
        ``.h5`` file (scanpy's readers); a ``.tsv``/``.csv`` (optionally ``.gz``) count table
        with names in the first column.
    cells_in_rows
        For count tables: cells are rows and genes columns (default: genes are rows, as in
        most GEO supplementary tables).

    Returns
    -------
    anndata.AnnData
        Cells x genes, counts in ``X``; the input file is not modified.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> table = pathlib.Path(tempfile.mkdtemp()) / "counts.tsv"
    >>> _ = table.write_text("gene\tcellA\tcellB\nEGFR\t3\t0\nDUSP6\t1\t2\n")
    >>> adata = read(table)
    >>> adata.shape, list(adata.var_names)
    ((2, 2), ['EGFR', 'DUSP6'])
    """
    import anndata as ad
    import scanpy as sc

    p = Path(path)
    if not p.exists():
        msg = f"no such file or directory: {p}; give an .h5ad, a 10x directory or a count table"
        raise InputError(msg, path=str(p))
    name = p.name.lower()
    if p.is_dir():
        if not any((p / f).exists() for f in ("matrix.mtx", "matrix.mtx.gz")):
            msg = "a 10x directory needs matrix.mtx(.gz), features.tsv(.gz) or genes.tsv and barcodes.tsv(.gz)"
            raise InputError(msg, path=str(p))
        return sc.read_10x_mtx(p)
    if name.endswith(".h5ad"):
        try:
            return ad.read_h5ad(p)
        except OSError as exc:
            msg = f"cannot read h5ad: {exc}"
            raise InputError(msg, path=str(p)) from None
    if name.endswith(".h5"):
        return sc.read_10x_h5(p)
    if name.endswith((".tsv", ".txt", ".csv", ".tsv.gz", ".txt.gz", ".csv.gz")):
        return _read_table(p, cells_in_rows)
    msg = f"unknown input format {p.suffix!r}; give .h5ad, a 10x directory/.h5, or .tsv/.csv counts"
    raise InputError(msg, path=str(p))


def normalise(
    adata: Any,
    *,
    target_sum: float = 1e4,
    counts_layer: str = "counts",
    copy: bool = False,
) -> Any:
    """Keep raw counts in a layer, then log1p of counts per ``target_sum`` (scanpy).

    Parameters
    ----------
    adata
        Raw counts in ``X``.
    target_sum
        Counts per cell after scaling.
    counts_layer
        Layer that keeps the raw counts.
    copy
        Work on a copy and return it.

    Returns
    -------
    None or anndata.AnnData
        The copy when ``copy`` is true.

    Examples
    --------
    >>> from oncoresist import sc as osc
    >>> adata = osc.simulate(200, n_genes=500, rng=0)
    >>> osc.pp.normalise(adata)
    >>> bool(abs(np.expm1(adata.X[0].toarray()).sum() - 1e4) < 1)
    True
    """
    import scanpy as sc

    target = adata.copy() if copy else adata
    from oncoresist.sc._scoring import looks_like_counts

    if not looks_like_counts(target.X):
        msg = "X does not hold raw counts (non-integer values): it looks normalised already"
        raise InputError(msg, field="adata.X")
    target.layers[counts_layer] = target.X.copy()
    sc.pp.normalize_total(target, target_sum=target_sum)
    sc.pp.log1p(target)
    target.uns["oncoresist_normalise"] = {"target_sum": target_sum, "counts_layer": counts_layer}
    return target if copy else None


def embed(
    adata: Any,
    *,
    n_top_genes: int = 2000,
    n_pcs: int = 30,
    n_neighbors: int = 30,
    exclude_genes: Any = None,
    drug: str | None = None,
    umap: bool = True,
    rng: int | np.random.Generator | None = 0,
    copy: bool = False,
) -> Any:
    """Highly variable genes, PCA, kNN graph and (optionally) UMAP, with scanpy.

    Parameters
    ----------
    adata
        Log-normalised data (see :func:`normalise`).
    n_top_genes
        Highly variable genes used for PCA (all genes when there are fewer).
    n_pcs
        Principal components kept in ``obsm['X_pca']``.
    n_neighbors
        k of the kNN graph (exact kNN by scikit-learn, reproducible; connectivities by scanpy's Gaussian
        kernel, which needs no compilation; UMAP uses them as they are).
    exclude_genes
        Genes kept out of the highly variable set, e.g. the drug's target-pathway output
        genes: every treated cell shows that acute on-target effect, and leaving it in would
        split the graph into treated and untreated halves instead of cell states.
    drug
        Exclude the output genes of this drug's target pathways (as chosen by
        :func:`oncoresist.sc.tl.score_programs` with ``drug``) as well.
    umap
        Also compute ``obsm['X_umap']``.
    rng
        Seed for PCA, the graph and UMAP.
    copy
        Work on a copy and return it.

    Returns
    -------
    None or anndata.AnnData
        The copy when ``copy`` is true.

    Examples
    --------
    >>> from oncoresist import sc as osc
    >>> adata = osc.simulate(300, n_genes=500, rng=0)
    >>> osc.pp.normalise(adata); osc.pp.embed(adata, n_pcs=10, drug="erlotinib", umap=False)
    >>> adata.obsm["X_pca"].shape
    (300, 10)
    """
    import scanpy as sc

    target = adata.copy() if copy else adata
    seed = int(as_generator(rng).integers(0, 2**31 - 1)) if not isinstance(rng, int) else rng
    n_top = min(n_top_genes, target.n_vars)
    sc.pp.highly_variable_genes(target, n_top_genes=n_top, flavor="seurat")
    wanted = set(map(str, exclude_genes)) if exclude_genes is not None else set()
    if drug is not None:
        from oncoresist.sc._signatures import builtin_programmes, target_outputs

        sets = builtin_programmes()
        for out in target_outputs(drug):
            wanted |= set(sets[out.programme])
    excluded = sorted(wanted & set(target.var_names))
    if excluded:
        target.var.loc[excluded, "highly_variable"] = False
    n_comps = min(n_pcs, target.n_obs - 1, n_top - 1)
    sc.pp.pca(target, n_comps=n_comps, mask_var="highly_variable", random_state=seed)
    sc.pp.neighbors(target, n_neighbors=n_neighbors, use_rep="X_pca", method="gauss", transformer="sklearn",
                    random_state=seed)
    if umap:
        sc.tl.umap(target, random_state=seed)
    target.uns["oncoresist_embed"] = {"n_top_genes": n_top, "n_pcs": n_comps,
                                      "n_neighbors": n_neighbors, "umap": umap, "seed": seed,
                                      "excluded_genes": excluded, "drug": drug}
    return target if copy else None
