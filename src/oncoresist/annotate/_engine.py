"""Match sample alterations to the knowledge base in a therapy context.

The work is done once per *distinct* alteration (the knowledge base's answers are cached too),
then joined to the rows of every sample with pandas: a million variant records cost one rule
lookup per distinct protein change, not one per record.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from oncoresist.annotate import _cooccurrence as co
from oncoresist.annotate._context import (
    CONFIDENCE_ORDER,
    CONTEXT_ORDER,
    DISEASE_ORDER,
    EFFECT_ORDER,
    LEVEL_ORDER,
    TherapyContext,
)
from oncoresist.annotate._inferred import Inferrer
from oncoresist.variants._readers import OBJECT_COLUMN

#: Finding columns, per distinct alteration x drug.
FINDING_COLUMNS = (
    "drug",
    "context",
    "effect",
    "mechanism",
    "evidence_level",
    "confidence",
    "rule_id",
    "rule_disease",
    "disease_match",
    "inferred",
    "sources",
    "references",
    "alternatives",
    "path",
    "requires",
    "phase",
)
#: Columns of the annotation table, in order.
OUTPUT_COLUMNS = (
    "sample_id",
    "gene",
    "alteration",
    "vaf",
    "depth",
    "copy_number",
    "drug",
    "context",
    "effect",
    "mechanism",
    "evidence_level",
    "confidence",
    "disease_match",
    "rule_disease",
    "inferred",
    "co_occurrence",
    "rule_id",
    "sources",
    "references",
    "alternatives",
    "alternatives_excluded",
    "path",
    "rank",
    "line",
)


def _disease_match(rule, applies: set[str], context: TherapyContext) -> str:
    if context.disease_canonical is None:
        return "not given"
    if rule.disease is not None and rule.disease == context.disease_canonical:
        return "exact"
    return "related" if rule.id in applies else "other"


class Matcher:
    """Findings per distinct alteration, cached."""

    def __init__(self, base, context: TherapyContext, *, infer: bool = True) -> None:
        self.base = base
        self.context = context
        self.inferrer = Inferrer(base) if infer else None

    def _rule_rows(self, alteration, drug: str, role: str) -> list[dict]:
        base = self.base
        rules = base.rules_for(alteration, drug)
        if not len(rules):
            return []
        applies: set[str] = set()
        if self.context.disease_canonical is not None:
            applies = set(base.rules_for(alteration, drug, self.context.disease).ids)
        regimen = self.context.regimen(role)
        rows = []
        for rule in rules:
            if rule.combination and not set(rule.drugs) <= regimen:
                continue  # a statement about a regimen this patient does not receive
            rows.append({
                "drug": " + ".join(rule.drugs) if rule.combination else drug,
                "context": role,
                "effect": rule.effect,
                "mechanism": rule.mechanism or "unclassified",
                "evidence_level": rule.evidence_level,
                "confidence": rule.confidence,
                "rule_id": rule.id,
                "rule_disease": rule.disease or "pan-cancer",
                "disease_match": _disease_match(rule, applies, self.context),
                "inferred": False,
                "sources": "; ".join(rule.sources),
                "references": "; ".join(rule.references),
                "alternatives": tuple(rule.alternatives),
                "path": rule.derivation,
                "requires": tuple(rule.requires),
                "phase": rule.phase,
            })
        return rows

    def findings(self, alteration) -> list[dict]:
        """Every finding of one alteration for each drug of the context."""
        out: list[dict] = []
        seen: set[tuple[str, str]] = set()
        for drug, role in self.context.drugs:
            rows = self._rule_rows(alteration, drug, role)
            fresh = []
            for row in rows:
                key = (row["rule_id"], row["drug"])
                if key not in seen:
                    seen.add(key)
                    fresh.append(row)
            if rows:
                out.extend(fresh)
                continue
            inferred = self.inferrer.infer(alteration, drug) if self.inferrer else None
            blank = {
                "drug": drug, "context": role, "evidence_level": "", "confidence": "",
                "rule_id": "", "rule_disease": "", "disease_match": "", "sources": "",
                "references": "", "alternatives": (), "requires": (), "phase": None,
            }
            if inferred is not None:
                out.append({**blank, "effect": "putative resistance",
                            "mechanism": inferred["mechanism"], "inferred": True,
                            "sources": "pathway graph (inferred)", "path": inferred["path"]})
            else:
                out.append({**blank, "effect": "no known effect", "mechanism": "",
                            "inferred": False, "path": ""})
        return out


def _findings_table(matcher: Matcher, uniques: list) -> pd.DataFrame:
    rows: list[dict] = []
    for code, alteration in enumerate(uniques):
        for finding in matcher.findings(alteration):
            finding["_u"] = code
            rows.append(finding)
    return pd.DataFrame(rows, columns=[*FINDING_COLUMNS, "_u"])


def _co_occurrence(joined: pd.DataFrame) -> pd.Series:
    status = pd.Series("", index=joined.index, dtype=object)
    needs = joined["requires"].map(bool).to_numpy()
    if not needs.any():
        return status
    # what each sample carries, once: (alteration, haplotype) pairs without repeats
    present_by_sample: dict[str, dict] = defaultdict(dict)
    for sample, obj, hap in zip(joined["sample_id"], joined[OBJECT_COLUMN], joined["haplotype"],
                                strict=True):
        present_by_sample[sample][(obj, hap)] = None
    present: dict[str, dict] = {}
    for sample, pairs in present_by_sample.items():
        by_gene: dict = defaultdict(list)
        for obj, hap in pairs:
            for gene in getattr(obj, "genes", ()) or (None,):
                by_gene[gene].append((obj, hap))
        present[sample] = by_gene
    memo: dict[tuple, str | None] = {}
    columns = ["sample_id", "requires", "phase", OBJECT_COLUMN, "haplotype"]
    subset = joined.loc[needs, columns]
    values = []
    for sample, requires, phase, obj, hap in subset.itertuples(index=False, name=None):
        key = (sample, requires, phase, obj, hap)
        if key not in memo:
            memo[key] = co.evaluate(requires, phase, obj, hap, present[sample])
        values.append(memo[key])
    status.loc[subset.index] = values
    return status


def _alternatives(joined: pd.DataFrame, base, context: TherapyContext) -> tuple[list, list]:
    """Alternatives minus drugs the same sample is resistant to, and those left out (why)."""
    kept_col = [""] * len(joined)
    excluded_col = [""] * len(joined)
    has_alternatives = joined["alternatives"].map(bool).to_numpy()
    if not has_alternatives.any():
        return kept_col, excluded_col
    positions = np.flatnonzero(has_alternatives)
    cache: dict[tuple, bool] = {}

    def resistant(alteration, drug: str, present) -> bool:
        key = (alteration, drug)
        if key not in cache:
            rules = base.rules_for(alteration, drug, context.disease)
            cache[key] = any(
                r.effect == "resistance" and not r.requires for r in rules
            )
        return cache[key]

    by_sample: dict[str, list] = defaultdict(list)
    for sample, obj in zip(joined["sample_id"], joined[OBJECT_COLUMN], strict=True):
        by_sample[sample].append(obj)
    memo: dict[tuple[str, tuple], tuple[str, str]] = {}
    samples = joined["sample_id"].to_numpy()
    alternatives = joined["alternatives"].to_numpy()
    for position in positions:
        sample = samples[position]
        options = alternatives[position]
        key = (sample, options)
        if key not in memo:
            kept, dropped = [], []
            distinct = list(dict.fromkeys(by_sample[sample]))
            for option in options:
                name = _canonical(base, option)
                blocker = next((a for a in distinct if resistant(a, name, distinct)), None)
                if blocker is None:
                    kept.append(option)
                else:
                    dropped.append(f"{option} (resistance: {blocker})")
            memo[key] = ("; ".join(kept), "; ".join(dropped))
        kept_col[position], excluded_col[position] = memo[key]
    return kept_col, excluded_col


def _canonical(base, name: str) -> str:
    try:
        return base.drug(name).name
    except ValueError:  # an alternative the drug list does not know: keep it as written
        return name


def annotate_table(table, base, context: TherapyContext, *, infer: bool = True) -> pd.DataFrame:
    """The annotation table (internal columns included) for a SampleAlterations table."""
    frame = table.frame
    matcher = Matcher(base, context, infer=infer)
    codes, uniques = pd.factorize(frame["alteration"], sort=False)
    first = pd.Series(np.arange(len(frame))).groupby(codes).first().to_numpy() if len(frame) \
        else np.array([], dtype=int)
    objects = frame[OBJECT_COLUMN].to_numpy()
    unique_objects = [objects[i] for i in first]
    findings = _findings_table(matcher, unique_objects)
    left = frame.assign(_u=codes)
    joined = left.merge(findings, on="_u", how="inner", sort=False)
    joined["co_occurrence"] = _co_occurrence(joined)
    joined = joined[joined["co_occurrence"].notna()].reset_index(drop=True)
    kept, excluded = _alternatives(joined, base, context)
    joined["alternatives"] = kept
    joined["alternatives_excluded"] = excluded
    order_sample = {s: i for i, s in enumerate(dict.fromkeys(frame["sample_id"]))}
    keys = pd.DataFrame({
        "s": joined["sample_id"].map(order_sample),
        "c": joined["context"].map(CONTEXT_ORDER),
        "q": joined["co_occurrence"].map(co.rank),
        "e": joined["effect"].map(EFFECT_ORDER),
        "d": joined["disease_match"].map(DISEASE_ORDER).fillna(1),
        "l": joined["evidence_level"].map(LEVEL_ORDER).fillna(5),
        "k": joined["confidence"].map(CONFIDENCE_ORDER).fillna(3),
        "g": joined["gene"].fillna(""),
        "a": joined["alteration"],
        "r": joined["rule_id"],
        "i": np.arange(len(joined)),
    })
    order = keys.sort_values(list(keys.columns), kind="stable").index
    joined = joined.loc[order].reset_index(drop=True)
    joined["rank"] = joined.groupby("sample_id", sort=False).cumcount() + 1
    return joined
