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


def test_embed_graph_equals_scanpy_neighbors(simulated):
    # Oracle: scanpy.pp.neighbors with the same settings, on the same PCA; the vectorised
    # connectivities must be scanpy's exactly, and uns/obsp written as scanpy writes them.
    import scanpy as sc

    ref = simulated.copy()
    seed = simulated.uns["oncoresist_embed"]["seed"]
    sc.pp.neighbors(ref, n_neighbors=30, use_rep="X_pca", method="gauss", transformer="sklearn",
                    random_state=seed)
    for key in ("distances", "connectivities"):
        ours, theirs = simulated.obsp[key], ref.obsp[key]
        np.testing.assert_array_equal(ours.indptr, theirs.indptr)
        np.testing.assert_array_equal(ours.indices, theirs.indices)
        np.testing.assert_array_equal(ours.data, theirs.data)
    assert dict(simulated.uns["neighbors"]["params"]) == dict(ref.uns["neighbors"]["params"])


def test_exact_pca_agrees_with_scanpy_arpack(simulated):
    # Both solve the same eigenproblem; ARPACK works on float32 data, the covariance route in
    # float64, so components agree to float32 precision: |correlation| > 0.9999 per component
    # (observed > 0.999999 for the top 20 at 20,000 cells), and the explained variance to 1e-4.
    arpack = simulated.copy()
    osc.pp.embed(arpack, n_pcs=20, drug="erlotinib", umap=False, svd_solver="arpack", rng=0)
    assert simulated.uns["oncoresist_embed"]["svd_solver"] == "covariance_eigh"
    a, b = simulated.obsm["X_pca"], arpack.obsm["X_pca"]
    assert a.shape == b.shape
    corr = [np.corrcoef(a[:, k], b[:, k])[0, 1] for k in range(a.shape[1])]
    assert min(corr) > 0.9999, corr  # same sign convention too
    np.testing.assert_allclose(simulated.uns["pca"]["variance"], arpack.uns["pca"]["variance"],
                               rtol=1e-4)
    assert simulated.varm["PCs"].shape == arpack.varm["PCs"].shape
    with pytest.raises(InputError, match="svd_solver"):
        osc.pp.embed(simulated, svd_solver="lobpcg", copy=True)
