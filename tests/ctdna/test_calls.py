"""Per-variant statistics against hand calculations and their definitions."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from oncoresist import InputError
from oncoresist.ctdna import call, genome_equivalents_per_ml
from oncoresist.ctdna._calls import clopper_pearson, limit_of_detection


def _table(**columns):
    base = {"patient_id": "P1", "sample_id": "s1", "day": 0.0, "gene": "EGFR", "alteration": "p.T790M"}
    base.update(columns)
    return pd.DataFrame(base)


def test_clopper_pearson_by_hand():
    # x = 0 of n = 10: upper bound solves (1 - p)^10 = 0.025, p = 1 - 0.025^(1/10) = 0.30850.
    low, high = clopper_pearson(np.array([0]), np.array([10]))
    assert low[0] == 0.0
    assert high[0] == pytest.approx(1 - 0.025 ** 0.1, rel=1e-9)
    # x = n = 10: lower bound is 0.025^(1/10) = 0.69150.
    low, high = clopper_pearson(np.array([10]), np.array([10]))
    assert low[0] == pytest.approx(0.025 ** 0.1, rel=1e-9)
    assert high[0] == 1.0


def test_limit_of_detection_meets_its_definition():
    n = np.array([1000, 3000, 10_000, 50_000])
    mu, alpha = 1e-4, 0.01
    lod = limit_of_detection(n, mu, np.inf, alpha=alpha)
    for ni, f in zip(n, lod, strict=True):
        c = next(c for c in range(1, ni) if stats.binom.sf(c - 1, ni, mu) <= alpha)
        q = f + (1 - f) * mu
        assert stats.binom.sf(c - 1, ni, q) == pytest.approx(0.95, abs=1e-9)
    assert np.all(np.diff(lod) < 0)  # deeper sequencing, lower LoD


def test_genome_equivalents_by_hand():
    # 3.3 pg per haploid genome: 10 ng/mL = 10,000 pg/mL / 3.3 = 3030.3 GE/mL.
    assert genome_equivalents_per_ml(np.array([10.0]))[0] == pytest.approx(3030.303, rel=1e-6)


def test_mutant_molecules_per_ml_and_pvalue():
    result = call(_table(alt_reads=[50], depth=[5000], cfdna_ng_per_ml=[10.0]), default_error_rate=1e-3)
    row = result.calls.iloc[0]
    assert row["af"] == pytest.approx(0.01)
    assert row["mutant_molecules_per_ml"] == pytest.approx(0.01 * 3030.303, rel=1e-6)
    assert row["p_value"] == pytest.approx(stats.binom.sf(49, 5000, 1e-3), rel=1e-6)
    assert row["background_model"] == "assumed"
    assert bool(row["detected"])


def test_umi_families_limit_the_lod():
    table = _table(sample_id=["a", "b"], alteration=["p.T790M", "p.C797S"], alt_reads=[0, 0],
                   depth=[20_000, 20_000], umi_families=[20_000, 2_000])
    lod = call(table, default_error_rate=1e-4).calls.set_index("alteration")["lod95"]
    assert lod["p.C797S"] > 5 * lod["p.T790M"]


def test_panel_of_normals_model_is_reported_per_call(data_dir):
    normals = pd.DataFrame({
        "sample_id": [f"N{i}" for i in range(12)], "gene": "EGFR", "alteration": "p.L858R",
        "alt_reads": [1, 0, 2, 1, 0, 1, 3, 0, 1, 2, 0, 1], "depth": 5000,
    })
    result = call(data_dir / "ctdna" / "samples.tsv", normals=normals)
    models = result.calls.set_index(["sample_id", "alteration"])["background_model"]
    assert models[("P001-0", "p.L858R")].startswith("locus_")
    assert models[("P001-0", "p.T790M")].startswith("global_")


@pytest.mark.parametrize(("name", "value"), [("alpha", 0.0), ("alpha", 1.5), ("specificity", 1.0)])
def test_levels_are_checked(name, value):
    with pytest.raises(InputError, match=name):
        call(_table(alt_reads=[1], depth=[10]), **{name: value})


def test_moments_background_is_reported():
    normals = pd.DataFrame({
        "sample_id": [f"N{i}" for i in range(12)], "gene": "EGFR", "alteration": "p.T790M",
        "alt_reads": [1, 0, 2, 1, 0, 1, 3, 0, 1, 2, 0, 1], "depth": 5000,
    })
    result = call(_table(alt_reads=[9], depth=[5000]), normals=normals, background="moments")
    assert result.calls["background_model"].tolist() == ["locus_moments"]
    # 12 alt reads in 60,000: the pooled rate. The counts' sample variance (0.91) is below
    # their mean (1.0), i.e. no extra-binomial spread, so rho is 0 (binomial).
    assert result.calls["background_rate"].iloc[0] == pytest.approx(12 / 60_000)
    assert result.calls["background_rho"].iloc[0] == 0.0
