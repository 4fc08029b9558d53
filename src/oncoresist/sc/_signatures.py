"""Gene programmes: MSigDB Hallmarks, the MAPK output score genes, and the drug's target outputs.

Every list here comes from a cited source; nothing is invented:

- Hallmarks: MSigDB Hallmark gene sets v7.5.1 (Liberzon et al. 2015, Cell Systems 1:417;
  Subramanian et al. 2005, PNAS 102:15545), CC BY 4.0, shipped as ``data/hallmark_v7.5.1.symbols.gmt``.
- MAPK output: the ten genes of the MAPK Pathway Activity Score (MPAS; Wagle et al. 2018,
  npj Precision Oncology 2:7, doi:10.1038/s41698-018-0051-4).

Drug-tolerant persister and resistance-state signatures from the literature enter through
``LITERATURE_SIGNATURES`` (a ``LiteratureSignature`` per list: paper, DOI or PMID, the table or
figure the genes come from, the cell system, a confidence level). An entry is added only after its
gene list has been checked gene by gene against the paper, and ``tests/sc/test_signatures.py``
holds the same list as written in the paper beside its table reference. None is shipped yet:
the candidates checked on 2026-11-30 and why each was left out are in ``docs/sc.md``.

The drug's target-pathway outputs are chosen with the knowledge base's pathway graph
(``oncoresist.kb.load_kb().graph``): a pathway's transcriptional output is scored when one of
the drug's targets is annotated with that pathway in the graph and the pathway's effector kinases
or transcription factors are reached downstream of the targets. The graph holds signalling
proteins, not their transcriptional targets, so each pathway's read-out gene list comes from the
literature table below (``PATHWAY_OUTPUTS``).
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from oncoresist._core import InputError

DATA_DIR = Path(__file__).parent / "data"
HALLMARK_FILE = DATA_DIR / "hallmark_v7.5.1.symbols.gmt"

MPAS_GENES = (
    "PHLDA1", "SPRY2", "SPRY4", "ETV4", "ETV5", "DUSP4", "DUSP6", "CCND1", "EPHA2", "EPHA4",
)
MPAS_SOURCE = "Wagle et al. 2018 npj Precis Oncol 2:7, doi:10.1038/s41698-018-0051-4 (MPAS)"
HALLMARK_SOURCE = (
    "MSigDB Hallmarks v7.5.1 (Liberzon et al. 2015 Cell Syst 1:417), CC BY 4.0"
)


@dataclass(frozen=True)
class PathwayOutput:
    """A pathway, the effectors that carry its signal, and the genes that read its output."""

    pathway: str
    effectors: tuple[str, ...]
    programme: str
    source: str


# Pathway (as tagged in kb/data/pathways.yaml) -> effectors -> transcriptional read-out.
PATHWAY_OUTPUTS = (
    PathwayOutput("MAPK", ("MAPK1", "MAPK3"), "MAPK_OUTPUT_MPAS", MPAS_SOURCE),
    PathwayOutput(
        "PI3K-AKT", ("AKT1", "AKT2", "AKT3"), "HALLMARK_PI3K_AKT_MTOR_SIGNALING", HALLMARK_SOURCE
    ),
    PathwayOutput("mTOR", ("MTOR", "RPS6KB1"), "HALLMARK_MTORC1_SIGNALING", HALLMARK_SOURCE),
    PathwayOutput("JAK-STAT", ("STAT3",), "HALLMARK_IL6_JAK_STAT3_SIGNALING", HALLMARK_SOURCE),
)


CONFIDENCE_LEVELS = ("high", "medium", "low")

# An HGNC symbol: capitals, digits and hyphens, with the lowercase "orf" of open reading frames
# (C1orf112). Mouse symbols (Axl, Ngfr) fail, so unconverted mouse lists cannot slip in.
_HGNC_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9-]*(orf[0-9]+)?[A-Z0-9-]*$")


@dataclass(frozen=True)
class LiteratureSignature:
    """A gene list copied from a paper, where in the paper it is, and how far to trust it.

    ``genes`` are HGNC symbols in the paper's order; mouse genes only where the paper itself
    gives the human orthologues. ``location`` names the table, figure or sentence holding the
    list; ``identifier`` is a DOI or PMID that was checked; ``verified`` says how and when the
    list was checked against the source.
    """

    name: str
    genes: tuple[str, ...]
    authors: str
    year: int
    journal: str
    identifier: str
    location: str
    cell_system: str
    confidence: str
    verified: str

    def citation(self) -> str:
        """One-line citation used as the programme's source."""
        return (
            f"{self.authors} {self.year} {self.journal}, {self.identifier}; {self.location}; "
            f"{self.cell_system}; confidence {self.confidence}"
        )


