"""Synthetic cohorts with a known truth, for tests and benchmarks of the store.

The read counts are drawn so that the truth is unambiguous for the event rules of
``oncoresist.ctdna`` (default ``EventRules``): a variant that is absent has no alt reads at all,
one that is present has at least ~10 at 10,000x, far above a background of 1e-4 per read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oncoresist._core import as_generator
from oncoresist.privacy import parse_consent
from oncoresist.store._records import PatientRecord

DRUGS = {"osimertinib": (0.5, 0.80, "p.C797S"), "erlotinib": (0.3, 0.70, "p.T790M"),
         "gefitinib": (0.2, 0.65, "p.T790M")}  # share of patients, P(response), resistance
FOUNDERS = ("p.L858R", "p.E746_A750del")
CONSENTS = (("GRU", 0.60), ("HMB", 0.25), ("DS-lung cancer", 0.15))
DEPTH = 10_000
SAMPLE_INTERVAL = 42
SCAN_INTERVAL = 56
DISEASE = "non-small cell lung cancer"


@dataclass
class SyntheticCohort:
    """Patient records and the truth they were generated from.

    Attributes
    ----------
    records
        One :class:`PatientRecord` per patient (identifiers ``SYN000001``...).
    truth
        Per patient: ``identifier``, ``drug``, ``founder``, ``resistance`` (the variant that can
        emerge), ``responder``, ``emergence_day`` (NaN: none), ``pd_day`` (first PD scan, NaN:
        none), ``n_samples``, ``consent``, ``first_scan_day``.
    """

    records: list[PatientRecord]
    truth: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The truth table."""
        return self.truth.copy()


def generate(n_patients: int, rng=None) -> SyntheticCohort:
    gen = as_generator(rng)
    drugs = list(DRUGS)
    shares = np.array([DRUGS[d][0] for d in drugs])
    consents = [c for c, _ in CONSENTS]
    consent_p = np.array([p for _, p in CONSENTS])
    width = max(6, len(str(n_patients)))
    records, truth = [], []
    scopes = {c: parse_consent(c) for c in consents}
    for i in range(n_patients):
        identifier = f"SYN{i + 1:0{width}d}"
        drug = drugs[gen.choice(len(drugs), p=shares)]
        _, p_response, resistance = DRUGS[drug]
        founder = FOUNDERS[int(gen.integers(2))]
        responder = bool(gen.random() < p_response)
        n_samples = int(gen.integers(6, 13))
        days = np.arange(n_samples) * SAMPLE_INTERVAL
        emerges = bool(gen.random() < (0.45 if responder else 0.30))
        emergence_index = int(gen.integers(3, n_samples)) if emerges else None
        emergence_day = float(days[emergence_index]) if emerges else np.nan
        af0 = gen.uniform(0.02, 0.2)
        resistant_af = gen.uniform(0.01, 0.05)
        founder_af = np.empty(n_samples)
        for j in range(n_samples):
            if emerges and j >= emergence_index:
                founder_af[j] = resistant_af if responder else af0 * gen.uniform(0.8, 1.25)
            elif responder:
                founder_af[j] = af0 if j == 0 else (af0 * 0.05 if j == 1 else 0.0)
            else:
                founder_af[j] = af0 if j == 0 else af0 * gen.uniform(0.8, 1.25)
        res_af = np.where(emerges & (np.arange(n_samples) >= (emergence_index or 0)),
                          resistant_af, 0.0) if emerges else np.zeros(n_samples)
        founder_reads = gen.binomial(DEPTH, founder_af)
        res_reads = gen.binomial(DEPTH, res_af)
        sample_ids = [f"{identifier}-PL{j + 1:02d}" for j in range(n_samples)]
        obs = pd.DataFrame({
            "sample_id": np.repeat(sample_ids, 2), "day": np.repeat(days, 2).astype(float),
            "gene": "EGFR", "alteration": [founder, resistance] * n_samples,
            "alt_reads": np.column_stack([founder_reads, res_reads]).ravel(), "depth": DEPTH,
        })
        # Imaging: a scan every 56 days after baseline until the last blood draw; PR while a
        # responder responds, SD otherwise; PD at the first scan at least `lag` days after the
        # resistant variant emerged, and no scans after PD.
        scans = np.arange(SCAN_INTERVAL, days[-1] + 1, SCAN_INTERVAL, dtype=float)
        pd_day = np.nan
        if emerges:
            lag = int(gen.integers(0, 121))
            later = scans[scans >= emergence_day + lag]
            if len(later):
                pd_day = float(later[0])
        results = []
        for day in scans:
            if not np.isnan(pd_day) and day > pd_day:
                break
            results.append((day, "PD" if day == pd_day else ("PR" if responder else "SD")))
        imaging = pd.DataFrame(results, columns=["day", "result"])
        consent = consents[gen.choice(len(consents), p=consent_p)]
        therapy = pd.DataFrame({"line": [1], "drugs": [drug], "start_day": [0.0],
                                "end_day": [np.nan]})
        records.append(PatientRecord(identifier=identifier, disease=DISEASE,
                                     consent=scopes[consent], therapy=therapy, observations=obs,
                                     imaging=imaging, error_rate=1e-4))
        truth.append({"identifier": identifier, "drug": drug, "founder": f"EGFR {founder}",
                      "resistance": f"EGFR {resistance}", "responder": responder,
                      "emergence_day": emergence_day, "pd_day": pd_day, "n_samples": n_samples,
                      "consent": consent,
                      "first_scan_day": float(scans[0]) if len(scans) else np.nan})
    return SyntheticCohort(records, pd.DataFrame(truth))
