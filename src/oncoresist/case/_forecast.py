"""Forecast of strategies from the posterior: time to progression, resistance, dose and cost.

Each posterior draw is projected forward from the forecast day under each strategy, one day at a
time, with the exact exponential growth of every compartment between days. Strategies (a
minimal set, see docs/case.md): continuous, combination, sequential (next drug at progression),
intermittent (fixed on/off cycles) and adaptive (Zhang et al. 2017, eLife 6:e26451 / Nat Commun
8:1816: stop when the burden falls below ``stop_fraction`` of its value at the start, restart
when it regains ``restart_fraction``; decisions every 28 days).

Progression follows RECIST 1.1 (Eisenhauer et al. 2009, Eur J Cancer 45:228): the sum of
diameters (proportional to N^(1/3)) exceeds its nadir by ``progression_increase``; for
intermittent and adaptive strategies planned regrowth off drug is not progression, so the
reference is the larger of the nadir and the burden at the start of the strategy.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import atomic_output_dir, write_table
from oncoresist._core.rng import as_generator
from oncoresist.case._calibrate import CalibrationResult
from oncoresist.case._kernels import MAX_FLUX, fed_rates, fed_step, timeline_log_sizes
from oncoresist.case._model import TumourModel
from oncoresist.case._schema import Forecast, Mutation, Prior, StrategySpec

ADAPTIVE_INTERVAL = 28


@dataclass(frozen=True)
class Plan:
    """A strategy as arrays: the drug set of each line, and its control rule."""

    name: str
    kind: str
    lines: tuple[tuple[str, ...], ...]
    on_days: float = 0.0
    off_days: float = 0.0
    stop_fraction: float = 0.5
    restart_fraction: float = 1.0

    @property
    def drugs(self) -> tuple[str, ...]:
        """Every drug of the strategy."""
        return tuple(dict.fromkeys(d for line in self.lines for d in line))


def plan_of(spec: StrategySpec, canonical: Mapping[str, str] | None = None) -> Plan:
    """Turn a case-file strategy into a :class:`Plan` with canonical drug names."""
    names = [canonical.get(d, d) if canonical else d for d in spec.drugs]
    if spec.kind == "sequential":
        lines = tuple((d,) for d in names)
    else:
        lines = (tuple(names),)
    return Plan(
        name=spec.name, kind=spec.kind, lines=lines,
        on_days=spec.on_days or 0.0, off_days=spec.off_days or 0.0,
        stop_fraction=spec.stop_fraction if spec.stop_fraction is not None else 0.5,
        restart_fraction=spec.restart_fraction if spec.restart_fraction is not None else 1.0,
    )


def project(
    model: TumourModel,
    theta: np.ndarray,
    logn0: np.ndarray,
    plan: Plan,
    *,
    horizon: int,
    increase: float,
    majority: float,
    unknown_inflow: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Project every draw under ``plan`` for ``horizon`` days.

    Compartments grow at their net rates and resistant ones are fed by mutation from their
    parent (``model.inflow``; exact to first order in each day's mutational flux, see
    ``_kernels``). With ``unknown_inflow`` (``(draws,)``: ``b u`` of each draw) an extra
    compartment of unknown resistance is appended: a child of the last compartment, killed by no
    drug, growing at ``growth_resistant``; ``logn0`` then has one more column.

    Returns arrays over draws: ``ttp`` (days, inf when not progressed), ``emergence`` (days
    until cells not killed by any drug of the plan are ``majority`` of the tumour), ``dose``
    (draws x drugs of the plan, drug-days until progression or the horizon) and ``burden``
    (draws x horizon + 1: tumour size relative to day 0 of the history).
    """
    n, n_types = logn0.shape
    extra = unknown_inflow is not None
    growth = np.empty((n, n_types))
    growth[:, 0] = theta[:, 0]
    growth[:, 1:] = theta[:, [1]]
    kill = theta[:, 2]
    inflow = np.zeros((n, n_types))
    inflow[:, : len(model.types)] = model.inflow[None, :]
    if extra:
        inflow[:, -1] = unknown_inflow

    def killed_by(drugs) -> np.ndarray:
        mask = model.killed_by(drugs)
        return np.append(mask, False) if extra else mask

    line_killed = np.array([killed_by(line) for line in plan.lines])  # (lines, types)
    pieces = max(1, int(np.ceil(float(inflow.max(initial=0.0)) / MAX_FLUX)))  # b u per step <= MAX_FLUX
    drugs = plan.drugs
    line_drugs = np.array([[d in line for d in drugs] for line in plan.lines])  # (lines, drugs)
    resistant = ~killed_by(drugs)
    peak = logn0.max(axis=1)
    x = np.exp(logn0 - peak[:, None])
    offset = peak
    line = np.zeros(n, dtype=int)
    on = np.ones(n, dtype=bool)
    total = np.exp(offset) * x.sum(axis=1)
    start_total = total.copy()
    nadir = total.copy()
    ttp = np.full(n, np.inf)
    emergence = np.full(n, np.inf)
    dose = np.zeros((n, len(drugs)))
    burden = np.empty((n, horizon + 1))
    burden[:, 0] = total
    threshold = (1.0 + increase) ** 3  # sum of diameters ~ N^(1/3)
    frac0 = x[:, resistant].sum(axis=1) / x.sum(axis=1) if resistant.any() else np.zeros(n)
    emergence[frac0 >= majority] = 0.0
    for day in range(1, horizon + 1):
        if plan.kind == "intermittent":
            cycle = plan.on_days + plan.off_days
            on = np.full(n, ((day - 1) % cycle) < plan.on_days)
        elif plan.kind == "adaptive" and (day - 1) % ADAPTIVE_INTERVAL == 0 and day > 1:
            on = np.where(on & (total <= plan.stop_fraction * start_total), False, on)
            on = np.where(~on & (total >= plan.restart_fraction * start_total), True, on)
        active = np.isinf(ttp)
        killed = line_killed[line] & on[:, None]
        rates = fed_rates(growth, kill, killed, inflow)
        for _ in range(pieces):
            x = fed_step(x, rates, inflow, 1.0 / pieces)
        peak = x.max(axis=1)
        peak = np.where(peak > 0, peak, 1.0)
        x = x / peak[:, None]
        offset = offset + np.log(peak)
        dose += (line_drugs[line] & (on & active)[:, None]).astype(float)
        total = np.exp(offset) * x.sum(axis=1)
        burden[:, day] = total
        if resistant.any():
            frac = x[:, resistant].sum(axis=1) / x.sum(axis=1)
            emergence[np.isinf(emergence) & (frac >= majority)] = day
        if plan.kind in ("intermittent", "adaptive"):
            reference = np.maximum(nadir, start_total)
        else:
            reference = nadir
        progressed = active & (total >= threshold * reference)
        if plan.kind == "sequential":
            switch = progressed & (line < len(plan.lines) - 1)
            line = np.where(switch, line + 1, line)
            nadir = np.where(switch, total, nadir)
            progressed &= ~switch
        ttp[progressed] = day
        nadir = np.minimum(nadir, total)
    return {"ttp": ttp, "emergence": emergence, "dose": dose, "burden": burden}


