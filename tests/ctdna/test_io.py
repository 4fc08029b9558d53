"""Readers: canonical columns, bad rows reported with their file line."""

import pandas as pd
import pytest

from oncoresist import InputError
from oncoresist.ctdna import read_imaging, read_maf_series, read_normals, read_samples, read_therapy
from oncoresist.ctdna._io import substitution_class

HEADER = "patient_id\tsample_id\tday\tgene\talteration\talt_reads\tdepth\n"


def _write(tmp_path, text, name="samples.tsv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_the_bundled_fixture(data_dir):
    frame = read_samples(data_dir / "ctdna" / "samples.tsv")
    assert {"variant", "locus", "day", "alt_reads", "depth"} <= set(frame.columns)
    assert frame["variant"].iloc[0] == "EGFR p.L858R"
    assert frame["alt_reads"].dtype == "int64"


@pytest.mark.parametrize(
    ("row", "line", "words"),
    [
        ("P1\ts2\t30\tEGFR\tp.T790M\t52\t40\n", 3, "depth must be >= alt_reads"),
        ("P1\ts2\t30\tEGFR\tp.T790M\t-1\t40\n", 3, "must be >= 0"),
        ("P1\ts2\t\tEGFR\tp.T790M\t1\t40\n", 3, "no day"),
        ("P1\ts2\t30\tEGFR\tp.T790M\tx\t40\n", 3, "whole number"),
    ],
)
def test_bad_rows_name_their_line(tmp_path, row, line, words):
    path = _write(tmp_path, HEADER + "P1\ts1\t0\tEGFR\tp.T790M\t0\t1000\n" + row)
    with pytest.raises(InputError) as info:
        read_samples(path)
    assert info.value.line == line
    assert words in str(info.value)
    assert str(path) in str(info.value)


def test_duplicate_variant_in_a_sample_is_rejected(tmp_path):
    path = _write(tmp_path, HEADER + "P1\ts1\t0\tEGFR\tp.T790M\t0\t1000\nP1\ts1\t0\tEGFR\tp.T790M\t1\t1000\n")
    with pytest.raises(InputError, match="appears twice") as info:
        read_samples(path)
    assert info.value.line == 3


def test_collection_dates_become_days_from_each_patients_first_sample(tmp_path):
    text = (
        "patient_id\tsample_id\tcollection_date\tgene\talteration\talt_reads\tdepth\n"
        "P1\ta\t2024-01-01\tEGFR\tp.T790M\t0\t100\n"
        "P1\tb\t2024-03-01\tEGFR\tp.T790M\t0\t100\n"
        "P2\tc\t2024-02-10\tEGFR\tp.T790M\t0\t100\n"
    )
    frame = read_samples(_write(tmp_path, text))
    # 2024 is a leap year: January (31) + February (29) = 60 days.
    assert frame["day"].tolist() == [0.0, 60.0, 0.0]


def test_coordinates_alone_name_the_variant(tmp_path):
    text = "patient_id\tsample_id\tday\tchrom\tpos\tref\talt\talt_reads\tdepth\nP1\ts\t0\t7\t100\tG\tA\t1\t100\n"
    frame = read_samples(_write(tmp_path, text))
    assert frame["variant"].iloc[0] == "7:100 G>A"
    assert frame["substitution_class"].iloc[0] == "C>T"


def test_substitution_classes_are_pyrimidine_centred():
    assert substitution_class("G", "T") == "C>A"
    assert substitution_class("T", "C") == "T>C"
    assert substitution_class("AT", "A") == "indel"
    assert substitution_class(None, "A") == "unknown"


def test_normals_need_no_day(tmp_path):
    text = "sample_id\tgene\talteration\talt_reads\tdepth\nN1\tEGFR\tp.T790M\t0\t1000\n"
    frame = read_normals(_write(tmp_path, text))
    assert frame["patient_id"].tolist() == ["N1"]


def test_maf_series(tmp_path):
    maf = (
        "#version 2.4\n"
        "Hugo_Symbol\tChromosome\tStart_Position\tReference_Allele\tTumor_Seq_Allele2\t"
        "Tumor_Sample_Barcode\tHGVSp_Short\tt_alt_count\tt_depth\n"
        "EGFR\tchr7\t100\tC\tT\tS1\tp.T790M\t3\t1000\n"
        "EGFR\tchr7\t100\tC\tT\tS2\tp.T790M\t30\t1000\n"
    )
    (tmp_path / "all.maf").write_text(maf)
    manifest = _write(tmp_path, "patient_id\tsample_id\tday\tmaf\nP1\tS1\t0\tall.maf\nP1\tS2\t28\tall.maf\n",
                      "manifest.tsv")
    frame = read_maf_series(manifest)
    assert frame["day"].tolist() == [0.0, 28.0]
    assert frame["alt_reads"].tolist() == [3, 30]
    assert frame["variant"].tolist() == ["EGFR p.T790M", "EGFR p.T790M"]
    assert frame["locus"].iloc[0] == "chr7:100 C>T"


def test_therapy_end_before_start_is_rejected(tmp_path):
    path = _write(tmp_path, "patient_id\tdrug\tstart_day\tend_day\nP1\tErlotinib\t10\t5\n", "therapy.tsv")
    with pytest.raises(InputError, match="end_day must be >= start_day") as info:
        read_therapy(path)
    assert info.value.line == 2


def test_therapy_drug_names_are_lower_case_and_open_ended(tmp_path):
    path = _write(tmp_path, "patient_id\tdrug\tstart_day\tend_day\nP1\tErlotinib\t0\t\n", "therapy.tsv")
    frame = read_therapy(path)
    assert frame["drug"].tolist() == ["erlotinib"]
    assert pd.isna(frame["end_day"].iloc[0])


def test_imaging_flags_progression(tmp_path):
    path = _write(tmp_path, "patient_id\tday\tresult\nP1\t0\tSD\nP1\t56\tPD\n", "imaging.tsv")
    assert read_imaging(path)["progression"].tolist() == [False, True]


def test_call_reads_a_maf_manifest(tmp_path):
    from oncoresist.ctdna import call

    maf = ("Hugo_Symbol\tHGVSp_Short\tTumor_Sample_Barcode\tt_alt_count\tt_depth\n"
           "EGFR\tp.T790M\tS1\t0\t1000\nEGFR\tp.T790M\tS2\t40\t1000\n")
    (tmp_path / "all.maf").write_text(maf)
    manifest = _write(tmp_path, "patient_id\tsample_id\tday\tmaf\nP1\tS1\t0\tall.maf\nP1\tS2\t28\tall.maf\n",
                      "manifest.tsv")
    calls = call(manifest, default_error_rate=1e-3).calls
    assert calls["detected"].tolist() == [False, True]
