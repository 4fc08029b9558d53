"""The store: schema and migrations, idempotent and incremental ingestion, keys, consent,
the read-only query sandbox and the audit log."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from oncoresist import store
from oncoresist._core.exceptions import InputError
from oncoresist.cli._app import main
from oncoresist.privacy import ConsentError, DataUse, PseudonymKey, generate_key
from oncoresist.store._connect import migrate
from oncoresist.store._schema import PATIENT_TABLES, SCHEMA_VERSION

KEY = PseudonymKey.from_hex("3c" * 32)
NSCLC = DataUse(disease="non-small cell lung cancer")
LEAKY = Path(__file__).parents[1] / "data" / "store" / "leaky_case"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return store.init_store(tmp_path / "store" / "cohort.duckdb")


def _tables(db: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table in [*PATIENT_TABLES, "patients", "ingestions", "store_meta"]:
            frame = con.execute(f'SELECT * FROM "{table}"').fetchdf()
            out[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        return out
    finally:
        con.close()


def _same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


# --- schema, versions, migrations -------------------------------------------------------------

def test_init_creates_the_current_schema_and_is_repeatable(db: Path):
    info = store.store_info(db)
    assert info["schema_version"] == SCHEMA_VERSION == 2
    assert set(info["tables"]) >= {"patients", "ctdna_events", "audit_log", "forecast_summaries"}
    store.init_store(db)  # again: nothing to migrate, nothing lost
    assert store.audit_log(db)["command"].tolist() == ["oncoresist store init"] * 2


def test_a_version_1_store_is_migrated_keeping_its_rows(tmp_path: Path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, target=1)
    con.execute("INSERT INTO patients (patient, disease) VALUES ('PSN-00000000000000000001', 'x')")
    con.close()
    with pytest.raises(InputError, match="schema version 1, older .* store init"):
        store.query(path, "SELECT 1")
    store.init_store(path)
    assert store.store_info(path)["schema_version"] == 2
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT patient FROM patients").fetchall() == [("PSN-00000000000000000001",)]
    assert con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall() == [(1,), (2,)]
    con.close()


def test_newer_unknown_and_missing_stores_are_refused_clearly(tmp_path: Path, db: Path):
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version VALUES (99, 'future', 'x')")
    con.close()
    with pytest.raises(InputError, match="newer than this oncoresist"):
        store.init_store(db)
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with pytest.raises(InputError, match="not an oncoresist store"):
        store.query(other, "SELECT 1")
    with pytest.raises(InputError, match="create one with `oncoresist store init"):
        store.query(tmp_path / "absent.duckdb", "SELECT 1")
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database")
    with pytest.raises(InputError, match="cannot be opened as an oncoresist store"):
        store.query(text, "SELECT 1")


# --- ingestion ---------------------------------------------------------------------------------

def test_ingesting_the_same_data_twice_changes_nothing(db: Path):
    records = store.synthetic_cohort(20, rng=4).records
    first = store.ingest_records(db, records, key=KEY)
    before = _tables(db)
    second = store.ingest_records(db, records, key=KEY)
    assert set(first.patients["outcome"]) == {"new"}
    assert set(second.patients["outcome"]) == {"unchanged"}
    assert second.patients["events"].tolist() == first.patients["events"].tolist()
    _same(before, _tables(db))
    # Only the audit log records the second use.
    assert store.audit_log(db)["outcome"].tolist()[-1] == "unchanged: 20"


def test_a_case_file_ingested_twice_changes_nothing(db: Path, tmp_path: Path):
    folder = tmp_path / "case"
    shutil.copytree(LEAKY, folder)
    key_path = tmp_path / "keys" / "k.json"
    generate_key(key_path)
    first = store.ingest_case(db, folder / "case.yaml", key=key_path)
    before = _tables(db)
    second = store.ingest_case(db, folder / "case.yaml", key=key_path)
    assert first.patients["outcome"].tolist() == ["new"]
    assert second.patients["outcome"].tolist() == ["unchanged"]
    _same(before, _tables(db))
    counts = store.store_info(db)["tables"]
    # 23 plasma samples x 4 variants, 2 tumour samples (VCF and MAF), 12 scans, clones fitted.
    assert counts["observations"] == 92
    assert counts["samples"] == 25
    assert counts["imaging"] == 12
    assert counts["tumour_alterations"] == 3
    assert counts["clonal_clusters"] > 0
    assert counts["annotations"] > 0
    assert counts["ctdna_events"] > 0


def _split(record: store.PatientRecord, keep_days) -> store.PatientRecord:
    obs = record.observations[record.observations["day"].isin(keep_days)].reset_index(drop=True)
    return store.PatientRecord(identifier=record.identifier, disease=record.disease,
                               consent=record.consent, therapy=record.therapy, observations=obs,
                               imaging=record.imaging, error_rate=record.error_rate)


def test_a_new_sample_extends_the_series_and_recomputes_events(tmp_path: Path):
    cohort = store.synthetic_cohort(40, rng=11)
    truth = cohort.truth
    # A patient whose resistance variant appears at a known draw.
    row = truth[truth["emergence_day"].notna()].iloc[0]
    record = cohort.records[int(row.name)]
    days = sorted(record.observations["day"].unique())
    cut = days.index(row["emergence_day"])
    pseudonym = KEY.patient(record.identifier)

    incremental = store.init_store(tmp_path / "a" / "s.duckdb")
    store.ingest_records(incremental, [_split(record, days[:cut])], key=KEY)
    events = store.query(incremental, f"SELECT * FROM ctdna_events WHERE event = 'emergence' "
                         f"AND patient = '{pseudonym}'", use=NSCLC)
    assert events.empty  # not yet emerged
    # The next case file carries only the new blood draw.
    update = store.ingest_records(incremental, [_split(record, [days[cut]])], key=KEY)
    assert update.patients["outcome"].tolist() == ["updated"]
    assert update.patients["samples_added"].tolist() == [1]
    events = store.query(incremental, "SELECT variant, day FROM ctdna_events WHERE "
                         "event = 'emergence'", use=NSCLC)
    assert events.values.tolist() == [[row["resistance"], row["emergence_day"]]]

    # The result is the same as ingesting the whole series at once.
    whole = store.init_store(tmp_path / "b" / "s.duckdb")
    store.ingest_records(whole, [_split(record, days[:cut + 1])], key=KEY)
    a, b = _tables(incremental), _tables(whole)
    for name in [*PATIENT_TABLES]:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def test_a_corrected_sample_replaces_the_old_one(db: Path):
    record = store.synthetic_cohort(1, rng=8).records[0]
    store.ingest_records(db, [record], key=KEY)
    fixed = record.observations.copy()
    first = fixed["sample_id"] == fixed["sample_id"].iloc[0]
    fixed.loc[first, "depth"] = 20000
    corrected = store.PatientRecord(identifier=record.identifier, disease=record.disease,
                                    consent=record.consent, therapy=record.therapy,
                                    observations=fixed[first], error_rate=record.error_rate)
    result = store.ingest_records(db, [corrected], key=KEY)
    assert result.patients["outcome"].tolist() == ["updated"]
    depths = store.query(db, "SELECT depth, count(*) AS n FROM observations GROUP BY depth "
                         "ORDER BY depth", use=NSCLC)
    assert depths.values.tolist() == [[10000, len(fixed) - first.sum()], [20000, first.sum()]]


def test_keys_must_match_the_store_and_live_elsewhere(db: Path, tmp_path: Path):
    records = store.synthetic_cohort(1, rng=1).records
    store.ingest_records(db, records, key=KEY)
    with pytest.raises(InputError, match="made with key .* different key"):
        store.ingest_records(db, records, key=PseudonymKey.from_hex("3d" * 32))
    beside = db.parent / "cohort.key"
    generate_key(beside)
    with pytest.raises(InputError, match="same folder as the store"):
        store.ingest_records(db, records, key=beside)
    with pytest.raises(InputError, match="pseudonym key is needed"):
        store.ingest_records(db, records)


def test_one_record_per_patient(db: Path):
    record = store.synthetic_cohort(1, rng=1).records[0]
    with pytest.raises(InputError, match="records 1 and 2 are the same patient"):
        store.ingest_records(db, [record, record], key=KEY)


def test_ingestion_outside_consent_is_refused_unless_overridden(db: Path):
    record = store.synthetic_cohort(1, rng=1).records[0]
    record.consent = "POA"  # population origins or ancestry research only
    record.__post_init__()
    with pytest.raises(ConsentError, match="consent scope POA does not allow research on "
                                           "non-small cell lung cancer"):
        store.ingest_records(db, [record], key=KEY)
    assert store.store_info(db)["patients"] == 0
    result = store.ingest_records(db, [record], key=KEY, override="DAC decision 17")
    assert result.consent_overrides == [KEY.patient(record.identifier)]
    log = store.audit_log(db)
    assert log["outcome"].tolist()[-2] == "refused: outside consent scope"
    assert bool(log["consent_override"].iloc[-1])
    assert log["override_reason"].iloc[-1] == "DAC decision 17"
    assert log["patients"].iloc[-1] == KEY.patient(record.identifier)


# --- queries, sandbox, audit ------------------------------------------------------------------

def test_query_is_read_only_and_sandboxed(db: Path, tmp_path: Path):
    with pytest.raises(InputError, match="the query failed"):
        store.query(db, "DELETE FROM audit_log")
    with pytest.raises(InputError, match="the query failed"):
        store.query(db, f"COPY patients TO '{tmp_path / 'x.csv'}'")
    with pytest.raises(InputError, match="the query failed"):
        store.query(db, f"SELECT * FROM read_csv('{LEAKY / 'imaging.tsv'}')")
    assert not (tmp_path / "x.csv").exists()


def test_audit_log_masks_literals_and_records_pseudonyms(db: Path):
    store.ingest_records(db, store.synthetic_cohort(3, rng=1).records, key=KEY)
    target = KEY.patient("SYN000002")
    store.query(db, f"SELECT patient FROM patients WHERE patient = '{target}' "
                "OR disease = 'Jane Roe 1970-01-01'", use=NSCLC)
    last = store.audit_log(db).iloc[-1]
    parameters = json.loads(last["parameters"])
    assert "Jane" not in parameters["sql"]
    assert f"'{target}'" in parameters["sql"]
    assert last["patients"] == target
    assert last["n_patients"] == 1
    assert last["command"] == "oncoresist store query"


def test_audit_chain_detects_tampering(db: Path):
    store.ingest_records(db, store.synthetic_cohort(2, rng=1).records, key=KEY)
    store.query(db, "SELECT count(*) FROM patients", use=NSCLC)
    assert store.verify_audit(db) == store.AuditCheck(True, None, 3)
    con = duckdb.connect(str(db))
    con.execute("UPDATE audit_log SET user_name = 'someone else' WHERE seq = 2")
    con.close()
    check = store.verify_audit(db)
    assert not check.intact
    assert check.first_broken == 2
    code = main(["store", "audit", str(db), "--verify"])
    assert code == 2


def test_forget_removes_every_row_of_a_patient(db: Path):
    store.ingest_records(db, store.synthetic_cohort(3, rng=1).records, key=KEY)
    gone = KEY.patient("SYN000001")
    removed = store.forget_patient(db, gone, reason="consent withdrawn")
    assert removed > 0
    for table, frame in _tables(db).items():
        if "patient" in frame.columns:
            assert gone not in set(frame["patient"]), table
    assert store.audit_log(db)["command"].iloc[-1] == "oncoresist store forget"


# --- the command line --------------------------------------------------------------------------

def test_cli_round_trip(tmp_path: Path, capsys):
    folder = tmp_path / "case"
    shutil.copytree(LEAKY, folder)
    db = tmp_path / "store" / "c.duckdb"
    key = tmp_path / "keys" / "k.json"
    assert main(["store", "keygen", str(key)]) == 0
    assert main(["store", "keygen", str(key)]) == 2  # never overwrites a key by accident
    assert main(["store", "init", str(db)]) == 0
    assert main(["store", "ingest", str(db), str(folder / "case.yaml"), "--key", str(key),
                 "--no-annotate"]) == 0
    capsys.readouterr()
    assert main(["store", "query", str(db), "SELECT count(*) AS n FROM observations",
                 "--format", "tsv"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "92"
    out = tmp_path / "answers" / "events.parquet"
    assert main(["store", "cohort", str(db), "--emerging", "EGFR C797S", "-o", str(out)]) == 0
    emerging = pd.read_parquet(out)
    assert emerging["variant"].tolist() == ["EGFR p.C797S"]
    assert json.loads((out.parent / "events.parquet.provenance.json").read_text())["command"] \
        .startswith("oncoresist store cohort")
    assert main(["store", "cohort", str(db), "--lead-times", "--response-rates"]) == 2
    err = capsys.readouterr().err
    assert "choose exactly one of" in err
    assert np.isfinite(emerging["day"]).all()


def test_case_run_summaries_are_stored(db: Path, tmp_path: Path):
    folder = tmp_path / "case"
    shutil.copytree(LEAKY, folder)
    results = tmp_path / "run"
    results.mkdir()
    # The layout `oncoresist case run` writes (provenance.json, forecast_summary.tsv,
    # posterior_summary.tsv), with hand-written values.
    (results / "provenance.json").write_text(json.dumps(
        {"command": "oncoresist case run", "parameters": {"pseudonym": "LAB-0007"}, "seed": 5,
         "kb_version": "k1", "version": "v1"}))
    (results / "forecast_summary.tsv").write_text(
        "strategy\tttp_median\tttp_ci_low\tttp_ci_high\temergence_median\temergence_ci_low\t"
        "emergence_ci_high\tdose_days_median\tcost_median\tp_progression_1y\tp_progression_horizon\n"
        "continue osimertinib\t45\t13\tinf\tinf\t0\tinf\t39.5\t0\t0.8\t0.8\n")
    (results / "posterior_summary.tsv").write_text(
        "parameter\tmedian\tci_low\tci_high\tlevel\tprior\nkill\t0.03\t0.006\t0.17\t0.9\tloguniform\n")
    store.ingest_case(db, folder / "case.yaml", key=KEY, results=results, annotate=False)
    forecast = store.query(db, "SELECT quantity, median, ci_low, ci_high, seed FROM "
                           "forecast_summaries ORDER BY quantity", use=NSCLC)
    ttp = forecast.set_index("quantity").loc["time_to_progression_days"]
    assert (ttp["median"], ttp["ci_low"], ttp["ci_high"], ttp["seed"]) == (45.0, 13.0, np.inf, 5)
    assert len(forecast) == 6
    sims = store.query(db, "SELECT quantity, value FROM simulation_summaries", use=NSCLC)
    assert sims.values.tolist() == [["kill", 0.03]]
    (results / "provenance.json").write_text(json.dumps({"parameters": {"pseudonym": "OTHER"}}))
    with pytest.raises(InputError, match="made from another case"):
        store.ingest_case(db, folder / "case.yaml", key=KEY, results=results, annotate=False)


def test_two_patients_may_use_the_same_sample_names(db: Path):
    # Labs name samples per patient ("plasma1"); the store keeps them apart.
    records = store.synthetic_cohort(2, rng=6).records
    for record in records:
        record.observations["sample_id"] = record.observations["sample_id"].str.replace(
            record.identifier, "plasma", regex=False)
    assert set(records[0].observations["sample_id"]) & set(records[1].observations["sample_id"])
    store.ingest_records(db, records, key=KEY, annotate=False)
    samples = store.query(db, "SELECT patient, sample FROM samples", use=NSCLC)
    assert samples["sample"].nunique() == len(samples)
    assert samples["patient"].nunique() == 2
