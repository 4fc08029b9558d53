"""Calibration of the tumour model to one patient's ctDNA and imaging: the posterior."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import InputError, atomic_output_dir, write_table
from oncoresist._core.rng import as_generator
from oncoresist.case._kernels import allele_fractions, log_sizes, overlap_matrix, timeline_log_sizes
from oncoresist.case._likelihood import Exposure, PatientData, exposures, patient_data
from oncoresist.case._model import TumourModel
from oncoresist.case._schema import Calibration, Prior
from oncoresist.case._smc import Box, SMCTrace, smc

History = Sequence[tuple[Sequence[str], int, int | None]]


def prior_box(model: TumourModel, settings: Calibration) -> Box:
    """The prior of every calibrated parameter of ``model`` as a box."""
    priors = settings.priors
    chosen: list[Prior] = [priors.growth_sensitive, priors.growth_resistant, priors.kill]
    chosen += [priors.resistant_fraction] * len(model.resistance)
    chosen.append(priors.shedding)
    log_scale = np.array([p.distribution == "loguniform" for p in chosen])
    low = np.array([np.log(p.low) if p.distribution == "loguniform" else p.low for p in chosen])
    high = np.array([np.log(p.high) if p.distribution == "loguniform" else p.high for p in chosen])
    return Box(low=low, high=high, log_scale=log_scale)


def _history_tuples(history: History) -> list[tuple[tuple[str, ...], int, int | None]]:
    rows = []
    for line in history:
        if hasattr(line, "drugs"):
            rows.append((tuple(line.drugs), int(line.start_day), line.end_day))
        else:
            drugs, start, end = line
            rows.append((tuple(drugs), int(start), None if end is None else int(end)))
    return rows


@dataclass(frozen=True)
class CalibrationResult:
    """Posterior of the tumour model's parameters for one patient.

    Attributes
    ----------
    model
        The compartment model.
    segments
        Exposure segments of the therapy history.
    draws
        Posterior draws, one row per draw, one column per parameter (natural scale).
    log_evidence
        SMC estimate of the log marginal likelihood (NaN when calibration was skipped).
    trace
        Tempering stages: beta, effective sample size, acceptance, MCMC steps.
    method
        ``"smc"`` or ``"prior"`` (no data: the draws are prior draws).
    n_observations
        ctDNA rows and scans with a burden used.
    """

    model: TumourModel
    segments: tuple[Exposure, ...]
    draws: pd.DataFrame
    log_evidence: float
    trace: tuple[SMCTrace, ...] = ()
    method: str = "smc"
    n_observations: int = 0
    priors: dict = field(default_factory=dict)
    box: Box | None = field(default=None, repr=False)

    def prior_ranges(self) -> pd.DataFrame:
        """Each parameter's prior range: ``parameter low high log_scale``."""
        box = self.box
        rows = []
        for k, name in enumerate(self.draws.columns):
            log = bool(box.log_scale[k])
            lo, hi = (float(np.exp(box.low[k])), float(np.exp(box.high[k]))) if log else \
                (float(box.low[k]), float(box.high[k]))
            rows.append({"parameter": name, "low": lo, "high": hi, "log_scale": log})
        return pd.DataFrame(rows)

    def at_prior_edge(self, margin: float = 0.02) -> list[str]:
        """Parameters whose posterior median lies within ``margin`` of its prior range's ends.

        Mass piled against a bound of the prior usually means the model does not describe the
        data (for example a resistant clone that arose by mutation during therapy rather than
        before it); the report flags these.
        """
        if self.box is None or self.method != "smc":
            return []
        z = np.where(self.box.log_scale, np.log(self.draws.to_numpy()), self.draws.to_numpy())
        position = (np.median(z, axis=0) - self.box.low) / (self.box.high - self.box.low)
        return [n for n, p in zip(self.draws.columns, position, strict=True) if p < margin or p > 1 - margin]

    @property
    def day0(self) -> float:
        """Start of the first therapy line."""
        return next(s.start for s in self.segments if s.drugs)

    def summary(self, level: float = 0.9) -> pd.DataFrame:
        """Posterior median and central credible interval of each parameter."""
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        rows = []
        for name in self.draws.columns:
            values = self.draws[name].to_numpy()
            rows.append({
                "parameter": name,
                "median": float(np.median(values)),
                "ci_low": float(np.quantile(values, lo)),
                "ci_high": float(np.quantile(values, hi)),
                "level": level,
                "prior": self.priors.get(name.split("[")[0], ""),
            })
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """The posterior summary (90% intervals)."""
        return self.summary()

    def log_sizes(self, days: Sequence[float]) -> np.ndarray:
        """Log compartment sizes ``(draws, days, types)``, tumour = 1 at day 0."""
        starts = np.array([s.start for s in self.segments])
        ends = np.array([s.end for s in self.segments])
        killed = np.array([self.model.killed_by(s.drugs) for s in self.segments])
        days = np.asarray(days, dtype=float)
        inflow = self.model.inflow
        if not inflow.any():
            return log_sizes(self.draws.to_numpy(), killed, overlap_matrix(days, starts, ends, self.day0))
        return timeline_log_sizes(self.draws.to_numpy(), killed, starts, ends, self.day0, days, inflow)

    def allele_fraction_bands(self, alteration: str, days: Sequence[float],
                              level: float = 0.9) -> pd.DataFrame:
        """Posterior median and band of the expected AF of ``alteration`` over ``days``."""
        logn = self.log_sizes(days)
        carriers = np.tile(self.model.carriers(alteration), (len(days), 1))
        af = allele_fractions(self.draws.to_numpy(), logn, carriers)
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        return pd.DataFrame({
            "day": np.asarray(days, dtype=float),
            "median": np.median(af, axis=0),
            "low": np.quantile(af, lo, axis=0),
            "high": np.quantile(af, hi, axis=0),
        })

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write ``posterior.tsv`` (draws), ``posterior_summary.tsv`` and ``calibration.json``."""
        with atomic_output_dir(path) as tmp:
            write_table(self.draws.round(10), tmp / "posterior.tsv")
            write_table(self.summary().round(10), tmp / "posterior_summary.tsv")
            (tmp / "calibration.json").write_text(json.dumps(self.info(), indent=2, sort_keys=True) + "\n")
        return Path(path)

    def info(self) -> dict:
        """Method, evidence and stages as plain JSON."""
        return {
            "method": self.method,
            "log_evidence": None if not np.isfinite(self.log_evidence) else round(float(self.log_evidence), 6),
            "n_draws": len(self.draws),
            "n_observations": self.n_observations,
            "stages": [
                {"beta": round(t.beta, 8), "ess": round(t.ess, 3), "acceptance": round(t.acceptance, 4),
                 "mcmc_steps": t.mcmc_steps}
                for t in self.trace
            ],
            "compartments": list(self.model.types),
        }


def calibrate_model(
    model: TumourModel,
    history: History,
    *,
    ctdna: pd.DataFrame | None = None,
    imaging: pd.DataFrame | None = None,
    settings: Calibration | None = None,
    rng: int | np.random.Generator | None = None,
    executor: Executor | None = None,
    chunks: int | None = None,
) -> CalibrationResult:
    """Fit ``model`` to the observations (see :func:`oncoresist.case.calibrate`)."""
    settings = settings or Calibration()
    gen = as_generator(rng)
    history = _history_tuples(history)
    if not history:
        msg = "calibration needs at least one therapy line"
        raise InputError(msg, field="history")
    segments = exposures(history)
    for seg in segments:
        unknown = [d for d in seg.drugs if d not in model.drugs]
        if unknown:
            msg = f"the therapy history gives {unknown}, which the model does not know ({list(model.drugs)})"
            raise InputError(msg, field="history")
    data: PatientData = patient_data(model, segments, ctdna, imaging, error_rate=settings.error_rate,
                                     imaging_sd=settings.imaging_sd, overdispersion=settings.overdispersion)
    box = prior_box(model, settings)
    names = list(model.parameter_names)
    priors = {
        "growth_sensitive": _describe(settings.priors.growth_sensitive),
        "growth_resistant": _describe(settings.priors.growth_resistant),
        "kill": _describe(settings.priors.kill),
        "resistant_fraction": _describe(settings.priors.resistant_fraction),
        "shedding": _describe(settings.priors.shedding),
    }
    if settings.method == "none" or data.n_observations == 0:
        draws = _prior_draws(box, settings.particles, gen)
        return CalibrationResult(model=model, segments=tuple(segments), draws=pd.DataFrame(draws, columns=names),
                                 log_evidence=float("nan"), method="prior", n_observations=data.n_observations,
                                 priors=priors, box=box)
    n_chunks = chunks if chunks is not None else (getattr(executor, "_max_workers", 1) if executor else 1)
    draws, log_evidence, trace = smc(box, data, particles=settings.particles, min_steps=settings.mcmc_steps,
                                     rng=gen, executor=executor, chunks=max(1, int(n_chunks)))
    return CalibrationResult(model=model, segments=tuple(segments), draws=pd.DataFrame(draws, columns=names),
                             log_evidence=log_evidence, trace=tuple(trace), method="smc",
                             n_observations=data.n_observations, priors=priors, box=box)


def _prior_draws(box: Box, n: int, gen: np.random.Generator) -> np.ndarray:
    out = []
    while sum(len(o) for o in out) < n:
        theta = box.to_natural(box.sample(n, gen))
        keep = theta[:, 3 : theta.shape[1] - 1].sum(axis=1) < 1.0
        out.append(theta[keep])
    return np.concatenate(out)[:n]


def _describe(prior: Prior) -> str:
    text = f"{prior.distribution}({prior.low:g}, {prior.high:g})"
    return f"{text}; {prior.source}" if prior.source else text
