"""Benchmark of oncoresist.evolve.

1. Virtual patients per second for examples/bozic2013/two_drugs.yaml (M = 1e9, hybrid engine,
   default process pool), with the eradication probability beside Bozic et al. (2013) eq. (1).
2. Side by side with GillesPy2's exact SSA (SSACSolver) on a birth–death–mutation model small
   enough for it: S -> 2S, S -> S + R (probability u per division), S -> 0, R -> 2R, R -> 0,
   from 1,000 S cells, b = 0.14, d = 0.13, u = 1e-3, 200 days. Same final distributions
   (two-sample KS tests) and the speed ratio. GillesPy2 runs from its own venv
   (default /work/peers/gillespy2, see /work/shared/PEERS.md); set GILLESPY2_PYTHON to change it.

Usage: python benchmarks/bench_evolve.py [--runs 10000] [--trajectories 1000] [--skip-patients]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

from oncoresist.evolve import CellType, Model, Mutation, StopRules, load_scenario, simulate_ensemble

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "bozic2013" / "two_drugs.yaml"
PEER_PYTHON = os.environ.get("GILLESPY2_PYTHON", "/work/peers/gillespy2/bin/python")

B, D, U, N0, T_END = 0.14, 0.13, 1e-3, 1000, 200.0

GILLESPY2_SCRIPT = r"""
import json, resource, sys, time
import numpy as np
import gillespy2

