"""The bundled example (examples/egfr_annotate): expected answers from the curated rules.

CUR-EGFR-C797S-3G (Thress 2015, PMID:25939061), CUR-MET-AMP-EGFRTKI (Engelman 2007,
PMID:17463250); the VCF gives no phase, so the C797S/T790M cis and trans rules are both kept
with "phase unknown"; TP53 R273H has no rule for osimertinib and is placed by the pathway graph.
"""

from __future__ import annotations

from pathlib import Path

from oncoresist.annotate import annotate

EXAMPLE = (Path(__file__).parents[2] / "examples" / "egfr_annotate"
           / "plasma_progression_osimertinib.vcf")


def test_bundled_example():
    result = annotate(EXAMPLE, therapy="osimertinib", history="erlotinib", disease="NSCLC")
    summary = result.summaries()[0]
    assert summary["sample_id"] == "PLASMA_PROGRESSION"
    classes = {m: [i["alteration"] for i in items] for m, items in summary["mechanisms"].items()}
    assert classes["on-target"] == ["EGFR p.C797S"]
    assert classes["bypass"] == ["MET amplification"]
    assert summary["co_occurrence_unknown"] == [
        "phase unknown: rule needs EGFR p.T790M in cis",
        "phase unknown: rule needs EGFR p.T790M in trans",
    ]
    assert [i["alteration"] for i in summary["inferred"]] == ["TP53 p.R273H"]
    assert "capmatinib" in summary["options"]
    assert result.problems == ()


def test_kernel_hash_matches_python():
    import numpy as np

    from oncoresist.variants._kernels import fnv_kernel
    from oncoresist.variants._vcf import _fnv1a

    for gene in ("EGFR", "MET", "BCR", "C15orf55"):
        buf = np.frombuffer(gene.encode(), dtype=np.uint8)
        assert int(fnv_kernel(buf, 0, len(buf))) == _fnv1a(gene.encode())
