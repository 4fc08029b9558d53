"""Numerics of the tumour-microenvironment coupling: tumour paths, ODE steps, step control.

The clones advance with rates frozen over a step; the compartments (T cells, NK cells,
fibroblasts, HGF, oxygen, macrophage polarisation) are then integrated over the same step with scipy's LSODA,
reading the tumour burden along an interpolated path between the step's start and end sizes.
The next step is chosen so that no compartment changes by more than a relative ``tolerance``
(with a per-compartment absolute floor), which bounds the error of freezing the rates that
the compartments set (first-order operator splitting: the error per unit time is proportional
to the step).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.integrate import odeint


class TumourPath:
    """Cells per type between two times: exponential between positive sizes, else linear.

    Exponential interpolation is exact for a population growing at a constant net rate over the
    step (the rates are frozen during a step, so that is the mean path without crowding).
    """

    def __init__(self, start: np.ndarray, end: np.ndarray, t0: float, t1: float):
        self.start = np.asarray(start, dtype=float)
        self.end = np.asarray(end, dtype=float)
        self.t0 = float(t0)
        self.span = max(float(t1) - float(t0), 0.0)
        both = (self.start > 0) & (self.end > 0)
        self.log_ratio = np.zeros_like(self.start)
        self.log_ratio[both] = np.log(self.end[both] / self.start[both])
        self.geometric = both

    def at(self, t: float) -> np.ndarray:
        """Sizes per type at time ``t`` (clipped to the step)."""
        if self.span <= 0.0:
            return self.end.copy()
        u = min(max((t - self.t0) / self.span, 0.0), 1.0)
        linear = self.start + (self.end - self.start) * u
        return np.where(self.geometric, self.start * np.exp(self.log_ratio * u), linear)


def integrate(rhs: Callable[[np.ndarray, float], np.ndarray], y0: np.ndarray, t0: float, t1: float, *,
              rtol: float = 1e-6, atol: np.ndarray | float = 1e-9) -> np.ndarray:
    """State at ``t1`` of ``dy/dt = rhs(y, t)`` from ``y0`` at ``t0`` (LSODA via odeint)."""
    if t1 <= t0 or y0.size == 0:
        return y0.copy()
    out = odeint(rhs, y0, np.array([t0, t1]), rtol=rtol, atol=atol, mxstep=50_000)
    return np.maximum(out[-1], 0.0)


def next_step(derivative: np.ndarray, state: np.ndarray, scale: np.ndarray, *, tolerance: float,
              min_step: float, max_step: float) -> float:
    """Longest step over which no compartment changes by more than ``tolerance`` (relative).

    ``scale`` is an absolute floor per compartment (so a compartment near zero does not force
    tiny steps). The result lies in ``[min_step, max_step]``.
    """
    if state.size == 0:
        return max_step
    speed = np.abs(derivative) / (np.abs(state) + scale)
    fastest = float(speed.max()) if speed.size else 0.0
    step = tolerance / fastest if fastest > 0 and math.isfinite(fastest) else max_step
    return float(min(max(step, min_step), max_step))
