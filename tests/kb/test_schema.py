"""The YAML contract (KB_SCHEMA.md): valid files load, bad ones fail with file, line and field."""

from __future__ import annotations

import pytest

from oncoresist import InputError
from oncoresist.kb._curated import load_drugs, load_pathways, load_rules
from oncoresist.kb._schema import DrugsFile, PathwaysFile, RulesFile, load_file

RULE = """\
schema_version: 1
rules:
  - id: OK-1
    gene: EGFR
    alteration: T790M
    drugs: [erlotinib]
    effect: resistance
    evidence_level: B
    confidence: high
"""


def _write(tmp_path, text, name="rules.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_fixture_files_validate(kb_data):
    drugs, _ = load_file(kb_data / "drugs_min.yaml", DrugsFile)
    pathways, _ = load_file(kb_data / "pathways_min.yaml", PathwaysFile)
    rules, _ = load_file(kb_data / "rules_min.yaml", RulesFile)
    # counted by hand in the fixture files
    assert (len(drugs.drugs), len(pathways.nodes), len(pathways.edges), len(rules.rules)) == (
        6,
        14,
        14,
        3,
    )


def test_shipped_curated_files_validate():
    from oncoresist.kb import _build

    drugs = load_drugs(_build.DATA_DIR / "drugs.yaml")
    graph = load_pathways(_build.DATA_DIR / "pathways.yaml")
    rules, _ = load_rules(_build.DATA_DIR / "rules.yaml", drugs, graph)
    assert len(drugs.drugs) >= 120
    assert rules


def test_broken_yaml_names_the_line(tmp_path):
    path = _write(
        tmp_path, "schema_version: 1\nrules:\n  - id: X\n    gene: [EGFR\n    alteration: T790M\n"
    )
    with pytest.raises(InputError) as info:
        load_file(path, RulesFile)
    # the unclosed flow sequence opened on line 4 is detected at the ':' on line 5
    assert info.value.line == 5
    assert str(path) in str(info.value)
    assert "not valid YAML" in str(info.value)


def test_unknown_key_suggests_the_known_one(tmp_path):
    path = _write(tmp_path, RULE.replace("evidence_level", "evidnce_level"))
    with pytest.raises(InputError) as info:
        load_file(path, RulesFile)
    assert info.value.line == 8
    assert info.value.field == "evidnce_level"
    assert "entry 1 (id 'OK-1')" in str(info.value)
    assert "did you mean 'evidence_level'" in str(info.value)


def test_bad_enum_value_lists_the_choices(tmp_path):
    path = _write(tmp_path, RULE.replace("effect: resistance", "effect: resistant"))
    with pytest.raises(InputError) as info:
        load_file(path, RulesFile)
    assert (info.value.line, info.value.field) == (7, "effect")
    assert "'reduced sensitivity'" in str(info.value)


def test_rule_without_drug_or_class_is_refused(tmp_path):
    path = _write(tmp_path, RULE.replace("    drugs: [erlotinib]\n", ""))
    with pytest.raises(InputError, match="give the drugs the rule is about") as info:
        load_file(path, RulesFile)
    assert info.value.line == 3


def test_reference_format_is_checked(tmp_path):
    path = _write(tmp_path, RULE + "    references: [PubMed 15737014]\n")
    with pytest.raises(InputError, match="PMID:12345678") as info:
        load_file(path, RulesFile)
    assert info.value.field == "references"


def test_drug_name_must_be_lower_case(tmp_path):
    text = "schema_version: 1\ndrugs:\n  - name: Erlotinib\n    class: EGFR TKI\n    modality: small molecule\n"
    with pytest.raises(InputError, match="lower case") as info:
        load_file(_write(tmp_path, text, "drugs.yaml"), DrugsFile)
    assert info.value.line == 3


def test_unknown_drug_in_rules_suggests_close_names(tmp_path, kb_data):
    drugs = load_drugs(kb_data / "drugs_min.yaml")
    graph = load_pathways(kb_data / "pathways_min.yaml")
    path = _write(tmp_path, RULE.replace("[erlotinib]", "[erlotinb]"))
    with pytest.raises(InputError) as info:
        load_rules(path, drugs, graph)
    assert (info.value.line, info.value.field) == (6, "drugs")
    assert "did you mean 'erlotinib'" in str(info.value)


def test_unparsable_alteration_names_file_line_and_text(tmp_path, kb_data):
    drugs = load_drugs(kb_data / "drugs_min.yaml")
    graph = load_pathways(kb_data / "pathways_min.yaml")
    path = _write(tmp_path, RULE.replace("alteration: T790M", "alteration: T790M?!"))
    with pytest.raises(InputError) as info:
        load_rules(path, drugs, graph)
    assert (info.value.line, info.value.field) == (5, "alteration")
    assert "T790M?!" in str(info.value)
    assert str(path) in str(info.value)


def test_duplicate_rule_ids_are_refused(tmp_path, kb_data):
    drugs = load_drugs(kb_data / "drugs_min.yaml")
    graph = load_pathways(kb_data / "pathways_min.yaml")
    body = RULE.split("rules:\n")[1]
    path = _write(tmp_path, RULE + body)
    with pytest.raises(InputError, match="already used") as info:
        load_rules(path, drugs, graph)
    assert info.value.line == 10


def test_edge_to_unknown_gene_is_refused(tmp_path):
    text = (
        "schema_version: 1\nnodes:\n  - {gene: EGFR, role: receptor}\nedges:\n"
        "  - {source: EGFR, target: GRB2, sign: activates}\neffectors: []\n"
    )
    with pytest.raises(InputError, match="'GRB2' is not among the nodes") as info:
        load_pathways(_write(tmp_path, text, "pathways.yaml"))
    assert info.value.line == 5


def test_synonym_claimed_by_two_drugs_is_refused(tmp_path):
    text = (
        "schema_version: 1\ndrugs:\n"
        "  - {name: a, synonyms: [X-1], class: c, modality: other}\n"
        "  - {name: b, synonyms: [x1], class: c, modality: other}\n"
    )
    with pytest.raises(InputError, match="also a name of 'a'") as info:
        load_drugs(_write(tmp_path, text, "drugs.yaml"))
    assert info.value.line == 4


def test_duplicate_key_is_refused_with_its_line(tmp_path):
    path = _write(tmp_path, RULE + "    effect: sensitivity\n")
    with pytest.raises(InputError, match="'effect' appears twice") as info:
        load_file(path, RulesFile)
    assert info.value.line == 10


DRUG = "schema_version: 1\ndrugs:\n  - name: x\n    class: c\n    modality: small molecule\n"


def test_acts_on_defaults_to_tumour(tmp_path):
    index = load_drugs(_write(tmp_path, DRUG, "drugs.yaml"))
    assert index.drugs["x"].acts_on == ("tumour",)


def test_acts_on_is_read(tmp_path):
    text = DRUG + "    acts_on: [tumour, hgf-met]\n"
    index = load_drugs(_write(tmp_path, text, "drugs.yaml"))
    assert index.drugs["x"].acts_on == ("tumour", "hgf-met")


def test_acts_on_unknown_compartment_lists_the_choices(tmp_path):
    text = DRUG + "    acts_on: [tumour, stroma]\n"
    with pytest.raises(InputError) as info:
        load_file(_write(tmp_path, text, "drugs.yaml"), DrugsFile)
    assert info.value.line == 6
    assert "'hgf-met'" in str(info.value)


@pytest.mark.parametrize("value", ["[]", "[tumour, tumour]"])
def test_acts_on_empty_or_repeated_is_refused(tmp_path, value):
    text = DRUG + f"    acts_on: {value}\n"
    with pytest.raises(InputError, match="acts_on"):
        load_file(_write(tmp_path, text, "drugs.yaml"), DrugsFile)
