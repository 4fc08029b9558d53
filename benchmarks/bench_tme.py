"""Cost of the tumour-microenvironment coupling relative to the plain simulation.

For each model the same patients (same seeds) are simulated twice: with every microenvironment
term switched off (bit-identical to the plain model) and with the model's terms on. Printed:
CPU seconds per patient, the ratio, and the number of coupling steps per patient.

1. examples/melanoma_braf_immune/model.yaml (hybrid, T cells + killing with PD-1/PD-L1),
   BRAF+MEK+anti-PD-1 from detection at 1e9 cells, 1095 days.
2. examples/egfr_caf/model.yaml (hybrid, fibroblasts + stromal protection + HGF/MET),
   osimertinib from detection, 1095 days.
3. Kuznetsov et al. (1994) tumour–effector model from 1e7 cells, 3000 days, ode and hybrid.
4. The coupling's own work per step (modify_rates + advance), measured in isolation.

No peer tool: no installable package simulates stochastic clones coupled to ODE compartments
of the microenvironment (PhysiCell and similar agent-based tools answer a spatial question and
are not on PyPI as Python simulators), so the baseline is this package's plain simulation.

Usage: python benchmarks/bench_tme.py [--patients 10]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from oncoresist.evolve import CellType, Model, StopRules, constant, load_scenario
from oncoresist.evolve.tme import TME, ImmuneKilling, TCells, couple

ROOT = Path(__file__).resolve().parents[1]


def _cpu(fn) -> tuple[float, object]:
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def _patients(model, strategy, stop, n: int, engine: str) -> tuple[float, float]:
    """CPU seconds per patient and coupling steps per patient."""
    total, steps = 0.0, 0
    for seed in range(n):
        cpu, run = _cpu(lambda s=seed: model.simulate(strategy, stop=stop, engine=engine, record_interval=30.0, rng=s))
        total += cpu
        steps += len(run.compartments)
    return total / n, steps / n


def _compare(label: str, model, strategy, stop, n: int, engine: str = "hybrid") -> None:
    plain = couple(model, TME(), engine=engine)
    _patients(plain, strategy, stop, 1, engine)  # compile the kernels outside the timing
    base, _ = _patients(plain, strategy, stop, n, engine)
    coupled, steps = _patients(model, strategy, stop, n, engine)
    print(f"{label:<46} {base * 1e3:9.1f} ms {coupled * 1e3:9.1f} ms {coupled / base:7.2f}x {steps:9.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10)
    args = parser.parse_args()
    n = args.patients
    print(f"{'model (' + str(n) + ' patients)':<46} {'plain':>12} {'coupled':>12} {'ratio':>8} {'steps/pt':>9}")

    mel = load_scenario(ROOT / "examples" / "melanoma_braf_immune" / "model.yaml")
    _compare("melanoma_braf_immune, BRAF+MEK+anti-PD-1", mel.model,
             constant({"dabrafenib": 1.0, "trametinib": 1.0, "pembrolizumab": 1.0}), mel.stop, n)
    egfr = load_scenario(ROOT / "examples" / "egfr_caf" / "model.yaml")
    _compare("egfr_caf, osimertinib", egfr.model, constant({"osimertinib": 1.0}), egfr.stop, n)

    kuz = Model(types=(CellType("T", 0.18, 0.0),), capacity=5e8, initial={"T": 10**7}, name="kuznetsov1994")
    stop = StopRules(time_limit=3000.0)
    for engine in ("ode", "hybrid"):
        _compare(f"Kuznetsov 1994, 1e7 cells, 3000 days, {engine}", couple(kuz, TME([TCells(), ImmuneKilling()])),
                 None, stop, n, engine)

    # the coupling's own work per step
    coupled = couple(kuz, TME([TCells(), ImmuneKilling()]))
    coupling = coupled.coupling()
    state = coupling.initial_state(coupled)
    rates = coupled.rates({})
    sizes0, sizes1 = np.array([1.0e7]), np.array([1.05e7])
    reps = 2000
    cpu, _ = _cpu(lambda: [coupling.modify_rates(rates, state, sizes=sizes0, t=0.0) for _ in range(reps)])
    print(f"modify_rates: {cpu / reps * 1e6:.1f} us per call")
    cpu, _ = _cpu(lambda: [coupling.advance(state, sizes_start=sizes0, sizes_end=sizes1, t0=0.0, t1=0.5,
                                            concentrations={}) for _ in range(reps)])
    print(f"advance (LSODA over one 0.5-day step): {cpu / reps * 1e6:.1f} us per call")


if __name__ == "__main__":
    main()
