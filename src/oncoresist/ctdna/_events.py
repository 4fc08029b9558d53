"""Events over time, per patient: emergence, clearance, nadir, response, progression, lead time.

Rules (all configurable through :class:`EventRules`):

* A variant *emerges* when it was not detected at the patient's first sample and is then
  detected in ``consecutive`` consecutive samples, or in one sample with ``p <= strong_p``.
  The event's ``day`` is the first detection of the run; ``confirmed_day`` the day the rule
  was met (the day the result could have been known).
* A detected variant *clears* when it is not detected in ``consecutive`` consecutive samples.
  A variant present at baseline that clears and then returns *reappears*.
* The patient's ctDNA *level* in a sample is the mean allele fraction of the variants
  detected at baseline (the tumour's founding variants). Its minimum is the *nadir*.
* *Molecular response*: the first sample whose level is at most 50% (grade ``decline_50``) and
  at most 10% (``decline_90``) of baseline, and the first in which no baseline variant is
  detected (``clearance``).
* *Molecular progression*: the earlier of (a) a rise of the level to at least
  ``progression_fold`` x the running nadir with a baseline variant detected, sustained over
  ``consecutive`` samples (or one with ``p <= strong_p``), and (b) the confirmation of an
  emerging variant.
* *Lead time*: first radiographic progression day minus the molecular progression's
  confirmation day (positive: ctDNA was earlier).

Response, nadir, progression and lead time are judged per therapy line (from one drug start
to the next; the whole series without a therapy history), from the line's first sample; the
founders are the variants detected in the patient's first sample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

Annotator = Callable[[str | None, str, tuple[str, ...]], str]

EVENT_COLUMNS = [
    "patient_id", "gene", "alteration", "variant", "event", "day", "confirmed_day", "grade",
    "drugs", "evidence", "annotation",
]


@dataclass(frozen=True)
class EventRules:
    """Parameters of the event calls.

    Attributes
    ----------
    consecutive
        Number of consecutive samples that confirm an emergence, clearance or rise.
    strong_p
        A single detection with a p-value at or below this confirms by itself.
    response_declines
        Relative declines from baseline reported as molecular response grades.
    progression_fold
        A rise of the level to this multiple of the running nadir counts as progression.
    """

    consecutive: int = 2
    strong_p: float = 1e-6
    response_declines: tuple[float, ...] = (0.5, 0.9)
    progression_fold: float = 2.0

    def __post_init__(self) -> None:
        if self.consecutive < 1:
            msg = f"consecutive must be >= 1; got {self.consecutive}"
            raise ValueError(msg)
        if not 0 < self.strong_p < 1:
            msg = f"strong_p must be between 0 and 1; got {self.strong_p}"
            raise ValueError(msg)
        if self.progression_fold <= 1:
            msg = f"progression_fold must be > 1; got {self.progression_fold}"
            raise ValueError(msg)


def context_annotation(gene: str | None, alteration: str, drugs: tuple[str, ...]) -> str:
    """The therapy context of an emerging variant, without any claim about its mechanism.

    The default ``annotator`` of ``track``.

    Parameters
    ----------
    gene
        Gene symbol (None when only coordinates are known).
    alteration
        The alteration as written.
    drugs
        Drugs given when the variant was first detected.

    Returns
    -------
    str
        ``"<gene> <alteration> emerging on <drugs>"``.

    Examples
    --------
    >>> context_annotation("EGFR", "p.C797S", ("osimertinib",))
    'EGFR p.C797S emerging on osimertinib'
    """
    name = f"{gene} {alteration}" if gene else alteration
    on = " + ".join(drugs) if drugs else "no recorded therapy"
    return f"{name} emerging on {on}"


def _first_run(flags: np.ndarray, strong: np.ndarray, start: int, k: int) -> tuple[int, int] | None:
    """First index i >= start opening a confirmed run: (onset, confirmation index)."""
    n = len(flags)
    for i in range(start, n):
        if not flags[i]:
            continue
        if strong[i]:
            return i, i
        if i + k <= n and flags[i:i + k].all():
            return i, i + k - 1
    return None


def _fmt_p(p: float) -> str:
    return f"{p:.2g}"


def _variant_events(pid, gene, alteration, variant, days, detected, p, af, rules, lines, annotator):
    events = []
    k = rules.consecutive
    strong = p <= rules.strong_p
    not_detected = ~detected
    never = np.zeros_like(detected)
    baseline = bool(detected[0])
    present = baseline
    cleared_on = None
    i = 0 if baseline else 1
    while i < len(days):
        if present:
            run = _first_run(not_detected, never, i, k)
            if run is None:
                break
            onset, confirm = run
            evidence = (
                f"not detected in {k} consecutive samples from day {days[onset]:g} "
                f"(last detection AF {af[onset - 1]:.3g} on day {days[onset - 1]:g})"
                if onset > 0 else f"not detected from day {days[onset]:g}"
            )
            events.append((pid, gene, alteration, variant, "clearance", days[onset], days[confirm], "",
                           "", evidence, ""))
            present = False
            cleared_on = days[onset]
            i = confirm + 1
        else:
            run = _first_run(detected, strong, i, k)
            if run is None:
                break
            onset, confirm = run
            drugs = lines.drugs_on(pid, days[onset])
            if onset == confirm:
                evidence = f"detected on day {days[onset]:g} with strong evidence (AF {af[onset]:.3g}, p={_fmt_p(p[onset])})"
            else:
                shown = ", ".join(f"day {days[j]:g} AF {af[j]:.3g} p={_fmt_p(p[j])}" for j in range(onset, confirm + 1))
                evidence = f"detected in {k} consecutive samples: {shown}"
            if cleared_on is not None:
                evidence += f"; after clearance on day {cleared_on:g}"
            if baseline:
                kind, annotation = "reappearance", ""
            else:
                kind = "emergence"
                annotation = annotator(gene, alteration, drugs)
            events.append((pid, gene, alteration, variant, kind, days[onset], days[confirm], "",
                           " + ".join(drugs), evidence, annotation))
            present = True
            i = confirm + 1
    return events


def _patient_level_events(pid, days, level, any_detected, strongest, rules, emergence_confirms,
                          founders, drugs):
    """Nadir, molecular response and progression in one therapy line, from the founders' mean AF."""
    events = []
    summary = {"patient_id": pid, "drugs": drugs, "start_day": days[0],
               "baseline_variants": ";".join(founders), "baseline_level": np.nan,
               "nadir_day": np.nan, "nadir_level": np.nan, "molecular_progression_day": np.nan,
               "molecular_progression_confirmed_day": np.nan}
    progression: tuple[float, float, str] | None = None
    if founders and not np.isnan(level[0]):
        base = level[0]
        summary["baseline_level"] = base
        for decline in rules.response_declines:
            hit = np.nonzero(level[1:] <= (1.0 - decline) * base)[0]
            if len(hit):
                j = hit[0] + 1
                events.append((pid, None, "", "", "molecular_response", days[j], days[j],
                               f"decline_{round(decline * 100)}", drugs,
                               f"mean baseline-variant AF {level[j]:.3g} vs {base:.3g} at baseline "
                               f"({100 * (1 - level[j] / base):.0f}% decline)", ""))
        cleared = np.nonzero(~any_detected[1:])[0]
        if len(cleared):
            j = cleared[0] + 1
            events.append((pid, None, "", "", "molecular_response", days[j], days[j], "clearance", drugs,
                           f"none of {len(founders)} baseline variant(s) detected", ""))
        # Rise above the running nadir, confirmed like an emergence.
        k = rules.consecutive
        running = np.fmin.accumulate(level)
        rise = np.zeros(len(days), dtype=bool)
        rise[1:] = (level[1:] >= rules.progression_fold * running[:-1]) & any_detected[1:]
        strong_rise = rise & (strongest <= rules.strong_p)
        run = _first_run(rise, strong_rise, 1, k)
        if run is not None:
            onset, confirm = run
            nadir_before = running[onset - 1]
            progression = (days[onset], days[confirm],
                           f"level rose to {level[onset]:.3g} from nadir {nadir_before:.3g} "
                           f"(>= {rules.progression_fold:g}x), confirmed day {days[confirm]:g}")
        end = np.searchsorted(days, progression[0]) if progression else len(days)
        j = int(np.nanargmin(level[:max(end, 1)]))
        summary["nadir_day"], summary["nadir_level"] = days[j], level[j]
        events.append((pid, None, "", "", "nadir", days[j], days[j], "", drugs,
                       f"lowest mean baseline-variant AF {level[j]:.3g}", ""))
    for onset, confirm, variant in emergence_confirms:
        if progression is None or confirm < progression[1]:
            progression = (onset, confirm, f"emergence of {variant}, confirmed day {confirm:g}")
    if progression is not None:
        summary["molecular_progression_day"] = progression[0]
        summary["molecular_progression_confirmed_day"] = progression[1]
        events.append((pid, None, "", "", "molecular_progression", progression[0], progression[1], "",
                       drugs, progression[2], ""))
    return events, summary


