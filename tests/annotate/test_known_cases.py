"""The known cases of issue 3, answered from the curated knowledge base.

Expected answers are those of the curated rules (src/oncoresist/kb/data/rules.yaml), whose ids
and references are cited beside each test; the tests fail if the annotation loses them.
"""

from __future__ import annotations

import pytest

from oncoresist.annotate import annotate


def _rows(result, *, drug=None, effect=None):
    frame = result.to_frame()
    if drug is not None:
        frame = frame[frame["drug"] == drug]
    if effect is not None:
        frame = frame[frame["effect"] == effect]
    return frame


def test_egfr_t790m_under_erlotinib_is_on_target_and_osimertinib_stays_active():
    # CUR-EGFR-T790M-1G2G: Kobayashi 2005 (PMID:15737014), Pao 2005 (PMID:15728811)
    result = annotate(["EGFR T790M"], therapy="erlotinib", disease="NSCLC")
    frame = _rows(result, effect="resistance")
    assert set(frame["mechanism"]) == {"on-target"}
    rule = frame[frame["rule_id"] == "CUR-EGFR-T790M-1G2G"].iloc[0]
    assert "PMID:15737014" in rule["references"]
    assert rule["disease_match"] == "exact"
    assert "osimertinib" in rule["alternatives"].split("; ")
    assert result.summaries()[0]["options"][0] == "osimertinib"
    assert result.to_frame().iloc[0]["evidence_level"] == "A"


def test_egfr_c797s_under_osimertinib_is_resistance():
    # CUR-EGFR-C797S-3G: Thress 2015 (PMID:25939061)
    frame = _rows(annotate(["EGFR C797S"], therapy="osimertinib"), effect="resistance")
    assert "CUR-EGFR-C797S-3G" in set(frame["rule_id"])
    assert set(frame["mechanism"]) == {"on-target"}
    # without T790M the cis/trans rules (which need it) do not apply: T790M would have been
    # seen by the same assay
    assert not {"CUR-EGFR-C797S-CIS-T790M", "CUR-EGFR-C797S-TRANS-T790M"} & set(frame["rule_id"])


def test_met_amplification_under_osimertinib_is_bypass():
    # CUR-MET-AMP-EGFRTKI: Engelman 2007 (PMID:17463250); capmatinib etc. remain active
    result = annotate(["MET amplification"], therapy="osimertinib", disease="NSCLC")
    frame = _rows(result, effect="resistance")
    assert set(frame["mechanism"]) == {"bypass"}
    rule = frame[frame["rule_id"] == "CUR-MET-AMP-EGFRTKI"].iloc[0]
    assert "PMID:17463250" in rule["references"]
    assert "capmatinib" in rule["alternatives"]
    assert list(result.summaries()[0]["mechanisms"]) == ["bypass"]


def test_kras_g12d_under_cetuximab_in_colorectal_cancer_is_downstream():
    # CUR-KRAS-EX2-ANTIEGFR-CRC: Karapetis 2008 (PMID:18946061), Lievre 2006 (PMID:16618717)
    result = annotate(["KRAS G12D"], therapy="cetuximab", disease="colorectal cancer")
    frame = _rows(result, effect="resistance")
    assert set(frame["mechanism"]) == {"downstream"}
    rule = frame[frame["rule_id"] == "CUR-KRAS-EX2-ANTIEGFR-CRC"].iloc[0]
    assert rule["disease_match"] == "exact"
    assert rule["evidence_level"] == "A"
    assert "PMID:18946061" in rule["references"]


def test_bcr_abl1_t315i_under_imatinib_ponatinib_and_asciminib_stay_active():
    # CUR-ABL1-T315I: Gorre 2001 (DOI:10.1126/science.1062538), PMID:19779040
    result = annotate(["BCR-ABL1 T315I"], therapy="imatinib", disease="CML")
    frame = _rows(result, effect="resistance")
    assert set(frame["mechanism"]) == {"on-target"}
    rule = frame[frame["rule_id"] == "CUR-ABL1-T315I"].iloc[0]
    assert {"ponatinib", "asciminib"} <= set(rule["alternatives"].split("; "))
    assert "DOI:10.1126/science.1062538" in rule["references"]
    # CIViC EID234 needs the BCR::ABL1 fusion: present in the same (compound) alteration
    eid234 = frame[frame["rule_id"] == "CIVIC-EID234"].iloc[0]
    assert eid234["co_occurrence"] == "met: BCR::ABL1 fusion present"
    assert {"ponatinib", "asciminib"} <= set(result.summaries()[0]["options"])


def test_esr1_d538g_under_an_aromatase_inhibitor():
    # CUR-ESR1-LBD-AI: Toy 2013 (PMID:24185512), Robinson 2013 (PMID:24185510)
    result = annotate(["ESR1 D538G"], therapy="letrozole", disease="breast cancer")
    frame = _rows(result, effect="resistance")
    rule = frame[frame["rule_id"] == "CUR-ESR1-LBD-AI"].iloc[0]
    assert rule["mechanism"] == "on-target"
    assert {"PMID:24185512", "PMID:24185510"} <= set(rule["references"].split("; "))
    assert {"fulvestrant", "elacestrant"} <= set(rule["alternatives"].split("; "))


@pytest.mark.parametrize("drug", ["Tagrisso", "AZD9291"])
def test_drug_synonyms_resolve(drug):
    result = annotate(["EGFR C797S"], therapy=drug)
    assert result.therapy == ("osimertinib",)
