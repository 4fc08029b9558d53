"""One patient's data as the store takes it, before and after pseudonymisation."""

from __future__ import annotations

import hashlib
import io
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

    def __post_init__(self) -> None:
        if not isinstance(self.consent, ConsentScope):
            self.consent = parse_consent(self.consent)


@dataclass
class PreparedRecord:
    """A record after pseudonymisation: nothing in it identifies the patient directly."""

    patient: str
    disease: str
    consent: ConsentScope
    tables: dict[str, pd.DataFrame]
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
        base = kind.split()[0]
        values = frame[name] if name in frame.columns else pd.Series([None] * n, dtype=object)
        values = values.reset_index(drop=True)
        target = _PANDAS_TYPES[base]
        if target == "object":
            out[name] = values.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                   or v is pd.NA else str(v)).astype(object)
        elif target == "float64":
            out[name] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif target == "Int64":
            out[name] = pd.to_numeric(values, errors="coerce").round().astype("Int64")
        else:
            out[name] = values.map(lambda v: pd.NA if v is None or v is pd.NA or
                                   (isinstance(v, float) and np.isnan(v)) else bool(v)).astype("boolean")
    return pd.DataFrame(out, columns=columns(table))


def frame_digest(frames: dict[str, pd.DataFrame], extra: str = "") -> str:
    digest = hashlib.sha256(extra.encode())
    for name in sorted(frames):
        frame = frames[name]
        ordered = frame.sort_values(list(frame.columns), na_position="first", kind="mergesort") \
            if len(frame) else frame
        buffer = io.StringIO()
        ordered.to_csv(buffer, sep="\t", index=False, float_format="%.12g", lineterminator="\n")
        digest.update(name.encode() + b"\n" + buffer.getvalue().encode())
    return digest.hexdigest()


def _therapy_frame(record: PatientRecord) -> pd.DataFrame:
    therapy = record.therapy.copy()
    needed = {"drugs", "start_day"}
    if not needed <= set(therapy.columns):
        msg = "the therapy history needs drugs and start_day for every line"
        raise InputError(msg, field="therapy_history")
    if "line" not in therapy.columns:
        therapy["line"] = np.arange(1, len(therapy) + 1)
    therapy["drugs"] = therapy["drugs"].map(
        lambda d: ";".join(d) if isinstance(d, list | tuple) else str(d))
    return therapy


def pseudonymise_record(record: PatientRecord, key: PseudonymKey) -> PreparedRecord:
    """Replace the patient identifier and sample names by keyed pseudonyms."""
    patient = key.patient(record.identifier)
    tables: dict[str, pd.DataFrame] = {}

    therapy = _therapy_frame(record)
    therapy["patient"] = patient
    tables["therapy_lines"] = conform(therapy, "therapy_lines")

    obs = record.observations.copy() if record.observations is not None else pd.DataFrame()
    if len(obs):
        missing = [c for c in ("sample_id", "day", "alt_reads", "depth") if c not in obs.columns]
        if missing:
            msg = f"the ctDNA table lacks {', '.join(missing)}"
            raise InputError(msg, field="ctdna")
        obs["patient"] = patient
        obs["sample"] = obs["sample_id"].map(lambda s: key.sample(str(s)))
    tables["observations"] = conform(obs, "observations")

    imaging = record.imaging.copy() if record.imaging is not None else pd.DataFrame()
    if len(imaging):
        imaging["patient"] = patient
    tables["imaging"] = conform(imaging, "imaging")

    tumour = record.tumour.copy() if record.tumour is not None else pd.DataFrame()
    if len(tumour):
        tumour["patient"] = patient
        tumour["sample"] = tumour["sample"].map(lambda s: key.sample(str(s)))
    tables["tumour_alterations"] = conform(tumour, "tumour_alterations")

    normals_digest = ""
    if record.normals is not None and len(record.normals):
        normals_digest = frame_digest({"normals": record.normals.drop(
            columns=[c for c in ("_line", "patient_id", "sample_id") if c in record.normals.columns])})
    return PreparedRecord(patient, record.disease, record.consent, tables, record.normals,
                          normals_digest, float(record.error_rate), record.clonal_path,
                          record.clonal_clusters, int(record.seed))
