"""Clone calls from lineage-barcode UMI counts (cells x barcodes), for ``tl.clones``.

Lineage-tracing libraries (LARRY, Weinreb et al. 2020 Science 367:eaaw3381; CellTag, Biddy et
al. 2018 Nature 564:219; ClonMapper, Watermelon and others) give a count of UMIs per cell and
barcode. Two calling rules, both stated in full so that users can reason about them:

- ``dominant`` (one barcode per clone; single-integration libraries): a cell's barcodes with at
  least ``min_umis`` UMIs are its *detected* barcodes; the cell is called with its top barcode
  when that barcode alone holds at least ``min_share`` of the UMIs of the detected barcodes
  and no other barcode has as many; otherwise it is ambiguous (a doublet, or ambient barcode
  reads) and left unassigned.
- ``combination`` (several integrations per cell, a clone is a barcode *set*): cells are linked
  when the Jaccard index of their detected sets reaches ``jaccard``, and clones are the
  connected components; a clone is named by its most frequent set (``BC1+BC7``).

Cells with no detected barcode are unassigned (missing), which ``tl.clones`` treats as
unbarcoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from oncoresist._core import InputError

METHODS = ("dominant", "combination")


@dataclass
class BarcodeCalls:
    """Clone per cell and a summary of how cells were called."""

    clone: pd.Series
    n_detected: pd.Series
    summary: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per cell: its clone (missing when unassigned) and detected barcodes."""
        return pd.DataFrame({"clone": self.clone, "n_barcodes": self.n_detected})


def counts_matrix(adata, counts) -> tuple[sp.csr_matrix, np.ndarray]:
    """Cells x barcodes UMI matrix aligned to ``adata.obs_names``, and the barcode names.

    ``counts``: a key of ``adata.obsm`` (a DataFrame, or an array with names in
    ``adata.uns[key + '_names']``), a wide DataFrame (cells x barcodes), a long DataFrame or
    TSV/CSV file with columns ``cell``, ``barcode``, ``umis``.
    """
    if isinstance(counts, str) and counts in adata.obsm:
        return _from_obsm(adata, counts)
    if isinstance(counts, str | Path):
        from oncoresist._core import read_table

        table = read_table(counts, required=["cell", "barcode", "umis"], types={"umis": "int"})
        return _from_long(adata, table, where=str(counts))
    if isinstance(counts, pd.DataFrame):
        if {"cell", "barcode", "umis"} <= set(counts.columns):
            return _from_long(adata, counts, where="the barcode table")
        wide = counts.reindex(adata.obs_names).fillna(0)
        return sp.csr_matrix(_check_counts(wide.to_numpy(dtype=float), "the barcode matrix")), \
            wide.columns.astype(str).to_numpy()
    msg = (
        "barcode counts must be an obsm key, a cells x barcodes DataFrame, or a long table "
        f"(cell, barcode, umis) as DataFrame or file; got {type(counts).__name__}"
    )
    raise InputError(msg, field="counts")


def _check_counts(values, where: str):
    values = values.data if sp.issparse(values) else values
    if np.any(values < 0) or not np.all(np.isfinite(values)):
        msg = f"{where} holds negative or non-finite UMI counts; give counts >= 0"
        raise InputError(msg, field="counts")
    return values


def _from_obsm(adata, key: str) -> tuple[sp.csr_matrix, np.ndarray]:
    matrix = adata.obsm[key]
    if isinstance(matrix, pd.DataFrame):
        names = matrix.columns.astype(str).to_numpy()
        matrix = matrix.to_numpy(dtype=float)
    else:
        names = adata.uns.get(f"{key}_names")
        if names is None:
            names = np.array([f"{key}_{i}" for i in range(matrix.shape[1])])
        names = np.asarray(names).astype(str)
        if names.size != matrix.shape[1]:
            msg = f"uns[{key + '_names'!r}] has {names.size} names for {matrix.shape[1]} barcode columns"
            raise InputError(msg, field=key)
    matrix = sp.csr_matrix(matrix, dtype=float)
    _check_counts(matrix, f"obsm[{key!r}]")
    return matrix, names


def _from_long(adata, table: pd.DataFrame, *, where: str) -> tuple[sp.csr_matrix, np.ndarray]:
    umis = pd.to_numeric(table["umis"], errors="coerce")
    if umis.isna().any() or (umis < 0).any():
        msg = f"{where}: column 'umis' must hold counts >= 0"
        raise InputError(msg, field="umis")
    cells = pd.Index(adata.obs_names)
    row = cells.get_indexer(table["cell"].astype(str))
    known = row >= 0
    if not known.any():
        msg = (
            f"{where}: none of its cells is in the AnnData (first: {str(table['cell'].iloc[0])!r}); "
            "use the same cell names as adata.obs_names"
        )
        raise InputError(msg, field="cell")
    codes, names = pd.factorize(table["barcode"].astype(str).to_numpy()[known])
    matrix = sp.csr_matrix((umis.to_numpy(dtype=float)[known], (row[known], codes)),
                           shape=(cells.size, names.size))
    matrix.sum_duplicates()
    return matrix, np.asarray(names)


