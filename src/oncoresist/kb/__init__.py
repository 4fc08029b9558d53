"""The resistance knowledge base: drugs, pathways and resistance rules, and how to query them.

The knowledge base is compiled from curated YAML (``kb/data/*.yaml``) and two public releases
(CIViC 01-Aug-2021 and the Cancer Genome Interpreter biomarkers of 2017-02, both CC0) by
``oncoresist kb build``; the compiled file ships with the package and loads lazily, once.

Examples
--------
>>> from oncoresist import kb
>>> kb.get_drug("Imatinib Mesylate").name
'imatinib'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from oncoresist.kb import _disease
from oncoresist.kb._build import COMPILED_DIR, COMPILED_FILE, BuildResult, compile_kb
from oncoresist.kb._drugs import Drug
from oncoresist.kb._pathways import Derivation, PathwayGraph
from oncoresist.kb._query import KnowledgeBase, add_extra, read_compiled
from oncoresist.kb._rules import ResistanceRule, RuleSet

__all__ = [
    "BuildResult",
    "Derivation",
    "Drug",
    "KnowledgeBase",
    "PathwayGraph",
    "ResistanceRule",
    "RuleSet",
    "build_kb",
    "derive_mechanism",
    "disease_within",
    "get_drug",
    "known_genes",
    "load_kb",
    "mechanisms",
    "normalise_disease",
    "rules_for",
]

PathLike = str | os.PathLike[str]


def _extra_list(extra: PathLike | Iterable[PathLike] | None) -> list[PathLike]:
    if extra is None:
        return []
    if isinstance(extra, str | os.PathLike):
        return [extra]
    return list(extra)


def load_kb(
    extra: PathLike | Iterable[PathLike] | None = None, *, path: PathLike | None = None
) -> KnowledgeBase:
    """Load the compiled knowledge base, with a user's own rules on top.

    Loading is lazy and cached: the file is read once per process (again only if it changes),
    alterations are parsed per gene when first asked about, and the answers to repeated
    questions are cached.

    Parameters
    ----------
    extra
        One or more YAML files of rules in the curated schema (``--kb-extra``); they are
        validated (errors name the file, line, entry and field) and classified like curated
        rules.
    path
        A compiled ``kb.json`` other than the one shipped with the package.

    Returns
    -------
    KnowledgeBase
        The knowledge base; ``.version`` is its version, ``.info()`` its sources and counts.

    Examples
    --------
    >>> base = load_kb()
    >>> base.version.startswith("2026.11+")
    True
    >>> load_kb() is base
    True
    """
    compiled = Path(path) if path is not None else COMPILED_DIR / COMPILED_FILE
    base = read_compiled(compiled)
    return add_extra(base, _extra_list(extra))


def get_drug(name: str, *, extra: PathLike | Iterable[PathLike] | None = None) -> Drug:
    """The drug known by ``name``: canonical name, any synonym, brand, code or salt name.

    Parameters
    ----------
    name
        Any name of the drug; case, spacing, hyphens and salt words do not matter.
    extra
        User rule files (see :func:`load_kb`).

    Returns
    -------
    Drug
        Canonical name, synonyms, class, generation, modality and targets.

    Raises
    ------
    InputError
        The name is not known; the message suggests close names.

    Examples
    --------
    >>> get_drug("Imatinib Mesylate").name
    'imatinib'
    >>> get_drug("STI-571") == get_drug("Gleevec") == get_drug("imatinib")
    True
    >>> get_drug("AZD9291").targets
    ('EGFR',)
    """
    return load_kb(extra).drug(name)


def rules_for(
    alteration: Any,
    drug: str | Drug | None = None,
    disease: str | None = None,
    *,
    include_specific: bool = False,
    extra: PathLike | Iterable[PathLike] | None = None,
) -> RuleSet:
    """Resistance rules that apply to an alteration, optionally for one drug and disease.

    A rule applies when its pattern is the same as or more general than the alteration
    (``KRAS G12X`` applies to ``KRAS G12D``), its disease is the same, broader, narrower or
    pan-cancer, and (when ``drug`` is given) the drug is among its drugs.

    Parameters
    ----------
    alteration
        A ``variants.Alteration`` or a text such as ``"EGFR T790M"``, ``"MET amplification"``.
    drug
        Any name of a drug, to keep only the rules about it.
    disease
        A disease name (``"non-small cell lung cancer"``, ``"NSCLC"``, ``"lung cancer"``).
    include_specific
        Also return rules more specific than ``alteration`` (for a pattern such as
        ``"KRAS G12X"``: the rules about G12C, G12D, ...).
    extra
        User rule files (see :func:`load_kb`).

    Returns
    -------
    RuleSet
        The rules, ordered by mechanism class then strength of evidence; ``.to_frame()``.

    Examples
    --------
    >>> found = rules_for("EGFR T790M", "erlotinib")
    >>> sorted({r.mechanism for r in found if r.effect == "resistance"})
    ['on-target']
    """
    return load_kb(extra).rules_for(alteration, drug, disease, include_specific=include_specific)


def mechanisms(
    drug: str | Drug,
    disease: str | None = None,
    *,
    extra: PathLike | Iterable[PathLike] | None = None,
) -> RuleSet:
    """Every known resistance mechanism for a drug, grouped by class with ``.by_mechanism()``.

    Parameters
    ----------
    drug
        Any name of the drug.
    disease
        Keep rules about this disease (or broader, narrower or pan-cancer ones).
    extra
        User rule files (see :func:`load_kb`).

    Returns
    -------
    RuleSet
        Rules with effect "resistance" or "reduced sensitivity", ordered by class and evidence.

    Examples
    --------
    >>> known = mechanisms("osimertinib", "non-small cell lung cancer")
    >>> {"on-target", "bypass"} <= set(known.by_mechanism())
    True
    """
    return load_kb(extra).mechanisms(drug, disease)


def derive_mechanism(
    alteration: Any,
    drug: str | Drug,
    *,
    extra: PathLike | Iterable[PathLike] | None = None,
) -> Derivation:
    """The mechanism class the pathway graph gives an alteration against a drug, and why.

    On-target: the gene is a target of the drug. Downstream: the gene lies downstream of a
    target, or regulates that cascade against the target's signal (NF1 -| RAS). Bypass: the
    gene acts on the cascade in parallel with the target, or reaches the target's effectors
    without passing through it (MET under EGFR inhibitors).

    Parameters
    ----------
    alteration
        A ``variants.Alteration`` or a text such as ``"MET amplification"``.
    drug
        Any name of the drug.
    extra
        User rule files (see :func:`load_kb`); they add rules, not drugs or graph edges.

    Returns
    -------
    Derivation
        ``.mechanism`` (or None when the graph cannot say) and ``.explanation`` (the path).

    Examples
    --------
    >>> derive_mechanism("EGFR T790M", "erlotinib").mechanism
    'on-target'
    >>> derive_mechanism("MET amplification", "osimertinib").mechanism
    'bypass'
    >>> derive_mechanism("KRAS G12D", "cetuximab").mechanism
    'downstream'
    """
    return load_kb(extra).derive(alteration, drug)


def normalise_disease(text: str | None) -> str | None:
    """The knowledge base's spelling of a disease name; None for a pan-cancer statement.

    Case and spacing do not matter; abbreviations and the spellings of CIViC and common usage
    map to one lower-case name (``NSCLC`` and ``Lung Non-small Cell Carcinoma`` are both
    ``non-small cell lung cancer``). A name the knowledge base does not list is returned
    lower-cased with single spaces, so that it can still be compared. This is the spelling
    :func:`rules_for` and :func:`mechanisms` report in their ``query["disease"]``.

    Parameters
    ----------
    text
        A disease name as people or knowledge bases write it, or None.

    Returns
    -------
    str or None
        The canonical name; None for None, an empty text or a pan-cancer word (``cancer``,
        ``solid tumor``, ``pan-cancer``).

    Examples
    --------
    >>> normalise_disease("NSCLC")
    'non-small cell lung cancer'
    >>> normalise_disease("  Lung Non-small Cell  Carcinoma ")
    'non-small cell lung cancer'
    >>> normalise_disease("Solid Tumor") is None
    True
    """
    return _disease.normalise_disease(text)


def disease_within(asked: str | None, broader: str | None) -> bool:
    """Is ``asked`` the disease ``broader`` or one of its subtypes?

    Uses the knowledge base's disease names and hierarchy (``normalise_disease``): lung
    adenocarcinoma is within non-small cell lung cancer, which is within lung cancer; a broader
    disease is never within a narrower one. For names outside the hierarchy, every word of
    ``broader`` must appear in ``asked``. A pan-cancer ``broader`` (None, ``cancer``) holds
    every disease.

    Parameters
    ----------
    asked
        The disease a question is about.
    broader
        The disease it should fall within (e.g. a consent's disease).

    Returns
    -------
    bool
        True when ``asked`` is ``broader`` or narrower.

    Examples
    --------
    >>> disease_within("LUAD", "NSCLC")
    True
    >>> disease_within("lung cancer", "NSCLC")
    False
    >>> disease_within("small cell lung cancer", "non-small cell lung cancer")
    False
    """
    return _disease.disease_within(asked, broader)


def known_genes(*, extra: PathLike | Iterable[PathLike] | None = None) -> frozenset[str]:
    """Genes the knowledge base can say something about.

    The genes of its rules (with the user's rules from ``extra``) and the genes of its pathway
    graph: an alteration in any other gene gets no rule and no derived mechanism, so readers
    can skip it (``read_alterations(path, genes=known_genes())``).

    Parameters
    ----------
    extra
        User rule files (see :func:`load_kb`).

    Returns
    -------
    frozenset of str
        HGNC symbols.

    Examples
    --------
    >>> genes = known_genes()
    >>> {"EGFR", "MET", "KRAS", "ABL1", "ESR1"} <= genes
    True
    >>> "SYN00001" in genes
    False
    """
    return load_kb(extra).known_genes()


def build_kb(
    *,
    data_dir: PathLike | None = None,
    sources_dir: PathLike | None = None,
    out_dir: PathLike | None = None,
) -> BuildResult:
    """Compile the knowledge base from the curated YAML and the CIViC and CGI releases.

    The output is deterministic: building twice from the same inputs gives the same bytes.

    Parameters
    ----------
    data_dir
        Folder with ``drugs.yaml``, ``pathways.yaml`` and ``rules.yaml`` (default: the
        package's ``kb/data``).
    sources_dir
        Folder with the CIViC and CGI release files (default: the package's ``kb/sources``).
    out_dir
        Where ``kb.json`` and ``import_report.tsv`` are written (default: the package's
        ``kb/data/compiled``, where :func:`load_kb` reads).

    Returns
    -------
    BuildResult
        Paths written, the version, counts loaded and refused by reason, warnings, seconds.

    Examples
    --------
    >>> import tempfile
    >>> result = build_kb(out_dir=tempfile.mkdtemp())
    >>> civic = result.counts["civic"]
    >>> civic["items"], civic["loaded_items"] + civic["refused_items"]
    (935, 935)
    """
    from oncoresist.kb import _build

    return compile_kb(
        Path(data_dir) if data_dir is not None else _build.DATA_DIR,
        Path(sources_dir) if sources_dir is not None else _build.SOURCES_DIR,
        Path(out_dir) if out_dir is not None else _build.COMPILED_DIR,
    )
