"""Ingestion: merge a patient's new data into the store and recompute what depends on it.

Everything for one call happens in one transaction: readers see the store before or after it,
never between; a process killed part-way leaves the store as it was at the last commit (DuckDB
replays only committed work from its write-ahead log).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from oncoresist._core.exceptions import InputError
from oncoresist.privacy import ConsentError, DataUse, PseudonymKey, check_consent
from oncoresist.store import _audit
from oncoresist.store._connect import run
from oncoresist.store._records import (
    PatientRecord,
    PreparedRecord,
    conform,
    frame_digest,
    pseudonymise_record,
)
from oncoresist.store._schema import PATIENT_TABLES, columns

# Test seam: called with a stage name inside the transaction (the kill test stops here).
_stage_hook: Callable[[str], None] = lambda stage: None  # noqa: E731

RAW_TABLES = ["therapy_lines", "observations", "imaging", "tumour_alterations"]


@dataclass
class IngestResult:
    """What one ingestion did.

    Attributes
    ----------
    patients
        One row per patient: ``patient`` (pseudonym), ``outcome`` (``new``, ``updated``,
        ``unchanged``), ``samples_added``, ``observations_added``, ``events``.
    audit_seq
        The audit-log row of this ingestion.
    consent_overrides
        Pseudonyms ingested under an explicit consent override.
    """

    patients: pd.DataFrame
    audit_seq: int
    consent_overrides: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The per-patient table."""
        return self.patients.copy()

    def write(self, path) -> None:
        """Write the per-patient table as TSV."""
        from oncoresist._core import write_table

        write_table(self.patients, path)


def _existing(con: duckdb.DuckDBPyConnection, table: str, patients: list[str]) -> pd.DataFrame:
    if not patients:
        return conform(None, table)
    con.register("_ingest_patients", pd.DataFrame({"patient": patients}))
    cols = ", ".join(f't."{c}"' for c in columns(table))
    frame = con.execute(f'SELECT {cols} FROM "{table}" t JOIN _ingest_patients p USING (patient)'
                        ).fetchdf()
    con.unregister("_ingest_patients")
    return conform(frame, table)


def _merge(old: pd.DataFrame, new: pd.DataFrame, table: str) -> pd.DataFrame:
    """New data add to or correct old data; nothing is removed by a case that omits it."""
    if table == "therapy_lines":
        # A case file carries the whole therapy history: the newest one is the truth.
        return new if len(new) else old
    if table in ("observations", "tumour_alterations"):
        # A sample in the new data replaces all rows of that sample (a re-sequenced sample).
        keep = old[~old["sample"].isin(set(new["sample"]))]
    elif table == "imaging":
        keep = old[~old["day"].isin(set(new["day"]))]
    else:  # pragma: no cover
        raise AssertionError(table)
    merged = pd.concat([keep, new], ignore_index=True) if len(keep) else new
    return conform(merged, table)


