"""The hybrid engine: exact events for small clone groups, Kendall transitions for large ones."""

from __future__ import annotations

import numpy as np

from oncoresist.evolve._engines._state import CloneState, crossed_criteria, stop_criteria
from oncoresist.evolve._kernels import (
    STATUS_NEED_SPACE,
    STATUS_OVERFLOW,
    STATUS_STOP,
    hybrid_advance,
)
from oncoresist.evolve._model import Rates


class HybridEngine:
    """Exact where counts are small, the exact linear birth–death law over a step where large.

    Parameters
    ----------
    exact_threshold
        Groups of fewer cells are simulated event by event (mutations at their true times).
    max_step
        Longest step (time units).
    growth_tol
        Steps are shortened so that no type's expected size changes by more than a factor
        ``exp(growth_tol)``; the size law is exact for any step, this bounds the error of the
        mutation-arrival path (exponential interpolation) and of frozen capacity.
    """

    name = "hybrid"
    stochastic = True

    def __init__(self, *, exact_threshold: int = 100, max_step: float = 50.0, growth_tol: float = 0.5):
        self.exact_threshold = int(exact_threshold)
        self.max_step = float(max_step)
        self.growth_tol = float(growth_tol)

    def init(self, counts: np.ndarray, t0: float = 0.0) -> CloneState:
        return CloneState(counts, len(counts), t0)

    def advance(self, state: CloneState, rates: Rates, t: float, t_end: float, *, crowding: tuple[np.ndarray, np.ndarray],
                stop_above: float | np.ndarray, stop_mask: np.ndarray, rng: np.random.Generator
                ) -> tuple[float, int]:
        kcap, crowd = crowding
        stop, masks = stop_criteria(stop_above, stop_mask)
        while True:
            saved_rng = rng.bit_generator.state
            # the kernel only appends records past n and changes sizes and compartment links of
            # the existing ones: that is all a redo needs back
            n0 = state.n
            saved_size = state.size[:n0].copy()
            saved_comp = state.comp[:n0].copy()
            qc, qn, qt = state.queues()
            n, t_new, status = hybrid_advance(
                state.size, state.ctype, state.parent, state.lineage, state.born, state.kind, state.comp,
                state.n, float(t), float(t_end), rates.birth, rates.death, rates.mutation, rates.switching,
                kcap, crowd, stop, masks, self.exact_threshold, self.max_step, self.growth_tol, rng, qc, qn, qt,
            )
            if status == STATUS_OVERFLOW:
                # a burst of arrivals overran the arrays: redo the call from the same state
                state.size[:n0] = saved_size
                state.comp[:n0] = saved_comp
                state.n = n0
                rng.bit_generator.state = saved_rng
                state.grow()
                continue
            state.n = n
            t = t_new
            if status == STATUS_NEED_SPACE:
                state.grow()
                continue
            if status == STATUS_STOP:
                self.crossed = crossed_criteria(state.type_sizes(), stop, masks)
            return t, status
