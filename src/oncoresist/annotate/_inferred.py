"""Inferred mechanisms: alterations no rule covers, placed by the pathway graph.

An alteration with no rule for a drug, in a gene that the knowledge base's signalling graph
places downstream of the drug's target or parallel to it, is reported as a *putative* downstream
or bypass mechanism, with the path that supports it. Two guards keep this honest:

- on-target derivations are never inferred: an unlisted change in the drug's own target is as
  likely to be the sensitising driver (EGFR L858R under osimertinib) as a resistance mutation;
- the kind of change must push the pathway the way the target's signal does: a gain (missense,
  in-frame indel, amplification, fusion, overexpression) of a gene the path activates, or a loss
  (truncation, splice, deletion, loss of function; missense may also inactivate) of a gene that
  opposes the target's signal (NF1 -| RAS, PTEN -| AKT).

Such findings are marked ``inferred`` and never carry an evidence level or references.
"""

from __future__ import annotations

from oncoresist.variants import AlterationKind as K

GAIN_KINDS = frozenset({K.SUBSTITUTION, K.POSITION, K.INDEL, K.EXON, K.AMPLIFICATION,
                        K.FUSION, K.EXPRESSION, K.MUTATION})
LOSS_KINDS = frozenset({K.TRUNCATION, K.SPLICE, K.DELETION, K.LOSS_OF_FUNCTION,
                        K.SUBSTITUTION, K.INDEL, K.MUTATION, K.EXON, K.EXPRESSION})


def required_change(derivation) -> str | None:
    """``gain`` or ``loss``: which change of the gene mimics the target's signal.

    From the knowledge base's :class:`~oncoresist.kb.Derivation`: a gene acting on the target's
    cascade against the target's sign must lose function (NF1 ⊣ RAS), one acting with it must
    gain function (MCL1 ⊣ BAK1 as BCL2 ⊣ BAK1); a gene downstream of the target, or one that
    reaches the target's effectors, must push along its path with the path's net sign (a gain
    when the path activates, a loss when it inhibits an odd number of times).
    """
    relation = derivation.relation
    if relation == "against":
        return "loss"
    if relation == "parallel":
        return "gain"
    if relation in ("downstream", "effectors"):
        return "loss" if derivation.net_sign == "inhibits" else "gain"
    return None


def _parts(alteration):
    return getattr(alteration, "parts", None) or (alteration,)


def direction_fits(alteration, change: str | None) -> bool:
    """Does the alteration change the gene in the direction the mechanism needs?"""
    if change is None:
        return True
    for part in _parts(alteration):
        kind = part.kind
        if change == "gain":
            if kind is K.EXPRESSION and part.change == "underexpression":
                continue
            if kind is K.MUTATION and part.change == "any":
                continue
            if kind in GAIN_KINDS:
                return True
        elif kind in LOSS_KINDS:
            if kind is K.EXPRESSION and part.change != "underexpression":
                continue
            return True
    return False


class Inferrer:
    """Derives (and caches) putative mechanisms through the knowledge base's public API."""

    def __init__(self, base) -> None:
        self.base = base
        self._cache: dict[tuple, object] = {}
        self._targets: dict[str, str] = {}

    def derivation(self, alteration, drug: str):
        genes = tuple(getattr(alteration, "genes", ()))
        key = (genes, drug)
        if key not in self._cache:
            self._cache[key] = self.base.derive(alteration, drug) if genes else None
        return self._cache[key]

    def infer(self, alteration, drug: str) -> dict | None:
        """A putative finding (mechanism, path, statement) or None."""
        derived = self.derivation(alteration, drug)
        if derived is None or derived.mechanism not in ("downstream", "bypass"):
            return None
        change = required_change(derived)
        if not direction_fits(alteration, change):
            return None
        targets = self._targets.get(drug)
        if targets is None:
            targets = self._targets[drug] = ", ".join(self.base.drug(drug).targets) or drug
        statement = (f"{alteration} -> putative {derived.mechanism} resistance to {drug} "
                     f"(target {targets}): {derived.explanation}")
        return {"mechanism": derived.mechanism, "path": statement}
