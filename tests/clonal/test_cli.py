"""``oncoresist clonal`` (alias ``clones``): fit, tree, muller."""

from __future__ import annotations

import json

import pandas as pd

from oncoresist import clonal


def _input(tmp_path):
    path = tmp_path / "input.tsv"
    clonal.simulate(n_clones=3, n_samples=3, n_mutations=60, depth=300, rng=2).data.write(path)
    return path


def test_fit_tree_muller_pipeline(cli, tmp_path, capsys):
    source = _input(tmp_path)
    results = tmp_path / "results.tsv"
    assert cli(["clones", "fit", "-i", str(source), "-o", str(results), "--seed", "4",
                 "--max-clusters", "5", "--restarts", "3"]) == 0
    frame = pd.read_csv(results, sep="\t")
    assert list(frame.columns) == ["mutation_id", "sample_id", "cluster_id", "cellular_prevalence",
                                   "cellular_prevalence_std", "cluster_assignment_prob"]
    provenance = json.loads((tmp_path / "results.tsv.provenance.json").read_text())
    assert provenance["parameters"]["restarts"] == 3
    assert "input.tsv" in provenance["inputs"]
    assert cli(["clonal", "tree", str(results), "--out", str(tmp_path / "trees")]) == 0
    assert "best tree:" in capsys.readouterr().out
    figure = tmp_path / "fish.png"
    assert cli(["clonal", "muller", str(results), "--tree", str(tmp_path / "trees"), "-o", str(figure),
                 "--times", "s0=0,s1=30,s2=90", "--therapy", "10:60:osimertinib"]) == 0
    assert figure.read_bytes()[:4] == b"\x89PNG"
    bands = pd.read_csv(tmp_path / "fish.bands.tsv", sep="\t")
    assert sorted(bands["time"].unique()) == [0, 30, 90]


def test_same_seed_gives_byte_identical_outputs(cli, tmp_path):
    source = _input(tmp_path)
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run / "results.tsv"
        assert cli(["clonal", "fit", str(source), "-o", str(out), "--seed", "9", "--max-clusters", "4",
                     "--restarts", "2"]) == 0
        outputs.append([out.read_bytes(), out.with_name("results.mutations.tsv").read_bytes(),
                        out.with_name("results.tsv.provenance.json").read_bytes()])
    assert outputs[0] == outputs[1]


def test_bad_input_exits_2_with_file_and_line(cli, data_dir, tmp_path, capsys):
    code = cli(["clonal", "fit", str(data_dir / "clonal" / "broken_missing_sample.tsv"), "-o",
                 str(tmp_path / "r.tsv")])
    assert code == 2
    err = capsys.readouterr().err
    assert "broken_missing_sample.tsv, line 4" in err
    assert not (tmp_path / "r.tsv").exists()


def test_muller_from_an_evolve_clone_table(cli, tmp_path):
    table = pd.DataFrame({"time": [0, 0, 10, 10], "clone_id": [0, 1, 0, 1], "parent_id": ["", 0, "", 0],
                          "type": ["S", "R"] * 2, "size": [1e6, 10.0, 1e4, 5e5]})
    path = tmp_path / "clones.tsv"
    table.to_csv(path, sep="\t", index=False)
    assert cli(["clonal", "muller", str(path), "-o", str(tmp_path / "fish.svg"), "--therapy", "0:10:TKI"]) == 0
    assert (tmp_path / "fish.svg").read_text().lstrip().startswith("<?xml")


def test_muller_refuses_bad_therapy_spec(cli, tmp_path, capsys):
    table = pd.DataFrame({"time": [0], "clone_id": [0], "parent_id": [""], "type": ["S"], "size": [1.0]})
    path = tmp_path / "clones.tsv"
    table.to_csv(path, sep="\t", index=False)
    assert cli(["clonal", "muller", str(path), "-o", str(tmp_path / "f.png"), "--therapy", "soon"]) == 2
    assert "START:END" in capsys.readouterr().err


def test_simulate_writes_pyclone_input_with_truth(cli, tmp_path):
    out = tmp_path / "sim.tsv"
    assert cli(["clonal", "simulate", "-o", str(out), "--clones", "3", "--samples", "2", "--mutations", "30",
                "--seed", "5"]) == 0
    frame = pd.read_csv(out, sep="\t")
    assert {"clone", "parent_clone", "ccf"} <= set(frame.columns)
    data = clonal.read_pyclone(out)  # truth columns are ignored
    assert data.shape == (30, 2)
