"""Public helpers the capabilities use: disease spelling, known genes, structured derivations.

Expected values come from the fixture graph (tests/data/kb/pathways_min.yaml), by hand:
EGFR -> GRB2 -> SOS1 -> KRAS; NF1 -| KRAS; MET -> GRB2 and -> PIK3CA; HGF -> MET;
PIK3CA -> AKT1; effectors MAPK1 and AKT1.
"""

from __future__ import annotations

import pytest

from oncoresist.kb import Derivation, known_genes, load_kb, normalise_disease
from oncoresist.kb._curated import load_pathways
from oncoresist.kb._pathways import _ARROW
from oncoresist.kb._query import add_extra

A, INH = "activates", "inhibits"


@pytest.fixture(scope="module")
def graph(kb_data):
    return load_pathways(kb_data / "pathways_min.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NSCLC", "non-small cell lung cancer"),
        ("  Lung Non-small Cell   Carcinoma", "non-small cell lung cancer"),
        ("CML", "chronic myeloid leukemia"),
        ("Colorectal Adenocarcinoma", "colorectal cancer"),
        ("Cancer", None),
        ("solid tumour", None),
        (None, None),
        ("Some Rare Sarcoma", "some rare sarcoma"),  # unknown: lower-cased, kept comparable
    ],
)
def test_normalise_disease(text, expected):
    assert normalise_disease(text) == expected


def test_disease_spelling_is_the_one_queries_report():
    assert load_kb().rules_for("EGFR T790M", None, "NSCLC").query["disease"] == normalise_disease(
        "NSCLC"
    )


def test_known_genes_are_rule_genes_and_graph_genes(mini_kb):
    expected = {g for rule in mini_kb.all_rules() for g in rule.genes} | mini_kb.graph.genes
    assert mini_kb.known_genes() == frozenset(expected)
    assert mini_kb.known_genes() is mini_kb.known_genes()  # computed once


def test_known_genes_include_user_rules(mini_kb, tmp_path):
    before = mini_kb.known_genes()
    assert "ZNF703" not in before
    path = tmp_path / "mine.yaml"
    path.write_text(
        "schema_version: 1\nrules:\n  - id: MY-ZNF703\n    gene: ZNF703\n"
        "    alteration: amplification\n    drugs: [osimertinib]\n    effect: resistance\n"
        "    evidence_level: D\n    confidence: low\n"
    )
    assert add_extra(mini_kb, [path]).known_genes() == before | {"ZNF703"}
    assert mini_kb.known_genes() == before


def test_shipped_known_genes():
    genes = known_genes()
    assert {"EGFR", "MET", "KRAS", "ABL1", "ESR1", "NRAS", "BRAF"} <= genes
    assert load_kb().graph.genes <= genes


def test_graph_genes_are_cached(graph):
    assert graph.genes is graph.genes
    assert graph.genes == frozenset(graph.roles) | {g for e in graph.edges for g in e[:2]}


@pytest.mark.parametrize(
    ("gene", "relation", "steps"),
    [
        ("EGFR", "target", ()),
        ("KRAS", "downstream", (("EGFR", A, "GRB2"), ("GRB2", A, "SOS1"), ("SOS1", A, "KRAS"))),
        ("NF1", "against", (("NF1", INH, "KRAS"), ("EGFR", A, "GRB2"), ("GRB2", A, "SOS1"),
                            ("SOS1", A, "KRAS"))),
        ("MET", "parallel", (("MET", A, "GRB2"), ("EGFR", A, "GRB2"))),
        ("HGF", "effectors", (("HGF", A, "MET"), ("MET", A, "PIK3CA"), ("PIK3CA", A, "AKT1"))),
        ("ABL1", None, ()),
    ],
)
def test_derivation_steps_and_relation(graph, gene, relation, steps):
    derivation = graph.derive(gene, ["EGFR"])
    assert derivation.relation == relation
    assert derivation.steps == steps


@pytest.mark.parametrize("gene", ["KRAS", "NF1", "MET", "HGF", "MAPK1", "PTEN", "AKT1"])
def test_steps_are_the_path_the_explanation_writes(graph, gene):
    derivation = graph.derive(gene, ["EGFR"])
    chain = derivation.steps[1:] if derivation.relation in ("against", "parallel") else (
        derivation.steps
    )
    written = chain[0][0] + "".join(f" {_ARROW[s]} {t}" for _, s, t in chain)
    assert derivation.explanation.endswith(": " + written)
    if derivation.relation in ("against", "parallel"):
        source, sign, target = derivation.steps[0]
        assert derivation.explanation.startswith(f"{source} {_ARROW[sign]} {target}, ")


def test_net_sign():
    assert Derivation("downstream", "", (("NF1", INH, "KRAS"),)).net_sign == INH
    assert Derivation("bypass", "", (("A", INH, "B"), ("B", INH, "C"))).net_sign == A
    assert Derivation(None, "").net_sign is None


def test_shipped_derivation_carries_steps():
    derivation = load_kb().derive("KRAS G12D", "cetuximab")
    assert derivation.relation == "downstream"
    assert derivation.steps[0][0] == "EGFR"
    assert derivation.steps[-1][2] == "KRAS"
