"""Reading the summaries of a `oncoresist case run` output folder into store rows."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from oncoresist._core.exceptions import InputError

# forecast_summary.tsv columns -> (quantity, median, ci_low, ci_high)
_FORECAST = [
    ("time_to_progression_days", "ttp_median", "ttp_ci_low", "ttp_ci_high"),
    ("resistance_emergence_days", "emergence_median", "emergence_ci_low", "emergence_ci_high"),
    ("dose_days", "dose_days_median", None, None),
    ("cost", "cost_median", None, None),
    ("p_progression_1y", "p_progression_1y", None, None),
    ("p_progression_horizon", "p_progression_horizon", None, None),
]


def _number(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def read_case_results(folder: str | Path, pseudonym: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(forecast rows, simulation rows) of a case-run folder made from the case ``pseudonym``."""
    root = Path(folder)
    provenance_path = root / "provenance.json"
    if not provenance_path.is_file():
        msg = ("is not an `oncoresist case run` output folder (no provenance.json); give the "
               "folder written by `oncoresist case run CASE --out DIR`")
        raise InputError(msg, path=root)
    provenance = json.loads(provenance_path.read_text(encoding="utf-8"))
    made_from = (provenance.get("parameters") or {}).get("pseudonym")
    if made_from != pseudonym:
        msg = ("these results were made from another case (its pseudonym differs from this "
               "case file's); give the output folder of this case's run")
        raise InputError(msg, path=root, field="results")
    seed = provenance.get("seed")
    settings = json.dumps({"kb_version": provenance.get("kb_version"),
                           "oncoresist_version": provenance.get("version")}, sort_keys=True)
    rows = []
    summary = root / "forecast_summary.tsv"
    if summary.is_file():
        table = pd.read_csv(summary, sep="\t", comment="#")
        for record in table.to_dict("records"):
            for quantity, median, low, high in _FORECAST:
                if median not in record:
                    continue
                rows.append({"strategy": record.get("strategy"), "quantity": quantity,
                             "median": _number(record.get(median)),
                             "ci_low": _number(record.get(low)) if low else math.nan,
                             "ci_high": _number(record.get(high)) if high else math.nan,
                             "seed": seed, "parameters": settings})
    forecasts = pd.DataFrame(rows)
    sims = []
    posterior = root / "posterior_summary.tsv"
    if posterior.is_file():
        table = pd.read_csv(posterior, sep="\t", comment="#")
        for record in table.to_dict("records"):
            sims.append({"run": "calibration posterior", "quantity": record.get("parameter"),
                         "value": _number(record.get("median")),
                         "ci_low": _number(record.get("ci_low")),
                         "ci_high": _number(record.get("ci_high")),
                         "parameters": json.dumps({"level": record.get("level"),
                                                   "prior": record.get("prior")})})
    return forecasts, pd.DataFrame(sims)
