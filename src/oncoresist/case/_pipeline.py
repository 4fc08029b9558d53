"""The case pipeline: annotation -> ctDNA -> clonal -> model -> calibration -> forecast -> report."""

from __future__ import annotations

import os
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncoresist._core import InputError, Provenance, atomic_output_dir
from oncoresist.case._calibrate import CalibrationResult, calibrate_model
from oncoresist.case._forecast import ForecastResult, forecast_strategies, plan_of
from oncoresist.case._load import LoadedCase, load_case_file
from oncoresist.case._model import TumourModel, build_model

STEPS = ("annotation", "ctdna", "clonal", "model", "calibration", "forecast")


@dataclass
class CaseResult:
    """Everything a case run produced.

    Attributes
    ----------
    loaded
        The validated case and its tables.
    findings
        Resistance findings (``oncoresist.annotate`` rows) with a ``source`` column, or None.
    ctdna
        ``oncoresist.ctdna.TrackResult``, or None.
    clonal
        ``{"fit": ClonalFit, "trees": TreeSearch, "days": {...}}``, or None.
    model
        The compartment model, or None.
    calibration, forecast
        Posterior and strategy forecast, or None.
    skipped
        Step -> why it was skipped.
    seed
        The seed of the run.
    provenance
        Versions, parameters, seed and input hashes.
    """

    loaded: LoadedCase
    findings: pd.DataFrame | None = None
    ctdna: Any = None
    clonal: dict | None = None
    model: TumourModel | None = None
    calibration: CalibrationResult | None = None
    forecast: ForecastResult | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    provenance: Provenance | None = None
    forecast_start: float | None = None

    @property
    def pseudonym(self) -> str:
        """The patient's pseudonym."""
        return self.loaded.case.pseudonym

    def to_frame(self) -> pd.DataFrame:
        """The strategy forecast summary (empty when the forecast was skipped)."""
        return self.forecast.summary() if self.forecast is not None else pd.DataFrame()

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the report folder atomically (``report.html``, tables, JSON, MultiQC files)."""
        from oncoresist.report import write_case_report

        with atomic_output_dir(path) as tmp:
            write_case_report(self, tmp)
        return Path(path)


def _history(loaded: LoadedCase) -> list[tuple[tuple[str, ...], int, int | None]]:
    return [(tuple(loaded.canonical(line.drugs)), line.start_day, line.end_day)
            for line in loaded.case.therapy_history]


def _therapy_table(loaded: LoadedCase, patient: str) -> pd.DataFrame:
    rows = []
    for drugs, start, end in _history(loaded):
        rows += [{"patient_id": patient, "drug": d, "start_day": start, "end_day": end} for d in drugs]
    frame = pd.DataFrame(rows)
    frame["end_day"] = frame["end_day"].astype("Float64")
    return frame


def _annotate(loaded: LoadedCase) -> pd.DataFrame | None:
    from oncoresist.annotate import annotate

    case = loaded.case
    history = _history(loaded)
    current = list(history[-1][0])
    before = list(dict.fromkeys(d for drugs, _, _ in history[:-1] for d in drugs if d not in current))
    frames = []
    for i, seq in enumerate(case.sequencing):
        result = annotate(loaded.files[f"sequencing[{i}]"], therapy=current, history=before or None,
                          disease=case.disease, format=seq.format)
        frame = result.to_frame()
        if seq.sample is not None:
            samples = sorted(frame["sample_id"].astype(str).unique())
            frame = frame[frame["sample_id"].astype(str) == seq.sample]
            if frame.empty:
                msg = (
                    f"sequencing[{i}].sample: sample {seq.sample!r} is not in {Path(seq.path).name}; "
                    f"it holds {samples}"
                )
                raise InputError(msg, path=loaded.path, field=f"sequencing[{i}].sample")
        frame.insert(0, "source", f"sequencing[{i}] (day {seq.day})")
        frame.insert(1, "day", seq.day)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else None


def _canonical_names(loaded: LoadedCase) -> dict[tuple[str, str], str]:
    """(gene, alteration) as written in the ctDNA table -> canonical alteration text."""
    frame = loaded.ctdna
    return {(str(g), str(a)): c for g, a, c in zip(frame["gene"], frame["alteration"], frame["_canonical"], strict=True)}


def _ctdna(loaded: LoadedCase) -> Any:
    from oncoresist.ctdna import track

    samples = loaded.ctdna
    patient = str(samples["patient_id"].iloc[0])
    imaging = None
    if loaded.imaging is not None and loaded.imaging["result"].notna().any():
        scans = loaded.imaging.dropna(subset=["result"])
        imaging = pd.DataFrame({"patient_id": patient, "day": scans["day"].astype(int),
                                "result": scans["result"].astype(str)})
    return track(samples.drop(columns=[c for c in samples.columns if c.startswith("_")]),
                 therapy=_therapy_table(loaded, patient), imaging=imaging, normals=loaded.normals)


def _ctdna_findings(loaded: LoadedCase, calls: pd.DataFrame) -> pd.DataFrame | None:
    from oncoresist.annotate import annotate

    detected = calls[calls["detected"].astype(bool)]
    if detected.empty:
        return None
    history = _history(loaded)
    current = list(history[-1][0])
    before = list(dict.fromkeys(d for drugs, _, _ in history[:-1] for d in drugs if d not in current))
    first = detected.groupby(["gene", "alteration"], sort=True)["day"].min().reset_index()
    names = _canonical_names(loaded)
    texts = [names[(str(g), str(a))] for g, a in zip(first["gene"], first["alteration"], strict=True)]
    frame = annotate(texts, therapy=current, history=before or None, disease=loaded.case.disease).to_frame()
    frame["sample_id"] = "ctDNA"
    frame.insert(0, "source", "ctdna (detected in any sample)")
    days = dict(zip(texts, first["day"], strict=True))
    frame.insert(1, "day", frame["alteration"].map(days))
    return frame


def _clonal(loaded: LoadedCase, seed: np.random.SeedSequence, executor: Executor | None) -> dict:
    from oncoresist.clonal import fit, read_pyclone, trees

    spec = loaded.case.clonal
    data = read_pyclone(loaded.files["clonal"])
    result = fit(data, max_clusters=spec.clusters or 10, rng=np.random.default_rng(seed), executor=executor)
    samples = set(result.clusters_frame()["sample_id"].astype(str))
    unknown = sorted(set(spec.days) - samples)
    if unknown:
        msg = (
            f"clonal.days: sample(s) {unknown} are not in {Path(spec.path).name}; "
            f"its samples are {sorted(samples)}"
        )
        raise InputError(msg, path=loaded.path, field="clonal.days")
    search = trees(result)
    return {"fit": result, "trees": search, "days": dict(spec.days)}


def _model_inputs(loaded: LoadedCase, findings: pd.DataFrame | None, ctdna: Any) -> tuple[list[str], dict]:
    alterations: list[str] = []
    first_seen: dict[str, float] = {}
    if findings is not None:
        tissue = findings[~findings["source"].str.startswith("ctdna")]
        for alt, day in zip(tissue["alteration"], tissue["day"], strict=True):
            alterations.append(alt)
            first_seen[alt] = min(first_seen.get(alt, np.inf), float(day))
    if ctdna is not None:
        detected = ctdna.calls[ctdna.calls["detected"].astype(bool)]
        names = _canonical_names(loaded)
        for gene, alt, day in zip(detected["gene"], detected["alteration"], detected["day"], strict=True):
            text = names[(str(gene), str(alt))]
            alterations.append(text)
            first_seen[text] = min(first_seen.get(text, np.inf), float(day))
    return sorted(dict.fromkeys(alterations)), first_seen


def _likelihood_rows(loaded: LoadedCase, model: TumourModel) -> pd.DataFrame | None:
    if loaded.ctdna is None:
        return None
    frame = loaded.ctdna
    rows = pd.DataFrame({"day": frame["day"].astype(float).to_numpy(), "alteration": frame["_canonical"].to_numpy(),
                         "alt_reads": frame["alt_reads"].astype(float).to_numpy(),
                         "depth": frame["depth"].astype(float).to_numpy()})
    known = set(model.truncal) | set(model.resistance)
    return rows[rows["alteration"].isin(known)].reset_index(drop=True)


def _in_case_file(loaded: LoadedCase, exc: InputError, loc: tuple) -> InputError:
    """The same message, placed at the case file's line of ``loc``."""
    from oncoresist.case._load import _line_of

    line = None if loaded.document is None else _line_of(loaded.document, loc)
    return InputError(exc.message, path=loaded.path, line=line, field=exc.field)


