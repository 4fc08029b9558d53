"""The whole case run: outputs, skipped steps, reproducibility, atomicity, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from oncoresist.case import run_case
from oncoresist.cli import main

DATA = Path(__file__).parents[1] / "data" / "case"
MINI = DATA / "mini.yaml"

EXPECTED_FILES = {
    "report.html", "case.json", "provenance.json", "findings.tsv", "ctdna_calls.tsv", "ctdna_events.tsv",
    "ctdna_kinetics.tsv", "model.tsv", "posterior.tsv", "posterior_summary.tsv", "forecast_draws.tsv",
    "forecast_summary.tsv", "forecast_survival.tsv", "oncoresist_posterior_mqc.tsv",
    "oncoresist_forecast_mqc.tsv", "oncoresist_survival_mqc.yaml", "oncoresist_ctdna_events_mqc.tsv",
}


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("case") / "report"
    result = run_case(MINI, out=out)
    return result, out


def _copy_case(tmp_path: Path, change) -> Path:
    for f in DATA.iterdir():
        if f.is_file() and f.suffix != ".yaml":
            shutil.copy(f, tmp_path / f.name)
    data = yaml.safe_load(MINI.read_text())
    change(data)
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_outputs(mini_run):
    result, out = mini_run
    assert {p.name for p in out.iterdir()} == EXPECTED_FILES
    assert result.skipped == {"clonal": "no multi-sample clonal input in the case file (clonal:)"}
    summary = json.loads((out / "case.json").read_text())
    assert summary["steps"]["clonal"].startswith("skipped")
    assert summary["steps"]["calibration"] == "done"
    assert summary["provenance"]["seed"] == 5
    assert summary["provenance"]["kb_version"]
    assert set(summary["provenance"]["inputs"]) == {"mini.yaml", "ctdna.tsv", "normals.tsv", "imaging.tsv",
                                                    "tumour_diagnosis.vcf"}
    forecast = pd.read_csv(out / "forecast_summary.tsv", sep="\t", comment="#")
    assert forecast["strategy"].tolist() == ["stay", "combo", "pulse"]
    model = pd.read_csv(out / "model.tsv", sep="\t", comment="#")
    assert model["compartment"].tolist() == ["sensitive", "EGFR p.T790M", "EGFR p.C797S"]


def test_model_follows_the_knowledge_base(mini_run):
    model = mini_run[0].model
    # T790M resists erlotinib (curated), C797S with T790M resists osimertinib too
    assert model.killed_by(["erlotinib"]).tolist() == [True, False, False]
    assert model.killed_by(["osimertinib"]).tolist() == [True, True, False]


def test_no_identifier_from_the_inputs_in_outputs(mini_run):
    _, out = mini_run
    for f in out.iterdir():
        text = f.read_text()
        for identifier in ("SYN001", "TUMOUR_DX", str(DATA)):
            assert identifier not in text, (f.name, identifier)


def test_same_seed_same_bytes(mini_run, tmp_path):
    _, out = mini_run
    again = tmp_path / "again"
    run_case(MINI, out=again)
    for f in sorted(out.iterdir()):
        assert f.read_bytes() == (again / f.name).read_bytes(), f.name


def test_interrupted_write_leaves_no_report(mini_run, tmp_path, monkeypatch):
    result, _ = mini_run
    import oncoresist.report as report

    def crash(result, folder):
        (Path(folder) / "report.html").write_text("<html>half")
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "write_case_report", crash)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        result.write(out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_previous_report_survives_a_failed_rewrite(mini_run, tmp_path, monkeypatch):
    result, out = mini_run
    target = tmp_path / "keep"
    shutil.copytree(out, target)
    import oncoresist.report as report

    def crash(result, folder):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "write_case_report", crash)
    with pytest.raises(RuntimeError):
        result.write(target)
    assert (target / "report.html").read_bytes() == (out / "report.html").read_bytes()


def test_rng_overrides_case_seed(tmp_path):
    # the seed is validated before any work is done
    from oncoresist import InputError

    with pytest.raises(InputError, match="rng must be a non-negative integer seed"):
        run_case(MINI, out=tmp_path / "out", rng=-1)
    assert not (tmp_path / "out").exists()


def test_steps_without_data_are_skipped(tmp_path):
    def only_sequencing(d):
        d.pop("ctdna")
        d.pop("imaging")

    path = _copy_case(tmp_path, only_sequencing)
    out = tmp_path / "out"
    result = run_case(path, out=out)
    assert "ctdna" in result.skipped
    assert result.calibration.method == "prior"
    assert "calibration" in result.skipped
    html = (out / "report.html").read_text()
    assert "Skipped: no serial ctDNA table" in html
    assert not (out / "ctdna_calls.tsv").exists()


def test_clonal_input_is_deconvolved(tmp_path):
    def with_clonal(d):
        d["clonal"] = {"path": "pyclone_input.tsv", "clusters": 4, "days": {"pre": -14, "relapse": 300}}

    path = _copy_case(tmp_path, with_clonal)
    out = tmp_path / "out"
    result = run_case(path, out=out)
    assert "clonal" not in result.skipped
    assert (out / "clonal_clusters.tsv").exists()
    html = (out / "report.html").read_text()
    assert "Clone tree from multi-sample deconvolution" in html
    # the PyClone-VI sample names ("pre", "relapse") are replaced by pseudonymous ones
    clusters = pd.read_csv(out / "clonal_clusters.tsv", sep="\t", comment="#")
    assert set(clusters["sample_id"]) == {"TEST-CASE-01-clonal-d-14", "TEST-CASE-01-clonal-d300"}
    assert "relapse" not in html


def test_cli_run_and_validate(tmp_path, capsys):
    assert main(["case", "validate", str(MINI)]) == 0
    assert "valid" in capsys.readouterr().out
    bad = _copy_case(tmp_path, lambda d: d["ctdna"].update(path="missing.tsv"))
    assert main(["case", "run", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "ctdna.path: file 'missing.tsv' does not exist" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
