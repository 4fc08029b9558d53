"""Clustering agreement scores from the contingency table.

* Adjusted Rand index: Hubert & Arabie (1985), J. Classification 2:193.
* V-measure: Rosenberg & Hirschberg (2007), EMNLP-CoNLL, harmonic mean of homogeneity and
  completeness (conditional entropies of the contingency table).
"""

from __future__ import annotations

import numpy as np


def contingency(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    _, t = np.unique(np.asarray(truth), return_inverse=True)
    _, p = np.unique(np.asarray(predicted), return_inverse=True)
    table = np.zeros((t.max(initial=-1) + 1, p.max(initial=-1) + 1), dtype=np.int64)
    np.add.at(table, (t, p), 1)
    return table


def _pairs(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x * (x - 1) / 2


def adjusted_rand_index(truth, predicted) -> float:
    table = contingency(truth, predicted)
    n = table.sum()
    if n < 2:
        return 1.0
    index = _pairs(table).sum()
    rows = _pairs(table.sum(axis=1)).sum()
    cols = _pairs(table.sum(axis=0)).sum()
    expected = rows * cols / _pairs(n)
    maximum = (rows + cols) / 2
    if maximum == expected:  # both partitions trivial and identical
        return 1.0
    return float((index - expected) / (maximum - expected))


def _entropy(counts: np.ndarray) -> float:
    counts = counts[counts > 0].astype(np.float64)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def v_measure(truth, predicted) -> float:
    table = contingency(truth, predicted).astype(np.float64)
    n = table.sum()
    h_c = _entropy(table.sum(axis=1))
    h_k = _entropy(table.sum(axis=0))
    nz = table > 0
    joint = table[nz] / n
    row = (table.sum(axis=1, keepdims=True) / n).repeat(table.shape[1], axis=1)[nz]
    col = (table.sum(axis=0, keepdims=True) / n).repeat(table.shape[0], axis=0)[nz]
    h_c_given_k = float(-(joint * np.log(joint / col)).sum())
    h_k_given_c = float(-(joint * np.log(joint / row)).sum())
    homogeneity = 1.0 if h_c == 0 else 1 - h_c_given_k / h_c
    completeness = 1.0 if h_k == 0 else 1 - h_k_given_c / h_k
    if homogeneity + completeness == 0:
        return 0.0
    return float(2 * homogeneity * completeness / (homogeneity + completeness))
