"""The alteration model: kinds, the immutable `Alteration` and `CompoundAlteration`, their one
canonical string form, and pattern matching."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from oncoresist.variants._exons import exon_residues, region_residues


class AlterationKind(StrEnum):
    """What kind of change an :class:`Alteration` describes.

    Examples
    --------
    >>> AlterationKind("substitution") is AlterationKind.SUBSTITUTION
    True
    >>> AlterationKind.FUSION.value
    'fusion'
    """

    SUBSTITUTION = "substitution"
    POSITION = "position"
    INDEL = "indel"
    TRUNCATION = "truncation"
    SPLICE = "splice"
    EXON = "exon"
    AMPLIFICATION = "amplification"
    DELETION = "deletion"
    FUSION = "fusion"
    EXPRESSION = "expression"
    LOSS_OF_FUNCTION = "loss_of_function"
    MUTATION = "mutation"
    PHENOTYPE = "phenotype"
    HISTOLOGY = "histology"


K = AlterationKind

#: Kinds that describe a change of the gene's sequence (what "TP53 mutation" matches).
SEQUENCE_KINDS = frozenset({K.SUBSTITUTION, K.POSITION, K.INDEL, K.TRUNCATION, K.SPLICE, K.EXON,
                            K.MUTATION})
#: Kinds a loss-of-function pattern matches.
LOF_KINDS = frozenset({K.TRUNCATION, K.SPLICE, K.DELETION, K.LOSS_OF_FUNCTION})

# exon-level events and the indel changes each one covers
EXON_EVENTS = ("deletion", "insertion", "duplication", "skipping", "mutation", "frameshift")
INDEL_CHANGES = ("del", "ins", "delins", "dup", "itd")
TRUNCATION_CHANGES = ("", "nonsense", "frameshift")
EXPRESSION_CHANGES = ("expression", "overexpression", "underexpression", "variant", "methylation",
                      "nuclear expression")
#: mutation-pattern qualifiers and how they are written
MUTATION_WORDS = {
    "": "mutation", "activating": "activating mutation", "any": "alteration",
    "deletion": "in-frame deletion", "insertion": "in-frame insertion", "indel": "in-frame indel",
    "missense": "missense mutation", "frameshift": "frameshift mutation",
    "nonsense": "nonsense mutation", "splice": "splice variant",
}


@dataclass(frozen=True, slots=True, eq=False)
class Alteration:
    """One alteration of one gene (or one non-genetic state), immutable and hashable.

    Build alterations with :func:`parse_alteration` or :meth:`Alteration.parse`; the fields are
    the parsed, normalised parts and differ by kind (unused fields keep their defaults).

    Parameters
    ----------
    gene
        HGNC symbol; None only for phenotype and histology states. For a fusion with both
        partners named, the partner that drives it (the kinase-keeping partner, e.g. ALK in
        EML4::ALK, ABL1 in BCR::ABL1, FGFR3 in FGFR3::TACC3).
    kind
        The :class:`AlterationKind`.
    start, end
        First and last residue touched (protein numbering of the canonical isoform).
    ref, ref_end
        Reference residue (one-letter code) at ``start`` and, for ranges, at ``end``.
    alt
        Substituted residue(s) (several for "D835H/Y"), inserted residues, or the first new
        residue of a frameshift.
    change
        Kind-specific qualifier: indel ``del``/``ins``/``delins``/``dup``/``itd``; truncation
        ``nonsense``/``frameshift`` (empty: any truncating); exon event (``deletion``,
        ``insertion``, ``duplication``, ``skipping``, ``mutation``, ``frameshift``); expression
        state; mutation qualifier (``activating``, ``any`` for "alteration", or a consequence:
        ``deletion``, ``insertion``, ``indel``, ``missense``, ``frameshift``, ``nonsense``,
        ``splice``).
    exon, exon_end
        Exon number (and last exon of a multi-exon event); intron number for an intronic
        rearrangement.
    positions
        ``(ref, residue)`` pairs of a position wildcard (``G12/G13``).
    partner5, partner3
        5' and 3' fusion partners (both None: any partner, either side).
    tail
        Frameshift: position of the new stop codon counted from the first changed residue.
    label
        Phenotype or histology name, expression-variant name (V7), region name, splice cDNA
        change, or the intron of a rearrangement.

    Examples
    --------
    >>> a = Alteration.parse("KRAS p.G12X")
    >>> a.kind, a.gene, a.protein_range
    (<AlterationKind.POSITION: 'position'>, 'KRAS', (12, 12))
    >>> a.matches(Alteration.parse("KRAS p.G12C"))
    True
    >>> str(Alteration.parse("EML4-ALK"))
    'EML4::ALK fusion'
    """

    gene: str | None
    kind: AlterationKind
    start: int | None = None
    end: int | None = None
    ref: str = ""
    ref_end: str = ""
    alt: str = ""
    change: str = ""
    exon: int | None = None
    exon_end: int | None = None
    positions: tuple[tuple[str, int], ...] = ()
    partner5: str | None = None
    partner3: str | None = None
    tail: int | None = None
    label: str = ""
    # derived once: canonical text, value key and hash, protein range (matching is hot)
    _text: str = field(default="", init=False, repr=False)
    _key: tuple = field(default=(), init=False, repr=False)
    _hash: int = field(default=0, init=False, repr=False)
    _range: tuple[int, int] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.kind, AlterationKind):
            object.__setattr__(self, "kind", AlterationKind(self.kind))
        _check(self)
        key = (self.gene, self.kind.value, self.start, self.end, self.ref, self.ref_end, self.alt,
               self.change, self.exon, self.exon_end, self.positions, self.partner5,
               self.partner3, self.tail, self.label)
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_hash", hash(key))
        object.__setattr__(self, "_text", format_alteration(self))
        object.__setattr__(self, "_range", _protein_range(self))

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Alteration):
            return NotImplemented
        return self._hash == other._hash and self._key == other._key

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple:
        # rebuild through __init__ so the cached hash is recomputed in the receiving process
        # (string hashes differ between processes)
        return (_rebuild, (self._key,))

    def __str__(self) -> str:
        return self._text

    @classmethod
    def parse(cls, text: str) -> Alteration | CompoundAlteration:
        """Parse a full alteration string that names its gene.

        Parameters
        ----------
        text
            Canonical form (``EGFR p.T790M``) or anything :func:`parse_alteration` accepts
            with the gene written in the text.

        Returns
        -------
        Alteration or CompoundAlteration
            A compound when the text joins several alterations with ``+`` or ``and``.

        Examples
        --------
        >>> Alteration.parse("EGFR p.Thr790Met")
        Alteration.parse('EGFR p.T790M')
        """
        from oncoresist.variants._parser import parse_alteration

        return parse_alteration(None, text)

    def __repr__(self) -> str:
        return f"Alteration.parse({self._text!r})"

    @property
    def protein_range(self) -> tuple[int, int] | None:
        """First and last residue touched, where it applies (None otherwise).

        For an exon-level event, the residues of the exon(s) on the canonical transcript when
        they are tabulated (data/exons.yaml); for a named region (P-loop), its residues when
        known.
        """
        return self._range

    @property
    def genes(self) -> tuple[str, ...]:
        """Every gene involved: both partners of a fusion, else the gene (none for states)."""
        if self.kind is K.FUSION and self.partner5 is not None:
            return (self.partner5, self.partner3)
        return () if self.gene is None else (self.gene,)

    def matches(self, other: Alteration | CompoundAlteration) -> bool:
        """True when this alteration, as a pattern, is the same as or more general than other.

        Parameters
        ----------
        other
            The alteration found (in a sample), or a compound of several.

        Returns
        -------
        bool
            A compound ``other`` is matched when any of its parts is.

        Examples
        --------
        >>> p = Alteration.parse("EGFR exon 19 deletion")
        >>> p.matches(Alteration.parse("EGFR p.E746_A750del"))
        True
        >>> Alteration.parse("BRAF amplification").matches(Alteration.parse("BRAF p.V600E"))
        False
        """
        if isinstance(other, CompoundAlteration):
            return any(match_single(self, part) for part in other.parts)
        return match_single(self, other)


@dataclass(frozen=True, slots=True)
class CompoundAlteration:
    """Several alterations present together (``BRAF p.V600E + BRAF amplification``).

    Parameters
    ----------
    parts
        The alterations; stored sorted by their canonical strings, without duplicates.

    Examples
    --------
    >>> c = CompoundAlteration((Alteration.parse("BRAF amplification"),
    ...                         Alteration.parse("BRAF p.V600E")))
    >>> str(c), c.gene
    ('BRAF p.V600E + BRAF amplification', 'BRAF')
    >>> Alteration.parse("BRAF amplification").matches(c)
    True
    """

    parts: tuple[Alteration, ...]
    _text: str = field(default="", init=False, repr=False, compare=False, hash=False)
    _genes: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False,
                                    hash=False)

    def __post_init__(self) -> None:
        unique = {str(p): p for p in self.parts}
        if len(unique) < 2:
            msg = f"a compound alteration needs at least two different parts, got {list(unique)}"
            raise ValueError(msg)
        if not all(isinstance(p, Alteration) for p in unique.values()):
            msg = "the parts of a compound alteration must be Alteration objects"
            raise TypeError(msg)
        ordered = tuple(sorted(unique.values(), key=_part_order))
        object.__setattr__(self, "parts", ordered)
        object.__setattr__(self, "_text", " + ".join(str(p) for p in ordered))
        seen: dict[str, None] = {}
        for part in ordered:
            for gene in part.genes:
                seen.setdefault(gene)
        object.__setattr__(self, "_genes", tuple(seen))

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Alteration.parse({self._text!r})"

    @classmethod
    def parse(cls, text: str) -> Alteration | CompoundAlteration:
        """Parse a full alteration string (see :meth:`Alteration.parse`).

        Examples
        --------
        >>> CompoundAlteration.parse("BRAF V600E and AMPLIFICATION")
        Alteration.parse('BRAF p.V600E + BRAF amplification')
        """
        return Alteration.parse(text)

    @property
    def gene(self) -> str | None:
        """The gene common to every part, else None."""
        genes = {p.gene for p in self.parts}
        return genes.pop() if len(genes) == 1 else None

    @property
    def genes(self) -> tuple[str, ...]:
        """Every gene involved in any part, in order of first appearance."""
        return self._genes

    @property
    def kind(self) -> None:
        """A compound has no single kind (None); see the kinds of ``parts``."""
        return None

    @property
    def protein_range(self) -> None:
        """A compound has no single protein range (None); see the ranges of ``parts``."""
        return None

    def matches(self, other: Alteration | CompoundAlteration) -> bool:
        """True when every part of this pattern matches some part of ``other``.

        Examples
        --------
        >>> pattern = Alteration.parse("EML4::ALK fusion + ALK p.G1202R")
        >>> pattern.matches(Alteration.parse("EML4-ALK G1202R and AMPLIFICATION"))
        True
        """
        targets = other.parts if isinstance(other, CompoundAlteration) else (other,)
        return all(any(match_single(p, t) for t in targets) for p in self.parts)


def _part_order(a: Alteration) -> tuple[int, str, int, str]:
    # Fusion first, then sequence changes by residue, exon/pattern, copy number, expression,
    # states: reads naturally ("EML4::ALK fusion + ALK p.G1202R",
    # "BRAF p.V600E + BRAF amplification").
    rank = {K.FUSION: 0, K.SUBSTITUTION: 1, K.POSITION: 1, K.INDEL: 1, K.TRUNCATION: 1,
            K.SPLICE: 1, K.EXON: 2, K.MUTATION: 2, K.LOSS_OF_FUNCTION: 2, K.AMPLIFICATION: 3,
            K.DELETION: 3, K.EXPRESSION: 4, K.PHENOTYPE: 5, K.HISTOLOGY: 6}[a.kind]
    return rank, a.gene or "", -1 if a.start is None else a.start, a._text


def _check(a: Alteration) -> None:
    state = a.kind in (K.PHENOTYPE, K.HISTOLOGY)
    if state and (a.gene is not None or not a.label):
        msg = f"a {a.kind.value} state has no gene and needs a label; got gene={a.gene!r}, label={a.label!r}"
        raise ValueError(msg)
    if not state and not (isinstance(a.gene, str) and a.gene):
        msg = f"a {a.kind.value} alteration needs a gene symbol; got {a.gene!r}"
        raise ValueError(msg)
    if a.kind is K.MUTATION and a.start is None and a.change in ("frameshift", "nonsense",
                                                                 "splice"):
        msg = (f"a gene-wide {a.change} pattern is kind truncation or splice, not mutation "
               "(parse 'frameshift mutation', 'nonsense mutation', 'splice variant')")
        raise ValueError(msg)
    if a.start is not None and (a.start < 1 or (a.end is not None and a.end < a.start)):
        msg = f"residues must be >= 1 and start <= end; got start={a.start}, end={a.end}"
        raise ValueError(msg)


def _rebuild(key: tuple) -> Alteration:
    (gene, kind, start, end, ref, ref_end, alt, change, exon, exon_end, positions, partner5,
     partner3, tail, label) = key
    return Alteration(gene, AlterationKind(kind), start=start, end=end, ref=ref, ref_end=ref_end,
                      alt=alt, change=change, exon=exon, exon_end=exon_end, positions=positions,
                      partner5=partner5, partner3=partner3, tail=tail, label=label)


def _protein_range(a: Alteration) -> tuple[int, int] | None:
    if a.kind is K.EXON:
        return exon_residues(a.gene, a.exon, a.exon_end)
    if a.kind is K.MUTATION and a.start is None and a.label:
        return region_residues(a.gene, a.label)
    if a.start is None:
        return None
    return a.start, a.end if a.end is not None else a.start


# ---------------------------------------------------------------------------------- format

def _alts(alt: str) -> str:
    return "/".join(alt)


def format_alteration(a: Alteration) -> str:
    kind = a.kind
    gene = a.gene or ""
    if kind is K.SUBSTITUTION:
        return f"{gene} p.{a.ref}{a.start}{_alts(a.alt)}"
    if kind is K.POSITION:
        return f"{gene} p." + "/".join(f"{r}{n}X" for r, n in a.positions)
    if kind is K.INDEL:
        if a.change == "itd":
            return f"{gene} internal tandem duplication"
        left = f"{a.ref}{a.start}"
        span = left if a.end == a.start and a.change != "ins" else f"{left}_{a.ref_end}{a.end}"
        tail = a.alt if a.change in ("ins", "delins") else ""
        return f"{gene} p.{span}{a.change}{tail}"
    if kind is K.TRUNCATION:
        if a.start is None:
            word = {"": "truncating", "nonsense": "nonsense", "frameshift": "frameshift"}[a.change]
            return f"{gene} {word} mutation"
        if a.change == "nonsense":
            return f"{gene} p.{a.ref}{a.start}*"
        tail = "" if a.tail is None else f"*{a.tail}"
        return f"{gene} p.{a.ref}{a.start}{a.alt}fs{tail}"
    if kind is K.SPLICE:
        if a.start is not None:
            return f"{gene} p.{a.ref or 'X'}{a.start}_splice"
        return f"{gene} splice variant" + (f" {a.label}" if a.label else "")
    if kind is K.EXON:
        if a.exon_end is not None:
            return f"{gene} exons {a.exon}-{a.exon_end} {a.change}"
        return f"{gene} exon {a.exon} {a.change}"
    if kind is K.AMPLIFICATION:
        return f"{gene} amplification"
    if kind is K.DELETION:
        return f"{gene} deletion"
    if kind is K.FUSION:
        if a.label:
            return f"{gene} {a.label} rearrangement"
        if a.partner5 is None:
            return f"{gene} fusion"
        return f"{a.partner5}::{a.partner3} fusion"
    if kind is K.EXPRESSION:
        if a.change == "variant":
            return f"{gene}-{a.label} expression"
        if a.change == "methylation":
            return f"{gene} promoter methylation"
        return f"{gene} {a.change}"
    if kind is K.LOSS_OF_FUNCTION:
        return f"{gene} loss-of-function"
    if kind is K.MUTATION:
        if a.label:
            return f"{gene} {a.label} mutation"
        word = MUTATION_WORDS[a.change]
        if a.start is not None and a.start == a.end:
            return f"{gene} {word} at residue {a.start}"
        if a.start is not None:
            return f"{gene} {word} in residues {a.start}-{a.end}"
        return f"{gene} {word}"
    if kind is K.PHENOTYPE:
        return f"phenotype: {a.label}"
    return f"histology: {a.label}"


# ---------------------------------------------------------------------------------- matching

def match_single(p: Alteration, t: Alteration) -> bool:
    """``p`` (pattern) is the same as or more general than ``t`` (target)."""
    if p is t or (p._hash == t._hash and p._key == t._key):
        return True
    pk = p.kind
    tk = t.kind
    if pk is not K.FUSION and p.gene != t.gene:
        return False
    if pk is K.FUSION:
        if tk is not K.FUSION:
            return False
        if p.partner5 is None and not p.label:
            return p.gene in t.genes
        return False
    if pk is K.MUTATION:
        if p.change == "any":
            return True
        if tk not in SEQUENCE_KINDS:
            return False
        if tk is K.MUTATION:
            if t.change == "any" or (p.change and p.change != t.change):
                return False
        elif not _has_effect(p.change, t):
            return False
        if p.start is None and not p.label:
            return True
        span = p.protein_range
        return span is not None and _within(t.protein_range, span)
    if pk is K.LOSS_OF_FUNCTION:
        return tk in LOF_KINDS or (tk is K.EXON and t.change == "frameshift")
    if pk is K.POSITION:
        if tk is K.POSITION:
            return set(t.positions) <= set(p.positions)
        if tk is K.SUBSTITUTION or (tk is K.TRUNCATION and t.change == "nonsense"):
            return any(n == t.start and (not r or r == t.ref) for r, n in p.positions)
        return False
    if pk is K.SUBSTITUTION:
        return (tk is K.SUBSTITUTION and p.start == t.start and p.ref == t.ref
                and set(t.alt) <= set(p.alt))
    if pk is K.TRUNCATION:
        if tk is not K.TRUNCATION:
            return False
        if p.change and p.change != t.change:
            return False
        if p.start is None:
            return True
        if p.start != t.start or p.ref != t.ref:
            return False
        return (not p.alt or p.alt == t.alt) and (p.tail is None or p.tail == t.tail)
    if pk is K.SPLICE:
        if tk is not K.SPLICE:
            return False
        return p.start is None and not p.label
    if pk is K.EXON:
        return _match_exon(p, t)
    if pk is K.EXPRESSION:
        return tk is K.EXPRESSION and p.change == "expression" and t.change == "overexpression"
    return False


def _has_effect(change: str, t: Alteration) -> bool:
    """Whether a sequence change ``t`` has the consequence a mutation pattern names."""
    tk = t.kind
    if not change:
        return True
    if change == "activating":
        return tk is not K.TRUNCATION
    if change == "missense":
        return tk is K.SUBSTITUTION or tk is K.POSITION
    if change in ("frameshift", "nonsense"):
        return t.change == change and (tk is K.TRUNCATION or tk is K.EXON)
    if change == "splice":
        return tk is K.SPLICE
    if tk is K.EXON:
        return (t.change in ("deletion", "insertion", "duplication") if change == "indel"
                else t.change == change or (change == "insertion" and t.change == "duplication"))
    if tk is not K.INDEL:
        return False
    if change == "indel" or t.change == "itd":
        return change != "deletion"
    net = _net_length(t)
    return net < 0 if change == "deletion" else net > 0


def _within(inner: tuple[int, int] | None, outer: tuple[int, int]) -> bool:
    return inner is not None and outer[0] <= inner[0] and inner[1] <= outer[1]


def _net_length(t: Alteration) -> int:
    """Residues gained (>0) or lost (<0) by an in-frame indel."""
    span = t.end - t.start + 1
    if t.change == "del":
        return -span
    if t.change == "delins":
        return len(t.alt) - span
    if t.change == "ins":
        return len(t.alt)
    return span  # dup


def _match_exon(p: Alteration, t: Alteration) -> bool:
    tk = t.kind
    if tk is K.EXON:
        if (t.exon, t.exon_end) != (p.exon, p.exon_end):
            return False
        return p.change == "mutation" or (p.change == "insertion" and t.change == "duplication")
    span = p.protein_range
    if span is None or tk not in SEQUENCE_KINDS:
        return False
    event = p.change
    if event == "skipping":
        # splice-site changes at the exon's first or last codon cause skipping of that exon
        return tk is K.SPLICE and t.start is not None and t.start in (span[0], span[1],
                                                                      span[0] - 1, span[1] + 1)
    if tk is K.SPLICE and event == "mutation":
        return t.start is not None and span[0] <= t.start <= span[1]
    if event == "frameshift":
        return (tk is K.TRUNCATION and t.change == "frameshift"
                and _within(t.protein_range, span))
    target = t.protein_range
    if target is None or not _within(target, span):
        return False
    if event == "mutation":
        return tk is not K.MUTATION or t.change != "any"
    if tk is not K.INDEL or t.change == "itd":
        return False
    net = _net_length(t)
    if event == "deletion":
        return net < 0
    if event == "insertion":
        return net > 0
    return t.change == "dup"  # duplication
