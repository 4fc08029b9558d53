"""Shared single-cell fixtures: simulated data are built once per session (scanpy is slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

PC9 = Path(__file__).parents[1] / "data" / "sc" / "pc9_erlotinib_day11_subsample.h5ad"


@pytest.fixture(scope="session")
def simulated():
    """2,400 cells, pre-existing resistance, normalised and embedded (drug genes excluded)."""
    from oncoresist import sc as osc

    adata = osc.simulate(2400, n_genes=800, rng=11)
    osc.pp.normalise(adata)
    osc.pp.embed(adata, n_pcs=20, drug="erlotinib", umap=False, rng=0)
    return adata


@pytest.fixture(scope="session")
def scored(simulated):
    from oncoresist import sc as osc

    adata = simulated.copy()
    osc.tl.score_programs(
        adata,
        ["HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION", "HALLMARK_G2M_CHECKPOINT", "HALLMARK_HYPOXIA"],
        drug="erlotinib",
        rng=0,
    )
    return adata


@pytest.fixture(scope="session")
def pc9():
    import anndata as ad

    return ad.read_h5ad(PC9)
