"""Real data: PC9 (EGFR exon-19 deletion) cells after 11 days of erlotinib, two replicates.

Subsample of GSE149214 (Aissa et al. 2021, Nat Commun 12:1628): 300 cells per replicate
(tests/data/README.md). Both replicates are erlotinib-treated; there is no untreated arm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from oncoresist import sc as osc

# MPAS genes that are immediate ERK-induced transcripts (feedback regulators and ETS factors;
# Pratilas et al. 2009 PNAS 106:4519; Wagle et al. 2018 npj Precis Oncol 2:7).
ERK_IMMEDIATE = ["DUSP6", "SPRY4", "ETV4", "ETV5"]


@pytest.fixture(scope="module")
def pc9_scored(pc9):
    adata = pc9.copy()
    osc.tl.score_programs(adata, drug="erlotinib", rng=0)
    return adata


def test_replicates_give_consistent_programme_scores(pc9_scored):
    """Replicate consistency, with thresholds from Cohen's (1988) effect-size conventions.

    For every programme, the standardised difference of the two replicates' mean scores
    (Cohen's d, pooled SD) must be below 0.5, Cohen's "medium" effect: the replicates may differ
    by small effects (sequencing depth differs: median ~84 vs ~104 UMIs) but not more. Across
    programmes, the replicate means must agree (Pearson r >= 0.9): the same programmes are high
    or low in both.
    """
    info = pc9_scored.uns["programs"]
    rep = pc9_scored.obs["replicate"].to_numpy()
    rows = []
    for name, column in info["columns"].items():
        x = pc9_scored.obs[column].to_numpy()
        a, b = x[rep == "rep1"], x[rep == "rep2"]
        pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
        rows.append((name, a.mean(), b.mean(), (a.mean() - b.mean()) / pooled))
    table = pd.DataFrame(rows, columns=["programme", "rep1", "rep2", "d"])
    assert len(table) >= 50
    assert (table["d"].abs() < 0.5).all(), table.loc[table["d"].abs() >= 0.5]
    assert stats.pearsonr(table["rep1"], table["rep2"]).statistic >= 0.9


def test_mapk_output_is_low_under_erlotinib(pc9_scored, pc9):
    """Why low: erlotinib blocks EGFR kinase activity in EGFR-mutant PC9, and ERK then stops
    inducing its immediate transcriptional targets (DUSP6, SPRY4, ETV4, ETV5), the genes of the
    MAPK Pathway Activity Score. The drug inhibits the receptor's kinase, not its transcription,
    so EGFR mRNA stays. The test: (1) the kb pathway graph makes MAPK output the readout of
    erlotinib; (2) in each replicate the target itself (EGFR) is detected in more cells than all
    four immediate ERK targets together, i.e. target present, output silent; (3) those ERK targets
    lie in the lower half of all genes by mean expression.
    """
    info = pc9_scored.uns["programs"]
    assert info["targets"]["target_MAPK"]["programme"] == "MAPK_OUTPUT_MPAS"
    X = pc9.X.tocsc()
    names = pc9.var_names
    rep = pc9.obs["replicate"].to_numpy()
    mean = np.asarray(X.mean(axis=0)).ravel()
    rank_pct = pd.Series(mean, index=names).rank(pct=True)
    for r in ("rep1", "rep2"):
        rows = rep == r
        sub = X[rows]
        erk_cols = [names.get_loc(g) for g in ERK_IMMEDIATE if g in names]
        any_erk = np.asarray((sub[:, erk_cols] > 0).sum(axis=1)).ravel() > 0
        egfr = np.asarray((sub[:, names.get_loc("EGFR")] > 0).todense()).ravel()
        assert egfr.mean() > any_erk.mean(), (r, egfr.mean(), any_erk.mean())
    present = [g for g in ERK_IMMEDIATE if g in names]
    assert rank_pct[present].median() < 0.5
