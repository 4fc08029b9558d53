"""The compiled knowledge base: reproducible bytes, version and sources recorded, up to date."""

from __future__ import annotations

import json

from oncoresist.kb import _build, build_kb
from oncoresist.kb._build import inputs_version


def test_build_twice_gives_the_same_bytes(mini_kb_dir, tmp_path):
    again = build_kb(
        data_dir=mini_kb_dir / "data", sources_dir=_build.SOURCES_DIR, out_dir=tmp_path / "again"
    )
    first = (mini_kb_dir / "compiled" / "kb.json").read_bytes()
    assert again.kb_path.read_bytes() == first
    report = (mini_kb_dir / "compiled" / "import_report.tsv").read_bytes()
    assert again.report_path.read_bytes() == report


def test_build_records_version_sources_and_hashes(mini_kb_dir):
    document = json.loads((mini_kb_dir / "compiled" / "kb.json").read_text())
    assert document["kb_version"].startswith(_build.KB_SERIES + "+")
    releases = {s["name"]: s["release"] for s in document["sources"]}
    assert releases == {"CIViC": "01-Aug-2021", "CGI biomarkers": "2017-02-08"}
    assert all(len(s["sha256"]) == 64 for s in document["sources"])
    assert set(document["curated"]) == {"drugs.yaml", "pathways.yaml", "rules.yaml"}
    counts = document["counts"]
    assert counts["civic"]["items"] == 935
    assert counts["civic"]["loaded_items"] + counts["civic"]["refused_items"] == 935
    assert counts["cgi"]["items"] == 182


def test_curated_override_is_recorded(mini_kb):
    rule = next(r for r in mini_kb.all_rules() if r.id == "TEST-MET-AMP-OVERRIDE")
    assert rule.mechanism == "microenvironment"
    assert rule.mechanism_derived == "bypass"
    assert rule.mechanism_source == "curated override"


def test_curated_phenotype_rule_keeps_its_class(mini_kb):
    rule = next(r for r in mini_kb.all_rules() if r.id == "TEST-EMT")
    assert (rule.mechanism, rule.mechanism_source, rule.mechanism_derived) == (
        "phenotypic",
        "curated",
        None,
    )


def test_class_rules_expand_to_members_of_the_generation(mini_kb):
    rule = next(r for r in mini_kb.all_rules() if r.id == "TEST-EGFR-T790M")
    assert "erlotinib" in rule.drugs
    assert "gefitinib" in rule.drugs
    assert "osimertinib" not in rule.drugs
    assert rule.drug_class == "EGFR TKI"


def test_shipped_compiled_kb_is_up_to_date():
    document = json.loads((_build.COMPILED_DIR / _build.COMPILED_FILE).read_text())
    assert document["kb_version"] == inputs_version(), (
        "the curated YAML or the sources changed since the last build: run `oncoresist kb build`"
    )
