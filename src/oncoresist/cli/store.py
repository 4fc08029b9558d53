"""``oncoresist store``: the cohort database, pseudonym keys, consent-checked queries, audit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncoresist.cli._common import console, show_frame, show_json

app = typer.Typer(
    help="Cohort store (DuckDB): ingest cases by pseudonym, query the cohort, consent and audit.",
    no_args_is_help=True,
)

Wait = Annotated[float, typer.Option("--wait", help="Seconds to wait for another writer.")]
Disease = Annotated[str | None, typer.Option("--disease", help="Declared use: research on this disease (checked against DS- consents).")]
Purpose = Annotated[str, typer.Option("--purpose", help="Declared use: disease, biomedical, methods, ancestry, general, clinical_care.")]
Commercial = Annotated[bool, typer.Option("--commercial", help="Declare the use commercial (refused by NCU/NPUNCU).")]
ForProfit = Annotated[bool, typer.Option("--for-profit", help="Declare a for-profit user (refused by NPU/NPUNCU).")]
Override = Annotated[str | None, typer.Option("--override-consent", help="Proceed beyond consent scopes for this REASON (logged).")]
Format = Annotated[str, typer.Option("--format", help="table, tsv or parquet.")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write the answer here (TSV or Parquet).")]
Key = Annotated[Path | None, typer.Option("--key", help="Pseudonym key file (or set ONCORESIST_KEY_FILE).")]


def _use(purpose: str, disease: str | None, commercial: bool, for_profit: bool):
    from oncoresist.privacy import DataUse

    if disease is not None and purpose == "disease":
        return DataUse(purpose="disease", disease=disease, commercial=commercial, for_profit=for_profit)
    return DataUse(purpose=purpose, disease=disease, commercial=commercial, for_profit=for_profit)


def _emit(frame, fmt: str, output: Path | None, *, title: str, command: str, parameters: dict) -> None:
    from oncoresist._core.exceptions import InputError
    from oncoresist.store._output import write_frame

    if fmt not in ("table", "tsv", "parquet"):
        msg = f"--format must be table, tsv or parquet, got {fmt!r}"
        raise InputError(msg, field="format")
    if output is not None:
        write_frame(frame, output, format=None if fmt == "table" else fmt, command=command,
                    parameters=parameters)
        console.print(f"{len(frame)} rows written to {output.name}", highlight=False)
        return
    if fmt == "parquet":
        msg = "--format parquet needs --output FILE"
        raise InputError(msg, field="output")
    from oncoresist.privacy import Scrubber

    show_frame(Scrubber().frame(frame), title=title)


@app.command("init")
def init_command(
    db: Annotated[Path, typer.Argument(help="The store (a DuckDB file, e.g. cohort.duckdb).")],
    wait: Wait = 0.0,
) -> None:
    """Create a store, or migrate an existing one to the current schema (keeping its rows)."""
    from oncoresist import store

    store.init_store(db, wait=wait)
    info = store.store_info(db)
    console.print(f"store {db.name} ready (schema version {info['schema_version']}, "
                  f"{info['patients']} patients)", highlight=False)


@app.command("keygen")
def keygen_command(
    keyfile: Annotated[Path, typer.Argument(help="Where to write the key (keep it outside the store's folder and outputs).")],
    max_date_shift: Annotated[int, typer.Option("--max-date-shift", help="Per-patient date offsets within +/- this many days.")] = 180,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing key file (unlinks earlier pseudonyms).")] = False,
) -> None:
    """Create a secret pseudonym key (HMAC-SHA256), readable by its owner only."""
    from oncoresist.privacy import generate_key

    key = generate_key(keyfile, max_date_shift_days=max_date_shift, overwrite=force)
    console.print(f"key {key.key_id} written to {keyfile.name}; back it up and keep it apart "
                  "from the data", highlight=False)


@app.command("ingest")
def ingest_command(
    db: Annotated[Path, typer.Argument(help="The store.")],
    cases: Annotated[list[Path], typer.Argument(help="Case file(s) (case.yaml); several go in one transaction.")],
    key: Key = None,
    results: Annotated[list[Path] | None, typer.Option("--results", help="Output folder of `case run` for the case (repeat in the order of the cases): forecast and calibration summaries.")] = None,
    override: Override = None,
    annotate: Annotated[bool, typer.Option("--annotate/--no-annotate", help="Annotate resistance with the knowledge base.")] = True,
    wait: Wait = 0.0,
) -> None:
    """Ingest cases: idempotent; new samples extend a patient's series and recompute its events."""
    from oncoresist import store
    from oncoresist._core.exceptions import InputError
    from oncoresist.store._case import record_from_case

    if results and len(results) != len(cases):
        msg = f"give one --results folder per case ({len(cases)} cases, {len(results)} folders)"
        raise InputError(msg, field="results")
    folders = results or [None] * len(cases)
    records = [record_from_case(path, folder) for path, folder in zip(cases, folders, strict=True)]
    result = store.ingest_records(db, records, key=key, override=override, annotate=annotate,
                                  wait=wait, command="oncoresist store ingest")
    show_frame(result.patients, title="ingested")
    if result.consent_overrides:
        console.print(f"consent override logged for {len(result.consent_overrides)} patient(s)",
                      highlight=False)


