"""Programme scores separate the planted states; the target output follows the drug."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from oncoresist import sc as osc
from oncoresist._core import InputError


def _auc(high, low):
    """Probability that a random `high` value exceeds a random `low` one (Mann-Whitney U / n1 n2)."""
    u = stats.mannwhitneyu(high, low).statistic
    return u / (len(high) * len(low))


# Required separation: AUC >= 0.95 for a planted 4-fold programme (stated requirement of the
# issue: "programme scores separate planted states").
AUC_MIN = 0.95


def test_emt_score_separates_persisters(scored):
    obs = scored.obs
    emt = obs["programs_HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION"]
    assert _auc(emt[obs.true_state == "persister"], emt[obs.true_state != "persister"]) >= AUC_MIN


def test_g2m_score_separates_cycling_cells(scored):
    obs = scored.obs
    g2m = obs["programs_HALLMARK_G2M_CHECKPOINT"]
    assert _auc(g2m[obs.true_state == "cycling"], g2m[obs.true_state != "cycling"]) >= AUC_MIN


def test_unplanted_programme_does_not_separate(scored):
    # Hypoxia genes carry no planted effect (except those shared with EMT/G2M, which move it a
    # little): no AUC near the planted ones.
    obs = scored.obs
    hyp = obs["programs_HALLMARK_HYPOXIA"]
    assert _auc(hyp[obs.true_state == "sensitive"], hyp[obs.true_state == "cycling"]) < 0.8


def test_target_output_is_chosen_by_the_kb_and_follows_the_drug(scored):
    info = scored.uns["programs"]
    assert info["targets"]["target_MAPK"]["programme"] == "MAPK_OUTPUT_MPAS"
    obs = scored.obs
    mapk = obs["programs_target_MAPK"]
    sens = obs.true_state == "sensitive"
    # Planted: MPAS genes at 0.2x in treated sensitive cells.
    assert _auc(mapk[sens & (obs.condition == "control")], mapk[sens & (obs.condition == "drug")]) >= AUC_MIN
    # Planted re-activation: treated persisters keep the output on.
    pers_drug = (obs.true_state == "persister") & (obs.condition == "drug")
    assert _auc(mapk[pers_drug], mapk[sens & (obs.condition == "drug")]) >= AUC_MIN


def test_records_parameters_and_does_not_touch_counts(simulated):
    adata = simulated.copy()
    before = adata.layers["counts"].copy()
    out = osc.tl.score_programs(adata, {"mine": ["SPRY4", "DUSP6", "ETV5", "NOPE"]}, copy=True)
    assert "programs_mine" not in adata.obs  # copy=True leaves the input alone
    assert out.uns["programs"]["genes_used"]["mine"] == ["SPRY4", "DUSP6", "ETV5"]
    assert out.uns["programs"]["params"]["ctrl_size"] == 50
    assert (adata.layers["counts"] != before).nnz == 0


def test_same_seed_same_scores(simulated):
    a = osc.tl.score_programs(simulated, ["HALLMARK_HYPOXIA"], rng=5, copy=True)
    b = osc.tl.score_programs(simulated, ["HALLMARK_HYPOXIA"], rng=5, copy=True)
    np.testing.assert_array_equal(a.obs["programs_HALLMARK_HYPOXIA"], b.obs["programs_HALLMARK_HYPOXIA"])


def test_errors_name_the_fix(simulated):
    with pytest.raises(InputError, match="unknown programme"):
        osc.tl.score_programs(simulated, ["HALLMARK_NOT_A_SET"], copy=True)
    with pytest.raises(InputError, match="gene_symbols"):
        osc.tl.score_programs(simulated, {"x": ["A1", "A2", "A3"]}, copy=True)
    with pytest.raises(InputError, match="AnnData"):
        osc.tl.score_programs(np.zeros((3, 3)))


def test_gmt_file_programmes(tmp_path, simulated):
    gmt = tmp_path / "mine.gmt"
    gmt.write_text("MINE\tdesc\tSPRY4\tDUSP6\tETV5\n")
    out = osc.tl.score_programs(simulated, gmt, copy=True)
    assert "programs_MINE" in out.obs
    bad = tmp_path / "bad.gmt"
    bad.write_text("ONLYNAME\n")
    with pytest.raises(InputError, match="line 1"):
        osc.tl.score_programs(simulated, bad, copy=True)


def _scanpy_scores(adata, info, matrix):
    """scanpy.tl.score_genes, one programme at a time, with the seed recorded for each (oracle)."""
    import anndata as ad
    import pandas as pd
    import scanpy as sc

    work = ad.AnnData(X=matrix, obs=pd.DataFrame(index=adata.obs_names),
                      var=pd.DataFrame(index=adata.var_names))
    out = {}
    for name, genes in info["genes_used"].items():
        sc.tl.score_genes(work, genes, ctrl_size=info["params"]["ctrl_size"],
                          n_bins=info["params"]["n_bins"], score_name="s",
                          random_state=info["seeds"][name])
        out[name] = work.obs["s"].to_numpy()
    return out


@pytest.mark.parametrize(("ctrl_size", "n_bins"), [(50, 25), (10, 10)])
def test_batched_scores_equal_scanpy_score_genes_in_float64(simulated, ctrl_size, n_bins):
    # On float64 data scanpy sums in float64 as we do, so the batched scores must reproduce
    # scanpy's per-programme loop (same bins, same random controls for the same seed) to
    # rounding error: any different control gene would move a score by ~1e-2.
    import scipy.sparse as sp

    adata = simulated.copy()
    adata.X = sp.csr_matrix(adata.X, dtype=np.float64)
    info = osc.tl.score_programs(adata, drug="erlotinib", ctrl_size=ctrl_size, n_bins=n_bins, rng=3)
    assert len(info["columns"]) >= 20
    oracle = _scanpy_scores(adata, info, adata.X)
    for name, column in info["columns"].items():
        np.testing.assert_allclose(adata.obs[column], oracle[name], rtol=0, atol=1e-10)


def test_batched_scores_match_scanpy_on_float32_and_dense(simulated):
    # On float32 sparse data scipy's row sums inside scanpy accumulate in float32 (np.add.reduceat
    # on the data array), ours in float64: the difference is float32 rounding, at most
    # m * 2^-24 * max|x| for a mean of m <= 200 genes with log-normalised values < 8, i.e.
    # < 1e-4 (observed ~1e-6); a wrong control gene would move a score by ~1e-2.
    adata = simulated.copy()
    names = ["HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION", "HALLMARK_HYPOXIA",
             "HALLMARK_G2M_CHECKPOINT", "MAPK_OUTPUT_MPAS"]
    info = osc.tl.score_programs(adata, names, rng=8)
    oracle = _scanpy_scores(adata, info, adata.X)
    for name, column in info["columns"].items():
        np.testing.assert_allclose(adata.obs[column], oracle[name], rtol=0, atol=1e-4)
    dense = simulated.copy()
    dense.X = dense.X.toarray().astype(np.float64)
    info = osc.tl.score_programs(dense, names, rng=8)
    oracle = _scanpy_scores(dense, info, dense.X)
    for name, column in info["columns"].items():
        np.testing.assert_allclose(dense.obs[column], oracle[name], rtol=0, atol=1e-10)


def test_missing_values_are_ignored_as_scanpy_ignores_them(simulated):
    import scipy.sparse as sp

    adata = simulated[:400].copy()
    x = adata.X.toarray().astype(np.float64)
    x[np.random.default_rng(0).random(x.shape) < 0.02] = np.nan
    adata.X = sp.csr_matrix(x)
    info = osc.tl.score_programs(adata, ["HALLMARK_HYPOXIA", "MAPK_OUTPUT_MPAS"], rng=2)
    oracle = _scanpy_scores(adata, info, adata.X)
    for name, column in info["columns"].items():
        np.testing.assert_allclose(adata.obs[column], oracle[name], rtol=0, atol=1e-10)
