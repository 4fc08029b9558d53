"""Strategies x patients per second of oncoresist.therapy.compare on the shipped examples.

Run: .venv/bin/python benchmarks/bench_therapy.py [--patients N]
No peer tool: no PyPI package runs these strategies on a multitype branching process.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from oncoresist.therapy import compare, load_therapy_scenario

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=40)
    args = parser.parse_args()
    for rel in ("examples/bozic2013/combination_vs_sequential.yaml", "examples/egfr_nsclc/strategies.yaml",
                "examples/zhang2017/adaptive_abiraterone.yaml"):
        sc = load_therapy_scenario(ROOT / rel)
        n = args.patients if "zhang" not in rel else 5
        start = time.perf_counter()
        compare(sc.model, sc.strategies, sc.settings, n_patients=n, rng=1, keep_traces=0)
        elapsed = time.perf_counter() - start
        runs = n * len(sc.strategies)
        print(f"{rel}: {len(sc.strategies)} strategies x {n} patients in {elapsed:.2f} s = "
              f"{runs / elapsed:.1f} strategy-patients/s (1 process)")


if __name__ == "__main__":
    main()
