"""``oncoresist ctdna``: serial liquid-biopsy calls, emerging resistance, synthetic cohorts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncoresist.cli._common import console, show_frame

KEY_HELP = ("Secret pseudonymisation key file (`oncoresist store keygen`): patient_id and sample_id "
            "in every output file, plot name and printed line become the store's pseudonyms.")

# Tables of a call/track result that carry patient_id and/or sample_id.
_ID_TABLES = ("calls", "sample_tests", "events", "kinetics", "summary", "therapy", "imaging")


def _pseudonymised(result, key: Path | None):
    """The result with patient and sample identifiers replaced by keyed pseudonyms (--key)."""
    if key is None:
        return result
    import dataclasses

    from oncoresist.privacy import load_key, pseudonymise_ids

    secret = load_key(key)
    tables = {name: pseudonymise_ids(getattr(result, name), secret)
              for name in _ID_TABLES if getattr(result, name, None) is not None}
    # The key's public id (never the key) says which key the pseudonyms were made with.
    parameters = {**result.parameters, "pseudonym_key_id": secret.key_id}
    # Input files keep their hashes in the provenance but not their names (often a patient's).
    inputs = {f"input{i}": path for i, path in enumerate(result.inputs, start=1)}
    return dataclasses.replace(result, parameters=parameters, inputs=inputs, **tables)

app = typer.Typer(
    help="Liquid biopsy: ctDNA calls with limits of detection, emergence of resistance over time.",
    no_args_is_help=True,
)


@app.command("call")
def call_command(
    samples: Annotated[Path, typer.Argument(help="Long table: patient_id sample_id day gene alteration alt_reads depth.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (calls.tsv, sample_tests.tsv, background.tsv).")],
    normals: Annotated[Path | None, typer.Option("--normals", help="Panel of normals (same columns, healthy donors).")] = None,
    alpha: Annotated[float, typer.Option(help="Per-variant significance level.")] = 0.01,
    background: Annotated[str, typer.Option(help="Background fit: mle or moments.")] = "mle",
    specificity: Annotated[float, typer.Option(help="Specificity of the per-sample test, calibrated on normals.")] = 0.95,
    error_rate: Annotated[float, typer.Option("--error-rate", help="Error rate assumed without normals.")] = 1e-3,
    key: Annotated[Path | None, typer.Option("--key", help=KEY_HELP)] = None,
) -> None:
    """Detect each variant in each plasma sample against the assay background."""
    from oncoresist import ctdna

    result = ctdna.call(samples, normals=normals, alpha=alpha, background=background,
                        specificity=specificity, default_error_rate=error_rate)
    result.parameters["command"] = "oncoresist ctdna call"
    result = _pseudonymised(result, key)
    result.write(out)
    detected = int(result.calls["detected"].sum())
    console.print(f"{len(result.calls)} calls ({detected} detected) written to {out.name}", highlight=False)


@app.command("track")
def track_command(
    samples: Annotated[Path, typer.Argument(help="Long table of serial samples.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (calls, events, kinetics, summary, plots).")],
    therapy: Annotated[Path | None, typer.Option("--therapy", help="Therapy history: patient_id drug start_day end_day.")] = None,
    imaging: Annotated[Path | None, typer.Option("--imaging", help="Imaging: patient_id day result (PD marks progression).")] = None,
    normals: Annotated[Path | None, typer.Option("--normals", help="Panel of normals.")] = None,
    alpha: Annotated[float, typer.Option(help="Per-variant significance level.")] = 0.01,
    consecutive: Annotated[int, typer.Option(help="Consecutive detections that confirm an emergence.")] = 2,
    strong_p: Annotated[float, typer.Option("--strong-p", help="A single detection at or below this p confirms.")] = 1e-6,
    error_rate: Annotated[float, typer.Option("--error-rate", help="Error rate assumed without normals.")] = 1e-3,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write one PNG per patient.")] = True,
    key: Annotated[Path | None, typer.Option("--key", help=KEY_HELP)] = None,
) -> None:
    """Follow patients over time: emergence, clearance, response, progression, kinetics."""
    from oncoresist import ctdna

    rules = ctdna.EventRules(consecutive=consecutive, strong_p=strong_p)
    result = ctdna.track(samples, therapy=therapy, imaging=imaging, normals=normals, rules=rules,
                         alpha=alpha, default_error_rate=error_rate)
    result.parameters["command"] = "oncoresist ctdna track"
    result = _pseudonymised(result, key)
    result.write(out, plots=plots)
    shown = result.events[result.events["event"].isin(["emergence", "molecular_progression"])]
    show_frame(shown[["patient_id", "variant", "event", "day", "confirmed_day", "annotation"]],
               title="emergence and molecular progression")
    console.print(f"results written to {out.name}", highlight=False)


@app.command("simulate")
def simulate_command(
    out: Annotated[Path, typer.Option("--out", help="Output folder (samples, normals, therapy, imaging, truth).")],
    patients: Annotated[int, typer.Option(help="Number of patients.")] = 20,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    sample_interval: Annotated[float, typer.Option("--sample-interval", help="Days between blood draws.")] = 28.0,
    n_normals: Annotated[int, typer.Option("--n-normals", help="Healthy donors in the panel of normals.")] = 50,
) -> None:
    """Write a synthetic EGFR-mutant cohort (tumours from oncoresist.evolve) with its truth."""
    from oncoresist import ctdna

    cohort = ctdna.simulate_cohort(patients, sample_interval=sample_interval, n_normals=n_normals, rng=seed)
    cohort.write(out)
    console.print(f"{patients} patients, {len(cohort.samples)} rows written to {out.name}", highlight=False)
