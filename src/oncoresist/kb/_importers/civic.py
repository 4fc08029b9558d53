"""CIViC clinical evidence summaries → resistance rules.

Two export layouts are read:

- v1 (monthly releases up to 2022, e.g. 01-Aug-2021): ``gene``, ``variant``, ``drugs``,
  ``drug_interaction_type``, ``clinical_significance``, ``evidence_direction``, ...;
- the newer layout (molecular profiles, 2023 on): ``molecular_profile``, ``therapies``,
  ``therapy_interaction_type``, ``significance``, ``evidence_direction``, ...

Only predictive items with significance "Resistance" are statements about resistance; each of them
becomes rules or a refusal with its reason, so that loaded + refused = all resistance items.
Items whose direction is "Does Not Support" say the resistance was *not* seen: they are refused,
never turned into rules.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from oncoresist._core.exceptions import InputError, ParseError
from oncoresist.kb._disease import normalise_disease
from oncoresist.kb._drugs import DrugIndex
from oncoresist.kb._importers._families import family_members
from oncoresist.kb._importers._report import ImportResult
from oncoresist.kb._rules import ResistanceRule

V1_COLUMNS = (
    "gene",
    "variant",
    "disease",
    "drugs",
    "drug_interaction_type",
    "evidence_type",
    "evidence_direction",
    "evidence_level",
    "clinical_significance",
    "citation_id",
    "source_type",
    "rating",
    "evidence_status",
    "evidence_id",
)
NEW_COLUMNS = (
    "molecular_profile",
    "disease",
    "therapies",
    "therapy_interaction_type",
    "evidence_type",
    "evidence_direction",
    "evidence_level",
    "significance",
    "citation_id",
    "source_type",
    "rating",
    "evidence_status",
    "evidence_id",
)
_RENAME_NEW = {
    "therapies": "drugs",
    "therapy_interaction_type": "drug_interaction_type",
    "significance": "clinical_significance",
}


# Therapy words that name no drug ("Chemotherapy", "Hormone Therapy", "FOLFOX-4 Regimen"):
# refused under their own reason, since no drug list can resolve them.
_GENERIC_THERAPY = re.compile(
    r"\b(chemotherapy|therapy|regimen|compound|radiation|lymphocytes)\b", re.IGNORECASE
)


def read_civic(path: str | Path) -> tuple[pd.DataFrame, str]:
    """Read an evidence summary TSV in either layout; returns (frame in v1 names, layout)."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3)
    except (OSError, pd.errors.ParserError) as exc:
        msg = f"could not be read as a CIViC evidence TSV ({exc})"
        raise InputError(msg, path=path) from None
    frame["_line"] = range(2, len(frame) + 2)
    if "molecular_profile" in frame.columns:
        layout, required = "molecular_profile", NEW_COLUMNS
    else:
        layout, required = "v1", V1_COLUMNS
    missing = [c for c in required if c not in frame.columns]
    if missing:
        msg = (
            f"is not a CIViC evidence summary ({layout} layout): missing column(s) "
            f"{', '.join(missing)}; export ClinicalEvidenceSummaries.tsv from civicdb.org"
        )
        raise InputError(msg, path=path, line=1)
    if layout == "molecular_profile":
        frame = frame.rename(columns=_RENAME_NEW)
    return frame, layout


def split_drugs(text: str) -> list[str]:
    """CIViC's comma-separated drug list, mending names that contain a comma.

    ``"HER2 Inhibitor CP-724,714"`` is one name; ``"Cetuximab,Irinotecan"`` two.
    """
    names: list[str] = []
    for fragment in text.split(","):
        if names and re.fullmatch(r"\d+", fragment.strip()):
            names[-1] = f"{names[-1]},{fragment}"
        elif fragment.strip():
            names.append(fragment.strip())
    return names


def _confidence(level: str, rating: str) -> str:
    # CIViC's 1-5 star rating scores how well the evidence supports the statement.
    stars = int(rating) if rating.isdigit() else 0
    if level in {"A", "B"} and stars >= 3:
        return "high"
    if stars >= 3 or level in {"A", "B"}:
        return "medium"
    return "low"


def fusion_context(alteration) -> tuple[object, tuple[str, ...]]:
    """Split "BCR::ABL1 fusion + ABL1 p.T315I" into the mutation and the fusion it needs.

    The rule is about the kinase-domain mutation; the fusion is the context it occurs in, kept
    in ``requires``, so that the rule is found for ``ABL1 T315I`` on its own too.
    """
    from oncoresist.variants import AlterationKind, CompoundAlteration

    parts = getattr(alteration, "parts", None)
    if not parts:
        return alteration, ()
    fusions = [p for p in parts if p.kind is AlterationKind.FUSION]
    others = [p for p in parts if p.kind is not AlterationKind.FUSION]
    drivers = {f.gene for f in fusions}
    if not fusions or not others or any(p.gene not in drivers for p in others):
        return alteration, ()
    main = others[0] if len(others) == 1 else CompoundAlteration(tuple(others))
    return main, tuple(str(f) for f in fusions)


