"""Per-patient outcomes of one strategy: progression, eradication, emergence, dose, cost."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from oncoresist.therapy._strategies import Controller


def cumulative_dose(dosing: pd.DataFrame, end: float, drugs: Sequence[str]) -> dict[str, float]:
    """Dose per drug: each decision's level held until the next decision (or ``end``), plus boluses.

    Examples
    --------
    >>> d = pd.DataFrame({"time": [0.0, 10.0], "drug": ["a", "a"], "level": [1.0, 0.5],
    ...                   "bolus": [0.0, 0.0]})
    >>> cumulative_dose(d, 30.0, ["a"])
    {'a': 20.0}
    """
    out = dict.fromkeys(drugs, 0.0)
    if dosing is None or len(dosing) == 0:
        return out
    times = np.unique(dosing["time"].to_numpy(float))
    next_time = dict(zip(times, [*times[1:], end], strict=True))
    for t, drug, level, bolus in dosing[["time", "drug", "level", "bolus"]].itertuples(index=False):
        if drug in out:
            out[drug] += float(level) * max(0.0, float(next_time[t]) - float(t)) + float(bolus)
    return out


# name of the simulator threshold event (StopRules.thresholds) that marks resistance emergence
EMERGENCE_EVENT = "resistance_emergence"


def emergence_time(totals: pd.DataFrame, types: Sequence[str], size: float, start: float) -> float:
    """First record time (after ``start``, as treatment time) when ``types`` total at least ``size``.

    The fallback for results without the simulator's emergence event (see :func:`patient_row`).

    Examples
    --------
    >>> tot = pd.DataFrame({"time": [0.0, 30.0, 60.0], "R": [0.0, 5e5, 2e6]})
    >>> emergence_time(tot, ["R"], 1e6, 0.0)
    60.0
    """
    cols = [t for t in types if t in totals.columns]
    if not cols or len(totals) == 0:
        return math.nan
    after = totals[totals["time"] >= start - 1e-9]
    hit = after[after[cols].sum(axis=1) >= size]
    return float(hit["time"].iloc[0] - start) if len(hit) else math.nan


def dominant_origin(result: Any, types: Sequence[str], start: float) -> tuple[str, float, str]:
    """Largest living clone of ``types`` at the end: (its type, birth time, origin).

    Origin is ``pre-existing`` (born before treatment), ``from <type>`` (arose during
    treatment from a cell of that type), or ``none``.
    """
    table = getattr(result, "clone_table", None)
    if table is None or len(table) == 0:
        return "", math.nan, "none"
    last = table[table["time"] == table["time"].max()]
    last = last[last["type"].isin(list(types)) & (last["size"] > 0)]
    if len(last) == 0:
        return "", math.nan, "none"
    row = last.loc[last["size"].astype(float).idxmax()]
    clones = result.clones.set_index("clone_id")
    born = float(clones.loc[row["clone_id"], "born"])
    if born < start - 1e-9:
        return str(row["type"]), born - start, "pre-existing"
    parent = int(clones.loc[row["clone_id"], "parent_id"])
    parent_type = str(clones.loc[parent, "type"]) if parent in clones.index else "?"
    return str(row["type"]), born - start, f"from {parent_type}"


def _emergence(result: Any, resistant: Sequence[str], size: float, start: float) -> float:
    # the simulator's threshold event: the step at which the resistant types reached the size
    # (the event time for exact and deterministic engines); before treatment start counts as 0
    if EMERGENCE_EVENT in result.events:
        return max(0.0, float(result.events[EMERGENCE_EVENT]) - start)
    return emergence_time(result.totals, resistant, size, start)


def patient_row(result: Any, ctrl: Controller, *, strategy: str, patient: int, drugs: Sequence[str],
                resistant: Sequence[str], emergence_size: float,
                prices: Mapping[str, float] | None) -> dict[str, Any]:
    """One row of the per-patient table."""
    events = result.events
    start = float(events.get("treatment_start", 0.0))
    end = max(float(v) for v in events.values()) if events else 0.0
    end = max(end, float(result.totals["time"].max()) if len(result.totals) else end)
    state = ctrl.state
    failed = bool(state.failed) and result.outcome == "progressed"
    row: dict[str, Any] = {
        "strategy": strategy,
        "patient": patient,
        "outcome": result.outcome,
        "eradicated": result.outcome == "extinct",
        "progressed": failed,
        "ttp": (float(events["progression"]) - start) if failed else (end - start),
        "t_end": end - start,
        "t_first_progression": state.progressions[0] if state.progressions else math.nan,
        "lines_used": state.line + 1,
        "switches": len(state.switches),
        "scans": len(state.scans),
        "t_emergence": _emergence(result, resistant, emergence_size, start),
        "resistant_at_start": (float(sum(result.sizes_at_detection.get(t, 0) for t in resistant))
                               if result.sizes_at_detection else math.nan),
    }
    dtype, dborn, origin = dominant_origin(result, resistant, start)
    row.update({"dominant_type": dtype, "dominant_born": dborn, "dominant_origin": origin})
    doses = cumulative_dose(result.dosing, end, drugs)
    for drug in drugs:
        row[f"dose_{drug}"] = doses[drug]
    row["dose_total"] = float(sum(doses.values()))
    if prices:
        row["cost"] = float(sum(prices.get(d, 0.0) * doses[d] for d in drugs))
    if result.sizes_at_detection:
        for name, value in result.sizes_at_detection.items():
            row[f"detected_{name}"] = float(value)
    for name, value in result.final_sizes.items():
        row[f"final_{name}"] = float(value)
    return row
