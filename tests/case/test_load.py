"""Case-file validation: every bad case gives one clear message and no partial report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from oncoresist import InputError
from oncoresist.case import load_case, run_case

DATA = Path(__file__).parents[1] / "data" / "case"
MINI = DATA / "mini.yaml"


def _write_case(tmp_path: Path, change, name: str = "case.yaml") -> Path:
    """Copy the mini case and its data into tmp_path, applying ``change`` to the YAML mapping."""
    for f in DATA.iterdir():
        if f.is_file() and f.suffix != ".yaml":
            shutil.copy(f, tmp_path / f.name)
    data = yaml.safe_load(MINI.read_text())
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_mini_case_loads():
    loaded = load_case(MINI)
    assert loaded.case.pseudonym == "TEST-CASE-01"
    assert loaded.case.permission == "GRU"
    assert sorted(loaded.files) == ["ctdna", "imaging", "normals", "sequencing[0]"]
    assert loaded.drugs["brigatinib"] == "brigatinib"
    assert loaded.ctdna["sample_id"].nunique() == 23  # 23 plasma samples, days 0..616 every 28
    assert loaded.imaging["day"].tolist()[:3] == [0, 56, 112]


def test_example_case_loads():
    example = Path(__file__).parents[2] / "examples" / "egfr_nsclc" / "case.yaml"
    assert load_case(example).case.pseudonym == "EGFR-SYN001"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["ctdna"].update(path="missing.tsv"), "ctdna.path: file 'missing.tsv' does not exist"),
        (lambda d: d["sequencing"][0].update(path="nowhere.vcf"), "sequencing[0].path: file 'nowhere.vcf'"),
        (lambda d: d["strategies"][1].update(drugs=["brigatinib", "cetuxinab"]),
         "strategies[1].drugs[1]: unknown drug 'cetuxinab'"),
        (lambda d: d["therapy_history"][0].update(drugs=["notadrug"]), "therapy_history[0].drugs[0]: unknown drug"),
        (lambda d: d["therapy_history"][0].update(end_day=-5), "end_day (-5) is before start_day (0)"),
        (lambda d: d["therapy_history"][1].update(start_day=200), "line 2 starts on day 200, not after line 1 ended"),
        (lambda d: d["therapy_history"][0].pop("end_day"), "line 1 has no end_day but line 2 follows it"),
        (lambda d: d["therapy_history"].reverse(), "list therapy lines in the order they were given"),
        (lambda d: d["forecast"].update(start_day=-30), "forecast.start_day: day -30 is before the first"),
        (lambda d: d["sequencing"][0].update(day=-5000), "sequencing[0].day: day -5000 is more than 10 years"),
        (lambda d: d.update(consent=["GRU", "HMB"]), "exactly one data-use permission"),
        (lambda d: d.update(consent=["GRU", "XYZ"]), "unknown GA4GH Data Use Ontology code(s) ['XYZ']"),
        (lambda d: d.update(pseudonym="John Smith"), "is not a pseudonym"),
        (lambda d: d.update(colour="blue"), "unknown field 'colour'"),
        (lambda d: d.pop("disease"), "disease: required field is missing"),
        (lambda d: d["strategies"][2].pop("off_days"), "needs on_days and off_days"),
        (lambda d: d["strategies"].append(dict(d["strategies"][0])), "strategy names must be unique"),
        (lambda d: d["calibration"].update(particles=3), "calibration.particles"),
        (lambda d: d["ctdna"].update(path="bad_rows_ctdna.tsv"), "alt_reads"),
    ],
)
def test_bad_case_message(tmp_path, change, expected):
    path = _write_case(tmp_path, change)
    with pytest.raises(InputError) as info:
        load_case(path)
    assert expected in str(info.value)
    # every message names a file
    assert str(info.value).startswith(str(tmp_path))


def test_message_points_at_yaml_line(tmp_path):
    path = _write_case(tmp_path, lambda d: d["therapy_history"][0].update(drugs=["notadrug"]))
    text = path.read_text().splitlines()
    with pytest.raises(InputError) as info:
        load_case(path)
    line = info.value.line
    assert line is not None
    assert "notadrug" in text[line - 1]
    assert info.value.field == "therapy_history[0].drugs[0]"


def test_ctdna_bad_row_names_its_file_and_line(tmp_path):
    path = _write_case(tmp_path, lambda d: d["ctdna"].update(path="bad_rows_ctdna.tsv"))
    with pytest.raises(InputError) as info:
        load_case(path)
    # row 2 of the file holds alt_reads=52 > depth=40
    assert info.value.path.endswith("bad_rows_ctdna.tsv")
    assert info.value.line == 2


def test_ctdna_unreadable_alteration_names_its_line(tmp_path):
    path = _write_case(tmp_path, lambda d: d["ctdna"].update(path="bad_alteration_ctdna.tsv", normals=None))
    with pytest.raises(InputError, match="mystery change") as info:
        load_case(path)
    assert info.value.path.endswith("bad_alteration_ctdna.tsv")
    assert info.value.line == 3


def test_sequencing_sample_not_in_file(tmp_path):
    path = _write_case(tmp_path, lambda d: d["sequencing"][0].update(sample="NOT_THERE"))
    with pytest.raises(InputError, match="sample 'NOT_THERE' is not in tumour_diagnosis.vcf") as info:
        run_case(path, out=tmp_path / "out")
    assert info.value.field == "sequencing[0].sample"
    assert not (tmp_path / "out").exists()


def test_observation_days_far_before_therapy(tmp_path):
    (tmp_path / "imaging_old.tsv").write_text("day\tresult\n-4000\tSD\n56\tPR\n")
    path = _write_case(tmp_path, lambda d: d["imaging"].update(path="imaging_old.tsv"))
    with pytest.raises(InputError, match="more than 10 years before the first therapy line") as info:
        load_case(path)
    assert info.value.path.endswith("imaging_old.tsv")
    assert info.value.line == 2


def test_imaging_bad_result(tmp_path):
    (tmp_path / "imaging_bad.tsv").write_text("day\tresult\n0\tSD\n56\tgreat\n")
    path = _write_case(tmp_path, lambda d: d["imaging"].update(path="imaging_bad.tsv"))
    with pytest.raises(InputError, match="result must be one of CR, PR, SD, PD") as info:
        load_case(path)
    assert info.value.line == 3


def test_missing_case_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_case(tmp_path / "nope.yaml")


def test_not_yaml(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text("pseudonym: [unclosed\n")
    with pytest.raises(InputError, match="is not valid YAML"):
        load_case(path)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["ctdna"].update(path="missing.tsv"),
        lambda d: d["strategies"][0].update(drugs="cetuxinab"),
        lambda d: d["therapy_history"][0].update(end_day=-5),
        lambda d: d["ctdna"].update(path="bad_rows_ctdna.tsv"),
        lambda d: d.update(consent=["POA"]),
    ],
)
def test_bad_case_leaves_no_report(tmp_path, change):
    path = _write_case(tmp_path, change)
    out = tmp_path / "out"
    with pytest.raises(InputError):
        run_case(path, out=out)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


@pytest.mark.parametrize(("codes", "word"), [(["POA"], "POA"), (["DS-MELANOMA"], "MELANOMA")])
def test_consent_outside_scope_refused(tmp_path, codes, word):
    path = _write_case(tmp_path, lambda d: d.update(consent=codes))
    with pytest.raises(InputError, match=word) as info:
        run_case(path, out=tmp_path / "out")
    assert info.value.field == "consent"
    assert not (tmp_path / "out").exists()


def test_mutation_sites_must_read_as_alterations(tmp_path):
    data_dir = Path(__file__).parents[1] / "data" / "case"
    for f in data_dir.iterdir():
        if f.is_file() and f.suffix != ".yaml":
            shutil.copy(f, tmp_path / f.name)
    data = yaml.safe_load((data_dir / "mini.yaml").read_text())
    data["mutation"] = {"sites": {"EGFR C797S": 2, "mystery": 3}}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(InputError, match=r"line \d+: mutation.sites: cannot read 'mystery' as an alteration"):
        load_case(path)


def _copy_case_data(tmp_path: Path) -> None:
    for f in DATA.iterdir():
        if f.is_file() and f.suffix != ".yaml":
            shutil.copy(f, tmp_path / f.name)


def test_repeated_key_refused_at_its_line(tmp_path):
    # PyYAML alone would keep the last 'seed' silently; the case file must refuse it.
    _copy_case_data(tmp_path)
    lines = MINI.read_text().splitlines()
    lines.insert(5, "seed: 6")  # mini.yaml line 5 is 'seed: 5': the repeat becomes line 6
    path = tmp_path / "case.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="field 'seed' appears twice") as info:
        load_case(path)
    assert info.value.line == 6
    assert info.value.field == "seed"
    assert info.value.path == str(path)


def test_repeated_nested_key_refused_at_its_line(tmp_path):
    _copy_case_data(tmp_path)
    text = MINI.read_text().replace("{horizon_days: 365,", "{horizon_days: 365, horizon_days: 200,")
    path = tmp_path / "case.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match="forecast.horizon_days: field 'horizon_days' appears twice") as info:
        load_case(path)
    assert info.value.line == 18  # the forecast line of mini.yaml


def test_unknown_key_reported_as_written(tmp_path):
    # YAML 1.1 reads the key 'yes' as True; the message must quote what the user wrote.
    _copy_case_data(tmp_path)
    path = tmp_path / "case.yaml"
    path.write_text(MINI.read_text() + "yes: 1\n")  # mini.yaml has 18 lines: this is line 19
    with pytest.raises(InputError, match="unknown field 'yes'") as info:
        load_case(path)
    assert info.value.line == 19


def test_missing_top_level_field_points_at_first_line(tmp_path):
    _copy_case_data(tmp_path)
    path = tmp_path / "case.yaml"
    path.write_text(MINI.read_text().replace("disease: NSCLC\n", ""))
    with pytest.raises(InputError, match="disease: required field is missing") as info:
        load_case(path)
    assert info.value.line == 2  # line 1 is a comment; the mapping starts on line 2


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a list\n"])
def test_empty_or_not_mapping_case_file(tmp_path, text):
    path = tmp_path / "case.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match="must be a YAML mapping of fields"):
        load_case(path)


def test_syntax_error_names_its_line(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text("pseudonym: TEST-CASE-01\ndisease: [NSCLC\nseed: 5\n")
    with pytest.raises(InputError, match="is not valid YAML: expected ',' or ']', but got ':'") as info:
        load_case(path)
    # the list opened on line 2 is still open when the parser meets 'seed:' on line 3
    assert info.value.line == 3
