"""One patient's data as the store takes it, before and after pseudonymisation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oncoresist._core.exceptions import InputError
from oncoresist.privacy import ConsentScope, PseudonymKey, parse_consent
from oncoresist.store._schema import TABLES, columns

_PANDAS_TYPES = {"VARCHAR": "object", "DOUBLE": "float64", "BIGINT": "Int64", "INTEGER": "Int64",
                 "BOOLEAN": "boolean"}


@dataclass
class PatientRecord:
    """Everything the store keeps about one patient, with identifiers as the lab wrote them.

    ``identifier`` and the sample names are pseudonymised by :func:`pseudonymise_record` before
    anything reaches the database.
    """

    identifier: str
    disease: str
    consent: ConsentScope
    therapy: pd.DataFrame  # line, drugs (';'-joined canonical names), start_day, end_day
    observations: pd.DataFrame = field(default_factory=pd.DataFrame)  # ctDNA long table
    imaging: pd.DataFrame = field(default_factory=pd.DataFrame)  # day, result, burden
    tumour: pd.DataFrame = field(default_factory=pd.DataFrame)  # sample, day, gene, alteration, vaf...
    normals: pd.DataFrame | None = None
    error_rate: float = 1e-4
    clonal_path: str | None = None
    clonal_clusters: int | None = None
    seed: int = 1
    forecasts: pd.DataFrame = field(default_factory=pd.DataFrame)  # strategy quantity median ...
    simulations: pd.DataFrame = field(default_factory=pd.DataFrame)  # run quantity value ...

    def __post_init__(self) -> None:
        if not isinstance(self.consent, ConsentScope):
            self.consent = parse_consent(self.consent)


@dataclass
class PreparedRecord:
    """A record after pseudonymisation: nothing in it identifies the patient directly."""

    patient: str
    disease: str
    consent: ConsentScope
    normals: pd.DataFrame | None
    normals_digest: str
    error_rate: float
    clonal_path: str | None
    clonal_clusters: int | None
    seed: int


def conform(frame: pd.DataFrame | None, table: str) -> pd.DataFrame:
    """The frame with exactly the table's columns, in order, with the store's dtypes."""
    spec = TABLES[table]
    frame = pd.DataFrame() if frame is None else frame
    out = {}
    n = len(frame)
    for name, kind in spec:
        target = _PANDAS_TYPES[kind.split()[0]]
        if name in frame.columns:
            values = frame[name].reset_index(drop=True)
        else:
            values = pd.Series([None] * n, dtype=object)
        if target == "object":
            missing = values.isna().to_numpy()
            text = values.astype(str).to_numpy(dtype=object)
            text[missing] = None
            out[name] = pd.Series(text, dtype=object)
        elif target == "float64":
            out[name] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif target == "Int64":
            out[name] = pd.to_numeric(values, errors="coerce").round().astype("Int64")
        else:
            out[name] = values.astype("boolean") if values.notna().any() else \
                pd.Series(pd.NA, index=values.index, dtype="boolean")
    return pd.DataFrame(out, columns=columns(table))


def patient_digests(tables: dict[str, pd.DataFrame], extra: dict[str, str]) -> dict[str, str]:
    """SHA-256 per patient of the canonical text of their rows in every table (order-free)."""
    digests = {p: hashlib.sha256(text.encode()) for p, text in sorted(extra.items())}
    for name in sorted(tables):
        frame = tables[name]
        if not len(frame):
            continue
        ordered = frame.sort_values(list(frame.columns), na_position="first", kind="mergesort")
        text = ordered.to_csv(sep="\t", header=False, index=False, float_format="%.12g",
                              lineterminator="\n").splitlines()
        for patient, line in zip(ordered["patient"], text, strict=True):
            digests[patient].update(name.encode() + b"\t" + line.encode() + b"\n")
    return {p: d.hexdigest() for p, d in digests.items()}


def _stack(frames: list[pd.DataFrame], patients: list[str]) -> pd.DataFrame:
    kept = [(f, p) for f, p in zip(frames, patients, strict=True) if f is not None and len(f)]
    if not kept:
        return pd.DataFrame()
    lengths = [len(f) for f, _ in kept]
    out = pd.concat([f for f, _ in kept], ignore_index=True)
    out["patient"] = np.repeat([p for _, p in kept], lengths)
    return out


def _drugs_text(value) -> str:
    return ";".join(value) if isinstance(value, list | tuple) else str(value)


@dataclass
class Batch:
    """Records after pseudonymisation, stacked: nothing in them identifies a patient directly."""

    patients: list[PreparedRecord]
    tables: dict[str, pd.DataFrame]


def prepare_batch(records: list[PatientRecord], key: PseudonymKey) -> Batch:
    """Pseudonymise patients and samples and stack the records' tables (one row set per table)."""
    prepared, ids = [], []
    for record in records:
        patient = key.patient(record.identifier)
        ids.append(patient)
        normals_digest = ""
        if record.normals is not None and len(record.normals):
            body = record.normals.drop(columns=[c for c in ("_line", "patient_id", "sample_id")
                                                if c in record.normals.columns])
            normals_digest = hashlib.sha256(body.to_csv(index=False).encode()).hexdigest()
        prepared.append(PreparedRecord(patient, record.disease, record.consent, record.normals,
                                       normals_digest, float(record.error_rate),
                                       record.clonal_path, record.clonal_clusters,
                                       int(record.seed)))
    tables: dict[str, pd.DataFrame] = {}

    therapy = _stack([r.therapy for r in records], ids)
    if len(therapy):
        missing = {"drugs", "start_day"} - set(therapy.columns)
        if missing:
            msg = "the therapy history needs drugs and start_day for every line"
            raise InputError(msg, field="therapy_history")
        if "line" not in therapy.columns:
            therapy["line"] = therapy.groupby("patient", sort=False).cumcount() + 1
        therapy["drugs"] = therapy["drugs"].map(_drugs_text)
    tables["therapy_lines"] = conform(therapy, "therapy_lines")

    obs = _stack([r.observations for r in records], ids)
    if len(obs):
        missing = [c for c in ("sample_id", "day", "alt_reads", "depth") if c not in obs.columns]
        if missing:
            msg = f"the ctDNA table lacks {', '.join(missing)}"
            raise InputError(msg, field="ctdna")
        # Sample names are pseudonymised within their patient: two patients' "plasma1" differ.
        pairs = obs[["patient", "sample_id"]].astype(str).drop_duplicates()
        names = {(p, s): key.sample(s, patient=p) for p, s in pairs.itertuples(index=False)}
        obs["sample"] = [names[(p, str(s))] for p, s in zip(obs["patient"], obs["sample_id"],
                                                            strict=True)]
    tables["observations"] = conform(obs, "observations")

    tables["imaging"] = conform(_stack([r.imaging for r in records], ids), "imaging")

    tumour = _stack([r.tumour for r in records], ids)
    if len(tumour):
        tumour["sample"] = [key.sample(str(s), patient=p)
                            for p, s in zip(tumour["patient"], tumour["sample"], strict=True)]
    tables["tumour_alterations"] = conform(tumour, "tumour_alterations")
    tables["forecast_summaries"] = conform(_stack([r.forecasts for r in records], ids),
                                           "forecast_summaries")
    tables["simulation_summaries"] = conform(_stack([r.simulations for r in records], ids),
                                             "simulation_summaries")
    return Batch(prepared, tables)
