"""Inferred mechanisms: no rule, but the pathway graph places the gene downstream or parallel.

Expected classes and paths come from the curated graph (src/oncoresist/kb/data/pathways.yaml):
HRAS is reached from EGFR through GRB2 and SOS1 (downstream); NF1 inhibits HRAS, which EGFR's
signal activates (downstream, a loss mimics the target); MAP2K1 is downstream of EGFR.
"""

from __future__ import annotations

from oncoresist.annotate import annotate
from oncoresist.annotate._inferred import direction_fits, required_change
from oncoresist.kb import Derivation, derive_mechanism
from oncoresist.variants import Alteration


def _row(result, alteration, drug):
    frame = result.to_frame()
    return frame[(frame["alteration"] == alteration) & (frame["drug"] == drug)].iloc[0]


def test_uncovered_ras_mutation_is_putative_downstream_with_path():
    # HRAS Q61L has no rule for osimertinib in the knowledge base
    row = _row(annotate(["HRAS Q61L"], therapy="osimertinib"), "HRAS p.Q61L", "osimertinib")
    assert bool(row["inferred"])
    assert (row["effect"], row["mechanism"]) == ("putative resistance", "downstream")
    assert row["evidence_level"] == ""
    assert row["references"] == ""
    assert row["rule_id"] == ""
    assert "EGFR → GRB2 → SOS1 → HRAS" in row["path"]
    assert row["path"].startswith("HRAS p.Q61L -> putative downstream resistance to osimertinib")


def test_inferred_findings_are_kept_apart_in_the_summary():
    result = annotate(["HRAS Q61L", "EGFR C797S"], therapy="osimertinib")
    summary = result.summaries()[0]
    assert [i["alteration"] for i in summary["inferred"]] == ["HRAS p.Q61L"]
    assert all(item["alteration"] != "HRAS p.Q61L"
               for items in summary["mechanisms"].values() for item in items)
    assert "Putative mechanisms (inferred from the pathway graph, not curated)" in result.summary()


def test_loss_of_a_negative_regulator_is_inferred_but_its_gain_is_not():
    # NF1 -| HRAS: a truncation (loss) mimics EGFR signalling; an amplification does not
    result = annotate(["NF1 R1362*", "NF1 amplification"], therapy="osimertinib")
    assert _row(result, "NF1 p.R1362*", "osimertinib")["effect"] == "putative resistance"
    assert _row(result, "NF1 amplification", "osimertinib")["effect"] == "no known effect"


def test_truncation_of_an_activator_is_not_inferred():
    result = annotate(["MAP2K1 R49*"], therapy="osimertinib")
    assert _row(result, "MAP2K1 p.R49*", "osimertinib")["effect"] == "no known effect"


def test_on_target_changes_are_never_inferred():
    # EGFR L858R is the sensitising driver, not a resistance mechanism
    row = _row(annotate(["EGFR L858R"], therapy="osimertinib"), "EGFR p.L858R", "osimertinib")
    assert row["effect"] == "no known effect"
    assert not row["inferred"]


def test_infer_can_be_switched_off():
    frame = annotate(["HRAS Q61L"], therapy="osimertinib", infer=False).to_frame()
    assert frame["effect"].tolist() == ["no known effect"]


def test_direction_from_the_path():
    a, i = "activates", "inhibits"
    assert required_change(Derivation("downstream", "", (("NF1", i, "HRAS"), ("EGFR", a, "HRAS")),
                                      "against")) == "loss"
    assert required_change(Derivation("bypass", "", (("MCL1", i, "BAK1"), ("BCL2", i, "BAK1")),
                                      "parallel")) == "gain"
    assert required_change(Derivation("downstream", "", (("EGFR", a, "GRB2"), ("GRB2", a, "SOS1"),
                                                         ("SOS1", a, "KRAS")),
                                      "downstream")) == "gain"
    # PTEN -| AKT1 -> ESR1: one inhibition on the way, so a loss of the gene mimics the target
    assert required_change(Derivation("bypass", "", (("PTEN", i, "AKT1"), ("AKT1", a, "ESR1")),
                                      "effectors")) == "loss"
    assert required_change(Derivation("on-target", "", (), "target")) is None
    # the knowledge base's own derivations (pathways.yaml: NF1 -| HRAS; EGFR -> GRB2 -> SOS1)
    assert required_change(derive_mechanism("NF1 loss", "erlotinib")) == "loss"
    assert required_change(derive_mechanism("KRAS G12D", "cetuximab")) == "gain"
    assert direction_fits(Alteration.parse("MET amplification"), "gain")
    assert not direction_fits(Alteration.parse("MET amplification"), "loss")
