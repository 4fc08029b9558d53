"""Clone fitness from barcodes; the fluctuation test tells pre-existing from induced."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoresist import sc as osc
from oncoresist._core import InputError


@pytest.fixture(scope="module")
def pre_existing():
    return osc.simulate(3000, n_genes=500, n_clones=60, mode="pre-existing", rng=21)


@pytest.fixture(scope="module")
def induced():
    return osc.simulate(3000, n_genes=500, n_clones=60, mode="induced", rng=22)


def _clones(adata):
    return osc.tl.clones(adata, "barcode", sample_key="sample", condition_key="condition",
                         control="control", treated="drug", time_key="time")


def test_persister_clones_are_the_resistant_ones(pre_existing):
    res = _clones(pre_existing)
    truth = set(pre_existing.uns["simulation"]["resistant_clones"])
    called = set(res.persisters())
    tested = set(res.fitness["clone"])
    # Stated: every called clone is truly resistant (precision 1 at FDR 0.1 on this seed, i.e.
    # at most 0 false of the few called) and every tested resistant clone is found.
    assert called <= truth
    assert truth & tested <= called
    fit = res.fitness.set_index("clone")
    assert (fit.loc[sorted(called), "fitness"] > 0).all()
    # time 0 -> 14: fitness is per day
    assert res.parameters["dt"] == 14.0


def test_many_resistant_clones_precision_and_recall():
    # 10% of control cells in resistant clones (about 20 clones of 150), 50% under drug.
    # Stated requirements: precision >= 0.9 and recall >= 0.8 among the tested resistant clones.
    adata = osc.simulate(4000, n_genes=500, n_clones=150, persister_fraction=(0.10, 0.50),
                         mode="pre-existing", rng=23)
    res = _clones(adata)
    truth = set(adata.uns["simulation"]["resistant_clones"])
    called = set(res.persisters())
    tested_truth = truth & set(res.fitness["clone"])
    assert len(tested_truth) >= 10
    assert len(called & truth) / len(called) >= 0.9
    assert len(called & truth) / len(tested_truth) >= 0.8


def test_no_persister_clones_when_resistance_is_induced(induced):
    # Induced: clone shares do not change under drug; with FDR 0.1 the expected number of
    # false calls is < 0.1 * tested; we require none on this seed and at most 10% in general.
    res = _clones(induced)
    assert len(res.persisters()) <= max(1, int(0.1 * len(res.fitness)))


def test_sizes_table_sums_to_samples(pre_existing):
    res = _clones(pre_existing)
    per_sample = res.sizes.groupby("sample")["cells"].sum()
    expected = pre_existing.obs["sample"].astype(str).value_counts()
    assert per_sample.sort_index().tolist() == expected.sort_index().tolist()
    np.testing.assert_allclose(res.sizes.groupby("sample")["fraction"].sum(), 1.0)
    assert pre_existing.obs["clones_persister"].dtype == bool


def test_clone_errors(pre_existing):
    with pytest.raises(InputError, match="no column"):
        osc.tl.clones(pre_existing, "nope", sample_key="sample", condition_key="condition",
                      control="control", treated="drug")


# --------------------------------------------------------------------------- fluctuation test
N_EXPERIMENTS = 200
N_POPULATIONS = 20


def _call_rate(mode, m, seed):
    from oncoresist._core import spawn_seed_sequences

    calls = []
    for child in spawn_seed_sequences(seed, N_EXPERIMENTS):
        counts = osc.simulate_fluctuation(N_POPULATIONS, mode=mode, m=m, rng=child)
        if counts.sum() == 0:
            calls.append("induced")  # nothing to test; counted as no evidence of pre-existence
            continue
        calls.append(osc.tl.fluctuation_test(counts, alpha=0.05, likelihood=False).call)
    return np.mean([c == "pre-existing" for c in calls])


def test_fluctuation_false_pre_existing_rate_is_at_most_alpha():
    # Induced (binomial, variance slightly below the mean): the dispersion test's false
    # "pre-existing" rate must not exceed alpha = 0.05 by more than 3 binomial standard errors.
    rate = _call_rate("induced", 5.0, seed=100)
    assert rate <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / N_EXPERIMENTS)


def test_fluctuation_detects_pre_existing_resistance():
    # Pre-existing (Lea-Coulson, m = 2 per population): jackpots; stated power >= 0.95.
    rate = _call_rate("pre-existing", 2.0, seed=200)
    assert rate >= 0.95


def test_fluctuation_likelihoods_prefer_the_true_law():
    jackpots = osc.simulate_fluctuation(30, mode="pre-existing", m=2.0, final_size=2000, rng=7)
    res = osc.tl.fluctuation_test(jackpots)
    assert res.ld_loglik > res.poisson_loglik
    assert 0.5 < res.ld_m < 6.0  # true m = 2; loose bounds for 30 populations
    even = osc.simulate_fluctuation(30, mode="induced", m=5.0, final_size=2000, rng=7)
    res = osc.tl.fluctuation_test(even)
    assert res.poisson_loglik > res.ld_loglik


def test_fluctuation_from_anndata_and_errors():
    import anndata as ad
    import pandas as pd

    obs = pd.DataFrame({"population": ["a"] * 3 + ["b"] * 3 + ["c"] * 3,
                        "resistant": [1, 1, 0, 0, 0, 0, 1, 0, 0]})
    obs.index = [f"c{i}" for i in range(len(obs))]
    adata = ad.AnnData(obs=obs)
    res = osc.tl.fluctuation_test(adata, population_key="population", resistant_key="resistant")
    assert res.counts.tolist() == [2, 0, 1]
    assert adata.uns["fluctuation"]["populations"] == ["a", "b", "c"]
    # Hand calculation: mean 1, sum of squares (1 + 1 + 0) / 1 = 2 on 2 df -> p = exp(-1).
    assert res.dispersion_index == pytest.approx(2.0)
    assert res.pvalue == pytest.approx(math.exp(-1.0))
    with pytest.raises(InputError, match="at least 3"):
        osc.tl.fluctuation_test([1, 2])
    with pytest.raises(InputError, match="whole numbers"):
        osc.tl.fluctuation_test([1, 2.5, 3])
    with pytest.raises(InputError, match="no population"):
        osc.tl.fluctuation_test([0, 0, 0])
