"""Pattern matching truth table. Each expectation follows from the rule "a pattern matches an
alteration that is the same or more specific" (issue 2, variants API contract) and, for exon
patterns, the exon boundaries in data/exons.yaml (EGFR exon 19 = codons 729-761, exon 20 =
762-823; KIT exon 11 = 550-592, exon 17 = 788-828; MET exon 14 = 963-1010)."""

from __future__ import annotations

import pytest

from oncoresist.variants import Alteration, parse_alteration

P = Alteration.parse

TRUTH = [
    # identity and substitution specificity
    ("EGFR p.T790M", "EGFR p.T790M", True),
    ("EGFR p.T790M", "EGFR p.T790A", False),
    ("EGFR p.T790M", "ERBB2 p.T790M", False),
    ("FLT3 p.D835H/Y", "FLT3 p.D835Y", True),
    ("FLT3 p.D835Y", "FLT3 p.D835H/Y", False),
    # position wildcards
    ("KRAS p.G12X", "KRAS p.G12C", True),
    ("KRAS p.G12X", "KRAS p.G12D", True),
    ("KRAS p.G12X", "KRAS p.G13D", False),
    ("KRAS p.G12X/G13X", "KRAS p.G13D", True),
    ("KRAS p.G12X/G13X", "KRAS p.G12X", True),
    ("KRAS p.G12X", "KRAS p.G12X/G13X", False),
    ("KRAS p.G12C", "KRAS p.G12X", False),
    ("NRAS p.Q179X", "NRAS p.Q179*", True),  # CIViC's legacy X-for-stop still matches
    ("KRAS p.G12X", "NRAS p.G12C", False),
    # exon-level patterns by residue
    ("EGFR exon 19 deletion", "EGFR p.E746_A750del", True),
    ("EGFR exon 19 deletion", "EGFR p.L747_P753delinsS", True),  # net loss of 6 residues
    ("EGFR exon 19 deletion", "EGFR exon 19 deletion", True),
    ("EGFR exon 19 deletion", "EGFR p.L858R", False),
    ("EGFR exon 19 deletion", "EGFR p.D770_N771insGL", False),  # exon 20
    ("EGFR exon 19 deletion", "EGFR p.T790M", False),
    ("EGFR exon 20 insertion", "EGFR p.D770_N771insGL", True),
    ("EGFR exon 20 insertion", "EGFR p.A767_V769dup", True),
    ("EGFR exon 20 insertion", "EGFR p.T790M", False),
    ("EGFR exon 20 insertion", "EGFR exon 20 duplication", True),
    ("KIT exon 11 mutation", "KIT p.V560D", True),
    ("KIT exon 11 mutation", "KIT p.W557_K558del", True),
    ("KIT exon 11 mutation", "KIT p.D816V", False),  # exon 17
    ("KIT exon 11 mutation", "KIT exon 11 deletion", True),
    ("KIT exon 11 deletion", "KIT exon 11 mutation", False),
    ("MET exon 14 skipping", "MET p.X1010_splice", True),
    ("MET exon 14 skipping", "MET p.X963_splice", True),
    ("MET exon 14 skipping", "MET p.D1228N", False),
    ("PIK3CA exon 9 mutation", "PIK3CA p.E545K", False),  # no tabulated boundaries
    ("EGFR exon 19 frameshift", "EGFR p.E746fs", True),
    ("EGFR exon 19 frameshift", "EGFR p.E746_A750del", False),
    ("EGFR exon 19 mutation", "EGFR exon 19 frameshift", True),
    ("PIK3CA exon 9 mutation", "PIK3CA exon 9 mutation", True),
    # gene-wide patterns
    ("TP53 mutation", "TP53 p.R273H", True),
    ("TP53 mutation", "TP53 p.R213*", True),
    ("TP53 mutation", "TP53 splice variant c.673-2A>G", True),
    ("TP53 mutation", "TP53 amplification", False),
    ("TP53 mutation", "TP53 deletion", False),
    ("TP53 mutation", "TP53 alteration", False),
    ("TP53 alteration", "TP53 deletion", True),
    ("TP53 alteration", "TP53 p.R273H", True),
    ("CTNNB1 activating mutation", "CTNNB1 p.S45F", True),
    ("CTNNB1 activating mutation", "CTNNB1 p.S45*", False),
    ("CTNNB1 activating mutation", "CTNNB1 mutation", False),
    ("TP53 DNA-binding domain mutation", "TP53 p.R273H", True),  # 102-292
    ("TP53 DNA-binding domain mutation", "TP53 p.R337H", False),
    ("ABL1 P-loop mutation", "ABL1 p.Y253H", True),  # 244-255
    ("ABL1 P-loop mutation", "ABL1 p.T315I", False),
    ("KIT mutation in residues 550-592", "KIT p.V560D", True),
    ("KIT mutation in residues 550-592", "KIT p.D816V", False),
    # consequence patterns over residue ranges (CGI consequence form)
    ("EGFR in-frame deletion in residues 6-273", "EGFR exons 2-7 deletion", False),  # no table
    ("KIT in-frame deletion in residues 550-592", "KIT p.W557_K558del", True),
    ("KIT in-frame deletion in residues 550-592", "KIT p.V560D", False),
    ("KIT in-frame deletion in residues 550-592", "KIT exon 11 deletion", True),
    ("KIT in-frame deletion in residues 550-592", "KIT exon 11 insertion", False),
    ("ERBB2 in-frame insertion in residues 775-881", "ERBB2 p.A775_G776insYVMA", True),
    ("ERBB2 in-frame insertion in residues 775-881", "ERBB2 p.L755_T759del", False),
    ("FLT3 in-frame indel in residues 572-603", "FLT3 p.E598_Y599insGLYVDFREYEYD", True),
    ("NOTCH1 missense mutation in residues 1529-1732", "NOTCH1 p.L1575P", True),
    ("NOTCH1 missense mutation in residues 1529-1732", "NOTCH1 p.L1575*", False),
    ("NOTCH2 nonsense mutation in residues 2381-2420", "NOTCH2 p.Q2400*", True),
    ("NOTCH2 frameshift mutation in residues 2381-2420", "NOTCH2 p.P2400fs", True),
    ("NOTCH2 frameshift mutation in residues 2381-2420", "NOTCH2 p.P2450fs", False),
    ("KIT in-frame deletion at residue 560", "KIT p.V560del", True),
    ("TP53 mutation", "TP53 in-frame deletion in residues 100-200", True),
    ("TP53 in-frame deletion in residues 100-200", "TP53 mutation", False),
    # loss of function
    ("NF1 loss-of-function", "NF1 p.R1362*", True),
    ("NF1 loss-of-function", "NF1 p.E23fs", True),
    ("NF1 loss-of-function", "NF1 truncating mutation", True),
    ("NF1 loss-of-function", "NF1 deletion", True),
    ("NF1 loss-of-function", "NF1 splice variant c.1063-1G>A", True),
    ("NF1 loss-of-function", "NF1 p.R1362Q", False),
    ("CALR loss-of-function", "CALR exon 9 frameshift", True),
    ("NF1 loss-of-function", "NF1 amplification", False),
    ("NF1 loss-of-function", "PTEN deletion", False),
    # truncation patterns
    ("TP53 truncating mutation", "TP53 p.R213*", True),
    ("TP53 frameshift mutation", "TP53 p.R213*", False),
    ("TP53 p.E23fs", "TP53 p.E23fs*12", True),
    ("TP53 p.E23fs*12", "TP53 p.E23fs", False),
    # copy number, expression
    ("BRAF amplification", "BRAF p.V600E", False),
    ("BRAF amplification", "BRAF p.V600E + BRAF amplification", True),
    ("BRAF amplification", "BRAF amplification", True),
    ("MET amplification", "MET overexpression", False),
    ("ERBB2 expression", "ERBB2 overexpression", True),
    ("ERBB2 overexpression", "ERBB2 expression", False),
    ("AR-V7 expression", "AR overexpression", False),
    # fusions
    ("ALK fusion", "EML4::ALK fusion", True),
    ("ALK fusion", "KIF5B::ALK fusion", True),
    ("EML4 fusion", "EML4::ALK fusion", True),
    ("EML4::ALK fusion", "ALK fusion", False),
    ("EML4::ALK fusion", "KIF5B::ALK fusion", False),
    ("RET fusion", "EML4::ALK fusion", False),
    ("ALK fusion", "ALK p.G1202R", False),
    ("BRAF fusion", "BRAF intron 10 rearrangement", True),
    # compound patterns need every part
    ("EML4::ALK fusion + ALK p.G1202R", "EML4::ALK fusion + ALK p.G1202R", True),
    ("ALK fusion + ALK p.G1202R", "EML4::ALK fusion + ALK p.G1202R", True),
    ("ALK fusion + ALK p.G1202R", "ALK p.G1202R", False),
    ("ALK fusion + ALK p.G1202R", "EML4::ALK fusion + ALK p.L1196M", False),
    ("BRAF p.V600X + BRAF amplification", "BRAF p.V600E + BRAF amplification", True),
    # states
    ("phenotype: EMT", "phenotype: EMT", True),
    ("phenotype: EMT", "histology: SCLC transformation", False),
    ("histology: SCLC transformation", "histology: squamous transformation", False),
]


