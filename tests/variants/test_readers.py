"""Readers of VCF (VEP CSQ, SnpEff ANN, bgzip, multi-sample, SV/CNV), GDC MAF and TSV.

Every expected value below is read off the fixture files in tests/data/annotate/ (hand-written;
see tests/data/README.md): VAF = alt depth / sum of AD (or FORMAT AF when present), depth = DP.
"""

from __future__ import annotations

import pytest

from oncoresist import InputError
from oncoresist.variants._readers import detect_format, read_alterations
from oncoresist.variants._vcf import annotation_layout


@pytest.fixture
def ann(data_dir):
    return data_dir / "annotate"


def _rows(result):
    frame = result.to_frame()
    return list(zip(frame["sample_id"], frame["alteration"], strict=True))


def test_vep_csq_canonical_transcript_and_values(ann):
    result = read_alterations(ann / "vep.vcf")
    frame = result.to_frame()
    assert result.format == "vcf"
    assert result.samples == ("TUMOUR1",)
    # the canonical (CANONICAL=YES) entry is used, not the first one: L858R, not L813R
    assert frame["alteration"].tolist() == [
        "EGFR p.T790M", "EGFR p.L858R", "KRAS p.G12D", "TP53 p.R273H", "TP53 p.R273L",
    ]
    t790m = frame.iloc[0]
    assert (t790m["vaf"], t790m["depth"], t790m["alt_count"], t790m["line"]) == (0.05, 400, 20, 11)
    # multi-allelic record C>T,A with AD 10,60,30: VAF 60/100 and 30/100
    assert frame["vaf"].tolist()[3:] == [0.6, 0.3]
    assert result.skipped == {"protein unchanged (synonymous_variant)": 1,
                              "protein unchanged (intron_variant)": 1}
    assert [(p.line, "p.Met1?" in p.reason) for p in result.problems] == [(16, True)]


def test_named_transcript_overrides_canonical(ann):
    result = read_alterations(ann / "vep.vcf", transcript="ENST00000455089")
    assert result.to_frame()["alteration"].tolist() == ["EGFR p.T745M", "EGFR p.L813R"]
    # 5 other records, the last one with two alternative alleles: 6 alleles skipped
    assert result.skipped["not on transcript ENST00000455089"] == 6


def test_snpeff_ann_and_format_af(ann):
    result = read_alterations(ann / "snpeff.vcf")
    frame = result.to_frame()
    assert _rows(result) == [("PLASMA1", "EGFR p.C797S"), ("PLASMA1", "EGFR p.T790M"),
                             ("PLASMA1", "ABL1 p.T315I"), ("PLASMA1", "EGFR p.L858R")]
    assert frame["vaf"].tolist() == pytest.approx([0.03, 0.05, 0.2, 0.1], rel=1e-6)  # FORMAT AF
    assert annotation_layout((ann / "snpeff.vcf").read_text()).tag == "ANN"


def test_bgzipped_vcf_reads_like_plain(ann):
    plain = read_alterations(ann / "vep.vcf").to_frame()
    packed = read_alterations(ann / "vep.vcf.gz").to_frame()
    assert packed["alteration"].tolist() == plain["alteration"].tolist()
    assert packed["vaf"].tolist() == plain["vaf"].tolist()


def test_multisample_vcf_one_set_per_sample_with_phase(ann):
    result = read_alterations(ann / "multisample.vcf")
    frame = result.to_frame()
    assert result.samples == ("NORMAL", "CIS", "TRANS", "UNPHASED")
    assert "NORMAL" not in set(frame["sample_id"])  # 0/0 with no alt reads: not a carrier
    by = {(s, a): h for s, a, h in zip(frame["sample_id"], frame["alteration"],
                                       frame["haplotype"], strict=True)}
    assert by[("CIS", "EGFR p.T790M")] == by[("CIS", "EGFR p.C797S")] == "PS55181378:1"
    assert by[("TRANS", "EGFR p.T790M")] == "PS55181378:1"
    assert by[("TRANS", "EGFR p.C797S")] == "PS55181378:0"
    assert by[("UNPHASED", "EGFR p.C797S")] is None
    # ./. with no depth is not a call: UNPHASED has no L858R row
    assert ("UNPHASED", "EGFR p.L858R") not in by
    cis = frame[(frame["sample_id"] == "CIS") & (frame["alteration"] == "EGFR p.C797S")].iloc[0]
    assert (cis["vaf"], cis["depth"]) == (30 / 200, 200)


def test_structural_and_copy_number_records(ann):
    result = read_alterations(ann / "sv.vcf")
    frame = result.to_frame()
    assert frame["alteration"].tolist() == [
        "MET amplification", "ERBB2 amplification", "CDKN2A deletion", "EML4::ALK fusion",
    ]
    assert frame["copy_number"].tolist()[:3] == [12.0, 9.0, 0.0]
    assert result.skipped == {"copy-number change below amplification (CN=3)": 1}
    assert len(result.problems) == 1
    assert result.problems[0].line == 26
    assert "names no gene" in result.problems[0].reason