def _samples(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    obs, tumour = tables["observations"], tables["tumour_alterations"]
    parts = []
    if len(obs):
        plasma = obs.groupby(["patient", "sample"], sort=True, dropna=False).agg(
            day=("day", "min"), assay=("assay", "first")).reset_index()
        plasma["kind"] = "plasma"
        parts.append(plasma)
    if len(tumour):
        solid = tumour.groupby(["patient", "sample"], sort=True, dropna=False).agg(
            day=("day", "min")).reset_index()
        solid["kind"] = "tumour"
        parts.append(solid)
    return conform(pd.concat(parts, ignore_index=True) if parts else None, "samples")


def _ctdna(changed: list[tuple[PreparedRecord, dict]], options: dict) -> dict[str, pd.DataFrame]:
    """ctDNA calls, events, kinetics and summary of the changed patients, batched by panel."""
    from oncoresist import ctdna

    out = {name: [] for name in ("ctdna_calls", "ctdna_events", "ctdna_kinetics", "ctdna_summary")}
    groups: dict[tuple, list] = {}
    for record, tables in changed:
        if len(tables["observations"]):
            groups.setdefault((record.normals_digest, record.error_rate), []).append((record, tables))
    for (_digest, error_rate), items in sorted(groups.items(), key=lambda kv: kv[0]):
        samples = pd.concat([t["observations"] for _, t in items], ignore_index=True)
        samples = samples.rename(columns={"patient": "patient_id", "sample": "sample_id"})
        samples = samples.dropna(axis=1, how="all")
        for name in ("alt_reads", "depth", "pos", "umi_families"):
            if name in samples.columns:
                samples[name] = samples[name].astype("int64") if samples[name].notna().all() \
                    else samples[name].astype("float64")
        therapy = pd.concat([_ctdna_therapy(t["therapy_lines"]) for _, t in items], ignore_index=True)
        imaging = pd.concat([t["imaging"] for _, t in items], ignore_index=True)
        imaging = imaging[imaging["result"].notna()].rename(columns={"patient": "patient_id"})
        normals = items[0][0].normals
        calls = ctdna.call(samples, normals=normals, default_error_rate=error_rate,
                           alpha=options.get("alpha", 0.01))
        result = ctdna.track(calls, therapy=therapy if len(therapy) else None,
                             imaging=imaging[["patient_id", "day", "result"]] if len(imaging) else None)
        rename = {"patient_id": "patient", "sample_id": "sample"}
        out["ctdna_calls"].append(conform(result.calls.rename(columns=rename), "ctdna_calls"))
        out["ctdna_events"].append(conform(result.events.rename(columns=rename), "ctdna_events"))
        out["ctdna_kinetics"].append(conform(result.kinetics.rename(columns=rename), "ctdna_kinetics"))
        out["ctdna_summary"].append(conform(result.summary.rename(columns=rename), "ctdna_summary"))
    return {name: (pd.concat(parts, ignore_index=True) if parts else conform(None, name))
            for name, parts in out.items()}


def _ctdna_therapy(lines: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for line in lines.itertuples():
        for drug in str(line.drugs).split(";"):
            rows.append((line.patient, drug, line.start_day,
                         np.nan if pd.isna(line.end_day) else line.end_day))
    return pd.DataFrame(rows, columns=["patient_id", "drug", "start_day", "end_day"])


def _annotations(changed: list[tuple[PreparedRecord, dict]], calls: pd.DataFrame) -> pd.DataFrame:
    """Resistance annotation of each patient's tumour alterations and detected ctDNA variants,
    in the context of the current (last) therapy line, earlier lines as history."""
    from oncoresist.annotate import annotate

    groups: dict[tuple, list[pd.DataFrame]] = {}
    detected = calls[calls["detected"].fillna(False).astype(bool)] if len(calls) else calls
    for record, tables in changed:
        parts = []
        tumour = tables["tumour_alterations"]
        if len(tumour):
            parts.append(tumour[["patient", "sample", "gene", "alteration", "vaf"]])
        mine = detected[detected["patient"] == record.patient] if len(detected) else detected
        if len(mine):
            first = mine.sort_values("day").drop_duplicates(["gene", "alteration"])
            parts.append(first.assign(vaf=first["af"])[["patient", "sample", "gene", "alteration",
                                                          "vaf"]])
        if not parts:
            continue
        lines = tables["therapy_lines"].sort_values("start_day")
        current = tuple(str(lines["drugs"].iloc[-1]).split(";"))
        history = tuple(d for drugs in lines["drugs"].iloc[:-1] for d in str(drugs).split(";"))
        key = (current, history, record.disease)
        groups.setdefault(key, []).append(pd.concat(parts, ignore_index=True))
    frames = []
    for (current, history, disease), parts in sorted(groups.items(), key=lambda kv: repr(kv[0])):
        table = pd.concat(parts, ignore_index=True).drop_duplicates(["patient", "sample", "alteration"])
        table = table.dropna(subset=["alteration"])
        # The annotator groups by sample; a patient-qualified sample id keeps patients apart.
        table["sample_id"] = table["patient"] + "|" + table["sample"]
        result = annotate(table[["sample_id", "gene", "alteration", "vaf"]].reset_index(drop=True),
                          therapy=list(current), history=list(history) or None, disease=disease)
        found = result.to_frame()
        if not len(found):
            continue
        split = found["sample_id"].str.split("|", n=1, expand=True)
        found["patient"], found["sample"] = split[0], split[1]
        frames.append(conform(found, "annotations"))
    return pd.concat(frames, ignore_index=True) if frames else conform(None, "annotations")


def _clonal(record: PreparedRecord, key: PseudonymKey) -> pd.DataFrame:
    from oncoresist import clonal

    fit = clonal.fit(record.clonal_path, max_clusters=record.clonal_clusters or 10, rng=record.seed)
    frame = fit.clusters_frame().rename(columns={
        "cluster_id": "cluster", "cellular_prevalence": "ccf",
        "cellular_prevalence_std": "ccf_std", "size": "n_mutations"})
    frame["sample"] = frame["sample_id"].map(lambda s: key.sample(str(s)))
    frame["patient"] = record.patient
    return conform(frame, "clonal_clusters")


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if not len(frame):
        return
    con.register("_ingest_rows", frame)
    cols = ", ".join(f'"{c}"' for c in columns(table))
    run(con, f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM _ingest_rows')
    con.unregister("_ingest_rows")


def _delete_patients(con: duckdb.DuckDBPyConnection, patients: list[str]) -> None:
    con.register("_ingest_patients", pd.DataFrame({"patient": patients}))
    for table in PATIENT_TABLES:
        run(con, f'DELETE FROM "{table}" WHERE patient IN (SELECT patient FROM _ingest_patients)')
    con.unregister("_ingest_patients")


def check_key(con: duckdb.DuckDBPyConnection, key: PseudonymKey) -> None:
    row = con.execute("SELECT value FROM store_meta WHERE name = 'key_id'").fetchone()
    if row is None:
        run(con, "INSERT INTO store_meta VALUES ('key_id', ?)", [key.key_id])
    elif row[0] != key.key_id:
        msg = (f"this store's pseudonyms were made with key {row[0]}, but the key given is "
               f"{key.key_id}; use the store's key file (a different key would give the same "
               "patients different pseudonyms)")
        raise InputError(msg, field="key")


def ingest(
    con: duckdb.DuckDBPyConnection,
    records: Sequence[PatientRecord],
    *,
    key: PseudonymKey,
    use: DataUse | None = None,
    override: str | None = None,
    annotate: bool = True,
    options: dict | None = None,
    command: str = "oncoresist store ingest",
    parameters: dict | None = None,
    user: str | None = None,
) -> IngestResult:
    options = options or {}
    prepared = [pseudonymise_record(r, key) for r in records]
    seen: dict[str, int] = {}
    for i, record in enumerate(prepared):
        if record.patient in seen:
            msg = (f"records {seen[record.patient] + 1} and {i + 1} are the same patient "
                   f"({record.patient}); give one record per patient")
            raise InputError(msg, field="records")
        seen[record.patient] = i
    overrides = []
    uses = []
    for record in prepared:
        this_use = use or DataUse(purpose="disease", disease=record.disease)
        decision = check_consent(record.consent, this_use, override=override, subject=record.patient)
        uses.append(this_use.describe())
        if not decision.allowed:
            overrides.append(record.patient)
    check_key(con, key)
    run(con, "BEGIN TRANSACTION")
    try:
        patients = [r.patient for r in prepared]
        old = {t: _existing(con, t, patients) for t in RAW_TABLES}
        known = con.execute("SELECT patient, content_sha256 FROM patients").fetchdf() \
            if patients else pd.DataFrame(columns=["patient", "content_sha256"])
        known = dict(zip(known["patient"], known["content_sha256"], strict=True))
        row = con.execute("SELECT coalesce(max(ingestion), 0) + 1 FROM ingestions").fetchone()
        ingestion = int(row[0])
        changed, summary = [], []
        for record in prepared:
            merged = {}
            for table in RAW_TABLES:
                mine = old[table][old[table]["patient"] == record.patient]
                merged[table] = _merge(mine, record.tables[table], table)
            extra = json.dumps({"disease": record.disease, "consent": list(record.consent.codes),
                                "normals": record.normals_digest, "error_rate": record.error_rate,
                                "annotate": annotate, "clonal": bool(record.clonal_path),
                                "alpha": options.get("alpha", 0.01)}, sort_keys=True)
            digest = frame_digest(merged, extra)
            before = old["observations"][old["observations"]["patient"] == record.patient]
            samples_added = len(set(merged["observations"]["sample"]) - set(before["sample"]))
            obs_added = len(merged["observations"]) - len(before)
            if known.get(record.patient) == digest:
                outcome = "unchanged"
            else:
                outcome = "new" if record.patient not in known else "updated"
                merged["samples"] = _samples(merged)
                changed.append((record, merged, digest))
            summary.append({"patient": record.patient, "outcome": outcome,
                            "samples_added": samples_added, "observations_added": obs_added})
        _stage_hook("merged")
        if changed:
            pairs = [(r, m) for r, m, _ in changed]
            derived = _ctdna(pairs, options)
            derived["annotations"] = _annotations(pairs, derived["ctdna_calls"]) if annotate \
                else conform(None, "annotations")
            clonal = [_clonal(r, key) for r, _ in pairs if r.clonal_path]
            derived["clonal_clusters"] = pd.concat(clonal, ignore_index=True) if clonal \
                else conform(None, "clonal_clusters")
            ids = [r.patient for r, _, _ in changed]
            _delete_patients(con, ids)
            _stage_hook("deleted")
            for table in ("therapy_lines", "samples", "observations", "imaging", "tumour_alterations"):
                _insert(con, table, pd.concat([m[table] for _, m, _ in changed], ignore_index=True))
            for table, frame in derived.items():
                _insert(con, table, frame)
            _stage_hook("inserted")
            rows = pd.DataFrame([{
                "patient": r.patient, "disease": r.disease, "consent": ", ".join(r.consent.codes),
                "consent_duo": ", ".join(r.consent.duo_ids), "permission": r.consent.permission,
                "content_sha256": digest, "first_ingestion": ingestion,
                "last_ingestion": ingestion} for r, _, digest in changed])
            con.register("_ingest_patient_rows", conform(rows, "patients"))
            run(con, """
                INSERT INTO patients SELECT * FROM _ingest_patient_rows
                ON CONFLICT (patient) DO UPDATE SET disease = excluded.disease,
                    consent = excluded.consent, consent_duo = excluded.consent_duo,
                    permission = excluded.permission, content_sha256 = excluded.content_sha256,
                    last_ingestion = excluded.last_ingestion""")
            con.unregister("_ingest_patient_rows")
        table = pd.DataFrame(summary, columns=["patient", "outcome", "samples_added",
                                               "observations_added"])
        events = con.execute("SELECT patient, count(*) AS n FROM ctdna_events GROUP BY patient"
                             ).fetchdf() if changed else pd.DataFrame(columns=["patient", "n"])
        table["events"] = table["patient"].map(dict(zip(events["patient"], events["n"],
                                                        strict=True))).fillna(0).astype(int)
        from oncoresist._version import __version__

        log_rows = table.assign(ingestion=ingestion, oncoresist_version=__version__,
                                content_sha256=table["patient"].map(
                                    {r.patient: d for r, _, d in changed}),
                                parameters=json.dumps(options, sort_keys=True))
        _insert(con, "ingestions", conform(log_rows, "ingestions"))
        seq = _audit.append(
            con, command=command, parameters=parameters or {}, subjects=patients,
            outcome=", ".join(f"{k}: {v}" for k, v in table["outcome"].value_counts().sort_index()
                              .items()),
            data_use="; ".join(sorted(set(uses))), user=user,
            override_reason=override if overrides else None)
        _stage_hook("before-commit")
        run(con, "COMMIT")
    except BaseException:
        run(con, "ROLLBACK")
        raise
    return IngestResult(table, seq, overrides)


__all__ = ["ConsentError", "IngestResult", "check_key", "ingest"]