# Verified literature signatures (empty: no candidate list could be checked gene by gene
# against its source; see docs/sc.md, "Drug-tolerant persister signatures").
LITERATURE_SIGNATURES: tuple[LiteratureSignature, ...] = ()


def check_signature(signature: LiteratureSignature) -> None:
    """Refuse an entry with missing provenance, non-HGNC symbols or a clashing name."""
    problems = []
    for field in ("name", "authors", "journal", "identifier", "location", "cell_system",
                  "verified"):
        if not str(getattr(signature, field)).strip():
            problems.append(f"empty {field}")
    if not (signature.identifier.startswith("doi:10.") or signature.identifier.startswith("PMID:")):
        problems.append("identifier must be 'doi:10....' or 'PMID:...'")
    if signature.confidence not in CONFIDENCE_LEVELS:
        problems.append(f"confidence must be one of {CONFIDENCE_LEVELS}")
    if not signature.genes:
        problems.append("no genes")
    bad = [g for g in signature.genes if not _HGNC_SYMBOL.match(g)]
    if bad:
        problems.append(f"not HGNC symbols: {bad}")
    if len(set(signature.genes)) != len(signature.genes):
        problems.append("repeated genes")
    if signature.name in hallmarks() or signature.name == "MAPK_OUTPUT_MPAS":
        problems.append("name clashes with a Hallmark or MPAS programme")
    if problems:
        msg = f"literature signature {signature.name!r}: " + "; ".join(problems)
        raise ValueError(msg)


def literature_signatures() -> dict[str, LiteratureSignature]:
    """The verified literature signatures by name, each checked by ``check_signature``."""
    out: dict[str, LiteratureSignature] = {}
    for signature in LITERATURE_SIGNATURES:
        check_signature(signature)
        if signature.name in out:
            msg = f"literature signature {signature.name!r} is registered twice"
            raise ValueError(msg)
        out[signature.name] = signature
    return out


def read_gmt(path: str | os.PathLike[str]) -> dict[str, tuple[str, ...]]:
    """Read a GMT file (name, description, genes...) into ``{name: genes}``."""
    sets: dict[str, tuple[str, ...]] = {}
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"cannot read gene-set file {path}: {exc.strerror}; give a readable GMT file"
        raise InputError(msg, path=str(path)) from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 3:
            msg = (
                "a GMT line needs a name, a description and at least one gene, separated by "
                f"tabs; found {len(fields)} field(s)"
            )
            raise InputError(msg, path=str(path), line=number)
        name = fields[0].strip()
        if name in sets:
            msg = f"gene set {name!r} appears twice; give each set one line"
            raise InputError(msg, path=str(path), line=number)
        sets[name] = tuple(dict.fromkeys(g.strip() for g in fields[2:] if g.strip()))
    return sets


@functools.cache
def hallmarks() -> dict[str, tuple[str, ...]]:
    """The 50 MSigDB Hallmark sets shipped with the package."""
    return read_gmt(HALLMARK_FILE)


def builtin_programmes() -> dict[str, tuple[str, ...]]:
    """Every programme shipped: the Hallmarks, the MPAS genes and the literature signatures."""
    sets = dict(hallmarks())
    sets["MAPK_OUTPUT_MPAS"] = MPAS_GENES
    for name, signature in literature_signatures().items():
        sets[name] = signature.genes
    return sets


def programme_sources() -> dict[str, str]:
    """Citation of each built-in programme."""
    sources = dict.fromkeys(hallmarks(), HALLMARK_SOURCE)
    sources["MAPK_OUTPUT_MPAS"] = MPAS_SOURCE
    for name, signature in literature_signatures().items():
        sources[name] = signature.citation()
    return sources


def target_outputs(drug: str) -> list[PathwayOutput]:
    """The target-pathway outputs of a drug, chosen with the knowledge base's pathway graph."""
    from oncoresist import kb

    base = kb.load_kb()
    targets = tuple(base.drug(drug).targets)
    graph = base.graph
    downstream = graph.downstream_of(targets) | set(targets)
    tagged = {p for t in targets for p in graph.pathways.get(t, ())}
    return [
        out
        for out in PATHWAY_OUTPUTS
        if out.pathway in tagged and downstream & set(out.effectors)
    ]
