"""The ``oncoresist ctdna`` commands: outputs, exit status 2 on bad input, reproducibility."""

import json

import pandas as pd

from oncoresist.cli import main


def test_call_writes_calls(data_dir, tmp_path):
    out = tmp_path / "calls"
    assert main(["ctdna", "call", str(data_dir / "ctdna" / "samples.tsv"), "--out", str(out),
                 "--error-rate", "1e-4"]) == 0
    calls = pd.read_csv(out / "calls.tsv", sep="\t")
    assert {"p_value", "af_ci_low", "lod95", "mutant_molecules_per_ml", "background_model"} <= set(calls.columns)
    provenance = json.loads((out / "provenance.json").read_text())
    assert "samples.tsv" in provenance["inputs"]


def test_track_writes_events_kinetics_and_plots(data_dir, tmp_path):
    out = tmp_path / "track"
    folder = data_dir / "ctdna"
    args = ["ctdna", "track", str(folder / "samples.tsv"), "--therapy", str(folder / "therapy.tsv"),
            "--imaging", str(folder / "imaging.tsv"), "--error-rate", "1e-4", "--out", str(out)]
    assert main(args) == 0
    events = pd.read_csv(out / "events.tsv", sep="\t")
    assert {"patient_id", "gene", "alteration", "event", "day", "evidence", "annotation"} <= set(events.columns)
    emergence = events[events["event"] == "emergence"]
    # The knowledge base's curated rule CUR-EGFR-T790M-1G2G (PMID:15737014): T790M is
    # on-target resistance to first-generation EGFR TKIs.
    assert emergence["annotation"].tolist() == ["EGFR p.T790M emerging on erlotinib: on-target resistance"]
    assert (out / "kinetics.tsv").exists()
    assert (out / "plots" / "P001.png").stat().st_size > 1000
    # Same input, same bytes (plots included).
    again = tmp_path / "track2"
    assert main(args[:-1] + [str(again)]) == 0
    for name in ("calls.tsv", "events.tsv", "kinetics.tsv", "summary.tsv", "plots/P001.png"):
        assert (out / name).read_bytes() == (again / name).read_bytes(), name


def test_bad_row_exits_2_with_its_line(data_dir, tmp_path, capsys):
    code = main(["ctdna", "call", str(data_dir / "ctdna" / "bad_depth.tsv"), "--out", str(tmp_path / "x")])
    assert code == 2
    err = capsys.readouterr().err
    assert "line 3" in err
    assert "depth must be >= alt_reads" in err
    assert not (tmp_path / "x").exists()


def test_simulate_writes_a_cohort(tmp_path):
    out = tmp_path / "cohort"
    assert main(["ctdna", "simulate", "--out", str(out), "--patients", "2", "--n-normals", "10", "--seed", "3"]) == 0
    for name in ("samples.tsv", "normals.tsv", "therapy.tsv", "imaging.tsv", "truth.tsv", "provenance.json"):
        assert (out / name).exists(), name
