"""ResistanceRule (one statement of the knowledge base) and RuleSet (query results)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from oncoresist._core.atomic import write_text_atomic
from oncoresist.kb._schema import MECHANISMS

_LEVEL_ORDER = {level: i for i, level in enumerate("ABCDE")}
_CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2}
_MECHANISM_ORDER = {m: i for i, m in enumerate((*MECHANISMS, None))}
_EFFECT_ORDER = {"resistance": 0, "reduced sensitivity": 1, "sensitivity": 2}


@dataclass(frozen=True)
class ResistanceRule:
    """An alteration pattern × drug (or drug class) → effect, with its class and evidence.

    Attributes
    ----------
    id
        Stable identifier (``CUR-...`` curated, ``CIVIC-EID...``, ``CGI-...`` imported, or the
        user's own id for ``--kb-extra`` rules).
    alteration
        The pattern (``variants.Alteration`` or ``CompoundAlteration``); it matches an observed
        alteration when it is the same or more general.
    drugs
        Canonical names of the drugs concerned (a class is expanded to its members).
    drug_class
        The drug class the rule was written for, if any.
    combination
        True when the statement is about the drugs given together (a regimen), not each alone.
    effect
        ``resistance``, ``reduced sensitivity`` or ``sensitivity``.
    mechanism
        The class used: on-target, bypass, downstream, phenotypic, microenvironment,
        pharmacological, or None when neither the graph nor curation says.
    mechanism_derived
        What the pathway graph derives, whatever was used.
    mechanism_source
        ``derived``, ``curated`` (a class the graph cannot derive, or a gene off the graph),
        ``curated override`` (curation overrode a different derived class) or ``unclassified``.
    derivation
        The path in the pathway graph that justifies the derived class.
    disease
        Canonical disease name, or None for pan-cancer.
    evidence_level
        A (validated, guideline) to E (inferential).
    confidence
        high, medium or low.
    references
        ``PMID:...`` / ``DOI:...``.
    sources
        Source record ids (``CIViC:EID1234``, ``CGI:2017-02:line 246``, ``curated:rules.yaml``).
    alternatives
        Drugs that remain active against this mechanism.
    requires
        Co-occurring alterations needed (canonical text), with ``phase`` cis/trans when on the
        same gene.
    origin
        ``curated``, ``civic``, ``cgi``, ``civic+cgi`` or ``extra``.
    """

    id: str
    alteration: Any
    drugs: tuple[str, ...]
    effect: str
    evidence_level: str
    confidence: str
    drug_class: str | None = None
    combination: bool = False
    mechanism: str | None = None
    mechanism_derived: str | None = None
    mechanism_source: str = "unclassified"
    derivation: str = ""
    disease: str | None = None
    references: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    phase: str | None = None
    note: str | None = None
    origin: str = "curated"

    @property
    def gene(self) -> str | None:
        """Gene of the alteration (None for phenotype and histology states)."""
        return getattr(self.alteration, "gene", None)

    @property
    def genes(self) -> tuple[str, ...]:
        """Every gene the alteration involves (both fusion partners; none for states)."""
        return tuple(getattr(self.alteration, "genes", ()))

    def sort_key(self) -> tuple:
        """Order used in every listing: class, evidence, confidence, alteration, id."""
        return (
            _MECHANISM_ORDER.get(self.mechanism, len(_MECHANISM_ORDER)),
            _EFFECT_ORDER.get(self.effect, 9),
            _LEVEL_ORDER.get(self.evidence_level, 9),
            _CONFIDENCE_ORDER.get(self.confidence, 9),
            str(self.alteration),
            self.id,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; the alteration as its canonical string."""
        return {
            "id": self.id,
            "gene": self.gene,
            "genes": list(self.genes),
            "alteration": str(self.alteration),
            "drugs": list(self.drugs),
            "drug_class": self.drug_class,
            "combination": self.combination,
            "effect": self.effect,
            "mechanism": self.mechanism,
            "mechanism_derived": self.mechanism_derived,
            "mechanism_source": self.mechanism_source,
            "derivation": self.derivation,
            "disease": self.disease,
            "evidence_level": self.evidence_level,
            "confidence": self.confidence,
            "references": list(self.references),
            "sources": list(self.sources),
            "alternatives": list(self.alternatives),
            "requires": list(self.requires),
            "phase": self.phase,
            "note": self.note,
            "origin": self.origin,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], alteration: Any) -> ResistanceRule:
        """Inverse of :meth:`to_dict`, given the parsed alteration."""
        return cls(
            id=data["id"],
            alteration=alteration,
            drugs=tuple(data["drugs"]),
            drug_class=data.get("drug_class"),
            combination=bool(data.get("combination", False)),
            effect=data["effect"],
            mechanism=data.get("mechanism"),
            mechanism_derived=data.get("mechanism_derived"),
            mechanism_source=data.get("mechanism_source", "unclassified"),
            derivation=data.get("derivation", ""),
            disease=data.get("disease"),
            evidence_level=data["evidence_level"],
            confidence=data["confidence"],
            references=tuple(data.get("references", ())),
            sources=tuple(data.get("sources", ())),
            alternatives=tuple(data.get("alternatives", ())),
            requires=tuple(data.get("requires", ())),
            phase=data.get("phase"),
            note=data.get("note"),
            origin=data.get("origin", "curated"),
        )


