"""Screen QC on MAGeCK's demo2 counts (expected: MAGeCK's demo.countsummary.txt) and by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncoresist.crispr import CountTable, read_counts, screen_qc


def test_qc_matches_mageck_countsummary(crispr_data, tmp_path):
    demo2 = crispr_data / "mageck_demo" / "demo2"
    # MAGeCK's count table lists only guides seen at least once; its summary counts the whole
    # library (2550 guides), so zero counts here are the library's minus the unseen rows.
    table = read_counts(demo2 / "demo.count.txt")
    qc = screen_qc(table, replicates={"pair": ["L1", "CTRL"]})
    shipped = pd.read_csv(demo2 / "demo.countsummary.txt", sep="\t")
    assert qc.samples["Reads"].tolist() == shipped["Mapped"].tolist()
    unseen = 2550 - table.n_guides
    assert (qc.samples["Zerocounts"] + unseen).tolist() == shipped["Zerocounts"].tolist()
    paths = qc.write(tmp_path / "qc")
    assert all(p.exists() for p in paths)


def test_qc_by_hand():
    counts = np.array([[0.0, 10.0], [10.0, 20.0], [20.0, 40.0], [30.0, 0.0]])
    t = CountTable(np.array(list("abcd"), dtype=object), np.array(list("GGHH"), dtype=object), ("x", "y"), counts)
    qc = screen_qc(t, replicates={"r": ["x", "y"]}, norm_method="none")
    assert qc.samples["Reads"].tolist() == [60.0, 70.0]
    assert qc.samples["Zerocounts"].tolist() == [1, 1]
    assert qc.samples["q50"].tolist() == [15.0, 15.0]
    logc = np.log2(counts + 1.0)
    assert qc.replicates["pearson_log"].iloc[0] == pytest.approx(np.corrcoef(logc.T)[0, 1])
