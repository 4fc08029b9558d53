"""Simulated patients with known parameters, for validating calibration and forecasts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from oncoresist.case._kernels import allele_fractions, timeline_log_sizes
from oncoresist.case._likelihood import exposures
from oncoresist.case._model import TumourModel


def simulate_observations(
    model: TumourModel,
    theta: np.ndarray,
    history: Sequence[tuple[Sequence[str], int, int | None]],
    *,
    ctdna_days: Sequence[float],
    depth: int,
    imaging_days: Sequence[float] = (),
    burden0: float = 50.0,
    error_rate: float = 1e-4,
    imaging_sd: float = 0.1,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ctDNA reads and imaging burdens of one patient under the calibration's observation model.

    Every alteration of the model (truncal and resistance) is measured on each ctDNA day with
    ``alt_reads ~ Binomial(depth, AF (1 - e) + (1 - AF) e)``; burdens are
    ``burden0 x N^(1/3) x exp(Normal(0, imaging_sd))``.
    """
    theta = np.atleast_2d(np.asarray(theta, dtype=float))
    segments = exposures([(tuple(d), s, e) for d, s, e in history])
    starts = np.array([s.start for s in segments])
    ends = np.array([s.end for s in segments])
    killed = np.array([model.killed_by(s.drugs) for s in segments])
    day0 = next(s.start for s in segments if s.drugs)
    alterations = [*model.truncal, *model.resistance]
    days = np.repeat(np.asarray(ctdna_days, dtype=float), len(alterations))
    alts = np.tile(alterations, len(ctdna_days))
    logn = timeline_log_sizes(theta, killed, starts, ends, day0, days, model.inflow)
    carriers = np.array([model.carriers(a) for a in alts]) if len(alts) else np.zeros((0, len(model.types)), bool)
    af = allele_fractions(theta, logn, carriers)[0] if len(alts) else np.zeros(0)
    p = af * (1 - error_rate) + (1 - af) * error_rate
    reads = rng.binomial(depth, p)
    ctdna = pd.DataFrame({"day": days.astype(int), "alteration": alts, "alt_reads": reads.astype(int),
                          "depth": np.full(len(alts), depth, dtype=int), "true_af": af})
    scan_days = np.asarray(imaging_days, dtype=float)
    logn_img = timeline_log_sizes(theta, killed, starts, ends, day0, scan_days, model.inflow)[0]
    total = np.exp(logn_img).sum(axis=1) if scan_days.size else np.zeros(0)
    burden = burden0 * np.cbrt(total) * np.exp(imaging_sd * rng.standard_normal(scan_days.size))
    imaging = pd.DataFrame({"day": scan_days.astype(int), "result": [None] * scan_days.size, "burden": burden})
    return ctdna, imaging
