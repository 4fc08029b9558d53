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
    """Cells per type (top) beside each compartment (below), one column per strategy."""
    names = list(runs)
    compartments = [c for c in next(iter(runs.values())).compartments.columns if c != "time"]
    fig, axes = plt.subplots(1 + len(compartments), len(names), figsize=(4.2 * len(names), 2.6 * (1 + len(compartments))),
                             sharex=True, squeeze=False)
    for col, name in enumerate(names):
        run = runs[name]
        start = run.result.events.get("treatment_start", 0.0)
        totals = run.result.totals
        after = totals[totals["time"] >= start - 30]
        ax = axes[0][col]
        for t in run.result.type_names:
            ax.plot(after["time"] - start, after[t].clip(lower=0.5), label=t)
        ax.set_yscale("log")
        ax.set_ylim(bottom=1)
        ax.set_title(name)
        ax.set_ylabel("cells")
        comp = run.compartments[run.compartments["time"] >= start - 30]
        for row, c in enumerate(compartments, start=1):
            axes[row][col].plot(comp["time"] - start, comp[c], color="tab:green")
            axes[row][col].set_ylabel(c)
        if added:
            dosing = run.result.dosing
            on = dosing[(dosing["drug"] == added) & (dosing["level"] > 0)]
            if len(on):
                for r in range(1 + len(compartments)):
                    axes[r][col].axvline(float(on["time"].min()) - start, color="grey", ls=":", lw=1)
        axes[-1][col].set_xlabel("days from treatment start")
    axes[0][0].legend(frameon=False)
    fig.tight_layout()
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
