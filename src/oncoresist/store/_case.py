"""Turning a case file (oncoresist.case, schema version 1) into a patient record."""

from __future__ import annotations

import os

import pandas as pd

from oncoresist._core.exceptions import InputError
from oncoresist.privacy import parse_consent
from oncoresist.store._records import PatientRecord


def _load(case):
    if isinstance(case, str | os.PathLike):
        try:
            from oncoresist.case import load_case
        except ImportError:  # pragma: no cover - the case package is part of oncoresist
            msg = "reading case files needs oncoresist.case, which this installation lacks"
            raise InputError(msg, path=case) from None
        return load_case(case)
    return case


def record_from_case(case, results=None) -> PatientRecord:
    """A :class:`PatientRecord` from a case file path or an ``oncoresist.case.LoadedCase``,
    with the forecast and calibration summaries of its ``case run`` output folder if given."""
    loaded = _load(case)
    model = loaded.case
    therapy = pd.DataFrame([
        {"line": i + 1, "drugs": loaded.canonical(list(line.drugs)) if loaded.drugs else
         list(line.drugs), "start_day": line.start_day, "end_day": line.end_day}
        for i, line in enumerate(model.therapy_history)])
    tumour = _tumour(loaded)
    observations = loaded.ctdna.drop(columns=["_line"], errors="ignore") \
        if loaded.ctdna is not None else pd.DataFrame()
    imaging = loaded.imaging.drop(columns=["_line"], errors="ignore") \
        if loaded.imaging is not None else pd.DataFrame()
    clonal_path = str(loaded.files["clonal"]) if "clonal" in loaded.files else None
    clusters = getattr(model.clonal, "clusters", None) if model.clonal is not None else None
    forecasts = simulations = pd.DataFrame()
    if results is not None:
        from oncoresist.store._results import read_case_results

        forecasts, simulations = read_case_results(results, model.pseudonym)
    return PatientRecord(
        identifier=model.pseudonym, forecasts=forecasts, simulations=simulations, disease=model.disease, consent=parse_consent(model.consent),
        therapy=therapy, observations=observations, imaging=imaging, tumour=tumour,
        normals=loaded.normals, error_rate=float(model.calibration.error_rate),
        clonal_path=clonal_path, clonal_clusters=clusters, seed=int(model.seed),
    )


def _tumour(loaded) -> pd.DataFrame:
    from oncoresist.variants import read_alterations

    frames = []
    for i, seq in enumerate(loaded.case.sequencing):
        path = loaded.files[f"sequencing[{i}]"]
        table = read_alterations(path, format=seq.format).to_frame()
        if seq.sample is not None:
            table = table[table["sample_id"].astype(str) == seq.sample]
            if table.empty:
                msg = (f"sequencing[{i}].sample: no alterations of sample {seq.sample!r} in "
                       f"{path.name}; check the sample name (VCF column or MAF "
                       "Tumor_Sample_Barcode)")
                raise InputError(msg, path=loaded.path, field=f"sequencing[{i}].sample")
        table = table.rename(columns={"sample_id": "sample"})
        table["day"] = seq.day
        frames.append(table[["sample", "day", "gene", "alteration", "vaf", "depth", "copy_number"]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
