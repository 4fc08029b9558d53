"""Screen hits read against the knowledge base: pathway position and known mechanisms.

A knockout screen sees loss of function: a gene whose guides are enriched under a drug is a
candidate whose *loss* confers resistance, a depleted one a candidate sensitiser. Each hit is
asked of the knowledge base (through its public API) as the alteration ``"<GENE> loss"``:
``derive_mechanism`` places it on the signalling graph relative to the drug's targets
(on-target, downstream, bypass, or off the graph), and ``rules_for`` lists curated or imported
rules about its loss with that drug.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oncoresist._core import InputError, OncoresistError

ANNOTATION_COLUMNS = [
    "id", "selection", "fdr", "lfc", "kb_pathway_class", "kb_pathway_explanation",
    "kb_known_effects", "kb_rule_ids",
]  # fmt: skip


def _columns(frame: pd.DataFrame) -> tuple[str, str, str, str, str]:
    """Gene, negative/positive FDR and LFC columns of a MAGeCK or drugZ gene table."""
    if {"id", "neg|fdr", "pos|fdr"} <= set(frame.columns):
        return "id", "neg|fdr", "pos|fdr", "neg|lfc", "pos|lfc"
    if {"GENE", "fdr_synth", "fdr_supp"} <= set(frame.columns):
        return "GENE", "fdr_synth", "fdr_supp", "normZ", "normZ"
    msg = (
        "expected a MAGeCK gene_summary (id, neg|fdr, pos|fdr) or a drugZ table "
        f"(GENE, fdr_synth, fdr_supp); got columns {', '.join(map(str, frame.columns))}"
    )
    raise InputError(msg, field="gene_summary")


def annotate_hits(gene_summary: pd.DataFrame, drug: str, *, fdr: float = 0.1) -> pd.DataFrame:
    """Hits at ``fdr`` with their place in the pathway graph and known rules for ``drug``.

    Parameters
    ----------
    gene_summary
        A MAGeCK-style gene summary (:func:`rra_test`) or a drugZ gene table
        (:func:`drugz_test`) of drug against vehicle.
    drug
        Any name of the drug the screen was run with (``"vemurafenib"``, ``"PLX4032"``).
    fdr
        FDR cut-off for hits, in either direction.

    Returns
    -------
    pandas.DataFrame
        One row per hit: ``id``, ``selection`` (``positive``: loss may cause resistance;
        ``negative``: loss may sensitise), ``fdr``, ``lfc`` (normZ for drugZ),
        ``kb_pathway_class`` and ``kb_pathway_explanation`` (from the pathway graph),
        ``kb_known_effects`` and ``kb_rule_ids`` (rules about the gene's loss with the drug).

    Examples
    --------
    >>> import pandas as pd
    >>> g = pd.DataFrame({"id": ["NF1", "GENE7"], "neg|fdr": [0.9, 0.8], "pos|fdr": [0.01, 0.5],
    ...                   "neg|lfc": [1.8, 0.1], "pos|lfc": [1.8, 0.1]})
    >>> hits = annotate_hits(g, "vemurafenib")
    >>> hits[["id", "selection", "kb_pathway_class"]].values.tolist()
    [['NF1', 'positive', 'bypass']]
    """
    from oncoresist import kb

    gene_col, neg_fdr, pos_fdr, neg_lfc, pos_lfc = _columns(gene_summary)
    if not 0 < fdr <= 1:
        msg = f"fdr must lie in (0, 1]; got {fdr}"
        raise InputError(msg, field="fdr")
    kb.get_drug(drug)  # an unknown drug name fails here, with suggestions
    rows = []
    for _, row in gene_summary.iterrows():
        for selection, fdr_col, lfc_col in (
            ("positive", pos_fdr, pos_lfc),
            ("negative", neg_fdr, neg_lfc),
        ):
            if not row[fdr_col] <= fdr:
                continue
            gene = str(row[gene_col])
            text = f"{gene} loss"
            try:
                derivation = kb.derive_mechanism(text, drug)
                rules = list(kb.rules_for(text, drug, include_specific=True))
            except OncoresistError as exc:  # a control such as 'EGFP' is no gene alteration
                rows.append([gene, selection, row[fdr_col], row[lfc_col], None, str(exc), "", ""])
                continue
            effects = sorted({f"{r.effect} ({r.mechanism or 'unclassified'})" for r in rules})
            rows.append(
                [
                    gene,
                    selection,
                    float(row[fdr_col]),
                    float(row[lfc_col]),
                    derivation.mechanism,
                    derivation.explanation,
                    "; ".join(effects),
                    ",".join(sorted({r.id for r in rules})),
                ]
            )
    out = pd.DataFrame(rows, columns=ANNOTATION_COLUMNS)
    if len(out):
        out = out.iloc[np.lexsort((out["id"].to_numpy(), out["fdr"].to_numpy()))]
    return out.reset_index(drop=True)
