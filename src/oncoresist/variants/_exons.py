"""Exon boundaries in protein residues (data/exons.yaml) and named protein regions."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml


@cache
def exon_table() -> dict[str, dict[int, tuple[int, int]]]:
    text = resources.files("oncoresist.variants").joinpath("data/exons.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    table: dict[str, dict[int, tuple[int, int]]] = {}
    for gene, entry in raw.items():
        table[gene] = {int(n): (int(b[0]), int(b[1])) for n, b in entry["exons"].items()}
    return table


@cache
def exon_transcripts() -> dict[str, str]:
    text = resources.files("oncoresist.variants").joinpath("data/exons.yaml").read_text("utf-8")
    return {gene: str(entry["transcript"]) for gene, entry in yaml.safe_load(text).items()}


def exon_residues(gene: str | None, first: int, last: int | None = None) -> tuple[int, int] | None:
    """Residues covered by exons ``first``..``last`` of ``gene``, or None if any is unknown."""
    if gene is None:
        return None
    exons = exon_table().get(gene)
    if exons is None:
        return None
    last = first if last is None else last
    spans = [exons.get(n) for n in range(first, last + 1)]
    if any(span is None for span in spans):
        return None
    return spans[0][0], spans[-1][1]


# Named protein regions used by knowledge bases ("ABL1 P-loop mutation"). Each entry:
# canonical label, residue range or None when we do not know it to the residue.
#  * TP53 DNA-binding domain: codons 102-292, the definition used by the IARC TP53 database.
#  * ABL1 P-loop: codons 244-255 (isoform 1a), the range used for "P-loop mutations" in CML
#    (M244V ... E255K/V); we are confident of the residues named in that literature.
#  * Regions without a range match only the identical pattern.
REGIONS: dict[tuple[str, str], tuple[int, int] | None] = {
    ("TP53", "DNA-binding domain"): (102, 292),
    ("ABL1", "P-loop"): (244, 255),
    ("ABL1", "non-P-loop kinase domain"): None,
    ("ABL1", "kinase domain"): None,
    ("FLT3", "tyrosine kinase domain"): None,
    ("PML", "B2 domain"): None,
}

# What people write -> canonical label
REGION_ALIASES: dict[str, str] = {
    "DNA BINDING DOMAIN": "DNA-binding domain",
    "DNA-BINDING DOMAIN": "DNA-binding domain",
    "DBD": "DNA-binding domain",
    "P-LOOP": "P-loop",
    "P LOOP": "P-loop",
    "NON-P-LOOP": "non-P-loop kinase domain",
    "NON P-LOOP": "non-P-loop kinase domain",
    "NON-P-LOOP KINASE DOMAIN": "non-P-loop kinase domain",
    "KINASE DOMAIN": "kinase domain",
    "TKD": "tyrosine kinase domain",
    "TYROSINE KINASE DOMAIN": "tyrosine kinase domain",
    "B2 DOMAIN": "B2 domain",
}


def region_residues(gene: str | None, label: str) -> tuple[int, int] | None:
    """Residue range of a named region, or None when unknown."""
    return REGIONS.get((gene or "", label))
