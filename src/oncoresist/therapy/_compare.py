"""Strategies compared on the same virtual patients (common random numbers)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncoresist._core.atomic import atomic_output_dir
from oncoresist._core.exceptions import InputError
from oncoresist._core.provenance import Provenance
from oncoresist._core.rng import spawn_seed_sequences
from oncoresist.evolve import Model, StopRules, simulate
from oncoresist.therapy._monitoring import Monitoring, ProgressionRule
from oncoresist.therapy._outcomes import EMERGENCE_EVENT, patient_row
from oncoresist.therapy._strategies import Controller, Strategy, as_strategy


@dataclass(frozen=True)
class Settings:
    """How patients are simulated and judged (everything but the model and strategies)."""

    stop: StopRules = StopRules()
    monitoring: Monitoring = Monitoring()
    progression: ProgressionRule = ProgressionRule()
    resistant_types: tuple[str, ...] | None = None
    emergence_size: float = 1e6
    max_burden: float = 1e13
    prices: Mapping[str, float] | None = None
    engine: str = "hybrid"
    engine_options: Mapping[str, Any] = field(default_factory=dict)
    decision_interval: float = 7.0
    record_interval: float | None = 30.0


def _resistant(model: Any, settings: Settings) -> tuple[str, ...]:
    if settings.resistant_types is not None:
        return tuple(settings.resistant_types)
    initial = {k for k, v in model.initial.items() if v > 0}
    return tuple(t for t in model.type_names if t not in initial)


def _simulate_one(model: Any, ctrl: Controller, settings: Settings, rng: np.random.Generator,
                  resistant: Sequence[str] = ()) -> Any:
    thresholds = tuple(settings.stop.thresholds)
    if resistant:
        # resistance emergence as a simulator event, at the step it happens (not at record times)
        thresholds = (*thresholds, (EMERGENCE_EVENT, tuple(resistant), float(settings.emergence_size)))
    stop = dataclasses.replace(settings.stop, progression_size=None, progression_types=None,
                               stop_at_detection=False, progression_rule=ctrl.progression_rule,
                               thresholds=thresholds)
    if hasattr(model, "simulate_controlled"):  # deterministic models of this package (Zhang 2017)
        return model.simulate_controlled(ctrl, stop=stop, decision_interval=settings.decision_interval,
                                         record_interval=settings.record_interval)
    return simulate(model, ctrl, engine=settings.engine, stop=stop, decision_interval=settings.decision_interval,
                    record_interval=settings.record_interval, engine_options=dict(settings.engine_options),
                    rng=rng)


def _run_patients(model: Any, strategies: Mapping[str, Strategy], settings: Settings, start: int,
                  seeds: Sequence[np.random.SeedSequence], keep: int) -> tuple[list[dict], dict]:
    rows, traces = [], {}
    drugs = tuple(model.drug_names)
    resistant = _resistant(model, settings)
    for offset, seed in enumerate(seeds):
        patient = start + offset
        sim_seed, monitor_seed = seed.spawn(2)
        for name, strategy in strategies.items():
            # the same two streams for every strategy: identical tumours up to treatment start,
            # identical measurement noise draws in the same order
            ctrl = Controller(strategy, settings.monitoring, settings.progression, resistant,
                              np.random.default_rng(monitor_seed), max_burden=settings.max_burden)
            result = _simulate_one(model, ctrl, settings, np.random.default_rng(sim_seed), resistant)
            row = patient_row(result, ctrl, strategy=name, patient=patient, drugs=drugs, resistant=resistant,
                              emergence_size=settings.emergence_size, prices=settings.prices)
            if row["eradicated"] and math.isfinite(settings.stop.time_limit):
                row["ttp"] = float(settings.stop.time_limit)  # never progresses: censored at the horizon
            rows.append(row)
            if patient < keep:
                traces[(name, patient)] = {
                    "totals": result.totals.copy(),
                    "dosing": result.dosing.copy(),
                    "scans": list(ctrl.state.scans),
                    "start": float(result.events.get("treatment_start", 0.0)),
                }
    return rows, traces


def _median_ci(times: np.ndarray, events: np.ndarray) -> tuple[float, float, float, pd.DataFrame]:
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    kmf = KaplanMeierFitter()
    kmf.fit(times, event_observed=events)
    median = float(kmf.median_survival_time_)
    ci = median_survival_times(kmf.confidence_interval_)
    low, high = float(ci.iloc[0, 0]), float(ci.iloc[0, 1])
    curve = pd.DataFrame({
        "time": kmf.survival_function_.index.to_numpy(float),
        "survival": kmf.survival_function_.iloc[:, 0].to_numpy(float),
        "lower": kmf.confidence_interval_.iloc[:, 0].to_numpy(float),
        "upper": kmf.confidence_interval_.iloc[:, 1].to_numpy(float),
    })
    return median, low, high, curve


@dataclass
class Comparison:
    """Strategies on the same virtual patients.

    Attributes
    ----------
    patients
        One row per patient and strategy (see ``docs/therapy.md`` for the columns).
    outcomes
        One row per strategy: median time to progression with its 95% CI (Kaplan–Meier),
        eradication probability with its SE, mean cumulative dose per drug (and cost).
    km
        Kaplan–Meier curves: strategy, time, survival, lower, upper (95% band).
    logrank
        Pairwise log-rank tests: strategy_a, strategy_b, statistic, p_value.
    traces
        (strategy, patient) -> totals per type over time, dosing, scans, treatment start, for
        the first patients (Muller plots of typical patients).
    """

    patients: pd.DataFrame
    outcomes: pd.DataFrame
    km: pd.DataFrame
    logrank: pd.DataFrame
    traces: dict = field(repr=False, default_factory=dict)
    drugs: tuple[str, ...] = ()
    type_names: tuple[str, ...] = ()
    seed: int | None = None
    parameters: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The outcome table (one row per strategy)."""
        return self.outcomes.copy()

    def eradication(self, strategy: str) -> tuple[float, float]:
        """Eradication probability of a strategy and its binomial SE."""
        row = self.outcomes.set_index("strategy").loc[strategy]
        return float(row["p_eradication"]), float(row["p_eradication_se"])

    def write(self, path: str | Path, *, provenance: Provenance | None = None, figures: bool = True) -> Path:
        """Write outcomes.tsv, patients.tsv, km.tsv, logrank.tsv, figures (PNG, SVG), provenance.json."""
        prov = provenance or Provenance.create("oncoresist.therapy.compare", parameters=self.parameters,
                                               seed=self.seed)
        options = {"sep": "\t", "index": False, "lineterminator": "\n", "float_format": "%.10g"}
        with atomic_output_dir(path) as tmp:
            self.outcomes.to_csv(tmp / "outcomes.tsv", **options)
            self.patients.to_csv(tmp / "patients.tsv", **options)
            self.km.to_csv(tmp / "km.tsv", **options)
            self.logrank.to_csv(tmp / "logrank.tsv", **options)
            (tmp / "provenance.json").write_text(json.dumps(prov.to_dict(), indent=2, sort_keys=True) + "\n")
            if figures:
                from oncoresist.therapy._figures import write_figures

                write_figures(self, tmp)
        return Path(path)


