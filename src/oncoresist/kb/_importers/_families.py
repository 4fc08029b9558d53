"""Drug families as the sources write them, expanded to drugs of drugs.yaml by target.

CGI writes families ("EGFR inhibitor 1st gen", "[BRAF inhibitor]"); CIViC uses NCI Thesaurus
class terms as drug names ("Epidermal Growth Factor Receptor Tyrosine Kinase Inhibitor",
"Anti-EGFR Monoclonal Antibody"). Each maps to (targets, modality or None, generation or None)
and is expanded to the drugs whose primary (first) target is one of the targets, so that the
mapping does not depend on how the curated classes are worded and multi-kinase drugs that list
the target among many stay out.
"""

from __future__ import annotations

import re

from oncoresist.kb._drugs import DrugIndex

FAMILIES: dict[str, tuple[tuple[str, ...], str | None, int | None]] = {
    "braf inhibitor": (("BRAF",), "small molecule", None),
    "mek inhibitor": (("MAP2K1", "MAP2K2"), "small molecule", None),
    "egfr mab inhibitor": (("EGFR",), "antibody", None),
    "egfr tk inhibitor": (("EGFR",), "small molecule", None),
    "egfr inhibitor": (("EGFR",), "small molecule", None),
    "egfr inhibitor 1st gen": (("EGFR",), "small molecule", 1),
    "egfr inhibitor 2nd gen": (("EGFR",), "small molecule", 2),
    "egfr inhibitor 3rd gen": (("EGFR",), "small molecule", 3),
    "3rd generation egfr inhibitor": (("EGFR",), "small molecule", 3),
    "erbb2 inhibitor": (("ERBB2",), "small molecule", None),
    "erbb2 mab inhibitor": (("ERBB2",), "antibody", None),
    "alk inhibitor": (("ALK",), "small molecule", None),
    "bcr-abl inhibitor 2nd gen": (("ABL1",), "small molecule", 2),
    "fgfr inhibitor": (("FGFR1", "FGFR2", "FGFR3", "FGFR4"), "small molecule", None),
    "smo inhibitor": (("SMO",), None, None),
    "shh inhibitor": (("SMO",), None, None),
    "pd1 inhibitor": (("PDCD1",), None, None),
    "pd1 ab inhibitor": (("PDCD1",), None, None),
    "esr1 inhibitor": (("ESR1",), None, None),
    "mtor inhibitor": (("MTOR",), None, None),
    "pi3k pathway inhibitor": (("PIK3CA", "PIK3CB", "PIK3CD", "AKT1", "MTOR"), None, None),
    "ezh2 inhibitor": (("EZH2",), None, None),
    "bet inhibitor": (("BRD4",), None, None),
    "mdm2 inhibitor": (("MDM2",), None, None),
    "tankyrase inhibitor": (("TNKS", "TNKS2"), None, None),
    "btk inhibitor": (("BTK",), None, None),
    "cdk4/cdk6 inhibitor": (("CDK4", "CDK6"), None, None),
}

# NCI Thesaurus class terms CIViC uses in its drug column.
FAMILIES.update(
    {
        "epidermal growth factor receptor tyrosine kinase inhibitor": (
            ("EGFR",),
            "small molecule",
            None,
        ),
        "anti-egfr monoclonal antibody": (("EGFR",), "antibody", None),
        "anti-vegf monoclonal antibody": (("VEGFA",), "antibody", None),
        "anti-pd-l1 monoclonal antibody": (("CD274",), None, None),
        "anti-ctla-4 monoclonal antibody": (("CTLA4",), None, None),
    }
)


def family_members(family: str, drugs: DrugIndex) -> tuple[str, ...]:
    """Canonical names of the drugs of a family (a curated class name works too)."""
    name = family.strip()
    klass = drugs.find_class(name)
    if klass:
        return drugs.class_members(klass)
    spec = FAMILIES.get(re.sub(r"\s+", " ", name.lower()))
    if spec is None:
        return ()
    targets, modality, generation = spec
    members = drugs.by_target(targets, modality=modality, generation=generation)
    return tuple(
        m for m in members if drugs.drugs[m].targets[:1] and drugs.drugs[m].targets[0] in targets
    )
