import gzip

import pandas as pd
import pytest

from oncoresist._core import InputError, read_table, write_table
from oncoresist._core.provenance import Provenance


def test_detects_tab_and_comma(tmp_path):
    tsv = tmp_path / "a.tsv"
    tsv.write_text("gene\tdepth\nEGFR\t100\n")
    csv = tmp_path / "a.csv"
    csv.write_text("gene,depth\nEGFR,100\n")
    assert read_table(tsv)["gene"].tolist() == ["EGFR"]
    assert read_table(csv)["depth"].tolist() == ["100"]


def test_skips_comment_lines_and_reports_file_lines(tmp_path):
    path = tmp_path / "maf.tsv"
    path.write_text("#version 2.4\n#x\ngene\tdepth\nEGFR\t100\n\nKRAS\t50\n")
    frame = read_table(path, types={"depth": "int"})
    # header is line 3, rows are lines 4 and 6 (line 5 is blank and dropped)
    assert frame["_line"].tolist() == [4, 6]
    assert frame["depth"].tolist() == [100, 50]


def test_names_every_missing_column(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("gene\tfoo\nEGFR\t1\n")
    with pytest.raises(InputError, match=r"'alt_reads', 'depth'.*found columns: gene, foo") as info:
        read_table(path, required=["gene", "alt_reads", "depth"])
    assert info.value.line == 1


def test_bad_value_reports_its_line(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("gene\tdepth\nEGFR\t100\nKRAS\tlots\n")
    with pytest.raises(InputError, match=r"x.tsv, line 3: column 'depth' must be a whole number; found 'lots'"):
        read_table(path, types={"depth": "int"})


def test_non_integer_float_rejected_for_int(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("depth\n10\n2.5\n")
    with pytest.raises(InputError, match="line 3"):
        read_table(path, types={"depth": "int"})


def test_missing_values_are_missing(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("vaf\tok\n0.1\tyes\nNA\t\n")
    frame = read_table(path, types={"vaf": "float", "ok": "bool"})
    assert pd.isna(frame["vaf"].iloc[1])
    assert frame["ok"].iloc[0] is True


def test_gzip_and_aliases(tmp_path):
    path = tmp_path / "x.tsv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("Hugo_Symbol\tv\nEGFR\t1\n")
    frame = read_table(path, aliases={"hugo_symbol": "gene"}, required=["gene"])
    assert frame["gene"].tolist() == ["EGFR"]


def test_bad_encoding_and_empty_and_missing(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(b"gene\tx\nEGFR\t\xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read_table(bad)
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(InputError, match="is empty"):
        read_table(empty)
    with pytest.raises(InputError, match="does not exist"):
        read_table(tmp_path / "nope.tsv")


def test_input_error_is_value_error():
    assert issubclass(InputError, ValueError)


def test_write_table_atomic_with_provenance(tmp_path):
    out = tmp_path / "sub" / "t.tsv"
    frame = pd.DataFrame({"a": [1.5, 2.0], "_line": [2, 3]})
    write_table(frame, out, provenance=Provenance.create("test", seed=3))
    assert out.read_text() == "a\n1.5\n2\n"
    assert '"seed": 3' in (tmp_path / "sub" / "t.tsv.provenance.json").read_text()
    assert [p.name for p in (tmp_path / "sub").iterdir() if p.name.startswith(".")] == []
