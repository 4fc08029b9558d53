"""``oncoresist clonal``: clonal deconvolution, clone trees and Muller plots.

Also reachable as ``oncoresist clones`` (the spelling of issue #7).
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated

import typer

from oncoresist._core import InputError, Provenance, read_table, write_table
from oncoresist.cli._common import err_console, show_frame

app = typer.Typer(
    help="Clonal deconvolution (PyClone-VI formats), clone trees and Muller plots.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="clonal")
    root.add_typer(app, name="clones", hidden=True)


@app.command("fit")
def fit_command(
    out: Annotated[Path, typer.Option("-o", "--out", help="Results TSV (PyClone-VI layout); sidecars are written beside it.")],
    input_path: Annotated[Path | None, typer.Argument(metavar="INPUT", help="PyClone-VI input TSV or Pairtree .ssm.")] = None,
    input_option: Annotated[Path | None, typer.Option("-i", "--input", help="Same as INPUT (PyClone-VI's spelling).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed and input, same output).")] = 0,
    max_clusters: Annotated[int, typer.Option("--max-clusters", "-c", help="Largest number of clusters tried.")] = 10,
    restarts: Annotated[int, typer.Option("--restarts", "-r", help="Random starts per number of clusters.")] = 10,
    density: Annotated[str, typer.Option("--density", "-d", help="binomial or beta-binomial.")] = "binomial",
    precision: Annotated[float, typer.Option("--precision", help="Beta-binomial precision.")] = 200.0,
    grid_size: Annotated[int, typer.Option("--grid-size", "-g", help="CCF grid points on [0, 1].")] = 101,
    drop_zero_cn: Annotated[bool, typer.Option("--drop-zero-cn", help="Drop mutations with major_cn=0 (with a warning) instead of stopping.")] = False,
    drop_incomplete: Annotated[bool, typer.Option("--drop-incomplete", help="Drop mutations missing from some sample (with a warning) instead of stopping.")] = False,
    params: Annotated[Path | None, typer.Option("--params", help="Pairtree .params.json naming the samples of an .ssm file.")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Processes for the restarts (1 = in this process).")] = 1,
    key: Annotated[Path | None, typer.Option("--key", help="Secret pseudonymisation key file (`oncoresist store keygen`): sample_id values in every output and printed table become SMP- pseudonyms (default: the PyClone-VI files keep the input's names).")] = None,
    patient: Annotated[str | None, typer.Option("--patient", help="With --key: the patient the samples come from; sample pseudonyms are then qualified by the patient's pseudonym, as in the store.")] = None,
) -> None:
    """Cluster mutations by cancer cell fraction; write PyClone-VI's results TSV."""
    from oncoresist import clonal

    if patient is not None and key is None:
        msg = "--patient only qualifies sample pseudonyms: give it together with --key"
        raise InputError(msg, field="--patient")
    source = input_path or input_option
    if source is None:
        msg = "give the input file: oncoresist clonal fit INPUT.tsv -o RESULTS.tsv"
        raise InputError(msg, field="INPUT")
    if source.suffix == ".ssm":
        data = clonal.read_ssm(source, params)
    else:
        data = clonal.read_pyclone(source, zero_copy_number="drop" if drop_zero_cn else "error",
                                   incomplete="drop" if drop_incomplete else "error")
    options = dict(max_clusters=max_clusters, restarts=restarts, density=density, precision=precision,
                   grid_size=grid_size, rng=seed)
    with _progress(f"fitting {data.shape[0]} mutations x {data.shape[1]} samples") as progress:
        if workers > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                result = clonal.fit(data, executor=pool, progress=progress, **options)
        else:
            result = clonal.fit(data, progress=progress, **options)
    if key is not None:
        result = _pseudonymised(result, key, patient)
    result.write(out)
    show_frame(result.evidence, title="evidence for the number of clusters")
    show_frame(result.clusters_frame(), title=f"{result.n_clusters} clusters")
    err_console.print(f"wrote {out.name}", markup=False, highlight=False)


def _pseudonymised(result, key: Path, patient: str | None):
    """The fit with its sample names replaced by keyed pseudonyms (--key)."""
    import dataclasses

    import pandas as pd

    from oncoresist.privacy import load_key, pseudonymise_ids

    names = pd.DataFrame({"sample_id": list(result.samples)})
    renamed = pseudonymise_ids(names, load_key(key), patient_columns=(), patient=patient)
    # The input's hash stays in the provenance, its file name (often a patient's) does not.
    return dataclasses.replace(result, samples=tuple(renamed["sample_id"]),
                               provenance=result.provenance.without_input_names())