def test_gdc_maf(ann):
    result = read_alterations(ann / "gdc.maf")
    assert result.format == "maf"
    assert _rows(result) == [("CRC-01-T", "KRAS p.G12D"), ("CRC-01-T", "TP53 p.R273H"),
                             ("LUNG-02-T", "EGFR p.T790M"), ("BRCA-03-T", "ESR1 p.D538G")]
    frame = result.to_frame()
    assert frame["vaf"].tolist() == [50 / 250, 60 / 100, 20 / 400, 30 / 300]
    assert frame["line"].tolist() == [4, 5, 7, 8]  # two #version lines, then the header
    assert result.skipped == {"protein unchanged (Silent)": 1}
    assert result.problems[0].line == 9
    assert "p.T790Q1" in result.problems[0].reason


def test_tsv_states_fusions_and_copy_number(ann):
    result = read_alterations(ann / "alterations.tsv")
    assert _rows(result) == [
        ("PT1", "EGFR p.L858R"), ("PT1", "EGFR p.T790M"), ("PT1", "MET amplification"),
        ("PT1", "histology: SCLC transformation"),
        ("PT2", "BCR::ABL1 fusion + ABL1 p.T315I"), ("PT2", "phenotype: EMT"),
        ("PT3", "ESR1 p.D538G"),
    ]
    assert result.to_frame()["copy_number"].tolist()[2] == 11.0


@pytest.mark.parametrize(
    ("name", "expected"),
    [("vep.vcf", "vcf"), ("vep.vcf.gz", "vcf"), ("gdc.maf", "maf"), ("alterations.tsv", "tsv")],
)
def test_format_detected_from_content(ann, tmp_path, name, expected):
    # the content decides, not the name: copy under a neutral name
    copy = tmp_path / "input.dat"
    copy.write_bytes((ann / name).read_bytes())
    assert detect_format(copy) == expected


def test_bad_values_are_listed_with_line_and_reason(ann):
    result = read_alterations(ann / "bad_values.tsv")
    assert [p.line for p in result.problems] == [2, 3]
    assert "vaf must be a fraction between 0 and 1; found '45'" in result.problems[0].reason
    assert "cannot parse alteration 'not a change' of gene EGFR" in result.problems[1].reason
    assert result.to_frame()["alteration"].tolist() == ["KRAS p.G12D"]


def test_strict_makes_the_first_problem_an_error(ann):
    with pytest.raises(InputError, match=r"bad_values.tsv, line 2: vaf must be a fraction.*"
                                         r"\(1 more record\(s\) have problems\)"):
        read_alterations(ann / "bad_values.tsv", strict=True)


def test_wrong_columns(ann):
    with pytest.raises(InputError, match=r"wrong_columns.tsv, line 1: is not a VCF, GDC MAF or "
                                         r"alteration TSV.*found header 'sample\\tsymbol"):
        read_alterations(ann / "wrong_columns.tsv")
    # 'sample' and 'symbol' are accepted spellings of sample_id and gene; 'alteration' is missing
    with pytest.raises(InputError, match=r"is missing required column\(s\) 'alteration'; found "
                                         r"columns: sample_id, gene, protein"):
        read_alterations(ann / "wrong_columns.tsv", format="tsv")
    with pytest.raises(InputError, match="is a MAF without a protein-change column: expected "
                                         "HGVSp_Short"):
        read_alterations(ann / "wrong_columns.maf")


def test_bad_encoding_names_the_line(ann):
    with pytest.raises(InputError, match=r"bad_encoding.tsv, line 3: is not UTF-8 text "
                                         r"\(byte 0xfc"):
        read_alterations(ann / "bad_encoding.tsv")


def test_truncated_plain_vcf_reports_the_last_line(ann):
    result = read_alterations(ann / "truncated.vcf")
    assert result.to_frame()["alteration"].tolist() == ["EGFR p.T790M", "EGFR p.L858R"]
    assert result.problems[0].line == 13
    assert "the file looks truncated" in result.problems[0].reason


def test_truncated_bgzip_is_an_error(ann):
    with pytest.raises(InputError, match=r"truncated.vcf.gz: could not be read .*looks "
                                         r"truncated or corrupt"):
        read_alterations(ann / "truncated.vcf.gz")


def test_transcript_only_for_vcf(ann):
    with pytest.raises(InputError, match="transcript is only used for VCF input"):
        read_alterations(ann / "gdc.maf", transcript="ENST00000275493")


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_alterations(tmp_path / "nope.vcf")