@dataclass(frozen=True)
class ForecastResult:
    """Forecast of each strategy over the posterior draws.

    Attributes
    ----------
    start_day
        Day (of the case's day numbering) the strategies start.
    horizon_days
        Length of the forecast; times beyond it are censored.
    draws
        One row per strategy and posterior draw: ``ttp_days``, ``progressed``,
        ``emergence_days``, ``dose_<drug>``, ``cost``.
    burden
        Strategy -> array (draws, horizon + 1) of tumour size relative to day 0.
    routes
        Strategy -> what its resistance comes from: the observed compartments that no drug of
        the strategy kills, or an unknown mechanism arising by mutation.
    """

    start_day: float
    horizon_days: int
    draws: pd.DataFrame
    burden: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)
    strategies: tuple[Plan, ...] = ()
    routes: Mapping[str, str] = field(default_factory=dict)

    def summary(self, level: float = 0.9) -> pd.DataFrame:
        """Per strategy: median time to progression with its credible interval, and more."""
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        rows = []
        for plan in self.strategies:
            block = self.draws[self.draws["strategy"] == plan.name]
            ttp = block["ttp_days"].to_numpy()
            emerg = block["emergence_days"].to_numpy()
            rows.append({
                "strategy": plan.name,
                "kind": plan.kind,
                "drugs": " -> ".join("+".join(line) for line in plan.lines),
                "ttp_median": _quantile(ttp, 0.5),
                "ttp_ci_low": _quantile(ttp, lo),
                "ttp_ci_high": _quantile(ttp, hi),
                "p_progression_1y": float(np.mean(ttp <= 365)),
                "p_progression_horizon": float(np.mean(np.isfinite(ttp))),
                "emergence_median": _quantile(emerg, 0.5),
                "emergence_ci_low": _quantile(emerg, lo),
                "emergence_ci_high": _quantile(emerg, hi),
                "dose_days_median": float(np.median(block.filter(like="dose_").sum(axis=1))),
                "cost_median": float(np.median(block["cost"])),
                "resistance_route": self.routes.get(plan.name, ""),
                "level": level,
            })
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """The per-strategy summary."""
        return self.summary()

    def survival(self, step: int = 7) -> pd.DataFrame:
        """Fraction of draws free of progression at each day (censored at the horizon)."""
        days = np.arange(0, self.horizon_days + 1, step)
        rows = []
        for plan in self.strategies:
            ttp = self.draws.loc[self.draws["strategy"] == plan.name, "ttp_days"].to_numpy()
            rows += [{"strategy": plan.name, "day": int(d), "progression_free": float(np.mean(ttp > d))}
                     for d in days]
        return pd.DataFrame(rows)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write ``forecast_draws.tsv``, ``forecast_summary.tsv`` and ``forecast_survival.tsv``."""
        with atomic_output_dir(path) as tmp:
            write_table(self.draws.round(6), tmp / "forecast_draws.tsv")
            write_table(self.summary().round(6), tmp / "forecast_summary.tsv")
            write_table(self.survival(), tmp / "forecast_survival.tsv")
            info = {"start_day": self.start_day, "horizon_days": self.horizon_days}
            (tmp / "forecast.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
        return Path(path)


def _quantile(values: np.ndarray, q: float) -> float:
    """Quantile with censored (infinite) values allowed; inf when it falls among them."""
    ordered = np.sort(values)
    k = min(int(np.floor(q * (len(ordered) - 1) + 0.5)), len(ordered) - 1)
    return float(ordered[k])


def forecast_strategies(
    calibration: CalibrationResult,
    strategies: Sequence[Plan],
    *,
    start_day: float,
    settings: Forecast | None = None,
    costs: Mapping[str, float] | None = None,
    rng: int | np.random.Generator | None = None,
    mutation: Mutation | None = None,
) -> ForecastResult:
    """Project posterior draws under each strategy (see :func:`oncoresist.case.forecast`)."""
    settings = settings or Forecast()
    mutation = mutation or Mutation()
    gen = as_generator(rng)
    draws = calibration.draws.to_numpy()
    pick = gen.choice(draws.shape[0], size=min(settings.draws, draws.shape[0]), replace=False)
    pick.sort()
    theta = draws[pick]
    model = calibration.model
    logn0 = calibration.log_sizes([start_day])[pick, 0, :]
    unknown_u = _draw_sites(mutation.unknown_sites, len(pick), gen) * mutation.rate
    logn0_unknown = None
    costs = dict(costs or settings.drug_cost_per_day)
    frames, burden, routes = [], {}, {}
    for plan in strategies:
        observed = [t for t, r in zip(model.types, ~model.killed_by(plan.drugs), strict=True) if r]
        unknown = None
        start = logn0
        if observed:
            routes[plan.name] = "observed: " + ", ".join(observed)
        else:
            # no observed alteration resists every drug of the plan: add unknown resistance
            routes[plan.name] = (f"unknown (de novo; {mutation.unknown_sites.low:g}-{mutation.unknown_sites.high:g} "
                                 f"sites x {mutation.rate:g} per division)")
            unknown = model.birth_rate * unknown_u
            if logn0_unknown is None:
                logn0_unknown = _with_unknown_at(calibration, pick, unknown, start_day)
            start = logn0_unknown
        out = project(model, theta, start, plan, horizon=settings.horizon_days,
                      increase=settings.progression_increase, majority=settings.resistance_majority,
                      unknown_inflow=unknown)
        frame = pd.DataFrame({
            "strategy": plan.name,
            "draw": pick,
            "ttp_days": out["ttp"],
            "progressed": np.isfinite(out["ttp"]),
            "emergence_days": out["emergence"],
            "unknown_per_division": unknown_u if unknown is not None else np.zeros(len(pick)),
        })
        cost = np.zeros(len(pick))
        for j, drug in enumerate(plan.drugs):
            frame[f"dose_{drug}"] = out["dose"][:, j]
            cost += out["dose"][:, j] * costs.get(drug, 0.0)
        frame["cost"] = cost
        frames.append(frame)
        burden[plan.name] = out["burden"]
    table = pd.concat(frames, ignore_index=True)
    dose_cols = sorted(c for c in table.columns if c.startswith("dose_"))
    table[dose_cols] = table[dose_cols].fillna(0.0)
    table = table[["strategy", "draw", "ttp_days", "progressed", "emergence_days", "unknown_per_division",
                   *dose_cols, "cost"]]
    return ForecastResult(start_day=float(start_day), horizon_days=settings.horizon_days, draws=table,
                          burden=burden, strategies=tuple(strategies), routes=routes)


def _draw_sites(prior: Prior, n: int, gen: np.random.Generator) -> np.ndarray:
    """Draws of the number of sites conferring unknown resistance from its prior."""
    if prior.distribution == "loguniform":
        return np.exp(gen.uniform(np.log(prior.low), np.log(prior.high), size=n))
    return gen.uniform(prior.low, prior.high, size=n)


def _with_unknown_at(calibration: CalibrationResult, pick: np.ndarray, inflow_unknown: np.ndarray,
                     day: float) -> np.ndarray:
    """Log sizes at ``day`` with an unknown-resistance compartment fed from day 0 (none before).

    The compartment is the last one's child, killed by no drug, growing at ``growth_resistant``.
    """
    model = calibration.model
    theta = calibration.draws.to_numpy()[pick]
    segments = calibration.segments
    killed = np.array([np.append(model.killed_by(s.drugs), False) for s in segments])
    n = len(pick)
    growth = np.empty((n, len(model.types) + 1))
    growth[:, 0] = theta[:, 0]
    growth[:, 1:] = theta[:, [1]]
    from oncoresist.case._kernels import initial_log_sizes

    log_x0 = np.concatenate([initial_log_sizes(theta, len(model.types)), np.full((n, 1), -np.inf)], axis=1)
    inflow = np.zeros((n, len(model.types) + 1))
    inflow[:, :-1] = model.inflow[None, :]
    inflow[:, -1] = inflow_unknown
    return timeline_log_sizes(theta, killed, np.array([s.start for s in segments]),
                              np.array([s.end for s in segments]), calibration.day0, np.array([float(day)]),
                              inflow, growth=growth, log_x0=log_x0)[:, 0, :]
