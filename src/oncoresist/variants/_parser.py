"""Parsing what people and knowledge bases write into `Alteration` objects.

The parser works in three steps:

1. split a compound (``V600E and AMPLIFICATION``, ``A + B``, CGI's ``MET:amp;BRAF:V600E``);
2. find the gene of each piece (the ``gene`` argument, a leading symbol ``EGFR T790M``, CGI's
   ``EGFR:T790M``, or a fusion ``EML4-ALK`` / ``EML4::ALK`` / ``BCR__ABL1``);
3. read the specification with one regular expression per form; a specification that matches
   none is split on spaces (``FUSION G1202R``, ``L248R F359I``) and every token must parse.
"""

from __future__ import annotations

import re
from functools import lru_cache

from oncoresist._core.exceptions import ParseError
from oncoresist.variants._alteration import Alteration, AlterationKind, CompoundAlteration
from oncoresist.variants._exons import REGION_ALIASES
from oncoresist.variants._genes import (
    FIVE_PRIME_DRIVERS,
    THREE_PRIME_DRIVERS,
    is_alias,
    normalise_gene_symbol,
)

K = AlterationKind

_THREE = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E",
    "Gly": "G", "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F",
    "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*",
    "Xaa": "X", "Sec": "U",
}
_THREE_RE = re.compile("|".join(_THREE))
_LOOKS_THREE = re.compile(r"^(?:[A-Z][a-z]{2})\d")

AA = "[ACDEFGHIKLMNPQRSTVWY]"
_SUB = re.compile(rf"^({AA})(\d+)({AA}(?:/{AA})*)$")
_POS = re.compile(rf"^({AA})(\d+)(?:X|\.)?$")
_NONSENSE = re.compile(rf"^({AA})(\d+)(?:\*|TER)$")
_FS = re.compile(rf"^({AA})(\d+)({AA})?FS(?:(?:\*|TER|X)(\d+|\?)?)?$")
_INDEL = re.compile(rf"^({AA})(\d+)(?:_({AA})?(\d+))?(DELINS|DEL|DUP|INS)([A-Z*]*)$")
_SPLICE = re.compile(
    rf"^(?:({AA}|X)?(\d+))?[_ ]?(?:SPLICE(?:[- ]SITE)?(?: MUTATIONS?| VARIANTS?| REGION)?)$")
_CDNA = re.compile(r"^C\.(\d+)([+-])(\d+)(?:_(?:\d+[+-])?(\d+))?([ACGT]>[ACGT]|DELINS[ACGT]+|DEL"
                   r"[ACGT]*|DUP[ACGT]*|INS[ACGT]+)$")
_CDNA_ANY = re.compile(r"^C\.[-*]?\d")
_EXON = re.compile(
    r"^(?:EXONS?|EX)\s*(\d+)(?:\s*(?:-|–|TO|_)\s*(\d+))?\s*(?:IN-?FRAME\s*)?"
    r"(DELETIONS?|DEL|INSERTIONS?|INS|DUPLICATIONS?|DUP|SKIPPING|SKIP|MUTATIONS?|MUT|"
    r"ALTERATIONS?|FRAMESHIFTS?|FRAME SHIFTS?)(?:\s+MUTATIONS?)?$")
_EXON_EVENT = {"DEL": "deletion", "INS": "insertion", "DUP": "duplication", "SKI": "skipping",
               "MUT": "mutation", "ALT": "mutation", "FRA": "frameshift"}
_RESIDUES = re.compile(r"^(?:RESIDUES?\s*)?(\d+)\s*[-_]\s*(\d+)$")
_CGI_RESIDUE = re.compile(r"^\.(\d+)\.$")
_WORD_IN_RESIDUES = re.compile(r"^(.+?)\s+(?:IN RESIDUES?\s*(\d+)\s*-\s*(\d+)|AT RESIDUE\s*(\d+))$")
_RANGE_WORDS = {
    "MUTATION": "", "MUTATIONS": "", "ACTIVATING MUTATION": "activating", "ALTERATION": "any",
    "IN-FRAME DELETION": "deletion", "IN-FRAME INSERTION": "insertion", "IN-FRAME INDEL": "indel",
    "MISSENSE MUTATION": "missense", "FRAMESHIFT MUTATION": "frameshift",
    "NONSENSE MUTATION": "nonsense", "SPLICE VARIANT": "splice",
}
_INTRON = re.compile(r"^INTRON\s*(\d+)\s+REARRANGEMENTS?$")
_REGION = re.compile(r"^(.+?)\s+MUTATIONS?$")
_AR_VARIANT = re.compile(r"^V(\d+)(ES)?(?:\s+EXPRESSION)?$")

