"""The store's tables, its schema version and the migrations between versions.

Every table that holds patient data keys it by ``patient``, the keyed pseudonym; no table has a
column for a name, a record number, a date of birth, a sample name as written by the lab or a
file path. Times are days relative to the case's day 0 (the case format has no calendar dates).
"""

from __future__ import annotations

from dataclasses import dataclass

# name -> [(column, DuckDB type)], in order. Rows are inserted by column name, so a data frame
# may lack optional columns (they become NULL).
V1_TABLES: dict[str, list[tuple[str, str]]] = {
    "store_meta": [("name", "VARCHAR PRIMARY KEY"), ("value", "VARCHAR")],
    "patients": [
        ("patient", "VARCHAR PRIMARY KEY"), ("disease", "VARCHAR"), ("consent", "VARCHAR"),
        ("consent_duo", "VARCHAR"), ("permission", "VARCHAR"), ("content_sha256", "VARCHAR"),
        ("first_ingestion", "BIGINT"), ("last_ingestion", "BIGINT"),
    ],
    "therapy_lines": [
        ("patient", "VARCHAR"), ("line", "INTEGER"), ("drugs", "VARCHAR"),
        ("start_day", "DOUBLE"), ("end_day", "DOUBLE"),
    ],
    "samples": [
        ("patient", "VARCHAR"), ("sample", "VARCHAR"), ("day", "DOUBLE"), ("kind", "VARCHAR"),
        ("assay", "VARCHAR"),
    ],
    "observations": [
        ("patient", "VARCHAR"), ("sample", "VARCHAR"), ("day", "DOUBLE"), ("gene", "VARCHAR"),
        ("alteration", "VARCHAR"), ("chrom", "VARCHAR"), ("pos", "BIGINT"), ("ref", "VARCHAR"),
        ("alt", "VARCHAR"), ("alt_reads", "BIGINT"), ("depth", "BIGINT"),
        ("umi_families", "BIGINT"), ("cfdna_ng_per_ml", "DOUBLE"), ("plasma_ml", "DOUBLE"),
        ("tumour_fraction", "DOUBLE"), ("assay", "VARCHAR"),
    ],
    "imaging": [
        ("patient", "VARCHAR"), ("day", "DOUBLE"), ("result", "VARCHAR"), ("burden", "DOUBLE"),
    ],
    "tumour_alterations": [
        ("patient", "VARCHAR"), ("sample", "VARCHAR"), ("day", "DOUBLE"), ("gene", "VARCHAR"),
        ("alteration", "VARCHAR"), ("vaf", "DOUBLE"), ("depth", "DOUBLE"),
        ("copy_number", "DOUBLE"),
    ],
    "annotations": [
        ("patient", "VARCHAR"), ("sample", "VARCHAR"), ("gene", "VARCHAR"),
        ("alteration", "VARCHAR"), ("drug", "VARCHAR"), ("context", "VARCHAR"),
        ("effect", "VARCHAR"), ("mechanism", "VARCHAR"), ("evidence_level", "VARCHAR"),
        ("confidence", "VARCHAR"), ("disease_match", "VARCHAR"), ("inferred", "BOOLEAN"),
        ("rule_id", "VARCHAR"), ("references", "VARCHAR"), ("alternatives", "VARCHAR"),
        ("rank", "INTEGER"),
    ],
    "ctdna_calls": [
        ("patient", "VARCHAR"), ("sample", "VARCHAR"), ("day", "DOUBLE"), ("gene", "VARCHAR"),
        ("alteration", "VARCHAR"), ("variant", "VARCHAR"), ("alt_reads", "BIGINT"),
        ("depth", "BIGINT"), ("af", "DOUBLE"), ("af_ci_low", "DOUBLE"), ("af_ci_high", "DOUBLE"),
        ("p_value", "DOUBLE"), ("detected", "BOOLEAN"), ("lod95", "DOUBLE"),
        ("background_model", "VARCHAR"), ("background_rate", "DOUBLE"),
        ("mutant_molecules_per_ml", "DOUBLE"),
    ],
    "ctdna_events": [
        ("patient", "VARCHAR"), ("gene", "VARCHAR"), ("alteration", "VARCHAR"),
        ("variant", "VARCHAR"), ("event", "VARCHAR"), ("day", "DOUBLE"),
        ("confirmed_day", "DOUBLE"), ("grade", "VARCHAR"), ("drugs", "VARCHAR"),
        ("evidence", "VARCHAR"), ("annotation", "VARCHAR"),
    ],
    "ctdna_kinetics": [
        ("patient", "VARCHAR"), ("gene", "VARCHAR"), ("alteration", "VARCHAR"),
        ("variant", "VARCHAR"), ("measure", "VARCHAR"), ("phase", "VARCHAR"), ("drugs", "VARCHAR"),
        ("start_day", "DOUBLE"), ("end_day", "DOUBLE"), ("samples", "BIGINT"),
        ("detected", "BIGINT"), ("rate_per_day", "DOUBLE"), ("rate_ci_low", "DOUBLE"),
        ("rate_ci_high", "DOUBLE"), ("doubling_time_days", "DOUBLE"),
        ("half_life_days", "DOUBLE"), ("dispersion", "DOUBLE"),
    ],
    "ctdna_summary": [
        ("patient", "VARCHAR"), ("drugs", "VARCHAR"), ("start_day", "DOUBLE"),
        ("baseline_variants", "VARCHAR"), ("baseline_level", "DOUBLE"), ("nadir_day", "DOUBLE"),
        ("nadir_level", "DOUBLE"), ("molecular_progression_day", "DOUBLE"),
        ("molecular_progression_confirmed_day", "DOUBLE"),
        ("radiographic_progression_day", "DOUBLE"), ("lead_time_days", "DOUBLE"),
    ],
    "ingestions": [
        ("ingestion", "BIGINT"), ("patient", "VARCHAR"), ("outcome", "VARCHAR"),
        ("content_sha256", "VARCHAR"), ("samples_added", "INTEGER"),
        ("observations_added", "INTEGER"), ("oncoresist_version", "VARCHAR"),
        ("parameters", "VARCHAR"),
    ],
    "audit_log": [
        ("seq", "BIGINT PRIMARY KEY"), ("at_utc", "VARCHAR"), ("user_name", "VARCHAR"),
        ("command", "VARCHAR"), ("oncoresist_version", "VARCHAR"), ("schema_version", "INTEGER"),
        ("kb_version", "VARCHAR"), ("parameters", "VARCHAR"), ("data_use", "VARCHAR"),
        ("n_patients", "BIGINT"), ("consent_override", "BOOLEAN"), ("override_reason", "VARCHAR"),
        ("outcome", "VARCHAR"), ("prev_hash", "VARCHAR"), ("hash", "VARCHAR"),
    ],
    "audit_subjects": [("seq", "BIGINT"), ("patient", "VARCHAR")],
}

