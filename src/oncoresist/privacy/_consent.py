"""GA4GH Data Use Ontology (DUO) consent codes and the check of an analysis against them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from oncoresist._core.exceptions import InputError, OncoresistError

# Shorthand -> (DUO id, label), from the DUO release (github.com/EBISPOT/DUO, duo.csv).
PERMISSIONS = {
    "NRES": ("DUO:0000004", "no restriction"),
    "GRU": ("DUO:0000042", "general research use"),
    "HMB": ("DUO:0000006", "health or medical or biomedical research"),
    "DS": ("DUO:0000007", "disease specific research"),
    "POA": ("DUO:0000011", "population origins or ancestry research only"),
}
MODIFIERS = {
    "NCU": ("DUO:0000046", "non-commercial use only"),
    "NPU": ("DUO:0000045", "not-for-profit organisation use only"),
    "NPUNCU": ("DUO:0000018", "not-for-profit, non-commercial use only"),
    "NMDS": ("DUO:0000015", "no general methods research"),
    "NPOA": ("DUO:0000044", "population origins or ancestry research prohibited"),
    "GSO": ("DUO:0000016", "genetic studies only"),
    "RS": ("DUO:0000012", "research specific restrictions"),
    "CC": ("DUO:0000043", "clinical care use"),
}
# Conditions a program cannot verify; they are reported as obligations of the user.
REQUIREMENTS = {
    "IRB": ("DUO:0000021", "ethics approval required"),
    "PUB": ("DUO:0000019", "publication required"),
    "COL": ("DUO:0000020", "collaboration required"),
    "GS": ("DUO:0000022", "geographical restriction"),
    "MOR": ("DUO:0000024", "publication moratorium"),
    "TS": ("DUO:0000025", "time limit on use"),
    "US": ("DUO:0000026", "user specific restriction"),
    "PS": ("DUO:0000027", "project specific restriction"),
    "IS": ("DUO:0000028", "institution specific restriction"),
    "RTN": ("DUO:0000029", "return to database or resource"),
}
_BY_ID = {duo: short for table in (PERMISSIONS, MODIFIERS, REQUIREMENTS)
          for short, (duo, _) in table.items()}

PURPOSES = ("disease", "biomedical", "methods", "ancestry", "general", "clinical_care")

_SYNONYMS = {
    "nsclc": "non-small cell lung cancer", "sclc": "small cell lung cancer",
    "luad": "lung adenocarcinoma", "lusc": "lung squamous cell carcinoma",
    "crc": "colorectal cancer", "cml": "chronic myeloid leukemia",
    "aml": "acute myeloid leukemia", "gist": "gastrointestinal stromal tumor",
    "brca": "breast cancer", "mm": "multiple myeloma",
}


class ConsentError(OncoresistError, PermissionError):
    """An analysis falls outside what the patients consented to."""


def normalise_disease(text: str) -> str:
    name = re.sub(r"\s+", " ", str(text).strip().lower().replace("_", " "))
    return _SYNONYMS.get(name, name)


def disease_within(asked: str, consented: str) -> bool:
    """Is research on ``asked`` research on ``consented`` (the same disease or a subtype)?

    Ontology ids (``MONDO:...``) match only exactly. Names go through the knowledge base's
    disease hierarchy (:func:`oncoresist.kb.disease_within`), so a DS-NSCLC consent covers lung
    adenocarcinoma; a broader question (lung cancer) is never within a narrower consent.
    """
    from oncoresist.kb import disease_within as within_hierarchy

    a, c = normalise_disease(asked), normalise_disease(consented)
    if a == c:
        return True
    if ":" in a or ":" in c:
        return False
    return within_hierarchy(a, c)


@dataclass(frozen=True)
class ConsentScope:
    """What one patient agreed to, as DUO codes.

    Attributes
    ----------
    permission
        The primary code: NRES, GRU, HMB, DS or POA.
    disease
        The disease of a DS code (``DS-lung cancer``).
    modifiers
        Modifier codes (NCU, NPU, NPUNCU, NMDS, NPOA, GSO, CC, RS).
    research_types
        The research types of an RS code (``RS-pediatric``).
    requirements
        Conditions on the user (IRB, PUB, COL, GS, MOR, TS, US, PS, IS, RTN).
    """

    permission: str
    disease: str | None = None
    modifiers: tuple[str, ...] = ()
    research_types: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes in their written form, primary first."""
        primary = f"DS-{self.disease}" if self.permission == "DS" else self.permission
        rs = tuple(f"RS-{t}" for t in self.research_types)
        return (primary, *self.modifiers, *rs, *self.requirements)

    def __str__(self) -> str:
        return ", ".join(self.codes)

    @property
    def duo_ids(self) -> tuple[str, ...]:
        """The DUO term ids of the codes."""
        ids = [PERMISSIONS[self.permission][0]]
        ids += [MODIFIERS[m][0] for m in self.modifiers]
        ids += [MODIFIERS["RS"][0]] * len(self.research_types)
        ids += [REQUIREMENTS[r.split("-", 1)[0]][0] for r in self.requirements]
        return tuple(ids)


