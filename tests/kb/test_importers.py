"""Importers on the real CIViC 01-Aug-2021 and CGI 2017-02 releases, and on the newer layout."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from oncoresist import InputError
from oncoresist.kb import _build
from oncoresist.kb._curated import load_drugs
from oncoresist.kb._importers.cgi import import_cgi, split_alteration
from oncoresist.kb._importers.civic import import_civic, split_drugs
from oncoresist.variants import parse_alteration

CIVIC = _build.SOURCES_DIR / _build.CIVIC_FILE
CGI = _build.SOURCES_DIR / _build.CGI_FILE


def _raw_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def drugs():
    return load_drugs(_build.DATA_DIR / "drugs.yaml")


@pytest.fixture(scope="module")
def civic(drugs):
    return import_civic(CIVIC, drugs)


@pytest.fixture(scope="module")
def cgi(drugs):
    return import_cgi(CGI, drugs)


def test_every_civic_resistance_item_is_loaded_or_reported(civic):
    # 935 = evidence items with clinical significance "Resistance" in the release
    # (stated in /work/shared/data/README.md for civic-2021-08).
    assert civic.items == 935
    assert civic.loaded_items + len(civic.refused) == 935
    assert sum(civic.reasons().values()) == len(civic.refused)
    refused_ids = [source_id for source_id, _, _ in civic.refused]
    assert len(set(refused_ids)) == len(refused_ids)


def test_does_not_support_never_becomes_a_rule(civic):
    rows = _raw_rows(CIVIC)
    against = {
        f"CIViC:EID{r['evidence_id']}"
        for r in rows
        if r["clinical_significance"] == "Resistance"
        and r["evidence_direction"] == "Does Not Support"
    }
    assert len(against) == 195  # counted independently from the raw file with the csv module
    assert civic.reasons()["evidence does not support"] == len(against)
    in_rules = {s for rule in civic.rules for s in rule.sources}
    assert not against & in_rules


def test_every_loaded_civic_item_keeps_its_source_id(civic):
    refused = {source_id for source_id, _, _ in civic.refused}
    in_rules = {s for rule in civic.rules for s in rule.sources}
    rows = _raw_rows(CIVIC)
    resistance = {
        f"CIViC:EID{r['evidence_id']}" for r in rows if r["clinical_significance"] == "Resistance"
    }
    assert in_rules | refused == resistance
    assert not in_rules & refused


def test_civic_normalisation_of_a_known_item(civic):
    # EID238 is "EGFR T790M, erlotinib, resistance, Lung Non-small Cell Carcinoma, level A"
    # in the release (row read with the csv module below).
    row = next(r for r in _raw_rows(CIVIC) if r["evidence_id"] == "238")
    assert (row["gene"], row["variant"], row["drugs"], row["evidence_level"]) == (
        "EGFR",
        "T790M",
        "Erlotinib",
        "A",
    )
    rule = next(r for r in civic.rules if r.sources == ("CIViC:EID238",))
    assert str(rule.alteration) == "EGFR p.T790M"
    assert rule.drugs == ("erlotinib",)
    assert rule.disease == "non-small cell lung cancer"
    assert rule.evidence_level == "A"
    assert rule.references == (f"PMID:{row['citation_id']}",)


def test_bcr_abl_mutations_keep_the_fusion_as_context(civic):
    rules = [r for r in civic.rules if str(r.alteration) == "ABL1 p.T315I"]
    assert rules
    assert all(r.requires == ("BCR::ABL1 fusion",) for r in rules)


def test_imatinib_mesylate_items_become_imatinib_rules(civic):
    rows = _raw_rows(CIVIC)
    mesylate = {
        f"CIViC:EID{r['evidence_id']}"
        for r in rows
        if r["clinical_significance"] == "Resistance"
        and r["evidence_direction"] == "Supports"
        and "Imatinib Mesylate" in r["drugs"].split(",")
    }
    assert mesylate
    named = {s for rule in civic.rules if "imatinib" in rule.drugs for s in rule.sources}
    assert mesylate <= named


def test_unresolved_drugs_are_reported_with_counts(civic):
    unresolved_items = [d for _, reason, d in civic.refused if reason == "unresolved drug"]
    for detail in unresolved_items:
        names = detail.split(" among ", 1)[-1].split(" includes ", 1)[-1]
        assert any(name in civic.unresolved_drugs for name in names.split(", "))


def test_split_drugs_mends_names_with_commas():
    assert split_drugs("HER2 Inhibitor CP-724,714") == ["HER2 Inhibitor CP-724,714"]
    assert split_drugs("Cetuximab,Irinotecan") == ["Cetuximab", "Irinotecan"]
    assert split_drugs("Vemurafenib, Cetuximab") == ["Vemurafenib", "Cetuximab"]


def test_civic_molecular_profile_layout(kb_data, drugs):
    result = import_civic(kb_data / "civic_molecular_profile_layout.tsv", drugs)
    # 8 rows by hand: 7 Resistance (one is Sensitivity/Response); of these 1 Does Not Support,
    # 1 unknown drug (Madeupinib), 1 not an alteration (serum levels): 4 loaded.
    assert (result.items, result.loaded_items, len(result.refused)) == (7, 4, 3)
    assert result.reasons() == {
        "evidence does not support": 1,
        "unparsable alteration": 1,
        "unresolved drug": 1,
    }
    by_id = {r.id: r for r in result.rules}
    assert str(by_id["CIVIC-EID90001"].alteration) == "EGFR p.T790M"
    both = parse_alteration(None, "EGFR L858R and EGFR T790M")
    assert by_id["CIVIC-EID90002"].alteration == both
    combo = by_id["CIVIC-EID90004"]
    assert combo.combination
    assert combo.drugs == ("cetuximab", "vemurafenib")
    assert {"CIVIC-EID90005-osimertinib", "CIVIC-EID90005-erlotinib"} <= set(by_id)
    assert result.unresolved_drugs == Counter({"Madeupinib": 1})


def test_civic_file_with_wrong_columns(tmp_path, drugs):
    path = tmp_path / "civic.tsv"
    path.write_text("gene\tvariant\nEGFR\tT790M\n")
    with pytest.raises(InputError, match="missing column") as info:
        import_civic(path, drugs)
    assert info.value.line == 1


def test_every_cgi_resistant_row_is_loaded_or_reported(cgi):
    rows = _raw_rows(CGI)
    resistant = [r for r in rows if r["Association"] == "Resistant"]
    assert len(resistant) == 182  # counted from the raw file, as in the data README
    assert cgi.items == 182
    assert cgi.loaded_items + len(cgi.refused) == 182


def test_cgi_alteration_syntax():
    assert split_alteration("ABL1:V299L,T315A") == [("ABL1", ["V299L", "T315A"])]
    assert split_alteration("NF1:del;BRAF:.") == [("NF1", ["del"]), ("BRAF", ["."])]
    assert split_alteration("MET:Y1230C;Y1235D") == [("MET", ["Y1230C", "Y1235D"])]
    assert split_alteration("ESR1__YAP1") == [("YAP1", ["ESR1::YAP1 fusion"])]
    assert split_alteration("KIT::wildtype:.") == [("KIT", ["::wildtype"])]


def test_cgi_known_rows(cgi):
    # Line 247 of the release: EGFR:T790M, Drug "[]", family "[EGFR inhibitor 1st gen]",
    # Late trials, tumour type NSCLC, Resistant.
    rules = [r for r in cgi.rules if "CGI:2017-02-08:line 247" in r.sources]
    assert len(rules) == 1
    rule = rules[0]
    assert str(rule.alteration) == "EGFR p.T790M"
    assert {"erlotinib", "gefitinib"} <= set(rule.drugs)
    assert "osimertinib" not in rule.drugs  # third generation, not first
    assert (rule.disease, rule.evidence_level) == ("non-small cell lung cancer", "B")
    # Line 272: EGFR:T790M, Erlotinib, NCCN/CAP guidelines, tumour type "L" (lung).
    rule = next(r for r in cgi.rules if "CGI:2017-02-08:line 272" in r.sources)
    assert (rule.drugs, rule.disease, rule.evidence_level) == (("erlotinib",), "lung cancer", "A")


def test_cgi_wild_type_rows_are_refused(cgi):
    assert cgi.reasons().get("wild-type biomarker") == 2  # KIT and PDGFRA wildtype rows
