"""Normalisation, BH and Gini against hand calculations and MAGeCK2's logged factors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from oncoresist._core import InputError
from oncoresist.crispr import CountTable, benjamini_hochberg, gini_index, size_factors


def _table(counts, guides=("a", "b", "c"), genes=("G", "G", "NTC")):
    counts = np.asarray(counts, dtype=float)
    samples = tuple(f"s{i + 1}" for i in range(counts.shape[1]))
    return CountTable(np.array(guides, dtype=object), np.array(genes, dtype=object), samples, counts)


HAND = [[9, 19, 39], [1, 3, 7], [3, 7, 15]]


def test_median_ratio_on_a_3x3_table_by_hand():
    # count + 1 = [10 20 40], [2 4 8], [4 8 16]; geometric means 20, 4, 8.
    # count / gm: s1 = 0.45, 0.25, 0.375 -> median 0.375 -> factor 8/3
    #             s2 = 0.95, 0.75, 0.875 -> median 0.875 -> factor 8/7
    #             s3 = 1.95, 1.75, 1.875 -> median 1.875 -> factor 8/15
    np.testing.assert_allclose(size_factors(_table(HAND)), [8 / 3, 8 / 7, 8 / 15], rtol=1e-12)


def test_total_factors_by_hand():
    # totals 13, 29, 61; mean 103/3; factor = mean / total.
    expected = np.array([103 / 3 / 13, 103 / 3 / 29, 103 / 3 / 61])
    np.testing.assert_allclose(size_factors(_table(HAND), method="total"), expected, rtol=1e-12)


def test_control_factors_use_only_the_controls():
    # Only guide c (gene NTC): count+1 = 4, 8, 16 -> gm 8 -> ratios 3/8, 7/8, 15/8.
    got = size_factors(_table(HAND), method="control", control_guides=["NTC"])
    np.testing.assert_allclose(got, [8 / 3, 8 / 7, 8 / 15], rtol=1e-12)
    got = size_factors(_table(HAND), method="control", control_guides=["a"])
    # Guide a alone: count+1 = 10, 20, 40 -> gm 20 -> ratios 0.45, 0.95, 1.95.
    np.testing.assert_allclose(got, [1 / 0.45, 1 / 0.95, 1 / 1.95], rtol=1e-12)


def test_none_and_bad_method():
    assert size_factors(_table(HAND), method="none").tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(InputError, match="one of median, total, control, none"):
        size_factors(_table(HAND), method="quantile")
    with pytest.raises(InputError, match="none of the 1 control"):
        size_factors(_table(HAND), method="control", control_guides=["zzz"])


def test_median_and_total_factors_match_mageck2_log_on_demo1(crispr_data, demo1_counts):
    # MAGeCK2 0.3.0 logs its factors (tests/data/crispr/mageck2_demo1/demo.log).
    log = (crispr_data / "mageck2_demo1" / "demo.log").read_text()
    median = [float(x) for x in re.search(r"Median factor: ([\d. ]+)", log).group(1).split()]
    total = [float(x) for x in re.search(r"Initial \(total\) size factor: ([\d. ]+)", log).group(1).split()]
    sub = demo1_counts.select(["HL60.initial", "KBM7.initial", "HL60.final", "KBM7.final"])
    np.testing.assert_allclose(size_factors(sub), median, rtol=1e-12)
    np.testing.assert_allclose(size_factors(sub, method="total"), total, rtol=1e-12)


def test_bh_on_a_known_list():
    # m = 5, sorted p = 0.005 0.01 0.03 0.04 0.5; m p / rank = 0.025 0.025 0.05 0.05 0.5;
    # running minimum from the top leaves them as they are. Same as R p.adjust(..., "BH").
    p = np.array([0.04, 0.005, 0.5, 0.01, 0.03])
    np.testing.assert_allclose(benjamini_hochberg(p), [0.05, 0.025, 0.5, 0.025, 0.05])
    # Monotonicity: 0.02 at rank 2 of 2 gives 0.02, so 0.019 at rank 1 -> min(0.038, 0.02).
    np.testing.assert_allclose(benjamini_hochberg(np.array([0.019, 0.02])), [0.02, 0.02])
    assert np.isnan(benjamini_hochberg(np.array([np.nan, 0.1])))[0]


def test_gini_of_known_vectors():
    # [1, 2, 3, 4]: sum (2i - 5) x_i = -3 - 2 + 3 + 12 = 10; / ((4 - 1) * 10) = 1/3.
    assert gini_index(np.array([4.0, 1.0, 3.0, 2.0])) == pytest.approx(1 / 3)
    assert gini_index(np.array([5.0, 5.0, 5.0])) == 0.0
    assert gini_index(np.array([0.0, 0.0, 7.0])) == pytest.approx(1.0)
    with pytest.raises(InputError):
        gini_index(np.array([-1.0, 2.0]))
