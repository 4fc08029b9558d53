"""The deterministic engine: the mean of the branching process (an ODE per type)."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from oncoresist.evolve._kernels import STATUS_DONE, STATUS_EXTINCT, STATUS_STOP
from oncoresist.evolve._model import Rates

# the mean never reaches zero: a population below half a cell is called extinct
EXTINCTION_LEVEL = 0.5


class OdeState:
    """One record per type; sizes are real numbers (expected cell counts)."""

    def __init__(self, counts: np.ndarray, t0: float = 0.0):
        self.x = counts.astype(float)
        self.ntypes = len(counts)
        self.parent = np.full(self.ntypes, -1, dtype=np.int64)
        self.born = np.where(self.x > 0, t0, np.nan)

    @property
    def n(self) -> int:
        return self.ntypes

    def type_sizes(self) -> np.ndarray:
        return self.x.copy()

    def records(self) -> dict[str, np.ndarray]:
        k = self.ntypes
        return {
            "clone_id": np.arange(k, dtype=np.int64),
            "parent_id": self.parent.copy(),
            "type": np.arange(k, dtype=np.int64),
            "size": self.x.copy(),
            "born": self.born.copy(),
            "lineage": np.arange(k, dtype=np.int64),
            "compartment": np.zeros(k, dtype=bool),
        }


class OdeEngine:
    """Integrates ``dx/dt`` of the expected counts (mutation and switching as flows).

    With capacities and a competition matrix this is the Lotka–Volterra competition model. Integration uses
    LSODA with relative tolerance ``rtol``; stopping sizes are located by event detection.
    """

    name = "ode"
    stochastic = False

    def __init__(self, *, rtol: float = 1e-8):
        self.rtol = rtol

    def init(self, counts: np.ndarray, t0: float = 0.0) -> OdeState:
        return OdeState(counts, t0)

    def advance(self, state: OdeState, rates: Rates, t: float, t_end: float, *, crowding: tuple[np.ndarray, np.ndarray],
                stop_above: float | np.ndarray, stop_mask: np.ndarray, rng: np.random.Generator | None = None
                ) -> tuple[float, int]:
        b, d, mut, sw = rates.birth, rates.death, rates.mutation, rates.switching
        keep = 1.0 - mut.sum(axis=1)
        out = sw.sum(axis=1)
        flux = mut + sw
        for j in range(state.ntypes):  # parent of a type born by a flow: its largest source
            if state.parent[j] < 0 and state.x[j] == 0 and flux[:, j].any():
                state.parent[j] = int(np.argmax(flux[:, j]))

        kcap, crowd = crowding
        limited = kcap > 0
        safe_k = np.where(limited, kcap, 1.0)

        def rhs(_t, x):
            f = np.where(limited, np.maximum(0.0, 1.0 - (crowd @ x) / safe_k), 1.0)
            births = b * f * x
            return births * keep - (d + out) * x + births @ mut + x @ sw

        sizes = np.atleast_1d(np.asarray(stop_above, dtype=np.float64))
        masks = np.atleast_2d(np.asarray(stop_mask, dtype=np.bool_))
        total = state.x.sum()
        if total < EXTINCTION_LEVEL:
            return t, STATUS_EXTINCT
        reached = np.array([state.x[m].sum() >= s for s, m in zip(sizes, masks, strict=True)])
        if reached.any():
            self.crossed = reached
            return t, STATUS_STOP
        if t_end <= t:
            return t, STATUS_DONE

        def hit_zero(_t, x):
            return x.sum() - EXTINCTION_LEVEL

        def make_hit(size, mask):
            def hit_stop(_t, x):
                return x[mask].sum() - size

            hit_stop.terminal = True
            hit_stop.direction = 1
            return hit_stop

        hit_zero.terminal = True
        hit_zero.direction = -1
        watched = [i for i, s in enumerate(sizes) if np.isfinite(s)]
        events = [hit_zero] + [make_hit(sizes[i], masks[i]) for i in watched]
        sol = solve_ivp(rhs, (t, t_end), state.x, method="LSODA", rtol=self.rtol, atol=1e-9, events=events)
        state.x = np.maximum(sol.y[:, -1], 0.0)
        newly = np.isnan(state.born) & (state.x > 0)
        state.born[newly] = t
        t_new = float(sol.t[-1])
        if sol.status == 1:
            if len(sol.t_events[0]):
                return t_new, STATUS_EXTINCT
            # the crossing found by event location (the state may sit a rounding error below it)
            self.crossed = np.zeros(len(sizes), dtype=bool)
            for e, i in enumerate(watched, start=1):
                self.crossed[i] = len(sol.t_events[e]) > 0
            return t_new, STATUS_STOP
        return t_new, STATUS_DONE