def call_dominant(matrix: sp.csr_matrix, names: np.ndarray, *, min_umis: int,
                  min_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Clone per cell by the dominant-barcode rule (``None``: unassigned) and detected counts."""
    detected = matrix.multiply(matrix >= min_umis).tocsr()
    detected.eliminate_zeros()
    n_detected = np.diff(detected.indptr)
    clone = np.full(matrix.shape[0], None, dtype=object)
    for i in np.flatnonzero(n_detected):
        values = detected.data[detected.indptr[i]:detected.indptr[i + 1]]
        columns = detected.indices[detected.indptr[i]:detected.indptr[i + 1]]
        top = values.max()
        if np.sum(values == top) == 1 and top >= min_share * values.sum():
            clone[i] = names[columns[np.argmax(values)]]
    return clone, n_detected


def call_combinations(matrix: sp.csr_matrix, names: np.ndarray, *, min_umis: int,
                      jaccard: float) -> tuple[np.ndarray, np.ndarray]:
    """Clone per cell by linking cells whose detected barcode sets overlap (Jaccard)."""
    from scipy.sparse.csgraph import connected_components

    detected = (matrix >= min_umis).astype(np.float64).tocsr()
    detected.eliminate_zeros()
    n_detected = np.diff(detected.indptr)
    cells = np.flatnonzero(n_detected)
    clone = np.full(matrix.shape[0], None, dtype=object)
    if cells.size == 0:
        return clone, n_detected
    sub = detected[cells]
    # Cells of one clone mostly carry the very same set: link distinct sets, not cells, so a
    # clone of thousands of cells costs one node instead of millions of pairs.
    signature = np.array(["+".join(names[sub.indices[sub.indptr[k]:sub.indptr[k + 1]]])
                          for k in range(cells.size)], dtype=object)
    unique, first, which = np.unique(signature, return_index=True, return_inverse=True)
    sets = sub[first]
    shared = (sets @ sets.T).tocoo()  # barcodes in common, only for pairs sharing one
    sizes = np.diff(sets.indptr)
    union = sizes[shared.row] + sizes[shared.col] - shared.data
    keep = shared.data / union >= jaccard
    graph = sp.csr_matrix((np.ones(keep.sum()), (shared.row[keep], shared.col[keep])),
                          shape=(unique.size, unique.size))
    _, component = connected_components(graph, directed=False)
    # A clone is named by the set most of its cells carry.
    frame = pd.DataFrame({"component": component[which], "signature": signature})
    label = frame.groupby("component")["signature"].agg(lambda s: s.value_counts().index[0])
    clone[cells] = label.loc[component[which]].to_numpy()
    return clone, n_detected


def call_barcodes(adata, counts, *, method: str, min_umis: int, min_share: float,
                  jaccard: float) -> BarcodeCalls:
    """Read the counts, check the parameters and apply the chosen rule."""
    if method not in METHODS:
        msg = f"method must be one of {METHODS}; got {method!r}"
        raise InputError(msg, field="method")
    if min_umis < 1 or not 0 < min_share <= 1 or not 0 < jaccard <= 1:
        msg = f"need min_umis >= 1, 0 < min_share <= 1, 0 < jaccard <= 1; got {min_umis}, {min_share}, {jaccard}"
        raise InputError(msg, field="min_umis")
    matrix, names = counts_matrix(adata, counts)
    if method == "dominant":
        clone, n_detected = call_dominant(matrix, names, min_umis=min_umis, min_share=min_share)
    else:
        clone, n_detected = call_combinations(matrix, names, min_umis=min_umis, jaccard=jaccard)
    index = pd.Index(adata.obs_names)
    assigned = pd.notna(clone)
    summary = {
        "cells": int(index.size),
        "with_barcode": int(np.sum(n_detected > 0)),
        "assigned": int(assigned.sum()),
        "ambiguous": int(np.sum((n_detected > 0) & ~assigned)),
        "clones": int(pd.Series(clone[assigned]).nunique()),
        "barcodes": int(names.size),
    }
    return BarcodeCalls(
        clone=pd.Series(clone, index=index, name="clone"),
        n_detected=pd.Series(n_detected, index=index, name="n_barcodes"),
        summary=summary,
    )
