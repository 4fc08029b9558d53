"""BRAF+MEK inhibition alone, with anti-PD-1 upfront, and with anti-PD-1 at progression.

    python examples/melanoma_braf_immune/run.py [--patients N] [--seed S] [--out DIR (default out/melanoma_braf_immune)]

Compares the three strategies on the same virtual patients (oncoresist.therapy.compare on the
model with T-cell killing) and draws one patient per strategy: cells per type beside the
effector T cells over time. A research example, not for clinical decisions.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from oncoresist.evolve.tme import plot_runs  # noqa: E402
from oncoresist.therapy import compare, controller, load_therapy_scenario  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def one_patient(scenario, strategy, seed: int):
    """One patient under a strategy, with its compartments (same tumour for every strategy)."""
    s = scenario.settings
    ctrl = controller(strategy, s.monitoring, seed, progression=s.progression,
                      marker_types=s.resistant_types or (), max_burden=s.max_burden)
    stop = dataclasses.replace(s.stop, progression_rule=ctrl.progression_rule)
    return scenario.model.simulate(ctrl, stop=stop, decision_interval=s.decision_interval, record_interval=7.0,
                                   rng=seed)


def figure(runs: dict, path: Path, *, added: str | None = None) -> None:
    """Cells per type beside each compartment, one column per strategy, as PNG and SVG."""
    fig = plot_runs(runs, marker_drug=added)
    for suffix in (".png", ".svg"):
        fig.savefig(path.with_suffix(suffix), dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "melanoma_braf_immune")
    args = parser.parse_args()
    scenario = load_therapy_scenario(HERE / "strategies.yaml")
    n = args.patients or scenario.patients
    seed = args.seed if args.seed is not None else scenario.seed
    result = compare(scenario.model, scenario.strategies, scenario.settings, n_patients=n, rng=seed)
    result.write(args.out / "compare")
    print(result.outcomes[["strategy", "patients", "median_ttp", "median_ttp_ci_low", "median_ttp_ci_high",
                           "p_eradication", "p_progressed"]].to_string(index=False))
    runs = {name: one_patient(scenario, strategy, seed) for name, strategy in scenario.strategies.items()}
    figure(runs, args.out / "patient_compartments", added="pembrolizumab")
    for name, run in runs.items():
        run.write(args.out / f"patient_{name}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
