"""The three-population Lotka–Volterra model of Zhang et al. (2017) Nat Commun 8:1816.

Metastatic castrate-resistant prostate cancer under abiraterone. Three cell types compete:
``T+`` (androgen dependent; needs the testosterone made by TP cells), ``TP`` (make their own
testosterone through CYP17A, the target of abiraterone) and ``T-`` (androgen independent):

    dx_i/dt = r_i x_i (1 - sum_j a_ij x_j / K_i)

with K_T- = 10^4, K_TP = 10^4 (10^2 under abiraterone) and K_T+ = 1.5 x_TP (0.5 x_TP under
abiraterone): abiraterone collapses the testosterone supply, the T+ and TP cells decline, and
T- cells, released from competition, take over. A dose level between 0 and 1 interpolates the
two capacities linearly (our choice; the paper has drug on/off only).

Deterministic: integrated with LSODA between decision times (the drug is constant in between).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.integrate import solve_ivp

from oncoresist._core.exceptions import InputError
from oncoresist.evolve import Dosing, HistoryEntry, Model, Observation, Rates, StopRules

TYPES = ("T+", "TP", "T-")

# Growth rates per day of T+, TP, T- (Zhang et al. 2017, Methods): ln 2 over doubling times.
ZHANG_GROWTH = (2.7726e-3, 3.4657e-3, 6.6542e-3)
# Competition a_ij (effect of j on i), rows/columns T+, TP, T-: "Representative patient #1" of the
# authors' own code for the paper (github.com/cunninghamjj/Integrating-evolutionary-dynamics-into-
# treatment-of-mCRPC: README names the publication and says row 7 of matrixCoefficients is that
# patient; Abiraterone_Main.m row 7 = a12 0.7, a13 0.8, a21 0.4, a23 0.5, a31 0.6, a32 0.9, with
# the growth rates, capacities and PSA equation used here). The paper's own table was not
# retrieved; override with `competition` (patient #2, row 5: [[1, .6, .8], [.4, 1, .7], [.5, .9, 1]]).
ZHANG_COMPETITION = ((1.0, 0.7, 0.8), (0.4, 1.0, 0.5), (0.6, 0.9, 1.0))


def _crossing(mask: np.ndarray, size: float) -> Any:
    """A solve_ivp event: the cells of ``mask`` rise through ``size`` (recorded, not terminal)."""

    def hit(_t: float, y: np.ndarray) -> float:
        return float(y[mask].sum() - size)

    hit.direction = 1
    return hit


@dataclass
class _Run:
    """One deterministic run, with the fields therapy outcomes read."""

    outcome: str
    events: dict[str, float]
    sizes_at_detection: dict[str, float] | None
    final_sizes: dict[str, float]
    totals: pd.DataFrame
    dosing: pd.DataFrame
    type_names: tuple[str, ...] = TYPES
    clone_table: pd.DataFrame | None = None
    clones: pd.DataFrame | None = None


@dataclass(frozen=True)
class Zhang2017:
    """Zhang et al. (2017) abiraterone model, usable wherever :func:`compare` takes a model.

    Attributes
    ----------
    growth
        r of T+, TP, T- per day.
    competition
        3x3 matrix a_ij (rows: affected type; columns: competitor), order T+, TP, T-.
    k_tminus, k_tp, k_tp_drug
        Capacities of T- and of TP without and under abiraterone.
    t_plus_per_tp, t_plus_per_tp_drug
        T+ capacity per TP cell without and under abiraterone.
    initial_cells
        Initial cells of T+, TP, T-; None: the T+/TP equilibrium without drug and 1 T- cell
        (so the resistant population starts rare).
    drug
        The drug's name.
    """

    growth: Sequence[float] = ZHANG_GROWTH
    competition: Sequence[Sequence[float]] = ZHANG_COMPETITION
    k_tminus: float = 1e4
    k_tp: float = 1e4
    k_tp_drug: float = 1e2
    t_plus_per_tp: float = 1.5
    t_plus_per_tp_drug: float = 0.5
    initial_cells: Sequence[float] | None = None
    drug: str = "abiraterone"
    name: str = "zhang2017"
    _x0: tuple[float, ...] = field(init=False, repr=False, default=())

    def __post_init__(self) -> None:
        r = tuple(float(v) for v in self.growth)
        a = np.asarray(self.competition, dtype=float)
        if len(r) != 3 or any(not v > 0 for v in r):
            msg = f"growth must be three rates > 0 (T+, TP, T-); got {self.growth!r}"
            raise InputError(msg, field="growth")
        if a.shape != (3, 3) or np.any(a < 0) or not np.all(np.isfinite(a)):
            msg = f"competition must be a 3x3 matrix of numbers >= 0; got {self.competition!r}"
            raise InputError(msg, field="competition")
        for key in ("k_tminus", "k_tp", "k_tp_drug", "t_plus_per_tp", "t_plus_per_tp_drug"):
            if not float(getattr(self, key)) > 0:
                msg = f"{key} must be > 0; got {getattr(self, key)!r}"
                raise InputError(msg, field=key)
        object.__setattr__(self, "growth", r)
        object.__setattr__(self, "competition", tuple(tuple(float(v) for v in row) for row in a))
        if self.initial_cells is None:
            # T+/TP equilibrium without drug: x1 = (c - a12) x2, a21 x1 + x2 = K_TP
            c, a12, a21 = self.t_plus_per_tp, a[0, 1], a[1, 0]
            x2 = self.k_tp / (1.0 + a21 * (c - a12))
            x0 = (max(0.0, (c - a12) * x2), x2, 1.0)
        else:
            x0 = tuple(float(v) for v in self.initial_cells)
            if len(x0) != 3 or any(not v >= 0 for v in x0) or sum(x0) <= 0:
                msg = f"initial must be three cell numbers >= 0 (T+, TP, T-); got {self.initial_cells!r}"
                raise InputError(msg, field="initial_cells")
        object.__setattr__(self, "_x0", x0)

    # what compare() reads from a model -------------------------------------------------------
    @property
    def type_names(self) -> tuple[str, ...]:
        """Cell types: T+, TP, T-."""
        return TYPES

    @property
    def drug_names(self) -> tuple[str, ...]:
        """The one drug."""
        return (self.drug,)

    @property
    def initial_sizes(self) -> dict[str, float]:
        """Initial cells per type."""
        return dict(zip(TYPES, self._x0, strict=True))

    @property
    def initial(self) -> dict[str, float]:
        """Initial cells per type (as Model.initial)."""
        return self.initial_sizes

    def rhs(self, x: np.ndarray, level: float) -> np.ndarray:
        """dx/dt at dose level ``level`` (0 = off, 1 = full abiraterone)."""
        lam = min(max(level, 0.0), 1.0)
        k_tp = self.k_tp + (self.k_tp_drug - self.k_tp) * lam
        per = self.t_plus_per_tp + (self.t_plus_per_tp_drug - self.t_plus_per_tp) * lam
        k = np.array([max(per * x[1], 1e-9), k_tp, self.k_tminus])
        a = np.asarray(self.competition)
        return np.asarray(self.growth) * x * (1.0 - a @ x / k)

    def per_capita(self, x: np.ndarray, level: float) -> np.ndarray:
        """Net growth per cell, r_i (1 - sum_j a_ij x_j / K_i), at dose level ``level``."""
        lam = min(max(level, 0.0), 1.0)
        k_tp = self.k_tp + (self.k_tp_drug - self.k_tp) * lam
        per = self.t_plus_per_tp + (self.t_plus_per_tp_drug - self.t_plus_per_tp) * lam
        k = np.array([max(per * x[1], 1e-9), k_tp, self.k_tminus])
        return np.asarray(self.growth) * (1.0 - np.asarray(self.competition) @ x / k)

    def as_evolve(self, *, max_step: float = 1.0) -> tuple[Model, ZhangCapacities]:
        """The same model on :mod:`oncoresist.evolve`: a :class:`~oncoresist.evolve.Model` and
        the coupling that imposes the state- and drug-dependent capacities.

        Each type gets birth r_i and no death; the coupling sets, at the start of every step of
        at most ``max_step`` days, birth = max(g_i, 0) and death = max(-g_i, 0) with
        g_i = r_i (1 - sum_j a_ij x_j / K_i(x, c)), so the mean (``engine="ode"``) follows
        Zhang et al.'s equations with the capacities frozen over each step (first-order error
        in ``max_step``). Initial cells must be whole numbers there (``initial_cells``).

        Examples
        --------
        >>> from oncoresist.evolve import StopRules, constant, simulate
        >>> z = Zhang2017(initial_cells=(5000, 3000, 10))
        >>> model, coupling = z.as_evolve()
        >>> r = simulate(model, constant({"abiraterone": 1.0}), engine="ode", coupling=coupling,
        ...              stop=StopRules(time_limit=30.0))
        >>> r.final_sizes["TP"] < 3000
        True
        """
        from oncoresist.evolve import CellType, Drug

        initial = {}
        for name, value in zip(TYPES, self._x0, strict=True):
            if value != int(value):
                msg = (f"the evolve form needs whole initial cell numbers; {name} has {value:g}: "
                       "give initial_cells")
                raise InputError(msg, field="initial_cells")
            initial[name] = int(value)
        model = Model(types=tuple(CellType(name, r, 0.0) for name, r in zip(TYPES, self.growth, strict=True)),
                      drugs=(Drug(self.drug),), initial=initial, name=self.name)
        return model, ZhangCapacities(self, max_step=max_step)

    def simulate_controlled(self, strategy: Any, *, stop: StopRules, decision_interval: float = 28.0,
                            record_interval: float | None = None) -> _Run:
        """Run the model under a strategy (a callable ``Observation -> Dosing``) from t = 0."""
        x = np.array(self._x0, dtype=float)
        t = 0.0
        horizon = min(stop.time_limit, stop.max_time)
        if not math.isfinite(horizon):
            msg = "the Zhang 2017 model needs a finite stop.time_limit"
            raise InputError(msg, field="stop.time_limit")
        record = record_interval or decision_interval
        thresholds = []
        for name, types, size in stop.thresholds:
            mask = np.array([k in types for k in TYPES])
            if not mask.any():
                msg = f"threshold {name!r} names none of the model's types ({', '.join(TYPES)})"
                raise InputError(msg, field=f"thresholds.{name}")
            thresholds.append((name, mask, size))
        events0 = {name: 0.0 for name, mask, size in thresholds if x[mask].sum() >= size}
        rows = [[0.0, *x.tolist()]]
        dosing_rows: list[tuple] = []
        history: list[HistoryEntry] = []
        events = {"treatment_start": 0.0, **events0}
        outcome = "time_limit"
        start_sizes = dict(zip(TYPES, x.tolist(), strict=True))
        while True:
            sizes = dict(zip(TYPES, x.tolist(), strict=True))
            obs = Observation(time=t, treatment_time=t, sizes=sizes, total=float(x.sum()),
                              concentrations={}, history=tuple(history))
            if history and stop.progression_rule is not None and stop.progression_rule(obs):
                events["progression"] = t
                outcome = "progressed"
                break
            if t >= horizon - 1e-9:
                events["time_limit"] = t
                break
            value = strategy(obs)
            dosing = value if isinstance(value, Dosing) else Dosing(levels=dict(value or {}))
            level = float(dosing.levels.get(self.drug, 0.0))
            dosing_rows.append((t, self.drug, level, 0.0))
            history.append(HistoryEntry(t, t, sizes, obs.total, dosing))
            wait = dosing.duration if dosing.duration is not None else decision_interval
            wait = min(wait, decision_interval, horizon - t)
            t_end = t + wait
            grid = np.arange(t, t_end, record)[1:]
            watch = [(name, mask, size) for name, mask, size in thresholds if name not in events]
            sol = solve_ivp(lambda _s, y, lv=level: self.rhs(y, lv), (t, t_end), x, method="LSODA",
                            t_eval=np.append(grid, t_end), rtol=1e-8, atol=1e-8,
                            events=[_crossing(mask, size) for _, mask, size in watch] or None)
            for (name, _, _), hits in zip(watch, sol.t_events or [], strict=True):
                if len(hits):
                    events[name] = float(hits[0])
            if not sol.success:  # pragma: no cover - LSODA on this smooth system
                msg = f"the ODE solver failed at t = {t:g}: {sol.message}"
                raise InputError(msg, field="model")
            for s, col in zip(sol.t, sol.y.T, strict=True):
                rows.append([float(s), *np.maximum(col, 0.0).tolist()])
            x = np.maximum(sol.y[:, -1], 0.0)
            t = float(t_end)
        totals = pd.DataFrame(rows, columns=["time", *TYPES]).drop_duplicates("time", keep="last")
        return _Run(outcome=outcome, events=events, sizes_at_detection=start_sizes,
                    final_sizes=dict(zip(TYPES, x.tolist(), strict=True)), totals=totals.reset_index(drop=True),
                    dosing=pd.DataFrame(dosing_rows, columns=["time", "drug", "level", "bolus"]))


class ZhangCapacities:
    """Coupling for :mod:`oncoresist.evolve`: Zhang et al.'s capacities, which depend on the
    TP cells present and on abiraterone, imposed through ``modify_rates`` (see
    :meth:`Zhang2017.as_evolve`). No external state of its own."""

    def __init__(self, model: Zhang2017, *, max_step: float = 1.0):
        if not max_step > 0:
            msg = f"max_step must be > 0; got {max_step!r}"
            raise InputError(msg, field="max_step")
        self.model = model
        self.max_step = float(max_step)

    def initial_state(self, model: Any) -> np.ndarray:
        return np.zeros(0)

    def modify_rates(self, rates: Rates, state: np.ndarray, *, sizes: np.ndarray, t: float,
                     concentrations: Mapping[str, float]) -> Rates:
        g = self.model.per_capita(np.asarray(sizes, dtype=float), float(concentrations.get(self.model.drug, 0.0)))
        return rates.replace(birth=np.maximum(g, 0.0), death=np.maximum(-g, 0.0))

    def advance(self, state: np.ndarray, **_: Any) -> np.ndarray:
        return state
