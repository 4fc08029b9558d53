"""Patient-case benchmark: calibration coverage and forecast error on simulated patients, runtime.

python benchmarks/bench_case.py [--patients 100] [--particles 400] [--workers 1]

Prints, for simulated patients with parameters drawn from the priors (see
oncoresist/case/_validation.py): the fraction of 90% posterior intervals covering the truth
(pooled and per parameter, with the binomial standard error), the mean absolute error of the
forecast time to progression against the cohort-median baseline, seconds per patient, and the
wall time of the bundled EGFR example (examples/egfr_nsclc/case.yaml). No peer tool does the
whole case on PyPI; the calibration step could be compared with pyabc, which is not a project
dependency (see docs/case.md).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from oncoresist.case import Calibration, Forecast, calibrate, forecast, run_case
from oncoresist.case._calibrate import prior_box
from oncoresist.case._validation import PLAN, run_validation, validation_model

ROOT = Path(__file__).parents[1]


CELLS = 1e12  # tumour cells at day 0 in the stochastic check: the smallest resistant fraction is 100 cells
BIRTH = 0.14  # Bozic et al. 2013; only the fluctuations depend on it, not the mean


def evolve_patient(index: int, seed: np.random.SeedSequence, particles: int) -> tuple[list[bool], float, float]:
    """One patient whose tumour is a stochastic birth-death simulation (oncoresist.evolve, hybrid)."""
    from oncoresist.evolve import CellType, Drug, DrugResponse, Model, StopRules, simulate
    from oncoresist.evolve import Mutation as EvoMutation

    model = validation_model()
    gen = np.random.default_rng(seed)
    box = prior_box(model, Calibration())
    theta = box.to_natural(box.sample(1, gen))[0]
    g_s, g_r, kill, frac, shed = theta
    evo = Model(
        types=(CellType("S", BIRTH, BIRTH - g_s, (DrugResponse("erlotinib", "death", kill),)),
               CellType("R", BIRTH, BIRTH - g_r)),
        drugs=(Drug("erlotinib"),),
        # de novo T790M at the calibrated model's rate (1e-9 per division, Bozic et al. 2013)
        mutations=(EvoMutation("S", "R", model.feed[1]),),
        initial={"S": round((1 - frac) * CELLS), "R": round(frac * CELLS)},
    )
    sim = simulate(evo, lambda obs: {"erlotinib": 1.0}, engine="hybrid", stop=StopRules(time_limit=336 + 1095),
                   record_interval=1, rng=gen)
    sizes = sim.totals_frame().set_index("time")[["S", "R"]].reindex(np.arange(0, 336 + 1096), method="ffill")
    total = sizes.sum(axis=1).to_numpy() / CELLS
    resistant = sizes["R"].to_numpy() / CELLS
    # plasma every 28 days and scans every 56 days to day 336, with the calibration's observation model
    rows = []
    for day in range(0, 337, 28):
        tf = shed * total[day] / (shed * total[day] + 1 - shed)
        for alt, carried in (("EGFR exon 19 deletion", total[day]), ("EGFR p.T790M", resistant[day])):
            af = 0.5 * tf * carried / total[day]
            p = af * (1 - 1e-4) + (1 - af) * 1e-4
            rows.append({"day": day, "alteration": alt, "alt_reads": gen.binomial(3000, p), "depth": 3000})
    scans = [{"day": d, "burden": 50 * np.cbrt(total[d]) * np.exp(0.1 * gen.standard_normal())}
             for d in range(0, 337, 56)]
    import pandas as pd

    history = [(("erlotinib",), 0, None)]
    post = calibrate(model, history, ctdna=pd.DataFrame(rows), imaging=pd.DataFrame(scans),
                     settings=Calibration(particles=particles), rng=gen)
    summary = post.summary(0.9)
    covered = [bool(lo <= t <= hi) for lo, hi, t in zip(summary["ci_low"], summary["ci_high"], theta, strict=True)]
    fc = forecast(post, [PLAN], start_day=336, settings=Forecast(horizon_days=1095, draws=200), rng=gen)
    predicted = float(np.median(np.minimum(fc.draws["ttp_days"].to_numpy(), 1095)))
    after = total[336:]
    nadir = np.minimum.accumulate(after)
    hit = np.flatnonzero(after[1:] >= 1.2**3 * nadir[:-1])
    true_ttp = float(hit[0] + 1) if hit.size else 1095.0
    return covered, true_ttp, predicted


def stochastic_check(n: int, particles: int, seed: int) -> None:
    seeds = np.random.SeedSequence(seed).spawn(n)
    start = time.perf_counter()
    results = [evolve_patient(i, seeds[i], particles) for i in range(n)]
    covered = np.array([r[0] for r in results])
    truth = np.array([r[1] for r in results])
    predicted = np.array([r[2] for r in results])
    baseline = np.array([np.median(np.delete(truth, i)) for i in range(n)])
    names = validation_model().parameter_names
    print(f"stochastic tumours (oncoresist.evolve hybrid engine, {CELLS:.0e} cells at day 0, {n} patients, "
          f"seed {seed}):")
    print(f"  90% interval coverage pooled: {covered.mean():.3f} (SE {math.sqrt(0.09 / covered.size):.3f}); "
          + ", ".join(f"{name} {c:.2f}" for name, c in zip(names, covered.mean(axis=0), strict=True)))
    print(f"  forecast MAE {np.abs(predicted - truth).mean():.1f} days; cohort-median baseline "
          f"{np.abs(baseline - truth).mean():.1f} days; {(time.perf_counter() - start) / n:.2f} s per patient")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--particles", type=int, default=400)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--evolve-patients", type=int, default=30)
    args = parser.parse_args()

    if args.patients:
        start = time.perf_counter()
        if args.workers > 1:
            with ProcessPoolExecutor(args.workers) as pool:
                result = run_validation(args.patients, particles=args.particles, rng=args.seed, executor=pool)
        else:
            result = run_validation(args.patients, particles=args.particles, rng=args.seed)
        elapsed = time.perf_counter() - start
        summary = result.summary()
        n_int = len(result.coverage)
        se = math.sqrt(0.9 * 0.1 / n_int)
        print(f"simulated patients: {summary['patients']} (seed {args.seed}, {args.particles} particles)")
        print(f"90% interval coverage, pooled over {n_int} intervals: {summary['coverage']:.3f} "
              f"(binomial SE {se:.3f}; target 0.85-0.95)")
        per_se = math.sqrt(0.9 * 0.1 / summary["patients"])
        for key, value in summary.items():
            if key.startswith("coverage["):
                print(f"  {key[9:-1]:<36} {value:.3f} (SE {per_se:.3f})")
        print(f"forecast time to progression on continued erlotinib, MAE: {summary['mae_forecast']:.1f} days; "
              f"cohort-median baseline: {summary['mae_baseline']:.1f} days "
              f"(ratio {summary['mae_forecast'] / summary['mae_baseline']:.2f})")
        print(f"calibration + forecast: {elapsed / summary['patients']:.2f} s per patient "
              f"({args.workers} worker(s), {elapsed:.1f} s in all)")

    if args.evolve_patients:
        stochastic_check(args.evolve_patients, args.particles, args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_case(ROOT / "examples" / "egfr_nsclc" / "case.yaml", out=Path(tmp) / "report")
        print(f"examples/egfr_nsclc/case.yaml end to end (annotation, ctDNA, model, calibration, "
              f"forecast, report): {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
