"""drugZ against its shipped example output (tests/data/crispr/drugz_example, MIT, hart-lab/drugz).

The example was made with half_window_size=5 on sgRNA_count.txt, olaparib vs control, replicates
A, B, C paired in order. Expected: both files reproduced to every printed digit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncoresist._core import InputError
from oncoresist.crispr import drugz_test, read_counts
from oncoresist.crispr._drugz import format_fold_changes, format_gene_summary, smoothed_sd

DRUG = ["T15_A_olaparib", "T15_B_olaparib", "T15_C_olaparib"]
CONTROL = ["T15_A_control", "T15_B_control", "T15_C_control"]


@pytest.fixture
def example(crispr_data):
    folder = crispr_data / "drugz_example"
    table = read_counts(folder / "sgRNA_count.txt")
    return folder, drugz_test(table, DRUG, CONTROL, half_window_size=5)


def test_gene_table_reproduces_drugz_example(example):
    folder, result = example
    assert format_gene_summary(result.gene_summary) == (folder / "drugz_output_hws5.txt").read_text()


def test_fold_change_table_reproduces_drugz_example(example):
    folder, result = example
    assert format_fold_changes(result.fold_changes) == (folder / "drugz_foldchange_hws5.txt").read_text()


def test_fold_changes_exact_and_z_within_rounding(example):
    folder, result = example
    shipped = pd.read_csv(folder / "drugz_foldchange_hws5.txt", sep="\t", index_col=0)
    ours = result.fold_changes.set_index("sgRNA").loc[shipped.index]
    for k in range(3):
        # Printed with 3 decimals: agreement within half a unit of the last digit.
        np.testing.assert_allclose(ours[f"fc_{k}"], shipped[f"fc_{k}"], atol=5e-4 + 1e-12)
        np.testing.assert_allclose(ours[f"zscore_fc_{k}"], shipped[f"zscore_fc_{k}"], atol=5e-4 + 1e-12)
        np.testing.assert_allclose(ours[f"eb_std_{k}"], shipped[f"eb_std_{k}"], atol=5e-4 + 1e-12)


def test_fold_change_by_hand(example):
    # A1CF_CGTG, replicate A: control 452 of 2005 reads, olaparib 585 of 2658 reads;
    # fc = log2((585/2658e-7 + 5) / (452/2005e-7 + 5)).
    _, result = example
    row = result.fold_changes.set_index("sgRNA").loc["A1CF_CGTGGCTATTTGGCATACAC"]
    expected = np.log2((585 / 2658 * 1e7 + 5) / (452 / 2005 * 1e7 + 5))
    assert row["fc_0"] == pytest.approx(expected, rel=1e-12)


def test_smoothed_sd_is_monotone_and_windowed():
    rng = np.random.default_rng(0)
    # Noise grows along the list (low counts last), as in real screens.
    fc = rng.normal(0, np.linspace(0.2, 2.0, 400))
    sd = smoothed_sd(fc, 50)
    assert np.all(np.diff(sd) >= 0)
    assert sd[0] == pytest.approx(np.std(fc[:100], ddof=1))
    # Tables smaller than a window: one window, no crash (drugZ itself fails here).
    assert np.allclose(smoothed_sd(fc[:7], 50), np.std(fc[:7], ddof=1))


def test_unpaired_samples_are_refused(example):
    folder, _ = example
    table = read_counts(folder / "sgRNA_count.txt")
    with pytest.raises(InputError, match="paired samples"):
        drugz_test(table, DRUG[:2], CONTROL)
