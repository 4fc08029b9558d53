"""The cohort store: one DuckDB file with every patient's data and results, by pseudonym.

Labs follow many patients for years. The store keeps, per patient (by keyed pseudonym only),
the therapy lines, samples, ctDNA observations, imaging, tumour alterations and the results
computed from them — resistance annotations, ctDNA calls, events, kinetics and summaries,
clonal clusters — with a versioned schema and migrations, so that cohort questions ("every
patient with an emerging EGFR C797S", "median lead time of ctDNA over imaging", "response rate
per regimen") are one call or one SQL query.

- Ingestion is idempotent (the same data again changes nothing) and incremental (a new sample
  adds to the patient's series and recomputes that patient's ctDNA results), and it happens in
  one transaction: readers never see half of it and a crash loses nothing committed before.
- One writer at a time: a second gets :class:`StoreLockedError` naming the store and what to do.
- Identifiers never enter the store: patients and samples are pseudonymised with the user's key
  (:mod:`oncoresist.privacy`) before anything is written, and the store refuses a different key.
- Every patient's consent (GA4GH DUO codes) is checked against the declared use of each
  analysis; overrides are explicit and logged.
- Every use is recorded in an append-only, hash-chained audit log (who, what, which pseudonyms,
  versions, parameters; never identifiers).

A research tool, not a medical device.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from oncoresist._core.exceptions import InputError
from oncoresist.privacy import ConsentError, DataUse, PseudonymKey, load_key
from oncoresist.store import _audit, _cohort
from oncoresist.store._cohort import CohortResult
from oncoresist.store._connect import StoreLockedError, one, open_store, run, schema_version
from oncoresist.store._ingest import IngestResult, ingest
from oncoresist.store._records import PatientRecord
from oncoresist.store._schema import PATIENT_TABLES, SCHEMA_VERSION, TABLES
from oncoresist.store._synthetic import SyntheticCohort, generate

__all__ = [
    "SCHEMA_VERSION",
    "AuditCheck",
    "CohortResult",
    "IngestResult",
    "PatientRecord",
    "StoreLockedError",
    "SyntheticCohort",
    "audit_log",
    "cohort",
    "forget_patient",
    "ingest_case",
    "ingest_records",
    "init_store",
    "query",
    "store_info",
    "synthetic_cohort",
    "verify_audit",
]

PathLike = str | os.PathLike[str]
QUESTIONS = ("emerging", "lead_times", "response_rates")


def _key(key: PseudonymKey | PathLike | None, db: PathLike) -> PseudonymKey:
    if key is None:
        env = os.environ.get("ONCORESIST_KEY_FILE")
        if not env:
            msg = ("a pseudonym key is needed to ingest: pass --key KEYFILE (key=...) or set "
                   "ONCORESIST_KEY_FILE; make one with `oncoresist store keygen KEYFILE` and keep it "
                   "outside the store's folder and the output folders")
            raise InputError(msg, field="key")
        key = env
    if isinstance(key, PseudonymKey):
        return key
    path = Path(key)
    if path.resolve().parent == Path(db).resolve().parent:
        msg = ("the key file is in the same folder as the store; the key must be kept apart from "
               "the data it protects (anyone with both can re-identify). Move the key elsewhere")
        raise InputError(msg, path=path, field="key")
    return load_key(path)


def init_store(db: PathLike, *, wait: float = 0.0, user: str | None = None) -> Path:
    """Create a store, or bring an existing one to the current schema version (keeping its rows).

    Parameters
    ----------
    db
        The DuckDB file (created with its folder if absent).
    wait
        Seconds to wait for another writer to finish.
    user
        Who is running this (the audit log records it; default: the login name).

    Returns
    -------
    pathlib.Path
        The store.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = init_store(pathlib.Path(tempfile.mkdtemp()) / "cohort.duckdb")
    >>> store_info(db)["schema_version"] == SCHEMA_VERSION
    True
    """
    target = Path(db)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open_store(target, write=True, wait=wait, create=True) as con:
        run(con, "BEGIN TRANSACTION")
        _audit.append(con, command="oncoresist store init", parameters={},
                      subjects=(), outcome=f"schema version {schema_version(con)}", user=user)
        run(con, "COMMIT")
    return target


def ingest_records(
    db: PathLike,
    records: Sequence[PatientRecord],
    *,
    key: PseudonymKey | PathLike | None = None,
    use: DataUse | None = None,
    override: str | None = None,
    annotate: bool = True,
    wait: float = 0.0,
    user: str | None = None,
    command: str = "oncoresist.store.ingest_records",
) -> IngestResult:
    """Ingest patient records in one transaction (the bulk path; cases go through :func:`ingest_case`).

    For each patient: identifiers are pseudonymised with ``key``; consent is checked against
    ``use`` (by default: research on the patient's own disease); the new data are merged with
    what the store holds (a sample in the new data replaces that sample's rows, new samples
    are added, the newest therapy history replaces the old one, scans are merged by day); if
    the merged data are what the store already has, nothing changes; otherwise ctDNA calls,
    events, kinetics and summary, resistance annotations and clonal clusters of that patient
    are recomputed from all of their data.

    Parameters
    ----------
    db
        The store (see :func:`init_store`).
    records
        One :class:`PatientRecord` per patient.
    key
        The pseudonym key, or its file (kept outside the store's folder); by default the file
        named by ``ONCORESIST_KEY_FILE``.
    use
        The declared use, checked against each patient's consent.
    override
        A reason to ingest patients whose consent does not cover the use (logged).
    annotate
        Compute resistance annotations (needs the knowledge base).
    wait
        Seconds to wait for another writer.
    user
        Who runs it, for the audit log.
    command
        The command recorded in the audit log.

    Returns
    -------
    IngestResult
        Per patient: ``new``, ``updated`` or ``unchanged``, samples and rows added, events.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from oncoresist.privacy import PseudonymKey
    >>> db = init_store(pathlib.Path(tempfile.mkdtemp()) / "c.duckdb")
    >>> cohort_ = synthetic_cohort(3, rng=1)
    >>> key = PseudonymKey.from_hex("00" * 32)
    >>> ingest_records(db, cohort_.records, key=key, annotate=False).patients["outcome"].tolist()
    ['new', 'new', 'new']
    >>> ingest_records(db, cohort_.records, key=key, annotate=False).patients["outcome"].tolist()
    ['unchanged', 'unchanged', 'unchanged']
    """
    the_key = _key(key, db)
    records = list(records)
    if not records:
        msg = "no records to ingest"
        raise InputError(msg, field="records")
    parameters = {"patients": len(records), "annotate": annotate,
                  "override": bool(override)}
    with open_store(db, write=True, wait=wait) as con:
        try:
            return ingest(con, records, key=the_key, use=use, override=override,
                          annotate=annotate, command=command, parameters=parameters, user=user)
        except ConsentError:
            _log_refusal(con, command, parameters, records, the_key, use, user)
            raise


def _log_refusal(con, command, parameters, records, key, use, user) -> None:
    run(con, "BEGIN TRANSACTION")
    _audit.append(con, command=command, parameters=parameters,
                  subjects=[key.patient(r.identifier) for r in records],
                  outcome="refused: outside consent scope",
                  data_use=use.describe() if use else "research on the patient's disease",
                  user=user)
    run(con, "COMMIT")


def ingest_case(
    db: PathLike,
    case,
    *,
    key: PseudonymKey | PathLike | None = None,
    results: PathLike | None = None,
    use: DataUse | None = None,
    override: str | None = None,
    annotate: bool = True,
    wait: float = 0.0,
    user: str | None = None,
) -> IngestResult:
    """Ingest one case file (``oncoresist.case`` format): see :func:`ingest_records`.

    Parameters
    ----------
    db
        The store.
    case
        The case YAML path, or an ``oncoresist.case.LoadedCase``.
    key
        The pseudonym key or its file.
    results
        The output folder of ``oncoresist case run`` for this case: its strategy forecast
        (``forecast_summary.tsv``) and calibrated parameters (``posterior_summary.tsv``) are
        stored as ``forecast_summaries`` and ``simulation_summaries``.
    use
        The declared use (default: research on the case's disease).
    override
        A reason to go beyond the consent scope (logged).
    annotate
        Compute resistance annotations.
    wait
        Seconds to wait for another writer.
    user
        Who runs it, for the audit log.

    Returns
    -------
    IngestResult
        What changed.

    Examples
    --------
    >>> import tempfile, pathlib, textwrap
    >>> from oncoresist.privacy import PseudonymKey
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "ctdna.tsv").write_text(textwrap.dedent('''\\
    ...     patient_id\\tsample_id\\tday\\tgene\\talteration\\talt_reads\\tdepth
    ...     P1\\ts1\\t0\\tEGFR\\tp.L858R\\t400\\t10000
    ...     P1\\ts2\\t42\\tEGFR\\tp.L858R\\t0\\t10000
    ...     '''))
    >>> _ = (folder / "case.yaml").write_text(textwrap.dedent('''\\
    ...     pseudonym: LAB-0001
    ...     disease: NSCLC
    ...     consent: [HMB]
    ...     therapy_history: [{drugs: osimertinib, start_day: 0}]
    ...     ctdna: {path: ctdna.tsv}
    ...     strategies: [{name: osimertinib, kind: continuous, drugs: osimertinib}]
    ...     '''))
    >>> db = init_store(folder / "store" / "c.duckdb")
    >>> key = PseudonymKey.from_hex("00" * 32)
    >>> ingest_case(db, folder / "case.yaml", key=key, annotate=False).patients["outcome"].tolist()
    ['new']
    """
    from oncoresist.store._case import record_from_case

    record = record_from_case(case, results)
    return ingest_records(db, [record], key=key, use=use, override=override, annotate=annotate,
                          wait=wait, user=user, command="oncoresist store ingest")


def _use(use: DataUse | None) -> DataUse:
    return use if use is not None else DataUse(purpose="disease", disease=None)


def query(
    db: PathLike,
    sql: str,
    *,
    use: DataUse | None = None,
    override: str | None = None,
    wait: float = 0.0,
    user: str | None = None,
) -> pd.DataFrame:
    """Run read-only SQL on the store; consent is checked for the patients the answer draws on.

    The SQL runs on a read-only connection without access to other files. When the answer
    has pseudonyms in it, those patients' consents are checked; otherwise (an aggregate) every
    patient in the store is. The audit log records the SQL with its string literals masked
    (they could hold identifiers a user typed), and the pseudonyms in the answer.

    Parameters
    ----------
    db
        The store.
    sql
        One SQL statement (tables: see ``docs/store.md``).
    use
        The declared use (default: cancer research not limited to one disease).
    override
        A reason to go beyond consent scopes (logged).
    wait
        Seconds to wait for a writer.
    user
        Who runs it, for the audit log.

    Returns
    -------
    pandas.DataFrame
        The answer.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = init_store(pathlib.Path(tempfile.mkdtemp()) / "c.duckdb")
    >>> query(db, "SELECT count(*) AS n FROM patients")["n"].tolist()
    [0]
    """
    if not isinstance(sql, str) or not sql.strip():
        msg = "give one SQL statement, e.g. \"SELECT * FROM ctdna_events LIMIT 10\""
        raise InputError(msg, field="sql")
    the_use = _use(use)
    with open_store(db, write=False, wait=wait, sandbox=True) as con:
        try:
            answer = con.execute(sql).fetchdf()
        except duckdb.Error as exc:
            msg = f"the query failed: {str(exc).splitlines()[0]}"
            raise InputError(msg, field="sql") from None
        pseudonyms = sorted({v for column in answer.columns if answer[column].dtype == object
                             for v in answer[column].dropna().unique() if _audit.is_pseudonym(v)})
        subjects = pseudonyms or None
        refusal: ConsentError | None = None
        overridden = False
        try:
            _allowed, _excluded, overridden = _cohort.consented_patients(
                con, the_use, patients=subjects, override=override)
        except ConsentError as exc:
            refusal = exc
    parameters = {"sql": _audit.mask_sql(sql)}
    with open_store(db, write=True, wait=max(wait, 10.0)) as con:
        run(con, "BEGIN TRANSACTION")
        _audit.append(con, command="oncoresist store query", parameters=parameters,
                      subjects=[] if refusal else pseudonyms,
                      outcome="refused: outside consent scope" if refusal
                      else f"{len(answer)} rows", data_use=the_use.describe(), user=user,
                      override_reason=override if (refusal is None and overridden) else None)
        run(con, "COMMIT")
    if refusal is not None:
        raise refusal
    return answer


def cohort(
    db: PathLike,
    question: str,
    *,
    alteration: str | None = None,
    use: DataUse | None = None,
    override: str | None = None,
    only_consented: bool = False,
    wait: float = 0.0,
    user: str | None = None,
) -> CohortResult:
    """Answer a ready-made cohort question.

    - ``emerging``: every patient in whom ``alteration`` (or any alteration it matches, e.g.
      ``KRAS G12X``) emerged in ctDNA, with the day of first detection, the confirming day, the
      drugs given then and the annotation.
    - ``lead_times``: per patient and therapy line, molecular progression in ctDNA (confirmed
      day) against radiographic progression; summary: median and quartiles of the lead time.
    - ``response_rates``: per regimen, ctDNA molecular response (50% and 90% decline,
      clearance) and RECIST objective response with Clopper–Pearson 95% intervals.

    Parameters
    ----------
    db
        The store.
    question
        ``emerging``, ``lead_times`` or ``response_rates``.
    alteration
        For ``emerging``: the alteration as people write it (``EGFR C797S``).
    use
        The declared use, checked against every patient's consent (default: cancer research
        not limited to one disease, which disease-specific consents do not cover).
    override
        Include patients whose consent does not cover the use, for this reason (logged).
    only_consented
        Leave those patients out instead of refusing (the result lists them as ``excluded``).
    wait
        Seconds to wait for a writer.
    user
        Who runs it, for the audit log.

    Returns
    -------
    CohortResult
        ``table``, ``summary``, ``excluded``; ``.write(path)`` as TSV or Parquet.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from oncoresist.privacy import PseudonymKey
    >>> db = init_store(pathlib.Path(tempfile.mkdtemp()) / "c.duckdb")
    >>> _ = ingest_records(db, synthetic_cohort(5, rng=2).records,
    ...                    key=PseudonymKey.from_hex("00" * 32), annotate=False)
    >>> result = cohort(db, "response_rates", use=DataUse(disease="NSCLC"))
    >>> int(result.table["lines"].sum())
    5
    """
    if question not in QUESTIONS:
        msg = f"question must be one of {', '.join(QUESTIONS)}, got {question!r}"
        raise InputError(msg, field="question")
    if question == "emerging" and not alteration:
        msg = "the emerging question needs an alteration, e.g. \"EGFR C797S\""
        raise InputError(msg, field="alteration")
    the_use = _use(use)
    parameters = {"question": question, "alteration": alteration,
                  "only_consented": only_consented}
    refusal: ConsentError | None = None
    with open_store(db, write=False, wait=wait) as con:
        try:
            allowed, excluded, overridden = _cohort.consented_patients(
                con, the_use, override=override, only_consented=only_consented)
        except ConsentError as exc:
            refusal = exc
        else:
            if question == "emerging":
                table = _cohort.emerging(con, alteration, allowed)
                summary = {"patients_searched": len(allowed),
                           "patients_with_emergence": int(table["patient"].nunique())}
                subjects = sorted(set(table["patient"]))
            elif question == "lead_times":
                table = _cohort.lead_times(con, allowed)
                summary = _cohort.lead_time_summary(table)
                subjects = sorted(set(table["patient"]))
            else:
                table = _cohort.response_rates(con, allowed)
                summary = {"patients": len(allowed)}
                subjects = allowed
    with open_store(db, write=True, wait=max(wait, 10.0)) as con:
        run(con, "BEGIN TRANSACTION")
        _audit.append(
            con, command=f"oncoresist store cohort --{question.replace('_', '-')}",
            parameters=parameters, subjects=[] if refusal else subjects,
            outcome="refused: outside consent scope" if refusal else f"{len(table)} rows",
            data_use=the_use.describe(), user=user,
            override_reason=override if (refusal is None and overridden) else None)
        run(con, "COMMIT")
    if refusal is not None:
        raise refusal
    return CohortResult(question, table, summary, parameters, excluded)


@dataclass(frozen=True)
class AuditCheck:
    """Whether the audit log's hash chain is intact.

    Attributes
    ----------
    intact
        True when every row's hash matches its content and the previous row.
    first_broken
        The first row (``seq``) that does not, or None.
    rows
        Number of rows.
    """

    intact: bool
    first_broken: int | None
    rows: int


def audit_log(db: PathLike, *, wait: float = 0.0) -> pd.DataFrame:
    """The audit log, oldest first, with the pseudonyms each use touched.

    Parameters
    ----------
    db
        The store.
    wait
        Seconds to wait for a writer.

    Returns
    -------
    pandas.DataFrame
        One row per use: ``seq at_utc user_name command oncoresist_version schema_version
        kb_version parameters data_use n_patients consent_override override_reason outcome
        prev_hash hash patients``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = init_store(pathlib.Path(tempfile.mkdtemp()) / "c.duckdb")
    >>> audit_log(db)["command"].tolist()
    ['oncoresist store init']
    """
    with open_store(db, write=False, wait=wait) as con:
        log = con.execute("SELECT * FROM audit_log ORDER BY seq").fetchdf()
        subjects = con.execute("SELECT seq, string_agg(patient, ';' ORDER BY patient) AS patients "
                               "FROM audit_subjects GROUP BY seq").fetchdf()
    log = log.merge(subjects, on="seq", how="left")
    log["patients"] = log["patients"].fillna("")
    return log


def verify_audit(db: PathLike, *, wait: float = 0.0) -> AuditCheck:
    """Check the audit log's hash chain (finds rows edited or deleted outside oncoresist).

    Parameters
    ----------
    db
        The store.
    wait
        Seconds to wait for a writer.

    Returns
    -------
    AuditCheck
        ``intact``, ``first_broken``, ``rows``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = init_store(pathlib.Path(tempfile.mkdtemp()) / "c.duckdb")
    >>> verify_audit(db).intact
    True
    """
    with open_store(db, write=False, wait=wait) as con:
        intact, first, rows = _audit.verify_chain(con)
    return AuditCheck(intact, first, rows)


def forget_patient(
    db: PathLike,
    patient: str,
    *,
    key: PseudonymKey | PathLike | None = None,
    reason: str,
    wait: float = 0.0,
    user: str | None = None,
) -> int:
    """Remove every row of one patient (withdrawn consent, erasure request).

    The audit log keeps its rows (they hold only the pseudonym, and deleting them would break
    the chain) and records the removal.

    Parameters
    ----------
    db
        The store.
    patient
        The pseudonym (``PSN-...``), or the patient identifier together with ``key``.
    key
        The key, when ``patient`` is an identifier.
    reason
        Why (recorded in the audit log).
    wait
        Seconds to wait for another writer.
    user
        Who runs it.

    Returns
    -------
    int
        Rows removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from oncoresist.privacy import PseudonymKey
    >>> key = PseudonymKey.from_hex("00" * 32)
    >>> db = init_store(pathlib.Path(tempfile.mkdtemp()) / "c.duckdb")
    >>> _ = ingest_records(db, synthetic_cohort(2, rng=1).records, key=key, annotate=False)
    >>> forget_patient(db, "SYN000001", key=key, reason="consent withdrawn") > 0
    True
    >>> store_info(db)["patients"]
    1
    """
    if not _audit.is_pseudonym(patient):
        if key is None:
            msg = "give the patient's pseudonym (PSN-...), or the identifier with key=..."
            raise InputError(msg, field="patient")
        patient = _key(key, db).patient(patient)
    removed = 0
    with open_store(db, write=True, wait=wait) as con:
        run(con, "BEGIN TRANSACTION")
        try:
            for table in [*PATIENT_TABLES, "ingestions", "patients"]:
                n = one(con, f'SELECT count(*) FROM "{table}" WHERE patient = ?', [patient])[0]
                run(con, f'DELETE FROM "{table}" WHERE patient = ?', [patient])
                removed += int(n)
            _audit.append(con, command="oncoresist store forget", parameters={"reason": reason},
                          subjects=[patient], outcome=f"{removed} rows removed", user=user)
            run(con, "COMMIT")
        except BaseException:
            run(con, "ROLLBACK")
            raise
    return removed


def store_info(db: PathLike, *, wait: float = 0.0) -> dict:
    """Schema version, counts of patients and rows per table, and the key id in use.

    Parameters
    ----------
    db
        The store.
    wait
        Seconds to wait for a writer.

    Returns
    -------
    dict
        ``schema_version``, ``key_id``, ``patients``, ``tables`` (rows per table).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> info = store_info(init_store(pathlib.Path(tempfile.mkdtemp()) / "c.duckdb"))
    >>> info["patients"], info["key_id"]
    (0, None)
    """
    with open_store(db, write=False, wait=wait) as con:
        version = schema_version(con)
        key_row = one(con, "SELECT value FROM store_meta WHERE name = 'key_id'")
        counts = {t: int(one(con, f'SELECT count(*) FROM "{t}"')[0]) for t in TABLES}
    return {"schema_version": version, "key_id": key_row[0] if key_row else None,
            "patients": counts["patients"], "tables": counts}


def synthetic_cohort(n_patients: int, *, rng: int | None = None) -> SyntheticCohort:
    """A synthetic EGFR-mutant lung cancer cohort with known truth, for tests and benchmarks.

    Each patient gets one line of osimertinib, erlotinib or gefitinib (50/30/20%), a founder
    EGFR mutation followed in plasma every 42 days at 10,000x (6–12 draws), a response (founder
    falls 95% then clears; probability 0.80/0.70/0.65 by drug) or not (stable), and possibly a
    resistance mutation (C797S on osimertinib, T790M otherwise) from the fourth draw on, with
    RECIST scans every 56 days (PR while responding, SD otherwise, PD 0–120 days after the
    resistant variant appears). Consents: GRU 60%, HMB 25%, DS-lung cancer 15%.

    Parameters
    ----------
    n_patients
        Number of patients.
    rng
        Seed or Generator.

    Returns
    -------
    SyntheticCohort
        ``records`` and the ``truth`` table.

    Examples
    --------
    >>> cohort_ = synthetic_cohort(4, rng=7)
    >>> len(cohort_.records), sorted(cohort_.truth.columns)[:3]
    (4, ['consent', 'drug', 'emergence_day'])
    """
    if not isinstance(n_patients, int) or n_patients < 1:
        msg = f"n_patients must be a positive whole number, got {n_patients!r}"
        raise InputError(msg, field="n_patients")
    return generate(n_patients, rng)
