"""The whole case run: outputs, skipped steps, reproducibility, atomicity, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
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


def _evolve_ttp(totals: np.ndarray, increase: float) -> float:
    """RECIST rule on a daily total (day 0 first), as the projection applies it (continuous)."""
    nadir = totals[0]
    for day in range(1, len(totals)):
        if totals[day] >= (1 + increase) ** 3 * nadir:
            return float(day)
        nadir = min(nadir, totals[day])
    return float("inf")


@pytest.mark.parametrize("strategy", ["stay", "combo"])
def test_projection_agrees_with_evolve_for_posterior_draws(mini_run, strategy):
    """Three posterior draws of the mini case, projected by oncoresist.evolve's ODE engine.

    The evolve model has the same compartments (birth 0.14/day, death = birth - net growth, the
    kill added to the death rate of compartments the strategy's drugs kill), the mutation graph
    of the case model (and, for ``combo``, the unknown-resistance compartment with the draw's
    per-division probability), and starts from the draw's sizes on the forecast day, scaled to
    1e15 cells (whole cells, for evolve). Tolerances: burden within 1e-4 relative (LSODA's accuracy; the projection is
    exact up to two-mutation paths within a day, < 1e-16); time to progression equal, or one day
    apart where the total crosses the threshold within that accuracy of a day boundary.
    """
    from oncoresist.case._forecast import _with_unknown_at
    from oncoresist.evolve import CellType, Drug, DrugResponse, Model, StopRules, simulate
    from oncoresist.evolve import Mutation as EvoMutation

    result, _ = mini_run
    fc, cal = result.forecast, result.calibration
    model = cal.model
    plan = next(p for p in fc.strategies if p.name == strategy)
    block = fc.draws[fc.draws["strategy"] == strategy].reset_index(drop=True)
    positions = [0, len(block) // 2, len(block) - 1]
    picks = block.loc[positions, "draw"].to_numpy()
    theta = cal.draws.to_numpy()[picks]
    unknown = block.loc[positions, "unknown_per_division"].to_numpy()
    has_unknown = bool((unknown > 0).any())
    assert has_unknown == (strategy == "combo")  # brigatinib + cetuximab kill every observed compartment
    if has_unknown:
        logn0 = _with_unknown_at(cal, picks, model.birth_rate * unknown, fc.start_day)
    else:
        logn0 = cal.log_sizes([fc.start_day])[picks, 0, :]
    horizon = fc.horizon_days
    killed = np.append(model.killed_by(plan.lines[0]), False) if has_unknown else model.killed_by(plan.lines[0])
    names = [*model.types, "unknown"] if has_unknown else list(model.types)
    feed = [*model.feed, 0.0]
    b, scale = model.birth_rate, 1e15
    from oncoresist.case._forecast import project

    settings = result.loaded.case.forecast
    again = project(model, theta, logn0, plan, horizon=horizon, increase=settings.progression_increase,
                    majority=settings.resistance_majority,
                    unknown_inflow=model.birth_rate * unknown if has_unknown else None)
    np.testing.assert_array_equal(again["ttp"], block.loc[positions, "ttp_days"].to_numpy())
    # evolve counts whole cells: start both from the same whole numbers (1e15 cells in all)
    counts = np.round(np.exp(logn0) * scale)
    with np.errstate(divide="ignore"):
        logn0 = np.log(counts / scale)
    ours = project(model, theta, logn0, plan, horizon=horizon, increase=settings.progression_increase,
                   majority=settings.resistance_majority,
                   unknown_inflow=model.birth_rate * unknown if has_unknown else None)
    for i in range(len(picks)):
        g = [theta[i, 0]] + [theta[i, 1]] * (len(names) - 1)
        types = tuple(
            CellType(name, b, b - g[j], (DrugResponse("line", "death", theta[i, 2]),) if killed[j] else ())
            for j, name in enumerate(names)
        )
        mutations = [EvoMutation(names[j - 1], names[j], feed[j]) for j in range(1, len(model.types)) if feed[j] > 0]
        if has_unknown:
            mutations.append(EvoMutation(names[-2], "unknown", float(unknown[i])))
        evo = Model(types=types, drugs=(Drug("line"),), mutations=tuple(mutations),
                    initial={name: float(counts[i, j]) for j, name in enumerate(names)})
        sim = simulate(evo, lambda obs: {"line": 1.0}, engine="ode", stop=StopRules(time_limit=horizon),
                       record_interval=1, rng=1)
        totals = sim.totals_frame().set_index("time")[names].sum(axis=1)
        totals = totals.reindex(np.arange(horizon + 1, dtype=float)).to_numpy() / scale
        np.testing.assert_allclose(totals, ours["burden"][i], rtol=1e-4)
        ttp = float(ours["ttp"][i])
        expected = _evolve_ttp(totals, settings.progression_increase)
        assert ttp == expected or abs(ttp - expected) <= 1, (ttp, expected)


def test_mutation_sites_must_name_a_resistance_alteration(tmp_path):
    from oncoresist import InputError

    path = _copy_case(tmp_path, lambda d: d.update(mutation={"sites": {"EGFR L858R": 2}}))
    with pytest.raises(InputError, match=r"line \d+: mutation.sites: 'EGFR L858R' is not a resistance "
                                         r"alteration of this tumour's model; its resistance alterations are"):
        run_case(path, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_mutation_settings_change_the_model(tmp_path):
    path = _copy_case(tmp_path, lambda d: d.update(mutation={"rate": 2e-9, "sites": {"EGFR C797S": 2},
                                                             "birth_rate": 0.2}))
    from oncoresist.case import load_case
    from oncoresist.case._model import build_model

    case = load_case(path).case
    model = build_model(["EGFR exon 19 deletion", "EGFR p.T790M", "EGFR p.C797S"],
                        {"EGFR p.T790M": 100, "EGFR p.C797S": 400}, ["erlotinib", "osimertinib"],
                        mutation=case.mutation)
    # C797S: Cys797 (TGC) to Ser by c.2389T>A or c.2390G>C: 2 sites; T790M default 1 site
    assert model.feed == (0.0, 2e-9, 4e-9)
    np.testing.assert_allclose(model.inflow, [0.0, 0.2 * 2e-9, 0.2 * 4e-9])
