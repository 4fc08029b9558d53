"""Cohort questions on a generated cohort of 1,000 patients, against the generator's truth.

The expected answers are computed here with pandas from the truth table of
``store.synthetic_cohort`` (which patient responded, when a resistance variant appeared,
when a scan first read PD), not from the store. The generator draws counts so that the truth
is unambiguous under the default ctDNA event rules (absent variants have no alt reads; present
ones have >= ~70 at 10,000x against a background of 1e-4): a confirmed emergence is on the day
of first detection (p << 1e-6, EventRules.strong_p), a responder's founder falls 95% then
clears, a non-responder's stays within 0.8-1.25x of baseline (never a 50% decline, never a
2x rise).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from oncoresist import store
from oncoresist.privacy import ConsentError, DataUse, PseudonymKey

N = 1000
KEY = PseudonymKey.from_hex("5a" * 32)
NSCLC = DataUse(disease="non-small cell lung cancer")


@pytest.fixture(scope="module")
def cohort_store(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    cohort = store.synthetic_cohort(N, rng=2026)
    db = store.init_store(tmp_path_factory.mktemp("cohort") / "cohort.duckdb")
    result = store.ingest_records(db, cohort.records, key=KEY)
    assert (result.patients["outcome"] == "new").all()
    truth = cohort.truth.assign(patient=cohort.truth["identifier"].map(KEY.patient))
    return db, truth


def test_emerging_c797s_is_every_patient_whose_c797s_emerged(cohort_store):
    db, truth = cohort_store
    expected = truth[(truth["resistance"] == "EGFR p.C797S") & truth["emergence_day"].notna()]
    result = store.cohort(db, "emerging", alteration="EGFR C797S", use=NSCLC)
    table = result.table.sort_values("patient").reset_index(drop=True)
    assert table["patient"].tolist() == sorted(expected["patient"])
    by_patient = expected.set_index("patient")["emergence_day"]
    assert np.array_equal(table["day"].to_numpy(), by_patient[table["patient"]].to_numpy())
    assert np.array_equal(table["confirmed_day"].to_numpy(), table["day"].to_numpy())
    assert set(table["drugs"]) == {"osimertinib"}
    assert result.summary == {"patients_searched": N, "patients_with_emergence": len(expected)}
    assert 50 < len(expected) < 400  # the check is not vacuous


def test_emerging_t790m_and_a_residue_pattern(cohort_store):
    db, truth = cohort_store
    expected = truth[(truth["resistance"] == "EGFR p.T790M") & truth["emergence_day"].notna()]
    t790m = store.cohort(db, "emerging", alteration="EGFR T790M", use=NSCLC)
    assert sorted(t790m.table["patient"]) == sorted(expected["patient"])
    assert set(t790m.table["drugs"]) <= {"erlotinib", "gefitinib"}
    # A residue pattern (any substitution at 797) finds the C797S patients too.
    pattern = store.cohort(db, "emerging", alteration="EGFR C797X", use=NSCLC)
    c797s = truth[(truth["resistance"] == "EGFR p.C797S") & truth["emergence_day"].notna()]
    assert sorted(pattern.table["patient"]) == sorted(c797s["patient"])


def test_lead_times_are_first_pd_scan_minus_emergence(cohort_store):
    db, truth = cohort_store
    result = store.cohort(db, "lead_times", use=NSCLC)
    table = result.table.set_index("patient")
    emerged = truth[truth["emergence_day"].notna()].set_index("patient")
    assert sorted(table.index) == sorted(emerged.index)
    assert np.array_equal(table.loc[emerged.index, "molecular_progression_confirmed_day"],
                          emerged["emergence_day"])
    both = emerged[emerged["pd_day"].notna()]
    expected_lead = both["pd_day"] - both["emergence_day"]
    assert np.array_equal(table.loc[both.index, "lead_time_days"].to_numpy(),
                          expected_lead.to_numpy())
    q1, median, q3 = np.percentile(expected_lead, [25, 50, 75])
    assert result.summary["median_lead_time_days"] == median
    assert (result.summary["q1_lead_time_days"], result.summary["q3_lead_time_days"]) == (q1, q3)
    assert result.summary["lines_with_molecular_and_radiographic_progression"] == len(both)
    assert result.summary["lines_with_radiographic_progression_only"] == 0
    assert result.summary["lines_with_molecular_progression_only"] == len(emerged) - len(both)


def test_response_rates_match_the_responders_with_exact_intervals(cohort_store):
    db, truth = cohort_store
    table = store.cohort(db, "response_rates", use=NSCLC).table.set_index("regimen")
    expected = truth.groupby("drug").agg(lines=("patient", "size"), responders=("responder", "sum"))
    assert sorted(table.index) == sorted(expected.index)
    for drug, row in expected.iterrows():
        got = table.loc[drug]
        n, k = int(row["lines"]), int(row["responders"])
        assert got["lines"] == n
        assert got["ctdna_evaluable"] == n
        assert got["imaging_evaluable"] == n
        for grade in ("decline_50", "decline_90", "clearance"):
            assert got[f"{grade}_n"] == k, (drug, grade)
        assert got["objective_response_n"] == k
        # Clopper-Pearson by scipy's own exact binomial interval (an independent implementation).
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        assert got["decline_50_rate"] == pytest.approx(k / n)
        assert got["decline_50_ci_low"] == pytest.approx(ci.low, abs=1e-9)
        assert got["decline_50_ci_high"] == pytest.approx(ci.high, abs=1e-9)


def test_consent_scopes_are_enforced_on_cohort_questions(cohort_store):
    db, truth = cohort_store
    ds = truth[truth["consent"] == "DS-lung cancer"]
    # Research not declared as lung cancer research is outside DS-lung cancer.
    with pytest.raises(ConsentError, match=rf"DS-lung cancer \({len(ds)} patients\)"):
        store.cohort(db, "response_rates")
    left_out = store.cohort(db, "response_rates", only_consented=True)
    assert sorted(left_out.excluded) == sorted(ds["patient"])
    assert left_out.table["lines"].sum() == N - len(ds)
    # Breast cancer research is outside every DS-lung cancer consent but within GRU/HMB.
    with pytest.raises(ConsentError):
        store.cohort(db, "lead_times", use=DataUse(disease="breast cancer"))
    overridden = store.cohort(db, "response_rates", override="ethics committee ref 2026/114")
    assert overridden.table["lines"].sum() == N
    log = store.audit_log(db)
    last = log.iloc[-1]
    assert bool(last["consent_override"])
    assert last["override_reason"] == "ethics committee ref 2026/114"
    refusals = log[log["outcome"] == "refused: outside consent scope"]
    assert len(refusals) == 2


def test_cohort_results_write_tsv_and_parquet(cohort_store, tmp_path: Path):
    db, _ = cohort_store
    result = store.cohort(db, "emerging", alteration="EGFR C797S", use=NSCLC)
    tsv = result.write(tmp_path / "emerging.tsv")
    parquet = result.write(tmp_path / "emerging.parquet")
    back = pd.read_csv(tsv, sep="\t")
    assert back["patient"].tolist() == result.table["patient"].tolist()
    assert pd.read_parquet(parquet)["patient"].tolist() == result.table["patient"].tolist()
    assert (tmp_path / "emerging.tsv.provenance.json").is_file()
