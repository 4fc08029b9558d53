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
import pandas as pd

from oncoresist._core.exceptions import InputError
from oncoresist.privacy import ConsentError, DataUse, PseudonymKey, check_consent
from oncoresist.store import _audit
from oncoresist.store._connect import one, run
from oncoresist.store._records import (
    PatientRecord,
    PreparedRecord,
    conform,
    patient_digests,
    prepare_batch,
)
from oncoresist.store._schema import PATIENT_TABLES, columns

# Test seam: called with a stage name inside the transaction (the kill test stops here).
_stage_hook: Callable[[str], None] = lambda stage: None  # noqa: E731

RAW_TABLES = ["therapy_lines", "observations", "imaging", "tumour_alterations",
              "forecast_summaries", "simulation_summaries"]


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


def _keys(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame["patient"].astype(str) + "\x1f" + frame[column].astype(str)


def _merge(old: pd.DataFrame, new: pd.DataFrame, table: str) -> pd.DataFrame:
    """New data add to or correct old data; nothing is removed by a case that omits it."""
    if not len(old):
        return new
    if not len(new):
        return old
    if table in ("therapy_lines", "forecast_summaries", "simulation_summaries"):
        # A case file carries the whole therapy history, and a case run's summaries describe the
        # whole case: the newest ones replace the old.
        keep = old[~old["patient"].isin(set(new["patient"]))]
    elif table in ("observations", "tumour_alterations"):
        # A sample in the new data replaces all rows of that sample (a re-sequenced sample).
        keep = old[~_keys(old, "sample").isin(set(_keys(new, "sample")))]
    elif table == "imaging":
        keep = old[~_keys(old, "day").isin(set(_keys(new, "day")))]
    else:  # pragma: no cover
        raise AssertionError(table)
    return conform(pd.concat([keep, new], ignore_index=True), table)


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


def _ctdna(changed: list[PreparedRecord], tables: dict[str, pd.DataFrame],
           options: dict) -> dict[str, pd.DataFrame]:
    """ctDNA calls, events, kinetics and summary of the changed patients, batched by panel."""
    from oncoresist import ctdna

    out = {name: [] for name in ("ctdna_calls", "ctdna_events", "ctdna_kinetics", "ctdna_summary")}
    with_obs = set(tables["observations"]["patient"])
    groups: dict[tuple, list[PreparedRecord]] = {}
    for record in changed:
        if record.patient in with_obs:
            groups.setdefault((record.normals_digest, record.error_rate), []).append(record)
    for (_digest, error_rate), items in sorted(groups.items(), key=lambda kv: kv[0]):
        ids = {r.patient for r in items}
        samples = tables["observations"][tables["observations"]["patient"].isin(ids)]
        samples = samples.rename(columns={"patient": "patient_id", "sample": "sample_id"})
        samples = samples.dropna(axis=1, how="all")
        for name in ("alt_reads", "depth", "pos", "umi_families"):
            if name in samples.columns:
                samples[name] = samples[name].astype("int64") if samples[name].notna().all() \
                    else samples[name].astype("float64")
        therapy = _ctdna_therapy(tables["therapy_lines"][tables["therapy_lines"]["patient"].isin(ids)])
        imaging = tables["imaging"][tables["imaging"]["patient"].isin(ids)
                                    & tables["imaging"]["result"].notna()]
        imaging = imaging.rename(columns={"patient": "patient_id"})[["patient_id", "day", "result"]]
        calls = ctdna.call(samples.reset_index(drop=True), normals=items[0].normals,
                           default_error_rate=error_rate, alpha=options.get("alpha", 0.01))
        result = ctdna.track(calls, therapy=therapy if len(therapy) else None,
                             imaging=imaging.reset_index(drop=True) if len(imaging) else None)
        rename = {"patient_id": "patient", "sample_id": "sample"}
        out["ctdna_calls"].append(conform(result.calls.rename(columns=rename), "ctdna_calls"))
        out["ctdna_events"].append(conform(result.events.rename(columns=rename), "ctdna_events"))
        out["ctdna_kinetics"].append(conform(result.kinetics.rename(columns=rename), "ctdna_kinetics"))
        out["ctdna_summary"].append(conform(result.summary.rename(columns=rename), "ctdna_summary"))
    return {name: (pd.concat(parts, ignore_index=True) if parts else conform(None, name))
            for name, parts in out.items()}


def _ctdna_therapy(lines: pd.DataFrame) -> pd.DataFrame:
    if not len(lines):
        return pd.DataFrame(columns=["patient_id", "drug", "start_day", "end_day"])
    frame = lines.assign(drug=lines["drugs"].astype(str).str.split(";")).explode("drug")
    frame = frame.rename(columns={"patient": "patient_id"})
    return frame[["patient_id", "drug", "start_day", "end_day"]].reset_index(drop=True)


def _annotations(changed: list[PreparedRecord], tables: dict[str, pd.DataFrame],
                 calls: pd.DataFrame) -> pd.DataFrame:
    """Resistance annotation of each patient's tumour alterations and detected ctDNA variants,
    in the context of the current (last) therapy line, earlier lines as history."""
    from oncoresist.annotate import annotate

    parts = []
    tumour = tables["tumour_alterations"]
    if len(tumour):
        parts.append(tumour[["patient", "sample", "gene", "alteration", "vaf"]])
    if len(calls):
        detected = calls[calls["detected"].fillna(False).astype(bool)]
        first = detected.sort_values(["patient", "day"], kind="mergesort").drop_duplicates(
            ["patient", "gene", "alteration"])
        parts.append(first.assign(vaf=first["af"])[["patient", "sample", "gene", "alteration", "vaf"]])
    if not parts:
        return conform(None, "annotations")
    wanted = pd.concat(parts, ignore_index=True).dropna(subset=["alteration"])
    wanted = wanted.drop_duplicates(["patient", "sample", "alteration"])
    lines = tables["therapy_lines"].sort_values(["patient", "start_day"], kind="mergesort")
    context = {}
    for patient, group in lines.groupby("patient", sort=False):
        drugs = group["drugs"].astype(str).tolist()
        context[patient] = (drugs[-1], ";".join(drugs[:-1]))
    disease = {r.patient: r.disease for r in changed}
    wanted = wanted[wanted["patient"].isin(context)]
    wanted["context"] = wanted["patient"].map(lambda p: (*context[p], disease[p]))
    frames = []
    for (current, history, illness), table in sorted(wanted.groupby("context", sort=False),
                                                     key=lambda kv: repr(kv[0])):
        # The annotator groups by sample; a patient-qualified sample id keeps patients apart.
        table = table.assign(sample_id=table["patient"] + "|" + table["sample"])
        result = annotate(table[["sample_id", "gene", "alteration", "vaf"]].reset_index(drop=True),
                          therapy=current.split(";"), history=history.split(";") if history else None,
                          disease=illness)
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
    frame["sample"] = frame["sample_id"].map(lambda s: key.sample(str(s), patient=record.patient))
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
    row = one(con, "SELECT value FROM store_meta WHERE name = 'key_id'")
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
    batch = prepare_batch(list(records), key)
    prepared = batch.patients
    seen: dict[str, int] = {}
    for i, record in enumerate(prepared):
        if record.patient in seen:
            msg = (f"records {seen[record.patient] + 1} and {i + 1} are the same patient "
                   f"({record.patient}); give one record per patient")
            raise InputError(msg, field="records")
        seen[record.patient] = i
    overrides, uses, verdicts = [], set(), {}
    for record in prepared:
        this_use = use or DataUse(purpose="disease", disease=record.disease)
        memo = (record.consent, this_use)
        if memo not in verdicts:
            verdicts[memo] = check_consent(record.consent, this_use, override=override,
                                           subject=record.patient).allowed
        uses.add(this_use.describe())
        if not verdicts[memo]:
            overrides.append(record.patient)
    check_key(con, key)
    run(con, "BEGIN TRANSACTION")
    try:
        patients = [r.patient for r in prepared]
        old = {t: _existing(con, t, patients) for t in RAW_TABLES}
        con.register("_ingest_patients", pd.DataFrame({"patient": patients}))
        known = con.execute("SELECT patient, content_sha256 FROM patients "
                            "JOIN _ingest_patients USING (patient)").fetchdf()
        con.unregister("_ingest_patients")
        known = dict(zip(known["patient"], known["content_sha256"], strict=True))
        ingestion = int(one(con, "SELECT coalesce(max(ingestion), 0) + 1 FROM ingestions")[0])
        merged = {t: _merge(old[t], batch.tables[t], t) for t in RAW_TABLES}
        extras = {r.patient: json.dumps({
            "disease": r.disease, "consent": list(r.consent.codes), "normals": r.normals_digest,
            "error_rate": r.error_rate, "annotate": annotate, "clonal": bool(r.clonal_path),
            "alpha": options.get("alpha", 0.01)}, sort_keys=True) for r in prepared}
        digests = patient_digests(merged, extras)
        old_samples = old["observations"].groupby("patient")["sample"].nunique()
        new_samples = merged["observations"].groupby("patient")["sample"].nunique()
        old_rows = old["observations"].groupby("patient").size()
        new_rows = merged["observations"].groupby("patient").size()
        summary, changed = [], []
        for record in prepared:
            p = record.patient
            if known.get(p) == digests[p]:
                outcome = "unchanged"
            else:
                outcome = "new" if p not in known else "updated"
                changed.append(record)
            summary.append({"patient": p, "outcome": outcome,
                            "samples_added": int(new_samples.get(p, 0) - old_samples.get(p, 0)),
                            "observations_added": int(new_rows.get(p, 0) - old_rows.get(p, 0))})
        _stage_hook("merged")
        if changed:
            ids = {r.patient for r in changed}
            sub = {t: merged[t][merged[t]["patient"].isin(ids)].reset_index(drop=True)
                   for t in RAW_TABLES}
            sub["samples"] = _samples(sub)
            derived = _ctdna(changed, sub, options)
            derived["annotations"] = _annotations(changed, sub, derived["ctdna_calls"]) \
                if annotate else conform(None, "annotations")
            clonal = [_clonal(r, key) for r in changed if r.clonal_path]
            derived["clonal_clusters"] = pd.concat(clonal, ignore_index=True) if clonal \
                else conform(None, "clonal_clusters")
            _delete_patients(con, sorted(ids))
            _stage_hook("deleted")
            for table in ("samples", *RAW_TABLES):
                _insert(con, table, sub[table])
            for table, frame in derived.items():
                _insert(con, table, frame)
            _stage_hook("inserted")
            rows = pd.DataFrame([{
                "patient": r.patient, "disease": r.disease, "consent": ", ".join(r.consent.codes),
                "consent_duo": ", ".join(r.consent.duo_ids), "permission": r.consent.permission,
                "content_sha256": digests[r.patient], "first_ingestion": ingestion,
                "last_ingestion": ingestion} for r in changed])
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
        if changed:
            events = derived["ctdna_events"].groupby("patient").size()
            table["events"] = table["patient"].map(events).fillna(0).astype(int)
            table.loc[table["outcome"] == "unchanged", "events"] = -1
        else:
            table["events"] = -1
        if (table["events"] < 0).any():
            counts = con.execute("SELECT patient, count(*) AS n FROM ctdna_events "
                                 "GROUP BY patient").fetchdf()
            lookup = dict(zip(counts["patient"], counts["n"], strict=True))
            mask = table["events"] < 0
            table.loc[mask, "events"] = table.loc[mask, "patient"].map(lookup).fillna(0).astype(int)
        from oncoresist._version import __version__

        log_rows = table.assign(ingestion=ingestion, oncoresist_version=__version__,
                                content_sha256=table["patient"].map(digests),
                                parameters=json.dumps(options, sort_keys=True))
        # The ingestion log lists changes only: ingesting the same data again changes no table
        # but the audit log (which records every use).
        _insert(con, "ingestions", conform(log_rows[log_rows["outcome"] != "unchanged"],
                                           "ingestions"))
        seq = _audit.append(
            con, command=command, parameters=parameters or {}, subjects=patients,
            outcome=", ".join(f"{k}: {v}" for k, v in table["outcome"].value_counts().sort_index()
                              .items()),
            data_use="; ".join(sorted(uses)), user=user,
            override_reason=override if overrides else None)
        _stage_hook("before-commit")
        run(con, "COMMIT")
    except BaseException:
        run(con, "ROLLBACK")
        raise
    return IngestResult(table, seq, overrides)


__all__ = ["ConsentError", "IngestResult", "check_key", "ingest"]
