"""Precision and recall at FDR 0.1 on simulated drug/vehicle screens with known truth.

Levels stated before running (not fitted to output): with 1,000 genes x 4 guides, 2 replicates,
resistance and sensitiser effects of +/-2 log2 units, 10% essential genes (-2 in both arms) and
NB dispersion 0.05, each method at FDR <= 0.1 must reach precision >= 0.8 (the nominal FDR 0.1
plus slack for 20 true genes) and recall >= 0.7, on each of the fixed seeds.
"""

from __future__ import annotations

import pytest

from oncoresist.crispr import drugz_test, rra_test, simulate_screen

SEEDS = [101, 202]
DRUG = ["drug_1", "drug_2"]
VEHICLE = ["vehicle_1", "vehicle_2"]


def _precision_recall(called: set[str], truth: set[str]) -> tuple[float, float]:
    precision = len(called & truth) / len(called) if called else 1.0
    return precision, len(called & truth) / len(truth)


@pytest.fixture(scope="module", params=SEEDS)
def screen(request):
    return simulate_screen(n_genes=1000, rng=request.param)


def test_rra_finds_resistance_and_sensitiser_genes(screen):
    res = rra_test(screen.table, DRUG, VEHICLE, rng=0, permutations=50).gene_summary
    resistance = set(res.loc[res["pos|fdr"] <= 0.1, "id"])
    sensitiser = set(res.loc[res["neg|fdr"] <= 0.1, "id"])
    for called, role in ((resistance, "resistance"), (sensitiser, "sensitiser")):
        precision, recall = _precision_recall(called, screen.genes_with_role(role))
        assert precision >= 0.8, (role, precision, recall)
        assert recall >= 0.7, (role, precision, recall)


def test_drugz_finds_resistance_and_sensitiser_genes(screen):
    res = drugz_test(screen.table, DRUG, VEHICLE, half_window_size=500).gene_summary
    resistance = set(res.loc[res["fdr_supp"] <= 0.1, "GENE"])
    sensitiser = set(res.loc[res["fdr_synth"] <= 0.1, "GENE"])
    for called, role in ((resistance, "resistance"), (sensitiser, "sensitiser")):
        precision, recall = _precision_recall(called, screen.genes_with_role(role))
        assert precision >= 0.8, (role, precision, recall)
        assert recall >= 0.7, (role, precision, recall)


def test_simulator_is_reproducible(tmp_path):
    a = simulate_screen(n_genes=50, rng=4)
    b = simulate_screen(n_genes=50, rng=4)
    a.write(tmp_path / "a.txt")
    b.write(tmp_path / "b.txt")
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()
    assert (tmp_path / "a.txt.truth.tsv").read_bytes() == (tmp_path / "b.txt.truth.tsv").read_bytes()
