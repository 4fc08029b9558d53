"""Muller (fish) plot layout, from clone tables and from deconvolution results.

Expected band limits are worked out by hand: each band is as wide as the clone plus its
descendants, children are centred in the parent with the parent's own cells split evenly
above and below.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from oncoresist import InputError, clonal


def clone_table() -> pd.DataFrame:
    # oncoresist.evolve's clone table layout: time, clone_id, parent_id, type, size (own cells)
    return pd.DataFrame(
        {
            "time": [0, 0, 0, 5, 5, 5],
            "clone_id": [0, 1, 2, 0, 1, 2],
            "parent_id": [np.nan, 0, 1, np.nan, 0, 1],
            "type": ["S", "R1", "R2"] * 2,
            "size": [800.0, 200.0, 0.0, 100.0, 300.0, 600.0],
        }
    )


def test_layout_of_a_clone_table():
    bands = clonal.muller_layout(clone_table()).set_index(["time", "clone_id"])
    # time 0: totals 0 -> 1000, 1 -> 200, 2 -> 0; normalised: 1, 0.2, 0.
    # clone 0 spans [0, 1]; its own 0.8 splits 0.4 below, so clone 1 spans [0.4, 0.6];
    # clone 1 owns all of its 0.2, clone 2 (size 0) sits at 0.4 + 0.1 = 0.5.
    assert bands.loc[(0, 0), ["lower", "upper"]].tolist() == pytest.approx([0.0, 1.0])
    assert bands.loc[(0, 1), ["lower", "upper"]].tolist() == pytest.approx([0.4, 0.6])
    assert bands.loc[(0, 2), ["lower", "upper"]].tolist() == pytest.approx([0.5, 0.5])
    # time 5: totals 1000, 900, 600 -> 1, 0.9, 0.6; clone 1 from 0.05 to 0.95;
    # clone 1 owns 0.3, so clone 2 starts at 0.05 + 0.15 = 0.2 and ends at 0.8.
    assert bands.loc[(5, 1), ["lower", "upper"]].tolist() == pytest.approx([0.05, 0.95])
    assert bands.loc[(5, 2), ["lower", "upper"]].tolist() == pytest.approx([0.2, 0.8])


def test_absolute_sizes_keep_cell_numbers():
    bands = clonal.muller_layout(clone_table(), normalize=False).set_index(["time", "clone_id"])
    assert bands.loc[(5, 0), "upper"] - bands.loc[(5, 0), "lower"] == pytest.approx(1000.0)
    assert bands.loc[(5, 2), "total"] == pytest.approx(600.0)


def test_cumulative_fractions_from_results_and_tree():
    results = pd.DataFrame(
        {
            "cluster_id": [0, 0, 1, 1, 2, 2],
            "sample_id": ["pre", "post"] * 3,
            "cellular_prevalence": [1.0, 1.0, 0.3, 0.9, 0.5, 0.05],
            "cellular_prevalence_std": [0.01] * 6,
        }
    )
    search = clonal.trees(results)
    bands = clonal.muller_layout(results, search, times={"pre": 0, "post": 90}).set_index(["time", "clone_id"])
    # 2 > 1 before (0.5 > 0.3) and 1 > 2 after (0.9 > 0.05): siblings under 0, sums 0.8 and 0.95.
    # post: 0 owns 1 - 0.95 = 0.05, so 1 spans 0.025 .. 0.925
    assert search.best.parents == {0: -1, 1: 0, 2: 0}
    assert bands.loc[(90, 0), "own"] == pytest.approx(0.05)
    assert bands.loc[(90, 1), ["lower", "upper"]].tolist() == pytest.approx([0.025, 0.925])


def test_sum_rule_violation_is_an_error_with_clone_and_time():
    # fishplot refuses these too: children 1 and 2 add to 1.2 > 1.0 at time 30
    sizes = pd.DataFrame({"time": [0, 0, 0, 30, 30, 30], "clone_id": [0, 1, 2] * 2,
                          "size": [1.0, 0.5, 0.2, 1.0, 0.7, 0.5]})
    with pytest.raises(InputError, match=r"time 30.*children \[1, 2\] of clone 0.*1\.2"):
        clonal.muller_layout(sizes, {0: -1, 1: 0, 2: 0}, cumulative=True)


def test_child_larger_than_parent_is_an_error():
    sizes = pd.DataFrame({"time": [0, 0], "clone_id": [0, 1], "size": [0.4, 0.6]})
    with pytest.raises(InputError, match="sum rule"):
        clonal.muller_layout(sizes, {0: -1, 1: 0}, cumulative=True)


def test_parent_absent_from_the_clone_table_becomes_an_empty_clone():
    # evolve lists living clones only; clone 7 died before the first record
    frame = clone_table()
    frame.loc[frame["clone_id"] == 2, "parent_id"] = 7
    bands = clonal.muller_layout(frame).set_index(["time", "clone_id"])
    assert bands.loc[(5, 7), "own"] == 0.0
    assert bands.loc[(5, 7), "total"] == pytest.approx(0.6)


def test_unknown_parent_with_a_given_tree_and_cycles_are_errors():
    sizes = clone_table()[["time", "clone_id", "size"]]
    with pytest.raises(InputError, match="parent 7"):
        clonal.muller_layout(sizes, {0: -1, 1: 0, 2: 7})
    frame = clone_table()
    with pytest.raises(InputError, match="cycle|not connected"):
        clonal.muller_layout(frame.assign(parent_id=[1, 0, 1] * 2))


def test_plot_marks_therapy_periods():
    ax = clonal.pl.muller(clone_table(), therapy=pd.DataFrame({"start": [1], "end": [4], "label": ["EGFR TKI"]}))
    assert len(ax.collections) == 3
    assert [t.get_text() for t in ax.texts] == ["EGFR TKI"]
    with pytest.raises(InputError, match="before it starts"):
        clonal.pl.muller(clone_table(), therapy=[(4, 1)])
