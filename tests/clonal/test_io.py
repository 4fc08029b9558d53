"""Reading PyClone-VI inputs and Pairtree .ssm files; writing PyClone-VI results.

Expected values are read off the fixture files by eye (tests/data/clonal, written by hand).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncoresist import InputError, OncoresistWarning, clonal


@pytest.fixture
def clonal_dir(data_dir):
    return data_dir / "clonal"


def test_reads_pyclone_input_with_optional_columns(clonal_dir):
    data = clonal.read_pyclone(clonal_dir / "pyclone_input.tsv")
    assert data.samples == ("pre", "relapse")
    assert data.mutations[0] == "EGFR:7:55191822:T"
    assert data.shape == (4, 2)
    # MET row: relapse 110 ref / 90 alt, copy number 2+1
    assert data.ref_counts[2].tolist() == [190, 110]
    assert data.alt_counts[2].tolist() == [10, 90]
    assert data.major_cn[2].tolist() == [2, 2]
    assert data.minor_cn[3].tolist() == [2, 2]
    assert data.tumour_content[:, 0].tolist() == [0.8] * 4
    assert data.tumour_content[:, 1].tolist() == [0.6] * 4


def test_defaults_and_column_order_of_tracerx_style_file(clonal_dir):
    # PyClone-VI's documented defaults: tumour_content 1.0, error_rate 0.001
    data = clonal.read_pyclone(clonal_dir / "pyclone_input_minimal.tsv")
    assert data.tumour_content.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert data.error_rate.tolist() == [[0.001, 0.001], [0.001, 0.001]]
    assert data.major_cn[0].tolist() == [2, 2]
    assert data.normal_cn[0].tolist() == [2, 2]


def test_round_trip_through_pyclone_layout(clonal_dir, tmp_path):
    data = clonal.read_pyclone(clonal_dir / "pyclone_input.tsv")
    out = data.write(tmp_path / "copy.tsv")
    header = out.read_text().splitlines()[0].split("\t")
    assert header[:9] == [
        "mutation_id", "sample_id", "ref_counts", "alt_counts", "major_cn", "minor_cn",
        "normal_cn", "tumour_content", "error_rate",
    ]
    again = clonal.read_pyclone(out)
    for name in ("ref_counts", "alt_counts", "major_cn", "minor_cn", "normal_cn"):
        assert np.array_equal(getattr(again, name), getattr(data, name))
    assert np.allclose(again.tumour_content, data.tumour_content)


def test_input_file_is_not_modified(clonal_dir):
    path = clonal_dir / "pyclone_input.tsv"
    before = path.read_bytes()
    clonal.fit(path, max_clusters=2, restarts=1, rng=0)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("broken_missing_sample.tsv", 4, ["'m2'", "'B'", "alt_counts=0"]),
        ("broken_zero_cn.tsv", 3, ["major_cn=0", "'m2'"]),
        ("broken_minor_gt_major.tsv", 3, ["minor_cn", "major_cn"]),
        ("broken_purity_conflict.tsv", 4, ["tumour_content", "'A'", "line 2"]),
        ("broken_empty_cell.tsv", 3, ["ref_counts", "empty"]),
        ("broken_not_a_number.tsv", 3, ["alt_counts", "'forty'"]),
        ("broken_duplicate_row.tsv", 3, ["twice", "line 2"]),
        ("broken_purity_percent.tsv", 2, ["tumour_content", "(0, 1]"]),
        ("broken_missing_column.tsv", 1, ["'normal_cn'"]),
    ],
)
def test_bad_rows_are_reported_with_file_and_line(clonal_dir, name, line, words):
    with pytest.raises(InputError) as info:
        clonal.read_pyclone(clonal_dir / name)
    message = str(info.value)
    assert info.value.line == line, message
    assert name in message
    for word in words:
        assert word in message, message


def test_zero_copy_number_can_be_dropped_with_a_warning(clonal_dir):
    with pytest.warns(OncoresistWarning, match="lines 3"):
        data = clonal.read_pyclone(clonal_dir / "broken_zero_cn.tsv", zero_copy_number="drop")
    assert data.mutations == ("m1", "m3")


def test_incomplete_mutations_can_be_dropped_with_a_warning(clonal_dir):
    with pytest.warns(OncoresistWarning, match=r"'m2' \(line 4, no row for B\)"):
        data = clonal.read_pyclone(clonal_dir / "broken_missing_sample.tsv", incomplete="drop")
    assert data.mutations == ("m1",)
    assert data.samples == ("A", "B")


def test_reads_pairtree_ssm_with_params(clonal_dir):
    data = clonal.read_ssm(clonal_dir / "pairtree.ssm")  # params found beside it
    assert data.samples == ("diagnosis", "on_treatment", "relapse")
    assert data.mutations == ("s0", "s1", "s2")
    assert data.alt_counts[0].tolist() == [40, 10, 80]
    assert data.ref_counts[0].tolist() == [60, 90, 120]
    assert data.var_read_prob[1].tolist() == [0.3333, 0.3333, 0.5]


@pytest.mark.parametrize(
    ("name", "line", "word"),
    [("broken_lengths.ssm", 3, "var_reads"), ("broken_var_gt_total.ssm", 3, "total_reads")],
)
def test_bad_ssm_rows_are_reported(clonal_dir, name, line, word):
    with pytest.raises(InputError) as info:
        clonal.read_ssm(clonal_dir / name)
    assert info.value.line == line
    assert word in str(info.value)


def test_results_table_matches_pyclone_vi_layout(tmp_path):
    truth = clonal.simulate(n_clones=2, n_samples=2, n_mutations=12, depth=300, rng=4)
    result = clonal.fit(truth.data, max_clusters=3, restarts=2, rng=4)
    path = result.write(tmp_path / "results.tsv")
    lines = path.read_text().splitlines()
    assert lines[0].split("\t") == [
        "mutation_id", "sample_id", "cluster_id", "cellular_prevalence",
        "cellular_prevalence_std", "cluster_assignment_prob",
    ]
    assert len(lines) == 1 + 12 * 2
    # four decimals, as PyClone-VI's write-results-file
    assert all(len(cell.split(".")[1]) == 4 for row in lines[1:] for cell in row.split("\t")[3:])
    frame = pd.read_csv(path, sep="\t")
    ordered = frame.sort_values(["cluster_id", "mutation_id", "sample_id"], kind="stable")
    assert frame.index.equals(ordered.index)
    for name in ("results.mutations.tsv", "results.clusters.tsv", "results.evidence.tsv",
                 "results.tsv.provenance.json"):
        assert (tmp_path / name).is_file()
    back = clonal.read_results(path)
    assert set(back["cluster_id"]) == set(range(result.n_clusters))


def test_results_reader_rejects_two_prevalences_for_one_cluster(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text(
        "mutation_id\tsample_id\tcluster_id\tcellular_prevalence\tcellular_prevalence_std\tcluster_assignment_prob\n"
        "m1\tA\t0\t0.5\t0.01\t1\nm2\tA\t0\t0.6\t0.01\t1\n"
    )
    with pytest.raises(InputError, match="more than one cellular_prevalence") as info:
        clonal.read_results(path)
    assert info.value.line == 3