_WORDS: dict[str, tuple[K, str]] = {}
for _kind, _change, _words in [
    (K.AMPLIFICATION, "", "AMPLIFICATION AMPLIFIED AMP GAIN|COPY NUMBER GAIN|CN GAIN|"
                          "COPY NUMBER AMPLIFICATION|FOCAL AMPLIFICATION|HIGH COPY NUMBER"),
    (K.DELETION, "", "DELETION DEL LOSS DELETED|COPY NUMBER LOSS|CN LOSS|HOMOZYGOUS DELETION|"
                     "HEMIZYGOUS DELETION|HETEROZYGOUS DELETION|GENE DELETION|BIALLELIC LOSS|"
                     "COPY LOSS|DEEP DELETION"),
    (K.FUSION, "", "FUSION FUSIONS REARRANGEMENT REARRANGEMENTS TRANSLOCATION|GENE FUSION|"
                   "FUSION GENE|FUSION POSITIVE|FUSION-POSITIVE"),
    (K.EXPRESSION, "overexpression", "OVEREXPRESSION OVER OVER-EXPRESSION OVEREXPRESSED "
                                     "UPREGULATION|HIGH EXPRESSION|INCREASED EXPRESSION"),
    (K.EXPRESSION, "expression", "EXPRESSION EXPRESSED POSITIVE NORM POSITIVITY"),
    (K.EXPRESSION, "underexpression", "UNDEREXPRESSION UNDER UNDER-EXPRESSION DOWNREGULATION "
                                      "NEGATIVE|LOW EXPRESSION|LOSS OF EXPRESSION|NO EXPRESSION|"
                                      "DECREASED EXPRESSION|EXPRESSION LOSS|REDUCED EXPRESSION"),
    (K.EXPRESSION, "nuclear expression", "|NUCLEAR EXPRESSION"),
    (K.EXPRESSION, "methylation", "METHYLATION HYPERMETHYLATION METHYLATED|PROMOTER METHYLATION|"
                                  "PROMOTER HYPERMETHYLATION"),
    (K.LOSS_OF_FUNCTION, "", "LOF INACTIVATING INACTIVATION|LOSS-OF-FUNCTION|LOSS OF FUNCTION|"
                             "LOSS-OF-FUNCTION MUTATION|LOSS OF FUNCTION MUTATION|"
                             "LOSS-OF-FUNCTION MUTATIONS|INACTIVATING MUTATION|"
                             "INACTIVATING MUTATIONS|BIALLELIC INACTIVATION|DELETERIOUS MUTATION|"
                             "DELETERIOUS MUTATIONS|DELETERIOUS|DAMAGING MUTATION|"
                             "DAMAGING MUTATIONS"),
    (K.TRUNCATION, "", "TRUNCATING TRUNCATION|TRUNCATING MUTATION|TRUNCATING MUTATIONS|"
                       "PROTEIN TRUNCATING MUTATION"),
    (K.TRUNCATION, "nonsense", "NONSENSE|NONSENSE MUTATION|NONSENSE MUTATIONS|STOP GAIN|STOPGAIN"),
    (K.TRUNCATION, "frameshift", "FRAMESHIFT|FRAMESHIFT MUTATION|FRAMESHIFT MUTATIONS|"
                                 "FRAME SHIFT|FRAME-SHIFT|FRAMESHIFT DELETION|FRAMESHIFT INSERTION"),
    (K.MUTATION, "", "MUTATION MUTATIONS MUTANT MUTATED . SNV|ONCOGENIC MUTATION|"
                     "ONCOGENIC MUTATIONS|SOMATIC MUTATION|POINT MUTATION|ANY MUTATION"),
    (K.MUTATION, "activating", "ACTIVATING|ACTIVATING MUTATION|ACTIVATING MUTATIONS|"
                               "GAIN-OF-FUNCTION|GAIN OF FUNCTION|GAIN-OF-FUNCTION MUTATION|"
                               "GAIN OF FUNCTION MUTATION"),
    (K.MUTATION, "any", "ALTERATION ALTERATIONS ABERRATION|ANY ALTERATION"),
    (K.MUTATION, "deletion", "|IN-FRAME DELETION|INFRAME DELETION|IN FRAME DELETION|"
                             "INFRAME_DELETION"),
    (K.MUTATION, "insertion", "|IN-FRAME INSERTION|INFRAME INSERTION|IN FRAME INSERTION|"
                              "INFRAME_INSERTION"),
    (K.MUTATION, "indel", "|IN-FRAME INDEL|INFRAME INDEL|IN-FRAME VARIANT|INFRAME_VARIANT"),
    (K.MUTATION, "missense", "MISSENSE|MISSENSE MUTATION|MISSENSE MUTATIONS|MISSENSE_VARIANT"),
    (K.INDEL, "itd", "ITD|INTERNAL TANDEM DUPLICATION|TANDEM DUPLICATION|ITD MUTATION|"
                     "INTERNAL DUPLICATION"),
]:
    _first, *_phrases = _words.split("|")
    for _name in [*_first.split(), *_phrases]:
        _WORDS[_name] = (_kind, _change)

# Things knowledge bases list that are not alterations oncoresist can represent, with why.
_REFUSALS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(WILD[- ]?TYPE|WT|NEGATIVE FOR MUTATION|NON-?MUTATED)$"),
     "wild type is the absence of an alteration, not an alteration"),
    (re.compile(r"^RS\d+$"), "a dbSNP identifier does not say what changes in the protein; "
                             "give the protein change (p.) instead"),
    (re.compile(r"COPY[- ]NEUTRAL|LOSS OF HETEROZYGOSITY|^LOH$"),
     "loss of heterozygosity without copy loss is not represented; use 'deletion' for copy loss"),
    (re.compile(r"POLYMORPHISM|TANDEM REPEAT"),
     "germline polymorphisms (deletion polymorphisms, tandem-repeat variants) are not "
     "represented"),
    (re.compile(r"PHOSPHORYLATION|MISLOCALI[SZ]ATION|NUCLEAR TRANSLOCATION|SERUM LEVELS?"),
     "protein states and serum measurements are not alterations of the gene"),
    (re.compile(r"^COPY NUMBER (VARIATION|VARIANT|ALTERATION|CHANGE)$|^CNV$"),
     "a copy-number change without its direction; write 'amplification' or 'deletion'"),
    (re.compile(r"^SNP\d+$"), "a germline SNP named by position only; give the protein change"),
    (re.compile(rf"^{AA}\d+=$"), "a synonymous change does not alter the protein"),
]

PHENOTYPES = {
    "EMT": "EMT", "EPITHELIAL-MESENCHYMAL TRANSITION": "EMT",
    "EPITHELIAL-TO-MESENCHYMAL TRANSITION": "EMT", "EPITHELIAL TO MESENCHYMAL TRANSITION": "EMT",
    "EPITHELIAL MESENCHYMAL TRANSITION": "EMT",
    "DRUG-TOLERANT PERSISTERS": "drug-tolerant persisters",
    "DRUG TOLERANT PERSISTERS": "drug-tolerant persisters",
    "DRUG-TOLERANT PERSISTER CELLS": "drug-tolerant persisters",
    "DRUG-TOLERANT PERSISTER": "drug-tolerant persisters", "DTP": "drug-tolerant persisters",
    "CANCER STEM CELLS": "cancer stem cells", "STEMNESS": "cancer stem cells",
    "LINEAGE PLASTICITY": "lineage plasticity", "SENESCENCE": "senescence",
    "DORMANCY": "dormancy", "HYPOXIA": "hypoxia",
}
HISTOLOGIES = {
    "SCLC TRANSFORMATION": "SCLC transformation",
    "SMALL CELL TRANSFORMATION": "SCLC transformation",
    "SMALL-CELL TRANSFORMATION": "SCLC transformation",
    "SMALL CELL LUNG CANCER TRANSFORMATION": "SCLC transformation",
    "TRANSFORMATION TO SCLC": "SCLC transformation",
    "TRANSFORMATION TO SMALL CELL LUNG CANCER": "SCLC transformation",
    "SQUAMOUS TRANSFORMATION": "squamous transformation",
    "SQUAMOUS CELL TRANSFORMATION": "squamous transformation",
    "TRANSFORMATION TO SQUAMOUS CELL CARCINOMA": "squamous transformation",
    "NEUROENDOCRINE TRANSFORMATION": "neuroendocrine transformation",
    "NEUROENDOCRINE DIFFERENTIATION": "neuroendocrine transformation",
}
_STATE_PREFIX = re.compile(r"^(phenotype|histology)\s*:\s*(.+)$", re.IGNORECASE)

