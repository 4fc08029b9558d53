"""``oncoresist therapy compare SCENARIO.yaml``: strategies compared on the same virtual patients."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncoresist.cli._common import console, show_frame

app = typer.Typer(help="Compare and optimise treatment strategies on virtual patients (research use only).",
                  no_args_is_help=True)


@app.command("compare")
def compare_command(
    scenario: Annotated[Path, typer.Argument(help="Therapy scenario (YAML); see docs/therapy.md.")],
    patients: Annotated[int | None, typer.Option("--patients", "-n", help="Virtual patients (default: the file's).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (default: the file's).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for outcomes.tsv, patients.tsv, figures.")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes (1: this process).")] = 1,
) -> None:
    """Run every strategy of SCENARIO.yaml on the same patients; print and write the outcome table."""
    from oncoresist._core.provenance import Provenance
    from oncoresist.therapy import compare, load_therapy_scenario

    sc = load_therapy_scenario(scenario)
    n = patients if patients is not None else sc.patients
    s = seed if seed is not None else sc.seed
    bar = progress = None
    if console.is_terminal:
        from rich.progress import Progress

        bar = Progress(console=console, transient=True)
        task = bar.add_task("patients", total=n)
        bar.start()

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done)

    try:
        result = compare(sc.model, sc.strategies, sc.settings, n_patients=n, rng=s, workers=workers,
                         on_progress=progress)
    finally:
        if bar is not None:
            bar.stop()
    columns = ["strategy", "patients", "median_ttp", "median_ttp_ci_low", "median_ttp_ci_high", "p_eradication",
               "p_eradication_se", "mean_dose_total"]
    show_frame(result.outcomes[columns].round(4), title=f"{sc.name}: {n} patients, seed {s} (research use only)")
    if out is not None:
        prov = Provenance.create("oncoresist therapy compare", parameters={"patients": n, "workers": workers},
                                 seed=s, inputs=list(sc.inputs))
        result.write(out, provenance=prov)
        console.print(f"wrote {out}")
