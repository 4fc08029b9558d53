"""Cohort store: ingestion rate and query times at 1,000 and 100,000 synthetic patients.

Each size gets a fresh store in a temporary folder. Patients come from
``oncoresist.store.synthetic_cohort`` (6-12 plasma draws x 2 variants, therapy, scans) and are
ingested through the whole pipeline (pseudonymisation, merge with what is stored, content
digests, ctDNA calls/events/kinetics/summary, resistance annotation, one transaction per chunk).
Then: the same data again (the idempotence check), one new blood draw for 1% of the patients
(incremental update and recomputation), and the ready-made cohort questions and an SQL
aggregate, each timed as the median of 3 runs.

No peer tool does this job (a cohort store of ctDNA series with consent and audit), so there
is no ratio to a peer; the figures are absolute.

    python benchmarks/bench_store.py                 # 1,000 and 100,000 patients
    python benchmarks/bench_store.py --sizes 1000    # quick
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from oncoresist import store
from oncoresist.privacy import DataUse, PseudonymKey

KEY = PseudonymKey.from_hex("be" * 32)
USE = DataUse(disease="non-small cell lung cancer")


def _timed(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _new_draw(record: store.PatientRecord) -> store.PatientRecord:
    last = record.observations[record.observations["day"] == record.observations["day"].max()]
    draw = last.assign(day=last["day"] + 42,
                       sample_id=last["sample_id"].str.replace("-PL", "-NEW", regex=False))
    return store.PatientRecord(identifier=record.identifier, disease=record.disease,
                               consent=record.consent, therapy=record.therapy, observations=draw,
                               error_rate=record.error_rate)


def bench(n: int, chunk: int, annotate: bool) -> dict:
    out = {"patients": n}
    with tempfile.TemporaryDirectory() as tmp:
        db = store.init_store(Path(tmp) / "cohort.duckdb")
        ingest_s = generate_s = 0.0
        rows = 0
        sample = []
        for start in range(0, n, chunk):
            size = min(chunk, n - start)
            t0 = time.perf_counter()
            cohort = store.synthetic_cohort(size, rng=start + 1)
            # distinct identifiers across chunks
            for i, record in enumerate(cohort.records):
                record.identifier = f"BENCH{start + i:07d}"
            generate_s += time.perf_counter() - t0
            rows += sum(len(r.observations) for r in cohort.records)
            t0 = time.perf_counter()
            store.ingest_records(db, cohort.records, key=KEY, annotate=annotate)
            ingest_s += time.perf_counter() - t0
            sample.extend(cohort.records[: max(1, size // 100)])
        out["observations"] = rows
        out["generate_s"] = generate_s
        out["ingest_s"] = ingest_s
        out["ingest_patients_per_s"] = n / ingest_s
        out["ingest_observations_per_s"] = rows / ingest_s
        t0 = time.perf_counter()
        again = store.ingest_records(db, sample, key=KEY, annotate=annotate)
        out["reingest_unchanged_patients_per_s"] = len(sample) / (time.perf_counter() - t0)
        assert set(again.patients["outcome"]) == {"unchanged"}
        updates = [_new_draw(r) for r in sample]
        t0 = time.perf_counter()
        result = store.ingest_records(db, updates, key=KEY, annotate=annotate)
        out["incremental_patients"] = len(updates)
        out["incremental_s"] = time.perf_counter() - t0
        assert set(result.patients["outcome"]) == {"updated"}
        out["query_emerging_s"] = _timed(lambda: store.cohort(db, "emerging",
                                                              alteration="EGFR C797S", use=USE))
        out["query_lead_times_s"] = _timed(lambda: store.cohort(db, "lead_times", use=USE))
        out["query_response_rates_s"] = _timed(lambda: store.cohort(db, "response_rates", use=USE))
        out["query_sql_aggregate_s"] = _timed(lambda: store.query(
            db, "SELECT variant, count(DISTINCT patient) AS n, median(day) AS day "
                "FROM ctdna_events WHERE event = 'emergence' GROUP BY variant", use=USE))
        out["store_mb"] = (Path(db).stat().st_size
                           + sum(p.stat().st_size for p in Path(tmp).glob("*.wal"))) / 2**20
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--chunk", type=int, default=5000, help="patients per transaction")
    parser.add_argument("--no-annotate", action="store_true")
    args = parser.parse_args()
    rows = [bench(n, args.chunk, not args.no_annotate) for n in args.sizes]
    table = pd.DataFrame(rows).set_index("patients").T
    with pd.option_context("display.float_format", "{:,.3f}".format, "display.width", 120):
        print(table.to_string())


if __name__ == "__main__":
    main()
