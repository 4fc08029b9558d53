"""Log-linear kinetics on noise-free data: the rate must come back exactly."""

import numpy as np
import pandas as pd
import pytest

from oncoresist.ctdna import track
from oncoresist.ctdna._kinetics import fit_loglinear


def test_fit_recovers_a_noise_free_exponential():
    t = np.arange(0, 200, 20.0)
    n = np.full(len(t), 1e8)
    p = 1e-3 * np.exp(0.02 * t)
    x = n * p  # expected counts, no noise
    fit = fit_loglinear(np.zeros(len(t), dtype=int), t, x, n, np.zeros(len(t)))
    assert fit["rate_per_day"].iloc[0] == pytest.approx(0.02, rel=1e-8)
    assert fit["dispersion"].iloc[0] == 1.0  # no excess variation: phi floors at 1


def test_offset_turns_the_fit_into_molecules_per_ml():
    # Mutant molecules per mL grow at 0.03/day while total cfDNA doubles: AF grows slower.
    t = np.arange(0, 150, 15.0)
    ge = 1500 * 2 ** (t / 150)
    af = 0.001 * np.exp(0.03 * t) / ge * 1500
    n = np.full(len(t), 1e9)
    fit = fit_loglinear(np.zeros(len(t), dtype=int), t, n * af, n, np.zeros(len(t)), offset=np.log(ge))
    assert fit["rate_per_day"].iloc[0] == pytest.approx(0.03, rel=1e-7)


def test_track_reports_doubling_time_with_ci():
    days = np.arange(0, 169, 28.0)
    alt = np.round(100_000 * 2e-3 * np.exp(np.log(2) / 30 * days)).astype(int)  # doubling in 30 days
    table = pd.DataFrame({"patient_id": "P1", "sample_id": [f"s{d:.0f}" for d in days], "day": days,
                          "gene": "EGFR", "alteration": "p.C797S", "alt_reads": alt, "depth": 100_000})
    kinetics = track(table, default_error_rate=1e-5).kinetics
    row = kinetics[kinetics["phase"] == "rising"].iloc[0]
    assert row["doubling_time_days"] == pytest.approx(30.0, rel=1e-3)
    assert row["doubling_ci_low"] < 30.0 < row["doubling_ci_high"]
    assert row["measure"] == "allele_fraction"
