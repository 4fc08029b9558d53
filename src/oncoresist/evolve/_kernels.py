"""Hot loops of the stochastic engines (numba).

State of a simulation is a set of clone records held in parallel arrays:

``size``     cells now in the clone
``ctype``    cell type index
``parent``   index of the parent clone (-1 for initial clones)
``lineage``  index of the genetic lineage root (a clone started by a mutation, or initial)
``born``     time the clone record was created
``kind``     0: lineage root (initial or mutant), 1: switching compartment of a lineage
``comp``     ``comp[L, j]``: index of the clone of lineage ``L`` and type ``j`` (-1 if none)

A clone's id is its index in these arrays (stable for the whole run).

Every function here has a slow, obviously correct counterpart in ``_reference.py`` that the
tests use as an oracle.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

STATUS_DONE = 0
STATUS_EXTINCT = 1
STATUS_STOP = 2
STATUS_NEED_SPACE = 3
STATUS_OVERFLOW = 4

KIND_ROOT = 0
KIND_COMPARTMENT = 1

# mid-step arrivals into one (clone, target) pair beyond this count are pooled in batches
MAX_INDIVIDUAL_ARRIVALS = 64
POOL_BATCHES = 16


@njit(cache=True)
def kendall_ab(lam, mu, h):
    """Kendall's (alpha, beta) of the linear birth-death process over ``h`` (one ancestor).

    P(X=0) = alpha; P(X=k) = (1-alpha)(1-beta) beta^(k-1), k >= 1 (Kendall 1948).
    """
    if h <= 0.0 or (lam == 0.0 and mu == 0.0):
        return 0.0, 0.0
    r = lam - mu
    x = r * h
    if abs(x) < 1e-9:
        em1 = h * (1.0 + 0.5 * x)
    else:
        em1 = math.expm1(x) / r
    denom = lam * em1 + 1.0
    return mu * em1 / denom, lam * em1 / denom


@njit(cache=True)
def kendall_sample(n0, lam, mu, h, rng):
    """Size after ``h`` of ``n0`` cells: binomial survivors + negative-binomial growth."""
    if n0 <= 0:
        return 0
    alpha, beta = kendall_ab(lam, mu, h)
    if alpha > 0.0:
        m = rng.binomial(n0, 1.0 - alpha) if alpha < 1.0 else 0
    else:
        m = n0
    if m == 0:
        return 0
    if beta <= 0.0:
        return m
    return m + rng.negative_binomial(m, 1.0 - beta)


@njit(cache=True)
def _path_integral(n0, n1, h):
    """Integral over [0, h] of the exponential interpolation between n0 and n1."""
    if n0 == n1:
        return n0 * h, 0.0
    if n0 <= 0 or n1 <= 0:
        return 0.5 * (n0 + n1) * h, 0.0
    g = math.log(n1 / n0) / h
    return (n1 - n0) / g, g


@njit(cache=True)
def _arrival_offset(g, h, u):
    """Offset in [0, h] drawn from a density proportional to exp(g s) (inverse CDF)."""
    if g == 0.0 or abs(g * h) < 1e-12:
        return u * h
    return math.log1p(u * math.expm1(g * h)) / g


@njit(cache=True)
def _crowding(typesize, kcap, crowd):
    """Birth factor per type: max(0, 1 - sum_j crowd[k, j] n_j / kcap[k]) (1 without capacity)."""
    ntypes = typesize.shape[0]
    f = np.ones(ntypes)
    for k in range(ntypes):
        if kcap[k] > 0.0:
            load = 0.0
            for j in range(ntypes):
                load += crowd[k, j] * typesize[j]
            f[k] = max(0.0, 1.0 - load / kcap[k])
    return f


@njit(cache=True)
def _pick(weights, y):
    """First index whose cumulative weight exceeds ``y`` (the last one if none does)."""
    acc = 0.0
    for j in range(weights.shape[0]):
        acc += weights[j]
        if y < acc:
            return j
    return weights.shape[0] - 1


@njit(cache=True)
def _new_record(size, ctype, parent, lineage, born, kind, comp, n, j, par, lin, t, knd):
    """Append a clone record with zero cells; returns its index or -1 when full."""
    if n >= size.shape[0]:
        return -1
    size[n] = 0
    ctype[n] = j
    parent[n] = par
    born[n] = t
    kind[n] = knd
    if knd == KIND_ROOT:
        lineage[n] = n
        for k in range(comp.shape[1]):
            comp[n, k] = -1
        comp[n, j] = n
    else:
        lineage[n] = lin
        comp[lin, j] = n
    return n


@njit(cache=True)
def hybrid_advance(
    size, ctype, parent, lineage, born, kind, comp, n,
    t, t_end, birth, death, mutprob, swrate, kcap, crowd,
    stop_above, stop_mask, exact_threshold, dt_max, growth_tol, rng,
    qc, qn, qt,
):  # fmt: skip
    """Advance the clone records from ``t`` to ``t_end`` with frozen per-type rates.

    ``stop_above`` (sizes, one per criterion) and ``stop_mask`` (criteria x types, bool) are
    stopping criteria: the call returns ``STATUS_STOP`` at the end of the first step after
    which the cells of any criterion's types reach its size (steps shrink as a size nears).

    Returns ``(n, t, status)``. Each step: every clone group is moved by the exact linear
    birth-death transition (Kendall) when large, event by event when small; mutants and
    switched cells arrive as a Poisson process along the group's path, each arrival started
    as its own group at its arrival time (pooled in batches above MAX_INDIVIDUAL_ARRIVALS).
    """
    ntypes = birth.shape[0]
    ncrit = stop_above.shape[0]
    qsum = np.zeros(ntypes)
    swout = np.zeros(ntypes)
    for k in range(ntypes):
        for j in range(ntypes):
            qsum[k] += mutprob[k, j]
            swout[k] += swrate[k, j]
    qcap = qc.shape[0]
    masked = np.zeros(ncrit, dtype=np.int64)
    rgrow = np.zeros(ncrit)
    while True:
        total = 0
        typesize = np.zeros(ntypes, dtype=np.int64)
        for i in range(n):
            if size[i] > 0:
                typesize[ctype[i]] += size[i]
        for k in range(ntypes):
            total += typesize[k]
        if total == 0:
            return n, t, STATUS_EXTINCT
        crossed = False
        for ci in range(ncrit):
            masked[ci] = 0
            for k in range(ntypes):
                if stop_mask[ci, k]:
                    masked[ci] += typesize[k]
            if masked[ci] >= stop_above[ci]:
                crossed = True
        if crossed:
            return n, t, STATUS_STOP
        if t >= t_end:
            return n, t, STATUS_DONE
        if 2 * n + 64 > size.shape[0]:
            return n, t, STATUS_NEED_SPACE
        f = _crowding(typesize, kcap, crowd)
        # step length: relative change of any present type at most ~growth_tol
        rmax = 0.0
        rgrow[:] = 0.0
        turnover = 0.0
        for k in range(ntypes):
            if typesize[k] > 0:
                r = birth[k] * f[k] * (1.0 - qsum[k]) - death[k] - swout[k]
                if abs(r) > rmax:
                    rmax = abs(r)
                for ci in range(ncrit):
                    if stop_mask[ci, k] and r > rgrow[ci]:
                        rgrow[ci] = r
                bd = birth[k] * f[k] + death[k] + swout[k]
                if bd > turnover:
                    turnover = bd
        dt = min(dt_max, t_end - t)
        if rmax > 0.0:
            dt = min(dt, growth_tol / rmax)
        # crowding is frozen over a step: keep steps short against the birth rates it scales
        bmax = 0.0
        for k in range(ntypes):
            if kcap[k] > 0.0 and typesize[k] > 0 and birth[k] > bmax:
                bmax = birth[k]
        if bmax > 0.0:
            dt = min(dt, 0.2 * growth_tol / bmax)
        for ci in range(ncrit):
            if rgrow[ci] > 0.0 and stop_above[ci] < 9.0e18 and masked[ci] > 0:
                # approach a stopping size in shrinking steps so that the crossing is sharp
                room = math.log(stop_above[ci] / masked[ci]) / rgrow[ci]
                floor = 0.05 / turnover if turnover > 0.0 else dt
                dt = min(dt, max(room, floor))
        t1 = t_end if dt >= t_end - t else t + dt
        # queue every clone's cells as a group starting now
        nq = 0
        for i in range(n):
            if size[i] > 0:
                if nq >= qcap:
                    return n, t, STATUS_OVERFLOW
                qc[nq] = i
                qn[nq] = size[i]
                qt[nq] = t
                nq += 1
                size[i] = 0
        while nq > 0:
            nq -= 1
            c = qc[nq]
            m = qn[nq]
            t0 = qt[nq]
            k = ctype[c]
            lam = birth[k] * f[k]
            mu = death[k]
            tot = lam + mu + swout[k]
            tt = t0
            # exact events while small
            while m > 0 and m < exact_threshold and tot > 0.0:
                tt += rng.exponential(1.0 / (m * tot))
                if tt >= t1:
                    break
                x = rng.random() * tot
                if x < lam:
                    y = rng.random()
                    if y < qsum[k]:
                        j = _pick(mutprob[k], y)
                        new = _new_record(size, ctype, parent, lineage, born, kind, comp, n, j, c, -1, tt, KIND_ROOT)
                        if new < 0 or nq >= qcap:
                            return n, t, STATUS_OVERFLOW
                        n += 1
                        qc[nq] = new
                        qn[nq] = 1
                        qt[nq] = tt
                        nq += 1
                    else:
                        m += 1
                elif x < lam + mu:
                    m -= 1
                else:
                    y = rng.random() * swout[k]
                    j = _pick(swrate[k], y)
                    m -= 1
                    lin = lineage[c]
                    target = comp[lin, j]
                    if target < 0:
                        target = _new_record(size, ctype, parent, lineage, born, kind, comp, n, j, c, lin, tt, KIND_COMPARTMENT)
                        if target < 0:
                            return n, t, STATUS_OVERFLOW
                        n += 1
                    if nq >= qcap:
                        return n, t, STATUS_OVERFLOW
                    qc[nq] = target
                    qn[nq] = 1
                    qt[nq] = tt
                    nq += 1
            if m >= exact_threshold and tt < t1:
                # large group: exact transition law for the rest of the step
                h = t1 - tt
                m0 = m
                m = kendall_sample(m0, lam * (1.0 - qsum[k]), mu + swout[k], h, rng)
                integral, g = _path_integral(float(m0), float(m), h)
                for j in range(ntypes):
                    for which in range(2):
                        if which == 0:
                            rate = lam * mutprob[k, j]
                        else:
                            rate = swrate[k, j]
                        if rate <= 0.0:
                            continue
                        count = rng.poisson(rate * integral)
                        if count == 0:
                            continue
                        if count <= MAX_INDIVIDUAL_ARRIVALS:
                            nb = count
                        else:
                            nb = POOL_BATCHES
                        remaining = count
                        wleft = 1.0
                        for b in range(nb):
                            if count <= MAX_INDIVIDUAL_ARRIVALS:
                                batch = 1
                                when = tt + _arrival_offset(g, h, rng.random())
                            else:
                                # batch b covers [b/nb, (b+1)/nb] of the step; weight by path
                                lo = h * b / nb
                                hi = h * (b + 1) / nb
                                if g != 0.0:
                                    w = (math.exp(g * hi) - math.exp(g * lo)) / math.expm1(g * h)
                                else:
                                    w = 1.0 / nb
                                if b == nb - 1 or wleft <= w:
                                    batch = remaining
                                else:
                                    batch = rng.binomial(remaining, min(1.0, w / wleft))
                                remaining -= batch
                                wleft -= w
                                when = tt + 0.5 * (lo + hi)
                                if batch == 0:
                                    continue
                            if which == 0:
                                target = _new_record(size, ctype, parent, lineage, born, kind, comp, n, j, c, -1, when, KIND_ROOT)
                                if target < 0:
                                    return n, t, STATUS_OVERFLOW
                                n += 1
                            else:
                                lin = lineage[c]
                                target = comp[lin, j]
                                if target < 0:
                                    target = _new_record(size, ctype, parent, lineage, born, kind, comp, n, j, c, lin, when, KIND_COMPARTMENT)
                                    if target < 0:
                                        return n, t, STATUS_OVERFLOW
                                    n += 1
                            if nq >= qcap:
                                return n, t, STATUS_OVERFLOW
                            qc[nq] = target
                            qn[nq] = batch
                            qt[nq] = when
                            nq += 1
            size[c] += m
        t = t1


@njit(cache=True)
def exact_advance(
    size, ctype, parent, lineage, born, kind, comp, n,
    t, t_end, birth, death, mutprob, swrate, kcap, crowd,
    stop_above, stop_mask, rng,
):  # fmt: skip
    """Gillespie's direct method over every cell, clone by clone, from ``t`` to ``t_end``.

    Births depend on the current sizes through the crowding factors (re-evaluated at every event).
    Stopping criteria as in :func:`hybrid_advance`, checked after every event (so a crossing is
    returned at its event time). Returns ``(n, t, status)``.
    """
    ntypes = birth.shape[0]
    ncrit = stop_above.shape[0]
    qsum = np.zeros(ntypes)
    swout = np.zeros(ntypes)
    for k in range(ntypes):
        for j in range(ntypes):
            qsum[k] += mutprob[k, j]
            swout[k] += swrate[k, j]
    typesize = np.zeros(ntypes, dtype=np.int64)
    for i in range(n):
        typesize[ctype[i]] += size[i]
    prop = np.zeros(ntypes)
    while True:
        total = 0
        for k in range(ntypes):
            total += typesize[k]
        if total == 0:
            return n, t, STATUS_EXTINCT
        crossed = False
        for ci in range(ncrit):
            masked = 0
            for k in range(ntypes):
                if stop_mask[ci, k]:
                    masked += typesize[k]
            if masked >= stop_above[ci]:
                crossed = True
        if crossed:
            return n, t, STATUS_STOP
        if n + 2 > size.shape[0]:
            return n, t, STATUS_NEED_SPACE
        f = _crowding(typesize, kcap, crowd)
        a = 0.0
        for k in range(ntypes):
            prop[k] = typesize[k] * (birth[k] * f[k] + death[k] + swout[k])
            a += prop[k]
        if a <= 0.0:
            return n, t_end, STATUS_DONE
        t = t + rng.exponential(1.0 / a)
        if t >= t_end:
            return n, t_end, STATUS_DONE
        x = rng.random() * a
        k = ntypes - 1
        for kk in range(ntypes):
            if x < prop[kk]:
                k = kk
                break
            x -= prop[kk]
        # which clone of type k: proportional to size
        pick = rng.random() * typesize[k]
        c = -1
        for i in range(n):
            if ctype[i] == k and size[i] > 0:
                if pick < size[i]:
                    c = i
                    break
                pick -= size[i]
        if c < 0:  # rounding at the upper end: take the last clone of the type
            for i in range(n - 1, -1, -1):
                if ctype[i] == k and size[i] > 0:
                    c = i
                    break
        lam = birth[k] * f[k]
        y = rng.random() * (lam + death[k] + swout[k])
        if y < lam:
            z = rng.random()
            if z < qsum[k]:
                j = _pick(mutprob[k], z)
                new = _new_record(size, ctype, parent, lineage, born, kind, comp, n, j, c, -1, t, KIND_ROOT)
                n += 1
                size[new] = 1
                typesize[j] += 1
            else:
                size[c] += 1
                typesize[k] += 1
        elif y < lam + death[k]:
            size[c] -= 1
            typesize[k] -= 1
        else:
            z = rng.random() * swout[k]
            j = _pick(swrate[k], z)
            size[c] -= 1
            typesize[k] -= 1
            lin = lineage[c]
            target = comp[lin, j]
            if target < 0:
                target = _new_record(size, ctype, parent, lineage, born, kind, comp, n, j, c, lin, t, KIND_COMPARTMENT)
                n += 1
            size[target] += 1
            typesize[j] += 1


@njit(cache=True)
def type_totals(size, ctype, n, ntypes):
    """Cells per type over the first ``n`` clone records (exact int64 sums, as ``np.add.at``)."""
    out = np.zeros(ntypes, dtype=np.int64)
    for i in range(n):
        out[ctype[i]] += size[i]
    return out
