"""Observations processed per second by oncoresist.ctdna on 1,000,000 rows.

The table: 10,000 patients x 20 serial samples x 5 tracked variants, counts drawn from the
plasma sampling model's binomial layer (UMI families around 5,000, background 5e-5, a
resistance variant growing in half the patients), plus a 200-donor panel of normals. Reported:
reading the TSV, `ctdna.call` (background fit, per-variant tests, LoD, per-sample LR test), and
`ctdna.track` on the calls (events, kinetics). No peer tool on PyPI does tumour-informed serial
ctDNA calls, so no ratio is printed.

    .venv/bin/python benchmarks/bench_ctdna.py [ROWS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist import ctdna
from oncoresist._core import write_table

GENES = [("EGFR", "p.L858R"), ("TP53", "p.R273H"), ("EGFR", "p.T790M"), ("EGFR", "p.C797S"), ("MET", "p.D1010H")]


def make_table(rows: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    per_patient = 20 * len(GENES)
    patients = max(1, rows // per_patient)
    day = np.tile(np.repeat(np.arange(20) * 28.0, len(GENES)), patients)
    pid = np.repeat(np.arange(patients), per_patient)
    variant = np.tile(np.arange(len(GENES)), patients * 20)
    depth = rng.poisson(5000, size=len(day))
    founder_af = 0.05 * np.exp(-0.05 * day) + 1e-4
    grows = (pid % 2 == 0) & (variant == 2)
    af = np.where(variant < 2, founder_af, np.where(grows, np.minimum(1e-5 * np.exp(0.03 * day), 0.3), 0.0))
    alt = rng.binomial(depth, af + (1 - af) * 5e-5)
    genes = np.array([g for g, _ in GENES], dtype=object)[variant]
    alterations = np.array([a for _, a in GENES], dtype=object)[variant]
    pids = np.char.add("P", pid.astype(str)).astype(object)
    samples = pd.DataFrame({
        "patient_id": pids,
        "sample_id": pids + "-" + (day / 28).astype(int).astype(str),
        "day": day, "gene": genes, "alteration": alterations, "alt_reads": alt, "depth": depth,
    })
    donors = 200
    normals = pd.DataFrame({
        "sample_id": np.repeat([f"N{i}" for i in range(donors)], len(GENES)),
        "gene": [g for g, _ in GENES] * donors,
        "alteration": [a for _, a in GENES] * donors,
        "depth": rng.poisson(5000, size=donors * len(GENES)),
    })
    normals["alt_reads"] = rng.binomial(normals["depth"], 5e-5)
    return samples, normals


def main(rows: int = 1_000_000) -> None:
    rng = np.random.default_rng(2026)
    samples, normals = make_table(rows, rng)
    n = len(samples)
    timings = {}

    def timed(name, func):
        wall, cpu = time.perf_counter(), time.process_time()
        value = func()
        timings[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return value

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "samples.tsv"
        write_table(samples, path)
        timed("read_samples (TSV)", lambda: ctdna.read_samples(path))
    ctdna.call(samples.head(500), normals=normals)  # JIT warm-up (numba caches to disk too)
    called = timed("call (tests, LoD, LR)", lambda: ctdna.call(samples, normals=normals))
    tracked = timed("track (events, kinetics)", lambda: ctdna.track(called))
    print(f"rows: {n:,} ({samples['patient_id'].nunique():,} patients, {samples['sample_id'].nunique():,} samples)")
    print(f"{'stage':27s} {'wall s':>8s} {'cpu s':>8s} {'obs/s (wall)':>14s} {'obs/s (cpu)':>14s}")
    for name, (wall, cpu) in timings.items():
        print(f"{name:27s} {wall:8.2f} {cpu:8.2f} {n / wall:14,.0f} {n / cpu:14,.0f}")
    wall = sum(w for w, _ in timings.values())
    cpu = sum(c for _, c in timings.values())
    print(f"{'end to end':27s} {wall:8.2f} {cpu:8.2f} {n / wall:14,.0f} {n / cpu:14,.0f}")
    print("(the machine is shared: CPU time is the steadier figure)")
    print(f"detected calls: {int(called.calls['detected'].sum()):,}; events: {len(tracked.events):,}; "
          f"kinetic fits: {len(tracked.kinetics):,}")
    print("peer: none (no PyPI tool does tumour-informed serial ctDNA calling)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
