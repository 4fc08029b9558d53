"""Parser: every input form of issue 2 -> its canonical string (written by hand from the
canonical forms in DESIGN.md and the variants API contract), errors, isoform aliases."""

from __future__ import annotations

import pytest

from oncoresist import ParseError
from oncoresist.variants import (
    Alteration,
    AlterationKind,
    CompoundAlteration,
    normalise_gene,
    parse_alteration,
    parse_alternatives,
)

K = AlterationKind

FORMS = [
    # substitutions, written every way people write them
    ("EGFR", "T790M", "EGFR p.T790M"),
    ("EGFR", "p.T790M", "EGFR p.T790M"),
    ("EGFR", "p.Thr790Met", "EGFR p.T790M"),
    ("EGFR", "(p.Thr790Met)", "EGFR p.T790M"),
    ("EGFR", "p.(Thr790Met)", "EGFR p.T790M"),
    ("EGFR", "EGFR T790M", "EGFR p.T790M"),
    (None, "EGFR T790M", "EGFR p.T790M"),
    (None, "EGFR:T790M", "EGFR p.T790M"),
    ("HER2", "L755S", "ERBB2 p.L755S"),
    ("FLT3", "D835H/Y", "FLT3 p.D835H/Y"),
    # exon-level events
    ("EGFR", "EXON 19 DELETION", "EGFR exon 19 deletion"),
    ("EGFR", "Exon 19 del", "EGFR exon 19 deletion"),
    ("EGFR", "ex19del", "EGFR exon 19 deletion"),
    ("EGFR", "EXON 20 INSERTION", "EGFR exon 20 insertion"),
    ("MET", "exon 14 skipping", "MET exon 14 skipping"),
    ("KIT", "EXON 11 MUTATION", "KIT exon 11 mutation"),
    ("LRP1B", "EXON 12-22 DELETION", "LRP1B exons 12-22 deletion"),
    ("EGFR", "VIII", "EGFR exons 2-7 deletion"),
    ("CALR", "EXON 9 FRAMESHIFT", "CALR exon 9 frameshift"),
    # in-frame indels
    ("EGFR", "L747_P753delinsS", "EGFR p.L747_P753delinsS"),
    ("EGFR", "E746_A750del", "EGFR p.E746_A750del"),
    ("EGFR", "p.Glu746_Ala750del", "EGFR p.E746_A750del"),
    ("EGFR", "p.(Glu746_Ala750del)", "EGFR p.E746_A750del"),
    ("EGFR", "p.Asp770_Asn771insGlyLeu", "EGFR p.D770_N771insGL"),
    ("BRAF", "p.Val600_Lys601delinsGlu", "BRAF p.V600_K601delinsE"),
    ("EGFR", "D770_N771insGL", "EGFR p.D770_N771insGL"),
    ("EGFR", "A767_V769dupASV", "EGFR p.A767_V769dup"),
    ("EGFR", "P772_V774insPHV", "EGFR p.P772_V774dup"),
    ("KIT", "W557_K558DELWK", "KIT p.W557_K558del"),
    ("PDGFRA", "D579DEL", "PDGFRA p.D579del"),
    ("ALK", "T1151INST", "ALK p.T1151_1152insT"),
    ("ERBB2", "P780INS", "ERBB2 in-frame insertion at residue 780"),
    ("FLT3", "ITD", "FLT3 internal tandem duplication"),
    # truncations
    ("TP53", "R213*", "TP53 p.R213*"),
    ("NRAS", "Q61*", "NRAS p.Q61*"),
    ("TP53", "p.Arg213Ter", "TP53 p.R213*"),
    ("TP53", "E23fs", "TP53 p.E23fs"),
    ("TP53", "p.Glu23fs*12", "TP53 p.E23fs*12"),
    ("TP53", "p.Glu23GlyfsTer12", "TP53 p.E23Gfs*12"),
    ("BRCA2", "M695FS*26", "BRCA2 p.M695fs*26"),
    ("NF1", "truncating mutation", "NF1 truncating mutation"),
    # splice
    ("MET", "X963_splice", "MET p.X963_splice"),
    ("KIT", "F547 SPLICE SITE MUTATION", "KIT p.F547_splice"),
    ("MET", "c.2888-1G>A", "MET splice variant c.2888-1G>A"),
    ("ATM", "c.7515+1_2del", "ATM splice variant c.7515+1_2del"),
    ("VHL", "Splicing alteration (c.340+1G>A)", "VHL splice variant c.340+1G>A"),
    # position wildcards
    ("KRAS", "G12/G13", "KRAS p.G12X/G13X"),
    (None, "KRAS G12", "KRAS p.G12X"),
    ("KRAS", "G12X", "KRAS p.G12X"),
    ("KRAS", "KRAS:G12.,G13.", "KRAS p.G12X/G13X"),
    ("NRAS", "Q61", "NRAS p.Q61X"),
    # copy number
    ("MET", "AMPLIFICATION", "MET amplification"),
    ("MET", "amp", "MET amplification"),
    ("PTEN", "LOSS", "PTEN deletion"),
    ("SMAD4", "DELETION", "SMAD4 deletion"),
    ("CDKN2A", "CDKN2A:del", "CDKN2A deletion"),
    # fusions
    (None, "EML4-ALK", "EML4::ALK fusion"),
    (None, "EML4::ALK", "EML4::ALK fusion"),
    ("ALK", "EML4-ALK", "EML4::ALK fusion"),
    ("ALK", "ALK fusion", "ALK fusion"),
    ("ALK", "ALK__.", "ALK fusion"),
    ("ABL1", "ABL1__BCR", "BCR::ABL1 fusion"),
    ("ABL1", "BCR-ABL", "BCR::ABL1 fusion"),
    (None, "FGFR3-TACC3", "FGFR3::TACC3 fusion"),
    ("BRAF", "intron 10 rearrangement", "BRAF intron 10 rearrangement"),
    # expression
    ("ERBB2", "OVEREXPRESSION", "ERBB2 overexpression"),
    ("CD274", "EXPRESSION", "CD274 expression"),
    ("PTEN", "UNDEREXPRESSION", "PTEN underexpression"),
    ("CDKN2A", "p16 EXPRESSION", "CDKN2A expression"),
    (None, "AR-V7", "AR-V7 expression"),
    (None, "AR V7", "AR-V7 expression"),
    ("AR", "V7 EXPRESSION", "AR-V7 expression"),
    ("MLH1", "METHYLATION", "MLH1 promoter methylation"),
    # patterns
    ("TP53", "MUTATION", "TP53 mutation"),
    ("ALK", "ALK:.", "ALK mutation"),
    ("CTNNB1", "ACTIVATING MUTATION", "CTNNB1 activating mutation"),
    ("TP53", "ALTERATION", "TP53 alteration"),
    ("NF1", "loss-of-function", "NF1 loss-of-function"),
    ("NF1", "LOSS-OF-FUNCTION", "NF1 loss-of-function"),
    ("NF1", "inactivating", "NF1 loss-of-function"),
    ("TP53", "DELETERIOUS MUTATION", "TP53 loss-of-function"),
    ("TP53", "DNA BINDING DOMAIN MUTATION", "TP53 DNA-binding domain mutation"),
    ("ABL1", "P-Loop Mutation", "ABL1 P-loop mutation"),
    ("KIT", "KIT:550-592", "KIT mutation in residues 550-592"),
    ("ESR1", "ESR1:.537.", "ESR1 mutation at residue 537"),
    ("EGFR", "in-frame deletion in residues 6-273", "EGFR in-frame deletion in residues 6-273"),
    ("NOTCH1", "missense mutation in residues 1529-1732",
     "NOTCH1 missense mutation in residues 1529-1732"),
    # CGI consequence form (Sequence Ontology term : residues)
    (None, "EGFR::consequence::inframe_deletion:729-761", "EGFR exon 19 deletion"),
    (None, "EGFR::consequence::inframe_insertion:762-823", "EGFR exon 20 insertion"),
    (None, "EGFR::consequence::inframe_deletion:30-336", "EGFR in-frame deletion in residues 30-336"),
    (None, "KIT::consequence::inframe_deletion:V560.", "KIT in-frame deletion at residue 560"),
    (None, "ALK::consequence::inframe_insertion:.1151T.", "ALK in-frame insertion at residue 1151"),
    (None, "FLT3::consequence::inframe_variant:572-603", "FLT3 in-frame indel in residues 572-603"),
    (None, "NOTCH2::consequence::stop_gained:2381-2420",
     "NOTCH2 nonsense mutation in residues 2381-2420"),
    (None, "DPYD::consequence::splice_donor_variant:.", "DPYD splice variant"),
    (None, "TERT::consequence::promoters_core:.", "TERT promoter mutation"),
    # non-genetic states
    (None, "phenotype: EMT", "phenotype: EMT"),
    (None, "EMT", "phenotype: EMT"),
    (None, "epithelial-mesenchymal transition", "phenotype: EMT"),
    (None, "histology: SCLC transformation", "histology: SCLC transformation"),
    (None, "SCLC transformation", "histology: SCLC transformation"),
    (None, "small cell transformation", "histology: SCLC transformation"),
    (None, "squamous transformation", "histology: squamous transformation"),
    # compounds
    ("BRAF", "V600E and AMPLIFICATION", "BRAF p.V600E + BRAF amplification"),
    (None, "BRAF V600E and AMPLIFICATION", "BRAF p.V600E + BRAF amplification"),
    ("BRAF", "V600E/K and AMPLIFICATION", "BRAF p.V600E/K + BRAF amplification"),
    ("ALK", "ALK FUSION G1202R", "ALK fusion + ALK p.G1202R"),
    (None, "BCR-ABL T315I", "BCR::ABL1 fusion + ABL1 p.T315I"),
    ("ABL1", "BCR-ABL T315I", "BCR::ABL1 fusion + ABL1 p.T315I"),
    ("ALK", "EML4-ALK C1156Y-L1198F", "EML4::ALK fusion + ALK p.C1156Y + ALK p.L1198F"),
    ("ALK", "EML4-ALK and AMPLIFICATION", "EML4::ALK fusion + ALK amplification"),
    ("ABL1", "BCR-ABL L248R F359I", "BCR::ABL1 fusion + ABL1 p.L248R + ABL1 p.F359I"),
    ("ABL1", "Double Ph", "BCR::ABL1 fusion + ABL1 amplification"),
    ("EGFR", "Ex19 del L858R", "EGFR p.L858R + EGFR exon 19 deletion"),
    (None, "MET:amp;BRAF:V600E", "BRAF p.V600E + MET amplification"),
    ("PML", "PML-RARA A216V", "PML::RARA fusion + PML p.A216V"),
    # isoform numbering aliases
    ("ABL1", "T334I", "ABL1 p.T315I"),
    ("ABL1", "T315I", "ABL1 p.T315I"),
    ("ABL1", "E274K (isoform 1b)", "ABL1 p.E255K"),
    ("AR", "T877A", "AR p.T878A"),
    ("AR", "T878A", "AR p.T878A"),
    ("AR", "F876L", "AR p.F877L"),
    ("AR", "F877L", "AR p.F877L"),
    ("AR", "W741C", "AR p.W742C"),
    ("ABL1", "T315I (isoform 1a)", "ABL1 p.T315I"),
]


