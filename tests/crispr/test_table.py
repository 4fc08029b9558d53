"""Reading count tables and libraries: formats people use, and clear messages for bad input."""

from __future__ import annotations

import numpy as np
import pytest

from oncoresist._core import InputError
from oncoresist.crispr import read_counts, read_library


def _write(tmp_path, text, name="counts.txt"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_tab_and_comma_tables_the_same(tmp_path):
    tab = read_counts(_write(tmp_path, "sgRNA\tGene\tA\tB\ng1\tKRAS\t10\t5\ng2\tNF2\t0\t7\n"))
    comma = read_counts(_write(tmp_path, "sgRNA,Gene,A,B\ng1,KRAS,10,5\ng2,NF2,0,7\n", "c.csv"))
    assert tab.samples == comma.samples == ("A", "B")
    np.testing.assert_array_equal(tab.counts, comma.counts)
    assert comma.genes.tolist() == ["KRAS", "NF2"]


def test_reads_the_mageck_demo_table(crispr_data):
    table = read_counts(crispr_data / "mageck_demo" / "demo1" / "sample.txt")
    assert table.n_guides == 999  # 1000 lines, one header
    assert table.samples == ("HL60.initial", "KBM7.initial", "HL60.final", "KBM7.final")
    assert table.counts[0].tolist() == [213, 274, 883, 175]  # A1CF_m52595977, line 2


def test_space_delimited_table_is_refused_with_the_fix(tmp_path):
    path = _write(tmp_path, "sgRNA Gene A B\ng1 KRAS 10 5\n")
    with pytest.raises(InputError, match="space-delimited.*tabs") as info:
        read_counts(path)
    assert info.value.line == 1


def test_na_count_names_line_and_sample(tmp_path):
    path = _write(tmp_path, "sgRNA\tGene\tA\tB\ng1\tKRAS\t10\t5\ng2\tNF2\tNA\t7\n")
    with pytest.raises(InputError, match="'g2' in sample 'A' is 'NA'.*write 0") as info:
        read_counts(path)
    assert info.value.line == 3


def test_negative_count_is_refused(tmp_path):
    path = _write(tmp_path, "sgRNA\tGene\tA\ng1\tKRAS\t-1\n")
    with pytest.raises(InputError, match="non-negative"):
        read_counts(path)


def test_duplicate_guide_ids_name_both_lines(tmp_path):
    path = _write(tmp_path, "sgRNA\tGene\tA\ng1\tKRAS\t1\ng2\tNF2\t2\ng1\tKRAS\t3\n")
    with pytest.raises(InputError, match="'g1' appears again \\(first on line 2\\)") as info:
        read_counts(path)
    assert info.value.line == 4


def test_sample_that_is_not_a_column_lists_the_columns(tmp_path):
    table = read_counts(_write(tmp_path, "sgRNA\tGene\tA\tB\ng1\tKRAS\t10\t5\n"))
    with pytest.raises(InputError, match="'C' is not a column.*A, B"):
        table.select(["C"])
    # MAGeCK's 0-based indices are accepted.
    assert table.select(["1"]).samples == ("B",)


def test_library_with_and_without_header(tmp_path):
    plain = read_library(_write(tmp_path, "s1\tACGTACGT\tKRAS\ns2\tTTGCAAGG\tNF2\n", "l1.txt"))
    header = read_library(_write(tmp_path, "id,seq,gene\ns1,acgtacgt,KRAS\n", "l2.csv"))
    assert plain.guides.tolist() == ["s1", "s2"]
    assert header.sequences.tolist() == ["ACGTACGT"]


def test_library_with_non_dna_sequence(tmp_path):
    path = _write(tmp_path, "s1\tACGTACGT\tKRAS\ns2\tACGTXXGT\tNF2\n", "l.txt")
    with pytest.raises(InputError, match="not DNA") as info:
        read_library(path)
    assert info.value.line == 2
