"""One writer at a time, transactions, and a crash in the middle of an ingestion."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from oncoresist import store
from oncoresist.cli._app import main
from oncoresist.privacy import DataUse, PseudonymKey
from oncoresist.store import StoreLockedError

KEY_HEX = "11" * 32
NSCLC = DataUse(disease="non-small cell lung cancer")  # what the synthetic patients have
# A child process that ingests patients 1-3 (committed), then patients 4-6 and stops inside the
# second transaction at the given stage, announcing it with "PAUSED", for `seconds`.
CHILD = textwrap.dedent("""
    import sys, time
    from oncoresist import store
    from oncoresist.store import _ingest
    from oncoresist.privacy import DataUse, PseudonymKey
    db, stage, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    key = PseudonymKey.from_hex(sys.argv[4])
    records = store.synthetic_cohort(6, rng=3).records
    store.ingest_records(db, records[:3], key=key, annotate=False)
    def hook(name):
        if name == stage:
            print("PAUSED", flush=True)
            time.sleep(seconds)
    _ingest._stage_hook = hook
    store.ingest_records(db, records[3:], key=key, annotate=False)
    print("DONE", flush=True)
""")


def _start_child(db: Path, stage: str, seconds: float) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), stage, str(seconds), KEY_HEX],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    if line.strip() != "PAUSED":
        child.kill()
        raise AssertionError("child did not reach the pause: " + line + child.stderr.read())
    return child


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return store.init_store(tmp_path / "store" / "cohort.duckdb")


def _pseudonyms(n: int) -> list[str]:
    key = PseudonymKey.from_hex(KEY_HEX)
    return sorted(key.patient(f"SYN{i:06d}") for i in range(1, n + 1))


def test_killed_ingestion_loses_nothing_committed_and_shows_nothing_half_written(db: Path):
    child = _start_child(db, "inserted", 120)
    try:
        # While the child is inside its transaction, a reader cannot open the store at all
        # (DuckDB's file lock): it can never see the half-written ingestion.
        with pytest.raises(StoreLockedError, match=r"in use by another process \(PID \d+\)"):
            store.query(db, "SELECT count(*) FROM patients", use=NSCLC)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    patients = store.query(db, "SELECT patient FROM patients ORDER BY patient", use=NSCLC)["patient"].tolist()
    assert patients == _pseudonyms(3)  # the first ingestion, committed before the kill
    counts = store.query(db, "SELECT count(DISTINCT patient) AS n FROM observations", use=NSCLC)["n"].item()
    assert counts == 3
    events = store.query(db, "SELECT count(DISTINCT patient) AS n FROM ctdna_events", use=NSCLC)["n"].item()
    assert events == 3
    log = store.audit_log(db)
    assert log["command"].tolist()[:2] == ["oncoresist store init",
                                           "oncoresist.store.ingest_records"]
    assert store.verify_audit(db).intact
    # The store works normally afterwards: the interrupted patients can be ingested again.
    result = store.ingest_records(db, store.synthetic_cohort(6, rng=3).records,
                                  key=PseudonymKey.from_hex(KEY_HEX), annotate=False)
    assert result.patients["outcome"].tolist() == ["unchanged"] * 3 + ["new"] * 3


def test_second_writer_gets_a_clear_message(db: Path, tmp_path: Path, capsys):
    child = _start_child(db, "merged", 120)
    try:
        records = store.synthetic_cohort(1, rng=9).records
        with pytest.raises(StoreLockedError) as info:
            store.ingest_records(db, records, key=PseudonymKey.from_hex(KEY_HEX), annotate=False)
        text = str(info.value)
        assert str(db) in text
        assert f"PID {child.pid}" in text
        assert "--wait" in text
        # The command line turns it into one line on stderr and exit status 2.
        code = main(["store", "init", str(db)])
        err = capsys.readouterr().err
        assert code == 2
        assert err.startswith("error: ")
        assert "only one process may write at a time" in err
        assert len(err.strip().splitlines()) == 1
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)


@pytest.mark.slow
def test_second_writer_can_wait_for_the_first(db: Path):
    child = _start_child(db, "merged", 2.0)
    try:
        extra = store.synthetic_cohort(7, rng=3).records[6:]  # a seventh patient
        started = time.monotonic()
        result = store.ingest_records(db, extra, key=PseudonymKey.from_hex(KEY_HEX),
                                      annotate=False, wait=120)
        assert time.monotonic() - started > 0.5  # it did wait for the child's commit
        assert result.patients["outcome"].tolist() == ["new"]
        out, err = child.communicate(timeout=120)
        assert "DONE" in out, err
    finally:
        if child.poll() is None:
            child.kill()
    assert len(store.query(db, "SELECT patient FROM patients", use=NSCLC)) == 7


def test_two_threads_of_one_process_cannot_write_at_once(db: Path, monkeypatch):
    from oncoresist.store import _ingest

    inside, release = threading.Event(), threading.Event()

    def hook(stage):
        if stage == "merged":
            inside.set()
            release.wait(30)

    monkeypatch.setattr(_ingest, "_stage_hook", hook)
    key = PseudonymKey.from_hex(KEY_HEX)
    cohort = store.synthetic_cohort(2, rng=5).records
    errors = []
    worker = threading.Thread(target=lambda: store.ingest_records(db, cohort[:1], key=key,
                                                                  annotate=False))
    worker.start()
    try:
        assert inside.wait(60)
        try:
            store.ingest_records(db, cohort[1:], key=key, annotate=False)
        except StoreLockedError as exc:
            errors.append(exc)
    finally:
        release.set()
        worker.join(60)
    assert len(errors) == 1
    assert "only one process may write at a time" in str(errors[0])
