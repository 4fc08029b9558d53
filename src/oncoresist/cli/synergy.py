"""``oncoresist synergy``: dose-response fits and synergy scores of drug-combination screens."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Annotated

import typer

from oncoresist._core import (
    InputError,
    Provenance,
    atomic_output_dir,
    write_table,
    write_text_atomic,
)
from oncoresist.cli._common import console, err_console, show_frame, show_json

app = typer.Typer(
    help="Drug combinations: dose-response fits, synergy scores (HSA, Bliss, Loewe, ZIP, MuSyC).",
    no_args_is_help=True,
)

_RESPONSE_HELP = "inhibition (% inhibition, 0 = untreated) or viability (% viability, 100 = untreated)"


def _read(path: Path, response: str, matrix: bool, drugs: str | None, unit: str):
    from oncoresist import synergy

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", synergy.ResponseConventionWarning)
        if matrix:
            names = (drugs or "drug1,drug2").split(",")
            if len(names) != 2:
                msg = f"--drugs must name two drugs separated by a comma; got {drugs!r}"
                raise InputError(msg, field="--drugs")
            screen = synergy.read_matrix(path, drug1=names[0], drug2=names[1], conc_unit=unit, response=response)
        else:
            screen = synergy.read_screen(path, response=response)
    # The convention warnings are kept in screen.notes and printed with the other notes.
    del caught
    return screen


def _figures(result, screen, folder: Path, models) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from oncoresist import synergy

    folder.mkdir(parents=True, exist_ok=True)
    for block_id, block in screen.blocks.items():
        if block.n_drugs != 2:
            continue
        wells = result.wells[result.wells["block_id"] == block_id]
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in block_id)
        names = (block.drugs[0], block.drugs[1])
        figures = {
            "response": synergy.plot_heatmap(wells, "response", title=f"block {block_id}: % inhibition", drugs=names)
        }
        for model in models:
            figures[f"{model}_heatmap"] = synergy.plot_heatmap(
                wells, f"{model}_synergy", title=f"block {block_id}: {model} synergy", drugs=names
            )
            figures[f"{model}_surface"] = synergy.plot_surface(
                wells, model, title=f"block {block_id}: {model} synergy", drugs=names
            )
        fig, axes = plt.subplots(1, 2, figsize=(8, 3))
        for i in range(2):
            mono = block.doses[:, 1 - i] == 0
            dose, resp = block.doses[mono, i], block.response[mono]
            try:
                fit = synergy.fit_dose_response(dose, resp, drug=block.drugs[i])
            except InputError as exc:  # e.g. a single dose: no curve to draw, say why
                axes[i].set_title(f"{block.drugs[i]}: no curve ({exc.message})", fontsize=7, wrap=True)
                continue
            synergy.plot_dose_response(fit, dose, resp, ax=axes[i])
        fig.tight_layout()
        figures["curves"] = fig
        for name, fig in figures.items():
            # Fixed metadata so that the same input gives the same bytes.
            fig.savefig(folder / f"block_{safe}_{name}.png", dpi=90, metadata={"Software": None}, bbox_inches="tight")
            plt.close(fig)


@app.command("score")
def score_command(
    data: Annotated[Path, typer.Argument(help="Screen in SynergyFinder long format (or a matrix with --matrix).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (replaced atomically).")],
    response: Annotated[str, typer.Option("--response", help=_RESPONSE_HELP)] = "inhibition",
    models: Annotated[str, typer.Option("--models", help="Comma-separated: hsa, bliss, loewe, zip.")] = "hsa,bliss,loewe,zip",
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Replicate-bootstrap samples per block (0: none).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    musyc: Annotated[bool, typer.Option("--musyc", help="Also fit MuSyC parameters for each pair.")] = False,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write figures.")] = True,
    matrix: Annotated[bool, typer.Option("--matrix", help="DATA is one block as a wide matrix.")] = False,
    drugs: Annotated[str | None, typer.Option("--drugs", help="With --matrix: the two drug names, 'a,b'.")] = None,
    unit: Annotated[str, typer.Option("--unit", help="With --matrix: concentration unit.")] = "",
) -> None:
    """Score every well and block; write wells.tsv, blocks.tsv, fits.tsv, figures."""
    from oncoresist import synergy

    screen = _read(data, response, matrix, drugs, unit)
    if console.is_terminal:
        from rich.progress import Progress

        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("scoring blocks", total=len(screen.blocks))
            result = synergy.score(
                screen, models=models, bootstrap=bootstrap, rng=seed,
                progress=lambda done, total: bar.update(task, completed=done),
            )
    else:
        result = synergy.score(screen, models=models, bootstrap=bootstrap, rng=seed)
    chosen = [m.strip() for m in models.split(",") if m.strip()]
    with atomic_output_dir(out) as tmp:
        result.write(tmp)
        if musyc:
            import pandas as pd

            rows = [synergy.fit_musyc(b).to_dict() for b in screen.blocks.values() if b.n_drugs == 2]
            write_table(pd.DataFrame(rows), tmp / "musyc.tsv", provenance=result.provenance)
        if plots:
            _figures(result, screen, tmp / "figures", chosen)
    show_frame(result.blocks, title="block scores (synergy > 0: synergy; % inhibition)")
    for note in result.notes:
        err_console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)


@app.command("fit")
def fit_command(
    data: Annotated[Path, typer.Argument(help="Screen in SynergyFinder long format.")],
    response: Annotated[str, typer.Option("--response", help=_RESPONSE_HELP)] = "inhibition",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Fit the single-drug curves of every block and print them."""
    from oncoresist import synergy

    screen = _read(data, response, False, None, "")
    result = synergy.score(screen, models="loewe", window=False)
    show_frame(result.fits, title="single-drug fits (% inhibition)", as_json=as_json)


@app.command("effect")
def effect_command(
    data: Annotated[Path, typer.Argument(help="Screen in SynergyFinder long format.")],
    block: Annotated[str, typer.Option("--block", help="block_id of the pair.")],
    response: Annotated[str, typer.Option("--response", help=_RESPONSE_HELP)] = "inhibition",
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON here instead of printing it.")] = None,
) -> None:
    """Fit a pair's combined effect (Hill/Emax per drug + interaction) for simulators, as JSON."""
    from oncoresist import synergy

    screen = _read(data, response, False, None, "")
    if block not in screen.blocks:
        msg = f"no block {block!r}; the file has blocks {', '.join(screen.blocks)}"
        raise InputError(msg, path=data, field="--block")
    payload = synergy.effect_model(screen.blocks[block]).to_dict()
    payload["note"] = "fractions of cells killed; research use only"
    payload["provenance"] = Provenance.create(
        "oncoresist synergy effect", parameters={"block": block, "response": response}, inputs=[data]
    ).to_dict()
    if out is None:
        show_json(payload)
    else:
        write_text_atomic(out, json.dumps(payload, indent=2, sort_keys=True) + "\n")
