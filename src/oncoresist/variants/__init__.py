"""The alteration vocabulary: parse, normalise, format and match gene alterations.

Everything in oncoresist speaks about alterations through :class:`Alteration` (one gene, one
change, one canonical string such as ``EGFR p.T790M`` or ``EML4::ALK fusion``) and
:class:`CompoundAlteration` (several present together). :func:`parse_alteration` reads what
people and knowledge bases write; ``pattern.matches(found)`` says whether a knowledge-base
pattern covers an alteration found in a sample, and :class:`PatternIndex` answers that for many
patterns at once. Readers of VCF, MAF and TSV files are added to this package later; they return
these same objects.
"""

from oncoresist.variants._alteration import Alteration, AlterationKind, CompoundAlteration
from oncoresist.variants._index import PatternIndex
from oncoresist.variants._parser import normalise_gene, parse_alteration, parse_alternatives
from oncoresist.variants._readers import (
    ReadProblem,
    SampleAlterations,
    alterations_from_frame,
    alterations_from_texts,
    read_alterations,
)

__all__ = [
    "Alteration",
    "AlterationKind",
    "CompoundAlteration",
    "PatternIndex",
    "ReadProblem",
    "SampleAlterations",
    "alterations_from_frame",
    "alterations_from_texts",
    "normalise_gene",
    "parse_alteration",
    "parse_alternatives",
    "read_alterations",
]