class TherapyIndex:
    """A therapy history indexed by patient, for fast look-ups of lines and drugs on a day."""

    def __init__(self, therapy: pd.DataFrame | None) -> None:
        self._by_patient: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if therapy is not None and not therapy.empty:
            for pid, rows in therapy.groupby("patient_id", sort=False):
                self._by_patient[str(pid)] = (
                    rows["start_day"].to_numpy(float),
                    rows["end_day"].to_numpy(float),
                    rows["drug"].to_numpy(object),
                )

    def drugs_on(self, patient_id: str, day: float) -> tuple[str, ...]:
        found = self._by_patient.get(str(patient_id))
        if found is None:
            return ()
        start, end, drug = found
        active = (start <= day) & (np.isnan(end) | (end >= day))
        return tuple(sorted(set(drug[active])))

    def line_starts(self, patient_id: str) -> np.ndarray:
        found = self._by_patient.get(str(patient_id))
        if found is None:
            return np.array([-np.inf])
        return np.unique(found[0])


def _group_bounds(*keys: np.ndarray) -> np.ndarray:
    """Start offsets of runs of equal keys in sorted arrays, with the end appended."""
    n = len(keys[0])
    if n == 0:
        return np.array([0])
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.append(np.flatnonzero(change), n)


def call_events(calls: pd.DataFrame, *, rules: EventRules, therapy: pd.DataFrame | None = None,
                imaging: pd.DataFrame | None = None,
                annotator: Annotator | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events table and per-patient summary from the per-variant calls."""
    if annotator is None:
        from oncoresist.ctdna._annotation import resistance_annotation as annotator
    lines = TherapyIndex(therapy)
    ordered = calls.sort_values(["patient_id", "variant", "day"], kind="stable").reset_index(drop=True)
    pid = ordered["patient_id"].to_numpy(object)
    variant = ordered["variant"].to_numpy(object)
    gene = ordered["gene"].to_numpy(object)
    alteration = ordered["alteration"].astype(str).to_numpy(object)
    day = ordered["day"].to_numpy(float)
    detected = ordered["detected"].to_numpy(bool)
    p_value = ordered["p_value"].to_numpy(float)
    af = ordered["af"].to_numpy(float)

    # Founders: variants detected in each patient's first sample.
    first_day = ordered.groupby("patient_id")["day"].transform("min").to_numpy(float)
    founder_pairs = set(zip(pid[(day == first_day) & detected], variant[(day == first_day) & detected],
                            strict=True))
    is_founder = np.fromiter(((a, b) in founder_pairs for a, b in zip(pid, variant, strict=True)), bool,
                             len(pid))
    founder_rows = ordered[is_founder]
    per_day = founder_rows.groupby(["patient_id", "day"]).agg(
        level=("af", "mean"), any_detected=("detected", "any"), strongest=("p_value", "min"))
    all_days = ordered[["patient_id", "day"]].drop_duplicates().sort_values(["patient_id", "day"])
    per_day = per_day.reindex(pd.MultiIndex.from_frame(all_days))
    day_pid = all_days["patient_id"].to_numpy(object)
    day_value = all_days["day"].to_numpy(float)
    level_all = per_day["level"].to_numpy(float)
    detected_all = (per_day["any_detected"].to_numpy(dtype=object) == True)  # noqa: E712 - NaN rows are False
    strongest_all = per_day["strongest"].fillna(1.0).to_numpy(float)
    day_bounds = _group_bounds(day_pid)

    progression_scans: dict[str, np.ndarray] = {}
    if imaging is not None and not imaging.empty:
        for key, rows in imaging[imaging["progression"]].groupby("patient_id"):
            progression_scans[str(key)] = np.sort(rows["day"].to_numpy(float))

    founders_of: dict[str, list[str]] = {}
    for a, b in sorted(founder_pairs):
        founders_of.setdefault(a, []).append(b)

    rows: list[tuple] = []
    summaries = []
    variant_bounds = _group_bounds(pid, variant)
    emergences_of: dict[str, list[tuple[float, float, str]]] = {}
    for lo, hi in zip(variant_bounds[:-1], variant_bounds[1:], strict=True):
        g = gene[lo]
        g = None if g is None or (isinstance(g, float) and np.isnan(g)) else str(g)
        found = _variant_events(
            pid[lo], g, alteration[lo], variant[lo], day[lo:hi], detected[lo:hi], p_value[lo:hi],
            af[lo:hi], rules, lines, annotator,
        )
        rows.extend(found)
        emergences_of.setdefault(pid[lo], []).extend(
            (e[5], e[6], variant[lo]) for e in found if e[4] == "emergence")

    # Response and progression per therapy line, from the line's first sample.
    for lo, hi in zip(day_bounds[:-1], day_bounds[1:], strict=True):
        patient = day_pid[lo]
        days = day_value[lo:hi]
        starts = lines.line_starts(patient)
        line = np.maximum(np.searchsorted(starts, days, side="right") - 1, 0)
        scans = progression_scans.get(str(patient), np.empty(0))
        emergences = emergences_of.get(patient, [])
        founders = founders_of.get(patient, [])
        for k in np.unique(line):
            part = slice(lo + np.flatnonzero(line == k)[0], lo + np.flatnonzero(line == k)[-1] + 1)
            first = day_value[part][0]
            end = starts[k + 1] if k + 1 < len(starts) else np.inf
            drugs = " + ".join(lines.drugs_on(patient, first))
            in_line = [e for e in emergences if first <= e[0] < end]
            patient_events, summary = _patient_level_events(
                patient, day_value[part], level_all[part], detected_all[part], strongest_all[part], rules,
                in_line, founders, drugs,
            )
            summary["radiographic_progression_day"] = np.nan
            summary["lead_time_days"] = np.nan
            # A scan on the day the next line starts belongs to this line (it ended it).
            seen = scans[(scans > first) & (scans <= end)]
            if len(seen):
                summary["radiographic_progression_day"] = float(seen[0])
                confirmed = summary["molecular_progression_confirmed_day"]
                if not np.isnan(confirmed):
                    summary["lead_time_days"] = float(seen[0]) - confirmed
                    patient_events = [
                        (*e[:9], e[9] + f"; lead time over imaging {summary['lead_time_days']:g} days", e[10])
                        if e[4] == "molecular_progression" else e
                        for e in patient_events
                    ]
            rows.extend(patient_events)
            summaries.append(summary)
    events = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    summary_frame = pd.DataFrame(summaries)
    order = {"emergence": 0, "reappearance": 1, "clearance": 2, "molecular_response": 3, "nadir": 4,
             "molecular_progression": 5}
    events["_order"] = events["event"].map(order)
    events = events.sort_values(["patient_id", "day", "_order", "variant"], kind="stable")
    return events.drop(columns="_order").reset_index(drop=True), summary_frame


def parse_declines(values: Sequence[float]) -> tuple[float, ...]:
    """Check response declines are fractions in (0, 1)."""
    out = tuple(float(v) for v in values)
    if any(not 0 < v < 1 for v in out):
        msg = f"response declines must be fractions between 0 and 1; got {out}"
        raise ValueError(msg)
    return out
