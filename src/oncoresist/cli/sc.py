"""``oncoresist sc``: resistant subpopulations and clones in single-cell data under drug."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncoresist._core import InputError, Provenance, atomic_output_dir, write_text_atomic
from oncoresist.cli._common import console, show_frame

app = typer.Typer(
    help="Single-cell data under drug: programme scores, enriched states (Milo-style), clones.",
    no_args_is_help=True,
)

# Programmes drawn in the figure besides the drug's target outputs (all are in the tables).
FIGURE_PROGRAMMES = (
    "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION", "HALLMARK_HYPOXIA", "HALLMARK_TGF_BETA_SIGNALING",
    "HALLMARK_TNFA_SIGNALING_VIA_NFKB", "HALLMARK_G2M_CHECKPOINT",
    "HALLMARK_OXIDATIVE_PHOSPHORYLATION", "MAPK_OUTPUT_MPAS",
)
NOTICE = "oncoresist sc: a research tool, not a medical device; not for clinical decisions.\n"


def _tsv(frame, path: Path) -> None:
    frame.to_csv(path, sep="\t", index=False, lineterminator="\n", float_format="%.6g")


def _figures(adata, folder: Path, *, basis: str, has_clones: bool, time_key: str | None,
             has_cnv: bool) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from oncoresist.sc import pl

    folder.mkdir(parents=True, exist_ok=True)
    made = []

    def save(figure, name: str, **options) -> None:
        figure.savefig(folder / name, metadata={"Software": None}, **options)  # no version stamp
        plt.close(figure)
        made.append(name)

    scored = adata.uns["programs"]["columns"]
    names = [n for n in scored if n.startswith("target_")]
    names += [n for n in FIGURE_PROGRAMMES if n in scored]
    axes = pl.programs(adata, names, basis=basis)
    save((axes[0] if isinstance(axes, list) else axes).get_figure(), "programmes.png", dpi=80)
    save(pl.abundance(adata, basis=basis).get_figure(), "abundance.png", dpi=100)
    if has_clones and time_key:
        save(pl.clone_trajectories(adata).get_figure(), "clones_muller.png", dpi=100,
             bbox_inches="tight")
    if has_cnv:
        save(pl.cnv_profiles(adata).get_figure(), "cnv_profiles.png", dpi=100, bbox_inches="tight")
        if time_key:
            save(pl.clone_trajectories(adata, key="cnv_clones").get_figure(),
                 "cnv_clones_muller.png", dpi=100, bbox_inches="tight")
    return made


@app.command("analyse")
def analyse(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help=".h5ad, 10x directory/.h5 or count table")],
    condition_key: Annotated[str, typer.Option("--condition-key", help="obs column with the arm of each cell")],
    control: Annotated[str, typer.Option("--control", help="value of the condition column for control cells")],
    treated: Annotated[str, typer.Option("--treated", help="value of the condition column for treated cells")],
    out: Annotated[Path, typer.Option("--out", help="output folder (replaced atomically)")],
    sample_key: Annotated[str, typer.Option("--sample-key", help="obs column naming replicate samples")] = "sample",
    drug: Annotated[str | None, typer.Option("--drug", help="drug name: scores its target-pathway outputs")] = None,
    barcode_key: Annotated[str | None, typer.Option("--barcode-key", help="obs column with each cell's lineage barcode, or an obsm key with barcode UMI counts (cells x barcodes)")] = None,
    barcode_counts: Annotated[Path | None, typer.Option("--barcode-counts", help="long table of barcode UMI counts (columns cell, barcode, umis)")] = None,
    barcode_method: Annotated[str, typer.Option("--barcode-method", help="with UMI counts: 'dominant' (one barcode per clone) or 'combination' (barcode sets)")] = "dominant",
    time_key: Annotated[str | None, typer.Option("--time-key", help="obs column with time points")] = None,
    programs: Annotated[str | None, typer.Option("--programs", help="comma-separated programme names or a .gmt file (default: all built-in)")] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="spatial FDR / FDR threshold")] = 0.1,
    n_neighbors: Annotated[int, typer.Option("--n-neighbors", help="k of the kNN graph")] = 30,
    cnv: Annotated[bool, typer.Option("--cnv/--no-cnv", help="infer copy-number clones (human genes; no barcodes needed)")] = False,
    cnv_reference_key: Annotated[str | None, typer.Option("--cnv-reference-key", help="obs column marking normal reference cells")] = None,
    cnv_reference: Annotated[str | None, typer.Option("--cnv-reference", help="comma-separated value(s) of that column for normal cells")] = None,
    umap: Annotated[bool, typer.Option("--umap/--no-umap", help="compute a UMAP for the figures")] = True,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="write figures")] = True,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
) -> None:
    """Score programmes, find states enriched under drug, analyse clones; write h5ad, tables, figures.

    Clones come from lineage barcodes (--barcode-key: a called barcode per cell, or UMI counts
    in obsm; --barcode-counts: a UMI count table) and/or from copy number inferred from
    expression (--cnv, with normal reference cells named by --cnv-reference-key/--cnv-reference).
    """
    from oncoresist import sc as osc
    from oncoresist.sc._scoring import looks_like_counts

    adata = osc.pp.read(input_path)
    if barcode_key and barcode_counts:
        msg = "give --barcode-key or --barcode-counts, not both"
        raise InputError(msg, field="--barcode-counts")
    counts_source = barcode_counts or (barcode_key if barcode_key in adata.obsm else None)
    if counts_source is not None:
        osc.pp.call_barcodes(adata, counts_source, method=barcode_method, key_added="barcode")
        barcode_key = "barcode"
    for key in (condition_key, sample_key) + tuple(k for k in (barcode_key, time_key, cnv_reference_key) if k):
        if key not in adata.obs.columns:
            msg = f"{input_path.name} has no obs column {key!r}; columns are {list(adata.obs.columns)}"
            raise InputError(msg, path=str(input_path), field=key)
    if looks_like_counts(adata.X):
        osc.pp.normalise(adata)
    osc.pp.embed(adata, n_neighbors=n_neighbors, drug=drug, umap=umap, rng=seed)
    basis = "umap" if umap else "pca"
    chosen = None
    if programs:
        chosen = programs if programs.lower().endswith(".gmt") else [p.strip() for p in programs.split(",") if p.strip()]
    info = osc.tl.score_programs(adata, chosen, drug=drug, rng=seed)
    subpops = osc.tl.resistant_subpopulations(
        adata, condition_key, control=control, treated=treated, sample_key=sample_key,
        n_neighbors=n_neighbors, alpha=alpha, rng=seed,
    )
    clones = None
    if barcode_key:
        clones = osc.tl.clones(adata, barcode_key, sample_key=sample_key,
                               condition_key=condition_key, control=control, treated=treated,
                               time_key=time_key, alpha=alpha)
    cnv_result = cnv_fitness = None
    if cnv:
        reference = [v.strip() for v in cnv_reference.split(",")] if cnv_reference else None
        cnv_result = osc.tl.cnv_clones(adata, cnv_reference_key, reference, rng=seed)
        cnv_fitness = osc.tl.clones(adata, "cnv_clone", sample_key=sample_key,
                                    condition_key=condition_key, control=control, treated=treated,
                                    time_key=time_key, alpha=alpha, key_added="cnv_clones")
    # Mean programme score per condition and sample.
    columns = info["columns"]
    means = adata.obs.groupby([condition_key, sample_key], observed=True)[list(columns.values())].mean()
    means.columns = list(columns)
    programme_table = means.reset_index()
    provenance = Provenance.create(
        "oncoresist sc analyse",
        parameters={"condition_key": condition_key, "control": control, "treated": treated,
                    "sample_key": sample_key, "drug": drug, "barcode_key": barcode_key,
                    "barcode_counts": barcode_counts.name if barcode_counts else None,
                    "barcode_method": barcode_method if counts_source is not None else None,
                    "time_key": time_key, "programs": programs, "alpha": alpha, "n_neighbors": n_neighbors,
                    "umap": umap, "cnv": cnv, "cnv_reference_key": cnv_reference_key,
                    "cnv_reference": cnv_reference},
        seed=seed, inputs=[p for p in (input_path, barcode_counts) if p is not None and p.is_file()],
        kb_version=_kb_version() if drug else None,
    )
    adata.uns["oncoresist_provenance"] = provenance.to_json()
    with atomic_output_dir(out) as tmp:
        _tsv(programme_table, tmp / "programmes.tsv")
        _tsv(subpops.neighbourhoods, tmp / "neighbourhoods.tsv")
        _tsv(subpops.states, tmp / "states.tsv")
        if clones is not None:
            _tsv(clones.fitness, tmp / "clones.tsv")
            _tsv(clones.sizes, tmp / "clone_sizes.tsv")
        if cnv_result is not None:
            _tsv(cnv_result.clones, tmp / "cnv_clones.tsv")
            _tsv(cnv_result.segments, tmp / "cnv_segments.tsv")
            _tsv(cnv_fitness.fitness, tmp / "cnv_clone_fitness.tsv")
            _tsv(cnv_fitness.sizes, tmp / "cnv_clone_sizes.tsv")
        if plots:
            _figures(adata, tmp / "figures", basis=basis, has_clones=clones is not None,
                     time_key=time_key, has_cnv=cnv_result is not None)
        adata.write_h5ad(tmp / "annotated.h5ad")
        provenance.write(tmp / "provenance.json")
        write_text_atomic(tmp / "notes.txt", NOTICE)
    show_frame(subpops.states[[c for c in ("state", "n_cells", "fraction_control",
                                           "fraction_treated", "markers")
                               if c in subpops.states.columns]],
               title=f"states enriched under {treated!r} (spatial FDR < {alpha})")
    console.print(f"wrote {out}", highlight=False)


def _kb_version() -> str | None:
    from oncoresist import kb

    return kb.load_kb().version
