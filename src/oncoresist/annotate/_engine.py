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
        # Drug objects, so that each query does not resolve the name again
        self.drug_objects = {name: base.drug(name) for name, _ in context.drugs}

    def _rule_rows(self, alteration, drug: str, role: str) -> list[dict]:
        base = self.base
        drug_object = self.drug_objects[drug]
        rules = base.rules_for(alteration, drug_object)
        if not len(rules):
            return []
        applies: set[str] = set()
        if self.context.disease_canonical is not None:
            applies = set(base.rules_for(alteration, drug_object, self.context.disease).ids)
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
    distinct = _distinct_rows(joined, ["sample_id", "alteration", "haplotype"])
    for sample, obj, hap in zip(joined["sample_id"].to_numpy()[distinct],
                                joined[OBJECT_COLUMN].to_numpy()[distinct],
                                joined["haplotype"].to_numpy()[distinct], strict=True):
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

    # each sample's distinct alterations, in the order of the table
    by_sample: dict[str, list] = defaultdict(list)
    distinct_rows = _distinct_rows(joined, ["sample_id", "alteration"])
    for sample, obj in zip(joined["sample_id"].to_numpy()[distinct_rows],
                           joined[OBJECT_COLUMN].to_numpy()[distinct_rows], strict=True):
        by_sample[sample].append(obj)
    samples = joined["sample_id"].to_numpy()
    alternatives = joined["alternatives"].to_numpy()
    # worked out once per distinct (sample, alternatives), then spread to the rows
    pairs, first = _first_of_each(samples[positions], alternatives[positions])
    values = []
    for index in first.tolist():
        sample = samples[positions[index]]
        options = alternatives[positions[index]]
        kept, dropped = [], []
        distinct = list(dict.fromkeys(by_sample[sample]))
        for option in options:
            name = _canonical(base, option)
            blocker = next((a for a in distinct if resistant(a, name, distinct)), None)
            if blocker is None:
                kept.append(option)
            else:
                dropped.append(f"{option} (resistance: {blocker})")
        values.append(("; ".join(kept), "; ".join(dropped)))
    kept_values = np.array([v[0] for v in values], dtype=object)
    excluded_values = np.array([v[1] for v in values], dtype=object)
    kept_col = np.array(kept_col, dtype=object)
    excluded_col = np.array(excluded_col, dtype=object)
    kept_col[positions] = kept_values[pairs]
    excluded_col[positions] = excluded_values[pairs]
    return kept_col, excluded_col


def _distinct_rows(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Positions of the first row of each distinct combination of ``columns``, in order."""
    codes = [pd.factorize(frame[c], use_na_sentinel=False)[0] for c in columns]
    combined = pd.MultiIndex.from_arrays(codes) if len(codes) > 1 else pd.Index(codes[0])
    return np.flatnonzero(~combined.duplicated())


def _first_of_each(samples: np.ndarray, options: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Code of each (sample, options) pair and the position of each code's first pair."""
    sample_codes = pd.factorize(samples)[0]
    option_codes = pd.factorize(options)[0]
    pair = pd.factorize(pd.MultiIndex.from_arrays([sample_codes, option_codes]))[0]
    _, first = np.unique(pair, return_index=True)
    return pair, first


def _canonical(base, name: str) -> str:
    try:
        return base.drug(name).name
    except ValueError:  # an alternative the drug list does not know: keep it as written
        return name


def _expand(frame: pd.DataFrame, codes: np.ndarray, findings: pd.DataFrame) -> pd.DataFrame:
    """Each row of ``frame`` joined to the findings of its alteration (``findings._u``).

    The rows come out in the order of ``frame``, and for each the findings in their order
    (what an inner merge without sorting gives), built by index arithmetic: one copy.
    """
    size = int(codes.max(initial=-1)) + 1
    counts = np.bincount(findings["_u"].to_numpy(dtype=np.int64), minlength=size)
    starts = np.cumsum(counts) - counts
    per_row = counts[codes]
    left = np.repeat(np.arange(len(frame)), per_row)
    offset = np.arange(len(left)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    right = starts[codes][left] + offset
    columns = {c: frame[c].array.take(left) for c in frame.columns}
    columns["_u"] = codes[left]
    columns.update({c: findings[c].to_numpy().take(right) for c in FINDING_COLUMNS})
    return pd.DataFrame(columns)


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes that sort like the values."""
    return pd.factorize(values, sort=True)[0]


def annotate_table(table, base, context: TherapyContext, *, infer: bool = True) -> pd.DataFrame:
    """The annotation table (internal columns included) for a SampleAlterations table."""
    frame = table.frame
    matcher = Matcher(base, context, infer=infer)
    codes, uniques = pd.factorize(frame["alteration"], sort=False)
    # factorize numbers the alterations in order of first appearance
    first = np.unique(codes, return_index=True)[1] if len(frame) else np.array([], dtype=int)
    objects = frame[OBJECT_COLUMN].to_numpy()
    unique_objects = [objects[i] for i in first]
    findings = _findings_table(matcher, unique_objects)
    joined = _expand(frame, codes, findings)
    joined["co_occurrence"] = _co_occurrence(joined)
    applies = joined["co_occurrence"].notna().to_numpy()
    if not applies.all():
        joined = joined[applies].reset_index(drop=True)
    kept, excluded = _alternatives(joined, base, context)
    joined["alternatives"] = kept
    joined["alternatives_excluded"] = excluded
    order_sample = {s: i for i, s in enumerate(dict.fromkeys(frame["sample_id"]))}
    keys = [
        joined["sample_id"].map(order_sample).to_numpy(),
        joined["context"].map(CONTEXT_ORDER).to_numpy(),
        joined["co_occurrence"].map(co.rank).to_numpy(),
        joined["effect"].map(EFFECT_ORDER).to_numpy(),
        joined["disease_match"].map(DISEASE_ORDER).fillna(1).to_numpy(),
        joined["evidence_level"].map(LEVEL_ORDER).fillna(5).to_numpy(),
        joined["confidence"].map(CONFIDENCE_ORDER).fillna(3).to_numpy(),
        _codes(joined["gene"].fillna("")),
        _codes(joined["alteration"]),
        _codes(joined["rule_id"]),
    ]
    # lexsort sorts by the last key first and is stable: ties keep the joined order
    order = np.lexsort(keys[::-1])
    joined = joined.take(order).reset_index(drop=True)
    joined["rank"] = joined.groupby("sample_id", sort=False).cumcount() + 1
    return joined