b, d, u, n0, t_end, n_traj, seed = json.loads(sys.argv[1])
model = gillespy2.Model(name="bdm")
kb = gillespy2.Parameter(name="kb", expression=b * (1 - u))
km = gillespy2.Parameter(name="km", expression=b * u)
kd = gillespy2.Parameter(name="kd", expression=d)
kr = gillespy2.Parameter(name="kr", expression=b)
model.add_parameter([kb, km, kd, kr])
S = gillespy2.Species(name="S", initial_value=n0, mode="discrete")
R = gillespy2.Species(name="R", initial_value=0, mode="discrete")
model.add_species([S, R])
model.add_reaction([
    gillespy2.Reaction(name="s_birth", reactants={S: 1}, products={S: 2}, rate=kb),
    gillespy2.Reaction(name="s_mut", reactants={S: 1}, products={S: 1, R: 1}, rate=km),
    gillespy2.Reaction(name="s_death", reactants={S: 1}, products={}, rate=kd),
    gillespy2.Reaction(name="r_birth", reactants={R: 1}, products={R: 2}, rate=kr),
    gillespy2.Reaction(name="r_death", reactants={R: 1}, products={}, rate=kd),
])
model.timespan(np.linspace(0, t_end, 3))
solver = gillespy2.SSACSolver(model=model)
solver.run(number_of_trajectories=2, seed=1)   # build the C++ solver outside the timing
def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)   # the C++ solver runs as a child
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
start, cpu0 = time.perf_counter(), cpu()
results = solver.run(number_of_trajectories=n_traj, seed=seed)
elapsed, cpu_used = time.perf_counter() - start, cpu() - cpu0
s = [int(tr["S"][-1]) for tr in results]
r = [int(tr["R"][-1]) for tr in results]
print(json.dumps({"seconds": elapsed, "cpu": cpu_used, "S": s, "R": r, "version": gillespy2.__version__}))
"""


def bench_patients(runs: int, workers: int) -> None:
    scenario = load_scenario(EXAMPLE)
    # warm the numba cache in this process (compilation is not part of the throughput)
    simulate_ensemble(scenario.model, scenario.strategy, runs=2, rng=0, workers=1, **scenario.simulate_options())
    start = time.perf_counter()
    before = os.times()
    ens = simulate_ensemble(scenario.model, scenario.strategy, runs=runs, rng=1, workers=workers,
                            **scenario.simulate_options())
    elapsed = time.perf_counter() - start
    after = os.times()
    cpu = (after.user - before.user) + (after.children_user - before.children_user) + (
        after.system - before.system) + (after.children_system - before.children_system)
    p, se = ens.probability("extinct")
    [(_, formula, _)] = scenario.reference_values()
    print(f"[patients] {EXAMPLE.name}: {runs} patients in {elapsed:.1f} s wall on {workers} worker processes "
          f"= {runs / elapsed:.0f} patients/s (goal: 10,000 in < 60 s on 2 cores)")
    print(f"[patients] CPU time {cpu:.1f} s = {1e3 * cpu / runs:.2f} ms per patient; on {workers} otherwise idle "
          f"cores: {cpu / workers:.1f} s for {runs} patients; load average now {os.getloadavg()[0]:.1f}")
    print(f"[patients] eradication probability {p:.4f} ± {se:.4f}; Bozic et al. 2013 eq. (1): {formula:.4f}")


def _ours(engine: str, n: int, options: dict | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    model = Model(types=(CellType("S", B, D), CellType("R", B, D)), mutations=(Mutation("S", "R", U),),
                  initial={"S": N0})
    kw = {"engine": engine, "engine_options": options or {}, "stop": StopRules(time_limit=T_END)}
    simulate_ensemble(model, runs=2, rng=0, workers=1, **kw)  # compile / load the kernels
    start, cpu0 = time.perf_counter(), time.process_time()
    ens = simulate_ensemble(model, runs=n, rng=7, workers=1, **kw)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    return elapsed, cpu, ens.runs["final_S"].to_numpy(), ens.runs["final_R"].to_numpy()


def bench_gillespy2(n: int) -> None:
    if not Path(PEER_PYTHON).exists():
        print(f"[gillespy2] not installed at {PEER_PYTHON}; skipped (see /work/shared/PEERS.md)")
        return
    env = dict(os.environ)
    env["PATH"] = str(Path(PEER_PYTHON).parent) + os.pathsep + env.get("PATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "peer.py"
        script.write_text(GILLESPY2_SCRIPT)
        proc = subprocess.run([PEER_PYTHON, str(script), json.dumps([B, D, U, N0, T_END, n, 7])],
                              capture_output=True, text=True, env=env, cwd=tmp, check=False)
    if proc.returncode != 0:
        print(f"[gillespy2] failed: {proc.stderr.strip()[-400:]}")
        return
    peer = json.loads(proc.stdout.strip().splitlines()[-1])
    gs, gr = np.array(peer["S"]), np.array(peer["R"])
    print(f"[gillespy2] GillesPy2 {peer['version']} SSACSolver: {n} trajectories in {peer['seconds']:.2f} s "
          f"wall, {peer['cpu']:.2f} s CPU")
    for engine, options in (("exact", {}), ("hybrid", {})):
        elapsed, cpu, s, r = _ours(engine, n, options)
        ks_s = stats.ks_2samp(s, gs)
        ks_r = stats.ks_2samp(r, gr)
        print(f"[gillespy2] oncoresist {engine}: {n} trajectories in {elapsed:.2f} s wall, {cpu:.2f} s CPU; "
              f"speed ratio (GillesPy2 / ours) = {peer['seconds'] / elapsed:.1f}x wall, "
              f"{peer['cpu'] / cpu:.1f}x CPU")
        print(f"[gillespy2]   final S: mean {s.mean():.1f} vs {gs.mean():.1f}, KS D = {ks_s.statistic:.3f}, "
              f"p = {ks_s.pvalue:.3f}; final R: mean {r.mean():.2f} vs {gr.mean():.2f}, "
              f"KS D = {ks_r.statistic:.3f}, p = {ks_r.pvalue:.3f}")


def bench_scaling() -> None:
    # cost follows clones, not cells: one clone grown from 1e3 ... 1e12 cells (no mutation)
    for n0 in (10**3, 10**6, 10**9, 10**12):
        model = Model(types=(CellType("S", 0.14, 0.13),), initial={"S": n0})
        kw = {"stop": StopRules(time_limit=1000.0)}
        simulate_ensemble(model, runs=2, rng=0, workers=1, **kw)
        start = time.perf_counter()
        ens = simulate_ensemble(model, runs=50, rng=3, workers=1, **kw)
        per = (time.perf_counter() - start) / 50
        print(f"[scaling] hybrid, one clone of {n0:.0e} cells for 1000 days: {per * 1e3:.2f} ms per run "
              f"(mean final size {ens.runs['final_S'].mean():.3g})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--trajectories", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-patients", action="store_true")
    parser.add_argument("--skip-gillespy2", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_patients:
        bench_patients(args.runs, args.workers)
    bench_scaling()
    if not args.skip_gillespy2:
        bench_gillespy2(args.trajectories)
    return 0


if __name__ == "__main__":
    sys.exit(main())
