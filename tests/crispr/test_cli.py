"""The ``oncoresist crispr`` commands: files written, MAGeCK names, one-line errors (status 2)."""

from __future__ import annotations

import pandas as pd

from oncoresist.cli import main

DEMO1 = ["-t", "HL60.final,KBM7.final", "-c", "HL60.initial,KBM7.initial"]


def test_test_command_writes_mageck_files(crispr_data, tmp_path, capsys):
    counts = crispr_data / "mageck_demo" / "demo1" / "sample.txt"
    prefix = tmp_path / "demo"
    assert main(["crispr", "test", "-k", str(counts), *DEMO1, "-o", str(prefix), "--permutations", "10"]) == 0
    genes = pd.read_csv(f"{prefix}.gene_summary.txt", sep="\t")
    assert genes["id"].iloc[:4].tolist() == ["ACTR8", "ACIN1", "AHCY", "AATF"]
    assert (tmp_path / "demo.sgrna_summary.txt").exists()
    assert "ACTR8" in capsys.readouterr().out


def test_comma_separated_table_and_drugz_method(crispr_data, tmp_path):
    frame = pd.read_csv(crispr_data / "drugz_example" / "sgRNA_count.txt", sep="\t")
    csv = tmp_path / "counts.csv"
    frame.to_csv(csv, index=False)
    prefix = tmp_path / "dz"
    code = main([
        "crispr", "test", "-k", str(csv), "-t", "T15_A_olaparib,T15_B_olaparib,T15_C_olaparib",
        "-c", "T15_A_control,T15_B_control,T15_C_control", "--method", "drugz",
        "--half-window-size", "5", "-o", str(prefix),
    ])
    assert code == 0
    expected = (crispr_data / "drugz_example" / "drugz_output_hws5.txt").read_text()
    assert (tmp_path / "dz.gene_summary.txt").read_text() == expected


def test_count_and_qc_commands(crispr_data, tmp_path):
    demo2 = crispr_data / "mageck_demo" / "demo2"
    prefix = str(tmp_path / "d2")
    assert main([
        "crispr", "count", "-l", str(demo2 / "library.txt"), "--fastq", str(demo2 / "test1.fastq"),
        "--fastq", str(demo2 / "test2.fastq"), "--sample-label", "L1,CTRL", "-o", prefix,
    ]) == 0
    summary = pd.read_csv(prefix + ".countsummary.txt", sep="\t")
    assert summary["Mapped"].tolist() == [1453, 1471]
    assert main(["crispr", "qc", "-k", prefix + ".count.txt", "-o", prefix, "--no-plot"]) == 0
    assert pd.read_csv(prefix + ".qc_samples.txt", sep="\t")["Reads"].tolist() == [1453, 1471]


def test_errors_are_one_line_with_status_2(crispr_data, tmp_path, capsys):
    counts = crispr_data / "mageck_demo" / "demo1" / "sample.txt"
    code = main(["crispr", "test", "-k", str(counts), "-t", "HL60.fin", "-c", "HL60.initial", "-o", str(tmp_path / "x")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "'HL60.fin' is not a column" in err
    assert not list(tmp_path.iterdir())  # nothing half-written
    spaced = tmp_path / "spaced.txt"
    spaced.write_text("sgRNA Gene A B\ng1 KRAS 1 2\n")
    assert main(["crispr", "test", "-k", str(spaced), "-t", "A", "-c", "B", "-o", str(tmp_path / "y")]) == 2
    assert "space-delimited" in capsys.readouterr().err


def test_mle_and_annotate_commands(crispr_data, tmp_path):
    demo3 = crispr_data / "mageck_demo" / "demo3"
    prefix = str(tmp_path / "mle")
    code = main([
        "crispr", "mle", "-k", str(demo3 / "leukemia.new.csv"), "-d", str(demo3 / "designmat.txt"),
        "-o", prefix, "--permutation-round", "1",
    ])
    assert code == 0
    genes = pd.read_csv(prefix + ".gene_summary.txt", sep="\t")
    assert genes.columns[:3].tolist() == ["Gene", "sgRNA", "HL60_HAEMATOPOIETIC_AND_LYMPHOID_TISSUE|beta"]
    summary = tmp_path / "g.txt"
    pd.DataFrame({"id": ["NF1", "ACTB"], "neg|fdr": [1.0, 0.01], "pos|fdr": [0.01, 1.0],
                  "neg|lfc": [1.5, -2.0], "pos|lfc": [1.5, -2.0]}).to_csv(summary, sep="\t", index=False)
    out = tmp_path / "hits.tsv"
    assert main(["crispr", "annotate", "-g", str(summary), "--drug", "vemurafenib", "-o", str(out)]) == 0
    hits = pd.read_csv(out, sep="\t")
    assert hits.set_index("id").loc["NF1", "kb_pathway_class"] == "bypass"
