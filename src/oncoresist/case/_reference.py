"""Slow, obviously correct references for the kernels (used by the tests as oracles)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from oncoresist.case._likelihood import Exposure
from oncoresist.case._model import TumourModel


def rate_matrix(model: TumourModel, theta: Sequence[float], drugs: Sequence[str], *,
                unknown: float | None = None) -> list[list[float]]:
    """``A`` of ``dx/dt = A x`` under ``drugs``: net rates on the diagonal, mutation below it.

    ``A[k][k-1] = b u_k`` (a daughter of a ``k - 1`` cell is a ``k`` cell with probability
    ``u_k``); the parent loses the same flow (``A[k-1][k-1]`` minus ``b u_k``), as in
    ``oncoresist.evolve``'s ODE engine. ``unknown``: ``b u`` of an extra last compartment killed by
    no drug, growing at ``growth_resistant``.
    """
    g_s, g_r, kill = theta[0], theta[1], theta[2]
    inflow = list(model.inflow)
    n_types = len(model.types)
    killed = [any(model.killed[j, model.drugs.index(d)] for d in drugs) for j in range(n_types)]
    if unknown is not None:
        inflow.append(unknown)
        killed.append(False)
    size = len(inflow)
    a = [[0.0] * size for _ in range(size)]
    for k in range(size):
        growth = g_s if k == 0 else g_r
        out = inflow[k + 1] if k + 1 < size else 0.0
        a[k][k] = growth - (kill if killed[k] else 0.0) - out
        if k > 0:
            a[k][k - 1] = inflow[k]
    return a


def expm_taylor(a: list[list[float]], tau: float, terms: int = 40) -> list[list[float]]:
    """``exp(A tau)`` by its Taylor series (``|A tau|`` is below 1 here, so 40 terms are exact)."""
    size = len(a)
    result = [[1.0 if i == j else 0.0 for j in range(size)] for i in range(size)]
    term = [row[:] for row in result]
    for m in range(1, terms + 1):
        term = [[sum(term[i][k] * a[k][j] * tau for k in range(size)) / m for j in range(size)]
                for i in range(size)]
        result = [[result[i][j] + term[i][j] for j in range(size)] for i in range(size)]
    return result


def apply(p: list[list[float]], x: list[float]) -> list[float]:
    """Matrix times vector."""
    return [sum(p[i][j] * x[j] for j in range(len(x))) for i in range(len(x))]


def sizes_at(model: TumourModel, theta: Sequence[float], segments: Sequence[Exposure], day: float) -> list[float]:
    """Compartment sizes at ``day`` by walking the exposure segments one by one.

    Before day 0: exponential growth backwards, no mutation. From day 0: the full linear system
    (every mutation path) in pieces of at most half a day, each by its Taylor series.
    """
    n_types = len(model.types)
    g_s, g_r, kill = theta[0], theta[1], theta[2]
    fractions = list(theta[3 : 3 + n_types - 1])
    sizes = [1.0 - sum(fractions), *fractions]
    day0 = next(s.start for s in segments if s.drugs)

    def rate(j: int, drugs: Sequence[str]) -> float:
        growth = g_s if j == 0 else g_r
        killed = any(model.killed[j, model.drugs.index(d)] for d in drugs)
        return growth - (kill if killed else 0.0)

    if day < day0:
        out = []
        for j in range(n_types):
            log_size = math.log(sizes[j]) if sizes[j] > 0 else -math.inf
            for seg in segments:
                lo, hi = max(seg.start, day), min(seg.end, day0)
                if hi > lo:
                    log_size -= rate(j, seg.drugs) * (hi - lo)
            out.append(math.exp(log_size))
        return out
    x = sizes
    for seg in segments:
        lo, hi = max(seg.start, day0), min(seg.end, day)
        if hi <= lo:
            continue
        pieces = math.ceil((hi - lo) / 0.5)
        step = expm_taylor(rate_matrix(model, theta, seg.drugs), (hi - lo) / pieces)
        for _ in range(pieces):
            x = apply(step, x)
    return x


def allele_fraction(model: TumourModel, theta: Sequence[float], sizes: Sequence[float], alteration: str) -> float:
    """Expected allele fraction of ``alteration`` from compartment sizes."""
    total = sum(sizes)
    carried = sum(s for s, c in zip(sizes, model.carriers(alteration), strict=True) if c)
    shed = theta[-1]
    tf = shed * total / (shed * total + 1.0 - shed)
    return 0.5 * tf * carried / total


def binomial_logpmf(k: int, n: int, p: float) -> float:
    """log P(X = k) for X ~ Binomial(n, p)."""
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p) + (n - k) * math.log1p(-p)


def project_one(model: TumourModel, theta: Sequence[float], sizes: Sequence[float], plan, *, horizon: int,
                increase: float, unknown: float | None = None) -> float:
    """Time to progression of one draw under a plan, day by day, in plain Python.

    Each day multiplies the sizes by ``exp(A)`` of that day's exposure (every mutation path);
    ``unknown``: ``b u`` of an extra unknown-resistance compartment (last in ``sizes``).
    """
    sizes = list(sizes)
    start = sum(sizes)
    nadir = start
    line, on = 0, True
    cache: dict[tuple[str, ...], list[list[float]]] = {}
    for day in range(1, horizon + 1):
        if plan.kind == "intermittent":
            on = ((day - 1) % (plan.on_days + plan.off_days)) < plan.on_days
        elif plan.kind == "adaptive" and day > 1 and (day - 1) % 28 == 0:
            total = sum(sizes)
            if on and total <= plan.stop_fraction * start:
                on = False
            elif not on and total >= plan.restart_fraction * start:
                on = True
        drugs = tuple(plan.lines[line]) if on else ()
        if drugs not in cache:
            cache[drugs] = expm_taylor(rate_matrix(model, theta, drugs, unknown=unknown), 1.0)
        sizes = apply(cache[drugs], sizes)
        total = sum(sizes)
        reference = max(nadir, start) if plan.kind in ("intermittent", "adaptive") else nadir
        if total >= (1 + increase) ** 3 * reference:
            if plan.kind == "sequential" and line < len(plan.lines) - 1:
                line += 1
                nadir = total
            else:
                return float(day)
        nadir = min(nadir, total)
    return math.inf