@pytest.mark.parametrize(("gene", "text", "canonical"), FORMS)
def test_input_forms_give_the_canonical_string(gene, text, canonical):
    parsed = parse_alteration(gene, text)
    assert str(parsed) == canonical
    assert Alteration.parse(canonical) == parsed


def test_kinds_of_the_contract_examples():
    expected = {
        "EGFR p.T790M": K.SUBSTITUTION, "KRAS p.G12X": K.POSITION,
        "EGFR p.E746_A750del": K.INDEL, "TP53 p.R213*": K.TRUNCATION, "TP53 p.E23fs": K.TRUNCATION,
        "MET p.X963_splice": K.SPLICE, "EGFR exon 19 deletion": K.EXON,
        "MET amplification": K.AMPLIFICATION, "CDKN2A deletion": K.DELETION,
        "EML4::ALK fusion": K.FUSION, "ALK fusion": K.FUSION, "AR-V7 expression": K.EXPRESSION,
        "NF1 loss-of-function": K.LOSS_OF_FUNCTION, "TP53 mutation": K.MUTATION,
        "phenotype: EMT": K.PHENOTYPE, "histology: SCLC transformation": K.HISTOLOGY,
    }
    for text, kind in expected.items():
        a = Alteration.parse(text)
        assert a.kind is kind, text
        assert str(a) == text
    assert Alteration.parse("phenotype: EMT").gene is None