# Residues numbered on a second isoform in part of the literature -> canonical numbering.
# ABL1: canonical is isoform 1a (NM_005157), the numbering of the CML literature (T315I);
#   isoform 1b (NM_007313) has 19 more residues at the N terminus, so T334I there = T315I.
# AR: canonical is NM_000044 / UniProt P10275 (920 aa), used by HGVS, COSMIC and OncoKB;
#   older papers numbered the 919-residue clone, one lower across the ligand-binding domain
#   (T877A = T878A, F876L = F877L, L701H = L702H, H874Y = H875Y, W741C = W742C).
ISOFORM_ALIASES: dict[tuple[str, str, int], int] = {
    ("ABL1", "T", 334): 315,
    ("AR", "T", 877): 878,
    ("AR", "F", 876): 877,
    ("AR", "L", 701): 702,
    ("AR", "H", 874): 875,
    ("AR", "W", 741): 742,
}
ISOFORM_OFFSETS: dict[tuple[str, str], int] = {("ABL1", "1B"): -19, ("ABL1", "1A"): 0}
_ISOFORM_SUFFIX = re.compile(r"\s*\(?\s*ISOFORM\s+(\d+[A-Z]?)\s*\)?\s*$", re.IGNORECASE)

_GENE_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:orf\d+)?$")
_GENE_WITH_HYPHEN = re.compile(r"^(?:HLA-[A-Z0-9]+|[A-Z0-9]+-\d+[A-Z]?)$", re.IGNORECASE)
_PROTEINISH = re.compile(rf"^(?:{AA}|X)\d", re.IGNORECASE)
_COMPOUND_SPLIT = re.compile(r"\s*;\s*|\s+\+\s+")
_AND_SPLIT = re.compile(r"\s+and\s+|\s*&\s*", re.IGNORECASE)


class _Refused(Exception):
    """A piece was understood but cannot be represented; carries the reason."""


def normalise_gene(symbol: str) -> str:
    """Return the HGNC symbol for a gene symbol or common alias.

    Parameters
    ----------
    symbol
        A gene symbol or alias (``HER2``, ``c-MET``, ``PD-L1``, ``ABL``); case and hyphens do
        not matter. Symbols not in the alias table are returned upper-cased.

    Returns
    -------
    str
        The HGNC symbol.

    Raises
    ------
    ParseError
        If ``symbol`` is empty or contains characters no gene symbol has.

    Examples
    --------
    >>> normalise_gene("HER2"), normalise_gene("c-Met"), normalise_gene("PD-L1")
    ('ERBB2', 'MET', 'CD274')
    >>> normalise_gene("egfr")
    'EGFR'
    """
    return normalise_gene_symbol(symbol)


def parse_alteration(gene: str | None, text: str) -> Alteration | CompoundAlteration:
    """Parse an alteration as people and knowledge bases write it.

    Parameters
    ----------
    gene
        The gene the text is about (alias allowed), or None when the text names it
        (``EGFR T790M``, ``EML4-ALK``, ``BCR-ABL T315I``, ``phenotype: EMT``).
    text
        ``T790M``, ``p.T790M``, ``p.Thr790Met``, ``(p.Thr790Met)``, ``EXON 19 DELETION``,
        ``Exon 19 del``, ``L747_P753delinsS``, ``E746_A750del``, ``R213*``, ``E23fs``,
        ``X963_splice``, ``c.2888-1G>A``, ``G12/G13``, ``G12``, ``AMPLIFICATION``, ``LOSS``,
        ``DELETION``, ``OVEREXPRESSION``, ``AR-V7``, ``MUTATION``, ``LOSS-OF-FUNCTION``,
        ``EML4-ALK``, ``EML4::ALK``, ``ALK FUSION G1202R``, ``V600E and AMPLIFICATION``,
        ``phenotype: EMT``, ``SCLC transformation``, CGI forms (``EGFR:T790M``,
        ``KRAS:G12.,G13.``, ``MET:amp``, ``BCR__ABL1``, ``KIT:550-592``) and the canonical
        strings of :class:`Alteration`.

    Returns
    -------
    Alteration or CompoundAlteration
        A compound when the text names several alterations present together.

    Raises
    ------
    ParseError
        When the text cannot be interpreted; the message names the text, the gene and why.

    Notes
    -----
    ``X`` after a residue means *any residue* (``KRAS G12X``), as in oncoresist's canonical
    form; a few knowledge-base entries use ``X`` for a stop codon (CIViC ``NRAS Q179X``),
    and a position pattern also matches a nonsense change at that residue, so such rules
    still match. Isoform numbering aliases are converted to the canonical isoform:
    ABL1 ``T334I`` (isoform 1b) is ``T315I``; AR ``T877A``/``F876L`` (919-residue numbering)
    are ``T878A``/``F877L`` (NM_000044, as HGVS, COSMIC and OncoKB number them).

    Exon-level events (``exon 19 deletion``) are parsed for any gene and exon. Matching them
    against residue-level changes uses the exon boundaries of ``variants/data/exons.yaml``
    (EGFR 18-21, ERBB2 20, MET 14, KIT 9/11/13/14/17/18, PDGFRA 12/14/18, BRAF 11/15,
    KRAS/NRAS/HRAS 2-4); for other exons (PIK3CA, FLT3, ESR1, ALK among them) an exon pattern
    matches only the same exon-level event.

    Examples
    --------
    >>> str(parse_alteration("EGFR", "p.Thr790Met"))
    'EGFR p.T790M'
    >>> str(parse_alteration("EGFR", "Exon 19 del"))
    'EGFR exon 19 deletion'
    >>> str(parse_alteration(None, "BCR-ABL T315I"))
    'BCR::ABL1 fusion + ABL1 p.T315I'
    >>> str(parse_alteration("BRAF", "V600E and AMPLIFICATION"))
    'BRAF p.V600E + BRAF amplification'
    >>> parse_alteration("EGFR", "Wildtype")
    Traceback (most recent call last):
    ...
    oncoresist._core.exceptions.ParseError: cannot parse alteration 'Wildtype' of gene EGFR: \
wild type is the absence of an alteration, not an alteration
    """
    if not isinstance(text, str) or not (gene is None or isinstance(gene, str)):
        msg = (f"cannot parse alteration {text!r} of gene {gene!r}: gene must be a string or "
               f"None and text a string; got {type(gene).__name__} and {type(text).__name__}")
        raise ParseError(msg)
    if gene is not None and _names_fusion(gene):
        # "BCR-ABL1" in a gene column names a fusion: read it as the text would ("BCR-ABL1 T315I").
        return _parse_cached(None, f"{gene} {text}")
    return _parse_cached(gene, text)


