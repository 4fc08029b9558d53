"""Gene programmes: MSigDB Hallmarks, the MAPK output score genes, and the drug's target outputs.

Every list here comes from a cited source; nothing is invented:

- Hallmarks: MSigDB Hallmark gene sets v7.5.1 (Liberzon et al. 2015, Cell Systems 1:417;
  Subramanian et al. 2005, PNAS 102:15545), CC BY 4.0, shipped as ``data/hallmark_v7.5.1.symbols.gmt``.
- MAPK output: the ten genes of the MAPK Pathway Activity Score (MPAS; Wagle et al. 2018,
  npj Precision Oncology 2:7, doi:10.1038/s41698-018-0051-4).

Drug-tolerant persister and resistance-state signatures from the literature enter through
``LITERATURE_SIGNATURES`` (a ``LiteratureSignature`` per list: paper, DOI or PMID, where the genes
come from, the cell system, a confidence level and how the list was checked). An entry is added
only after its gene list has been checked gene by gene against its sources, and
``tests/sc/test_signatures.py`` holds the same list as written in the sources beside their
references. Shipped, all with confidence "medium" (the papers' own tables were not retrieved):

- the melanoma MITF and AXL programmes of Tirosh et al. 2016 (Science 352:189,
  doi:10.1126/science.aad0501): the Bioconductor package signifinder and three analysis scripts
  agree gene by gene (up to HGNC renames);
- the pan-cancer malignant-cell stress (MP5, MP7) and EMT (MP12-MP15) meta-programmes of Gavish et
  al. 2023 (Nature 618:598, doi:10.1038/s41586-023-06130-4): the authors' repository and a copy
  of the authors' website table agree gene by gene.

The other candidates checked on 2026-11-30 and why each was left out are in ``docs/sc.md``.

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


# Verified literature signatures. Each list is copied in the order and with the symbols of its
# sources (the symbols of the paper's time: the bundled PC9 data and the references of that era
# use them); symbols renamed by HGNC since then are named in ``verified``. Candidates left out
# and why: docs/sc.md, "Drug-tolerant persister signatures".
_TIROSH2016_SOURCES = (
    "checked 2026-11-30 gene by gene, same genes in the same order, against four public "
    "sources: (1) Bioconductor package signifinder, CaluraLab/signifinder R/sysdata.rda object "
    "State_Tirosh (commit 72b3918e4db764123f0d1410a086d16b4b8b0e54; its signatureTable cites "
    "'Tirosh I. et al. Science (2016)'; it states the lists were taken manually from the "
    "original work and keeps only genes with an Entrez id, with current HGNC symbols); "
    "(2)-(4) three analysis scripts in the public-GitHub index (file ids 44892303087, "
    "1272275953, 29957264940; repository names not returned by the index), which give the "
    "lists with the paper-era symbols, identically to each other. signifinder is independent "
    "of the scripts (own curation, current symbols); whether the scripts copied each other "
    "could not be established. The paper's own supplementary table was not retrieved, hence "
    "confidence medium"
)
TIROSH2016_MITF_PROGRAM = LiteratureSignature(
    name="TIROSH2016_MITF_PROGRAM",
    genes=(
        "MITF", "TYR", "PMEL", "PLP1", "GPR143", "MLANA", "STX7", "IRF4", "ERBB3", "CDH1",
        "GPNMB", "IGSF11", "SLC24A5", "SLC45A2", "RAP2B", "ASAH1", "MYO10", "GRN", "DOCK10",
        "ACSL3", "SORT1", "QPCT", "S100B", "MYC", "LZTS1", "GYG2", "SDCBP", "LOXL4", "ETV5",
        "C1orf85", "HMCN1", "OSTM1", "ALDH7A1", "FOSB", "RAB38", "ELOVL2", "MLPH", "PLK2",
        "CHL1", "RDH11", "LINC00473", "RELL1", "C21orf91", "SCAMP3", "SGK3", "ABCB5", "SLC7A5",
        "SIRPA", "WDR91", "PIGS", "CYP27A1", "TM7SF3", "PTPRZ1", "CNDP2", "CTSK", "BNC2",
        "TOB1", "CELF2", "ROPN1", "TMEM98", "CTSA", "LIMA1", "CD99", "IGSF8", "FDFT1", "CPNE3",
        "SLC35B4", "EIF3E", "TNFRSF14", "VAT1", "HPS5", "CDK2", "CAPN3", "SUSD5", "ADSL",
        "PIGY", "PON2", "SLC19A1", "KLF6", "MAGED1", "ERGIC3", "PIR", "SLC25A5", "JUN",
        "ARPC1B", "SLC19A2", "AKR7A2", "HPGD", "TBC1D7", "TFAP2A", "PTPLAD1", "SNCA", "GNPTAB",
        "DNAJA4", "APOE", "MTMR2", "ATP6V1B2", "C16orf62", "EXOSC4", "STAM",
    ),
    authors="Tirosh I, Izar B, Prakadan SM, et al.",
    year=2016,
    journal="Science 352:189-196",
    identifier="doi:10.1126/science.aad0501",
    location=(
        "MITF programme (100 genes, MITF first) of the paper's malignant-cell analysis, as "
        "distributed by the sources named in 'verified'; the paper's table number was not "
        "retrieved"
    ),
    cell_system="malignant cells in scRNA-seq of melanoma tumours from 19 patients",
    confidence="medium",
    verified=(
        _TIROSH2016_SOURCES + ". Symbols renamed by HGNC since (signifinder's current form): "
        "C1orf85 -> GLMP, PTPLAD1 -> HACD3, C16orf62 -> VPS35L"
    ),
)
TIROSH2016_AXL_PROGRAM = LiteratureSignature(
    name="TIROSH2016_AXL_PROGRAM",
    genes=(
        "ANGPTL4", "FSTL3", "GPC1", "TMSB10", "SH3BGRL3", "PLAUR", "NGFR", "SEC14L2", "FOSL1",
        "SERPINE1", "IGFBP3", "TNFRSF12A", "GBE1", "AXL", "PHLDA2", "MAP1B", "GEM", "SLC22A4",
        "TYMP", "TREM1", "RIN1", "S100A4", "COL6A2", "FAM46A", "CITED1", "S100A10", "UCN2",
        "SPHK1", "TRIML2", "S100A6", "TMEM45A", "CDKN1A", "UBE2C", "ERO1L", "SLC16A6", "CHI3L1",
        "FN1", "S100A16", "CRIP1", "SLC25A37", "LCN2", "ENO2", "PFKFB4", "SLC16A3", "DBNDD2",
        "LOXL2", "CFB", "CADM1", "LTBP3", "CD109", "AIM2", "TCN1", "STRA6", "C9orf89", "DDR1",
        "TBC1D8", "METTL7B", "GADD45A", "UPP1", "SPATA13", "GLRX", "PPFIBP1", "PMAIP1",
        "COL6A1", "JMJD6", "CIB1", "HPCAL1", "MT2A", "ZCCHC6", "IL8", "TRIM47", "SESN2",
        "PVRL2", "DRAP1", "MTHFD2", "SDC4", "NNMT", "PPL", "TIMP1", "RHOC", "GNB2", "PDXK",
        "CTNNA1", "CD52", "SLC2A1", "BACH1", "ARHGEF2", "UBE2J1", "CD82", "ZYX", "P4HA2",
        "PEA15", "GLRX2", "HAPLN3", "RAB36", "SOD2", "ESYT2", "IL18BP", "FGFRL1", "PLEC",
    ),
    authors="Tirosh I, Izar B, Prakadan SM, et al.",
    year=2016,
    journal="Science 352:189-196",
    identifier="doi:10.1126/science.aad0501",
    location=(
        "AXL programme (100 genes; the drug-resistance-associated AXL-high/MITF-low state) of "
        "the paper's malignant-cell analysis, as distributed by the sources named in "
        "'verified'; the paper's table number was not retrieved"
    ),
    cell_system="malignant cells in scRNA-seq of melanoma tumours from 19 patients",
    confidence="medium",
    verified=(
        _TIROSH2016_SOURCES + ". Symbols renamed by HGNC since (signifinder's current form): "
        "FAM46A -> TENT5A, ERO1L -> ERO1A, C9orf89 -> CARD19, METTL7B -> TMT1B, "
        "ZCCHC6 -> TUT7, IL8 -> CXCL8, PVRL2 -> NECTIN2"
    ),
)

_GAVISH2023_SOURCES = (
    "checked 2026-11-30 gene by gene, same 50 genes in the same order, in two copies of the "
    "authors' own release: (1) the authors' repository tiroshlab/3ca, "
    "ITH_hallmarks/MPs_distribution/MP_list.RDS.gz, element Cancer (commit "
    "21a784103528cdf15008761f9669e2025159d6d2; its README: code for reproducing the analysis in "
    "Gavish et al.), read with an RDS parser written for the check; (2) the 3CA website's "
    "meta-programme workbook as copied into pautorren/hysteresis_project, meta_programs.xlsx, "
    "sheet Malignant (commit 59f1e25cdaadc8f79b3e97f7eedb012fdeee16ea; that repository names no "
    "paper, the meta-programme names identify it). All 41 malignant meta-programmes agree "
    "between the two. Both derive from the authors, so they are not independent transcriptions; "
    "the paper's supplementary table itself was not retrieved, hence confidence medium. "
    "Other symbols are kept as written (not updated to later HGNC renames). Normalisation: "
    "open-reading-frame symbols written in capitals by the sources are given in HGNC form"
)


def _gavish2023(name: str, mp: str, title: str, renamed: str, *, genes: tuple[str, ...]
                ) -> LiteratureSignature:
    """One Gavish et al. 2023 malignant-cell meta-programme (all share paper and sources)."""
    return LiteratureSignature(
        name=name,
        genes=genes,
        authors="Gavish A, Tyler M, Greenwald AC, et al.",
        year=2023,
        journal="Nature 618:598-606",
        identifier="doi:10.1038/s41586-023-06130-4",
        location=(
            f"malignant-cell meta-programme {mp} '{title}' (50 genes, in the authors' order), "
            "as released by the authors (sources in 'verified'); the paper's table number was "
            "not retrieved"
        ),
        cell_system=(
            "malignant cells in scRNA-seq of 1,163 tumour samples of 24 tumour types from 77 "
            "studies"
        ),
        confidence="medium",
        verified=f"{_GAVISH2023_SOURCES} ({renamed})",
    )


GAVISH2023_MP5_STRESS = _gavish2023(
    "GAVISH2023_MP5_STRESS", "MP5", "Stress", "none in this list",
    genes=(
        "ATF3", "EGR1", "FOS", "PPP1R15A", "JUN", "DUSP1", "JUNB", "FOSB", "IER2", "GADD45B",
        "BTG2", "ZFP36", "DNAJB1", "NR4A1", "SERTAD1", "DDIT3", "KLF6", "NFKBIA", "HSPA1A",
        "HSPA1B", "CYR61", "MAFF", "NFKBIZ", "IER3", "CCNL1", "MCL1", "RHOB", "SOCS3", "IRF1",
        "CDKN1A", "HES1", "ID2", "KLF4", "KLF10", "CXCL2", "ID1", "TOB1", "TRIB1", "HSPH1",
        "RASD1", "SAT1", "DDIT4", "EGR2", "HERPUD1", "PLK2", "DNAJA1", "HSPA6", "PMAIP1", "CITED2",
        "ID3",
    ),
)
GAVISH2023_MP7_STRESS_IN_VITRO = _gavish2023(
    "GAVISH2023_MP7_STRESS_IN_VITRO", "MP7", "Stress (in vitro)", "C6ORF48 -> C6orf48",
    genes=(
        "DDIT3", "SLC3A2", "TRIB3", "ASNS", "HERPUD1", "PPP1R15A", "EPB41L4A-AS1", "SNHG12",
        "GARS", "GADD45A", "MTHFD2", "XBP1", "CEBPG", "TAF1D", "NUPR1", "SARS", "SNHG8", "ZFAS1",
        "DDIT4", "PHGDH", "SHMT2", "TXNIP", "ATF4", "HSPA5", "GDF15", "CARS", "MAP1LC3B", "SQSTM1",
        "YARS", "DNAJB9", "PSAT1", "GADD45B", "ATF3", "SNHG15", "RSRC2", "CEBPB", "ARF4", "EIF1B",
        "OSER1", "BTG1", "SNHG7", "WARS", "ZFAND2A", "C6orf48", "STC2", "ZNF622", "HSPA9", "PDRG1",
        "UPP1", "CCDC174",
    ),
)
GAVISH2023_MP12_EMT_I = _gavish2023(
    "GAVISH2023_MP12_EMT_I", "MP12", "EMT-I", "none in this list",
    genes=(
        "COL1A2", "SPARC", "COL1A1", "COL3A1", "IGFBP7", "TAGLN", "C1S", "FN1", "MGP", "TIMP1",
        "TIMP3", "BGN", "C1R", "VIM", "COL6A2", "COL4A2", "COL6A1", "MMP2", "DCN", "COL4A1",
        "FSTL1", "NNMT", "TPM1", "TSC22D3", "CCDC80", "CTGF", "CXCL12", "ID3", "LUM", "MYL9",
        "PRSS23", "TGFBI", "TPM2", "CAV1", "CYR61", "IGFBP5", "LGALS1", "SPARCL1", "A2M", "ACTA2",
        "CALD1", "COL6A3", "CTSK", "FBLN1", "IGFBP4", "POSTN", "RARRES2", "SERPING1", "SNAI2",
        "TCF4",
    ),
)
GAVISH2023_MP13_EMT_II = _gavish2023(
    "GAVISH2023_MP13_EMT_II", "MP13", "EMT-II", "C15ORF48 -> C15orf48",
    genes=(
        "LAMC2", "LAMB3", "LAMA3", "EMP3", "TGFBI", "TNFRSF12A", "FLNA", "PLAU", "PMEPA1", "CAV1",
        "KRT17", "PRSS23", "LGALS1", "VIM", "S100A2", "COL17A1", "FSTL3", "CST6", "IL32", "PDLIM7",
        "SERPINE1", "ANXA3", "IGFBP7", "DCBLD2", "F3", "MT2A", "TNC", "ITGB6", "KRT7", "PLAUR",
        "PRKCDBP", "SERPINE2", "ITGB1", "RBP1", "ITGA3", "CDKN1A", "THBS1", "FN1", "MMP7", "TGM2",
        "C15orf48", "ITGA6", "PTHLH", "TPM1", "CDA", "IGFBP6", "PDPN", "RHOD", "INHBA", "ITGAV",
    ),
)
GAVISH2023_MP14_EMT_III = _gavish2023(
    "GAVISH2023_MP14_EMT_III", "MP14", "EMT-III", "C19ORF33 -> C19orf33",
    genes=(
        "ANXA2", "KRT19", "S100A6", "TNFRSF12A", "KRT7", "LGALS1", "ANXA1", "TM4SF1", "S100A10",
        "LGALS3", "S100A16", "TAGLN2", "LMNA", "CRIP1", "EZR", "KRT18", "S100A11", "S100A4",
        "EMP3", "HSPB1", "KRT8", "TUBA1A", "VIM", "IL32", "KLF6", "ANXA3", "SH3BGRL3", "TMSB4X",
        "C19orf33", "CKB", "CLIC1", "EMP1", "IFI27", "ISG15", "MDK", "MMP7", "PHLDA2", "PLP2",
        "CLDN4", "MYADM", "RHOC", "S100A14", "CD24", "CRIP2", "MYL12A", "RAB11FIP1", "S100P",
        "STMN1", "FXYD3", "FLNA",
    ),
)
GAVISH2023_MP15_EMT_IV = _gavish2023(
    "GAVISH2023_MP15_EMT_IV", "MP15", "EMT IV", "C12ORF75 -> C12orf75, C6ORF48 -> C6orf48",
    genes=(
        "KRT15", "CXCL14", "ALDH3A1", "DAPL1", "DST", "CCL2", "TXNIP", "C12orf75", "COL17A1",
        "DCN", "HOPX", "MOXD1", "SDCBP", "SEPP1", "THBS2", "TIMP1", "ASS1", "GLUL", "NFIB",
        "NTRK2", "SERPINH1", "SOX4", "ANTXR1", "C1R", "C1S", "C6orf48", "CAV1", "FTH1", "IGFBP5",
        "NCOA7", "NINJ1", "PNRC1", "SERPINE2", "SERPINF1", "SLC47A2", "SNAI2", "SOCS3", "SPARC",
        "TSC22D1", "ASPN", "LTF", "SFRP1", "TP53AIP1", "CD74", "EGR1", "BCAM", "SESN3", "IFITM1",
        "HTRA1", "IFIT3",
    ),
)
LITERATURE_SIGNATURES: tuple[LiteratureSignature, ...] = (
    TIROSH2016_MITF_PROGRAM,
    TIROSH2016_AXL_PROGRAM,
    GAVISH2023_MP5_STRESS,
    GAVISH2023_MP7_STRESS_IN_VITRO,
    GAVISH2023_MP12_EMT_I,
    GAVISH2023_MP13_EMT_II,
    GAVISH2023_MP14_EMT_III,
    GAVISH2023_MP15_EMT_IV,
)


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
