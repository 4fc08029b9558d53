"""Disease names: one spelling per disease, a small hierarchy, and CGI's tumour-type codes.

The hierarchy only needs to answer "does a rule about disease X apply to a question about Y?":
a rule applies when its disease is the same as, broader than or narrower than the one asked
about, or when it is pan-cancer (no disease).
"""

from __future__ import annotations

import re

# canonical name -> parent (None: a root)
_PARENT: dict[str, str | None] = {
    "lung cancer": None,
    "non-small cell lung cancer": "lung cancer",
    "lung adenocarcinoma": "non-small cell lung cancer",
    "lung squamous cell carcinoma": "non-small cell lung cancer",
    "small cell lung cancer": "lung cancer",
    "colorectal cancer": None,
    "colon cancer": "colorectal cancer",
    "rectal cancer": "colorectal cancer",
    "melanoma": None,
    "cutaneous melanoma": "melanoma",
    "uveal melanoma": "melanoma",
    "breast cancer": None,
    "her2-positive breast cancer": "breast cancer",
    "estrogen receptor-positive breast cancer": "breast cancer",
    "triple-negative breast cancer": "breast cancer",
    "leukemia": None,
    "myeloid leukemia": "leukemia",
    "chronic myeloid leukemia": "myeloid leukemia",
    "acute myeloid leukemia": "myeloid leukemia",
    "acute promyelocytic leukemia": "acute myeloid leukemia",
    "lymphoid leukemia": "leukemia",
    "acute lymphoblastic leukemia": "lymphoid leukemia",
    "b-cell acute lymphoblastic leukemia": "acute lymphoblastic leukemia",
    "t-cell acute lymphoblastic leukemia": "acute lymphoblastic leukemia",
    "chronic lymphocytic leukemia": "lymphoid leukemia",
    "gastrointestinal stromal tumor": None,
    "multiple myeloma": None,
    "prostate cancer": None,
    "ovarian cancer": None,
    "head and neck squamous cell carcinoma": None,
    "gastric cancer": None,
    "pancreatic cancer": None,
    "thyroid cancer": None,
    "medullary thyroid carcinoma": "thyroid cancer",
    "glioblastoma": None,
    "bladder cancer": None,
    "renal cell carcinoma": None,
    "neuroblastoma": None,
    "medulloblastoma": None,
    "mantle cell lymphoma": None,
    "basal cell carcinoma": None,
    "endometrial cancer": None,
}

# other spellings (CIViC, common usage) -> canonical name
_SYNONYMS = {
    "nsclc": "non-small cell lung cancer",
    "lung non-small cell carcinoma": "non-small cell lung cancer",
    "non small cell lung cancer": "non-small cell lung cancer",
    "non-small cell lung carcinoma": "non-small cell lung cancer",
    "luad": "lung adenocarcinoma",
    "lung squamous cell cancer": "lung squamous cell carcinoma",
    "lusc": "lung squamous cell carcinoma",
    "sclc": "small cell lung cancer",
    "lung small cell carcinoma": "small cell lung cancer",
    "crc": "colorectal cancer",
    "colorectal adenocarcinoma": "colorectal cancer",
    "colorectal carcinoma": "colorectal cancer",
    "skin melanoma": "cutaneous melanoma",
    "her2-receptor positive breast cancer": "her2-positive breast cancer",
    "her2 positive breast cancer": "her2-positive breast cancer",
    "estrogen-receptor positive breast cancer": "estrogen receptor-positive breast cancer",
    "er-positive breast cancer": "estrogen receptor-positive breast cancer",
    "breast carcinoma": "breast cancer",
    "breast adenocarcinoma": "breast cancer",
    "cml": "chronic myeloid leukemia",
    "aml": "acute myeloid leukemia",
    "all": "acute lymphoblastic leukemia",
    "cll": "chronic lymphocytic leukemia",
    "gist": "gastrointestinal stromal tumor",
    "myeloma": "multiple myeloma",
    "prostate adenocarcinoma": "prostate cancer",
    "gastric adenocarcinoma": "gastric cancer",
    "stomach carcinoma": "gastric cancer",
    "stomach cancer": "gastric cancer",
    "pancreatic adenocarcinoma": "pancreatic cancer",
    "thyroid gland medullary carcinoma": "medullary thyroid carcinoma",
    "glioblastoma multiforme": "glioblastoma",
    "hnscc": "head and neck squamous cell carcinoma",
    "urothelial carcinoma": "bladder cancer",
    "bladder carcinoma": "bladder cancer",
}