_FUSION_GENE = re.compile(r"^([A-Za-z0-9]+)(?:-|::|__)([A-Za-z0-9]+)$")


def _names_fusion(gene: str) -> bool:
    """Whether a gene field holds a fusion pair with a known driver (not a hyphenated symbol)."""
    pair = _FUSION_GENE.match(gene.strip())
    if pair is None:
        return False
    five, three = (normalise_gene_symbol(part) for part in pair.groups())
    return three in THREE_PRIME_DRIVERS or five in FIVE_PRIME_DRIVERS


def parse_alternatives(
    gene: str | None, text: str
) -> tuple[Alteration | CompoundAlteration, ...]:
    """Parse a list of alternative alterations, any one of which qualifies.

    Knowledge bases list alternatives in one field: CGI writes ``ABL1:V299L,T315A,F317L``
    (its ``Alteration`` column) or ``ABL1 (V299L,T315A)`` (its ``Biomarker`` column).
    :func:`parse_alteration` reads one alteration or a compound (all present together);
    this function splits on commas first and parses each alternative.

    Parameters
    ----------
    gene
        The gene, or None when the text names it (``EGFR:L858R,T790M``).
    text
        Comma-separated alternatives; text without commas gives one alternative.

    Returns
    -------
    tuple of Alteration or CompoundAlteration
        In the order written, without duplicates.

    Raises
    ------
    ParseError
        If any alternative cannot be parsed; the message names it.

    Examples
    --------
    >>> [str(a) for a in parse_alternatives(None, "EGFR:L858R,L861.,G719.")]
    ['EGFR p.L858R', 'EGFR p.L861X', 'EGFR p.G719X']
    >>> [str(a) for a in parse_alternatives("ABL1", "ABL1 (T315I,V299L)")]
    ['ABL1 p.T315I', 'ABL1 p.V299L']
    """
    cleaned = _clean(text) if isinstance(text, str) else text
    if not isinstance(cleaned, str) or "," not in cleaned:
        return (parse_alteration(gene, text),)
    prefix = ""
    body = cleaned
    cgi = re.match(r"^([A-Za-z][A-Za-z0-9\-]*):(?!:)(.+)$", cleaned)
    listed = re.match(r"^([A-Za-z][A-Za-z0-9\-]*)\s*\((.+)\)$", cleaned)
    consequence = re.match(r"^([A-Za-z][A-Za-z0-9\-]*::consequence::)(.+)$", cleaned,
                           re.IGNORECASE)
    if consequence:
        items = [item.strip() for item in consequence.group(2).split(",::") if item.strip()]
        found = [parse_alteration(gene, consequence.group(1) + item) for item in items]
        return tuple(dict.fromkeys(found))
    if cgi:
        prefix, body = cgi.group(1) + ":", cgi.group(2)
    elif listed and _is_gene_token(listed.group(1)):
        prefix, body = listed.group(1) + " ", listed.group(2)
    items = [item.strip() for item in body.split(",") if item.strip()]
    found = [parse_alteration(gene, prefix + item) for item in items]
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=262144)
def _parse_cached(gene: str | None, text: str) -> Alteration | CompoundAlteration:
    shown_gene = gene if gene else "(none given)"
    if not isinstance(text, str) or not text.strip():
        msg = (f"cannot parse alteration {text!r} of gene {shown_gene}: the text is empty; "
               "write e.g. 'T790M', 'exon 19 deletion' or 'amplification'")
        raise ParseError(msg)
    try:
        context = normalise_gene_symbol(gene) if gene else None
        if context is not None:
            fast = _fast_substitution(context, text)
            if fast is not None:
                return fast
        parts = _parse_text(context, text)
    except _Refused as exc:
        msg = f"cannot parse alteration {text!r} of gene {shown_gene}: {exc}"
        raise ParseError(msg) from None
    except ParseError as exc:
        msg = f"cannot parse alteration {text!r} of gene {shown_gene}: {exc.message}"
        raise ParseError(msg) from None
    except ValueError as exc:  # an impossible value, e.g. residue 0
        msg = f"cannot parse alteration {text!r} of gene {shown_gene}: {exc}"
        raise ParseError(msg) from None
    unique = list(dict.fromkeys(parts))
    if len(unique) == 1:
        return unique[0]
    return CompoundAlteration(tuple(unique))


_FAST_SUB = re.compile(
    r"^(?:p\.)?\(?(?:([ACDEFGHIKLMNPQRSTVWY])|(Ala|Arg|Asn|Asp|Cys|Gln|Glu|Gly|His|Ile|Leu|Lys|"
    r"Met|Phe|Pro|Ser|Thr|Trp|Tyr|Val))([1-9]\d*)(?:([ACDEFGHIKLMNPQRSTVWY])|(Ala|Arg|Asn|Asp|"
    r"Cys|Gln|Glu|Gly|His|Ile|Leu|Lys|Met|Phe|Pro|Ser|Thr|Trp|Tyr|Val))\)?$")


def _fast_substitution(gene: str, text: str) -> Alteration | None:
    """The commonest input by far (a missense change from a VCF annotation: "p.Thr790Met",
    "T790M") without the general machinery; anything else returns None. Tests check it gives
    what the general path gives."""
    match = _FAST_SUB.match(text)
    if match is None:
        return None
    ref = match.group(1) or _THREE[match.group(2)]
    alt = match.group(4) or _THREE[match.group(5)]
    pos = _renumber(gene, ref, int(match.group(3)), shifted=False)
    return Alteration(gene, K.SUBSTITUTION, start=pos, end=pos, ref=ref, alt=alt)


def _clean(text: str) -> str:
    text = " ".join(text.replace("\u2013", "-").replace("\u2014", "-").split())
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            return False
    return depth == 0


