"""Rules that need two alterations together (requires / phase).

Rules used (src/oncoresist/kb/data/rules.yaml): CUR-EGFR-C797S-CIS-T790M (C797S with T790M in
cis: no EGFR TKI works; Thress 2015, PMID:25939061) and CUR-EGFR-C797S-TRANS-T790M (in trans:
first- plus third-generation TKIs); CGI-L904-1 (PTEN mutation with a BRAF mutation under BRAF
inhibitors). The phase of each sample is how tests/data/annotate/multisample.vcf was written:
CIS has both alleles on haplotype 1 of phase set 55181378, TRANS has them on different
haplotypes, UNPHASED has no phase set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from oncoresist.annotate import annotate
from oncoresist.annotate._cooccurrence import phase_between

CIS_RULE = "CUR-EGFR-C797S-CIS-T790M"
TRANS_RULE = "CUR-EGFR-C797S-TRANS-T790M"


@pytest.fixture(scope="module")
def phased():
    path = Path(__file__).parents[1] / "data" / "annotate" / "multisample.vcf"
    return annotate(path, therapy="osimertinib", disease="NSCLC").to_frame()


def _status(frame, sample, rule):
    rows = frame[(frame["sample_id"] == sample) & (frame["rule_id"] == rule)]
    return rows["co_occurrence"].tolist()


def test_cis_sample_gets_only_the_cis_rule(phased):
    assert _status(phased, "CIS", CIS_RULE) == ["met: EGFR p.T790M in cis"]
    assert _status(phased, "CIS", TRANS_RULE) == []


def test_trans_sample_gets_only_the_trans_rule(phased):
    assert _status(phased, "TRANS", TRANS_RULE) == ["met: EGFR p.T790M in trans"]
    assert _status(phased, "TRANS", CIS_RULE) == []


def test_unknown_phase_keeps_both_and_says_so(phased):
    assert _status(phased, "UNPHASED", CIS_RULE) == ["phase unknown: rule needs EGFR p.T790M in cis"]
    assert _status(phased, "UNPHASED", TRANS_RULE) == [
        "phase unknown: rule needs EGFR p.T790M in trans"
    ]
    unphased = phased[phased["sample_id"] == "UNPHASED"]
    # findings whose requirement is met outrank those whose phase is unknown
    ranks = dict(zip(unphased["rule_id"], unphased["rank"], strict=False))
    assert ranks["CUR-EGFR-C797S-3G"] < ranks[CIS_RULE]


def test_phase_labels():
    assert phase_between("PS1:0", "PS1:0") == "cis"
    assert phase_between("PS1:0", "PS1:1") == "trans"
    assert phase_between("PS1:0", "PS2:1") is None
    assert phase_between(None, "PS1:1") is None
    assert phase_between("a", "b") == "trans"  # TSV labels: one phase set


def test_tsv_haplotype_column():
    import pandas as pd

    frame = pd.DataFrame({
        "sample_id": ["S", "S"], "gene": ["EGFR", "EGFR"], "alteration": ["C797S", "T790M"],
        "haplotype": ["1", "1"],
    })
    found = annotate(frame, therapy="osimertinib").to_frame()
    assert _status(found, "S", CIS_RULE) == ["met: EGFR p.T790M in cis"]


def test_braf_v600e_with_map2k1_under_braf_plus_mek(data_dir):
    # a rule needing BRAF V600E (another gene): met when present, "unknown" when absent
    ann = data_dir / "annotate"
    result = annotate(ann / "braf_mek.tsv", therapy="dabrafenib,trametinib", disease="melanoma",
                      kb_extra=ann / "braf_mek_extra.yaml")
    frame = result.to_frame()
    rule = "TEST-MAP2K1-WITH-BRAF-V600E"
    assert set(_status(frame, "MEL1", rule)) == {"met: BRAF p.V600E present"}
    assert set(_status(frame, "MEL2", rule)) == {"unknown: needs BRAF p.V600E, not in the input"}
    assert set(frame.loc[frame["rule_id"] == rule, "drug"]) == {"dabrafenib", "trametinib"}
    # the curated MAP2K1 rule under BRAF inhibitors (CUR-MAP2K1-BRAFI: Emery 2009,
    # PMID:19915144; Wagle 2011, PMID:21383288) is reported for dabrafenib: downstream
    curated = frame[(frame["sample_id"] == "MEL1") & (frame["rule_id"] == "CUR-MAP2K1-BRAFI")]
    assert curated["mechanism"].tolist() == ["downstream"]
    assert "co-occurrence: met: BRAF p.V600E present" in result.summary()


def test_pten_needs_a_braf_mutation_under_vemurafenib():
    # CGI-L904-1: PTEN mutation, requires "BRAF mutation", vemurafenib, cutaneous melanoma
    with_braf = annotate(["PTEN R130*", "BRAF V600E"], therapy="vemurafenib").to_frame()
    alone = annotate(["PTEN R130*"], therapy="vemurafenib").to_frame()
    assert _status(with_braf, "sample", "CGI-L904-1") == ["met: BRAF mutation present"]
    assert _status(alone, "sample", "CGI-L904-1") == [
        "unknown: needs BRAF mutation, not in the input"
    ]
