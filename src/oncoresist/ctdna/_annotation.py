"""The default annotator of ``track``: an emerging variant read in its therapy context."""

from __future__ import annotations

from functools import lru_cache

from oncoresist._core.exceptions import OncoresistError
from oncoresist.ctdna._events import context_annotation

_RESISTANT = ("resistance", "reduced sensitivity")


@lru_cache(maxsize=4096)
def resistance_annotation(gene: str | None, alteration: str, drugs: tuple[str, ...]) -> str:
    """Context plus what the knowledge base says the variant does to the drugs given then.

    ``"EGFR p.C797S emerging on osimertinib: on-target resistance"``. Curated and imported
    evidence only (inferred pathway mechanisms are not claimed here); a variant the
    annotation cannot read, or with no known effect, keeps the context alone.
    """
    context = context_annotation(gene, alteration, drugs)
    if not drugs:
        return context
    from oncoresist.annotate import annotate

    text = f"{gene} {alteration}" if gene else alteration
    try:
        frame = annotate([text], therapy=list(drugs), infer=False).to_frame()
    except OncoresistError:
        return context
    current = frame[(frame["context"] == "therapy") & frame["effect"].isin(_RESISTANT)]
    if current.empty:
        return context
    best = current.sort_values("rank").iloc[0]
    return f"{context}: {best['mechanism']} {best['effect']}"
