"""Numba kernels of the VCF reader: byte scanning of records and decoding of sample columns.

The reader (``_vcf.py``) hands each block of record lines to :func:`scan_records`, which finds
for every line the chosen annotation entry (requested transcript, else ``CANONICAL=YES`` / MANE,
else the first), its gene, protein change, cDNA change and consequence, tests the gene against
the wanted genes by a 64-bit FNV-1a hash (a hit is checked again in Python) and hashes the four
fields so that each distinct (gene, change) is interpreted once. :func:`decode_samples` then
reads GT, AD, DP, AF and PS of every sample of the lines that give a row into numeric arrays.

Anything these kernels do not decode exactly like the record-by-record reader (non-ASCII bytes,
``PID``/``PGT``/``CN`` fields, numbers that are not plain digits, a sample count that differs
from the header) marks the line for the Python path. The pure-Python references are
``_vcf._fnv1a`` (the hash), ``_vcf.samples_from_text`` with ``_vcf.carrier_values`` (the
sample columns) and ``read_vcf(..., fast=False)`` (everything); the tests compare them.
"""

from __future__ import annotations

import numba
import numpy as np

# line status written by scan_records
KEPT, OUTSIDE, NO_ANNOTATION, NO_CHOSEN, COMPLEX, SHORT, NO_GENE, EMPTY = range(8)

# GT state written by decode_samples
GT_ABSENT, GT_WITHOUT_ALLELE, GT_WITH_ALLELE = -1, 0, 1

_MAX_DIGITS = 18  # longer numbers go to the Python path (int64 would overflow)


@numba.njit(cache=True)
def fnv_kernel(buf, start, end):
    """64-bit FNV-1a hash of buf[start:end] (``_vcf._fnv1a`` is the Python reference)."""
    h = np.uint64(14695981039346656037)
    for i in range(start, end):
        h ^= np.uint64(buf[i])
        h *= np.uint64(1099511628211)
    return h


@numba.njit(cache=True)
def equal_bytes(buf, start, end, word):
    """Do the bytes buf[start:end] equal ``word``?"""
    if end - start != len(word):
        return False
    for i in range(len(word)):
        if buf[start + i] != word[i]:
            return False
    return True


