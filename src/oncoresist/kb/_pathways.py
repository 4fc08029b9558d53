"""The signed signalling graph and the derivation of a resistance mechanism's class from it.

Classes (DESIGN.md, issue 2):

- on-target: the altered gene is a target of the drug;
- downstream: the altered gene lies downstream of a target (reachable from it along directed
  edges of either sign, never entering the target's own activators, so that feedback such as
  ERK -| SOS1 does not count), or acts directly on such a gene against the target's signal
  (NF1 -| RAS while EGFR -> ... -> RAS; PTEN -| AKT while EGFR -> ... -> AKT);
- bypass: the altered gene acts on the target's cascade with the target's own sign (MCL1 -| BAK1
  like BCL2 -| BAK1), or reaches at least one of the target's effectors without passing through
  a target (MET amplification under an EGFR inhibitor reaches ERK and AKT through ERBB3/GRB2).

Anything else (genes off the graph, pathways that share no effector) stays unclassified unless a
curated rule says what it is.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

_ARROW = {"activates": "→", "inhibits": "⊣"}


#: How the altered gene relates to the drug's targets in a :class:`Derivation`.
RELATIONS = ("target", "downstream", "against", "parallel", "effectors")


@dataclass(frozen=True)
class Derivation:
    """A derived mechanism class and the path in the graph that justifies it.

    Attributes
    ----------
    mechanism
        ``on-target``, ``downstream``, ``bypass`` or None (the graph cannot say).
    explanation
        The reason in words, with the path written with → (activates) and ⊣ (inhibits).
    steps
        The same path as data: ``(source, sign, target)`` edges, ``sign`` being
        ``activates`` or ``inhibits``, in the order the explanation writes them. For
        ``against`` and ``parallel`` the first step is the altered gene's own edge onto the
        target's cascade, followed by the path from the drug's target to that gene.
    relation
        How the gene relates to the targets (one of :data:`RELATIONS`): ``target`` (it is
        one), ``downstream`` (the targets' signal reaches it; ``steps`` run from a target to
        the gene), ``against`` / ``parallel`` (it acts on the targets' cascade against / with
        the targets' own sign), ``effectors`` (it reaches the targets' effectors without
        passing through them; ``steps`` run from the gene to an effector); None otherwise.
    """

    mechanism: str | None
    explanation: str
    steps: tuple[tuple[str, str, str], ...] = ()
    relation: str | None = None

    @property
    def net_sign(self) -> str | None:
        """``activates`` or ``inhibits``: the sign of ``steps`` taken together (None: none).

        Examples
        --------
        >>> d = Derivation("downstream", "NF1 ⊣ KRAS", (("NF1", "inhibits", "KRAS"),))
        >>> d.net_sign
        'inhibits'
        """
        if not self.steps:
            return None
        negative = sum(sign == "inhibits" for _, sign, _ in self.steps) % 2
        return "inhibits" if negative else "activates"


def _written(steps: tuple[tuple[str, str, str], ...], end: str) -> str:
    """A path written with arrows: ``EGFR → GRB2 → SOS1``."""
    if not steps:
        return end
    return steps[0][0] + "".join(f" {_ARROW[sign]} {target}" for _, sign, target in steps)


@dataclass
class PathwayGraph:
    """Genes with roles, signed directed edges and the effector genes that read the output."""

    roles: dict[str, str] = field(default_factory=dict)
    pathways: dict[str, tuple[str, ...]] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    effectors: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self._out: dict[str, list[tuple[str, str]]] = {}
        for source, target, sign in self.edges:
            self._out.setdefault(source, []).append((target, sign))
        for targets in self._out.values():
            targets.sort()

    @cached_property
    def genes(self) -> frozenset[str]:
        """Every gene in the graph (nodes and edge ends); computed once per graph."""
        ends = {g for edge in self.edges for g in edge[:2]}
        return frozenset(self.roles) | ends

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {
            "nodes": [
                {"gene": g, "role": self.roles[g], "pathways": list(self.pathways.get(g, ()))}
                for g in sorted(self.roles)
            ],
            "edges": [list(e) for e in sorted(self.edges)],
            "effectors": sorted(self.effectors),
        }

    @classmethod
    def from_dict(cls, data: dict) -> PathwayGraph:
        """Inverse of :meth:`to_dict`."""
        return cls(
            roles={n["gene"]: n["role"] for n in data["nodes"]},
            pathways={n["gene"]: tuple(n["pathways"]) for n in data["nodes"]},
            edges=[tuple(e) for e in data["edges"]],
            effectors=frozenset(data["effectors"]),
        )

    # -- traversal -------------------------------------------------------------------------

    def _reach(
        self, starts: Iterable[str], *, avoid: frozenset[str] = frozenset()
    ) -> dict[str, tuple[str, str] | None]:
        """Breadth-first search; maps each reached gene to (parent, sign), starts to None."""
        parents: dict[str, tuple[str, str] | None] = {}
        queue: deque[str] = deque()
        for start in sorted(set(starts)):
            parents[start] = None
            queue.append(start)
        while queue:
            gene = queue.popleft()
            for target, sign in self._out.get(gene, ()):
                if target in parents or target in avoid:
                    continue
                parents[target] = (gene, sign)
                queue.append(target)
        return parents

    @staticmethod
    def _steps(
        parents: dict[str, tuple[str, str] | None], end: str
    ) -> tuple[tuple[str, str, str], ...]:
        """The edges from a start of the search to ``end``, in order."""
        steps = []
        node = end
        while parents[node] is not None:
            parent, sign = parents[node]
            steps.append((parent, sign, node))
            node = parent
        return tuple(reversed(steps))

    def activators_of(self, targets: Iterable[str]) -> frozenset[str]:
        """Genes with a path of activating edges into any of ``targets`` (targets excluded)."""
        wanted = frozenset(targets)
        if not hasattr(self, "_in_activating"):
            incoming: dict[str, list[str]] = {}
            for source, target, sign in self.edges:
                if sign == "activates":
                    incoming.setdefault(target, []).append(source)
            self._in_activating = incoming
        seen: set[str] = set()
        queue = deque(sorted(wanted))
        while queue:
            gene = queue.popleft()
            for source in self._in_activating.get(gene, ()):
                if source not in seen and source not in wanted:
                    seen.add(source)
                    queue.append(source)
        return frozenset(seen)

    @staticmethod
    def _net_sign(parents: dict[str, tuple[str, str] | None], end: str) -> str:
        negative = False
        node = end
        while parents[node] is not None:
            parent, sign = parents[node]
            negative ^= sign == "inhibits"
            node = parent
        return "inhibits" if negative else "activates"

    def downstream_of(self, targets: Iterable[str]) -> frozenset[str]:
        """Genes a target's signal reaches (not through the target's own activators)."""
        wanted = frozenset(targets)
        return frozenset(self._reach(wanted, avoid=self.activators_of(wanted))) - wanted

    # -- derivation ------------------------------------------------------------------------

    def derive(self, gene: str | None, targets: Iterable[str]) -> Derivation:
        """Mechanism class of an alteration in ``gene`` against a drug hitting ``targets``."""
        target_set = frozenset(targets)
        names = ", ".join(sorted(target_set)) or "no listed target"
        if gene is None:
            return Derivation(None, "not a gene alteration: the class comes from curation")
        if gene in target_set:
            return Derivation("on-target", f"{gene} is a target of the drug", (), "target")
        on_graph = target_set & self.genes
        if gene not in self.genes or not on_graph:
            missing = gene if gene not in self.genes else names
            return Derivation(None, f"{missing} is not in the pathway graph")
        # Feedback (ERK -| SOS1) must not make the target's own activators "downstream" of it:
        # the search never enters a gene that activates a target.
        from_targets = self._reach(on_graph, avoid=self.activators_of(on_graph))
        if gene in from_targets:
            steps = self._steps(from_targets, gene)
            path = _written(steps, gene)
            return Derivation("downstream", f"{gene} is downstream of the target: {path}",
                              steps, "downstream")
        # A gene acting directly on the target's cascade: against the target's own signal there
        # (NF1 -| RAS while EGFR -> RAS) it is a regulator of the cascade: downstream; with it
        # (MCL1 -| BAK1 as BCL2 -| BAK1) it does the target's job in parallel: bypass.
        parallel = None
        for target, sign in self._out.get(gene, ()):
            if target not in from_targets or target in on_graph:
                continue
            steps = ((gene, sign, target), *self._steps(from_targets, target))
            path = _written(steps[1:], target)
            if sign != self._net_sign(from_targets, target):
                return Derivation(
                    "downstream",
                    f"{gene} {_ARROW[sign]} {target}, against the target's signal: {path}",
                    steps,
                    "against",
                )
            parallel = parallel or Derivation(
                "bypass",
                f"{gene} {_ARROW[sign]} {target}, in parallel with the target: {path}",
                steps,
                "parallel",
            )
        if parallel:
            return parallel
        target_effectors = self.effectors & frozenset(from_targets)
        if target_effectors:
            around = self._reach([gene], avoid=on_graph)
            shared = sorted(target_effectors & frozenset(around))
            if shared:
                steps = self._steps(around, shared[0])
                path = _written(steps, shared[0])
                listed = ", ".join(shared[:4]) + (
                    f" and {len(shared) - 4} more" if len(shared) > 4 else ""
                )
                return Derivation(
                    "bypass",
                    f"{gene} reaches {listed} (also reached by {names}) without "
                    f"passing through {names}: {path}",
                    steps,
                    "effectors",
                )
        return Derivation(None, f"{gene} shares no effector with {names} in the pathway graph")