# Results of the later steps of a case (issue 12): clones, and simulation/forecast summaries.
V2_TABLES: dict[str, list[tuple[str, str]]] = {
    "clonal_clusters": [
        ("patient", "VARCHAR"), ("cluster", "INTEGER"), ("sample", "VARCHAR"),
        ("ccf", "DOUBLE"), ("ccf_std", "DOUBLE"), ("n_mutations", "INTEGER"),
    ],
    "simulation_summaries": [
        ("patient", "VARCHAR"), ("run", "VARCHAR"), ("quantity", "VARCHAR"),
        ("value", "DOUBLE"), ("ci_low", "DOUBLE"), ("ci_high", "DOUBLE"),
        ("parameters", "VARCHAR"),
    ],
    "forecast_summaries": [
        ("patient", "VARCHAR"), ("strategy", "VARCHAR"), ("quantity", "VARCHAR"),
        ("median", "DOUBLE"), ("ci_low", "DOUBLE"), ("ci_high", "DOUBLE"),
        ("seed", "BIGINT"), ("parameters", "VARCHAR"),
    ],
}

TABLES: dict[str, list[tuple[str, str]]] = {**V1_TABLES, **V2_TABLES}

# Tables with one patient's data, replaced as a whole when that patient's data change.
PATIENT_TABLES = [
    "therapy_lines", "samples", "observations", "imaging", "tumour_alterations", "annotations",
    "ctdna_calls", "ctdna_events", "ctdna_kinetics", "ctdna_summary", "clonal_clusters",
    "simulation_summaries", "forecast_summaries",
]
DERIVED_TABLES = ["annotations", "ctdna_calls", "ctdna_events", "ctdna_kinetics", "ctdna_summary",
                  "clonal_clusters"]
# Tables whose content a user may read; the audit tables are read through their own functions.
AUDIT_TABLES = ["audit_log", "audit_subjects"]


def columns(table: str) -> list[str]:
    return [name for name, _ in TABLES[table]]


def _create(name: str, spec: list[tuple[str, str]]) -> str:
    body = ", ".join(f'"{col}" {kind}' for col, kind in spec)
    return f'CREATE TABLE "{name}" ({body})'


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "patients, therapy, samples, observations, imaging, annotations, ctDNA results, "
              "ingestions, audit log",
              tuple(_create(n, s) for n, s in V1_TABLES.items())),
    Migration(2, "clonal clusters, simulation and forecast summaries",
              tuple(_create(n, s) for n, s in V2_TABLES.items())),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