@numba.njit(cache=True)
def scan_records(buf, tag, index, n_fields, width, transcript, known, use_known):
    """Per line: (start, end, status, gene, HGVSp, HGVSc, consequence spans, FORMAT start),
    and for kept lines a 64-bit hash of the four chosen annotation fields."""
    # index: gene, hgvsp, hgvsc, consequence, canonical, mane, feature (-1: absent)
    n = 0
    for i in range(len(buf)):
        if buf[i] == 10:
            n += 1
    if len(buf) > 0 and buf[len(buf) - 1] != 10:
        n += 1
    # field number -> which of the wanted fields it is (-1: not wanted)
    n_slots = 0
    for j in range(7):
        n_slots = max(n_slots, index[j] + 1)
    slot = np.full(n_slots, -1, np.int64)
    for j in range(7):
        if index[j] >= 0:
            slot[index[j]] = j
    out = np.full((n, 12), -1, np.int64)
    keys = np.zeros(n, np.uint64)
    spans = np.empty((7, 2), np.int64)
    pos = 0
    line = 0
    yes = np.array([89, 69, 83], np.uint8)  # b"YES"
    while pos < len(buf) and line < n:
        # one pass over the line: where it ends and where the columns used start and end
        col = 0
        cstart = pos
        alt_s = alt_e = info_s = info_e = fmt_s = -1
        end = pos
        while end < len(buf) and buf[end] != 10:
            if buf[end] == 9:
                if col == 4:
                    alt_s, alt_e = cstart, end
                elif col == 7:
                    info_s, info_e = cstart, end
                elif col == 8:
                    fmt_s = cstart
                col += 1
                cstart = end + 1
            end += 1
        stop = end
        if stop > pos and buf[stop - 1] == 13:
            stop -= 1
        # the last column ends before the line end (and its carriage return)
        if col == 4:
            alt_s, alt_e = cstart, stop
        elif col == 7:
            info_s, info_e = cstart, stop
        elif col == 8:
            fmt_s = cstart
        col += 1
        out[line, 0] = pos
        out[line, 1] = stop
        if stop == pos:
            out[line, 2] = EMPTY
            pos = end + 1
            line += 1
            continue
        out[line, 11] = fmt_s
        if col < width:
            out[line, 2] = SHORT
            pos = end + 1
            line += 1
            continue
        complex_alt = alt_s < alt_e and buf[alt_s] == 60  # '<'
        for i in range(alt_s, alt_e):
            if buf[i] == 44 or buf[i] == 91 or buf[i] == 93:  # , [ ]
                complex_alt = True
        if complex_alt:
            out[line, 2] = COMPLEX
            pos = end + 1
            line += 1
            continue
        # the annotation value: TAG=... at the start of INFO or after ';'
        a_s = -1
        a_e = -1
        k = info_s
        while k < info_e:
            key_end = k
            while key_end < info_e and buf[key_end] != 59 and buf[key_end] != 61:
                key_end += 1
            item_end = key_end
            while item_end < info_e and buf[item_end] != 59:
                item_end += 1
            if key_end < info_e and buf[key_end] == 61 and equal_bytes(buf, k, key_end, tag):
                a_s = key_end + 1
                a_e = item_end
                break
            k = item_end + 1
        if a_s < 0:
            out[line, 2] = NO_ANNOTATION
            pos = end + 1
            line += 1
            continue
        chosen = False
        first_done = False
        e = a_s
        while e <= a_e and not chosen:
            entry_end = e
            while entry_end < a_e and buf[entry_end] != 44:
                entry_end += 1
            # split the entry into fields
            for j in range(7):
                spans[j, 0] = -1
                spans[j, 1] = -1
            field = 0
            fstart = e
            for i in range(e, entry_end + 1):
                if i == entry_end or buf[i] == 124:
                    if field < n_slots and slot[field] >= 0:
                        spans[slot[field], 0] = fstart
                        spans[slot[field], 1] = i
                    field += 1
                    fstart = i + 1
            if field >= n_fields:
                take = False
                if len(transcript) > 0:
                    f_s = spans[6, 0]
                    f_e = spans[6, 1]
                    strip = f_e - f_s >= 3 and (
                        (buf[f_s] == 69 and buf[f_s + 1] == 78 and buf[f_s + 2] == 83)
                        or (buf[f_s + 2] == 95 and (buf[f_s] == 78 or buf[f_s] == 88)))
                    if strip:
                        for i in range(f_s, f_e):
                            if buf[i] == 46:
                                f_e = i
                                break
                    take = equal_bytes(buf, f_s, f_e, transcript)
                elif index[4] >= 0 or index[5] >= 0:
                    if index[4] >= 0 and equal_bytes(buf, spans[4, 0], spans[4, 1], yes):
                        take = True
                    if index[5] >= 0 and spans[5, 1] > spans[5, 0]:
                        take = True
                else:
                    take = not first_done
                first_done = True
                if take:
                    chosen = True
                    for j in range(4):
                        out[line, 3 + 2 * j] = spans[j, 0]
                        out[line, 4 + 2 * j] = spans[j, 1]
            e = entry_end + 1
        if not chosen:
            out[line, 2] = NO_CHOSEN
        elif out[line, 4] <= out[line, 3]:
            out[line, 2] = NO_GENE
        elif use_known:
            h = fnv_kernel(buf, out[line, 3], out[line, 4])
            at = np.searchsorted(known, h)
            hit = at < len(known) and known[at] == h
            out[line, 2] = KEPT if hit else OUTSIDE
        else:
            out[line, 2] = KEPT
        if out[line, 2] == KEPT:
            keys[line] = key_hash(buf, out[line])
        pos = end + 1
        line += 1
    return out[:line], keys[:line]


