"""``oncoresist synergy`` commands: outputs, reproducibility, errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from oncoresist.cli import main


def test_score_writes_tables_and_figures(tmp_path, oneil_path, capsys):
    out = tmp_path / "run"
    code = main(["synergy", "score", str(oneil_path), "--response", "inhibition",
                 "--models", "bliss", "--out", str(out), "--bootstrap", "5", "--seed", "3"])
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {"wells.tsv", "blocks.tsv", "fits.tsv", "notes.txt", "blocks.tsv.provenance.json"} <= names
    blocks = pd.read_csv(out / "blocks.tsv", sep="\t", dtype={"block_id": str})
    assert list(blocks.block_id) == ["1", "2"]
    assert (blocks.bliss.iloc[0] > 0)
    assert (blocks.bliss.iloc[1] < 0)
    assert {"bliss_p", "bliss_window_score"} <= set(blocks.columns)
    figures = {p.name for p in (out / "figures").iterdir()}
    assert "block_1_bliss_surface.png" in figures
    assert "block_2_curves.png" in figures
    provenance = json.loads((out / "blocks.tsv.provenance.json").read_text())
    assert provenance["seed"] == 3
    assert "ONEIL_screening_data.csv" in provenance["inputs"]
    assert "not for clinical decisions" in (out / "notes.txt").read_text()


def test_same_seed_same_bytes(tmp_path, oneil_path):
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert main(["synergy", "score", str(oneil_path), "--out", str(out), "--bootstrap", "5",
                     "--seed", "9", "--models", "bliss,zip", "--no-plots"]) == 0
        outputs.append(out)
    for name in ("wells.tsv", "blocks.tsv", "fits.tsv", "blocks.tsv.provenance.json"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name


def test_viability_warning_reaches_the_user(tmp_path, mathews_path, capsys):
    assert main(["synergy", "score", str(mathews_path), "--out", str(tmp_path / "o"), "--no-plots"]) == 0
    assert "--response viability" in capsys.readouterr().err


def test_bad_arguments_exit_2(tmp_path, oneil_path, capsys):
    assert main(["synergy", "score", str(oneil_path), "--out", str(tmp_path / "o"), "--response", "percent"]) == 2
    assert "inhibition' or 'viability" in capsys.readouterr().err
    assert main(["synergy", "score", str(oneil_path), "--out", str(tmp_path / "o"), "--models", "bliss,chou"]) == 2
    assert "unknown synergy model(s) chou" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_effect_json(tmp_path, oneil_path):
    out = tmp_path / "effect.json"
    assert main(["synergy", "effect", str(oneil_path), "--block", "2", "--out", str(out)]) == 0
    payload = json.loads(out.read_text())
    assert [d["drug"] for d in payload["drugs"]] == ["Paclitaxel", "L-778123 free base"]
    assert {"e0", "emax", "ec50", "hill"} <= set(payload["drugs"][0])
    assert "ONEIL_screening_data.csv" in payload["provenance"]["inputs"]
    assert main(["synergy", "effect", str(oneil_path), "--block", "7"]) == 2


def test_matrix_input(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("conc1\\conc2,0,1,10,100\n0,0,20,45,70\n1,25,50,70,85\n10,50,70,85,92\n100,70,85,92,97\n")
    out = tmp_path / "o"
    assert main(["synergy", "score", str(path), "--matrix", "--drugs", "x,y", "--unit", "nM",
                 "--models", "bliss,hsa", "--out", str(out), "--no-plots"]) == 0
    blocks = pd.read_csv(out / "blocks.tsv", sep="\t")
    assert (blocks.drug1.iloc[0], blocks.drug2.iloc[0], blocks.conc_unit.iloc[0]) == ("x", "y", "nM")
    # HSA by hand: mean over the 9 combination wells of observed - max(row single, column single).
    grid = [[50, 70, 85], [70, 85, 92], [85, 92, 97]]
    rows, cols = [25, 50, 70], [20, 45, 70]
    hand = sum(grid[i][j] - max(rows[i], cols[j]) for i in range(3) for j in range(3)) / 9
    assert blocks.hsa.iloc[0] == pytest.approx(hand, abs=1e-4)