def _forecast_start(loaded: LoadedCase) -> float:
    if loaded.case.forecast.start_day is not None:
        return float(loaded.case.forecast.start_day)
    days = [line.start_day for line in loaded.case.therapy_history]
    days += [s.day for s in loaded.case.sequencing]
    for frame in (loaded.ctdna, loaded.imaging):
        if frame is not None and len(frame):
            days.append(int(frame["day"].max()))
    return float(max(days))


def check_consent(loaded: LoadedCase) -> None:
    """Refuse the analysis when the case's consent scope does not cover research on its disease.

    Uses ``oncoresist.privacy.check_consent`` (GA4GH DUO); where that module is absent, only the
    permission POA (population origins or ancestry research only) is refused.
    """
    case = loaded.case
    try:
        from oncoresist.privacy import ConsentError, DataUse
        from oncoresist.privacy import check_consent as privacy_check
    except ImportError:
        if case.permission == "POA":
            msg = (
                "consent: the recorded permission is POA (population origins or ancestry research "
                "only); a patient-case analysis of disease and therapy is outside that scope"
            )
            raise InputError(msg, path=loaded.path, field="consent") from None
        return
    try:
        privacy_check(list(case.consent), DataUse(purpose="disease", disease=case.disease))
    except ConsentError as exc:
        # case run offers no override: analyses outside the scope go through the store's audit
        reason = str(exc).split("; to proceed anyway")[0]
        msg = f"consent: {reason}; change nothing in the case file unless the consent itself was recorded wrongly"
        raise InputError(msg, path=loaded.path, field="consent") from None


