"""Property tests: parse(format(a)) == a for every kind, and matching is reflexive."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from oncoresist.variants import Alteration, AlterationKind, CompoundAlteration, parse_alteration
from oncoresist.variants._alteration import MUTATION_WORDS
from oncoresist.variants._exons import REGIONS
from oncoresist.variants._genes import FIVE_PRIME_DRIVERS, THREE_PRIME_DRIVERS
from oncoresist.variants._parser import HISTOLOGIES, ISOFORM_ALIASES, PHENOTYPES

K = AlterationKind
AMINO = "ACDEFGHIKLMNPQRSTVWY"
GENES = ["EGFR", "KRAS", "ALK", "TP53", "NF1", "MET", "BRAF", "ABL1", "AR", "KIT", "ERBB2",
         "PIK3CA", "HLA-C", "NKX2-1", "C15orf55", "CDKN2A", "ESR1", "RET", "FGFR3", "EML4"]

genes = st.sampled_from(GENES)
aa = st.sampled_from(AMINO)
residue = st.integers(min_value=1, max_value=4000)
settings.register_profile("variants", max_examples=150, deadline=None)
settings.load_profile("variants")


def _canonical_residue(gene: str, ref: str, pos: int) -> bool:
    return (gene, ref, pos) not in ISOFORM_ALIASES


@st.composite
def substitutions(draw):
    gene, ref, pos = draw(genes), draw(aa), draw(residue)
    assume(_canonical_residue(gene, ref, pos))
    alts = "".join(sorted(draw(st.sets(aa, min_size=1, max_size=3))))
    return Alteration(gene, K.SUBSTITUTION, start=pos, end=pos, ref=ref, alt=alts)


@st.composite
def positions(draw):
    gene = draw(genes)
    pairs = draw(st.lists(st.tuples(aa, residue), min_size=1, max_size=3, unique_by=lambda p: p))
    assume(all(_canonical_residue(gene, r, n) for r, n in pairs))
    pairs = sorted(set(pairs), key=lambda p: (p[1], p[0]))
    return Alteration(gene, K.POSITION, start=pairs[0][1], end=pairs[-1][1],
                      positions=tuple(pairs))


@st.composite
def indels(draw):
    gene = draw(genes)
    change = draw(st.sampled_from(["del", "dup", "delins", "ins", "itd"]))
    if change == "itd":
        return Alteration(gene, K.INDEL, change="itd")
    start, ref = draw(residue), draw(aa)
    inserted = "".join(draw(st.lists(aa, min_size=1, max_size=6)))
    if change == "ins":
        return Alteration(gene, K.INDEL, start=start, end=start + 1, ref=ref,
                          ref_end=draw(st.sampled_from(["", *AMINO])), alt=inserted, change="ins")
    length = draw(st.integers(min_value=0, max_value=20))
    end = start + length
    ref_end = ref if length == 0 else draw(st.sampled_from(["", *AMINO]))
    alt = inserted if change == "delins" else ""
    return Alteration(gene, K.INDEL, start=start, end=end, ref=ref, ref_end=ref_end, alt=alt,
                      change=change)


@st.composite
def truncations(draw):
    gene = draw(genes)
    change = draw(st.sampled_from(["", "nonsense", "frameshift"]))
    if draw(st.booleans()):
        return Alteration(gene, K.TRUNCATION, change=change)
    pos, ref = draw(residue), draw(aa)
    if change == "nonsense":
        assume(_canonical_residue(gene, ref, pos))
        return Alteration(gene, K.TRUNCATION, start=pos, end=pos, ref=ref, change="nonsense")
    return Alteration(gene, K.TRUNCATION, start=pos, end=pos, ref=ref, change="frameshift",
                      alt=draw(st.sampled_from(["", *AMINO])),
                      tail=draw(st.none() | st.integers(min_value=1, max_value=500)))


@st.composite
def splices(draw):
    gene = draw(genes)
    form = draw(st.sampled_from(["residue", "cdna", "plain"]))
    if form == "residue":
        pos = draw(residue)
        return Alteration(gene, K.SPLICE, start=pos, end=pos, ref=draw(st.sampled_from(["", *AMINO])))
    if form == "plain":
        return Alteration(gene, K.SPLICE)
    n, sign, d = draw(residue), draw(st.sampled_from("+-")), draw(st.sampled_from([1, 2]))
    tail = draw(st.sampled_from(["G>A", "T>C", "del", "dup", "delG", "insTT"]))
    return Alteration(gene, K.SPLICE, label=f"c.{n}{sign}{d}{tail}")


@st.composite
def exons(draw):
    gene, first = draw(genes), draw(st.integers(min_value=1, max_value=40))
    last = draw(st.none() | st.integers(min_value=first + 1, max_value=60))
    event = draw(st.sampled_from(["deletion", "insertion", "duplication", "skipping", "mutation",
                                  "frameshift"]))
    return Alteration(gene, K.EXON, exon=first, exon_end=last, change=event)


@st.composite
def fusions(draw):
    five = draw(st.sampled_from(GENES + ["BCR", "CD74", "KIF5B", "TACC3", "PML", "RARA"]))
    three = draw(st.sampled_from(GENES + ["BCR", "CD74", "KIF5B", "TACC3", "PML", "RARA"]))
    form = draw(st.sampled_from(["pair", "any", "intron"]))
    if form == "any":
        return Alteration(five, K.FUSION)
    if form == "intron":
        return Alteration(five, K.FUSION, label=f"intron {draw(st.integers(1, 40))}")
    assume(five != three)
    drives = five if five in FIVE_PRIME_DRIVERS and three not in THREE_PRIME_DRIVERS else three
    return Alteration(drives, K.FUSION, partner5=five, partner3=three)


@st.composite
def expressions(draw):
    change = draw(st.sampled_from(["expression", "overexpression", "underexpression",
                                   "nuclear expression", "methylation", "variant"]))
    if change == "variant":
        label = f"V{draw(st.integers(1, 20))}" + draw(st.sampled_from(["", "es"]))
        return Alteration("AR", K.EXPRESSION, change="variant", label=label)
    return Alteration(draw(genes), K.EXPRESSION, change=change)


@st.composite
def mutations(draw):
    gene = draw(genes)
    form = draw(st.sampled_from(["effect", "range", "region"]))
    if form == "effect":
        # frameshift/nonsense/splice without residues are the truncation and splice kinds
        effects = ["", "activating", "any", "deletion", "insertion", "indel", "missense"]
        return Alteration(gene, K.MUTATION, change=draw(st.sampled_from(effects)))
    if form == "range":
        first = draw(residue)
        last = first + draw(st.integers(min_value=0, max_value=300))
        return Alteration(gene, K.MUTATION, start=first, end=last,
                          change=draw(st.sampled_from(sorted(MUTATION_WORDS))))
    label = draw(st.sampled_from(sorted({lab for _, lab in REGIONS} | {"SH2 domain",
                                                                     "promoter", "intron 6"})))
    return Alteration(gene, K.MUTATION, label=label)


_FREE_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=10).filter(
    lambda w: w.strip("-") == w and w not in ("and",))


@st.composite
def states(draw):
    kind = draw(st.sampled_from([K.PHENOTYPE, K.HISTOLOGY]))
    table = PHENOTYPES if kind is K.PHENOTYPE else HISTOLOGIES
    if draw(st.booleans()):
        label = draw(st.sampled_from(sorted(set(table.values()))))
    else:
        label = " ".join(draw(st.lists(_FREE_WORDS, min_size=1, max_size=4)))
        assume(label.upper() not in table)
    return Alteration(None, kind, label=label)


SIMPLE = {
    K.SUBSTITUTION: substitutions(), K.POSITION: positions(), K.INDEL: indels(),
    K.TRUNCATION: truncations(), K.SPLICE: splices(), K.EXON: exons(),
    K.AMPLIFICATION: genes.map(lambda g: Alteration(g, K.AMPLIFICATION)),
    K.DELETION: genes.map(lambda g: Alteration(g, K.DELETION)),
    K.FUSION: fusions(), K.EXPRESSION: expressions(),
    K.LOSS_OF_FUNCTION: genes.map(lambda g: Alteration(g, K.LOSS_OF_FUNCTION)),
    K.MUTATION: mutations(), K.PHENOTYPE: states(), K.HISTOLOGY: states(),
}
alterations = st.one_of(*SIMPLE.values())


def test_every_kind_has_a_strategy():
    assert set(SIMPLE) == set(AlterationKind)


@given(alterations)
def test_parse_of_format_is_identity(a):
    text = str(a)
    assert Alteration.parse(text) == a
    assert parse_alteration(a.gene, text) == a


@given(alterations)
def test_every_alteration_matches_itself(a):
    assert a.matches(a)


@given(st.lists(alterations, min_size=2, max_size=4))
def test_compound_round_trip(parts):
    assume(len({str(p) for p in parts}) >= 2)
    # a bare "X fusion" next to a named pair "A::X fusion" is folded into the pair on parsing
    named = {g for p in parts if p.kind is K.FUSION and p.partner5 for g in p.genes}
    assume(not any(p.kind is K.FUSION and p.partner5 is None and not p.label and p.gene in named
                   for p in parts))
    compound = CompoundAlteration(tuple(parts))
    assert Alteration.parse(str(compound)) == compound
    assert compound.matches(compound)
    for part in compound.parts:
        assert part.matches(compound)


THREE = {"A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu",
         "G": "Gly", "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe",
         "P": "Pro", "S": "Ser", "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val"}


@given(genes, aa, residue, aa, st.sampled_from(["{r}{n}{a}", "p.{r}{n}{a}", "p.({r}{n}{a})"]),
       st.booleans())
def test_fast_substitution_path_agrees_with_the_general_parser(gene, ref, pos, alt, form, three):
    from oncoresist.variants._parser import _fast_substitution, _parse_text

    r, a = (THREE[ref], THREE[alt]) if three else (ref, alt)
    text = form.format(r=r, n=pos, a=a)
    fast = _fast_substitution(gene, text)
    assert fast is not None
    assert [fast] == _parse_text(gene, text)
