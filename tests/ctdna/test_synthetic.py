"""The sampling model against hand calculations; the evolve-driven cohort."""

import numpy as np
import pandas as pd
import pytest

from oncoresist.ctdna import (
    PlasmaAssay,
    TrackedVariant,
    TumourTrajectory,
    sample_cohort,
    simulate_cohort,
)
from oncoresist.ctdna._synthetic import plasma_composition, recist_imaging, sequence_locus


def _flat(cells):
    return TumourTrajectory(np.array([0.0, 100.0]), {"tumour": np.array([cells, cells])})


def test_allele_fraction_by_hand():
    # 5 ng/mL healthy cfDNA = 5000 / 3.3 = 1515.15 hGE/mL; 1e9 cells x 1e-6 = 1000 hGE/mL;
    # a heterozygous clonal variant: AF = 0.5 x 1000 / 2515.15 = 0.198795.
    total, tf, af = plasma_composition(_flat(1e9), np.array([50.0]),
                                       [TrackedVariant("EGFR", "p.L858R", ("tumour",))], PlasmaAssay())
    assert total[0] == pytest.approx(2515.1515, rel=1e-6)
    assert tf[0] == pytest.approx(1000 / 2515.1515, rel=1e-6)
    assert af[0, 0] == pytest.approx(0.198795, rel=1e-5)


def test_molecule_and_read_sampling_means():
    rng = np.random.default_rng(3)
    assay = PlasmaAssay()
    k = 4000
    genomes = np.full(k, 2515.15 * 4.0)
    alt, depth, families = sequence_locus(np.full(k, 0.01), genomes, assay, rng)
    # UMI families ~ Poisson(genomes x conversion) = Poisson(5030.3): SE of the mean sqrt(5030.3 / k).
    assert abs(depth.mean() - 5030.3) < 4 * np.sqrt(5030.3 / k)
    assert np.array_equal(depth, families)
    # Alt ~ Binomial(M, 0.01) + Binomial(M - m, e): mean M (0.01 + 0.99 x 5e-5).
    expected = 5030.3 * (0.01 + 0.99 * 5e-5)
    assert abs(alt.mean() - expected) < 4 * np.sqrt(expected * 1.1 / k)


def test_read_sampling_without_umis_uses_the_nominal_depth():
    rng = np.random.default_rng(4)
    alt, depth, _ = sequence_locus(np.full(10, 0.1), np.full(10, 10_000.0), PlasmaAssay(umi=False, depth=30_000), rng)
    assert set(depth) == {30_000}


def test_recist_by_hand():
    days = np.array([0.0, 56.0, 112.0, 168.0])
    # Diameter 10 mm x (6 / pi x cells / 1e9)^(1/3): 1e9 cells 12.41 mm; 1e8: 5.76 mm (-54%: PR);
    # 3e8: 8.31 mm (+44% but +2.55 mm over the nadir: not PD; -33% from baseline: PR);
    # 1e9 again: +6.65 mm and +115% over the nadir: PD.
    traj = TumourTrajectory(days, {"t": np.array([1e9, 1e8, 3e8, 1e9])})
    assert recist_imaging(traj, days, patient_id="P")["result"].tolist() == ["SD", "PR", "PR", "PD"]


def test_sample_cohort_is_reproducible_and_has_truth():
    days = np.arange(0, 113, 28.0)
    traj = TumourTrajectory(days, {"s": 1e9 * np.exp(-0.07 * days), "r": 1e3 * np.exp(0.05 * days)})
    variants = [TrackedVariant("EGFR", "p.T790M", ("r",))]
    a = sample_cohort({"P1": traj}, variants, days, rng=5, n_normals=10)
    b = sample_cohort({"P1": traj}, variants, days, rng=5, n_normals=10)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    pd.testing.assert_frame_equal(a.normals, b.normals)
    assert list(a.truth.columns[:3]) == ["patient_id", "gene", "alteration"]


def test_evolve_cohort(tmp_path):
    cohort = simulate_cohort(2, n_normals=10, rng=8)
    again = simulate_cohort(2, n_normals=10, rng=8)
    pd.testing.assert_frame_equal(cohort.samples, again.samples)
    assert set(cohort.therapy["drug"]) <= {"erlotinib", "osimertinib"}
    t790m = cohort.truth[cohort.truth["alteration"] == "p.T790M"]
    assert (t790m["detectable_day"] > 0).all()
    cohort.write(tmp_path / "cohort")
    first = (tmp_path / "cohort" / "samples.tsv").read_bytes()
    again.write(tmp_path / "cohort2")
    assert (tmp_path / "cohort2" / "samples.tsv").read_bytes() == first
