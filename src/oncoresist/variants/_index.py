"""An index of alteration patterns by gene, for matching many alterations quickly."""

from __future__ import annotations

from collections.abc import Iterable

from oncoresist.variants._alteration import Alteration, CompoundAlteration

_CACHE_LIMIT = 200_000


def _keys(alteration: Alteration | CompoundAlteration) -> tuple[str | None, ...]:
    parts = alteration.parts if isinstance(alteration, CompoundAlteration) else (alteration,)
    keys: dict[str | None, None] = {}
    for part in parts:
        for gene in part.genes or (None,):
            keys.setdefault(gene)
    return tuple(keys)


class PatternIndex:
    """Patterns indexed by gene: which of them match an alteration, fast and cached.

    Matching one alteration against every pattern of a knowledge base is wasteful: a pattern
    can only match an alteration of one of its genes. The index keeps the patterns of each
    gene together and remembers recent answers, so annotating a million variant records costs
    one dictionary look-up for each repeated alteration.

    Parameters
    ----------
    patterns
        Alteration or CompoundAlteration patterns; their positions are what :meth:`find`
        returns, so they can be mapped back to rules.

    Examples
    --------
    >>> from oncoresist.variants import Alteration
    >>> index = PatternIndex([Alteration.parse("KRAS p.G12X"),
    ...                       Alteration.parse("EGFR exon 19 deletion"),
    ...                       Alteration.parse("EGFR p.T790M")])
    >>> index.find(Alteration.parse("EGFR p.E746_A750del"))
    (1,)
    >>> [str(p) for p in index.matching(Alteration.parse("KRAS p.G12C"))]
    ['KRAS p.G12X']
    """

    __slots__ = ("_by_gene", "_cache", "patterns")

    def __init__(self, patterns: Iterable[Alteration | CompoundAlteration]) -> None:
        self.patterns: tuple[Alteration | CompoundAlteration, ...] = tuple(patterns)
        by_gene: dict[str | None, list[int]] = {}
        for position, pattern in enumerate(self.patterns):
            if not isinstance(pattern, Alteration | CompoundAlteration):
                msg = (f"pattern {position} is a {type(pattern).__name__}, not an Alteration; "
                       "parse it first with parse_alteration")
                raise TypeError(msg)
            first = pattern.parts[0] if isinstance(pattern, CompoundAlteration) else pattern
            by_gene.setdefault(first.gene, []).append(position)
        self._by_gene = {gene: tuple(positions) for gene, positions in by_gene.items()}
        self._cache: dict[Alteration | CompoundAlteration, tuple[int, ...]] = {}

    def __len__(self) -> int:
        return len(self.patterns)

    def find(self, alteration: Alteration | CompoundAlteration) -> tuple[int, ...]:
        """Positions of the patterns that match ``alteration``, in increasing order.

        Examples
        --------
        >>> from oncoresist.variants import parse_alteration
        >>> index = PatternIndex([parse_alteration("ALK", "fusion"),
        ...                       parse_alteration("ALK", "G1202R")])
        >>> index.find(parse_alteration(None, "EML4-ALK G1202R"))
        (0, 1)
        """
        cached = self._cache.get(alteration)
        if cached is not None:
            return cached
        found: list[int] = []
        patterns = self.patterns
        for key in _keys(alteration):
            for position in self._by_gene.get(key, ()):
                if patterns[position].matches(alteration):
                    found.append(position)
        result = tuple(sorted(set(found)))
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[alteration] = result
        return result

    def matching(
        self, alteration: Alteration | CompoundAlteration
    ) -> tuple[Alteration | CompoundAlteration, ...]:
        """The patterns that match ``alteration`` (see :meth:`find`).

        Examples
        --------
        >>> from oncoresist.variants import Alteration
        >>> index = PatternIndex([Alteration.parse("phenotype: EMT")])
        >>> index.matching(Alteration.parse("phenotype: EMT"))
        (Alteration.parse('phenotype: EMT'),)
        """
        return tuple(self.patterns[i] for i in self.find(alteration))
