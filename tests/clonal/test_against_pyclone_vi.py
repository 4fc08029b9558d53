"""Against PyClone-VI's own output on the same input.

tests/data/clonal/pyclone_vi_results_simulated_40x3.tsv was written by PyClone-VI 0.1.6
(`pyclone-vi fit -c 10 -d binomial -r 5 --seed 1`, then `write-results-file`) from
tests/data/clonal/simulated_40x3.tsv. Both tools fit the same model (PyClone's likelihood, a
Dirichlet mixture over a CCF grid, mean-field VI), so the clusters should coincide and the cluster
CCFs should differ by much less than their posterior standard deviations (tolerance: one combined
posterior sd, the grids differ slightly: 101 points with end points here, 100 without in PyClone-VI).
"""

from __future__ import annotations

import numpy as np
import pytest

from oncoresist import clonal


@pytest.fixture
def files(data_dir):
    base = data_dir / "clonal"
    return base / "simulated_40x3.tsv", base / "pyclone_vi_results_simulated_40x3.tsv"


def test_same_clusters_and_ccfs_as_pyclone_vi(files):
    source, peer_path = files
    ours = clonal.fit(source, max_clusters=10, restarts=5, rng=1).to_frame().set_index(["mutation_id", "sample_id"])
    peer = clonal.read_results(peer_path).set_index(["mutation_id", "sample_id"])
    joined = ours.join(peer, rsuffix="_peer", how="inner")
    assert len(joined) == len(ours) == len(peer) == 120
    first = joined.groupby(level=0).first()
    assert clonal.adjusted_rand_index(first["cluster_id_peer"], first["cluster_id"]) == 1.0
    difference = (joined["cellular_prevalence"] - joined["cellular_prevalence_peer"]).abs()
    combined = np.sqrt(joined["cellular_prevalence_std"] ** 2 + joined["cellular_prevalence_std_peer"] ** 2)
    assert (difference <= combined).all(), difference.max()


def test_tree_search_reads_pyclone_vi_results(files):
    _, peer_path = files
    search = clonal.trees(peer_path)
    assert search.best.consistent
    # the truncal cluster (CCF ~ 1 in all samples) is PyClone-VI's cluster 2 and hangs off the root
    assert search.best.children(-1) == [2]
