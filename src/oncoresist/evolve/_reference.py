"""Slow, obviously correct pure-Python references for the numba kernels (test oracles)."""

from __future__ import annotations

import math
import random


def gillespie_types(counts, birth, death, mutation, switching, t_end, seed, capacity=None):
    """Per-type counts at ``t_end`` by Gillespie's direct method, one event at a time.

    ``mutation[i][j]``: probability per division that the daughter of an ``i`` cell is ``j``;
    ``switching[i][j]``: rate per ``i`` cell of turning into ``j``. Plain lists, plain floats.
    """
    rnd = random.Random(seed)
    x = [int(c) for c in counts]
    k = len(x)
    t = 0.0
    while True:
        total = sum(x)
        if total == 0:
            return x
        f = 1.0 if capacity is None else max(0.0, 1.0 - total / capacity)
        events = []  # (propensity, kind, i, j)
        for i in range(k):
            if x[i] == 0:
                continue
            b = birth[i] * f
            q = sum(mutation[i])
            events.append((x[i] * b * (1.0 - q), "birth", i, i))
            for j in range(k):
                if mutation[i][j] > 0:
                    events.append((x[i] * b * mutation[i][j], "birth", i, j))
                if switching[i][j] > 0:
                    events.append((x[i] * switching[i][j], "switch", i, j))
            events.append((x[i] * death[i], "death", i, i))
        a = sum(e[0] for e in events)
        if a <= 0:
            return x
        t += rnd.expovariate(a)
        if t >= t_end:
            return x
        pick = rnd.random() * a
        chosen = events[-1]
        for event in events:
            if pick < event[0]:
                chosen = event
                break
            pick -= event[0]
        _, kind, i, j = chosen
        if kind == "birth":
            x[j] += 1
        elif kind == "death":
            x[i] -= 1
        else:
            x[i] -= 1
            x[j] += 1


def kendall_sample(n0, birth, death, time, seed):
    """Size after ``time`` of ``n0`` cells by simulating each ancestor's family event by event."""
    rnd = random.Random(seed)
    total = 0
    for _ in range(n0):
        n, t = 1, 0.0
        while n > 0:
            rate = n * (birth + death)
            if rate == 0:
                break
            t += rnd.expovariate(rate)
            if t >= time:
                break
            n += 1 if rnd.random() * (birth + death) < birth else -1
        total += n
    return total


def lea_coulson(m, n_max):
    """Lea–Coulson probabilities by the Ma–Sandri–Sarkar recursion, in plain floats."""
    p = [math.exp(-m)]
    for n in range(1, n_max + 1):
        p.append(m / n * sum(p[i] / (n - i + 1) for i in range(n)))
    return p
