"""Counting reads against MAGeCK's demo2 (tests/data/crispr/mageck_demo/demo2, BSD-3).

Expected values are MAGeCK's own outputs shipped with the demo: demo.count.txt (counts) and
demo.countsummary.txt (Reads 2500/2500, Mapped 1453/1471, Percentage 0.5812/0.5884,
Zerocounts 1276/1199, GiniIndex 0.5267/0.4931).
"""

from __future__ import annotations

import gzip
import shutil

import pandas as pd
import pytest

from oncoresist._core import InputError
from oncoresist.crispr import count_reads


@pytest.fixture
def demo2(crispr_data):
    return crispr_data / "mageck_demo" / "demo2"


def test_counts_and_summary_match_mageck_demo2(demo2):
    res = count_reads(demo2 / "library.txt", [demo2 / "test1.fastq", demo2 / "test2.fastq"], labels=["L1", "CTRL"])
    shipped = pd.read_csv(demo2 / "demo.countsummary.txt", sep="\t")
    ours = res.summary
    for column in ["Reads", "Mapped", "TotalsgRNAs", "Zerocounts"]:
        assert ours[column].tolist() == shipped[column].tolist(), column
    assert ours["Percentage"].tolist() == [0.5812, 0.5884]
    assert ours["GiniIndex"].tolist() == shipped["GiniIndex"].tolist()
    counts = pd.read_csv(demo2 / "demo.count.txt", sep="\t").set_index("sgRNA")
    frame = res.to_frame().set_index("sgRNA").loc[counts.index]
    assert (frame[["L1", "CTRL"]].to_numpy() == counts[["L1", "CTRL"]].to_numpy()).all()
    assert (frame["Gene"] == counts["Gene"]).all()


def test_gzipped_fastq_and_given_position(demo2, tmp_path):
    gz = tmp_path / "test1.fastq.gz"
    with open(demo2 / "test1.fastq", "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    res = count_reads(demo2 / "library.txt", [gz], position=0)
    assert res.summary["Mapped"].tolist() == [1453]
    assert res.table.samples == ("test1",)
    shifted = count_reads(demo2 / "library.txt", [gz], position=3)
    assert shifted.summary["Mapped"].iloc[0] < 100  # a wrong offset maps (almost) nothing


def test_writes_mageck_named_files(demo2, tmp_path):
    res = count_reads(demo2 / "library.txt", [demo2 / "test2.fastq"], labels=["CTRL"])
    paths = res.write(tmp_path / "demo")
    assert sorted(p.name for p in paths) == ["demo.count.txt", "demo.countsummary.txt"]
    assert (tmp_path / "demo.count.txt").read_text().startswith("sgRNA\tGene\tCTRL\n")


def test_truncated_fastq_names_the_record(demo2, tmp_path):
    bad = tmp_path / "bad.fastq"
    bad.write_text("@r1\nACGT\n+\nIIII\n@r2\nACGT\n")
    with pytest.raises(InputError, match="not a complete FASTQ record") as info:
        count_reads(demo2 / "library.txt", [bad])
    assert info.value.line == 5


def test_label_count_must_match(demo2):
    with pytest.raises(InputError, match="one label per FASTQ"):
        count_reads(demo2 / "library.txt", [demo2 / "test1.fastq"], labels=["a", "b"])