def test_unannotated_vcf_says_how_to_fix(tmp_path):
    path = tmp_path / "raw.vcf"
    path.write_text("##fileformat=VCFv4.2\n##contig=<ID=chr7>\n"
                    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                    "chr7\t55181378\t.\tC\tT\t60\tPASS\t.\n")
    with pytest.raises(InputError, match=r"has no CSQ \(VEP\) or ANN \(SnpEff\) annotation"):
        read_alterations(path)


@pytest.mark.parametrize("name", ["vep.vcf", "vep.vcf.gz", "snpeff.vcf", "multisample.vcf",
                                  "truncated.vcf"])
@pytest.mark.parametrize("transcript", [None, "ENST00000455089"])
def test_kernel_reader_equals_record_by_record_reference(ann, name, transcript):
    from oncoresist.variants._vcf import read_vcf

    fast = read_vcf(ann / name, transcript=transcript, fast=True)
    slow = read_vcf(ann / name, transcript=transcript, fast=False)
    a, b = fast.to_frame(), slow.to_frame()
    assert a.drop(columns=["vaf"]).equals(b.drop(columns=["vaf"]))
    # FORMAT AF read from the text is exact, htslib stores it as a 32-bit float
    assert a["vaf"].to_numpy() == pytest.approx(b["vaf"].to_numpy(), rel=1e-6, nan_ok=True)
    assert [(p.line, p.reason) for p in fast.problems] == [(p.line, p.reason)
                                                           for p in slow.problems]
    assert fast.skipped == slow.skipped


def test_kernel_reader_equals_reference_with_a_gene_filter(ann):
    from oncoresist.variants._vcf import read_vcf

    fast = read_vcf(ann / "vep.vcf", genes={"EGFR"}, fast=True)
    slow = read_vcf(ann / "vep.vcf", genes={"EGFR"}, fast=False)
    assert fast.to_frame().equals(slow.to_frame())
    # KRAS, TP53 start-lost and both alleles of the multi-allelic TP53 record
    assert fast.skipped == slow.skipped
    assert fast.skipped["gene outside the knowledge base"] == 4
    assert fast.problems == slow.problems == ()


# -- the sample-column kernel against the record-by-record reference --------------------------

_RANDOM_HEADER = """##fileformat=VCFv4.2
##contig=<ID=chr7,length=159345973>
##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. \
Format: Allele|Consequence|SYMBOL|Feature|HGVSc|HGVSp|CANONICAL">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">
##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">
##FORMAT=<ID=PID,Number=1,Type=String,Description="Physical phasing ID">
##FORMAT=<ID=PGT,Number=1,Type=String,Description="Physical phasing haplotype">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\tS3
"""


def _random_vcf(path, seed: int, n: int = 400) -> None:
    """Records whose sample columns take every form the kernel decodes or hands to Python."""
    import random

    rng = random.Random(seed)
    changes = [("EGFR", "p.Thr790Met"), ("EGFR", "p.Cys797Ser"), ("KRAS", "p.Gly12Asp"),
               ("TP53", "p.Arg273His"), ("EGFR", "p.Leu858%3D"), ("EGFR", "p.Xyz1Abc")]
    # (htslib cannot read records without GT in a file whose header declares GT; the per-sample
    # test below covers FORMAT columns without GT)
    formats = ["GT:AD:DP", "GT:AD:DP:AF", "GT:AD:DP:PS", "GT", "GT:DP:AF",
               "GT:AD:DP:PID:PGT", "GT:AF:PS:AD"]
    lines = []
    for i in range(n):
        gene, change = rng.choice(changes)
        alt = "T,G" if rng.random() < 0.05 else "T"
        csq = f"T|missense_variant|{gene}|ENST1.1|c.1C>T|ENSP1.1:{change}|YES"
        fmt = rng.choice(formats)
        samples = []
        for _ in range(3):
            values = {
                # no haploid calls: htslib reports "1" as phased, the text reading does not
                "GT": rng.choice(["0/1", "0|1", "1|0", "0/0", "./.", "1/1", ".", "0|0", "1|1"]),
                "AD": rng.choice(["30,10", "40,0", ".", "0,0", "12,.", f"{rng.randint(0, 99)},"
                                  f"{rng.randint(0, 99)}"]),
                "DP": rng.choice([".", "0", "55", str(rng.randint(1, 500))]),
                "AF": rng.choice([".", "0.25", "0", "0.1234567", "1e-3", "0.5"]),
                "PS": rng.choice([".", "5", "17"]),
                "PID": rng.choice([".", "55181378_C_T"]),
                "PGT": rng.choice([".", "0|1", "1|0"]),
            }
            cells = [values[key] for key in fmt.split(":")]
            if rng.random() < 0.1:  # trailing fields may be dropped
                cells = cells[: max(1, len(cells) - 1)]
            samples.append(":".join(cells))
        lines.append(f"chr7\t{1000 + i}\t.\tC\t{alt}\t50\tPASS\tCSQ={csq}\t{fmt}\t"
                     + "\t".join(samples))
    path.write_text(_RANDOM_HEADER + "\n".join(lines) + "\n")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sample_kernel_equals_record_by_record_reference(tmp_path, seed):
    from oncoresist.variants._vcf import read_vcf

    path = tmp_path / "random.vcf"
    _random_vcf(path, seed)
    fast = read_vcf(path, fast=True)
    slow = read_vcf(path, fast=False)
    a, b = fast.to_frame(), slow.to_frame()
    assert len(a) > 300  # most records give rows for one sample or more
    assert a.drop(columns=["vaf"]).equals(b.drop(columns=["vaf"]))
    # FORMAT AF read from the text is exact, htslib stores it as a 32-bit float
    assert a["vaf"].to_numpy() == pytest.approx(b["vaf"].to_numpy(), rel=1e-6, nan_ok=True)
    assert [(p.line, p.reason) for p in fast.problems] == [(p.line, p.reason)
                                                           for p in slow.problems]
    assert fast.skipped == slow.skipped
    assert set(a["haplotype"].dropna().str[:2]) == {"PS", "PI"}  # both phase sources used


