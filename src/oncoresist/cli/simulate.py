"""``oncoresist simulate MODEL.yaml``: run virtual patients of a model file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from oncoresist._core.provenance import Provenance
from oncoresist.cli._common import console, show_frame


def _simulate(
    model: Annotated[Path, typer.Argument(help="Model file (YAML); see docs/evolve.md.")],
    runs: Annotated[int, typer.Option("--runs", "-n", help="Number of virtual patients.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (patients get spawned child seeds).")] = 1,
    engine: Annotated[
        str | None, typer.Option("--engine", help="hybrid, exact or ode (default: the file's, else hybrid).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for runs.tsv, summary.tsv, provenance.json.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Worker processes (default: CPU count).")] = None,
    clone_tables: Annotated[
        int, typer.Option("--clone-tables", help="Also write the clone tables of the first K patients (with --out).")
    ] = 0,
) -> None:
    """Simulate MODEL.yaml for many patients; print outcome probabilities with standard errors."""
    from oncoresist.evolve import load_scenario, simulate_ensemble

    scenario = load_scenario(model)
    options = scenario.simulate_options()
    if engine is not None:
        from oncoresist.evolve._engines import make_engine

        make_engine(engine)  # validates the name
        options["engine"] = engine
        if engine != scenario.engine:
            options["engine_options"] = {}
    progress = None
    bar = None
    if console.is_terminal:
        from rich.progress import Progress

        bar = Progress(console=console, transient=True)
        task = bar.add_task("patients", total=runs)
        bar.start()

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done)

    try:
        result = simulate_ensemble(scenario.model, scenario.strategy, runs=runs, rng=seed, workers=workers,
                                   on_progress=progress, keep=clone_tables if out is not None else 0, **options)
    finally:
        if bar is not None:
            bar.stop()
    summary = result.summary()
    show_frame(summary, title=f"{scenario.model.name}: {runs} patients, seed {seed}, engine {options['engine']}")
    p, se = result.probability("extinct")
    line = f"eradication probability: {p:.4f} ± {se:.4f} (SE, {runs} patients)"
    for quantity, value, source in scenario.reference_values():
        if quantity == "P(extinct)":
            line += f"; formula: {value:.4f} [{source}]"
    sys.stdout.write(line + "\n")
    if out is not None:
        prov = Provenance.create(
            "oncoresist simulate",
            parameters={"runs": runs, "engine": options["engine"], "model": str(model)},
            seed=seed,
            inputs=[model],
        )
        result.write(out, provenance=prov)


def register(root: typer.Typer) -> None:
    root.command("simulate", help="Simulate virtual patients of a model file (clonal evolution under therapy).")(
        _simulate
    )