@contextlib.contextmanager
def _progress(description: str):
    """A rich progress bar over the numbers of clusters, on a terminal only."""
    if not err_console.is_terminal:
        yield None
        return
    from rich.progress import Progress

    with Progress(console=err_console, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(k: int, total: int) -> None:
            bar.update(task, completed=k, total=total, description=f"{description}: K={k}")

        yield update


@app.command("simulate")
def simulate_command(
    out: Annotated[Path, typer.Option("-o", "--out", help="PyClone-VI input TSV with truth columns (clone, parent_clone, ccf).")],
    clones: Annotated[int, typer.Option("--clones", help="Number of clones.")] = 5,
    samples: Annotated[int, typer.Option("--samples", help="Number of samples.")] = 3,
    mutations: Annotated[int, typer.Option("--mutations", help="Number of mutations.")] = 200,
    depth: Annotated[float, typer.Option("--depth", help="Mean read depth.")] = 200.0,
    density: Annotated[str, typer.Option("--density", help="binomial or beta-binomial reads.")] = "binomial",
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
) -> None:
    """Simulate multi-sample read counts from a random clone tree (for testing pipelines)."""
    from oncoresist import clonal

    truth = clonal.simulate(n_clones=clones, n_samples=samples, n_mutations=mutations, depth=depth,
                            density=density, rng=seed)
    provenance = Provenance.create("oncoresist clonal simulate", parameters={
        "clones": clones, "samples": samples, "mutations": mutations, "depth": depth, "density": density}, seed=seed)
    write_table(truth.to_frame(), out, provenance=provenance, float_format="%.6g")
    err_console.print(f"wrote {out}", markup=False, highlight=False)


def _read_tree(path: Path) -> dict[int, int]:
    if path.is_dir():
        path = path / "trees.tsv"
    frame = read_table(path, required=["cluster_id", "parent_id"], types={"cluster_id": "int", "parent_id": "int"})
    if "tree" in frame.columns:
        frame = frame.loc[frame["tree"].astype(int) == 0]
    return {int(c): int(p) for c, p in zip(frame["cluster_id"], frame["parent_id"], strict=True)}


@app.command("tree")
def tree_command(
    results: Annotated[Path, typer.Argument(help="PyClone-VI results TSV (from `clonal fit` or PyClone-VI).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder: trees.tsv, violations.tsv, trees.nwk, summary.json.")],
    tolerance: Annotated[float, typer.Option("--tolerance", help="Allowed excess of children over parent, in standard deviations.")] = 2.0,
    margin: Annotated[float, typer.Option("--margin", help="Report trees within this many log units of the best.")] = 2.0,
    max_trees: Annotated[int, typer.Option("--max-trees", help="Most trees reported.")] = 50,
) -> None:
    """Clone trees that respect the sum rule in every sample."""
    from oncoresist import clonal

    search = clonal.trees(results, tolerance=tolerance, margin=margin, max_trees=max_trees)
    search.write(out)
    typer.echo(f"best tree: {search.best.to_newick()}")
    typer.echo(
        f"{len(search.trees)} tree(s) within {margin} of the best; {search.n_consistent} consistent tree(s) found"
        + ("" if search.complete else " (search budget exhausted)")
    )
    if not search.best.consistent:
        err_console.print("warning: no tree satisfies the sum rule; the best tree breaks it at:", markup=False)
        for violation in search.best.violations:
            err_console.print(f"  {violation.describe()}", markup=False, highlight=False)


def _parse_times(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    times = {}
    for item in text.split(","):
        sample, sep, value = item.partition("=")
        try:
            times[sample.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            msg = f"--times expects SAMPLE=TIME pairs separated by commas (e.g. pre=0,relapse=180); got {item!r}"
            raise InputError(msg, field="--times")
    return times


def _parse_therapy(items: list[str] | None) -> list[tuple[float, float, str]]:
    periods = []
    for item in items or []:
        parts = item.split(":", 2)
        try:
            start, end = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            msg = f"--therapy expects START:END[:LABEL] (e.g. 30:90:osimertinib); got {item!r}"
            raise InputError(msg, field="--therapy") from None
        periods.append((start, end, parts[2] if len(parts) > 2 else ""))
    return periods


@app.command("muller")
def muller_command(
    table: Annotated[Path, typer.Argument(help="PyClone-VI results TSV, or an oncoresist.evolve clone table (time clone_id parent_id type size).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Figure file (.png, .pdf, .svg); the band table is written beside it as <stem>.bands.tsv.")],
    tree: Annotated[Path | None, typer.Option("--tree", help="Tree for results: the folder or trees.tsv from `clonal tree`, or a cluster_id/parent_id TSV. Default: the best tree found now.")] = None,
    times: Annotated[str | None, typer.Option("--times", help="Sample times for results, e.g. pre=0,progression=120.")] = None,
    therapy: Annotated[list[str] | None, typer.Option("--therapy", help="Therapy period START:END[:LABEL]; repeatable.")] = None,
    absolute: Annotated[bool, typer.Option("--absolute", help="Plot cell numbers instead of fractions (clone tables).")] = False,
) -> None:
    """Draw a Muller (fish) plot with therapy periods marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from oncoresist import clonal
    from oncoresist._core import atomic_write

    frame = read_table(table)
    if "cellular_prevalence" in frame.columns:
        frame = clonal.read_results(table)
        parents = _read_tree(tree) if tree is not None else clonal.trees(frame).best
        checked = clonal.check_tree(parents, frame)
        if not checked.consistent:
            err_console.print("warning: the tree breaks the sum rule at:", markup=False)
            for violation in checked.violations:
                err_console.print(f"  {violation.describe()}", markup=False, highlight=False)
    else:
        frame = read_table(table, required=["time", "clone_id", "parent_id", "size"],
                           types={"time": "float", "size": "float"})
        parents = _read_tree(tree) if tree is not None else None
    bands = clonal.muller_layout(frame, parents, times=_parse_times(times), normalize=not absolute)
    ax = clonal.pl.muller(bands, therapy=_parse_therapy(therapy), normalize=not absolute)
    figure = ax.figure
    figure.tight_layout()
    suffix = out.suffix.lstrip(".") or "png"
    with atomic_write(out, "wb") as handle:
        figure.savefig(handle, format=suffix, dpi=150, metadata={"Software": None} if suffix == "png" else None)
    plt.close(figure)
    stem = out.name.rsplit(".", 1)[0]
    provenance = Provenance.create("oncoresist clonal muller", parameters={"times": times, "therapy": therapy,
                                   "absolute": absolute}, inputs=[table] + ([tree] if tree and tree.is_file() else []))
    write_table(bands, out.with_name(f"{stem}.bands.tsv"), provenance=provenance)
    err_console.print(f"wrote {out}", markup=False, highlight=False)
