"""The exact engine: Gillespie's direct method over every cell (the reference)."""

from __future__ import annotations

import numpy as np

from oncoresist.evolve._engines._state import CloneState, crossed_criteria, stop_criteria
from oncoresist.evolve._kernels import STATUS_NEED_SPACE, STATUS_STOP, exact_advance
from oncoresist.evolve._model import Rates


class ExactEngine:
    """Event-by-event stochastic simulation (Gillespie 1977, direct method).

    Cost grows with the number of events, so it suits populations up to ~1e6 cells; it is the
    reference the other engines are checked against.
    """

    name = "exact"
    stochastic = True

    def init(self, counts: np.ndarray, t0: float = 0.0) -> CloneState:
        return CloneState(counts, len(counts), t0)

    def advance(self, state: CloneState, rates: Rates, t: float, t_end: float, *, crowding: tuple[np.ndarray, np.ndarray],
                stop_above: float | np.ndarray, stop_mask: np.ndarray, rng: np.random.Generator
                ) -> tuple[float, int]:
        kcap, crowd = crowding
        stop, masks = stop_criteria(stop_above, stop_mask)
        while True:
            n, t_new, status = exact_advance(
                state.size, state.ctype, state.parent, state.lineage, state.born, state.kind, state.comp,
                state.n, float(t), float(t_end), rates.birth, rates.death, rates.mutation, rates.switching,
                kcap, crowd, stop, masks, rng,
            )
            state.n = n
            t = t_new
            if status == STATUS_NEED_SPACE:
                state.grow()
                continue
            if status == STATUS_STOP:
                self.crossed = crossed_criteria(state.type_sizes(), stop, masks)
            return t, status
