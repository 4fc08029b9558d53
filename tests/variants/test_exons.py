"""Exon boundaries (variants/data/exons.yaml) against independent sources."""

from __future__ import annotations

import pytest

from oncoresist.variants import parse_alteration
from oncoresist.variants._exons import exon_table, exon_transcripts

# Cancer Genome Interpreter biomarkers 2017-02-08 (CC0), exon-level KIT/PDGFRA biomarkers:
# "KIT mutation in exon 9,11,13,14 or 17" = KIT:449-514,550-592,627-664,664-714,788-828 and
# "KIT mutation in exon ... 18" adds 829-860; "PDGFRA ... exon 12, 14 or 18" = 552-596,631-668,814-854.
CGI_EXON_RANGES = {
    ("KIT", 9): (449, 514), ("KIT", 11): (550, 592), ("KIT", 13): (627, 664),
    ("KIT", 14): (664, 714), ("KIT", 17): (788, 828), ("KIT", 18): (829, 860),
    ("PDGFRA", 12): (552, 596), ("PDGFRA", 14): (631, 668), ("PDGFRA", 18): (814, 854),
}

# CGI per-variant table: residue of a catalogued mutation and the exon its `region` column
# gives on the canonical Ensembl transcript (cds_in_exon_N).
CGI_VARIANT_EXONS = [
    ("EGFR", 719, 18), ("EGFR", 746, 19), ("EGFR", 757, 19), ("EGFR", 761, 19),
    ("EGFR", 768, 20), ("EGFR", 790, 20), ("EGFR", 797, 20), ("EGFR", 843, 21),
    ("EGFR", 858, 21), ("EGFR", 861, 21), ("ERBB2", 776, 20), ("ERBB2", 777, 20),
    ("MET", 988, 14), ("MET", 1010, 14), ("BRAF", 466, 11), ("BRAF", 469, 11),
    ("BRAF", 472, 11), ("BRAF", 594, 15), ("BRAF", 600, 15), ("BRAF", 601, 15),
    ("KIT", 553, 11), ("KIT", 559, 11), ("KIT", 654, 13), ("KIT", 670, 14), ("KIT", 697, 14),
    ("KIT", 816, 17), ("KIT", 823, 17), ("KIT", 829, 18), ("PDGFRA", 577, 12),
    ("PDGFRA", 658, 14), ("PDGFRA", 841, 18), ("PDGFRA", 853, 18), ("KRAS", 13, 2),
    ("NRAS", 12, 2),
]
# ...and residues the same annotation puts outside the tabulated exon next to them
CGI_OUTSIDE = [("ERBB2", 769, 20), ("ERBB2", 842, 20), ("BRAF", 485, 11)]


@pytest.mark.parametrize(("key", "span"), sorted(CGI_EXON_RANGES.items()))
def test_kit_pdgfra_exons_are_the_cgi_ranges(key, span):
    gene, exon = key
    assert exon_table()[gene][exon] == span


@pytest.mark.parametrize(("gene", "residue", "exon"), CGI_VARIANT_EXONS)
def test_catalogued_mutations_fall_in_their_annotated_exon(gene, residue, exon):
    first, last = exon_table()[gene][exon]
    assert first <= residue <= last
    pattern = parse_alteration(gene, f"exon {exon} mutation")
    assert pattern.matches(parse_alteration(gene, f"mutation at residue {residue}"))


@pytest.mark.parametrize(("gene", "residue", "exon"), CGI_OUTSIDE)
def test_residues_outside_the_exon(gene, residue, exon):
    first, last = exon_table()[gene][exon]
    assert not first <= residue <= last


def test_every_gene_states_its_transcript_and_ranges_are_ordered():
    for gene, exons in exon_table().items():
        assert exon_transcripts()[gene]
        spans = [exons[n] for n in sorted(exons)]
        for first, last in spans:
            assert first <= last
        for (_, last), (first, _) in zip(spans, spans[1:], strict=False):
            assert first >= last  # consecutive exons never overlap by more than a split codon


def test_cgi_range_form_equals_exon_form():
    assert (parse_alteration("KIT", "KIT:550-592").protein_range
            == parse_alteration("KIT", "exon 11 mutation").protein_range)
