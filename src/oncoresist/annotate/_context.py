"""The therapy context: which drugs are given now, which were given before, which disease.

Every finding is ranked by its relevance to that context: the current therapy before earlier
lines, requirements met before requirements unknown, resistance before sensitivity, the exact
disease before related ones, strong evidence before weak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from oncoresist._core.exceptions import InputError
from oncoresist.kb import normalise_disease

EFFECT_ORDER = {
    "resistance": 0,
    "reduced sensitivity": 1,
    "putative resistance": 2,
    "sensitivity": 3,
    "no known effect": 4,
}
DISEASE_ORDER = {"exact": 0, "related": 1, "not given": 1, "other": 2}
LEVEL_ORDER = {level: i for i, level in enumerate("ABCDE")}
CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2}
CONTEXT_ORDER = {"therapy": 0, "history": 1}


def split_drugs(value: str | Iterable[str] | None, *, what: str) -> tuple[str, ...]:
    """Drug names from ``"a,b"`` / ``"a + b"`` or a list, stripped, without empties."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            msg = f"{what} must be drug names, got {type(item).__name__}"
            raise InputError(msg, field=what)
        for piece in item.replace("+", ",").split(","):
            if piece.strip():
                names.append(piece.strip())
    return tuple(names)


@dataclass(frozen=True)
class TherapyContext:
    """Canonical drug names of the current therapy and of the history, and the disease."""

    therapy: tuple[str, ...]
    history: tuple[str, ...]
    disease: str | None
    disease_canonical: str | None

    @property
    def drugs(self) -> tuple[tuple[str, str], ...]:
        """(drug, context) pairs: therapy first, then history drugs not given now."""
        pairs = [(d, "therapy") for d in self.therapy]
        pairs += [(d, "history") for d in self.history if d not in self.therapy]
        return tuple(pairs)

    def regimen(self, context: str) -> frozenset[str]:
        """The drugs given together in that context (for combination rules)."""
        return frozenset(self.therapy if context == "therapy" else self.history)


def resolve_context(base, therapy, history, disease: str | None) -> TherapyContext:
    """Resolve every drug name through the knowledge base (unknown names raise with hints)."""
    names = split_drugs(therapy, what="therapy")
    if not names:
        msg = "therapy is empty; name the drug(s) the patient receives, e.g. therapy='osimertinib'"
        raise InputError(msg, field="therapy")
    resolved = tuple(dict.fromkeys(base.drug(n).name for n in names))
    past = tuple(dict.fromkeys(base.drug(n).name for n in split_drugs(history, what="history")))
    canonical = normalise_disease(disease) if disease is not None and disease.strip() else None
    return TherapyContext(resolved, past, disease, canonical)
