"""Gene symbols: common aliases mapped to HGNC-approved symbols.

The table is written by hand from the aliases that appear in resistance literature and in the
CIViC and CGI knowledge bases (e.g. CIViC's ``BCR-ABL``, CGI's ``VEGFR2``). It is not a copy of
the HGNC alias file: only names that people actually write for the genes oncoresist covers.
Symbols that are not in the table are upper-cased and returned unchanged, because HGNC symbols
are upper case (except ``orf`` in open-reading-frame names such as C15orf55).
"""

from __future__ import annotations

import re
from functools import lru_cache

from oncoresist._core.exceptions import ParseError

# alias (upper case, without spaces, hyphens and dots) -> HGNC symbol
_ALIASES: dict[str, str] = {
    # receptor tyrosine kinases
    "HER1": "EGFR", "ERBB1": "EGFR",
    "HER2": "ERBB2", "NEU": "ERBB2", "HER2NEU": "ERBB2",
    "HER3": "ERBB3", "HER4": "ERBB4",
    "CMET": "MET", "HGFR": "MET",
    "CKIT": "KIT", "CD117": "KIT",
    "CRET": "RET",
    "ROS": "ROS1",
    "TRKA": "NTRK1", "TRKB": "NTRK2", "TRKC": "NTRK3",
    "FLK2": "FLT3", "CD135": "FLT3",
    "VEGFR1": "FLT1", "VEGFR2": "KDR", "FLK1": "KDR", "VEGFR3": "FLT4",
    "PDGFRALPHA": "PDGFRA", "PDGFRBETA": "PDGFRB",
    "IGFR1": "IGF1R", "IGF1RECEPTOR": "IGF1R",
    "UFO": "AXL",
    # RAS-RAF-MEK-ERK
    "KRAS2": "KRAS", "KIRSTENRAS": "KRAS", "NRAS1": "NRAS", "HRAS1": "HRAS",
    "BRAF1": "BRAF", "CRAF": "RAF1", "ARAF1": "ARAF",
    "MEK1": "MAP2K1", "MEK2": "MAP2K2", "MAPKK1": "MAP2K1",
    "ERK1": "MAPK3", "ERK2": "MAPK1",
    # PI3K-AKT-mTOR
    "P110ALPHA": "PIK3CA", "P110A": "PIK3CA", "P85ALPHA": "PIK3R1",
    "AKT": "AKT1", "PKB": "AKT1", "MTOR": "MTOR", "FRAP1": "MTOR",
    "MMAC1": "PTEN", "TEP1": "PTEN", "LKB1": "STK11",
    # ABL, BTK, BCL2
    "ABL": "ABL1", "CABL": "ABL1", "CABL1": "ABL1", "ARG": "ABL2",
    "ATK": "BTK",
    "BIM": "BCL2L11", "BCLXL": "BCL2L1",
    # immune checkpoints
    "PDL1": "CD274", "B7H1": "CD274", "PD1": "PDCD1", "PDL2": "PDCD1LG2",
    "CTLA4": "CTLA4", "CD152": "CTLA4",
    # nuclear receptors, cell cycle, DNA repair
    "ER": "ESR1", "ERALPHA": "ESR1", "ERA": "ESR1", "NR3A1": "ESR1",
    "NR3C4": "AR", "ANDROGENRECEPTOR": "AR", "GR": "NR3C1",
    "P16": "CDKN2A", "P16INK4A": "CDKN2A", "INK4A": "CDKN2A", "P14ARF": "CDKN2A",
    "P15": "CDKN2B", "P21": "CDKN1A", "P27": "CDKN1B", "P53": "TP53",
    "CYCLIND1": "CCND1", "CYCLINE1": "CCNE1", "RB": "RB1",
    "MLL": "KMT2A", "MLL2": "KMT2D",
    "EMSY": "EMSY", "FANCD1": "BRCA2", "FANCS": "BRCA1",
    "CMYC": "MYC", "NMYC": "MYCN",
    "SHP2": "PTPN11",

    "HIF1": "HIF1A", "HIF1ALPHA": "HIF1A", "KI67": "MKI67",

}

# Symbols whose letters must stay lower case (C15orf55) keep their case after the check.
_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@\-\.]*$")
_STRIP = re.compile(r"[\s\-\._/]")


@lru_cache(maxsize=65536)
def normalise_gene_symbol(symbol: str) -> str:
    text = symbol.strip() if isinstance(symbol, str) else ""
    if not text:
        msg = (f"empty gene symbol {symbol!r}; give an HGNC symbol such as EGFR "
               "or a common alias such as HER2")
        raise ParseError(msg)
    if not _SYMBOL.match(text):
        msg = (f"gene symbol {symbol!r} contains characters a gene symbol cannot have; "
               "give an HGNC symbol such as EGFR")
        raise ParseError(msg)
    key = _STRIP.sub("", text).upper()
    if key in _ALIASES:
        return _ALIASES[key]
    if "ORF" in text.upper() and re.match(r"^C\d+ORF\d+$", text.upper()):
        return re.sub(r"(?i)orf", "orf", text.upper())
    return text.upper()


def is_alias(token: str) -> bool:
    """True when ``token`` (any case, with or without hyphens) is a known alias."""
    return _STRIP.sub("", token).upper() in _ALIASES


# Genes that are the biological driver of their fusions when they are the 5' partner
# (their kinase/ligand-binding/DNA-binding part is kept); used to choose `Alteration.gene`.
FIVE_PRIME_DRIVERS = frozenset({
    "FGFR1", "FGFR2", "FGFR3", "EGFR", "ESR1", "KMT2A", "TMPRSS2", "BRD4", "NOTCH1", "NOTCH2",
    "MYB", "CIC", "EWSR1", "FUS", "PAX3", "PAX8",
})
# Genes that are usually the 3' partner of their fusions (their kinase domain is kept).
THREE_PRIME_DRIVERS = frozenset({
    "ALK", "ROS1", "RET", "NTRK1", "NTRK2", "NTRK3", "ABL1", "ABL2", "PDGFRA", "PDGFRB", "PDGFB",
    "RARA", "BRAF", "RAF1", "NUTM1", "ERG", "ETV1", "ETV4", "ETV5", "MET", "NRG1", "FGFR4",
    "JAK2", "CRLF2", "AKT3", "ERBB4", "MAML2", "PRKACA", "FLT3", "KIT", "SYK", "LYN",
})
