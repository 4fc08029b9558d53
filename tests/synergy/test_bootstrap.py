"""Replicate bootstrap of block scores."""

from __future__ import annotations

import numpy as np
import pytest

from oncoresist.synergy import read_screen, score


def test_bootstrap_is_seeded_and_reproducible(oneil_path):
    screen = read_screen(oneil_path)
    a = score(screen, models="bliss,zip", bootstrap=10, rng=5).blocks
    b = score(screen, models="bliss,zip", bootstrap=10, rng=5).blocks
    assert a.equals(b)
    c = score(screen, models="bliss,zip", bootstrap=10, rng=6).blocks
    assert not np.allclose(a["bliss_sd"], c["bliss_sd"])


def test_bootstrap_sd_of_bliss_matches_replicate_spread(oneil_path):
    # In the O'Neil example the single-drug wells are identical across replicates, so the Bliss
    # block score is mean(combination wells) - constant, and its bootstrap sd must match the
    # standard error sqrt(sum_w s_w^2 / n_w) / n_combo, with s_w^2 the plug-in (ddof=0)
    # variance of the replicates of well w (the bootstrap's variance). Tolerance: 4 standard
    # errors of a bootstrap sd from B=400 samples, sd * 4 / sqrt(2 B) = 14%.
    screen = read_screen(oneil_path)
    block = screen.blocks["1"]
    keys, _, count, reps = block.wells()
    combo = (keys > 0).all(axis=1)
    plug_in = np.sqrt(sum(np.var(r) / r.size for r, c in zip(reps, combo, strict=True) if c)) / combo.sum()
    row = score(block, models="bliss", bootstrap=400, rng=1).blocks.iloc[0]
    assert row.bliss_sd == pytest.approx(plug_in, rel=4 / np.sqrt(2 * 400))
    assert row.bliss_low < row.bliss < row.bliss_high
    assert row.bliss_p < 0.05


def test_no_replicates_no_bootstrap(mathews_path):
    res = score(read_screen(mathews_path, response="viability"), models="bliss", bootstrap=20, rng=1)
    assert res.blocks["bliss_p"].isna().all()
    assert any("no replicates" in n for n in res.notes)


def test_chunks_and_executor_do_not_change_results(oneil_path):
    from concurrent.futures import ThreadPoolExecutor

    screen = read_screen(oneil_path)
    whole = score(screen, models="bliss,loewe", bootstrap=5, rng=2).blocks
    calls = []
    with ThreadPoolExecutor(2) as pool:
        split = score(screen, models="bliss,loewe", bootstrap=5, rng=2, executor=pool, chunk_size=1,
                      progress=lambda done, total: calls.append((done, total))).blocks
    assert whole.equals(split)
    assert calls == [(1, 2), (2, 2)]
