"""Hits read against the knowledge base (oncoresist.kb public API)."""

from __future__ import annotations

import pandas as pd
import pytest

from oncoresist._core import InputError
from oncoresist.crispr import annotate_hits


def _summary():
    return pd.DataFrame(
        {
            "id": ["NF1", "GENE0042", "EGFP", "KRAS"],
            "neg|fdr": [0.9, 0.02, 1.0, 0.5],
            "pos|fdr": [0.001, 1.0, 0.05, 0.5],
            "neg|lfc": [2.1, -1.5, 0.3, 0.0],
            "pos|lfc": [2.1, -1.5, 0.3, 0.0],
        }
    )


def test_positive_hit_on_mapk_pathway_under_braf_inhibitor():
    # NF1 inhibits RAS upstream of BRAF's effectors: the knowledge base's graph calls its loss a
    # bypass of vemurafenib and holds rules about NF1 loss with it (docs/kb.md, pathways.yaml).
    hits = annotate_hits(_summary(), "vemurafenib").set_index("id")
    assert list(hits.index) == ["NF1", "GENE0042", "EGFP"]  # ordered by FDR; KRAS not a hit
    assert hits.loc["NF1", "selection"] == "positive"
    assert hits.loc["NF1", "kb_pathway_class"] == "bypass"
    assert "resistance" in hits.loc["NF1", "kb_known_effects"]
    assert hits.loc["GENE0042", "selection"] == "negative"
    assert hits.loc["GENE0042", "kb_known_effects"] == ""


def test_drugz_tables_and_bad_input():
    drugz = pd.DataFrame({"GENE": ["NF1", "A1BG"], "normZ": [4.0, 0.1], "fdr_synth": [1.0, 0.9], "fdr_supp": [0.01, 0.9]})
    assert annotate_hits(drugz, "dabrafenib")["id"].tolist() == ["NF1"]
    with pytest.raises(InputError, match="gene_summary"):
        annotate_hits(pd.DataFrame({"x": [1]}), "vemurafenib")
    with pytest.raises(InputError):
        annotate_hits(_summary(), "no-such-drug-xyz")
