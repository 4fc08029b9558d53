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
