"""Queries: rules for an alteration, mechanisms for a drug, drugs, user rules (--kb-extra)."""

from __future__ import annotations

import json

import pytest

from oncoresist import InputError, ParseError
from oncoresist.kb import load_kb, mechanisms, rules_for
from oncoresist.kb._query import add_extra
from oncoresist.variants import parse_alteration

EXTRA = """\
schema_version: 1
rules:
  - id: MY-EGFR-L718Q
    gene: EGFR
    alteration: L718Q
    drugs: [Tagrisso]
    effect: resistance
    disease: NSCLC
    evidence_level: C
    confidence: low
    alternatives: [gefitinib]
"""


def test_rules_for_an_alteration_and_drug(mini_kb):
    found = mini_kb.rules_for("EGFR T790M", "erlotinib")
    assert "TEST-EGFR-T790M" in found.ids
    assert all("erlotinib" in r.drugs for r in found)
    assert {r.mechanism for r in found} == {"on-target"}
    frame = found.to_frame()
    assert list(frame.columns[:6]) == [
        "id",
        "alteration",
        "drugs",
        "drug_class",
        "effect",
        "mechanism",
    ]
    assert len(frame) == len(found)


def test_pattern_rules_match_specific_alterations(mini_kb):
    # CIViC has resistance items on "KRAS G12/G13" patterns and on G12D itself.
    found = mini_kb.rules_for("KRAS G12D", "cetuximab")
    patterns = {str(r.alteration) for r in found}
    assert "KRAS p.G12D" in patterns
    assert any(p != "KRAS p.G12D" for p in patterns)  # a more general pattern also applies
    assert {r.mechanism for r in found} == {"downstream"}


def test_include_specific_finds_narrower_rules(mini_kb):
    general = mini_kb.rules_for("KRAS G12X")
    specific = mini_kb.rules_for("KRAS G12X", include_specific=True)
    assert set(general.ids) < set(specific.ids)


def test_disease_filter_uses_the_hierarchy(mini_kb):
    lung = mini_kb.rules_for("EGFR T790M", disease="lung cancer")
    nsclc = mini_kb.rules_for("EGFR T790M", disease="NSCLC")
    breast = mini_kb.rules_for("EGFR T790M", disease="breast cancer")
    assert "TEST-EGFR-T790M" in lung.ids
    assert "TEST-EGFR-T790M" in nsclc.ids
    assert "TEST-EGFR-T790M" not in breast.ids
    assert all(r.disease is None for r in breast)


def test_phenotype_rules_are_found(mini_kb):
    assert mini_kb.rules_for("phenotype: EMT").ids == ["TEST-EMT"]


def test_mechanisms_group_by_class(mini_kb):
    known = mini_kb.mechanisms("Tagrisso", "non-small cell lung cancer")
    groups = known.by_mechanism()
    assert "on-target" in groups  # C797S
    assert "bypass" in groups  # MET amplification from CIViC/CGI
    order = list(groups)
    assert order.index("on-target") < order.index("bypass")
    assert known.query["drug"] == "osimertinib"


def test_unknown_drug_in_query_suggests(mini_kb):
    with pytest.raises(InputError, match="did you mean 'erlotinib'"):
        mini_kb.rules_for("EGFR T790M", "erlotinb")


def test_unparsable_alteration_in_query():
    with pytest.raises(ParseError, match="T790M!!"):
        rules_for("EGFR T790M!!")


def test_rule_set_write_json_and_tsv(mini_kb, tmp_path):
    found = mini_kb.rules_for("EGFR T790M", "erlotinib")
    payload = json.loads(found.write(tmp_path / "r.json").read_text())
    assert payload["kb_version"] == mini_kb.version
    assert [r["id"] for r in payload["rules"]] == found.ids
    text = found.write(tmp_path / "r.tsv").read_text()
    assert text.startswith(f"# kb_version: {mini_kb.version}\nid\talteration")


def test_extra_rules_are_added_and_classified(mini_kb, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(EXTRA)
    base = add_extra(mini_kb, [path])
    found = base.rules_for("EGFR L718Q", "osimertinib")
    rule = next(r for r in found if r.id == "MY-EGFR-L718Q")
    assert rule.origin == "extra"
    assert (rule.mechanism, rule.mechanism_source) == ("on-target", "derived")
    assert rule.disease == "non-small cell lung cancer"
    assert rule.alternatives == ("gefitinib",)
    assert "MY-EGFR-L718Q" not in mini_kb.rules_for("EGFR L718Q").ids  # base unchanged
    assert add_extra(mini_kb, [path]) is base  # cached per file version


def test_extra_rules_errors_name_file_line_field(mini_kb, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(EXTRA.replace("[Tagrisso]", "[Tagriso]"))
    with pytest.raises(InputError) as info:
        add_extra(mini_kb, [path])
    assert (info.value.path, info.value.line, info.value.field) == (str(path.resolve()), 6, "drugs")
    assert "did you mean 'osimertinib'" in str(info.value)


def test_extra_rule_id_clash(mini_kb, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(EXTRA.replace("MY-EGFR-L718Q", "TEST-EMT"))
    with pytest.raises(InputError, match="already used"):
        add_extra(mini_kb, [path])


def test_missing_extra_file(mini_kb, tmp_path):
    with pytest.raises(InputError, match="not found"):
        add_extra(mini_kb, [tmp_path / "nope.yaml"])


def test_shipped_kb_answers_the_issue_queries():
    base = load_kb()
    assert base.drug("osimertinib").generation == 3
    t790m = rules_for("EGFR T790M", "erlotinib")
    assert t790m
    assert {r.mechanism for r in t790m} == {"on-target"}
    assert mechanisms("erlotinib").by_mechanism()
    assert parse_alteration("EGFR", "T790M") in {r.alteration for r in t790m}


def test_loading_is_cached_and_repeated_queries_are_cheap():
    base = load_kb()
    assert load_kb() is base
    alteration = parse_alteration("KRAS", "G12D")
    first = base.rules_for(alteration, "cetuximab")
    hits = base._match.cache_info().hits
    for _ in range(10):
        assert base.rules_for(alteration, "cetuximab").ids == first.ids
    assert base._match.cache_info().hits == hits + 10


def test_shipped_rules_carry_the_issue_classes():
    met = rules_for("MET amplification", "osimertinib")
    assert met
    assert {r.mechanism for r in met if r.mechanism_source == "derived"} == {"bypass"}
    kras = rules_for("KRAS G12D", "cetuximab")
    assert kras
    assert {r.mechanism for r in kras} == {"downstream"}
