"""Statistical verification on synthetic data with known truth (seeded; tolerances stated).

Each check has a light default version and a heavier ``slow`` one with more replicates.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from oncoresist.ctdna import (
    PlasmaAssay,
    TrackedVariant,
    TumourTrajectory,
    call,
    sample_cohort,
    track,
)
from oncoresist.ctdna._synthetic import first_day_at_or_above, sample_normals

VARIANTS = [
    TrackedVariant("EGFR", "p.L858R", ("tumour",)),
    TrackedVariant("EGFR", "p.T790M", ("tumour",)),
    TrackedVariant("TP53", "p.R273H", ("tumour",)),
    TrackedVariant("KRAS", "p.G12C", ("tumour",)),
]


def _as_samples(normals: pd.DataFrame) -> pd.DataFrame:
    table = normals.copy()
    table["patient_id"] = table["sample_id"]
    table["day"] = 0.0
    return table


def _false_positive_rates(n_test: int, seed: int):
    rng = np.random.default_rng(seed)
    assay = PlasmaAssay()
    panel = sample_normals(VARIANTS, 100, assay=assay, rng=rng)
    fresh = _as_samples(sample_normals(VARIANTS, n_test, assay=assay, rng=rng))
    fresh["sample_id"] = "test-" + fresh["sample_id"]
    fresh["patient_id"] = "all-loci"  # one tumour-informed panel of the 4 loci
    result = call(fresh, normals=panel, alpha=0.01, specificity=0.95)
    return result.calls["detected"].mean(), len(result.calls), result.sample_tests


def _fpr_check(n_test, seed):
    variant_rate, rows, tests = _false_positive_rates(n_test, seed)
    # Per-variant level alpha = 0.01: the rate must not exceed it by more than 4 binomial SE.
    assert variant_rate <= 0.01 + 4 * np.sqrt(0.01 * 0.99 / rows)
    # Per-sample tumour-informed test calibrated to 95% specificity on the panel.
    sample_rate = tests["detected"].mean()
    assert sample_rate <= 0.05 + 4 * np.sqrt(0.05 * 0.95 / len(tests))
    assert tests["threshold_method"].iloc[0] == "normals (n=100)"


def test_false_positive_rate_on_normals_at_most_nominal():
    _fpr_check(1500, 21)


@pytest.mark.slow
def test_false_positive_rate_on_normals_at_most_nominal_heavy():
    _fpr_check(20_000, 22)


def _closed_form_detection(af, n, e, alpha):
    # Written out independently of the package: smallest c with P(X >= c | e) <= alpha, then
    # P(X >= c) with X ~ Binomial(n, af + (1 - af) e).
    c = 1
    while stats.binom.sf(c - 1, n, e) > alpha:
        c += 1
    return stats.binom.sf(c - 1, n, af + (1 - af) * e)


def _sensitivity_check(reps, seed):
    rng = np.random.default_rng(seed)
    e, alpha = 1e-4, 0.01
    depths = [2000, 10_000, 30_000]
    afs = [0.0, 2e-4, 5e-4, 1e-3, 3e-3]
    rows = []
    for n in depths:
        for af in afs:
            alt = rng.binomial(n, af + (1 - af) * e, size=reps)
            for i, x in enumerate(alt):
                rows.append(("P", f"{n}-{af}-{i}", 0.0, "EGFR", f"{n}-{af}", x, n))
    table = pd.DataFrame(rows, columns=["patient_id", "sample_id", "day", "gene", "alteration", "alt_reads",
                                        "depth"])
    calls = call(table, default_error_rate=e, alpha=alpha).calls
    observed = calls.groupby("alteration")["detected"].mean()
    expected = {}
    for n in depths:
        for af in afs:
            p = _closed_form_detection(af, n, e, alpha)
            expected[(n, af)] = p
            tolerance = 4 * np.sqrt(p * (1 - p) / reps) + 1.0 / reps
            assert abs(observed[f"{n}-{af}"] - p) <= tolerance, (n, af, observed[f"{n}-{af}"], p)
    # Theory: for af > 0, sensitivity rises with depth at fixed AF and with AF at fixed depth.
    for n in depths:
        values = [expected[(n, af)] for af in afs[1:]]
        assert all(b > a for a, b in zip(values, values[1:], strict=False))
    for af in afs[1:]:
        values = [expected[(n, af)] for n in depths]
        assert all(b > a for a, b in zip(values, values[1:], strict=False))


def test_sensitivity_follows_binomial_theory():
    _sensitivity_check(600, 31)


@pytest.mark.slow
def test_sensitivity_follows_binomial_theory_heavy():
    _sensitivity_check(10_000, 32)


def _emergence_cohort(n_patients, seed, interval=28.0):
    rng = np.random.default_rng(seed)
    days = np.arange(0.0, 337.0, 1.0)
    trajectories = {}
    for i in range(n_patients):
        start = 10 ** rng.uniform(2, 4)  # resistant cells at day 0
        trajectories[f"P{i:04d}"] = TumourTrajectory(days, {
            "sensitive": 1e9 * np.exp(-0.07 * days), "resistant": start * np.exp(0.04 * days)})
    variants = [TrackedVariant("EGFR", "exon 19 deletion", ("sensitive", "resistant")),
                TrackedVariant("EGFR", "p.T790M", ("resistant",))]
    cohort = sample_cohort(trajectories, variants, np.arange(0.0, 337.0, interval), n_normals=100,
                           rng=rng)
    return cohort, trajectories, variants


def _emergence_check(n_patients, seed):
    interval = 28.0
    cohort, trajectories, variants = _emergence_cohort(n_patients, seed, interval)
    events = track(cohort.samples.drop(columns="true_af"), normals=cohort.normals).events
    emergence = events[(events["event"] == "emergence") & (events["alteration"] == "p.T790M")]
    first = emergence.groupby("patient_id")["confirmed_day"].min()
    truth = cohort.truth[cohort.truth["alteration"] == "p.T790M"].set_index("patient_id")
    on_time, early, checked = 0, 0, 0
    for pid, row in truth.iterrows():
        detectable = row["detectable_day"]
        if np.isnan(detectable) or detectable > 336 - interval:
            continue
        checked += 1
        # Expected delay: the first draw at or after the true AF reaches LoD95 is detected with
        # probability >= 0.95, and the next one (AF e^(0.04 x 28) = 3x higher) confirms it.
        first_draw = np.ceil(detectable / interval) * interval
        called = first.get(pid, np.nan)
        on_time += bool(called <= first_draw + interval)
        tenth = first_day_at_or_above(trajectories[pid], variants[1], row["nominal_lod95"] / 10,
                                      PlasmaAssay())
        early += bool(called < tenth)
    assert checked >= 0.9 * n_patients
    rate = on_time / checked
    assert rate >= 0.95 - 4 * np.sqrt(0.95 * 0.05 / checked), rate
    # Calls before the true AF reaches a tenth of the LoD95 need two false positives in a row.
    assert early / checked <= 0.01 + 4 * np.sqrt(0.01 * 0.99 / checked), early


def test_emergence_called_within_expected_delay():
    _emergence_check(80, 41)


@pytest.mark.slow
def test_emergence_called_within_expected_delay_heavy():
    _emergence_check(1000, 42)


def _doubling_check(n_patients, seed, rate=0.03):
    rng = np.random.default_rng(seed)
    days = np.arange(0.0, 197.0, 1.0)
    trajectories = {f"P{i:04d}": TumourTrajectory(days, {"resistant": 1e5 * np.exp(rate * days)})
                    for i in range(n_patients)}
    variants = [TrackedVariant("EGFR", "p.C797S", ("resistant",))]
    cohort = sample_cohort(trajectories, variants, np.arange(0.0, 197.0, 14.0), n_normals=100, rng=rng)
    kinetics = track(cohort.samples.drop(columns="true_af"), normals=cohort.normals).kinetics
    rising = kinetics[kinetics["phase"] == "rising"]
    assert len(rising) >= 0.95 * n_patients
    assert (rising["measure"] == "mutant_molecules_per_ml").all()
    covered = ((rising["rate_ci_low"] <= rate) & (rate <= rising["rate_ci_high"])).mean()
    # 95% intervals: coverage at least nominal minus 4 binomial SE.
    assert covered >= 0.95 - 4 * np.sqrt(0.95 * 0.05 / len(rising)), covered
    true_doubling = np.log(2) / rate
    inside = ((rising["doubling_ci_low"] <= true_doubling) & (true_doubling <= rising["doubling_ci_high"])).mean()
    assert inside == covered  # the doubling-time CI is the rate CI transformed


def test_doubling_times_recovered_within_ci():
    _doubling_check(150, 51)


@pytest.mark.slow
def test_doubling_times_recovered_within_ci_heavy():
    _doubling_check(1500, 52)
