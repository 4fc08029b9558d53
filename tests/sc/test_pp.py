"""Reading inputs and preprocessing."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from oncoresist import sc as osc
from oncoresist._core import InputError


def test_read_10x_directory(tmp_path):
    counts = sp.csr_matrix(np.array([[1, 0, 3], [0, 2, 0]]))  # genes x cells
    folder = tmp_path / "filtered_feature_bc_matrix"
    folder.mkdir()
    with gzip.open(folder / "matrix.mtx.gz", "wb") as handle:
        scipy.io.mmwrite(handle, counts)
    with gzip.open(folder / "features.tsv.gz", "wt") as handle:
        handle.write("ENSG1\tEGFR\tGene Expression\nENSG2\tDUSP6\tGene Expression\n")
    with gzip.open(folder / "barcodes.tsv.gz", "wt") as handle:
        handle.write("AAA-1\nCCC-1\nGGG-1\n")
    adata = osc.pp.read(folder)
    assert adata.shape == (3, 2)
    assert list(adata.var_names) == ["EGFR", "DUSP6"]
    assert adata.X[0, 0] == 1
    assert adata.X[2, 0] == 3


def test_read_table_cells_in_rows_and_errors(tmp_path):
    table = tmp_path / "counts.csv"
    table.write_text("cell,EGFR,DUSP6\nc1,1,0\nc2,-4,2\n")
    with pytest.raises(InputError, match="line 3"):
        osc.pp.read(table, cells_in_rows=True)
    table.write_text("cell,EGFR,DUSP6\nc1,1,0\nc2,4,2\n")
    adata = osc.pp.read(table, cells_in_rows=True)
    assert adata.shape == (2, 2)
    (tmp_path / "x.xlsx").write_text("")
    with pytest.raises(InputError, match="unknown input format"):
        osc.pp.read(tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="no such file"):
        osc.pp.read(tmp_path / "missing.h5ad")


def test_normalise_refuses_normalised_data(simulated):
    with pytest.raises(InputError, match="normalised already"):
        osc.pp.normalise(simulated, copy=True)


def test_embed_excludes_target_output_genes(simulated):
    excluded = simulated.uns["oncoresist_embed"]["excluded_genes"]
    assert "DUSP6" in excluded
    assert not simulated.var.loc["DUSP6", "highly_variable"]
