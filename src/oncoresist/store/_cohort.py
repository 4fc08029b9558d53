"""Ready-made cohort questions, with consent checked for every patient they draw on."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from oncoresist._core.exceptions import InputError
from oncoresist.privacy import ConsentError, DataUse, check_consent, parse_consent


@dataclass
class CohortResult:
    """The answer to a cohort question.

    Attributes
    ----------
    name
        ``emerging``, ``lead_times``, ``response_rates`` or ``query``.
    table
        One row per patient (or per regimen for response rates); patients by pseudonym.
    summary
        Cohort-level figures (counts, median and quartiles...).
    parameters
        The question's parameters.
    excluded
        Pseudonyms left out because their consent does not cover the use.
    """

    name: str
    table: pd.DataFrame
    summary: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    excluded: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The table."""
        return self.table.copy()

    def write(self, path: str | os.PathLike[str], *, format: str | None = None) -> Path:
        """Write the table as TSV or Parquet (by ``format`` or the suffix), with provenance."""
        from oncoresist.store._output import write_frame

        return write_frame(self.table, path, format=format, command=f"oncoresist store cohort "
                           f"{self.name}", parameters={**self.parameters, "summary": self.summary})


def consented_patients(
    con: duckdb.DuckDBPyConnection,
    use: DataUse,
    *,
    patients: list[str] | None = None,
    override: str | None = None,
    only_consented: bool = False,
) -> tuple[list[str], list[str], bool]:
    """(allowed patients, excluded patients, override used)."""
    frame = con.execute("SELECT patient, consent FROM patients ORDER BY patient").fetchdf()
    if patients is not None:
        frame = frame[frame["patient"].isin(set(patients))]
    verdicts = {consent: check_consent(parse_consent(consent), use, override="check").allowed
                for consent in frame["consent"].unique()}
    refused = {p: c for p, c in zip(frame["patient"], frame["consent"], strict=True)
               if not verdicts[c]}
    allowed = [p for p in frame["patient"] if p not in refused]
    if not refused:
        return allowed, [], False
    if override:
        return list(frame["patient"]), [], True
    if only_consented:
        return allowed, sorted(refused), False
    scopes = Counter(refused.values())
    listing = ", ".join(f"{scope} ({n} patient{'s' if n > 1 else ''})"
                        for scope, n in sorted(scopes.items()))
    example = sorted(refused)[:3]
    msg = (f"{len(refused)} of {len(frame)} patients have a consent scope that does not allow "
           f"{use.describe()}: {listing}; e.g. {', '.join(example)}. Declare the use that "
           "applies (e.g. --disease for disease-specific consent), leave them out with "
           "--only-consented, or proceed with --override-consent REASON (logged)")
    raise ConsentError(msg)


def _register(con: duckdb.DuckDBPyConnection, patients: list[str]) -> None:
    con.register("_allowed", pd.DataFrame({"patient": pd.Series(patients, dtype=object)}))


def emerging(con: duckdb.DuckDBPyConnection, alteration: str, patients: list[str]) -> pd.DataFrame:
    from oncoresist.variants import Alteration, parse_alteration

    try:
        pattern = parse_alteration(None, alteration)
    except InputError as exc:
        msg = f"cannot read the alteration {alteration!r}: {exc}"
        raise InputError(msg, field="emerging") from None
    _register(con, patients)
    events = con.execute("""
        SELECT e.patient, e.variant, e.event, e.day, e.confirmed_day, e.drugs, e.annotation
        FROM ctdna_events e JOIN _allowed a USING (patient)
        WHERE e.event = 'emergence' AND e.variant IS NOT NULL
        ORDER BY e.patient, e.day, e.variant""").fetchdf()
    con.unregister("_allowed")
    cache: dict[str, bool] = {}

    def hit(text: str) -> bool:
        if text not in cache:
            try:
                cache[text] = bool(pattern.matches(Alteration.parse(text)))
            except (InputError, AttributeError, TypeError, ValueError):
                cache[text] = text == str(pattern)
        return cache[text]

    mask = events["variant"].map(hit).astype(bool) if len(events) else pd.Series([], dtype=bool)
    return events[mask].reset_index(drop=True)


def lead_times(con: duckdb.DuckDBPyConnection, patients: list[str]) -> pd.DataFrame:
    _register(con, patients)
    table = con.execute("""
        SELECT s.patient, s.drugs, s.start_day, s.molecular_progression_confirmed_day,
               s.radiographic_progression_day, s.lead_time_days
        FROM ctdna_summary s JOIN _allowed a USING (patient)
        WHERE s.radiographic_progression_day IS NOT NULL
           OR s.molecular_progression_confirmed_day IS NOT NULL
        ORDER BY s.patient, s.start_day""").fetchdf()
    con.unregister("_allowed")
    return table


