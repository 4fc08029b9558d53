"""Slow, obviously correct references for the kernels (used by the tests as oracles)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from oncoresist.case._likelihood import Exposure
from oncoresist.case._model import TumourModel


def sizes_at(model: TumourModel, theta: Sequence[float], segments: Sequence[Exposure], day: float) -> list[float]:
    """Compartment sizes at ``day`` by walking the exposure segments one by one."""
    n_types = len(model.types)
    g_s, g_r, kill = theta[0], theta[1], theta[2]
    fractions = list(theta[3 : 3 + n_types - 1])
    sizes = [1.0 - sum(fractions), *fractions]
    day0 = next(s.start for s in segments if s.drugs)

    def rate(j: int, drugs: Sequence[str]) -> float:
        growth = g_s if j == 0 else g_r
        killed = any(model.killed[j, model.drugs.index(d)] for d in drugs)
        return growth - (kill if killed else 0.0)

    out = []
    for j in range(n_types):
        log_size = math.log(sizes[j]) if sizes[j] > 0 else -math.inf
        for seg in segments:
            if day >= day0:
                lo, hi = max(seg.start, day0), min(seg.end, day)
                if hi > lo:
                    log_size += rate(j, seg.drugs) * (hi - lo)
            else:
                lo, hi = max(seg.start, day), min(seg.end, day0)
                if hi > lo:
                    log_size -= rate(j, seg.drugs) * (hi - lo)
        out.append(math.exp(log_size))
    return out


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
                increase: float) -> float:
    """Time to progression of one draw under a plan, day by day, in plain Python."""
    g = [theta[0]] + [theta[1]] * (len(sizes) - 1)
    kill = theta[2]
    sizes = list(sizes)
    start = sum(sizes)
    nadir = start
    line, on = 0, True
    for day in range(1, horizon + 1):
        if plan.kind == "intermittent":
            on = ((day - 1) % (plan.on_days + plan.off_days)) < plan.on_days
        elif plan.kind == "adaptive" and day > 1 and (day - 1) % 28 == 0:
            total = sum(sizes)
            if on and total <= plan.stop_fraction * start:
                on = False
            elif not on and total >= plan.restart_fraction * start:
                on = True
        drugs = plan.lines[line] if on else ()
        for j in range(len(sizes)):
            killed = any(model.killed[j, model.drugs.index(d)] for d in drugs)
            sizes[j] *= math.exp(g[j] - (kill if killed else 0.0))
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