def test_fields_and_ranges():
    a = parse_alteration("EGFR", "E746_A750del")
    assert (a.gene, a.start, a.end, a.ref, a.ref_end, a.change) == ("EGFR", 746, 750, "E", "A", "del")
    assert a.protein_range == (746, 750)
    assert parse_alteration("EGFR", "T790M").protein_range == (790, 790)
    # exon 19 of EGFR is codons 729-761 (data/exons.yaml)
    assert parse_alteration("EGFR", "exon 19 deletion").protein_range == (729, 761)
    assert parse_alteration("PIK3CA", "exon 9 mutation").protein_range is None  # not tabulated
    assert parse_alteration("MET", "amplification").protein_range is None
    fusion = parse_alteration(None, "EML4-ALK")
    assert (fusion.gene, fusion.partner5, fusion.partner3, fusion.genes) == (
        "ALK", "EML4", "ALK", ("EML4", "ALK"))
    assert parse_alteration(None, "FGFR3-TACC3").gene == "FGFR3"  # FGFR3 keeps its kinase


def test_alterations_are_hashable_and_compare_by_value():
    a = parse_alteration("EGFR", "T790M")
    b = Alteration.parse("EGFR p.Thr790Met")
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b, parse_alteration("EGFR", "C797S")}) == 2
    with pytest.raises(AttributeError):
        a.gene = "KRAS"  # frozen


