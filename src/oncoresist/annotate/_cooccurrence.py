"""Rules that need two alterations together, and the phase between them.

A rule's ``requires`` lists alterations that must be present too; ``phase`` says whether they
must be on the same allele (cis) or on different alleles (trans). For each finding:

- requirement present, no phase asked: ``met``;
- phase asked and known from the input (VCF ``PS`` with phased genotypes, GATK ``PID``/``PGT``,
  or a TSV ``haplotype`` column): ``met (cis)`` / ``met (trans)``, or the rule does not apply;
- phase asked but unknown: kept, with ``phase unknown`` and what each phase would mean;
- requirement absent: a sequence change in the same gene was assayed with the alteration, so
  its absence is real and the rule does not apply; anything else (a fusion, a copy-number
  change, another gene) may simply not have been measured: kept as ``unknown``.
"""

from __future__ import annotations

from oncoresist.variants import AlterationKind as K
from oncoresist.variants._readers import parse_cached

SEQUENCE = frozenset({K.SUBSTITUTION, K.POSITION, K.INDEL, K.TRUNCATION, K.SPLICE, K.EXON,
                      K.MUTATION})


def parts_of(alteration) -> tuple:
    return getattr(alteration, "parts", None) or (alteration,)


def phase_between(first: str | None, second: str | None) -> str | None:
    """``cis``, ``trans`` or None (unknown) from two haplotype labels ``set:side``."""
    if not first or not second:
        return None
    if first == second:
        return "cis"
    set_a = first.rsplit(":", 1)[0] if ":" in first else ""
    set_b = second.rsplit(":", 1)[0] if ":" in second else ""
    return "trans" if set_a == set_b else None


def _assayed_with(required, alteration) -> bool:
    """Would the assay that found ``alteration`` have seen ``required`` if it were there?"""
    if getattr(required, "kind", None) not in SEQUENCE:
        return False
    return any(getattr(p, "gene", None) == required.gene and p.kind in SEQUENCE
               for p in parts_of(alteration))


def evaluate(rule_requires: tuple[str, ...], rule_phase: str | None, alteration,
             haplotype: str | None, present: dict) -> str | None:
    """Co-occurrence status text, or None when the rule does not apply to this sample.

    ``present`` maps each gene (None for states) to the sample's (alteration, haplotype) pairs
    that involve it.
    """
    statuses: list[str] = []
    for text in rule_requires:
        required, _reason = parse_cached(None, text)
        if required is None:
            statuses.append(f"unknown: cannot read requirement {text!r}")
            continue
        candidates: dict = {}
        for gene in getattr(required, "genes", ()) or (None,):
            candidates.update(dict.fromkeys(present.get(gene, ())))
        found = [(p, h) for p, h in candidates if any(required.matches(q) for q in parts_of(p))]
        if not found:
            if _assayed_with(required, alteration):
                return None
            statuses.append(f"unknown: needs {required}, not in the input")
            continue
        if rule_phase is None:
            statuses.append(f"met: {required} present")
            continue
        phases = {phase_between(haplotype, h) for _, h in found}
        if rule_phase in phases:
            statuses.append(f"met: {required} in {rule_phase}")
        elif None in phases:
            statuses.append(f"phase unknown: rule needs {required} in {rule_phase}")
        else:
            return None
    return "; ".join(statuses)


def rank(status: str) -> int:
    """0 met or no requirement, 1 phase unknown, 2 requirement unknown."""
    if not status or status.startswith("met"):
        return 0 if "unknown" not in status else 2
    return 1 if "phase unknown" in status else 2
