"""Genomic positions of human genes (GRCh38), for copy-number inference from expression.

The table ``data/gene_positions_hg38.tsv.gz`` (28,080 genes) comes from Bioconductor's
org.Hs.eg.db 3.16.0: NCBI Entrez Gene symbols, UCSC hg38 gene spans, Ensembl ids; how it was made
is in ``data/README.md`` and ``tools/build_gene_positions.py``. Genes are matched by Ensembl id
(var names ``ENSG...`` or a ``gene_ids`` column, as 10x writes them), then by current symbol,
then by an older symbol that names one gene only (so matrices made with older annotations, e.g.
AARS for AARS1, still place).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import InputError

POSITIONS_FILE = Path(__file__).parent / "data" / "gene_positions_hg38.tsv.gz"
POSITIONS_SOURCE = (
    "GRCh38 gene spans from Bioconductor org.Hs.eg.db 3.16.0 (NCBI Entrez Gene 2022-Sep12; "
    "UCSC hg38 2022-Aug31)"
)
POSITION_COLUMNS = ("chromosome", "start", "end")


@functools.cache
def gene_position_table() -> pd.DataFrame:
    """The shipped GRCh38 gene positions, one row per gene, in genome order."""
    return pd.read_csv(POSITIONS_FILE, sep="\t", dtype={"entrez_id": str, "ensembl_ids": str,
                                                        "aliases": str})


@functools.cache
def _lookups() -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    table = gene_position_table()
    by_symbol = {s: i for i, s in enumerate(table["symbol"])}
    by_ensembl: dict[str, int] = {}
    by_alias: dict[str, int] = {}
    for column, target in (("ensembl_ids", by_ensembl), ("aliases", by_alias)):
        for i, names in enumerate(table[column]):
            if isinstance(names, str):
                for name in names.split(";"):
                    target.setdefault(name, i)
    return by_symbol, by_ensembl, by_alias


def locate_genes(names, ensembl_ids=None) -> pd.DataFrame:
    """``chromosome``, ``start``, ``end`` of each gene (missing where it cannot be placed)."""
    by_symbol, by_ensembl, by_alias = _lookups()
    names = pd.Index(names).astype(str)
    ids = names if ensembl_ids is None else pd.Index(ensembl_ids).astype(str)
    ids = ids.str.replace(r"\.\d+$", "", regex=True)  # ENSG00000146648.18 -> ENSG00000146648
    rows = np.full(len(names), -1)
    for k, (name, gene_id) in enumerate(zip(names, ids, strict=True)):
        for key, lookup in ((gene_id, by_ensembl), (name, by_symbol), (name, by_alias)):
            row = lookup.get(key)
            if row is not None:
                rows[k] = row
                break
    table = gene_position_table()
    found = rows >= 0
    out = pd.DataFrame(index=names)
    out["chromosome"] = pd.Series(pd.NA, index=names, dtype="object")
    out.loc[found, "chromosome"] = table["chromosome"].to_numpy()[rows[found]]
    for column in ("start", "end"):
        values = np.full(len(names), np.nan)
        values[found] = table[column].to_numpy()[rows[found]]
        out[column] = pd.array(values, dtype="Int64")
    return out


def place_genes(var: pd.DataFrame, *, min_placed: int = 500) -> pd.DataFrame:
    """Positions for ``var`` (an AnnData's gene table): its own columns if it has them.

    A ``var`` that already holds ``chromosome``, ``start`` and ``end`` is used as given (the
    user's own annotation wins; Ensembl-style names such as ``7`` become ``chr7``). Otherwise genes are placed with the shipped table. Fewer than
    ``min_placed`` placed genes is refused: expression-based copy-number inference averages
    about a hundred neighbouring genes per window and needs genes along every chromosome.
    """
    if set(POSITION_COLUMNS) <= set(var.columns):
        placed = var.loc[:, list(POSITION_COLUMNS)].copy()
        names = placed["chromosome"].astype("object")
        # Ensembl writes "7", UCSC "chr7"; the inference keeps only "chr" names.
        bare = names.notna() & ~names.astype(str).str.startswith("chr")
        placed["chromosome"] = names.where(~bare, "chr" + names.astype(str))
        source = "adata.var"
    else:
        ids = var["gene_ids"] if "gene_ids" in var.columns else None
        placed = locate_genes(var.index, ids)
        source = POSITIONS_SOURCE
    n_placed = int(placed["chromosome"].notna().sum())
    if n_placed < min_placed:
        msg = (
            f"only {n_placed} of {len(var)} genes have a genomic position (need {min_placed}); "
            "give human gene symbols or Ensembl ids as var names (or a 'gene_ids' column), or add "
            "'chromosome' ('chr1'...), 'start' and 'end' columns to adata.var (e.g. from your GTF "
            "with infercnvpy.io.genomic_position_from_gtf)"
        )
        raise InputError(msg, field="adata.var")
    placed.attrs["source"] = source
    return placed
