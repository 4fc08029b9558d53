"""Clone trees: constructed cases with a unique answer (worked out by hand in the comments),
the sum-rule violations fishplot users run into, and a brute-force oracle."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from oncoresist import InputError, clonal
from oncoresist.clonal._trees import enumerate_trees


def table(ccf: dict[int, list[float]], std: float = 0.01) -> pd.DataFrame:
    rows = []
    for cluster, values in ccf.items():
        for j, value in enumerate(values):
            rows.append({"cluster_id": cluster, "sample_id": f"S{j}", "cellular_prevalence": value,
                         "cellular_prevalence_std": std})
    return pd.DataFrame(rows)


def test_linear_chain_is_the_only_answer():
    # B + C > A in sample 0 (0.7 + 0.5 > 1), so B and C cannot be siblings under A; nor can they
    # sit beside A under the root (1 + 0.7 > 1). C fits inside B in both samples: A -> B -> C.
    search = clonal.trees(table({0: [1.0, 1.0], 1: [0.7, 0.6], 2: [0.5, 0.4]}))
    assert search.n_consistent == 1
    assert search.best.to_newick() == "(((2)1)0)root;"
    assert search.best.consistent


def test_branching_is_the_only_answer():
    # B = (0.6, 0.1), C = (0.3, 0.8) cross (each exceeds the other in one sample), so neither
    # descends from the other; as siblings they sum to (0.9, 0.9) <= A = 1: A -> {B, C}.
    search = clonal.trees(table({0: [1.0, 1.0], 1: [0.6, 0.1], 2: [0.3, 0.8]}))
    assert search.n_consistent == 1
    assert search.best.parents == {0: -1, 1: 0, 2: 0}


def test_ambiguous_data_give_every_consistent_tree():
    # one sample, A = 1, B = 0.5, C = 0.3: A -> B -> C and A -> {B, C} both hold (0.8 <= 1);
    # C beside A under the root would need 1.3 <= 1. Exactly two trees.
    search = clonal.trees(table({0: [1.0], 1: [0.5], 2: [0.3]}), margin=50)
    assert search.n_consistent == 2
    assert {t.to_newick() for t in search.trees} == {"(((2)1)0)root;", "((1,2)0)root;"}


def test_crossing_clones_that_overfill_the_parent_are_reported_not_hidden():
    # fishplot users' error: B = (0.7, 0.2), C = (0.6, 0.9) cross, so they must be siblings, but
    # 0.7 + 0.6 = 1.3 > 1 in sample 0. No tree satisfies the sum rule. The least bad trees:
    #   B, C siblings under A: 0.3 over in S0, sd sqrt(3 * 0.01^2 + 0.01^2) = 0.02 -> 15 sd
    #   B under C: 0.1 over in S0, sd sqrt(2 * 0.01^2 + 0.01^2) = 0.0173 -> 5.8 sd   <- best
    #   C under B: 0.7 over in S1 -> 40 sd
    search = clonal.trees(table({0: [1.0, 1.0], 1: [0.7, 0.2], 2: [0.6, 0.9]}))
    assert search.n_consistent == 0
    assert not search.best.consistent
    assert search.best.parents == {0: -1, 1: 2, 2: 0}
    described = [v.describe() for v in search.best.violations]
    assert described == ["sample S0: children 1 of cluster 2 sum to 0.700 > 0.600 (5.8 sd over)"]
    frame = search.violations_frame()
    assert frame["excess_sd"].tolist() == pytest.approx([0.1 / np.sqrt(3e-4)])


def test_check_tree_rejects_a_tree_that_breaks_the_sum_rule():
    data = table({0: [1.0, 1.0], 1: [0.6, 0.1], 2: [0.3, 0.8]})
    bad = clonal.check_tree({0: -1, 1: 0, 2: 1}, data)  # C under B: 0.8 > 0.1 in sample 1
    assert not bad.consistent
    violation = bad.violations[0]
    assert (violation.parent, violation.sample, violation.children) == (1, "S1", (2,))
    assert violation.children_ccf == pytest.approx(0.8)
    # excess 0.7 over sd sqrt(0.01^2 + 0.01^2 + 0.01^2): 0.7 / 0.01732 = 40.4
    assert violation.excess_sd == pytest.approx(0.7 / np.sqrt(3e-4), rel=1e-6)
    good = clonal.check_tree({0: -1, 1: 0, 2: 0}, data)
    assert good.consistent
    assert good.violations == ()


def test_check_tree_refuses_cycles_and_unknown_clusters():
    data = table({0: [1.0], 1: [0.5], 2: [0.3]})
    with pytest.raises(InputError, match="cycle"):
        clonal.check_tree({0: -1, 1: 2, 2: 1}, data)
    with pytest.raises(InputError, match="differ on cluster"):
        clonal.check_tree({0: -1, 1: 0}, data)


def test_tolerance_absorbs_estimation_noise():
    # children exceed the parent by 0.02 with sd sqrt(3 * 0.01^2 + 0.01^2) = 0.02: 1 sd over
    data = table({0: [1.0], 1: [0.62], 2: [0.40]})
    tree = clonal.check_tree({0: -1, 1: 0, 2: 0}, data)
    assert tree.consistent  # within the default 2 sd
    assert not clonal.check_tree({0: -1, 1: 0, 2: 0}, data, tolerance=0.5).consistent


def _brute_force(ccf: np.ndarray) -> set[tuple[int, ...]]:
    """Every parent vector (acyclic) whose children never exceed their parent, exactly."""
    k = ccf.shape[0]
    full = np.vstack([np.ones((1, ccf.shape[1])), ccf])
    found = set()
    for parents in itertools.product(range(-1, k), repeat=k):
        if any(p == i for i, p in enumerate(parents)):
            continue
        ok = True
        for i in range(k):  # acyclic: every walk up reaches the root
            seen, node = set(), i
            while node != -1 and ok:
                if node in seen:
                    ok = False
                seen.add(node)
                node = parents[node]
        if not ok:
            continue
        sums = np.zeros_like(full)
        for i, p in enumerate(parents):
            sums[p + 1] += ccf[i]
        if np.all(sums <= full + 1e-12):
            found.add(tuple(parents))
    return found


@pytest.mark.parametrize("seed", range(6))
def test_search_finds_exactly_the_brute_force_trees(seed):
    rng = np.random.default_rng(seed)
    ccf = rng.uniform(0.05, 1.0, size=(4, 2))
    found, complete = enumerate_trees(ccf, np.zeros_like(ccf), tolerance=0.0, floor=1e-12, max_visits=10**6)
    assert complete
    assert {tuple(int(x) for x in p) for p in found} == _brute_force(ccf)


@pytest.mark.parametrize("seed", range(5))
def test_true_tree_of_a_simulation_is_among_the_consistent_trees(seed):
    truth = clonal.simulate(n_clones=6, n_samples=3, n_mutations=60, rng=seed)
    k = truth.clone_ccf.shape[0]
    found, complete = enumerate_trees(
        truth.clone_ccf, np.full_like(truth.clone_ccf, 0.01), tolerance=2.0, floor=0.01, max_visits=10**6
    )
    assert complete
    assert tuple(truth.parents) in {tuple(int(x) for x in p) for p in found}
    assert k == 6


def test_trees_from_a_fit_and_written_folder(tmp_path):
    truth = clonal.simulate(n_clones=4, n_samples=3, n_mutations=120, depth=500, rng=3)
    result = clonal.fit(truth.data, max_clusters=6, restarts=3, rng=3)
    search = clonal.trees(result)
    assert search.best.consistent
    out = search.write(tmp_path / "trees")
    assert sorted(p.name for p in out.iterdir()) == ["summary.json", "trees.nwk", "trees.tsv", "violations.tsv"]