def _parse_text(gene: str | None, text: str) -> list[Alteration]:
    text = _clean(text)
    parts: list[Alteration] = []
    given = gene is not None
    inferred: str | None = None
    for chunk in _COMPOUND_SPLIT.split(text):
        if not chunk:
            continue
        state = _parse_state(chunk)
        if state is not None:
            parts.append(state)
            continue
        for piece in _AND_SPLIT.split(chunk):
            if not piece:
                continue
            found = _parse_piece(gene if given else inferred, piece, soft=not given)
            parts.extend(found)
            if not given:  # "BRAF V600E and AMPLIFICATION": later pieces share the gene
                genes = [p.gene for p in found if p.gene]
                inferred = genes[-1] if genes else inferred
    if not parts:
        msg = "nothing to parse"
        raise _Refused(msg)
    # "EML4::ALK fusion": the word "fusion" after a named pair adds nothing
    partnered = {g for p in parts if p.kind is K.FUSION and p.partner5 for g in p.genes}
    return [p for p in parts if not (p.kind is K.FUSION and p.partner5 is None and not p.label
                                      and p.gene in partnered)]


def _parse_state(text: str) -> Alteration | None:
    match = _STATE_PREFIX.match(text)
    if match:
        kind = K.PHENOTYPE if match.group(1).lower() == "phenotype" else K.HISTOLOGY
        raw = " ".join(match.group(2).split())
        table = PHENOTYPES if kind is K.PHENOTYPE else HISTOLOGIES
        return Alteration(None, kind, label=table.get(raw.upper(), raw))
    key = text.upper()
    if key in PHENOTYPES:
        return Alteration(None, K.PHENOTYPE, label=PHENOTYPES[key])
    if key in HISTOLOGIES:
        return Alteration(None, K.HISTOLOGY, label=HISTOLOGIES[key])
    return None


def _parse_piece(gene: str | None, piece: str, *, soft: bool) -> list[Alteration]:
    piece = _clean(piece)
    state = _parse_state(piece)
    if state is not None:
        return [state]
    # CGI's consequence form: "EGFR::consequence::inframe_deletion:729-761"
    consequence = _CGI_CONSEQUENCE.match(piece)
    if consequence:
        return [_cgi_consequence(normalise_gene_symbol(consequence.group(1)),
                                 consequence.group(2).lower(), consequence.group(3) or "")]
    # CGI writes GENE:alteration ("EGFR:T790M", "KRAS:G12.,G13.", "MET:amp").
    cgi = re.match(r"^([A-Za-z][A-Za-z0-9\-]*):(?!:)(.+)$", piece)
    if cgi and not piece.lower().startswith(("c.", "p.")):
        return _parse_spec(normalise_gene_symbol(cgi.group(1)), cgi.group(2))
    special = _special_gene_token(piece)
    if special is not None:
        if gene is not None and not soft and special[0].gene != gene:
            msg = f"the text names gene {special[0].gene} but the gene given is {gene}"
            raise _Refused(msg)
        return special
    head, _, rest = piece.partition(" ")
    # A leading token that names the gene given: "EGFR T790M" with gene EGFR.
    if gene is not None and rest and _is_gene_token(head) and normalise_gene_symbol(head) == gene:
        return _parse_spec(gene, rest)
    if soft and rest and _is_gene_token(head):
        # gene inferred from an earlier piece: a piece that names its own gene wins
        try:
            return _parse_spec(normalise_gene_symbol(head), rest)
        except ParseError:
            pass
    first_error: ParseError | None = None
    if gene is not None:
        try:
            return _parse_spec(gene, piece)
        except ParseError as exc:
            if not (rest and (_is_gene_token(head) or _split_fusion(head))):
                raise
            first_error = exc
    # The text names its gene (or fusion) first.
    fusion = _fusion_from_token(head)
    if fusion is not None:
        if not rest:
            return [fusion]
        inner = gene if gene is not None else fusion.gene
        return [fusion, *_parse_spec(inner, rest)]
    if not _is_gene_token(head):
        if gene is None:
            msg = ("no gene: give the gene argument or start the text with the gene symbol "
                   "(e.g. 'EGFR T790M')")
            raise _Refused(msg)
        msg = f"unrecognised form {piece!r}"
        raise _Refused(msg)
    named = normalise_gene_symbol(head)
    if not rest:
        msg = (f"'{head}' names a gene but no alteration; add one (e.g. '{named} mutation', "
               f"'{named} amplification')")
        raise _Refused(msg)
    try:
        found = _parse_spec(named, rest)
    except ParseError:
        if first_error is not None:  # "ISOFORM EXPRESSION": not a gene, an unknown form
            raise first_error from None
        raise
    if gene is not None and not soft and named != gene:
        msg = (f"the text starts with '{head}', read as gene {named}, but the gene given is "
               f"{gene}; if '{head}' is not a gene, the form {piece!r} is not recognised")
        raise _Refused(msg)
    return found


_CGI_CONSEQUENCE = re.compile(
    r"^([A-Za-z][A-Za-z0-9\-]*)::(consequence|wildtype)(?::+(.*))?$", re.IGNORECASE)
_CGI_TERMS = {
    "inframe_deletion": "deletion", "inframe_insertion": "insertion", "inframe_variant": "indel",
    "missense_variant": "missense", "frameshift_variant": "frameshift",
    "stop_gained": "nonsense", "splice_donor_variant": "splice",
    "splice_acceptor_variant": "splice", "promoters_core": "promoter",
}


def _cgi_consequence(gene: str, form: str, term_and_spec: str) -> Alteration:
    """CGI's ``GENE::consequence::TERM:SPEC`` (Sequence Ontology term, then a residue range
    "729-761", one residue "L485." / "P753PS" / ".1151T.", or "." for the whole gene)."""
    if form == "wildtype":
        msg = "wild type is the absence of an alteration, not an alteration"
        raise _Refused(msg)
    match = re.match(r"^([a-z_]+):(.*)$", term_and_spec, re.IGNORECASE)
    if not match:
        msg = f"CGI consequence {term_and_spec!r} has no term:residues part"
        raise _Refused(msg)
    term, spec = match.group(1).lower(), match.group(2).strip().upper()
    if term not in _CGI_TERMS:
        msg = (f"Sequence Ontology term {term!r} is not represented; known: "
               f"{', '.join(sorted(_CGI_TERMS))}")
        raise _Refused(msg)
    change = _CGI_TERMS[term]
    if change == "promoter":
        return Alteration(gene, K.MUTATION, label="promoter")
    if spec == ".":
        if change in ("frameshift", "nonsense"):
            return Alteration(gene, K.TRUNCATION, change=change)
        if change == "splice":
            return Alteration(gene, K.SPLICE)
        return Alteration(gene, K.MUTATION, change=change)
    bounds = re.match(r"^(\d+)-(\d+)$", spec)
    single = (re.match(rf"^{AA}?(\d+)\.$", spec) or re.match(r"^\.(\d+)[A-Z]+\.?$", spec)
              or re.match(rf"^{AA}(\d+){AA}+$", spec))
    if bounds:
        first, last = int(bounds.group(1)), int(bounds.group(2))
    elif single:
        first = last = int(single.group(1))
    else:
        msg = f"CGI residue specification {spec!r} is not in a form we read"
        raise _Refused(msg)
    exon = _EXON_OF_RANGE.get((gene, first, last))
    if exon is not None and change in ("deletion", "insertion"):
        return Alteration(gene, K.EXON, exon=exon, change=change)
    return _residue_range(gene, change, first, last)