@app.command("query")
def query_command(
    db: Annotated[Path, typer.Argument(help="The store.")],
    sql: Annotated[str, typer.Argument(help="One read-only SQL statement.")],
    fmt: Format = "table",
    output: Output = None,
    purpose: Purpose = "disease",
    disease: Disease = None,
    commercial: Commercial = False,
    for_profit: ForProfit = False,
    override: Override = None,
    wait: Wait = 0.0,
) -> None:
    """Run SQL on the store (read-only, sandboxed); consent checked, use logged."""
    from oncoresist import store
    from oncoresist.store._audit import mask_sql

    use = _use(purpose, disease, commercial, for_profit)
    answer = store.query(db, sql, use=use, override=override, wait=wait)
    _emit(answer, fmt, output, title="query", command="oncoresist store query",
          parameters={"sql": mask_sql(sql), "use": use.describe()})


@app.command("cohort")
def cohort_command(
    db: Annotated[Path, typer.Argument(help="The store.")],
    emerging: Annotated[str | None, typer.Option("--emerging", help="Patients in whom this alteration emerged (e.g. \"EGFR C797S\").")] = None,
    lead_times: Annotated[bool, typer.Option("--lead-times", help="Lead time of ctDNA progression over imaging.")] = False,
    response_rates: Annotated[bool, typer.Option("--response-rates", help="Molecular and objective response per regimen.")] = False,
    fmt: Format = "table",
    output: Output = None,
    purpose: Purpose = "disease",
    disease: Disease = None,
    commercial: Commercial = False,
    for_profit: ForProfit = False,
    only_consented: Annotated[bool, typer.Option("--only-consented", help="Leave out patients whose consent does not cover the use.")] = False,
    override: Override = None,
    wait: Wait = 0.0,
) -> None:
    """Ready-made cohort questions: --emerging ALT, --lead-times or --response-rates."""
    from oncoresist import store
    from oncoresist._core.exceptions import InputError

    chosen = [name for name, flag in (("emerging", emerging is not None), ("lead_times", lead_times),
                                      ("response_rates", response_rates)) if flag]
    if len(chosen) != 1:
        msg = "choose exactly one of --emerging ALTERATION, --lead-times, --response-rates"
        raise InputError(msg, field="question")
    use = _use(purpose, disease, commercial, for_profit)
    result = store.cohort(db, chosen[0], alteration=emerging, use=use, override=override,
                          only_consented=only_consented, wait=wait)
    _emit(result.table, fmt, output, title=chosen[0].replace("_", " "),
          command=f"oncoresist store cohort --{chosen[0].replace('_', '-')}",
          parameters={**result.parameters, "summary": result.summary, "use": use.describe()})
    if result.summary:
        console.print("; ".join(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}"
                                for k, v in result.summary.items()), highlight=False)
    if result.excluded:
        console.print(f"{len(result.excluded)} patient(s) left out: consent does not cover "
                      f"{use.describe()}", highlight=False)


@app.command("audit")
def audit_command(
    db: Annotated[Path, typer.Argument(help="The store.")],
    verify: Annotated[bool, typer.Option("--verify", help="Check the hash chain only.")] = False,
    fmt: Format = "table",
    output: Output = None,
    wait: Wait = 0.0,
) -> None:
    """Show the audit log (who ran what on which pseudonyms), or verify its hash chain."""
    from oncoresist import store
    from oncoresist._core.exceptions import OncoresistError

    if verify:
        check = store.verify_audit(db, wait=wait)
        if not check.intact:
            msg = (f"{db.name}: the audit log was altered outside oncoresist: row {check.first_broken} "
                   f"of {check.rows} does not match the hash chain")
            raise OncoresistError(msg)
        console.print(f"audit log intact ({check.rows} rows)", highlight=False)
        return
    log = store.audit_log(db, wait=wait)
    _emit(log, fmt, output, title="audit log", command="oncoresist store audit", parameters={})


@app.command("info")
def info_command(
    db: Annotated[Path, typer.Argument(help="The store.")],
    wait: Wait = 0.0,
) -> None:
    """Schema version, key id, patients and rows per table."""
    from oncoresist import store

    show_json(store.store_info(db, wait=wait))


@app.command("forget")
def forget_command(
    db: Annotated[Path, typer.Argument(help="The store.")],
    patient: Annotated[str, typer.Argument(help="Pseudonym (PSN-...), or the identifier with --key.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")],
    key: Key = None,
    wait: Wait = 0.0,
) -> None:
    """Remove every row of one patient (withdrawn consent, erasure request); logged."""
    from oncoresist import store

    removed = store.forget_patient(db, patient, key=key, reason=reason, wait=wait)
    console.print(f"{removed} rows removed", highlight=False)


@app.command("scrub")
def scrub_command(
    folder: Annotated[Path, typer.Argument(help="Output folder (or one file) to scrub in place.")],
    key: Key = None,
    patient: Annotated[list[str] | None, typer.Option("--patient", help="Patient identifier to replace by its pseudonym (repeatable).")] = None,
    sample: Annotated[list[str] | None, typer.Option("--sample", help="Sample name or barcode to pseudonymise (repeatable).")] = None,
    identifier: Annotated[list[str] | None, typer.Option("--identifier", help="Name, MRN or other text to remove (repeatable).")] = None,
    date: Annotated[list[str] | None, typer.Option("--date", help="Date (YYYY-MM-DD) to remove in its written forms (repeatable).")] = None,
) -> None:
    """Scrub identifiers, sample names, VCF command lines and file paths from outputs."""
    from oncoresist.privacy import Scrubber, load_key, scrub_directory, scrub_file

    scrubber = Scrubber(load_key(key) if key else None, patients=patient or (), samples=sample or (),
                        dates=date or ())
    for text in identifier or ():
        scrubber.add_identifier(text, name=True)
    if folder.is_dir():
        report = scrub_directory(folder, scrubber)
    else:
        import pandas as pd

        report = pd.DataFrame({"file": [folder.name], "status": [scrub_file(folder, scrubber)]})
    show_frame(report, title="scrubbed")