@numba.njit(cache=True)
def key_hash(buf, row):
    """Hash of the chosen gene, HGVSp, HGVSc and consequence spans of one scanned line."""
    h = np.uint64(14695981039346656037)
    for j in range(4):
        s = row[3 + 2 * j]
        e = row[4 + 2 * j]
        for i in range(s, e):
            h ^= np.uint64(buf[i])
            h *= np.uint64(1099511628211)
        h ^= np.uint64(255)  # a separator no UTF-8 text contains
        h *= np.uint64(1099511628211)
    return h


@numba.njit(cache=True)
def same_key(buf, out, lines, representatives):
    """For each line, are its four annotation fields byte-equal to its representative's?

    Guards the hash grouping: a line whose hash collided is handled on its own.
    """
    n = len(lines)
    same = np.ones(n, np.bool_)
    for k in range(n):
        a = out[lines[k]]
        b = out[representatives[k]]
        for j in range(4):
            a_s = a[3 + 2 * j]
            a_e = a[4 + 2 * j]
            b_s = b[3 + 2 * j]
            b_e = b[4 + 2 * j]
            if a_e - a_s != b_e - b_s:
                same[k] = False
                break
            for i in range(a_e - a_s):
                if buf[a_s + i] != buf[b_s + i]:
                    same[k] = False
                    break
            if not same[k]:
                break
    return same


@numba.njit(cache=True)
def _is_key(buf, s, e, c0, c1, c2):
    n = e - s
    if c2 == 0:
        return n == 2 and buf[s] == c0 and buf[s + 1] == c1
    return n == 3 and buf[s] == c0 and buf[s + 1] == c1 and buf[s + 2] == c2


@numba.njit(cache=True)
def _digits(buf, s, e):
    """Value of buf[s:e] if it is 1-18 ASCII digits, else -1."""
    if e <= s or e - s > _MAX_DIGITS:
        return -1
    value = 0
    for i in range(s, e):
        c = buf[i]
        if c < 48 or c > 57:
            return -1
        value = value * 10 + (c - 48)
    return value


@numba.njit(cache=True)
def _missing(buf, s, e):
    """'.' or empty: the value is absent."""
    return e == s or (e - s == 1 and buf[s] == 46)