def _exon_of_range() -> dict[tuple[str, int, int], int]:
    from oncoresist.variants._exons import exon_table

    return {(gene, *span): exon for gene, exons in exon_table().items()
            for exon, span in exons.items()}


_EXON_OF_RANGE = _exon_of_range()


def _is_gene_token(token: str) -> bool:
    if _GENE_WITH_HYPHEN.match(token) or is_alias(token):
        return True
    if not _GENE_TOKEN.match(token) or len(token) < 2:
        return False
    upper = token.upper()
    if upper in _WORDS or upper in {"EXON", "EXONS", "INTRON", "P", "C", "VIII"}:
        return False
    return not _looks_protein_change(upper)


def _looks_protein_change(upper: str) -> bool:
    return any(rx.match(upper) for rx in (_SUB, _POS, _NONSENSE, _FS, _INDEL, _SPLICE))


def _special_gene_token(piece: str) -> list[Alteration] | None:
    upper = piece.upper()
    if upper in ("EGFRVIII", "EGFR-VIII", "EGFR VIII"):
        return [_egfr_viii()]
    match = re.match(r"^AR[- ]?(V\d+(?:ES)?)(?: EXPRESSION)?$", upper)
    if match:
        return [_ar_variant(match.group(1))]
    if upper in ("FLT3-ITD", "FLT3 ITD", "FLT3/ITD"):
        return [Alteration("FLT3", K.INDEL, change="itd")]
    return None


def _egfr_viii() -> Alteration:
    # EGFRvIII: in-frame deletion of exons 2-7 (Wikstrand et al. 1998 and later reviews).
    return Alteration("EGFR", K.EXON, exon=2, exon_end=7, change="deletion")


def _ar_variant(name: str) -> Alteration:
    name = name.upper()
    label = name[:-2] + "es" if name.endswith("ES") else name
    return Alteration("AR", K.EXPRESSION, change="variant", label=label)


def _fusion_gene(five: str, three: str) -> str:
    if five in FIVE_PRIME_DRIVERS and three not in THREE_PRIME_DRIVERS:
        return five
    return three


def _split_fusion(token: str) -> tuple[str, str, str] | None:
    """Split "EML4-ALK", "EML4::ALK", "BCR__ABL1", "NKX2-1::ALK" into (left, separator, right)."""
    for sep in ("::", "__"):
        if sep in token:
            left, _, right = token.partition(sep)
            return (left, sep, right) if left and right and sep not in right else None
    if "/" in token:
        left, _, right = token.partition("/")
        return (left, "/", right) if left and right and "/" not in right else None
    if "-" not in token or _GENE_WITH_HYPHEN.match(token) or is_alias(token):
        return None  # one gene: HLA-C, NKX2-1, PD-L1, c-MET
    splits = []
    for at in (i for i, char in enumerate(token) if char == "-"):
        left, right = token[:at], token[at + 1:]
        if _is_fusion_side(left) and _is_fusion_side(right):
            splits.append((left, "-", right))
    return splits[0] if len(splits) == 1 else None


def _is_fusion_side(side: str) -> bool:
    if "-" in side and not _GENE_WITH_HYPHEN.match(side):
        return False
    return _is_gene_token(side)


def _fusion_from_token(token: str) -> Alteration | None:
    split = _split_fusion(token)
    if split is None:
        return None
    left, sep, right = split
    if right == ".":
        if sep != "__" or not _is_fusion_side(left):
            return None
        return Alteration(normalise_gene_symbol(left), K.FUSION)
    if not (_is_fusion_side(left) and _is_fusion_side(right)):
        return None
    five, three = normalise_gene_symbol(left), normalise_gene_symbol(right)
    if five == three:
        return None
    if sep == "__":
        # CGI writes the gene of the row first, whatever the orientation: orient by biology.
        if five in THREE_PRIME_DRIVERS and three not in THREE_PRIME_DRIVERS:
            five, three = three, five
    return _fusion(five, three)


def _fusion(five: str, three: str) -> Alteration:
    return Alteration(_fusion_gene(five, three), K.FUSION, partner5=five, partner3=three)


def _to_one_letter(spec: str) -> str:
    body = spec
    if _LOOKS_THREE.match(body) or re.search(r"_[A-Z][a-z]{2}\d", body):
        body = _THREE_RE.sub(lambda m: _THREE[m.group(0)], body)
    return body


def _parse_spec(gene: str, spec: str) -> list[Alteration]:
    spec = _clean(spec)
    try:
        return _parse_simple(gene, spec)
    except _Refused:
        raise
    except ParseError:
        pass
    with_cdna = _WITH_CDNA.match(spec)
    if with_cdna:
        return _parse_with_cdna(gene, with_cdna.group(1), with_cdna.group(2))
    parts = _parse_tokens(gene, spec.split(" "))
    if parts:
        return parts
    msg = f"unrecognised form {spec!r}"
    raise ParseError(msg)


def _parse_tokens(gene: str, tokens: list[str]) -> list[Alteration]:
    """Read several alterations written one after another ("FUSION G1202R", "Ex19 del L858R"),
    taking the longest run of tokens that parses each time; [] if some token is left over."""
    parts: list[Alteration] = []
    i = 0
    while i < len(tokens):
        for j in range(len(tokens), i, -1):
            found = _parse_one_run(gene, tokens[i:j])
            if found:
                parts.extend(found)
                i = j
                break
        else:
            return []
    if any(p.kind is K.FUSION and p.partner5 for p in parts):
        # "EML4::ALK fusion": the word "fusion" belongs to the named pair before it
        parts = [p for p in parts
                 if not (p.kind is K.FUSION and p.partner5 is None and not p.label)]
    return parts


