"""The patient's observations as arrays, and the likelihood of a batch of parameter sets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oncoresist.case._kernels import (
    allele_fractions,
    binomial_loglik,
    imaging_loglik,
    log_sizes,
    overlap_matrix,
    timeline_log_sizes,
)
from oncoresist.case._model import TumourModel


@dataclass(frozen=True)
class Exposure:
    """Drugs given over ``[start, end)`` (days); ``end`` may be infinite."""

    start: float
    end: float
    drugs: tuple[str, ...]


def exposures(history: Sequence[tuple[Sequence[str], int, int | None]]) -> list[Exposure]:
    """Exposure segments covering all time: off before the first line, in gaps, after the last.

    ``history`` holds ``(drugs, start_day, end_day)`` with ``end_day`` inclusive (None: ongoing).
    """
    segments = [Exposure(-np.inf, float(history[0][1]), ())]
    for i, (drugs, start, end) in enumerate(history):
        stop = np.inf if end is None else float(end) + 1.0
        segments.append(Exposure(float(start), stop, tuple(drugs)))
        nxt = float(history[i + 1][1]) if i + 1 < len(history) else np.inf
        if stop < nxt:
            segments.append(Exposure(stop, nxt, ()))
    return segments


@dataclass(frozen=True)
class PatientData:
    """Everything the likelihood needs, as plain arrays (picklable for executors)."""

    day0: float
    starts: np.ndarray
    ends: np.ndarray
    killed: np.ndarray  # (segments, types)
    ctdna_overlap: np.ndarray  # (rows, segments)
    carriers: np.ndarray  # (rows, types)
    alt: np.ndarray
    depth: np.ndarray
    imaging_overlap: np.ndarray  # (scans with burden, segments)
    log_burden: np.ndarray
    error_rate: float
    imaging_sd: float
    overdispersion: float = 0.0
    ctdna_days: np.ndarray | None = None  # (rows,)
    imaging_days: np.ndarray | None = None  # (scans with burden,)
    inflow: np.ndarray | None = None  # (types,): b u per compartment (mutation feeding)

    @property
    def n_observations(self) -> int:
        """ctDNA rows plus scans with a burden."""
        return int(self.alt.size + self.log_burden.size)


def patient_data(
    model: TumourModel,
    segments: Sequence[Exposure],
    ctdna: pd.DataFrame | None,
    imaging: pd.DataFrame | None,
    *,
    error_rate: float,
    imaging_sd: float,
    overdispersion: float = 0.0,
) -> PatientData:
    """Arrays of one patient's observations for :func:`loglik`.

    ``ctdna`` has ``day alteration alt_reads depth`` (canonical alteration text);
    ``imaging`` has ``day burden`` (rows without burden are ignored).
    """
    day0 = next(s.start for s in segments if s.drugs)
    starts = np.array([s.start for s in segments])
    ends = np.array([s.end for s in segments])
    killed = np.array([model.killed_by(s.drugs) for s in segments])
    if ctdna is not None and len(ctdna):
        days = ctdna["day"].to_numpy(float)
        carriers = np.array([model.carriers(a) for a in ctdna["alteration"]])
        alt = ctdna["alt_reads"].to_numpy(float)
        depth = ctdna["depth"].to_numpy(float)
    else:
        days = np.zeros(0)
        carriers = np.zeros((0, len(model.types)), dtype=bool)
        alt = depth = np.zeros(0)
    scans = imaging.dropna(subset=["burden"]) if imaging is not None else None
    scan_days = np.zeros(0) if scans is None else scans["day"].to_numpy(float)
    log_burden = np.zeros(0) if scans is None else np.log(scans["burden"].to_numpy(float))
    return PatientData(
        day0=day0, starts=starts, ends=ends, killed=killed,
        ctdna_overlap=overlap_matrix(days, starts, ends, day0), carriers=carriers, alt=alt, depth=depth,
        imaging_overlap=overlap_matrix(scan_days, starts, ends, day0), log_burden=log_burden,
        error_rate=error_rate, imaging_sd=imaging_sd, overdispersion=overdispersion,
        ctdna_days=days, imaging_days=scan_days, inflow=model.inflow,
    )


def _sizes(theta: np.ndarray, data: PatientData, days: np.ndarray, overlap: np.ndarray) -> np.ndarray:
    if data.inflow is None or not data.inflow.any():
        return log_sizes(theta, data.killed, overlap)
    return timeline_log_sizes(theta, data.killed, data.starts, data.ends, data.day0, days, data.inflow)


def loglik(theta: np.ndarray, data: PatientData) -> np.ndarray:
    """Log-likelihood of each row of ``theta (n, p)`` (natural scale) given the data."""
    theta = np.atleast_2d(theta)
    total = np.zeros(theta.shape[0])
    if data.alt.size:
        logn = _sizes(theta, data, data.ctdna_days, data.ctdna_overlap)
        af = allele_fractions(theta, logn, data.carriers)
        total += binomial_loglik(af, data.alt, data.depth, data.error_rate, data.overdispersion)
    if data.log_burden.size >= 2:
        logn = _sizes(theta, data, data.imaging_days, data.imaging_overlap)
        total += imaging_loglik(logn, data.log_burden, data.imaging_sd)
    total[~np.isfinite(total)] = -np.inf
    return total


def loglik_chunk(args: tuple[np.ndarray, PatientData]) -> np.ndarray:
    """Executor entry point: ``loglik`` of one chunk."""
    theta, data = args
    return loglik(theta, data)