@pytest.mark.parametrize(("pattern", "found", "expected"), TRUTH)
def test_matching_truth_table(pattern, found, expected):
    assert P(pattern).matches(P(found)) is expected


def test_every_alteration_matches_itself():
    for pattern, found, _ in TRUTH:
        for text in (pattern, found):
            assert P(text).matches(P(text))


def test_isoform_alias_matches_canonical():
    assert parse_alteration("ABL1", "T334I").matches(parse_alteration("ABL1", "T315I"))
    assert parse_alteration("AR", "T877A").matches(parse_alteration("AR", "T878A"))


def test_pattern_index_agrees_with_matching_every_pattern():
    from oncoresist.variants import PatternIndex

    patterns = [P(p) for p, _, _ in TRUTH]
    targets = [P(t) for _, t, _ in TRUTH] + patterns
    index = PatternIndex(patterns)
    for target in targets:
        brute = tuple(i for i, p in enumerate(patterns) if p.matches(target))
        assert index.find(target) == brute, str(target)
        assert index.find(target) == brute  # second answer comes from the cache


def test_pattern_index_rejects_unparsed_patterns():
    from oncoresist.variants import PatternIndex

    with pytest.raises(TypeError, match="parse it first"):
        PatternIndex(["EGFR p.T790M"])


def test_pickled_alterations_stay_equal_and_hash_alike_in_another_process(tmp_path):
    import os
    import pickle
    import subprocess
    import sys

    items = [P("EGFR p.T790M"), P("BRAF p.V600E + BRAF amplification"), P("EML4::ALK fusion")]
    path = tmp_path / "alterations.pkl"
    path.write_bytes(pickle.dumps(items))
    code = (
        "import pickle, sys\n"
        "from oncoresist.variants import Alteration\n"
        f"items = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        "fresh = [Alteration.parse(str(a)) for a in items]\n"
        "assert items == fresh and [hash(a) for a in items] == [hash(a) for a in fresh]\n"
        "assert fresh[0] in set(items)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