def lead_time_summary(table: pd.DataFrame) -> dict:
    values = table["lead_time_days"].dropna().to_numpy(dtype=float)
    both = int(len(values))
    out = {
        "lines_with_molecular_and_radiographic_progression": both,
        "lines_with_radiographic_progression_only": int(
            (table["radiographic_progression_day"].notna()
             & table["molecular_progression_confirmed_day"].isna()).sum()),
        "lines_with_molecular_progression_only": int(
            (table["radiographic_progression_day"].isna()
             & table["molecular_progression_confirmed_day"].notna()).sum()),
    }
    if both:
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        out.update({"median_lead_time_days": float(median), "q1_lead_time_days": float(q1),
                    "q3_lead_time_days": float(q3), "mean_lead_time_days": float(values.mean()),
                    "fraction_molecular_first": float((values > 0).mean())})
    return out


def _clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    from scipy import stats

    if n == 0:
        return (np.nan, np.nan)
    a = (1 - level) / 2
    low = 0.0 if k == 0 else float(stats.beta.ppf(a, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - a, k + 1, n - k))
    return low, high


def response_rates(con: duckdb.DuckDBPyConnection, patients: list[str]) -> pd.DataFrame:
    """Per regimen: ctDNA molecular response (50%, 90% decline, clearance) and RECIST response.

    A therapy line is evaluable for ctDNA response when the store has a ctDNA level at its
    start (a summary row with a baseline level > 0 starting within the line); it responded
    at a grade when a molecular_response event of that grade falls within the line. A line is
    evaluable for objective response when it has a scan; it responded when any scan in the line
    reads CR or PR (RECIST 1.1 best overall response, without the confirmation rule).
    """
    _register(con, patients)
    lines = con.execute("""
        SELECT t.patient, t.line, replace(t.drugs, ';', '+') AS regimen, t.start_day,
               coalesce(t.end_day, 'inf'::DOUBLE) AS end_day
        FROM therapy_lines t JOIN _allowed a USING (patient)""").fetchdf()
    baseline = con.execute("""
        SELECT s.patient, s.start_day AS day FROM ctdna_summary s JOIN _allowed a USING (patient)
        WHERE s.baseline_level > 0""").fetchdf()
    events = con.execute("""
        SELECT e.patient, e.grade, e.day FROM ctdna_events e JOIN _allowed a USING (patient)
        WHERE e.event = 'molecular_response'""").fetchdf()
    scans = con.execute("""
        SELECT i.patient, i.day, i.result FROM imaging i JOIN _allowed a USING (patient)
        WHERE i.result IS NOT NULL""").fetchdf()
    con.unregister("_allowed")

    def within(frame: pd.DataFrame) -> pd.DataFrame:
        joined = lines.merge(frame, on="patient")
        return joined[(joined["day"] >= joined["start_day"]) & (joined["day"] <= joined["end_day"])]

    keys = ["patient", "line"]
    evaluable = within(baseline)[keys + ["regimen"]].drop_duplicates()
    graded = within(events)
    imaged = within(scans)
    rows = []
    for regimen, group in lines.groupby("regimen", sort=True):
        ev = evaluable[evaluable["regimen"] == regimen]
        ev_keys = set(map(tuple, ev[keys].to_numpy()))
        row = {"regimen": regimen, "lines": len(group), "ctdna_evaluable": len(ev_keys)}
        for grade in ("decline_50", "decline_90", "clearance"):
            hits = graded[(graded["regimen"] == regimen) & (graded["grade"] == grade)]
            k = len(set(map(tuple, hits[keys].to_numpy())) & ev_keys)
            low, high = _clopper_pearson(k, len(ev_keys))
            row.update({f"{grade}_n": k, f"{grade}_rate": k / len(ev_keys) if ev_keys else np.nan,
                        f"{grade}_ci_low": low, f"{grade}_ci_high": high})
        im = imaged[imaged["regimen"] == regimen]
        im_keys = set(map(tuple, im[keys].to_numpy()))
        resp = set(map(tuple, im[im["result"].isin(["CR", "PR"])][keys].to_numpy()))
        low, high = _clopper_pearson(len(resp), len(im_keys))
        row.update({"imaging_evaluable": len(im_keys), "objective_response_n": len(resp),
                    "objective_response_rate": len(resp) / len(im_keys) if im_keys else np.nan,
                    "objective_response_ci_low": low, "objective_response_ci_high": high})
        rows.append(row)
    return pd.DataFrame(rows)
