"""``oncoresist simulate``."""

from __future__ import annotations

from pathlib import Path

from oncoresist.cli._app import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "bozic2013" / "one_drug.yaml"


def test_simulate_prints_probability_with_formula(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["simulate", str(EXAMPLE), "--runs", "40", "--seed", "3", "--workers", "1", "--out", str(out),
                 "--clone-tables", "2"])
    assert code == 0
    text = capsys.readouterr().out
    table = (out / "patient_1" / "clone_table.tsv").read_text().splitlines()
    assert table[0].split("\t") == ["time", "clone_id", "parent_id", "type", "size"]
    assert "eradication probability:" in text
    assert "formula: 0.5134" in text  # exp(-0.5 - 0.5/3), Bozic et al. 2013 eq. (1)
    first = (out / "runs.tsv").read_bytes()
    assert (out / "summary.tsv").exists()
    assert (out / "provenance.json").exists()
    code = main(["simulate", str(EXAMPLE), "--runs", "40", "--seed", "3", "--workers", "1", "--out", str(out)])
    assert code == 0
    assert (out / "runs.tsv").read_bytes() == first


def test_simulate_bad_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("types:\n  S: {birth: 1, death: -1}\ninitial: {S: 1}\n")
    assert main(["simulate", str(bad), "--runs", "2"]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err
    assert "types.S.death" in err