def summarise(patients: pd.DataFrame, drugs: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Outcome table, Kaplan–Meier curves and pairwise log-rank tests from the per-patient table."""
    from lifelines.statistics import logrank_test

    rows, curves = [], []
    names = list(dict.fromkeys(patients["strategy"]))
    for name in names:
        sub = patients[patients["strategy"] == name]
        n = len(sub)
        median, low, high, curve = _median_ci(sub["ttp"].to_numpy(float), sub["progressed"].to_numpy(bool))
        curve.insert(0, "strategy", name)
        curves.append(curve)
        p = float(sub["eradicated"].mean())
        row = {
            "strategy": name, "patients": n,
            "median_ttp": median, "median_ttp_ci_low": low, "median_ttp_ci_high": high,
            "p_eradication": p, "p_eradication_se": math.sqrt(p * (1 - p) / n),
            "p_progressed": float(sub["progressed"].mean()),
            "median_t_emergence": float(sub["t_emergence"].median()) if sub["t_emergence"].notna().any() else math.nan,
        }
        for drug in drugs:
            row[f"mean_dose_{drug}"] = float(sub[f"dose_{drug}"].mean())
        row["mean_dose_total"] = float(sub["dose_total"].mean())
        if "cost" in sub.columns:
            row["mean_cost"] = float(sub["cost"].mean())
        rows.append(row)
    tests = []
    for a, b in itertools.combinations(names, 2):
        sa, sb = patients[patients["strategy"] == a], patients[patients["strategy"] == b]
        if sa["progressed"].any() or sb["progressed"].any():
            res = logrank_test(sa["ttp"], sb["ttp"], event_observed_A=sa["progressed"], event_observed_B=sb["progressed"])
            stat, pval = float(res.test_statistic), float(res.p_value)
        else:
            stat, pval = 0.0, 1.0
        tests.append({"strategy_a": a, "strategy_b": b, "statistic": stat, "p_value": pval})
    return (pd.DataFrame(rows), pd.concat(curves, ignore_index=True),
            pd.DataFrame(tests, columns=["strategy_a", "strategy_b", "statistic", "p_value"]))


def _check(model: Any, strategies: Mapping[str, Any], settings: Settings) -> dict[str, Strategy]:
    if not strategies:
        msg = "give at least one strategy to compare"
        raise InputError(msg, field="strategies")
    if not math.isfinite(settings.stop.time_limit):
        msg = "a comparison needs a finite follow-up: set stop.time_limit (days after treatment start)"
        raise InputError(msg, field="stop.time_limit")
    drugs = set(model.drug_names)
    out = {}
    for name, value in strategies.items():
        strategy = as_strategy(value)
        unknown = sorted(strategy.drugs() - drugs)
        if unknown:
            msg = (f"strategy {name!r} gives unknown drug {unknown[0]!r}; the model's drugs are "
                   f"{', '.join(sorted(drugs)) or 'none'}")
            raise InputError(msg, field=f"strategies.{name}")
        out[str(name)] = strategy
    for t in settings.resistant_types or ():
        if t not in model.type_names:
            msg = f"resistant type {t!r} is not a type of the model ({', '.join(model.type_names)})"
            raise InputError(msg, field="outcome.resistant_types")
    if settings.prices:
        for drug in settings.prices:
            if drug not in drugs:
                msg = f"price given for unknown drug {drug!r}; the model's drugs are {', '.join(sorted(drugs))}"
                raise InputError(msg, field=f"prices.{drug}")
    return out


def compare(
    model: Model | Any,
    strategies: Mapping[str, Strategy | Callable],
    settings: Settings | None = None,
    *,
    n_patients: int = 100,
    rng: int | np.random.SeedSequence | None = None,
    executor: Executor | None = None,
    workers: int | None = 1,
    keep_traces: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Compare strategies on the same virtual patients.

    Patient ``i`` is driven by child ``i`` of ``SeedSequence(rng).spawn(n_patients)``; every
    strategy sees the same tumour up to treatment start and the same measurement-noise stream
    (common random numbers), so differences between strategies are differences of strategy.

    Parameters
    ----------
    model
        An :class:`oncoresist.evolve.Model` (or a deterministic model of this package such as
        :class:`Zhang2017`).
    strategies
        Name -> :class:`Strategy` or callable ``f(observation) -> Dosing | mapping``.
    settings
        Stopping, monitoring, progression rule, resistant types, prices, engine.
    n_patients
        Virtual patients.
    rng
        Seed of the comparison.
    executor, workers
        Where patients run: an Executor, or a process pool of ``workers`` (1: in this process).
    keep_traces
        Keep the trajectories of the first patients (for Muller plots).
    on_progress
        Called with (patients done, n_patients).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> from oncoresist.evolve import CellType, DrugResponse, Drug, Model, StopRules
    >>> m = Model(types=(CellType("S", 0.1, 0.05, (DrugResponse("a", "death", 0.1),)),),
    ...           drugs=(Drug("a"),), initial={"S": 10})
    >>> from oncoresist.therapy import Continuous, Imaging, Monitoring
    >>> s = Settings(stop=StopRules(detection_size=1e4, time_limit=2000),
    ...              monitoring=Monitoring(Imaging(interval=28, threshold=1e3)))
    >>> c = compare(m, {"on": Continuous("a")}, s, n_patients=5, rng=1)
    >>> float(c.outcomes["p_eradication"].iloc[0])
    1.0
    """
    settings = settings or Settings()
    checked = _check(model, strategies, settings)
    if int(n_patients) != n_patients or n_patients < 1:
        msg = f"n_patients must be a whole number >= 1; got {n_patients!r}"
        raise InputError(msg, field="n_patients")
    n_patients = int(n_patients)
    seeds = spawn_seed_sequences(rng, n_patients)
    n_workers = workers or os.cpu_count() or 1
    size = max(1, min(50, math.ceil(n_patients / (4 * n_workers))))
    chunks = [(s, seeds[s:s + size]) for s in range(0, n_patients, size)]
    rows: list[dict] = []
    traces: dict = {}
    done = 0
    if executor is None and n_workers == 1:
        for start, chunk in chunks:
            r, tr = _run_patients(model, checked, settings, start, chunk, keep_traces)
            rows.extend(r)
            traces.update(tr)
            done += len(chunk)
            if on_progress:
                on_progress(done, n_patients)
    else:
        own = executor is None
        pool = ProcessPoolExecutor(max_workers=n_workers) if own else executor
        try:
            futures = [pool.submit(_run_patients, model, checked, settings, s, c, keep_traces) for s, c in chunks]
            for future, (_, chunk) in zip(futures, chunks, strict=True):
                r, tr = future.result()
                rows.extend(r)
                traces.update(tr)
                done += len(chunk)
                if on_progress:
                    on_progress(done, n_patients)
        finally:
            if own:
                pool.shutdown()
    order = {name: i for i, name in enumerate(checked)}
    patients = pd.DataFrame(rows)
    patients["_order"] = patients["strategy"].map(order)
    patients = patients.sort_values(["_order", "patient"]).drop(columns="_order").reset_index(drop=True)
    drugs = tuple(model.drug_names)
    outcomes, km, logrank = summarise(patients, drugs)
    seed = int(rng) if isinstance(rng, int | np.integer) and not isinstance(rng, bool) else None
    params = {"n_patients": n_patients, "strategies": {k: repr(v) for k, v in checked.items()},
              "settings": repr(settings), "model": getattr(model, "name", "model")}
    return Comparison(patients=patients, outcomes=outcomes, km=km, logrank=logrank, traces=traces, drugs=drugs,
                      type_names=tuple(model.type_names), seed=seed, parameters=params)
