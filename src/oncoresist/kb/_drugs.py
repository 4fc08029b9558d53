"""The Drug record and the synonym index that turns what people write into a canonical name."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from oncoresist._core.atomic import write_text_atomic
from oncoresist._core.exceptions import InputError

# Salt and formulation words that do not change which drug it is. "Imatinib Mesylate" is imatinib;
# "Liposomal Doxorubicin" is doxorubicin for the purpose of resistance rules.
_SALT_WORDS = (
    "mesylate",
    "dimesylate",
    "mesilate",
    "besylate",
    "hydrochloride",
    "dihydrochloride",
    "hcl",
    "maleate",
    "dimaleate",
    "tosylate",
    "ditosylate",
    "sulfate",
    "sulphate",
    "bisulfate",
    "citrate",
    "malate",
    "s-malate",
    "phosphate",
    "fumarate",
    "tartrate",
    "succinate",
    "hydrobromide",
    "sodium",
    "disodium",
    "potassium",
    "calcium",
    "monohydrate",
    "hydrate",
    "anhydrous",
    "liposomal",
    "pegylated",
)
_SALT_PATTERN = re.compile(r"\b(" + "|".join(re.escape(w) for w in _SALT_WORDS) + r")\b")


def drug_key(name: str) -> str:
    """Lookup key of a drug name: case, accents, spaces, hyphens and brackets do not matter.

    ``"STI-571"``, ``"sti571"`` and ``"STI 571"`` share one key.
    """
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = text.lower().replace("®", "").replace("™", "")
    return re.sub(r"[^a-z0-9+]", "", text)


def strip_salts(name: str) -> str:
    """The name without salt or formulation words (``"imatinib mesylate"`` -> ``"imatinib"``)."""
    text = _SALT_PATTERN.sub(" ", name.lower())
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Drug:
    """A drug: canonical lower-case name, synonyms, class, generation, modality and targets.

    ``acts_on`` says which compartments the drug acts on (``tumour``: the cancer cells
    directly; ``immune-checkpoint``, ``fibroblast-activation``, ``hgf-met``, ``macrophages``,
    ``angiogenesis``: the microenvironment terms of ``oncoresist.evolve.tme``, docs/tme.md).
    """

    name: str
    synonyms: tuple[str, ...] = ()
    drug_class: str = ""
    generation: int | None = None
    modality: str = "small molecule"
    targets: tuple[str, ...] = ()
    acts_on: tuple[str, ...] = ("tumour",)
    notes: str | None = None
    references: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """Plain-JSON form (lists, not tuples)."""
        out = asdict(self)
        for key in ("synonyms", "targets", "acts_on", "references"):
            out[key] = list(out[key])
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Drug:
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=data["name"],
            synonyms=tuple(data.get("synonyms", ())),
            drug_class=data.get("drug_class", ""),
            generation=data.get("generation"),
            modality=data.get("modality", "small molecule"),
            targets=tuple(data.get("targets", ())),
            acts_on=tuple(data.get("acts_on", ("tumour",))),
            notes=data.get("notes"),
            references=tuple(data.get("references", ())),
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per field (``field``, ``value``), lists joined with ``, ``."""
        rows = []
        for key, value in self.to_dict().items():
            text = ", ".join(str(v) for v in value) if isinstance(value, list) else value
            rows.append({"field": key, "value": "" if text is None else str(text)})
        return pd.DataFrame(rows, columns=["field", "value"])

    def write(self, path: str | Path) -> Path:
        """Write the record as a two-column TSV, atomically."""
        return write_text_atomic(path, self.to_frame().to_csv(sep="\t", index=False))


@dataclass
class DrugIndex:
    """Canonical drugs and every name they go by.

    Lookups ignore case, spacing and hyphens, and fall back to the name without salt words.
    """

    drugs: dict[str, Drug] = field(default_factory=dict)
    _keys: dict[str, str] = field(default_factory=dict, repr=False)
    _classes: dict[str, str] = field(default_factory=dict, repr=False)
    _stripped: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_drugs(cls, drugs: Iterable[Drug]) -> DrugIndex:
        """Index drugs; a name claimed by two drugs is an error (which drug would it mean?)."""
        index = cls()
        for drug in drugs:
            index.add(drug)
        return index

    def add(self, drug: Drug) -> None:
        """Add one drug and its synonyms to the index."""
        if drug.name in self.drugs:
            msg = f"drug {drug.name!r} is listed twice; merge the two entries"
            raise InputError(msg, field="name")
        self.drugs[drug.name] = drug
        for alias in (drug.name, *drug.synonyms):
            key = drug_key(alias)
            owner = self._keys.get(key)
            if owner is not None and owner != drug.name:
                msg = (
                    f"name {alias!r} of drug {drug.name!r} is also a name of {owner!r}; "
                    "a synonym must belong to one drug"
                )
                raise InputError(msg, field="synonyms")
            if key:
                self._keys[key] = drug.name
            # Salt-free forms are a fallback only: "liposomal doxorubicin" may be its own entry.
            stripped = drug_key(strip_salts(alias))
            if stripped and stripped != key:
                self._stripped.setdefault(stripped, drug.name)
        if drug.drug_class:
            self._classes.setdefault(drug_key(drug.drug_class), drug.drug_class)

    def find(self, name: str) -> str | None:
        """Canonical name for ``name``, or None when it is not known."""
        key = drug_key(name)
        if key in self._keys:
            return self._keys[key]
        stripped = drug_key(strip_salts(name))
        return self._keys.get(stripped) or self._stripped.get(stripped) or self._stripped.get(key)

    def suggestions(self, name: str, n: int = 3, *, cutoff: float = 0.6) -> list[str]:
        """Known names close to ``name`` (difflib), as canonical names."""
        key = drug_key(strip_salts(name)) or drug_key(name)
        close = difflib.get_close_matches(key, list(self._keys), n=n * 3, cutoff=cutoff)
        out: list[str] = []
        for match in close:
            canonical = self._keys[match]
            if canonical not in out:
                out.append(canonical)
        return out[:n]

    def resolve(self, name: str, *, where: str = "drug") -> Drug:
        """The Drug called ``name``; an unknown name raises ``InputError`` with suggestions."""
        canonical = self.find(name)
        if canonical is not None:
            return self.drugs[canonical]
        close = self.suggestions(name)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        msg = (
            f"unknown {where} {name!r}{hint} (the knowledge base lists {len(self.drugs)} drugs; "
            "see `oncoresist kb drug NAME` or add it with --kb-extra)"
        )
        raise InputError(msg, field=where)

    def find_class(self, name: str) -> str | None:
        """The class name as written in drugs.yaml, if ``name`` is one (any spelling)."""
        return self._classes.get(drug_key(name))

    def class_members(self, drug_class: str, generations: Iterable[int] = ()) -> tuple[str, ...]:
        """Canonical names of the drugs of a class, optionally of some generations, sorted."""
        wanted = set(generations)
        key = drug_key(drug_class)
        return tuple(
            sorted(
                d.name
                for d in self.drugs.values()
                if drug_key(d.drug_class) == key and (not wanted or d.generation in wanted)
            )
        )

    def by_target(
        self, targets: Iterable[str], *, modality: str | None = None, generation: int | None = None
    ) -> tuple[str, ...]:
        """Drugs that hit any of ``targets`` (optionally of one modality and generation)."""
        wanted = set(targets)
        return tuple(
            sorted(
                d.name
                for d in self.drugs.values()
                if wanted & set(d.targets)
                and (modality is None or d.modality == modality)
                and (generation is None or d.generation == generation)
            )
        )
