"""Scenario files: bad input named by file, line and field; the CLI writes the promised outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncoresist._core.exceptions import InputError
from oncoresist.cli._app import main
from oncoresist.therapy import load_therapy_scenario, model_from_kb

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HEAD = "model:\n  zhang2017: {}\nstop: {time_limit: 1000}\nstrategies:\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def test_unknown_drug_names_file_line_and_field(tmp_path):
    path = _write(tmp_path, HEAD + "  mono: {type: continuous, drug: abiraterone}\n"
                              "  combo: {type: combination, drugs: {abiraterone: 1, docetaxel: 1}}\n")
    with pytest.raises(InputError) as info:
        load_therapy_scenario(path)
    text = str(info.value)
    assert "s.yaml" in text
    assert "line 6" in text
    assert "strategies.combo.drugs.docetaxel: unknown drug 'docetaxel'; the model's drugs are abiraterone" in text


def test_impossible_schedule_names_the_field(tmp_path):
    path = _write(tmp_path, HEAD + "  pulses: {type: intermittent, drugs: {abiraterone: 1}, on: 0, off: 28}\n")
    with pytest.raises(InputError) as info:
        load_therapy_scenario(path)
    assert "line 5" in str(info.value)
    assert "strategies.pulses.on: on must be a positive time (days); got 0" in str(info.value)


def test_adaptive_thresholds_in_the_wrong_order(tmp_path):
    path = _write(tmp_path, HEAD + "  at: {type: adaptive, drugs: {abiraterone: 1}, stop_fraction: 0.8, "
                              "restart_fraction: 0.5}\n")
    with pytest.raises(InputError, match="0 < stop_fraction < restart_fraction"):
        load_therapy_scenario(path)


def test_scans_that_never_happen(tmp_path):
    path = _write(tmp_path, "model:\n  zhang2017: {}\nstop: {time_limit: 100}\nmonitoring:\n  imaging: {interval: 200}\n"
                            "strategies:\n  mono: {type: continuous, drug: abiraterone}\n")
    with pytest.raises(InputError, match="scans every 200 days never happen within stop.time_limit = 100"):
        load_therapy_scenario(path)


def test_unknown_field_and_type(tmp_path):
    with pytest.raises(InputError, match="expected one of continuous, combination"):
        load_therapy_scenario(_write(tmp_path, HEAD + "  x: {type: metronomic, drugs: {abiraterone: 1}}\n"))
    with pytest.raises(InputError, match="unknown field 'strategy'"):
        load_therapy_scenario(_write(tmp_path, "model:\n  zhang2017: {}\nstrategy: {}\n"))


def test_model_file_by_reference():
    sc = load_therapy_scenario(EXAMPLES / "bozic2013" / "combination_vs_sequential.yaml")
    assert sc.model.type_names == ("S", "R1", "R2", "R12")
    assert sc.settings.stop.detection_size == 1e9


def test_model_from_kb_egfr_genotypes():
    m = model_from_kb(["erlotinib", "osimertinib"], ["EGFR T790M", "EGFR C797S"])
    drugs = {t.name: sorted(r.drug for r in t.responses) for t in m.types}
    # knowledge base: T790M resists erlotinib, stays sensitive to osimertinib; with C797S both fail
    assert drugs["sensitive"] == ["erlotinib", "osimertinib"]
    assert drugs["T790M"] == ["osimertinib"]
    assert drugs["T790M+C797S"] == []
    assert {(mu.source, mu.target) for mu in m.mutations} >= {("sensitive", "T790M"), ("T790M", "T790M+C797S")}
    with pytest.raises(InputError, match="no default mutation probability for 'MET amplification'"):
        model_from_kb(["osimertinib"], ["MET amplification"])


def test_cli_compare_writes_outcomes_and_figures(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["therapy", "compare", str(EXAMPLES / "zhang2017" / "adaptive_abiraterone.yaml"),
                 "--patients", "1", "--seed", "2", "--out", str(out)])
    assert code == 0
    header = (out / "outcomes.tsv").read_text().splitlines()[0].split("\t")
    for column in ("strategy", "median_ttp", "median_ttp_ci_low", "median_ttp_ci_high", "p_eradication",
                   "p_eradication_se", "mean_dose_abiraterone"):
        assert column in header
    for name in ("patients.tsv", "km.png", "km.svg", "muller_adaptive.png", "muller_adaptive.svg", "provenance.json"):
        assert (out / name).is_file()


def test_cli_bad_scenario_exit_status_2(tmp_path, capsys):
    path = _write(tmp_path, HEAD + "  mono: {type: continuous, drug: docetaxel}\n")
    assert main(["therapy", "compare", str(path)]) == 2
    assert "unknown drug 'docetaxel'" in capsys.readouterr().err


def test_optimise_under_a_dose_budget():
    from oncoresist.evolve import StopRules
    from oncoresist.therapy import Imaging, Intermittent, Monitoring, Settings, Zhang2017, optimise

    settings = Settings(stop=StopRules(time_limit=2000), monitoring=Monitoring(Imaging(interval=28, threshold=0)),
                        decision_interval=28, record_interval=28)
    result = optimise(Zhang2017(), lambda on: Intermittent({"abiraterone": 1}, on=on, off=56),
                      {"on": [28, 56, 112]}, settings=settings, n_patients=1, rng=1, budget=800)
    table = result.candidates
    # dose of a 1-level on/off schedule over at most 2000 days is at most on/(on+off) * 2000
    assert (table["mean_dose_total"] <= table["on"] / (table["on"] + 56) * 2000 + 28).all()
    assert table["feasible"].equals(table["mean_dose_total"] <= 800)
    assert result.best is not None
    assert result.best["on"] in (28, 56, 112)
    assert result.frontier["on_frontier"].all()