def test_compound_parts_are_sorted_and_gene_is_common_or_none():
    c = parse_alteration("BRAF", "AMPLIFICATION and V600E")
    assert isinstance(c, CompoundAlteration)
    assert str(c) == "BRAF p.V600E + BRAF amplification"
    assert c == parse_alteration("BRAF", "V600E and AMPLIFICATION")
    assert c.gene == "BRAF"
    mixed = parse_alteration(None, "MET:amp;BRAF:V600E")
    assert mixed.gene is None
    assert mixed.genes == ("BRAF", "MET")
    assert [p.kind for p in mixed.parts] == [K.SUBSTITUTION, K.AMPLIFICATION]


def test_a_repeated_part_is_not_a_compound():
    assert parse_alteration("EGFR", "T790M and T790M") == parse_alteration("EGFR", "T790M")


def test_parse_alternatives_splits_cgi_lists():
    alts = parse_alternatives(None, "ABL1:V299L,T315A,F317L")
    assert [str(a) for a in alts] == ["ABL1 p.V299L", "ABL1 p.T315A", "ABL1 p.F317L"]
    assert parse_alternatives("EGFR", "T790M") == (parse_alteration("EGFR", "T790M"),)
    cgi = parse_alternatives(None, "BRAF::consequence::inframe_deletion:L485.,::inframe_deletion:P490.")
    assert [str(a) for a in cgi] == ["BRAF in-frame deletion at residue 485",
                                     "BRAF in-frame deletion at residue 490"]


@pytest.mark.parametrize(
    ("symbol", "hgnc"),
    [("HER2", "ERBB2"), ("her2", "ERBB2"), ("ABL", "ABL1"), ("PD-L1", "CD274"), ("c-MET", "MET"),
     ("c-KIT", "KIT"), ("VEGFR2", "KDR"), ("MEK1", "MAP2K1"), ("egfr", "EGFR"),
     ("HLA-C", "HLA-C"), ("C15orf55", "C15orf55")],
)
def test_normalise_gene(symbol, hgnc):
    assert normalise_gene(symbol) == hgnc


def test_normalise_gene_rejects_empty_and_garbage():
    with pytest.raises(ParseError, match="empty gene symbol"):
        normalise_gene("  ")
    with pytest.raises(ParseError, match="characters a gene symbol cannot have"):
        normalise_gene("EG FR!")


