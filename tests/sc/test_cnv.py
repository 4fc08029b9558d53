"""Clones without barcodes: gene positions, the merge rule, and clones recovered from copy number.

The truth is planted by ``osc.simulate_cnv`` (normal cells plus clones A, B, C sharing a 1q
gain and a chromosome-13 loss; A loses 9p, B gains 8q, C gains 7q and loses 17p and is the
clone the drug selects). Required recovery, stated before looking at any output:

- exactly three tumour clones besides the normal group, one-to-one with A, B, C (majority);
- adjusted Rand index >= 0.80 between called and true clones over tumour cells;
- >= 98% of normal cells called normal and <= 3% of tumour cells called normal;
- every planted event found in its clone (same chromosome and direction, the called segment
  covering at least half of the planted interval), and no segment on a chromosome where the
  clone has no event;
- ``tl.clones`` on the copy-number labels calls the clone matched to C, and only it, a
  persister clone (it goes from 15% to 60% of tumour cells under drug).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from oncoresist import sc as osc
from oncoresist._core import InputError
from oncoresist.sc import _cnv
from oncoresist.sc._positions import locate_genes, place_genes

ARI_MIN = 0.80
NORMAL_RECALL_MIN = 0.98
TUMOUR_AS_NORMAL_MAX = 0.03


# --- gene positions -----------------------------------------------------------------------


def test_known_genes_sit_where_ncbi_gene_puts_them():
    # NCBI Gene, GRCh38 (NC_000007.14): EGFR (Gene ID 1956) 55,019,017..55,211,628;
    # MET (Gene ID 4233) 116,672,196..116,798,377.
    table = locate_genes(["EGFR", "MET"])
    assert table.loc["EGFR"].tolist() == ["chr7", 55_019_017, 55_211_628]
    assert table.loc["MET"].tolist() == ["chr7", 116_672_196, 116_798_377]
    # Cytogenetic bands: TP53 17p13.1, CDKN2A 9p21.3 (9p ends near 43 Mb), MYC 8q24.21.
    more = locate_genes(["TP53", "CDKN2A", "MYC"])
    assert more.loc["TP53", "chromosome"] == "chr17"
    assert more.loc["TP53", "start"] < 24_000_000
    assert more.loc["CDKN2A", "chromosome"] == "chr9"
    assert more.loc["CDKN2A", "end"] < 43_000_000
    assert more.loc["MYC", "chromosome"] == "chr8"
    assert more.loc["MYC", "start"] > 120_000_000


def test_genes_are_found_by_ensembl_id_and_older_symbol():
    by_id = locate_genes(["egfr_by_id"], ensembl_ids=["ENSG00000146648.18"])  # version dropped
    assert by_id.iloc[0].tolist() == ["chr7", 55_019_017, 55_211_628]
    # AARS was renamed AARS1 (HGNC); matrices made with older annotations still place.
    old, new = locate_genes(["AARS", "AARS1"]).to_numpy()
    assert old.tolist() == new.tolist()
    assert old[0] == "chr16"
    assert locate_genes(["NOT_A_GENE"])["chromosome"].isna().all()


def test_positions_in_var_are_used_as_given():
    var = pd.DataFrame({"chromosome": ["chr1"] * 600, "start": np.arange(600) * 1000,
                        "end": np.arange(600) * 1000 + 500}, index=[f"g{i}" for i in range(600)])
    placed = place_genes(var)
    assert placed.attrs["source"] == "adata.var"
    assert placed["start"].tolist() == var["start"].tolist()
    ensembl_style = place_genes(var.assign(chromosome="1"))  # Ensembl GTFs write "1"
    assert set(ensembl_style["chromosome"]) == {"chr1"}


def test_too_few_placed_genes_are_refused():
    var = pd.DataFrame(index=[f"SIM{i:05d}" for i in range(800)])
    with pytest.raises(InputError, match=r"only 0 of 800 genes have a genomic position"):
        place_genes(var)


# --- the merge rule ----------------------------------------------------------------------


def test_runs_stay_within_a_chromosome():
    mask = np.array([1, 1, 0, 1, 1, 1, 1, 0], dtype=bool)
    chromosomes = np.array(["chr1"] * 5 + ["chr2"] * 3)
    # By hand: windows 0-1 (chr1), 3-4 (chr1, cut at the chromosome end), 5-6 (chr2).
    assert _cnv._runs(mask, chromosomes) == [(0, 2), (3, 5), (5, 7)]


def test_a_cut_through_one_population_is_not_two_populations():
    # A threshold cut of one Gaussian: the two halves fitted as a mixture describe the data
    # worse than the Gaussian itself (the single Gaussian is the true model).
    x = np.random.default_rng(0).normal(size=4000)
    assert not _cnv.two_populations(x, x > np.median(x))


def test_two_separated_populations_are_two():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1, 2000), rng.normal(5, 1, 2000)])
    assert _cnv.two_populations(x, np.arange(4000) < 2000)


# --- recovery of planted clones ----------------------------------------------------------


def _analyse(seed):
    adata = osc.simulate_cnv(3000, rng=seed)
    osc.pp.normalise(adata)
    result = osc.tl.cnv_clones(adata, "cell_type", "normal", rng=seed)
    return adata, result


def _matching(adata, result):
    """Called clone -> true clone (majority of its cells)."""
    table = pd.crosstab(result.assignment, adata.obs["true_cnv_clone"])
    return {called: table.loc[called].idxmax() for called in table.index if called != "normal"}


def _check_recovery(adata, result):
    truth = adata.obs["true_cnv_clone"].astype(str)
    called = result.assignment
    matching = _matching(adata, result)
    assert sorted(matching.values()) == ["A", "B", "C"], matching
    tumour = (truth != "normal").to_numpy()
    assert adjusted_rand_score(truth[tumour], called[tumour]) >= ARI_MIN
    assert (called[~tumour] == "normal").mean() >= NORMAL_RECALL_MIN
    assert (called[tumour] == "normal").mean() <= TUMOUR_AS_NORMAL_MAX

    events = pd.DataFrame(adata.uns["simulation"]["events"])
    segments = result.segments
    for clone, true_clone in matching.items():
        planted = events.loc[events["clone"].isin(["*", true_clone])]
        found = segments.loc[segments["clone"] == clone]
        assert set(found["chromosome"]) <= set(planted["chromosome"]), (clone, found)
        for event in planted.itertuples():
            kind = "gain" if event.copies > 2 else "loss"
            hits = found.loc[(found["chromosome"] == event.chromosome) & (found["kind"] == kind)]
            covered = (np.minimum(hits["end"], event.end) - np.maximum(hits["start"], event.start)
                       ) / (event.end - event.start)
            assert (covered >= 0.5).any(), (clone, event.label)


@pytest.fixture(scope="module")
def analysed():
    return _analyse(1)


def test_planted_clones_are_recovered(analysed):
    _check_recovery(*analysed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 3, 4, 5])
def test_planted_clones_are_recovered_on_more_seeds(seed):
    _check_recovery(*_analyse(seed))


def test_copy_number_clones_feed_clone_fitness(analysed):
    adata, result = analysed
    fitness = osc.tl.clones(adata, "cnv_clone", sample_key="sample", condition_key="condition",
                            control="control", treated="drug", time_key="time", min_cells=20)
    matching = _matching(adata, result)
    assert [matching[c] for c in fitness.persisters()] == ["C"]


def test_results_go_into_the_anndata(analysed):
    adata, result = analysed
    info = adata.uns["cnv_clone"]
    assert info["params"]["reference_cat"] == "normal"
    assert info["params"]["genes_placed"] == adata.n_vars  # simulated genes come from the table
    assert adata.obsm["X_cnv"].shape[0] == adata.n_obs
    status = adata.obs["cnv_clone_status"]
    assert (adata.obs["cnv_clone"].isna() == (status == "normal")).all()
    assert int(result.clones["reference_cells_matching"].sum()) == int((adata.obs.cell_type == "normal").sum())


def test_same_seed_same_clones_and_input_untouched():
    adata = osc.simulate_cnv(600, n_genes=6000, rng=2)
    osc.pp.normalise(adata)
    before = adata.copy()
    first = osc.tl.cnv_clones(adata, "cell_type", "normal", rng=5, copy=True)
    second = osc.tl.cnv_clones(adata, "cell_type", "normal", rng=5, copy=True)
    assert first.obs["cnv_clone"].equals(second.obs["cnv_clone"])
    assert "cnv_clone" not in adata.obs.columns
    assert list(adata.var.columns) == list(before.var.columns)


def test_raw_counts_and_bad_reference_are_refused():
    adata = osc.simulate_cnv(400, n_genes=2000, rng=0)
    with pytest.raises(InputError, match="raw counts"):
        osc.tl.cnv_clones(adata, "cell_type", "normal")
    osc.pp.normalise(adata)
    with pytest.raises(InputError, match="no column 'tissue'"):
        osc.tl.cnv_clones(adata, "tissue", "normal")
    with pytest.raises(InputError, match=r"no cells labelled \['stroma'\]"):
        osc.tl.cnv_clones(adata, "cell_type", "stroma")
    with pytest.raises(InputError, match="give both"):
        osc.tl.cnv_clones(adata, "cell_type")


def test_copy_number_graph_is_scanpys_and_leaves_the_expression_graph_alone(analysed):
    import scanpy as sc

    adata, _ = analysed
    assert "cnv_neighbors_connectivities" in adata.obsp
    assert "connectivities" not in adata.obsp  # no expression graph was made: none overwritten
    oracle = sc.pp.neighbors(adata, n_neighbors=15, use_rep="X_cnv_pca", method="gauss",
                             transformer="sklearn", random_state=1, copy=True)
    difference = oracle.obsp["connectivities"] - adata.obsp["cnv_neighbors_connectivities"]
    assert abs(difference).max() < 1e-6
