"""What an importer did with each source item: loaded, or refused and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from oncoresist.kb._rules import ResistanceRule

# Refusal categories, in the order the report lists them.
REASONS = (
    "evidence does not support",
    "unparsable alteration",
    "wild-type biomarker",
    "unresolved drug",
    "generic therapy, not a drug",
    "unresolved drug family",
    "combination of drug families",
    "no drug named",
    "compound with alternatives",
)


@dataclass
class ImportResult:
    """Rules made from one source, the items refused (with reason) and names not resolved."""

    source: str
    release: str
    items: int = 0
    loaded_items: int = 0
    rules: list[ResistanceRule] = field(default_factory=list)
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # (source id, reason, detail)
    unresolved_drugs: Counter = field(default_factory=Counter)
    partly_resolved: int = 0

    def refuse(self, source_id: str, reason: str, detail: str) -> None:
        """Record one refused item."""
        if reason not in REASONS:  # pragma: no cover - programming error
            msg = f"unknown refusal reason {reason!r}"
            raise ValueError(msg)
        self.refused.append((source_id, reason, detail))

    def reasons(self) -> dict[str, int]:
        """Refused item counts by reason, in the fixed reason order."""
        counts = Counter(reason for _, reason, _ in self.refused)
        return {reason: counts[reason] for reason in REASONS if counts[reason]}

    def summary(self) -> dict:
        """Counts for the build record."""
        return {
            "source": self.source,
            "release": self.release,
            "items": self.items,
            "loaded_items": self.loaded_items,
            "refused_items": len(self.refused),
            "refused_by_reason": self.reasons(),
            "rules": len(self.rules),
            "items_with_some_drugs_unresolved": self.partly_resolved,
            "unresolved_drug_names": dict(sorted(self.unresolved_drugs.items())),
        }
