"""Replicate bootstrap of block scores.

Each bootstrap sample draws, in every well, as many replicates as were measured, with
replacement, then scores the block again (curve fits included). The spread of the resampled
block scores gives a standard error, a percentile interval and a two-sided p-value against zero
(normal approximation on the bootstrap standard error).
"""

from __future__ import annotations

import numpy as np

from oncoresist.synergy._io import Block
from oncoresist.synergy._models import normal_p_value, score_blocks


def resample(block: Block, rng: np.random.Generator) -> Block:
    """One bootstrap copy of ``block``: replicates resampled with replacement within wells."""
    _, inverse = np.unique(block.doses, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    response = block.response.copy()
    for well in range(inverse.max() + 1):
        rows = np.flatnonzero(inverse == well)
        if rows.size > 1:
            response[rows] = block.response[rng.choice(rows, size=rows.size, replace=True)]
    return Block(block.block_id, block.drugs, block.conc_unit, block.doses, response, block.lines)


def has_replicates(block: Block) -> bool:
    """True when at least one well was measured more than once (with differing values)."""
    _, _, _, reps = block.wells()
    return any(r.size > 1 and np.nanstd(r) > 0 for r in reps)


def bootstrap_block(block: Block, models, n: int, rng: np.random.Generator) -> dict[str, dict]:
    """Bootstrap summary per model: sd, 2.5% and 97.5% quantiles, p-value, samples used."""
    if n <= 0 or not has_replicates(block):
        return {}
    copies = [resample(block, rng) for _ in range(n)]
    scored = score_blocks(copies, models)
    out = {}
    for model in scored[0].scores:
        values = np.array([s.scores[model] for s in scored], dtype=float)
        values = values[np.isfinite(values)]
        if values.size < 2:
            continue
        sd = float(values.std(ddof=1))
        out[model] = {
            "sd": sd,
            "low": float(np.quantile(values, 0.025)),
            "high": float(np.quantile(values, 0.975)),
            "n": int(values.size),
            "mean": float(values.mean()),
        }
    return out


def p_value(score: float, summary: dict) -> float:
    """Two-sided p-value of the observed block score given its bootstrap standard error."""
    return normal_p_value(score, summary.get("sd", np.nan))
