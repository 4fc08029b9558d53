"""Annotate tumour and liquid-biopsy alterations for drug resistance, in a therapy context.

For each alteration of each sample and each drug of the current therapy (and of earlier lines):
the effect (resistance, reduced sensitivity, sensitivity, no known effect), the mechanism class,
the evidence level, the rule and source ids, the references, how well the rule's disease
matches, and the drugs that stay active. Rules that need two alterations together are honoured
(EGFR C797S with T790M in cis or trans); alterations no rule covers but that the pathway graph
places downstream of or parallel to the drug's target are reported as *inferred* mechanisms,
apart from curated evidence.

A research tool, not a medical device: nothing here is for clinical decisions.

Examples
--------
>>> from oncoresist.annotate import annotate
>>> result = annotate(["EGFR T790M", "MET amplification"], therapy="osimertinib")
>>> sorted(set(result.to_frame()["effect"]))
['resistance', 'sensitivity']
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from oncoresist._core.exceptions import InputError
from oncoresist._core.provenance import Provenance
from oncoresist.annotate._context import resolve_context
from oncoresist.annotate._engine import annotate_table
from oncoresist.annotate._result import AnnotationResult

__all__ = ["AnnotationResult", "annotate"]

PathLike = str | os.PathLike[str]


def annotate(
    alterations_or_path: Any,
    *,
    therapy: str | Iterable[str],
    history: str | Iterable[str] | None = None,
    disease: str | None = None,
    format: str | None = None,
    strict: bool = False,
    transcript: str | None = None,
    infer: bool = True,
    kb_extra: PathLike | Iterable[PathLike] | None = None,
) -> AnnotationResult:
    """Annotate the alterations of one or more samples for resistance to a therapy.

    Parameters
    ----------
    alterations_or_path
        A VCF (VEP CSQ or SnpEff ANN; plain or bgzipped), GDC MAF or alteration TSV file; or a
        list of alteration texts / ``variants.Alteration`` objects (one sample); or a
        DataFrame with ``alteration`` and optional ``gene``, ``sample_id``, ``vaf``,
        ``copy_number``, ``haplotype`` columns.
    therapy
        The drug(s) given now: ``"osimertinib"``, ``"dabrafenib,trametinib"`` or a list
        (several drugs are one combination regimen). Any synonym, brand or code name works.
    history
        Drugs given before (``"erlotinib,osimertinib"``); their findings rank below those of
        the current therapy.
    disease
        The patient's disease (``"NSCLC"``, ``"colorectal cancer"``): each rule's disease is
        matched as ``exact``, ``related`` (broader, narrower or pan-cancer) or ``other``.
    format
        ``vcf``, ``maf`` or ``tsv`` for a file; detected from the content when None.
    strict
        Fail on the first input record that cannot be interpreted (otherwise it is listed in
        ``problems`` and the rest is annotated).
    transcript
        VCF only: use this transcript's protein change instead of the canonical one.
    infer
        Report putative downstream/bypass mechanisms the pathway graph supports for
        alterations no rule covers (marked ``inferred``).
    kb_extra
        Extra rule files (the curated YAML schema) on top of the knowledge base.

    Returns
    -------
    AnnotationResult
        ``.to_frame()``, ``.summary()``, ``.to_html()``, ``.write(path)``.

    Examples
    --------
    >>> result = annotate(["BCR-ABL1 T315I"], therapy="imatinib")
    >>> row = result.to_frame().iloc[0]
    >>> row["effect"], row["mechanism"]
    ('resistance', 'on-target')
    >>> "ponatinib" in result.summary()
    True
    """
    from oncoresist.kb import load_kb
    from oncoresist.variants import alterations_from_frame, alterations_from_texts, read_alterations

    base = load_kb(kb_extra)
    context = resolve_context(base, therapy, history, disease)
    inputs: list[Path] = []
    if isinstance(alterations_or_path, str | os.PathLike):
        path = Path(alterations_or_path)
        # genes no rule or pathway node mentions cannot get a finding: the readers skip them
        table = read_alterations(path, format=format, strict=strict, transcript=transcript,
                                 genes=base.known_genes())
        inputs.append(path)
    elif isinstance(alterations_or_path, pd.DataFrame):
        table = alterations_from_frame(alterations_or_path)
    elif hasattr(alterations_or_path, "frame") and hasattr(alterations_or_path, "problems"):
        table = alterations_or_path
    elif isinstance(alterations_or_path, Iterable):
        table = alterations_from_texts(list(alterations_or_path))
    else:
        msg = (f"alterations_or_path must be a file path, a list of alterations or a DataFrame; "
               f"got {type(alterations_or_path).__name__}")
        raise InputError(msg, field="alterations_or_path")
    if strict and table.problems:
        first = table.problems[0]
        msg = f"alteration {first.line}: {first.reason}"
        raise InputError(msg, field="alterations_or_path")
    findings = annotate_table(table, base, context, infer=infer)
    provenance = Provenance.create(
        "oncoresist.annotate",
        parameters={
            "therapy": list(context.therapy),
            "history": list(context.history),
            "disease": disease,
            "format": table.format,
            "strict": strict,
            "transcript": transcript,
            "infer": infer,
            "kb_extra": [str(p) for p in base.extra_files],
        },
        inputs=inputs,
        kb_version=base.version,
    )
    return AnnotationResult(
        table=findings,
        therapy=context.therapy,
        history=tuple(d for d in context.history if d not in context.therapy),
        disease=disease,
        samples=tuple(table.samples),
        problems=tuple(table.problems),
        skipped=dict(table.skipped),
        kb_version=base.version,
        provenance=provenance,
    )
