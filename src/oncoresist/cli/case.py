"""``oncoresist case``: a patient case from data to forecast, and case-file validation."""

from __future__ import annotations

import contextlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated

import typer

from oncoresist.cli._common import console, err_console, show_frame

app = typer.Typer(
    help="A patient case: annotate, track ctDNA, calibrate, forecast strategies, report.",
    no_args_is_help=True,
)


@app.command("run")
def run_command(
    case: Annotated[Path, typer.Argument(metavar="CASE.yaml", help="The case file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (written atomically).")],
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (default: the case file's seed).")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Processes for the calibration (1 = in this process).")] = 1,
) -> None:
    """Run the case and write report.html, TSV/JSON tables and MultiQC files into OUT."""
    from oncoresist.case import run_case

    with contextlib.ExitStack() as stack:
        executor = stack.enter_context(ProcessPoolExecutor(workers)) if workers > 1 else None
        if err_console.is_terminal:
            stack.enter_context(err_console.status(f"running case {case.name}"))
        result = run_case(case, out=out, rng=seed, executor=executor)
    for step, why in result.skipped.items():
        err_console.print(f"skipped {step}: {why}", markup=False, highlight=False)
    if result.forecast is not None:
        frame = result.forecast.summary()[["strategy", "ttp_median", "ttp_ci_low", "ttp_ci_high",
                                           "emergence_median"]]
        show_frame(frame, title=f"forecast for {result.pseudonym} from day {result.forecast.start_day:g}")
    # the folder name only: a full path may name the patient (issue 13)
    console.print(f"report: {out.name}/report.html", markup=False, highlight=False)


@app.command("validate")
def validate_command(
    case: Annotated[Path, typer.Argument(metavar="CASE.yaml", help="The case file.")],
) -> None:
    """Check a case file, its data files, drug names and days, without running anything."""
    from oncoresist.case import load_case

    loaded = load_case(case)
    parts = [f"{len(loaded.case.therapy_history)} therapy line(s)", f"{len(loaded.case.strategies)} strategies"]
    if loaded.ctdna is not None:
        parts.append(f"{loaded.ctdna['sample_id'].nunique()} ctDNA samples")
    if loaded.imaging is not None:
        parts.append(f"{len(loaded.imaging)} scans")
    console.print(f"{case.name}: valid ({', '.join(parts)})", markup=False, highlight=False)