@dataclass(frozen=True)
class DataUse:
    """What an analysis is for, and by whom.

    Attributes
    ----------
    purpose
        ``disease`` (research on ``disease``), ``biomedical`` (health or medical research not
        tied to one disease), ``methods`` (methods development), ``ancestry`` (population
        origins), ``general`` (other biological research) or ``clinical_care``.
    disease
        The disease studied (for ``disease``, and for ``methods`` under a DS consent).
    commercial
        The use is commercial.
    for_profit
        The user is a for-profit organisation.
    genetic
        The analysis is a genetic study (every oncoresist analysis is).
    research_type
        The research type, checked against RS codes.
    """

    purpose: str = "disease"
    disease: str | None = None
    commercial: bool = False
    for_profit: bool = False
    genetic: bool = True
    research_type: str | None = None

    def __post_init__(self) -> None:
        if self.purpose not in PURPOSES:
            msg = f"purpose must be one of {', '.join(PURPOSES)}; got {self.purpose!r}"
            raise InputError(msg, field="purpose")

    def describe(self) -> str:
        """One line for messages and the audit log."""
        what = {"disease": f"research on {self.disease}" if self.disease else "cancer research "
                "not limited to one disease", "biomedical": "biomedical research",
                "methods": "methods development", "ancestry": "population origins research",
                "general": "general research", "clinical_care": "clinical care"}[self.purpose]
        extra = [w for w, flag in (("commercial", self.commercial),
                                   ("by a for-profit organisation", self.for_profit)) if flag]
        return what + (" (" + ", ".join(extra) + ")" if extra else "")


@dataclass(frozen=True)
class ConsentDecision:
    """The outcome of checking one analysis against one consent scope."""

    allowed: bool
    reasons: tuple[str, ...] = ()
    obligations: tuple[str, ...] = ()
    scope: ConsentScope | None = None
    use: DataUse = field(default_factory=DataUse)


def parse_scope(codes) -> ConsentScope:
    if isinstance(codes, ConsentScope):
        return codes
    if codes is None:
        msg = ("no consent scope recorded; give the case a consent field with GA4GH DUO codes, "
               "e.g. consent: [GRU] or [DS-lung cancer, NCU]")
        raise InputError(msg, field="consent")
    items = re.split(r"[;,]", codes) if isinstance(codes, str) else list(codes)
    permission, disease, modifiers, rs, requirements = None, None, [], [], []
    for raw in items:
        text = str(raw).strip()
        if not text:
            continue
        upper = text.upper()
        if upper in _BY_ID:
            upper = text = _BY_ID[upper]
        head, _, tail = text.partition("-") if "-" in text and not upper.startswith("NPU") else (text, "", "")
        head_upper = head.strip().upper()
        if upper in ("GRU-CC", "HMB-CC"):
            head_upper, tail = upper[:3], ""
            modifiers.append("CC")
        if head_upper in PERMISSIONS:
            if permission is not None:
                msg = (f"consent has two primary codes ({permission} and {head_upper}); a case "
                       "has one of NRES, GRU, HMB, DS-<disease>, POA")
                raise InputError(msg, field="consent")
            permission = head_upper
            if head_upper == "DS":
                disease = tail.strip()
                if not disease:
                    msg = "DS needs its disease: write DS-<disease>, e.g. DS-lung cancer"
                    raise InputError(msg, field="consent")
            elif tail:
                msg = f"consent code {text!r}: only DS and RS take a suffix"
                raise InputError(msg, field="consent")
        elif head_upper == "RS" and tail.strip():
            rs.append(tail.strip())
        elif head_upper == "GS" and tail.strip():
            requirements.append(f"GS-{tail.strip()}")
        elif upper in MODIFIERS:
            modifiers.append(upper)
        elif upper in REQUIREMENTS:
            requirements.append(upper)
        else:
            known = ", ".join([*PERMISSIONS, *MODIFIERS, *REQUIREMENTS])
            msg = f"unknown consent code {text!r}; use GA4GH DUO shorthands ({known}) or DUO ids"
            raise InputError(msg, field="consent")
    if permission is None:
        msg = ("consent has no primary code; add one of NRES, GRU, HMB, DS-<disease>, POA "
               f"(got {', '.join(map(str, items)) or 'nothing'})")
        raise InputError(msg, field="consent")
    return ConsentScope(permission, disease, tuple(dict.fromkeys(modifiers)), tuple(rs),
                        tuple(dict.fromkeys(requirements)))


def decide(scope: ConsentScope, use: DataUse) -> ConsentDecision:
    reasons = []
    p = scope.permission
    purpose = use.purpose
    if purpose == "clinical_care":
        if "CC" not in scope.modifiers and p != "NRES":
            reasons.append("clinical care use is not consented (no CC code)")
    elif p == "POA":
        if purpose != "ancestry":
            reasons.append("consent is limited to population origins or ancestry research")
    elif p == "HMB":
        if purpose in ("ancestry", "general"):
            reasons.append("HMB covers health/medical/biomedical research only, "
                           f"not {use.describe()}")
    elif p == "DS":
        if purpose in ("ancestry", "general"):
            reasons.append(f"DS-{scope.disease} covers research on {scope.disease} only")
        elif not use.disease or not disease_within(use.disease, scope.disease):
            reasons.append(f"DS-{scope.disease} covers research on {scope.disease} only, "
                           f"not {use.describe()}")
    if purpose == "methods" and "NMDS" in scope.modifiers:
        reasons.append("NMDS: no general methods research")
    if purpose == "ancestry" and "NPOA" in scope.modifiers:
        reasons.append("NPOA: population origins or ancestry research prohibited")
    if use.commercial and ({"NCU", "NPUNCU"} & set(scope.modifiers)):
        reasons.append("non-commercial use only")
    if use.for_profit and ({"NPU", "NPUNCU"} & set(scope.modifiers)):
        reasons.append("not-for-profit organisations only")
    if not use.genetic and "GSO" in scope.modifiers:
        reasons.append("GSO: genetic studies only")
    if scope.research_types and (use.research_type is None or use.research_type.lower()
                                 not in {t.lower() for t in scope.research_types}):
        reasons.append("RS: limited to " + ", ".join(scope.research_types) + " research")
    obligations = tuple(f"{r} ({REQUIREMENTS[r.split('-', 1)[0]][1]})" for r in scope.requirements)
    return ConsentDecision(not reasons, tuple(reasons), obligations, scope, use)