def _parse_one_run(gene: str, run: list[str]) -> list[Alteration]:
    text = " ".join(run)
    try:
        return _parse_simple(gene, text)
    except ParseError:
        pass
    if len(run) > 1:
        return []
    fusion = _fusion_from_token(text)
    if fusion is not None:
        return [fusion]
    pieces = text.split("-")
    if len(pieces) > 1 and all(_looks_protein_change(_one(p)) for p in pieces):
        return [part for piece in pieces for part in _parse_simple(gene, piece)]
    return []


_WITH_CDNA = re.compile(r"^(.*?)\s*\(\s*(c\.[^)]*)\)$", re.IGNORECASE)
_SPLICE_WORDS = re.compile(r"^(SPLICING|SPLICE)(?:[- ]SITE)?(?: ALTERATION| MUTATION| VARIANT)?$")


def _parse_with_cdna(gene: str, head: str, cdna: str) -> list[Alteration]:
    """"R167Q (c.500G>A)": the protein change names the alteration; the cDNA change in
    parentheses is the same event at the DNA level. "Splicing alteration (c.340+1G>A)": splice."""
    if not head or _SPLICE_WORDS.match(head.upper()):
        return [_cdna(gene, cdna.upper())]
    return _parse_simple(gene, head)


def _one(text: str) -> str:
    return _to_one_letter(re.sub(r"^[pP]\.", "", text)).upper()


def _parse_simple(gene: str, spec: str) -> list[Alteration]:
    upper_raw = spec.upper()
    for pattern, reason in _REFUSALS:
        if pattern.search(upper_raw):
            raise _Refused(reason)
    offset = 0
    iso = _ISOFORM_SUFFIX.search(spec)
    if iso:
        key = (gene, iso.group(1).upper())
        if key not in ISOFORM_OFFSETS:
            msg = (f"isoform {iso.group(1)} of {gene} is not known; give the residue on the "
                   "canonical isoform")
            raise _Refused(msg)
        offset = ISOFORM_OFFSETS[key]
        spec = spec[: iso.start()]
    body = spec
    if body.startswith(("p.", "P.")):
        body = body[2:]
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    body = _to_one_letter(body)
    u = body.upper().strip()
    _refuse_hgvs_without_change(u)

    if u in _WORDS:
        kind, change = _WORDS[u]
        return [Alteration(gene, kind, change=change)]
    if gene == "AR":
        match = _AR_VARIANT.match(u)
        if match:
            return [_ar_variant(f"V{match.group(1)}{match.group(2) or ''}")]
    if gene == "EGFR" and u in ("VIII", "EGFRVIII", "V3", "DE2-7", "DELTA2-7"):
        return [_egfr_viii()]
    if u == "DOUBLE PH" and gene in ("ABL1", "BCR"):
        # a second Philadelphia chromosome: an extra copy of the BCR::ABL1 fusion gene
        return [_fusion("BCR", "ABL1"), Alteration("ABL1", K.AMPLIFICATION)]

    def residue(ref: str, number: str) -> int:
        return _renumber(gene, ref, int(number) + offset, shifted=offset != 0)

    match = _SUB.match(u)
    if match:
        ref, pos = match.group(1), residue(match.group(1), match.group(2))
        alts = "".join(sorted(set(match.group(3).replace("/", ""))))
        return [Alteration(gene, K.SUBSTITUTION, start=pos, end=pos, ref=ref, alt=alts)]
    items = re.split(r"\s*[/,]\s*", u)
    if items and all(_POS.match(i) for i in items):
        positions = []
        for item in items:
            m = _POS.match(item)
            positions.append((m.group(1), residue(m.group(1), m.group(2))))
        positions = sorted(set(positions), key=lambda p: (p[1], p[0]))
        return [Alteration(gene, K.POSITION, start=positions[0][1], end=positions[-1][1],
                           positions=tuple(positions))]
    match = _NONSENSE.match(u)
    if match:
        ref, pos = match.group(1), residue(match.group(1), match.group(2))
        return [Alteration(gene, K.TRUNCATION, start=pos, end=pos, ref=ref, change="nonsense")]
    match = _FS.match(u)
    if match:
        pos = int(match.group(2)) + offset
        tail = match.group(4)
        return [Alteration(gene, K.TRUNCATION, start=pos, end=pos, ref=match.group(1),
                           alt=match.group(3) or "", change="frameshift",
                           tail=int(tail) if tail and tail.isdigit() else None)]
    match = _INDEL.match(u)
    if match:
        return [_indel(gene, match, offset, spec)]
    match = _SPLICE.match(u)
    if match:
        if match.group(2) is None:
            return [Alteration(gene, K.SPLICE)]
        pos = int(match.group(2)) + offset
        ref = "" if match.group(1) in (None, "X") else match.group(1)
        return [Alteration(gene, K.SPLICE, start=pos, end=pos, ref=ref)]
    cdna = re.sub(r"\s*\(?SPLICE(?: SITE)?(?: VARIANT)?\)?$", "", u).strip()
    if cdna.startswith("SPLICE VARIANT "):
        cdna = cdna.removeprefix("SPLICE VARIANT ").strip()
    if _CDNA_ANY.match(cdna):
        return [_cdna(gene, cdna)]
    match = _EXON.match(u)
    if match:
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else None
        if last is not None and last < first:
            msg = f"exon range {first}-{last} runs backwards; write it as {last}-{first}"
            raise _Refused(msg)
        if last == first:
            last = None
        event = _EXON_EVENT[match.group(3)[:3]]
        return [Alteration(gene, K.EXON, exon=first, exon_end=last, change=event)]
    match = _INTRON.match(u)
    if match:
        return [Alteration(gene, K.FUSION, label=f"intron {int(match.group(1))}")]
    match = _RESIDUES.match(u) or _CGI_RESIDUE.match(u)
    word = _WORD_IN_RESIDUES.match(u)
    if word and word.group(1) in _RANGE_WORDS:
        change = _RANGE_WORDS[word.group(1)]
        bounds = (word.group(2), word.group(3)) if word.group(2) else (word.group(4),) * 2
        return [_residue_range(gene, change, int(bounds[0]) + offset, int(bounds[1]) + offset)]
    if match:
        first = int(match.group(1)) + offset
        last = int(match.group(match.lastindex)) + offset
        return [_residue_range(gene, "", first, last)]
    match = _REGION.match(u)
    if match:
        region = match.group(1).strip()
        region = re.sub(r"\s+MUTATIONS?$", "", region)
        label = REGION_ALIASES.get(region) or REGION_ALIASES.get(region.removesuffix(" DOMAIN"))
        if label is None:
            label = _generic_region(region)
        if label is not None:
            return [Alteration(gene, K.MUTATION, label=label)]
    msg = f"unrecognised form {spec!r}"
    raise ParseError(msg)


