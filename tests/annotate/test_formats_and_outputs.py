"""Annotation of every input format end to end, the outputs, and the CLI.

Expected rows are read off the fixtures (tests/data/annotate/) and the curated rules cited in
test_known_cases.py.
"""

from __future__ import annotations

import json

import pytest

from oncoresist import InputError
from oncoresist.annotate import annotate
from oncoresist.cli import main

REQUIRED_COLUMNS = ("sample_id gene alteration drug effect mechanism evidence_level "
                    "disease_match inferred sources references alternatives").split()


@pytest.fixture
def ann(data_dir):
    return data_dir / "annotate"


@pytest.mark.parametrize(
    ("name", "therapy", "sample", "alteration", "mechanism"),
    [
        ("vep.vcf", "erlotinib", "TUMOUR1", "EGFR p.T790M", "on-target"),
        ("vep.vcf.gz", "cetuximab", "TUMOUR1", "KRAS p.G12D", "downstream"),
        ("snpeff.vcf", "osimertinib", "PLASMA1", "EGFR p.C797S", "on-target"),
        ("multisample.vcf", "osimertinib", "CIS", "EGFR p.C797S", "on-target"),
        ("sv.vcf", "osimertinib", "TUMOUR", "MET amplification", "bypass"),
        ("gdc.maf", "letrozole", "BRCA-03-T", "ESR1 p.D538G", "on-target"),
        ("alterations.tsv", "imatinib", "PT2", "BCR::ABL1 fusion + ABL1 p.T315I", "on-target"),
    ],
)
def test_every_format_annotates(ann, name, therapy, sample, alteration, mechanism):
    frame = annotate(ann / name, therapy=therapy).to_frame()
    assert set(REQUIRED_COLUMNS) <= set(frame.columns)
    hits = frame[(frame["sample_id"] == sample) & (frame["alteration"] == alteration)
                 & (frame["effect"] == "resistance")]
    assert mechanism in set(hits["mechanism"])


def test_problems_do_not_stop_the_rest(ann):
    result = annotate(ann / "bad_values.tsv", therapy="cetuximab", disease="colorectal cancer")
    assert [p.line for p in result.problems] == [2, 3]
    assert "KRAS p.G12D" in set(result.to_frame()["alteration"])
    with pytest.raises(InputError, match="bad_values.tsv, line 2: vaf must be a fraction"):
        annotate(ann / "bad_values.tsv", therapy="cetuximab", strict=True)


def test_history_ranks_below_current_therapy(ann):
    frame = annotate(ann / "snpeff.vcf", therapy="osimertinib", history="erlotinib").to_frame()
    first_history = frame.index[frame["context"] == "history"].min()
    assert (frame.loc[: first_history - 1, "context"] == "therapy").all()
    assert set(frame["context"]) == {"therapy", "history"}


def test_disease_match_exact_related_other():
    frame = annotate(["EGFR T790M"], therapy="erlotinib", disease="NSCLC").to_frame()
    match = dict(zip(frame["rule_id"], frame["disease_match"], strict=True))
    assert match["CUR-EGFR-T790M-1G2G"] == "exact"          # non-small cell lung cancer
    assert match["CIVIC-EID1391-erlotinib"] == "related"    # lung adenocarcinoma (narrower)
    assert match["CIVIC-EID3810-erlotinib"] == "related"    # pan-cancer
    other = annotate(["EGFR T790M"], therapy="erlotinib", disease="melanoma").to_frame()
    assert set(other["disease_match"]) == {"other", "related"}


def test_outputs_are_deterministic_and_carry_provenance(ann, tmp_path):
    first = annotate(ann / "vep.vcf", therapy="osimertinib")
    second = annotate(ann / "vep.vcf", therapy="osimertinib")
    a = first.write(tmp_path / "a.tsv")
    b = second.write(tmp_path / "b.tsv")
    assert a.read_bytes() == b.read_bytes()
    provenance = json.loads((tmp_path / "a.tsv.provenance.json").read_text())
    assert provenance["kb_version"] == first.kb_version
    assert "vep.vcf" in provenance["inputs"]
    document = json.loads(first.write(tmp_path / "a.json").read_text())
    assert document["problems"][0]["line"] == 16
    assert document["summaries"][0]["sample_id"] == "TUMOUR1"
    html = first.to_html()
    assert "research tool" in html
    assert "TUMOUR1" in html


def test_cli_writes_tsv_json_and_html(ann, tmp_path, capsys):
    out = tmp_path / "out.tsv"
    page = tmp_path / "out.html"
    code = main(["annotate", str(ann / "snpeff.vcf"), "--therapy", "osimertinib",
                 "--history", "erlotinib", "--disease", "NSCLC", "--output", str(out),
                 "--html", str(page)])
    assert code == 0
    header = out.read_text().splitlines()[0].split("\t")
    assert header[:3] == ["sample_id", "gene", "alteration"]
    assert set(REQUIRED_COLUMNS) <= set(header)
    assert "Sample PLASMA1" in capsys.readouterr().out
    assert page.read_text().startswith("<!DOCTYPE html>")
    code = main(["annotate", str(ann / "snpeff.vcf"), "--therapy", "osimertinib",
                 "--output", str(tmp_path / "out.json"), "--format", "json", "--quiet"])
    assert code == 0
    assert json.loads((tmp_path / "out.json").read_text())["therapy"] == ["osimertinib"]


def test_cli_errors_are_one_line_exit_2(ann, tmp_path, capsys):
    code = main(["annotate", str(ann / "bad_encoding.tsv"), "--therapy", "osimertinib",
                 "--output", str(tmp_path / "x.tsv")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ")
    assert "line 3: is not UTF-8 text" in err
    assert not (tmp_path / "x.tsv").exists()
    code = main(["annotate", str(ann / "vep.vcf"), "--therapy", "osimertinb",
                 "--output", str(tmp_path / "x.tsv")])
    assert code == 2
    assert "did you mean 'osimertinib'" in capsys.readouterr().err
    code = main(["annotate", str(ann / "vep.vcf"), "--therapy", "osimertinib", "--strict",
                 "--output", str(tmp_path / "x.tsv")])
    assert code == 2
    assert "line 16: cannot parse alteration 'p.Met1?'" in capsys.readouterr().err
