"""Validation on simulated patients: posterior interval coverage and forecast error.

Each simulated patient has parameters drawn from the default priors (so that the posterior's
nominal coverage, averaged over patients, is exact when the sampler is right: Cook, Gelman &
Rubin 2006, J Comput Graph Stat 15:675), an EGFR exon 19 deletion tumour with a pre-existing
T790M compartment, erlotinib from day 0, plasma every 28 days from day -14 to day 336 and a scan
every 56 days. The forecast is the time to progression on continued erlotinib from day 336;
the naive baseline is the median of the other patients' true times (leave one out). Times
beyond the horizon count as the horizon.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oncoresist.case._calibrate import calibrate_model, prior_box
from oncoresist.case._forecast import Plan, forecast_strategies, project
from oncoresist.case._kernels import timeline_log_sizes
from oncoresist.case._likelihood import exposures
from oncoresist.case._model import build_model
from oncoresist.case._schema import Calibration, Forecast
from oncoresist.case._simulate import simulate_observations

HISTORY = [(("erlotinib",), 0, None)]
CTDNA_DAYS = tuple(range(-14, 337, 28))
IMAGING_DAYS = tuple(range(-14, 337, 56))
START = 336
HORIZON = 1095
PLAN = Plan("continue erlotinib", "continuous", (("erlotinib",),))


@dataclass(frozen=True)
class ValidationResult:
    """Per-patient coverage and forecast errors."""

    coverage: pd.DataFrame  # patient, parameter, truth, ci_low, ci_high, covered
    forecasts: pd.DataFrame  # patient, true_ttp, forecast_ttp, baseline_ttp
    level: float

    def summary(self) -> dict[str, float]:
        """Pooled and per-parameter coverage, forecast and baseline MAE."""
        per = self.coverage.groupby("parameter", sort=False)["covered"].mean()
        f = self.forecasts
        return {
            "patients": int(f["patient"].nunique()),
            "level": self.level,
            "coverage": float(self.coverage["covered"].mean()),
            **{f"coverage[{k}]": float(v) for k, v in per.items()},
            "mae_forecast": float((f["forecast_ttp"] - f["true_ttp"]).abs().mean()),
            "mae_baseline": float((f["baseline_ttp"] - f["true_ttp"]).abs().mean()),
        }


def validation_model():
    """The two-compartment model of the simulated patients."""
    return build_model(["EGFR exon 19 deletion", "EGFR p.T790M"], {"EGFR p.T790M": 0.0},
                       ["erlotinib", "osimertinib"])


def _true_ttp(model, theta: np.ndarray) -> float:
    segs = exposures(HISTORY)
    killed = np.array([model.killed_by(s.drugs) for s in segs])
    logn = timeline_log_sizes(theta[None, :], killed, np.array([s.start for s in segs]),
                              np.array([s.end for s in segs]), 0.0, np.array([float(START)]),
                              model.inflow)[:, 0, :]
    out = project(model, theta[None, :], logn, PLAN, horizon=HORIZON, increase=0.2, majority=0.5)
    return float(min(out["ttp"][0], HORIZON))


def one_patient(args: tuple) -> tuple[list[dict], dict]:
    """Simulate, calibrate and forecast patient ``index`` (an executor task)."""
    index, seed, particles, level, depth = args
    model = validation_model()
    settings = Calibration(particles=particles)
    box = prior_box(model, settings)
    gen = np.random.default_rng(seed)
    while True:
        theta = box.to_natural(box.sample(1, gen))[0]
        if theta[3] < 1.0:
            break
    ctdna, imaging = simulate_observations(model, theta, HISTORY, ctdna_days=CTDNA_DAYS, depth=depth,
                                           imaging_days=IMAGING_DAYS, rng=gen)
    post = calibrate_model(model, HISTORY, ctdna=ctdna, imaging=imaging, settings=settings, rng=gen)
    summary = post.summary(level)
    rows = []
    for name, truth, lo, hi in zip(summary["parameter"], theta, summary["ci_low"], summary["ci_high"], strict=True):
        rows.append({"patient": index, "parameter": name, "truth": float(truth), "ci_low": float(lo),
                     "ci_high": float(hi), "covered": bool(lo <= truth <= hi)})
    fc = forecast_strategies(post, [PLAN], start_day=START, settings=Forecast(horizon_days=HORIZON, draws=200),
                             rng=gen)
    predicted = float(np.median(np.minimum(fc.draws["ttp_days"].to_numpy(), HORIZON)))
    return rows, {"patient": index, "true_ttp": _true_ttp(model, theta), "forecast_ttp": predicted}


def run_validation(
    n_patients: int,
    *,
    particles: int = 400,
    level: float = 0.9,
    depth: int = 3000,
    rng: int = 0,
    executor: Executor | None = None,
) -> ValidationResult:
    """Coverage of ``level`` posterior intervals and forecast error over simulated patients."""
    seeds = np.random.SeedSequence(rng).spawn(n_patients)
    tasks = [(i, seeds[i], particles, level, depth) for i in range(n_patients)]
    results = list(executor.map(one_patient, tasks)) if executor is not None else [one_patient(t) for t in tasks]
    coverage = pd.DataFrame([r for rows, _ in results for r in rows])
    forecasts = pd.DataFrame([f for _, f in results])
    truths = forecasts["true_ttp"].to_numpy()
    forecasts["baseline_ttp"] = [float(np.median(np.delete(truths, i))) for i in range(len(truths))]
    return ValidationResult(coverage=coverage, forecasts=forecasts, level=level)
