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

from oncoresist.case import run_case
from oncoresist.case._validation import run_validation

ROOT = Path(__file__).parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--particles", type=int, default=400)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

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

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_case(ROOT / "examples" / "egfr_nsclc" / "case.yaml", out=Path(tmp) / "report")
        print(f"examples/egfr_nsclc/case.yaml end to end (annotation, ctDNA, model, calibration, "
              f"forecast, report): {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
