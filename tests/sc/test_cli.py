"""``oncoresist sc analyse``: outputs, reproducibility, errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from oncoresist import sc as osc
from oncoresist.cli import main


@pytest.fixture(scope="module")
def h5ad(tmp_path_factory):
    path = tmp_path_factory.mktemp("sc") / "sim.h5ad"
    osc.simulate(900, n_genes=500, n_clones=40, rng=31).write_h5ad(path)
    return path


def _run(h5ad, out, *extra):
    return main(["sc", "analyse", str(h5ad), "--condition-key", "condition", "--control",
                 "control", "--treated", "drug", "--out", str(out), "--drug", "erlotinib",
                 "--barcode-key", "barcode", "--time-key", "time", "--no-umap",
                 "--programs", "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION,HALLMARK_HYPOXIA", *extra])


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, h5ad):
    out = tmp_path_factory.mktemp("run") / "a"
    assert _run(h5ad, out, "--seed", "2") == 0
    return out


def test_analyse_writes_h5ad_tables_figures(first_run):
    import anndata as ad

    out = first_run
    names = {p.name for p in out.iterdir()}
    assert {"annotated.h5ad", "programmes.tsv", "neighbourhoods.tsv", "states.tsv", "clones.tsv",
            "clone_sizes.tsv", "provenance.json", "notes.txt", "figures"} <= names
    assert {p.name for p in (out / "figures").iterdir()} == {
        "programmes.png", "abundance.png", "clones_muller.png"}
    states = pd.read_csv(out / "states.tsv", sep="\t")
    assert len(states) >= 1
    assert states.loc[0, "fraction_treated"] > states.loc[0, "fraction_control"]
    annotated = ad.read_h5ad(out / "annotated.h5ad")
    assert "programs_target_MAPK" in annotated.obs
    assert "resistant" in annotated.obs
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["seed"] == 2
    assert "sim.h5ad" in prov["inputs"]
    assert prov["kb_version"]
    assert "not for clinical decisions" in (out / "notes.txt").read_text()


def test_same_seed_same_tables(tmp_path, h5ad, first_run):
    assert _run(h5ad, tmp_path / "b", "--seed", "2", "--no-plots") == 0
    for table in ("programmes.tsv", "neighbourhoods.tsv", "states.tsv", "clones.tsv"):
        assert (first_run / table).read_bytes() == (tmp_path / "b" / table).read_bytes()


def test_bad_input_one_line_exit_2(tmp_path, h5ad, capsys):
    code = main(["sc", "analyse", str(h5ad), "--condition-key", "arm", "--control", "control",
                 "--treated", "drug", "--out", str(tmp_path / "x")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "no obs column 'arm'" in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_analyse_copy_number_clones(tmp_path):
    import anndata as ad

    path = tmp_path / "cnv.h5ad"
    osc.simulate_cnv(1200, n_genes=6000, rng=3).write_h5ad(path)
    out = tmp_path / "out"
    code = main(["sc", "analyse", str(path), "--condition-key", "condition", "--control", "control",
                 "--treated", "drug", "--out", str(out), "--time-key", "time", "--no-umap",
                 "--programs", "HALLMARK_HYPOXIA", "--cnv", "--cnv-reference-key", "cell_type",
                 "--cnv-reference", "normal"])
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {"cnv_clones.tsv", "cnv_segments.tsv", "cnv_clone_fitness.tsv", "cnv_clone_sizes.tsv"} <= names
    assert (out / "figures" / "cnv_profiles.png").exists()
    assert (out / "figures" / "cnv_clones_muller.png").exists()
    clones = pd.read_csv(out / "cnv_clones.tsv", sep="\t")
    assert clones["clone"].tolist()[0] == "normal"
    assert len(clones) == 4
    segments = pd.read_csv(out / "cnv_segments.tsv", sep="\t")
    assert {"chr7", "chr8", "chr9", "chr17"} <= set(segments["chromosome"])  # the clones' events
    annotated = ad.read_h5ad(out / "annotated.h5ad")
    assert "cnv_clone" in annotated.obs.columns
    assert "X_cnv" in annotated.obsm
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["parameters"]["cnv_reference"] == "normal"


def test_analyse_cnv_with_unknown_reference_column_exits_2(tmp_path, h5ad, capsys):
    code = main(["sc", "analyse", str(h5ad), "--condition-key", "condition", "--control", "control",
                 "--treated", "drug", "--out", str(tmp_path / "o"), "--cnv",
                 "--cnv-reference-key", "tissue", "--cnv-reference", "normal"])
    assert code == 2
    assert "tissue" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_analyse_calls_clones_from_barcode_umi_counts(tmp_path, h5ad):
    import anndata as ad

    adata = ad.read_h5ad(h5ad)
    table = tmp_path / "barcode_umis.tsv"
    pd.DataFrame({"cell": adata.obs_names, "barcode": adata.obs["barcode"].astype(str),
                  "umis": 4}).to_csv(table, sep="\t", index=False)
    out = tmp_path / "out"
    code = main(["sc", "analyse", str(h5ad), "--condition-key", "condition", "--control", "control",
                 "--treated", "drug", "--out", str(out), "--barcode-counts", str(table),
                 "--time-key", "time", "--no-umap", "--no-plots", "--programs", "HALLMARK_HYPOXIA"])
    assert code == 0
    called = ad.read_h5ad(out / "annotated.h5ad").obs["barcode"].astype(str)
    assert (called == adata.obs["barcode"].astype(str)).all()
    provenance = json.loads((out / "provenance.json").read_text())
    assert "barcode_umis.tsv" in provenance["inputs"]
    assert provenance["parameters"]["barcode_method"] == "dominant"
