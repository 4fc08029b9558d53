"""Clustering scores (hand-computed and scikit-learn as an independent oracle) and the simulator."""

from __future__ import annotations

import numpy as np
import pytest

from oncoresist import clonal


def test_adjusted_rand_index_by_hand():
    # contingency [[2, 1, 0], [0, 1, 2]]: index 2, rows 6, cols 3, expected 6*3/15 = 1.2,
    # max 4.5 -> (2 - 1.2) / (4.5 - 1.2) = 0.242424...
    assert clonal.adjusted_rand_index([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]) == pytest.approx(0.8 / 3.3)
    assert clonal.adjusted_rand_index([0, 1, 2], [5, 5, 5]) == pytest.approx(0.0)


def test_v_measure_by_hand():
    # perfect homogeneity, completeness 1 - H(K|C)/H(K) with H(K|C) = 0.5 ln 2... : two true
    # classes split into four predicted singletons-pairs: truth [0,0,1,1], pred [0,1,2,3]:
    # homogeneity 1, completeness H(C)/H(K) = ln 2 / ln 4 = 0.5 -> V = 2*1*0.5/1.5 = 2/3
    assert clonal.v_measure([0, 0, 1, 1], [0, 1, 2, 3]) == pytest.approx(2 / 3)


def test_scores_agree_with_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.integers(0, 5, size=60)
        b = np.where(rng.random(60) < 0.7, a, rng.integers(0, 6, size=60))
        assert clonal.adjusted_rand_index(a, b) == pytest.approx(metrics.adjusted_rand_score(a, b))
        assert clonal.v_measure(a, b) == pytest.approx(metrics.v_measure_score(a, b))


@pytest.mark.parametrize("seed", range(5))
def test_simulated_truth_obeys_the_sum_rule(seed):
    sim = clonal.simulate(n_clones=6, n_samples=4, n_mutations=50, rng=seed)
    ccf = sim.clone_ccf
    assert np.allclose(ccf[0], 1.0)
    for node in range(6):
        kids = np.flatnonzero(sim.parents == node)
        assert np.all(ccf[kids].sum(axis=0) <= ccf[node] + 1e-12)
    gaps = np.abs(ccf[:, None] - ccf[None]).max(axis=-1) + np.eye(6) * 9
    assert gaps.min() >= 0.1
    assert set(sim.labels) == set(range(6))
    assert np.all(sim.data.alt_counts <= sim.data.alt_counts + sim.data.ref_counts)


def test_simulation_is_reproducible():
    a = clonal.simulate(rng=3)
    b = clonal.simulate(rng=3)
    assert np.array_equal(a.data.alt_counts, b.data.alt_counts)
    assert np.array_equal(a.parents, b.parents)


def test_simulated_vaf_matches_the_model_on_average():
    # diploid only, one clone, purity fixed at 0.6: mean VAF -> 0.6 * 1 / 2 = 0.3 (law of large numbers,
    # 2000 mutations x depth 200: standard error 0.3*0.7/sqrt(400000) ~ 0.0007; tolerance 5 se)
    sim = clonal.simulate(n_clones=1, n_samples=1, n_mutations=2000, depth=200, purity=(0.6, 0.6),
                          cna_fraction=0.0, rng=1)
    depth = sim.data.alt_counts + sim.data.ref_counts
    vaf = sim.data.alt_counts.sum() / depth.sum()
    expected = 0.6 * 0.5 * (1 - 0.001) + 0.001 * (1 - 0.6 * 0.5)  # error reads counted in
    assert vaf == pytest.approx(expected, abs=5 * np.sqrt(0.3 * 0.7 / depth.sum()))