def test_decode_kernel_matches_python_per_sample():
    """decode_samples + the column-wise carrier rules against samples_from_text/carrier_values."""
    import random

    import numpy as np

    from oncoresist.variants._kernels import GT_WITH_ALLELE, decode_samples
    from oncoresist.variants._vcf import carrier_values, samples_from_text

    rng = random.Random(7)
    for _ in range(300):
        fmt = ":".join(rng.sample(["GT", "AD", "DP", "AF", "PS"], rng.randint(1, 5)))
        cells = {"GT": ["0/1", "0|1", "1|1", "./.", "0/0", "1", "", "01|0"],
                 "AD": ["30,10", ".", "0,0", "5,.", "7", ""],
                 "DP": [".", "0", "41"], "AF": [".", "0.3", "0", "x"], "PS": [".", "9"]}
        sample = ":".join(rng.choice(cells[k]) for k in fmt.split(":"))
        text = f"{fmt}\t{sample}".encode()
        buf = np.frombuffer(text, dtype=np.uint8)
        gt, phased, allele_at, ad_alt, ad_sum, dp, af_s, af_e, ps, fallback = decode_samples(
            buf, np.array([0]), np.array([len(text)]), 1)
        assert not fallback[0]
        reference = samples_from_text(fmt, [sample])[0]
        expected = carrier_values(reference, 1)
        alt = int(ad_alt[0, 0]) if ad_alt[0, 0] >= 0 else None
        assert alt == (expected[2] if expected else alt)
        has = gt[0, 0] == GT_WITH_ALLELE
        assert has == (reference.alleles is not None and 1 in reference.alleles)
        assert bool(phased[0, 0]) == reference.phased
        assert (int(dp[0, 0]) if dp[0, 0] >= 0 else None) == reference.dp
        assert (int(ps[0, 0]) if ps[0, 0] >= 0 else None) == reference.ps
        if has:
            assert allele_at[0, 0] == reference.alleles.index(1)
        if reference.ad is not None and alt is not None:
            assert ad_sum[0, 0] == sum(c for c in reference.ad if c is not None)
        af_text = text[af_s[0, 0]:af_e[0, 0]].decode() if af_s[0, 0] >= 0 else None
        first_af = reference.af[0] if reference.af else None
        assert (None if af_text in (None, "x") else float(af_text)) == first_af


@pytest.mark.parametrize("packed", [False, True])
def test_kernel_reader_in_small_blocks_equals_reference(tmp_path, monkeypatch, packed):
    """Blocks that split the file at many line ends (plain: memory-mapped; gzip: streamed)."""
    import gzip

    from oncoresist.variants._vcf import _Reader, read_vcf

    path = tmp_path / "random.vcf"
    _random_vcf(path, 4)
    if packed:
        packed_path = tmp_path / "random.vcf.gz"
        packed_path.write_bytes(gzip.compress(path.read_bytes()))
        path = packed_path
    whole = read_vcf(path, fast=True)
    monkeypatch.setattr(_Reader, "chunk_bytes", 997)  # blocks of 3,988 (plain) or 997 bytes
    small = read_vcf(path, fast=True)
    slow = read_vcf(path, fast=False)
    assert small.to_frame().equals(whole.to_frame())
    assert small.to_frame().drop(columns=["vaf"]).equals(slow.to_frame().drop(columns=["vaf"]))
    assert small.problems == whole.problems
    assert [(p.line, p.reason) for p in small.problems] == [(p.line, p.reason)
                                                            for p in slow.problems]
    assert small.skipped == slow.skipped
