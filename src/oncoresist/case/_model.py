"""The patient's tumour model: compartments and drug sensitivities from the knowledge base.

Compartments are nested (linear evolution): ``sensitive`` carries the truncal alterations only;
resistant compartment *k* carries resistance alterations 1..k, ordered by when they were first
seen. A compartment is killed by a drug when the drug targets a gene altered in it (or a curated
rule says the alteration sensitises to the drug) and no curated rule gives one of its
alterations resistance to that drug (``oncoresist.annotate``, co-occurrence rules included).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from oncoresist._core import InputError, OncoresistError, write_table
from oncoresist.case._schema import PARAMETERS, Mutation

SENSITIVE = "sensitive"
_RESISTANT_EFFECTS = ("resistance",)


@dataclass(frozen=True)
class TumourModel:
    """Compartments of one tumour and which drugs kill which compartment.

    Attributes
    ----------
    types
        Compartment names: ``sensitive``, then one per resistance alteration (nested).
    truncal
        Alterations carried by every compartment.
    resistance
        Resistance alterations, in the order their compartments appear.
    drugs
        Canonical drug names of the case (history and strategies).
    killed
        Boolean array ``(len(types), len(drugs))``: the drug kills the compartment.
    evidence
        ``(type, drug) -> "rule ids"`` that decided a compartment's resistance.
    feed
        Per compartment, the probability per division that a daughter of the parent
        compartment acquires this compartment's resistance alteration (0 for ``sensitive``;
        empty: no mutation).
    birth_rate
        Division rate ``b`` (/day) of every compartment: mutational flux is ``b u x_parent``.
    """

    types: tuple[str, ...]
    truncal: tuple[str, ...]
    resistance: tuple[str, ...]
    drugs: tuple[str, ...]
    killed: np.ndarray = field(repr=False)
    evidence: Mapping[tuple[str, str], str] = field(default_factory=dict, repr=False)
    feed: tuple[float, ...] = ()
    birth_rate: float = 0.14

    @property
    def inflow(self) -> np.ndarray:
        """Per-cell rate ``b u_k`` at which compartment ``k - 1`` makes compartment-``k`` cells (/day)."""
        if not self.feed:
            return np.zeros(len(self.types))
        return self.birth_rate * np.asarray(self.feed, dtype=float)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Calibrated parameters: rates, one resistant fraction per resistant compartment, shedding."""
        fractions = tuple(f"resistant_fraction[{a}]" for a in self.resistance)
        return (*PARAMETERS[:3], *fractions, PARAMETERS[4])

    def carriers(self, alteration: str) -> np.ndarray:
        """Boolean mask of compartments carrying ``alteration`` (truncal when not a resistance one)."""
        if alteration in self.resistance:
            k = self.resistance.index(alteration) + 1
            return np.arange(len(self.types)) >= k
        return np.ones(len(self.types), dtype=bool)

    def killed_by(self, drugs: Iterable[str]) -> np.ndarray:
        """Compartments killed by at least one of ``drugs`` (an exposure)."""
        mask = np.zeros(len(self.types), dtype=bool)
        for drug in drugs:
            mask |= self.killed[:, self.drugs.index(drug)]
        return mask

    def to_frame(self) -> pd.DataFrame:
        """One row per compartment: alterations carried and the drugs that kill it."""
        rows = []
        for i, name in enumerate(self.types):
            carried = list(self.truncal) + list(self.resistance[:i])
            rows.append({
                "compartment": name,
                "alterations": "; ".join(carried),
                "killed_by": "; ".join(d for j, d in enumerate(self.drugs) if self.killed[i, j]) or "(none)",
                "resistant_to": "; ".join(d for j, d in enumerate(self.drugs) if not self.killed[i, j]) or "(none)",
                "mutation_per_division": float(self.feed[i]) if self.feed else 0.0,
                "evidence": "; ".join(
                    f"{d}: {self.evidence[(name, d)]}" for d in self.drugs if (name, d) in self.evidence
                ),
            })
        return pd.DataFrame(rows)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_frame` as TSV, atomically."""
        write_table(self.to_frame(), path)
        return Path(path)


def _gene(alteration: str) -> str:
    return alteration.split(" ", 1)[0]


def build_model(
    alterations: Sequence[str],
    first_seen: Mapping[str, float],
    drugs: Sequence[str],
    *,
    history: Sequence[Sequence[str]] = (),
    disease: str | None = None,
    targets: Mapping[str, Sequence[str]] | None = None,
    mutation: Mutation | None = None,
) -> TumourModel:
    """Build the compartment model of a tumour from its alterations and the knowledge base.

    ``first_seen`` gives the day each alteration was first observed (ordering the nested
    compartments); ``history`` the drug sets of the therapy lines (a tie-break: the line an
    alteration first resists). ``targets`` maps drug -> target genes (``kb.get_drug``).
    """
    from oncoresist.annotate import annotate
    from oncoresist.kb import get_drug

    alterations = sorted(dict.fromkeys(alterations))
    drugs = tuple(dict.fromkeys(drugs))
    targets = dict(targets or {d: get_drug(d).targets for d in drugs})
    resist: dict[str, dict[str, str]] = {a: {} for a in alterations}
    sensitise: dict[str, set[str]] = {a: set() for a in alterations}
    for drug in drugs:
        frame = annotate(list(alterations), therapy=drug, disease=disease, infer=False).to_frame()
        for row in frame.itertuples():
            if row.alteration not in resist:
                continue
            if row.effect in _RESISTANT_EFFECTS:
                previous = resist[row.alteration].get(drug)
                resist[row.alteration][drug] = row.rule_id if previous is None else f"{previous}, {row.rule_id}"
            elif row.effect == "sensitivity":
                sensitise[row.alteration].add(drug)
    resistant_alts = [a for a in alterations if resist[a]]

    def first_line(alteration: str) -> int:
        for i, line in enumerate(history):
            if any(d in resist[alteration] for d in line):
                return i
        return len(history)

    order = sorted(resistant_alts, key=lambda a: (first_seen.get(a, math.inf), first_line(a), a))
    truncal = tuple(a for a in alterations if a not in order)
    types = (SENSITIVE, *order)
    killed = np.zeros((len(types), len(drugs)), dtype=bool)
    evidence: dict[tuple[str, str], str] = {}
    for i, name in enumerate(types):
        carried = list(truncal) + order[:i]
        genes = {_gene(a) for a in carried}
        for j, drug in enumerate(drugs):
            acts = bool(genes & set(targets.get(drug, ()))) or any(drug in sensitise[a] for a in carried)
            rules = [resist[a][drug] for a in order[:i] if drug in resist[a]]
            killed[i, j] = acts and not rules
            if rules:
                evidence[(name, drug)] = ", ".join(rules)
    mutation = mutation or Mutation()
    sites = _sites_by_alteration(mutation.sites, order)
    feed = (0.0, *(mutation.rate * sites.get(a, 1) for a in order))
    return TumourModel(types=types, truncal=truncal, resistance=tuple(order), drugs=drugs,
                       killed=killed, evidence=evidence, feed=feed, birth_rate=mutation.birth_rate)


def _sites_by_alteration(sites: Mapping[str, int], resistance: Sequence[str]) -> dict[str, int]:
    """``mutation.sites`` keyed by canonical alteration text (``EGFR C797S`` -> ``EGFR p.C797S``)."""
    from oncoresist.variants import parse_alteration

    out = {}
    for key, value in sites.items():
        gene, _, rest = key.strip().partition(" ")
        try:
            name = str(parse_alteration(gene, rest)) if rest else key
        except (OncoresistError, ValueError):  # reported below as not a resistance alteration
            name = key
        if name not in resistance:
            msg = (
                f"mutation.sites: {key!r} is not a resistance alteration of this tumour's model; "
                f"its resistance alterations are {list(resistance) or 'none'}"
            )
            raise InputError(msg, field="mutation.sites")
        out[name] = int(value)
    return out