def _alteration(row: pd.Series, layout: str):
    from oncoresist.variants import parse_alteration

    if layout == "v1":
        gene, text = row["gene"].strip() or None, row["variant"].strip()
        try:
            return fusion_context(parse_alteration(gene, text))
        except ParseError as first:
            if gene is None:
                raise
            # The text may name its genes itself in a way that disagrees with the gene column.
            try:
                return fusion_context(parse_alteration(None, text))
            except ParseError:
                raise first from None
    parts = [p.strip() for p in re.split(r"\s+AND\s+", row["molecular_profile"]) if p.strip()]
    if not parts:
        msg = "empty molecular profile"
        raise ParseError(msg)
    # "EGFR L858R AND EGFR T790M": all parts present together, one compound pattern.
    return fusion_context(parse_alteration(None, " and ".join(parts)))


def import_civic(
    path: str | Path, drugs: DrugIndex, *, release: str = "01-Aug-2021"
) -> ImportResult:
    """Turn the CIViC resistance items of ``path`` into rules; refuse the rest with a reason."""
    frame, layout = read_civic(path)
    result = ImportResult(source="CIViC", release=release)
    resistance = frame[
        (frame["clinical_significance"].str.strip() == "Resistance")
        & (frame["evidence_type"].str.strip() == "Predictive")
    ]
    result.items = len(resistance)
    for _, row in resistance.iterrows():
        eid = row["evidence_id"].strip()
        source_id = f"CIViC:EID{eid}"
        direction = row["evidence_direction"].strip()
        if direction != "Supports":
            result.refuse(source_id, "evidence does not support", f"direction {direction!r}")
            continue
        label = row["molecular_profile"] if layout != "v1" else f"{row['gene']} {row['variant']}"
        try:
            alteration, requires = _alteration(row, layout)
        except ParseError as exc:
            result.refuse(source_id, "unparsable alteration", f"{label}: {exc.message}")
            continue
        names = split_drugs(row["drugs"])
        if not names:
            result.refuse(source_id, "no drug named", "empty drug column")
            continue
        resolved: list[tuple[str, tuple[str, ...], str | None]] = []  # (label, drugs, class)
        unresolved: list[str] = []
        for name in names:
            canonical = drugs.find(name)
            if canonical is not None:
                resolved.append((canonical, (canonical,), None))
                continue
            members = family_members(name, drugs)
            if members:
                drug_class = drugs.find_class(name) or name
                resolved.append((drug_class, members, drug_class))
            else:
                unresolved.append(name)
                result.unresolved_drugs[name] += 1
        interaction = row["drug_interaction_type"].strip()
        combination = interaction in {"Combination", "Sequential"} and len(names) > 1
        if not resolved or (combination and unresolved):
            what = "combination includes" if resolved else "no known drug among"
            generic = all(_GENERIC_THERAPY.search(name) for name in unresolved)
            reason = "generic therapy, not a drug" if generic else "unresolved drug"
            result.refuse(source_id, reason, f"{what} {', '.join(unresolved)}")
            continue
        if unresolved:
            result.partly_resolved += 1
        level = row["evidence_level"].strip()
        citation = row["citation_id"].strip()
        references = (f"PMID:{citation}",) if row["source_type"] == "PubMed" and citation else ()
        common = {
            "alteration": alteration,
            "effect": "resistance",
            "evidence_level": level,
            "confidence": _confidence(level, row["rating"].strip()),
            "disease": normalise_disease(row["disease"]),
            "references": references,
            "sources": (source_id,),
            "requires": requires,
            "origin": "civic",
        }
        origin = row.get("variant_origin", "").strip()
        note = f"CIViC variant origin: {origin}" if "Germline" in origin else None
        if combination:
            members = tuple(sorted({d for _, group, _ in resolved for d in group}))
            result.rules.append(
                ResistanceRule(
                    id=f"CIVIC-EID{eid}", drugs=members, combination=True, note=note, **common
                )
            )
        else:
            for label_name, group, drug_class in resolved:
                suffix = f"-{label_name.replace(' ', '_')}" if len(resolved) > 1 else ""
                result.rules.append(
                    ResistanceRule(
                        id=f"CIVIC-EID{eid}{suffix}",
                        drugs=group,
                        drug_class=drug_class,
                        note=note,
                        **common,
                    )
                )
        result.loaded_items += 1
    return result