def analyse_case(
    loaded: LoadedCase,
    *,
    seed: int,
    executor: Executor | None = None,
    command: str = "oncoresist.case.run_case",
) -> CaseResult:
    """Run every step whose data are present on a loaded case (no files written)."""
    check_consent(loaded)
    case = loaded.case
    result = CaseResult(loaded=loaded, seed=seed)
    seeds = np.random.SeedSequence(seed).spawn(3)
    # 1. annotation (tissue); ctDNA-detected variants are annotated after the calls
    findings = _annotate(loaded) if case.sequencing else None
    # 2. ctDNA
    if loaded.ctdna is not None:
        result.ctdna = _ctdna(loaded)
        extra = _ctdna_findings(loaded, result.ctdna.calls)
        if extra is not None:
            findings = extra if findings is None else pd.concat([findings, extra], ignore_index=True)
    else:
        result.skipped["ctdna"] = "no serial ctDNA table in the case file (ctdna:)"
    if findings is None:
        result.skipped["annotation"] = "no tumour sequencing and no ctDNA variant detected"
    result.findings = findings
    # 3. clonal deconvolution
    if case.clonal is not None:
        result.clonal = _clonal(loaded, seeds[2], executor)
    else:
        result.skipped["clonal"] = "no multi-sample clonal input in the case file (clonal:)"
    # 4. model
    alterations, first_seen = _model_inputs(loaded, findings, result.ctdna)
    if not alterations:
        for step in ("model", "calibration", "forecast"):
            result.skipped[step] = "no alteration found in sequencing or ctDNA to build a tumour model from"
    else:
        history = _history(loaded)
        drugs = [d for line, _, _ in history for d in line]
        drugs += [d for s in case.strategies for d in loaded.canonical(s.drugs)]
        try:
            result.model = build_model(alterations, first_seen, drugs, history=[h[0] for h in history],
                                       disease=case.disease, mutation=case.mutation)
        except InputError as exc:
            if exc.field != "mutation.sites":
                raise
            raise _in_case_file(loaded, exc, ("mutation", "sites")) from None
        # 5. calibration
        rows = _likelihood_rows(loaded, result.model)
        imaging = loaded.imaging
        result.calibration = calibrate_model(result.model, history, ctdna=rows, imaging=imaging,
                                             settings=case.calibration, rng=np.random.default_rng(seeds[0]),
                                             executor=executor)
        if result.calibration.method == "prior":
            why = "calibration.method is none" if case.calibration.method == "none" else \
                "no ctDNA allele counts and fewer than two imaging burdens"
            result.skipped["calibration"] = f"{why}: the forecast uses prior draws"
        # 6. forecast
        plans = [plan_of(s, loaded.drugs) for s in case.strategies]
        result.forecast_start = _forecast_start(loaded)
        result.forecast = forecast_strategies(result.calibration, plans, start_day=result.forecast_start,
                                              settings=case.forecast, rng=np.random.default_rng(seeds[1]),
                                              mutation=case.mutation)
    from oncoresist.kb import load_kb

    result.provenance = Provenance.create(
        command,
        parameters={"case": loaded.path.name, "pseudonym": case.pseudonym, "steps": list(STEPS),
                    "skipped": dict(result.skipped), "calibration": case.calibration.model_dump(),
                    "forecast": case.forecast.model_dump(),
                    "mutation": case.mutation.model_dump()},
        seed=seed,
        inputs=loaded.input_files,
        kb_version=load_kb().version,
    )
    return result


def run(
    case_path: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str],
    rng: int | None = None,
    executor: Executor | None = None,
) -> CaseResult:
    """Load, analyse and write a case (see :func:`oncoresist.case.run_case`)."""
    loaded = load_case_file(case_path)
    if rng is not None and (isinstance(rng, bool) or not isinstance(rng, int | np.integer) or rng < 0):
        msg = f"rng must be a non-negative integer seed (it is recorded in the report); got {rng!r}"
        raise InputError(msg, field="rng")
    seed = int(rng) if rng is not None else loaded.case.seed
    result = analyse_case(loaded, seed=seed, executor=executor)
    result.write(out)
    return result
