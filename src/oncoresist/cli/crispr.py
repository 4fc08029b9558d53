"""``oncoresist crispr``: count guides, check screen quality, rank resistance/sensitiser genes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncoresist._core import InputError
from oncoresist.cli._common import show_frame

app = typer.Typer(
    help="Pooled CRISPR screens under drug: count, QC, MAGeCK-style RRA and drugZ tests.",
    no_args_is_help=True,
)


def _split(text: str, option: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        msg = f"{option} needs at least one sample label (comma-separated); got {text!r}"
        raise InputError(msg, field=option)
    return items


def _read_ids(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    if not path.is_file():
        msg = "does not exist; give a file with one control sgRNA id (or gene) per line"
        raise InputError(msg, path=path)
    ids = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not ids:
        msg = "is empty; give one control sgRNA id (or gene) per line"
        raise InputError(msg, path=path)
    return ids


@app.command("count")
def count(
    library: Annotated[Path, typer.Option("-l", "--list-seq", "--library", help="Library: sgRNA id, sequence, gene per line.")],
    fastq: Annotated[list[Path], typer.Option("--fastq", help="FASTQ(.gz) file; repeat once per sample.")],
    output: Annotated[str, typer.Option("-o", "-n", "--output-prefix", help="Writes PREFIX.count.txt, PREFIX.countsummary.txt.")],
    sample_label: Annotated[str | None, typer.Option("--sample-label", help="Comma-separated labels, one per FASTQ.")] = None,
    position: Annotated[int | None, typer.Option("--position", help="0-based spacer offset in reads (default: detected).")] = None,
    reverse_complement: Annotated[bool, typer.Option("--reverse-complement", help="Match reverse complements.")] = False,
) -> None:
    """Count exact spacer matches in FASTQ files into a MAGeCK count table."""
    from oncoresist.crispr import count_reads

    labels = _split(sample_label, "--sample-label") if sample_label else None
    result = count_reads(
        library, fastq, labels=labels, position=position, reverse_complement=reverse_complement
    )
    result.write(output)
    show_frame(result.summary, title="count summary")


@app.command("qc")
def qc(
    count_table: Annotated[Path, typer.Option("-k", "--count-table", help="MAGeCK count table (tab or comma).")],
    output: Annotated[str, typer.Option("-o", "-n", "--output-prefix", help="Writes PREFIX.qc_*.txt and PREFIX.qc.png.")],
    replicates: Annotated[list[str] | None, typer.Option("--replicates", help="GROUP=s1,s2 (repeatable): replicate groups.")] = None,
    norm_method: Annotated[str, typer.Option("--norm-method", help="median, total or none.")] = "median",
    plot: Annotated[bool, typer.Option("--plot/--no-plot", help="Draw the QC panels.")] = True,
) -> None:
    """Mapped reads, zero-count guides, Gini index, count distribution, replicate correlation."""
    from oncoresist.crispr import plot_qc, read_counts, screen_qc

    groups = {}
    for spec in replicates or []:
        if "=" not in spec:
            msg = f"--replicates takes GROUP=sample1,sample2; got {spec!r}"
            raise InputError(msg, field="--replicates")
        name, members = spec.split("=", 1)
        groups[name.strip()] = _split(members, "--replicates")
    table = read_counts(count_table)
    result = screen_qc(table, replicates=groups, norm_method=norm_method)
    result.write(output)
    if plot:
        plot_qc(result, Path(output + ".qc.png"))
    show_frame(result.samples, title="samples")
    if len(result.replicates):
        show_frame(result.replicates, title="replicates")


@app.command("test")
def run_test(
    count_table: Annotated[Path, typer.Option("-k", "--count-table", help="MAGeCK count table (tab or comma).")],
    treatment: Annotated[str, typer.Option("-t", "--treatment-id", help="Treated (drug) samples, comma-separated.")],
    control: Annotated[str, typer.Option("-c", "--control-id", help="Control (vehicle/T0) samples, comma-separated.")],
    output: Annotated[str, typer.Option("-o", "-n", "--output-prefix", help="Writes PREFIX.gene_summary.txt, PREFIX.sgrna_summary.txt.")],
    method: Annotated[str, typer.Option("--method", help="rra (MAGeCK) or drugz (paired, in order).")] = "rra",
    norm_method: Annotated[str, typer.Option("--norm-method", help="median, total, control or none (rra).")] = "median",
    control_sgrna: Annotated[Path | None, typer.Option("--control-sgrna", help="File of negative-control sgRNA ids or genes (rra).")] = None,
    permutations: Annotated[int, typer.Option("--permutations", help="Random genes per gene in each stratum (rra).")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the permutations (rra).")] = 0,
    half_window_size: Annotated[int, typer.Option("--half-window-size", help="SD window half-width in guides (drugz).")] = 500,
    remove_genes: Annotated[str, typer.Option("--remove-genes", help="Genes to drop first, comma-separated (drugz).")] = "",
    plots: Annotated[bool, typer.Option("--plots", help="Also draw PREFIX.ranks.png and PREFIX.volcano.png (rra).")] = False,
    drug: Annotated[str | None, typer.Option("--drug", help="Drug of the screen: write PREFIX.hits.txt annotated from the knowledge base.")] = None,
    fdr: Annotated[float, typer.Option("--fdr", help="FDR cut-off of the hits annotated with --drug.")] = 0.1,
) -> None:
    """Rank genes depleted/enriched in treated vs control samples."""
    from oncoresist.crispr import drugz_test, plot_gene_ranks, plot_volcano, read_counts, rra_test

    table = read_counts(count_table)
    treated = _split(treatment, "--treatment-id")
    controls = _split(control, "--control-id")
    if method == "rra":
        ids = _read_ids(control_sgrna)
        if norm_method == "control" and ids is None:
            msg = "--norm-method control needs --control-sgrna FILE"
            raise InputError(msg, field="--control-sgrna")
        result = rra_test(
            table,
            treated,
            controls,
            norm_method=norm_method,
            control_guides=ids,
            permutations=permutations,
            rng=seed,
        )
        result.write(output)
        if plots:
            plot_gene_ranks(result.gene_summary, Path(output + ".ranks.png"))
            plot_volcano(result.gene_summary, Path(output + ".volcano.png"))
        show_frame(result.gene_summary.head(10), title="top depleted genes")
    elif method == "drugz":
        drop = [g for g in remove_genes.split(",") if g.strip()]
        result = drugz_test(
            table, treated, controls, half_window_size=half_window_size, remove_genes=drop
        )
        result.write(output)
        show_frame(result.gene_summary.head(10), title="top synthetic-lethal genes")
    else:
        msg = f"--method must be 'rra' or 'drugz'; got {method!r}"
        raise InputError(msg, field="--method")
    if drug is not None:
        _write_hits(result.gene_summary, drug, fdr, Path(output + ".hits.txt"))


def _write_hits(gene_summary, drug: str, fdr: float, path: Path) -> None:
    from oncoresist._core import write_table
    from oncoresist.crispr import annotate_hits

    hits = annotate_hits(gene_summary, drug, fdr=fdr)
    write_table(hits, path)
    show_frame(hits, title=f"hits at FDR {fdr} with {drug}: knowledge base")


@app.command("annotate")
def annotate(
    gene_summary: Annotated[Path, typer.Option("-g", "--gene-summary", help="MAGeCK gene_summary or drugZ gene table.")],
    drug: Annotated[str, typer.Option("--drug", help="Drug the screen was run with.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Table of annotated hits (TSV).")],
    fdr: Annotated[float, typer.Option("--fdr", help="FDR cut-off of hits.")] = 0.1,
) -> None:
    """Annotate screen hits with their pathway position and known resistance rules."""
    import pandas as pd

    if not gene_summary.is_file():
        msg = "does not exist; give the gene_summary written by 'crispr test'"
        raise InputError(msg, path=gene_summary)
    frame = pd.read_csv(gene_summary, sep="\t")
    _write_hits(frame, drug, fdr, output)


@app.command("mle")
def mle(
    count_table: Annotated[Path, typer.Option("-k", "--count-table", help="MAGeCK count table (tab or comma).")],
    design_matrix: Annotated[Path, typer.Option("-d", "--design-matrix", help="Samples x baseline, conditions (0/1).")],
    output: Annotated[str, typer.Option("-o", "-n", "--output-prefix", help="Writes PREFIX.gene_summary.txt (MAGeCK MLE columns).")],
    norm_method: Annotated[str, typer.Option("--norm-method", help="median, total, control or none.")] = "median",
    control_sgrna: Annotated[Path | None, typer.Option("--control-sgrna", help="File of control sgRNA ids or genes.")] = None,
    permutation_round: Annotated[int, typer.Option("--permutation-round", help="Random genes per gene in each stratum.")] = 2,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the permutations.")] = 0,
    drug: Annotated[str | None, typer.Option("--drug", help="Drug of the screen, to annotate the hits of --condition.")] = None,
    condition: Annotated[str | None, typer.Option("--condition", help="Design column whose hits are annotated with --drug.")] = None,
    fdr: Annotated[float, typer.Option("--fdr", help="Wald FDR cut-off of the annotated hits.")] = 0.1,
) -> None:
    """Negative-binomial GLM: per-condition gene betas (MAGeCK MLE layout)."""
    from oncoresist.crispr import mle_test, read_counts, read_design

    table = read_counts(count_table)
    design = read_design(design_matrix)
    ids = _read_ids(control_sgrna)
    result = mle_test(
        table, design, norm_method=norm_method, control_guides=ids,
        permutation_rounds=permutation_round, rng=seed,
    )
    result.write(output)
    show_frame(result.gene_summary.head(10), title="genes")
    if drug is not None:
        cond = condition or str(design.columns[-1])
        column = f"{cond}|beta"
        if column not in result.gene_summary.columns:
            msg = f"--condition {cond!r} is not a design column; use one of {', '.join(map(str, design.columns[1:]))}"
            raise InputError(msg, field="--condition")
        g = result.gene_summary
        beta = g[column]
        wald = g[f"{cond}|wald-fdr"]
        summary = _mle_hits_frame(g["Gene"], beta, wald)
        _write_hits(summary, drug, fdr, Path(output + ".hits.txt"))


def _mle_hits_frame(genes, beta, fdr):
    import numpy as np
    import pandas as pd

    # Express one condition's betas as a two-sided gene summary: enriched genes are 'pos'.
    return pd.DataFrame(
        {
            "id": genes,
            "neg|fdr": np.where(beta < 0, fdr, 1.0),
            "pos|fdr": np.where(beta > 0, fdr, 1.0),
            "neg|lfc": beta / np.log(2.0),
            "pos|lfc": beta / np.log(2.0),
        }
    )


@app.command("drugz")
def drugz(
    count_table: Annotated[Path, typer.Option("-k", "-i", "--count-table", help="Count table (sgRNA, gene, samples).")],
    drug: Annotated[str, typer.Option("-x", "--drug", help="Drug samples, comma-separated, paired with -c.")],
    control: Annotated[str, typer.Option("-c", "--control", help="Vehicle samples, comma-separated, same order.")],
    output: Annotated[str, typer.Option("-o", "--output-prefix", help="Writes PREFIX.gene_summary.txt, PREFIX.sgrna_summary.txt.")],
    half_window_size: Annotated[int, typer.Option("--half-window-size", help="SD window half-width in guides.")] = 500,
    pseudocount: Annotated[float, typer.Option("-p", "--pseudocount", help="Pseudocount on normalised counts.")] = 5.0,
    min_obs: Annotated[int, typer.Option("--minobs", help="Minimum non-zero guide z-scores per gene.")] = 1,
    remove_genes: Annotated[str, typer.Option("-r", "--remove-genes", help="Genes to drop first, comma-separated.")] = "",
) -> None:
    """drugZ: paired drug-vs-vehicle z-scores summed per gene."""
    from oncoresist.crispr import drugz_test, read_counts

    table = read_counts(count_table)
    result = drugz_test(
        table,
        _split(drug, "--drug"),
        _split(control, "--control"),
        half_window_size=half_window_size,
        pseudocount=pseudocount,
        min_obs=min_obs,
        remove_genes=[g for g in remove_genes.split(",") if g.strip()],
    )
    result.write(output)
    show_frame(result.gene_summary.head(10), title="drugZ genes")
