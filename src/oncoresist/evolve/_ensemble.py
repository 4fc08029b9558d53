"""Ensembles of virtual patients through an executor, aggregated with standard errors."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
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
from oncoresist.evolve._model import Model
from oncoresist.evolve._simulate import SimulationResult, simulate

EVENT_NAMES = ("detection", "treatment_start", "extinction", "progression", "time_limit", "max_size")
OUTCOMES = ("extinct", "progressed", "time_limit", "detected", "max_size")


def _row(run: int, result: SimulationResult, thresholds: Sequence[str] = ()) -> dict[str, Any]:
    row: dict[str, Any] = {"run": run, "outcome": result.outcome, "attempts": result.attempts,
                           "n_clones": result.n_clones}
    for name in (*EVENT_NAMES, *thresholds):
        row[f"t_{name}"] = result.events.get(name, math.nan)
    for name in result.type_names:
        det = result.sizes_at_detection
        row[f"detected_{name}"] = det[name] if det is not None else math.nan
    for name in result.type_names:
        row[f"final_{name}"] = result.final_sizes[name]
    # first time a clone of each type appeared (initial clones: 0), whether or not it survived
    born = result._records["born"]
    types = result._records["type"]
    for k, name in enumerate(result.type_names):
        times = born[types == k]
        row[f"first_{name}"] = float(times.min()) if len(times) else math.nan
    return row


def _run_chunk(model: Model, strategy: Any, options: dict[str, Any], start: int,
               seeds: Sequence[np.random.SeedSequence], keep: int = 0,
               strategy_factory: Callable[[], Any] | None = None,
               ) -> tuple[list[dict[str, Any]], list[SimulationResult]]:
    rows, kept = [], []
    stop = options.get("stop")
    thresholds = [name for name, _, _ in stop.thresholds] if stop is not None else []
    for offset, seed in enumerate(seeds):
        # a fresh strategy per patient: stateful strategies must not carry one patient's
        # history into the next patient of the same chunk
        patient_strategy = strategy_factory() if strategy_factory is not None else strategy
        result = simulate(model, patient_strategy, rng=np.random.default_rng(seed), **options)
        rows.append(_row(start + offset, result, thresholds))
        if start + offset < keep:
            kept.append(result)
    return rows, kept


@dataclass
class EnsembleResult:
    """Per-patient outcomes of an ensemble and their aggregates.

    Attributes
    ----------
    runs
        One row per patient: run, outcome, attempts, n_clones, ``t_<event>`` times (NaN when
        the event did not happen; also one per ``StopRules.thresholds`` name), ``detected_<type>`` and ``final_<type>`` cell counts, and
        ``first_<type>``, the time the first clone of each type arose.
    type_names
        The model's types.
    seed
        The ensemble seed (children ``SeedSequence(seed).spawn(runs)`` drive the patients).
    patients
        Full results (clone tables) of the first ``keep`` patients.
    """

    runs: pd.DataFrame
    type_names: tuple[str, ...]
    seed: int | None = None
    model_name: str = "model"
    engine: str = "hybrid"
    patients: list[SimulationResult] = field(default_factory=list)

    def probability(self, outcome: str) -> tuple[float, float]:
        """Fraction of patients with ``outcome`` and its binomial standard error."""
        n = len(self.runs)
        p = float((self.runs["outcome"] == outcome).mean()) if n else math.nan
        return p, math.sqrt(p * (1.0 - p) / n) if n else math.nan

    def summary(self) -> pd.DataFrame:
        """Aggregates with standard errors: quantity, estimate, se, n."""
        rows = []
        n = len(self.runs)
        for outcome in OUTCOMES:
            p, se = self.probability(outcome)
            rows.append((f"P({outcome})", p, se, n))
        for name in EVENT_NAMES:
            times = self.runs[f"t_{name}"].dropna().to_numpy(float)
            if len(times):
                se = float(times.std(ddof=1) / math.sqrt(len(times))) if len(times) > 1 else math.nan
                rows.append((f"mean time to {name}", float(times.mean()), se, len(times)))
        for name in self.type_names:
            values = self.runs[f"detected_{name}"].dropna().to_numpy(float)
            if len(values):
                k = len(values)
                se = float(values.std(ddof=1) / math.sqrt(k)) if k > 1 else math.nan
                rows.append((f"mean {name} at detection", float(values.mean()), se, k))
                p = float((values > 0).mean())
                rows.append((f"P({name} > 0 at detection)", p, math.sqrt(p * (1 - p) / k), k))
        return pd.DataFrame(rows, columns=["quantity", "estimate", "se", "n"])

    def distribution(self, column: str) -> pd.DataFrame:
        """Empirical distribution of a per-patient column (e.g. ``detected_R``).

        Rows: value, count, probability and its binomial standard error (NaN values dropped).
        """
        if column not in self.runs.columns:
            msg = f"no column {column!r}; columns are {', '.join(self.runs.columns)}"
            raise InputError(msg, field="column")
        values = self.runs[column].dropna()
        n = len(values)
        counts = values.value_counts().sort_index()
        p = counts.to_numpy(float) / n if n else counts.to_numpy(float)
        return pd.DataFrame({"value": counts.index.to_numpy(), "count": counts.to_numpy(),
                             "probability": p, "se": np.sqrt(p * (1 - p) / max(n, 1))})

    def to_frame(self) -> pd.DataFrame:
        """The per-patient table."""
        return self.runs.copy()

    def write(self, path: str | Path, *, provenance: Provenance | None = None) -> Path:
        """Write ``runs.tsv``, ``summary.tsv``, ``provenance.json`` and the kept patients'
        folders ``patient_<i>/`` (clone tables) into folder ``path``, atomically."""
        prov = provenance or Provenance.create("oncoresist.evolve.simulate_ensemble", seed=self.seed)
        with atomic_output_dir(path) as tmp:
            self.runs.to_csv(tmp / "runs.tsv", sep="\t", index=False, lineterminator="\n",
                             float_format="%.10g")
            self.summary().to_csv(tmp / "summary.tsv", sep="\t", index=False, lineterminator="\n",
                                  float_format="%.10g")
            (tmp / "provenance.json").write_text(json.dumps(prov.to_dict(), indent=2, sort_keys=True) + "\n")
            for i, patient in enumerate(self.patients):
                patient.write(tmp / f"patient_{i}", provenance=prov)
        return Path(path)


def simulate_ensemble(
    model: Model,
    strategy: Any = None,
    *,
    runs: int,
    rng: int | np.random.SeedSequence | None = None,
    executor: Executor | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    keep: int = 0,
    strategy_factory: Callable[[], Any] | None = None,
    **options: Any,
) -> EnsembleResult:
    """Simulate ``runs`` independent patients and collect their outcomes.

    Patient ``i`` is driven by child ``i`` of ``SeedSequence(rng).spawn(runs)``, so results
    do not depend on the executor, the number of workers or the chunk size.

    Parameters
    ----------
    model, strategy
        As in :func:`simulate` (a strategy must be picklable for process pools). The same
        strategy object is used for every patient, so it must not keep state between calls
        (a :class:`Schedule` or a pure function); give ``strategy_factory`` otherwise.
    runs
        Number of patients.
    rng
        Ensemble seed.
    executor
        Any ``concurrent.futures.Executor`` (a Dask ``Client.get_executor()`` works too). None:
        a process pool of ``workers`` processes (default: the CPU count), or in-process when
        ``workers == 1`` or the ensemble is small.
    workers, chunk_size
        Pool size and patients per task.
    on_progress
        Called with (patients done, runs) as chunks finish.
    keep
        Keep the full results (clone tables) of the first ``keep`` patients.
    strategy_factory
        Instead of ``strategy``: a callable with no arguments returning a fresh strategy,
        called once per patient (in the worker), so stateful strategies (adaptive rules that
        remember a baseline, controllers with monitoring) start every patient anew. Patient
        ``i`` then gets the same result as ``simulate(model, strategy_factory(),
        rng=np.random.default_rng(child_i), ...)``, whatever the executor or chunk size. It must
        be picklable for process pools (a class, a module-level function or a
        ``functools.partial`` of one; not a lambda).
    **options
        Passed to :func:`simulate` (engine, stop, decision_interval, ...).

    Returns
    -------
    EnsembleResult

    Examples
    --------
    >>> from oncoresist.evolve import CellType, Model, StopRules, simulate_ensemble
    >>> m = Model(types=(CellType("S", 1.0, 1.0),), initial={"S": 1})
    >>> ens = simulate_ensemble(m, runs=200, rng=1, workers=1, stop=StopRules(time_limit=1e6))
    >>> p, se = ens.probability("extinct")
    >>> p
    1.0

    A stateful strategy gets a fresh copy per patient through a factory:

    >>> from oncoresist.evolve import Drug, DrugResponse
    >>> class HalfAfterFirst:  # full dose at the first decision, half afterwards
    ...     def __init__(self):
    ...         self.calls = 0
    ...     def __call__(self, obs):
    ...         self.calls += 1
    ...         return {"x": 1.0 if self.calls == 1 else 0.5}
    >>> m2 = Model(types=(CellType("S", 0.1, 0.05, (DrugResponse("x", "death", 0.1),)),),
    ...            drugs=(Drug("x"),), initial={"S": 100})
    >>> ens = simulate_ensemble(m2, runs=3, rng=1, workers=1, keep=3, strategy_factory=HalfAfterFirst,
    ...                         stop=StopRules(time_limit=14), decision_interval=7)
    >>> [p.dosing["level"].tolist() for p in ens.patients]
    [[1.0, 0.5], [1.0, 0.5], [1.0, 0.5]]
    """
    if int(keep) != keep or keep < 0:
        msg = f"keep must be a whole number >= 0; got {keep!r}"
        raise InputError(msg, field="keep")
    if int(runs) != runs or runs < 1:
        msg = f"runs must be a whole number >= 1; got {runs!r}"
        raise InputError(msg, field="runs")
    if strategy_factory is not None and strategy is not None:
        msg = "give either strategy or strategy_factory, not both"
        raise InputError(msg, field="strategy_factory")
    if strategy_factory is not None and not callable(strategy_factory):
        msg = (f"strategy_factory must be a callable with no arguments returning a strategy; "
               f"got {type(strategy_factory).__name__}")
        raise InputError(msg, field="strategy_factory")
    runs = int(runs)
    seeds = spawn_seed_sequences(rng, runs)
    n_workers = workers or os.cpu_count() or 1
    if chunk_size is None:
        chunk_size = max(1, min(500, math.ceil(runs / (4 * n_workers))))
    chunks = [(start, seeds[start:start + chunk_size]) for start in range(0, runs, chunk_size)]
    rows: list[dict[str, Any]] = []
    kept: list[SimulationResult] = []
    done = 0
    inline = executor is None and (n_workers == 1 or runs <= chunk_size)
    if inline:
        for start, chunk in chunks:
            chunk_rows, chunk_kept = _run_chunk(model, strategy, options, start, chunk, keep,
                                                   strategy_factory)
            rows.extend(chunk_rows)
            kept.extend(chunk_kept)
            done += len(chunk)
            if on_progress:
                on_progress(done, runs)
    else:
        own = executor is None
        pool = ProcessPoolExecutor(max_workers=n_workers) if own else executor
        try:
            futures = [pool.submit(_run_chunk, model, strategy, options, start, chunk, keep, strategy_factory)
                       for start, chunk in chunks]
            for future, (_, chunk) in zip(futures, chunks, strict=True):
                chunk_rows, chunk_kept = future.result()
                rows.extend(chunk_rows)
                kept.extend(chunk_kept)
                done += len(chunk)
                if on_progress:
                    on_progress(done, runs)
        finally:
            if own:
                pool.shutdown()
    frame = pd.DataFrame(rows).sort_values("run").reset_index(drop=True)
    seed = int(rng) if isinstance(rng, int | np.integer) and not isinstance(rng, bool) else None
    return EnsembleResult(runs=frame, type_names=model.type_names, seed=seed, model_name=model.name,
                          engine=str(options.get("engine", "hybrid")), patients=kept)