_FRAME_COLUMNS = [
    "id",
    "alteration",
    "drugs",
    "drug_class",
    "effect",
    "mechanism",
    "mechanism_source",
    "disease",
    "evidence_level",
    "confidence",
    "alternatives",
    "requires",
    "sources",
    "references",
    "derivation",
    "note",
    "origin",
]


@dataclass(frozen=True)
class RuleSet:
    """Rules answering one query, ordered by mechanism class then strength of evidence.

    Attributes
    ----------
    rules
        The rules.
    query
        What was asked (for provenance and display).
    kb_version
        Version of the knowledge base that answered.
    """

    rules: tuple[ResistanceRule, ...] = ()
    query: dict[str, Any] = field(default_factory=dict)
    kb_version: str = ""

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[ResistanceRule]:
        return iter(self.rules)

    def __getitem__(self, index: int) -> ResistanceRule:
        return self.rules[index]

    @property
    def ids(self) -> list[str]:
        """Rule ids, in order."""
        return [r.id for r in self.rules]

    def by_mechanism(self) -> dict[str, RuleSet]:
        """Rules grouped by mechanism class (``unclassified`` for None), in class order."""
        groups: dict[str, list[ResistanceRule]] = {}
        for rule in self.rules:
            groups.setdefault(rule.mechanism or "unclassified", []).append(rule)
        return {
            name: RuleSet(tuple(rules), {**self.query, "mechanism": name}, self.kb_version)
            for name, rules in groups.items()
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per rule; list fields joined with ``; ``."""
        rows = []
        for rule in self.rules:
            data = rule.to_dict()
            row = {}
            for column in _FRAME_COLUMNS:
                value = data[column]
                if isinstance(value, list):
                    value = "; ".join(value)
                row[column] = value
            if rule.combination:
                row["drugs"] = " + ".join(rule.drugs)
            rows.append(row)
        return pd.DataFrame(rows, columns=_FRAME_COLUMNS)

    def to_records(self) -> list[dict[str, Any]]:
        """Plain-JSON list of the rules."""
        return [r.to_dict() for r in self.rules]

    def write(self, path: str | Path) -> Path:
        """Write the rules as TSV (``.tsv``) or JSON (``.json``), atomically."""
        import json

        target = Path(path)
        if target.suffix == ".json":
            payload = {
                "kb_version": self.kb_version,
                "query": self.query,
                "rules": self.to_records(),
            }
            return write_text_atomic(target, json.dumps(payload, indent=2, sort_keys=True) + "\n")
        text = f"# kb_version: {self.kb_version}\n" + self.to_frame().to_csv(
            sep="\t", index=False, lineterminator="\n"
        )
        return write_text_atomic(target, text)
