"""Mechanism classes derived from the signed pathway graph."""

from __future__ import annotations

import pytest

from oncoresist.kb import derive_mechanism
from oncoresist.kb._curated import load_pathways


@pytest.fixture(scope="module")
def graph(kb_data):
    return load_pathways(kb_data / "pathways_min.yaml")


# Expected classes by hand from the fixture graph (tests/data/kb/pathways_min.yaml).
@pytest.mark.parametrize(
    ("gene", "targets", "expected"),
    [
        ("EGFR", ["EGFR"], "on-target"),  # the target itself
        ("KRAS", ["EGFR"], "downstream"),  # EGFR -> GRB2 -> SOS1 -> KRAS
        ("MAPK1", ["EGFR"], "downstream"),
        ("NF1", ["EGFR"], "downstream"),  # NF1 -| KRAS, against EGFR's signal on KRAS
        ("PTEN", ["EGFR"], "downstream"),  # PTEN -| AKT1, against EGFR -> PIK3CA -> AKT1
        ("MET", ["EGFR"], "bypass"),  # MET -> GRB2 and -> PIK3CA, as EGFR does
        ("HGF", ["EGFR"], "bypass"),  # HGF -> MET -> ... reaches MAPK1, AKT1 around EGFR
        ("KRAS", ["BRAF"], None),  # KRAS activates BRAF: upstream of the target, no class
        ("ABL1", ["EGFR"], None),  # not connected to EGFR's effectors
        ("TP53", ["EGFR"], None),  # not in the graph
    ],
)
def test_derivation_on_fixture_graph(graph, gene, targets, expected):
    assert graph.derive(gene, targets).mechanism == expected


def test_explanation_gives_the_path(graph):
    derivation = graph.derive("KRAS", ["EGFR"])
    assert derivation.explanation == "KRAS is downstream of the target: EGFR → GRB2 → SOS1 → KRAS"
    assert "NF1 ⊣ KRAS" in graph.derive("NF1", ["EGFR"]).explanation


def test_feedback_does_not_make_activators_downstream(kb_data, tmp_path):
    # Add ERK -| SOS1 feedback: SOS1 and KRAS activate BRAF, so they stay out of BRAF's
    # downstream set even though MAPK1 (downstream of BRAF) now reaches them.
    text = (kb_data / "pathways_min.yaml").read_text()
    text = text.replace(
        "effectors:", "  - {source: MAPK1, target: SOS1, sign: inhibits}\neffectors:"
    )
    path = tmp_path / "pathways.yaml"
    path.write_text(text)
    graph = load_pathways(path)
    assert graph.derive("KRAS", ["BRAF"]).mechanism is None
    assert "KRAS" not in graph.downstream_of(["BRAF"])
    assert graph.derive("MAP2K1", ["BRAF"]).mechanism == "downstream"


# The three cases named in issue 2, on the shipped (curated) graph and drug list.
@pytest.mark.parametrize(
    ("alteration", "drug", "expected"),
    [
        ("EGFR T790M", "erlotinib", "on-target"),
        ("MET amplification", "osimertinib", "bypass"),
        ("KRAS G12D", "cetuximab", "downstream"),
    ],
)
def test_issue_cases_on_shipped_graph(alteration, drug, expected):
    assert derive_mechanism(alteration, drug).mechanism == expected


def test_loss_of_nf1_is_downstream_of_egfr_on_shipped_graph():
    derivation = derive_mechanism("NF1 loss", "erlotinib")
    assert derivation.mechanism == "downstream"
    assert "⊣" in derivation.explanation