# Primary tumour type codes of the Cancer Genome Interpreter that occur in its resistance rows;
# codes whose meaning is not certain are kept as written (prefixed "CGI ") rather than guessed.
CGI_TUMOUR_TYPES = {
    "CANCER": None,
    "SOLID": None,
    "CM": "cutaneous melanoma",
    "COREAD": "colorectal cancer",
    "LUAD": "lung adenocarcinoma",
    "LUSC": "lung squamous cell carcinoma",
    "NSCLC": "non-small cell lung cancer",
    "BRCA": "breast cancer",
    # "L" rows are EGFR T790M/C797S and exon 20 insertions under EGFR inhibitors: lung.
    "L": "lung cancer",
    "ST": "gastric cancer",
    "ED": "endometrial cancer",
    "SM": "systemic mastocytosis",
    "HES": "hypereosinophilic syndrome",
    "LIP": "liposarcoma",
    "MDS": "myelodysplastic syndrome",
    "MGCT": "male germ cell tumor",
    "FGCT": "female germ cell tumor",
    "GIST": "gastrointestinal stromal tumor",
    # MYMA rows are about CRBN and lenalidomide/pomalidomide: myeloma.
    "MYMA": "multiple myeloma",
    "PRAD": "prostate cancer",
    "MB": "medulloblastoma",
    "CML": "chronic myeloid leukemia",
    "AML": "acute myeloid leukemia",
    "ALL": "acute lymphoblastic leukemia",
    "CLL": "chronic lymphocytic leukemia",
    "APML": "acute promyelocytic leukemia",
    "BLCA": "bladder cancer",
    "OV": "ovarian cancer",
    "NB": "neuroblastoma",
    "MCL": "mantle cell lymphoma",
    "THCA": "thyroid cancer",
    "BCC": "basal cell carcinoma",
    "GBM": "glioblastoma",
    "HNSC": "head and neck squamous cell carcinoma",
    "PAAD": "pancreatic cancer",
}

_PAN_CANCER = {"", "cancer", "solid tumor", "solid tumour", "pan-cancer", "any", "all cancers"}
_GENERIC = {"cancer", "carcinoma", "tumor", "tumour", "neoplasm", "malignant", "disease"}


def normalise_disease(text: str | None) -> str | None:
    """Canonical lower-case disease name; None for pan-cancer statements."""
    if text is None:
        return None
    name = re.sub(r"\s+", " ", text.strip().lower())
    if name in _PAN_CANCER:
        return None
    return _SYNONYMS.get(name, name)


def cgi_tumour_type(code: str) -> str | None:
    """Disease for a CGI primary tumour type code (None: pan-cancer)."""
    code = code.strip()
    if code in CGI_TUMOUR_TYPES:
        return CGI_TUMOUR_TYPES[code]
    return f"CGI {code}"


def _lineage(name: str) -> list[str]:
    out = [name]
    while _PARENT.get(out[-1]) is not None:
        out.append(_PARENT[out[-1]])
    return out


def _tokens(name: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", name)) - _GENERIC


def disease_applies(rule_disease: str | None, query: str | None) -> bool:
    """Does a rule about ``rule_disease`` apply to a question about ``query``?"""
    if query is None or rule_disease is None:
        return True
    asked = normalise_disease(query)
    if asked is None:
        return True
    rule = normalise_disease(rule_disease)
    if rule is None or rule == asked:
        return True
    if rule in _lineage(asked) or asked in _lineage(rule):
        return True
    asked_tokens, rule_tokens = _tokens(asked), _tokens(rule)
    if not asked_tokens or not rule_tokens:
        return False
    return asked_tokens <= rule_tokens or rule_tokens <= asked_tokens


def disease_within(asked: str | None, broader: str | None) -> bool:
    """Is ``asked`` the disease ``broader`` or a subtype of it (never a broader disease)?

    ``broader`` None or pan-cancer: any cancer is within it. ``asked`` None or pan-cancer is
    within a pan-cancer ``broader`` only. The hierarchy decides where it knows both names
    (lung adenocarcinoma is within non-small cell lung cancer); otherwise every word of
    ``broader`` must appear in ``asked`` (``EGFR-mutant lung cancer`` within ``lung cancer``).
    """
    wide = normalise_disease(broader)
    if wide is None:
        return True
    narrow = normalise_disease(asked)
    if narrow is None:
        return False
    if wide in _lineage(narrow):
        return True
    if narrow in _PARENT and wide in _PARENT:
        return False  # both known: the hierarchy has answered
    wide_tokens = _tokens(wide)
    return bool(wide_tokens) and wide_tokens <= _tokens(narrow)