def _residue_range(gene: str, change: str, first: int, last: int) -> Alteration:
    if last < first:
        msg = f"residue range {first}-{last} runs backwards; write it as {last}-{first}"
        raise _Refused(msg)
    return Alteration(gene, K.MUTATION, start=first, end=last, change=change)


def _generic_region(region: str) -> str | None:
    """Region names not in the table: "SH2 DOMAIN" -> "SH2 domain", "INTRON 6" -> "intron 6",
    "PROMOTER" -> "promoter", "3' UTR" -> "3' UTR"."""
    match = re.match(r"^([A-Z0-9][A-Z0-9\-]*) DOMAIN$", region)
    if match and match.group(1) not in _WORDS:
        return f"{match.group(1)} domain"
    match = re.match(r"^INTRON\s*(\d+)$", region)
    if match:
        return f"intron {int(match.group(1))}"
    if region in ("PROMOTER", "3' UTR", "5' UTR", "3'UTR", "5'UTR"):
        return region.lower().replace("utr", "UTR").replace("'UTR", "' UTR")
    return None


def _refuse_hgvs_without_change(u: str) -> None:
    """HGVS protein descriptions that name no change oncoresist can represent."""
    if u in ("=", "(=)") or re.fullmatch(rf"{AA}\d+=", u):
        msg = "a synonymous change (p.=) does not alter the protein"
        raise _Refused(msg)
    if u in ("?", "(?)", "0", "0?"):
        msg = "the protein effect is unknown or absent (p.? / p.0); nothing to represent"
        raise _Refused(msg)
    if u == "M1?" or (u.startswith("M1_") and "?" in u):
        msg = "a start-codon change (p.Met1?) has an unknown protein effect; not represented"
        raise _Refused(msg)
    if "EXT" in u and re.match(rf"^(?:\*|{AA})\d+", u):
        msg = "a stop-loss extension (p.*1211Qext*?) is not represented"
        raise _Refused(msg)


def _renumber(gene: str, ref: str, pos: int, *, shifted: bool) -> int:
    # The table converts residues written in the other numbering without saying so; a
    # residue already shifted from a named isoform ("(isoform 1b)") is canonical. The table
    # holds residues taken not to exist in the canonical numbering (AR T877: canonical 877 is
    # F; ABL1: T315 is the gatekeeper of 1a, T334 its 1b number), so canonical strings read
    # back to themselves.
    return pos if shifted else ISOFORM_ALIASES.get((gene, ref, pos), pos)


def _indel(gene: str, match: re.Match[str], offset: int, spec: str) -> Alteration:
    ref, start, ref_end, end, change, seq = match.groups()
    start_i = int(start) + offset
    end_i = int(end) + offset if end else None
    seq = seq or ""
    if change == "INS":
        if end_i is None:  # "T1151INST": inserted after residue 1151
            end_i = start_i + 1
        if end_i != start_i + 1 and _is_written_dup(ref, ref_end, seq, end_i - start_i + 1):
            # CIViC's "P772_V774insPHV": the inserted residues repeat the range, i.e. a dup
            return Alteration(gene, K.INDEL, start=start_i, end=end_i, ref=ref,
                              ref_end=ref_end or "", change="dup")
        if end_i != start_i + 1:
            msg = (f"an insertion is written between two neighbouring residues "
                   f"(e.g. D770_N771insGL); got {spec!r}")
            raise _Refused(msg)
        if not seq:  # CIViC "P780INS": an insertion after residue 780, residues not given
            return Alteration(gene, K.MUTATION, start=start_i, end=start_i, change="insertion")
        return Alteration(gene, K.INDEL, start=start_i, end=end_i, ref=ref, ref_end=ref_end or "",
                          alt=seq, change="ins")
    if end_i is None:
        end_i = start_i
        ref_end = ref
    if end_i < start_i:
        msg = f"the range in {spec!r} runs backwards"
        raise _Refused(msg)
    if change == "DELINS":
        if not seq:
            msg = f"the deletion-insertion {spec!r} does not say what is inserted"
            raise _Refused(msg)
        return Alteration(gene, K.INDEL, start=start_i, end=end_i, ref=ref, ref_end=ref_end or "",
                          alt=seq, change="delins")
    span = end_i - start_i + 1
    if seq and len(seq) != span:
        msg = (f"{spec!r} names {len(seq)} residues ({seq}) for a range of {span}; "
               "check the positions")
        raise _Refused(msg)
    return Alteration(gene, K.INDEL, start=start_i, end=end_i, ref=ref, ref_end=ref_end or "",
                      change=change.lower())


def _is_written_dup(ref: str, ref_end: str | None, seq: str, span: int) -> bool:
    return len(seq) == span and seq[0] == ref and bool(ref_end) and seq[-1] == ref_end


def _cdna(gene: str, cdna: str) -> Alteration:
    match = _CDNA.match(cdna)
    if match is None:
        if re.match(r"^C\.\d+[+-]\d+", cdna):
            msg = (f"the cDNA change {cdna.replace('C.', 'c.', 1)} is not in a form we read; "
                   "write e.g. c.2888-1G>A or c.7089+1del")
            raise _Refused(msg)
        msg = (f"a coding-DNA change ({cdna.replace('C.', 'c.', 1)}) without its protein effect "
               "cannot be interpreted; give the protein change (p.) or the consequence "
               "(e.g. 'splice variant')")
        raise _Refused(msg)
    distance = int(match.group(3))
    if distance > 2:
        msg = (f"intronic change {cdna.replace('C.', 'c.', 1)} is {distance} bases from the "
               "exon, outside the canonical splice site (+/-1, 2); its effect is not known")
        raise _Refused(msg)
    label = "c." + re.sub(r"(DELINS|DEL|DUP|INS)", lambda m: m.group(1).lower(), cdna[2:])
    return Alteration(gene, K.SPLICE, label=label)