@pytest.mark.parametrize(
    ("gene", "text", "reason"),
    [
        ("EGFR", "Wildtype", "wild type is the absence of an alteration"),
        ("KRAS", "RS61764370", "dbSNP identifier"),
        ("BCL2L11", "DELETION POLYMORPHISM", "germline polymorphisms"),
        ("HLA-C", "COPY-NEUTRAL LOSS OF HETEROZYGOSITY", "loss of heterozygosity"),
        ("RB1", "PHOSPHORYLATION", "protein states"),
        ("BRAF", "c.1799T>A", "coding-DNA change (c.1799T>A) without its protein effect"),
        ("MET", "c.2888-15G>A", "outside the canonical splice site"),
        ("EGFR", "frobnicated", "unrecognised form 'frobnicated'"),
        ("EGFR", "", "the text is empty"),
        (None, "T790M", "no gene"),
        (None, "EGFR", "names a gene but no alteration"),
        ("EGFR", "MET amplification", "read as gene MET, but the gene given is EGFR"),
        ("EGFR", "D770_A775insG", "between two neighbouring residues"),
        ("KIT", "W557_K558delWKV", "names 3 residues (WKV) for a range of 2"),
        ("EGFR", "exon 21-19 deletion", "runs backwards"),
        ("KRAS", "G12C (isoform 2)", "isoform 2 of KRAS is not known"),
        ("EGFR", "p.T0M", "residues must be >= 1"),
        ("EGFR", "c.2573T>G", "give the protein change (p.)"),
        ("EGFR", "P154=", "synonymous"),
        ("EGFR", "COPY NUMBER VARIATION", "without its direction"),
        (None, "KIT::wildtype:.", "wild type is the absence"),
        ("EGFR", "p.Leu858=", "synonymous"),
        ("EGFR", "p.?", "protein effect is unknown"),
        ("EGFR", "p.Met1?", "start-codon change"),
        ("EGFR", "p.Ter1211GlnextTer?", "stop-loss extension"),
        (None, "NOTCH1::consequence::stop_lost:2300-2536", "'stop_lost' is not represented"),
    ],
)
def test_unparsable_text_raises_parse_error_naming_text_and_gene(gene, text, reason):
    with pytest.raises(ParseError) as info:
        parse_alteration(gene, text)
    message = str(info.value)
    assert repr(text) in message
    assert (gene or "(none given)") in message
    assert reason in message
    assert isinstance(info.value, ValueError)


def test_alteration_parse_needs_the_gene_in_the_text():
    with pytest.raises(ParseError, match="no gene"):
        Alteration.parse("T790M")


def test_constructor_checks_gene_and_residues():
    with pytest.raises(ValueError, match="needs a gene symbol"):
        Alteration(None, K.AMPLIFICATION)
    with pytest.raises(ValueError, match="has no gene and needs a label"):
        Alteration("EGFR", K.PHENOTYPE, label="EMT")
    with pytest.raises(ValueError, match="start <= end"):
        Alteration("EGFR", K.INDEL, start=750, end=746, change="del")


def test_parse_alternatives_names_the_failing_alternative():
    with pytest.raises(ParseError, match="'ABL1:Wildtype'"):
        parse_alternatives(None, "ABL1:T315I,Wildtype")


def test_non_text_input_is_a_parse_error():
    with pytest.raises(ParseError, match="text a string; got str and NoneType"):
        parse_alteration("EGFR", None)
    with pytest.raises(ParseError, match="got list and str"):
        parse_alteration(["EGFR"], "T790M")


@pytest.mark.parametrize(
    ("gene", "text", "expected"),
    [
        # A fusion written in the gene column reads as it does in the text (annotation TSVs).
        ("BCR-ABL1", "T315I", "BCR::ABL1 fusion + ABL1 p.T315I"),
        ("BCR-ABL", "T315I", "BCR::ABL1 fusion + ABL1 p.T315I"),
        ("EML4-ALK", "fusion", "EML4::ALK fusion"),
        # Hyphenated HGNC symbols are genes, not fusions.
        ("NKX2-1", "amplification", "NKX2-1 amplification"),
    ],
)
def test_fusion_in_gene_column(gene, text, expected):
    assert str(parse_alteration(gene, text)) == expected