@numba.njit(cache=True)
def decode_samples(buf, starts, ends, n_samples):
    """Per line (FORMAT column at ``starts``, line end at ``ends``) and sample: GT, AD, DP,
    AF and PS of allele 1, as numbers.

    Returns ``gt`` (GT_ABSENT, GT_WITHOUT_ALLELE, GT_WITH_ALLELE), ``phased``, ``allele_at``
    (position of allele 1 in the genotype, -1 if absent), ``ad_alt`` (alt reads, -1 absent),
    ``ad_sum`` (sum of the AD values given), ``dp`` (-1 absent), ``af_start``/``af_end`` (span
    of the first AF value, -1 absent; Python converts it as ``float`` does), ``ps`` (-1
    absent) and ``fallback`` (per line: decode it in Python instead).
    """
    n = len(starts)
    shape = (n, n_samples)
    gt = np.full(shape, -1, np.int8)
    phased = np.zeros(shape, np.bool_)
    allele_at = np.full(shape, -1, np.int64)
    ad_alt = np.full(shape, -1, np.int64)
    ad_sum = np.zeros(shape, np.int64)
    dp = np.full(shape, -1, np.int64)
    af_start = np.full(shape, -1, np.int64)
    af_end = np.full(shape, -1, np.int64)
    ps = np.full(shape, -1, np.int64)
    fallback = np.zeros(n, np.bool_)
    for r in range(n):
        s = starts[r]
        e = ends[r]
        bad = False
        for i in range(s, e):
            if buf[i] >= 128:
                bad = True
                break
        if bad:
            fallback[r] = True
            continue
        # FORMAT keys: the first occurrence of each counts, as in str.index
        p_gt = p_ad = p_dp = p_af = p_ps = -1
        key = 0
        k_s = s
        i = s
        while True:
            if i == e or buf[i] == 9 or buf[i] == 58:
                if _is_key(buf, k_s, i, 71, 84, 0) and p_gt < 0:
                    p_gt = key
                elif _is_key(buf, k_s, i, 65, 68, 0) and p_ad < 0:
                    p_ad = key
                elif _is_key(buf, k_s, i, 68, 80, 0) and p_dp < 0:
                    p_dp = key
                elif _is_key(buf, k_s, i, 65, 70, 0) and p_af < 0:
                    p_af = key
                elif _is_key(buf, k_s, i, 80, 83, 0) and p_ps < 0:
                    p_ps = key
                elif (_is_key(buf, k_s, i, 80, 73, 68) or _is_key(buf, k_s, i, 80, 71, 84)
                      or _is_key(buf, k_s, i, 67, 78, 0)):
                    bad = True  # GATK phasing / copy number: the Python path reads them
                key += 1
                k_s = i + 1
                if i == e or buf[i] == 9:
                    break
            i += 1
        if bad:
            fallback[r] = True
            continue
        sample = 0
        cell = 0
        c_s = i + 1
        j = i + 1
        if i == e:
            fallback[r] = n_samples != 0
            continue
        while j <= e and not bad:
            if j == e or buf[j] == 9 or buf[j] == 58:
                if sample >= n_samples:
                    bad = True
                    break
                if cell == p_gt:
                    gt[r, sample] = 0
                    a_s = c_s
                    position = 0
                    for q in range(c_s, j + 1):
                        if q == j or buf[q] == 47 or buf[q] == 124:
                            if q < j and buf[q] == 124:
                                phased[r, sample] = True
                            value = _digits(buf, a_s, q)
                            if value < 0 and q - a_s > _MAX_DIGITS:
                                bad = True
                            if value == 1 and allele_at[r, sample] < 0:
                                allele_at[r, sample] = position
                                gt[r, sample] = 1
                            position += 1
                            a_s = q + 1
                elif cell == p_ad:
                    if not (j - c_s == 1 and buf[c_s] == 46):
                        a_s = c_s
                        position = 0
                        total = 0
                        for q in range(c_s, j + 1):
                            if q == j or buf[q] == 44:
                                value = _digits(buf, a_s, q)
                                if value < 0 and q - a_s > _MAX_DIGITS:
                                    bad = True
                                if value >= 0:
                                    total += value
                                    if position == 1:
                                        ad_alt[r, sample] = value
                                position += 1
                                a_s = q + 1
                        ad_sum[r, sample] = total
                elif cell == p_dp:
                    if not _missing(buf, c_s, j):
                        value = _digits(buf, c_s, j)
                        if value < 0:
                            bad = True
                        dp[r, sample] = value
                elif cell == p_af:
                    if not (j - c_s == 1 and buf[c_s] == 46):
                        q = c_s
                        while q < j and buf[q] != 44:
                            q += 1
                        if not _missing(buf, c_s, q):
                            af_start[r, sample] = c_s
                            af_end[r, sample] = q
                elif cell == p_ps:
                    if not _missing(buf, c_s, j):
                        value = _digits(buf, c_s, j)
                        if value < 0:
                            bad = True
                        ps[r, sample] = value
                cell += 1
                c_s = j + 1
                if j == e or buf[j] == 9:
                    sample += 1
                    cell = 0
            j += 1
        if bad or sample != n_samples:
            fallback[r] = True
    return gt, phased, allele_at, ad_alt, ad_sum, dp, af_start, af_end, ps, fallback
