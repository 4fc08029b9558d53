"""Pseudonyms, date shifting, key files, scrubbing and consent (oncoresist.privacy)."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncoresist._core.exceptions import InputError
from oncoresist.privacy import (
    ConsentError,
    DataUse,
    PseudonymKey,
    Scrubber,
    check_consent,
    date_offset,
    find_leaks,
    generate_key,
    load_key,
    parse_consent,
    pseudonymise,
    scrub_file,
    shift_date,
)

KEY = PseudonymKey.from_hex("00112233445566778899aabbccddeeff" * 2)
LEAKY = Path(__file__).parents[1] / "data" / "store" / "leaky_case"


# --- pseudonyms and dates ----------------------------------------------------------------------

def test_pseudonym_is_the_keyed_hmac_sha256_of_the_identifier():
    # HMAC-SHA256 (RFC 2104) computed here with the standard library: domain "patient", a NUL,
    # then the identifier trimmed, spaces collapsed and upper-cased; 20 hex digits kept.
    expected = hmac.new(KEY.secret, b"patient\x00MRN 0042", hashlib.sha256).hexdigest()[:20]
    assert pseudonymise("  mrn   0042 ", KEY) == "PSN-" + expected.upper()


def test_same_patient_same_key_same_pseudonym_and_keys_separate():
    other = PseudonymKey.from_hex("ff" * 32)
    ids = [f"MRN{i:06d}" for i in range(2000)]
    a = [pseudonymise(i, KEY) for i in ids]
    assert a == [pseudonymise(i, KEY) for i in ids]
    assert len(set(a)) == len(ids)  # no collisions among 2,000 patients
    assert not set(a) & {pseudonymise(i, other) for i in ids}
    assert pseudonymise("S1", KEY, kind="sample").startswith("SMP-")


def test_date_offsets_are_uniform_within_the_range_and_keep_intervals():
    key = PseudonymKey.from_hex("42" * 32, max_date_shift_days=30)
    offsets = np.array([date_offset(f"P{i}", key) for i in range(4000)])
    assert offsets.min() >= -30
    assert offsets.max() <= 30
    # Uniform on the 61 integers -30..30: mean 0, SD sqrt((61^2 - 1) / 12) = 17.61;
    # the sample mean is within 4 standard errors (17.61 / sqrt(4000) = 0.28).
    assert abs(offsets.mean()) < 4 * 17.61 / np.sqrt(4000)
    assert abs(offsets.std() - 17.61) < 0.5
    assert len(np.unique(offsets)) == 61
    a, b = shift_date("2024-02-27", "P1", key), shift_date("2024-03-02", "P1", key)
    assert (b - a).days == 4  # across a leap day


def test_key_files(tmp_path: Path):
    path = tmp_path / "k" / "cohort.key"
    key = generate_key(path, max_date_shift_days=90)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_key(path)
    assert loaded.key_id == key.key_id
    assert loaded.max_date_shift_days == 90
    assert key.secret.hex() not in repr(loaded)
    with pytest.raises(InputError, match="already exists"):
        generate_key(path)
    path.write_text(path.read_text().replace(key.key_id, "0" * 16))
    with pytest.raises(InputError, match="altered or damaged"):
        load_key(path)
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(InputError, match="not an oncoresist key file"):
        load_key(tmp_path / "x.json")
    with pytest.raises(InputError, match="keygen"):
        load_key(tmp_path / "absent.key")


# --- scrubbing ---------------------------------------------------------------------------------

def test_scrubber_text_names_numbers_dates_and_paths():
    s = Scrubber(KEY, patients=["MRN-48213977"], dates=["1961-04-23"])
    s.add_identifier("Johanna Smithfield", name=True)
    text = ("Patient SMITHFIELD, JOHANNA (mrn-48213977), born 23/04/1961, "
            "see /data/Smithfield_Johanna/plasma.tsv and file:///home/jo/ref.fa; "
            "johanna_smithfield seen 1961-04-23. Units: molecules/mL, https://doi.org/10.1/x")
    out = s.text(text)
    assert find_leaks([], ["Smithfield", "48213977"], dates=["1961-04-23"],
                      texts={"out": out}).empty
    assert KEY.patient("MRN-48213977") in out
    assert "plasma.tsv" in out
    assert "ref.fa" in out
    assert "/data/" not in out
    assert "molecules/mL" in out
    assert "https://doi.org/10.1/x" in out


def test_vcf_header_scrubbing(tmp_path: Path):
    out = tmp_path / "tumour.vcf"
    assert scrub_file(LEAKY / "tumour.vcf", Scrubber(KEY), output=out) == "scrubbed"
    text = out.read_text()
    sample = KEY.sample("SMITHFIELD_JOHANNA_T1")
    assert "##commandline" not in text
    assert f"##SAMPLE=<ID={sample}>" in text  # Individual, DOB and Description dropped
    assert text.splitlines()[[row.startswith("#CHROM") for row in text.splitlines()].index(True)] \
        .endswith("\t" + sample)
    assert "##reference=GRCh38.fa" in text  # the path reduced to its file name
    assert find_leaks(out, ["Smithfield", "48213977"], dates=["1961-04-23"]).empty
    # Records are untouched.
    body = [row for row in text.splitlines() if not row.startswith("#")]
    original = [row for row in (LEAKY / "tumour.vcf").read_text().splitlines()
                if not row.startswith("#")]
    assert body == original


def test_maf_barcodes_are_pseudonymised(tmp_path: Path):
    out = tmp_path / "t.maf"
    scrub_file(LEAKY / "tumour.maf", Scrubber(KEY), output=out)
    lines = out.read_text().splitlines()
    assert lines[0] == "#version gdc-1.0.0"
    frame = pd.read_csv(out, sep="\t", comment="#")
    assert frame["Tumor_Sample_Barcode"].tolist() == [KEY.sample("MRN48213977-T1")]
    assert frame["Matched_Norm_Sample_Barcode"].tolist() == [KEY.sample("MRN48213977-N1")]
    assert frame["HGVSp_Short"].tolist() == ["p.T790M"]


def test_scrubbing_without_a_key_uses_unlinkable_labels():
    s = Scrubber(samples=["Jo-T1", "Jo-T2"])
    assert s.text("Jo-T2 and Jo-T1") == "[sample-2] and [sample-1]"


def test_find_leaks_reports_file_line_and_identifier(tmp_path: Path):
    (tmp_path / "a.tsv").write_text("x\nok\nSMITHFIELD-J-01\n")
    (tmp_path / "Smithfield.png").write_bytes(b"\x89PNG...")
    leaks = find_leaks(tmp_path, ["Smithfield"])
    assert sorted(leaks["where"]) == ["Smithfield.png (file name)", "a.tsv"]
    assert leaks.set_index("where").loc["a.tsv", "line"] == 3


# --- consent -----------------------------------------------------------------------------------

# Expected outcomes from the DUO term definitions (github.com/EBISPOT/DUO, duo.csv).
CASES = [
    (["NRES"], DataUse(purpose="ancestry"), True),
    (["GRU"], DataUse(purpose="ancestry"), True),           # GRU includes population origins
    (["GRU"], DataUse(purpose="methods"), True),
    (["HMB"], DataUse(purpose="ancestry"), False),          # HMB excludes population origins
    (["HMB"], DataUse(purpose="biomedical"), True),
    (["DS-lung cancer"], DataUse(disease="lung adenocarcinoma"), True),
    (["DS-lung cancer"], DataUse(disease="NSCLC"), True),
    (["DS-lung cancer"], DataUse(disease="breast cancer"), False),
    (["DS-lung cancer"], DataUse(purpose="biomedical"), False),
    (["DS-NSCLC"], DataUse(disease="lung cancer"), False),  # broader than consented
    # Lung adenocarcinoma is a non-small cell lung cancer; small cell lung cancer is not
    # (WHO classification of lung tumours): the knowledge base's disease hierarchy decides.
    (["DS-NSCLC"], DataUse(disease="lung adenocarcinoma"), True),
    (["DS-NSCLC"], DataUse(disease="small cell lung cancer"), False),
    (["DS-lung adenocarcinoma"], DataUse(disease="NSCLC"), False),
    (["POA"], DataUse(disease="lung cancer"), False),
    (["POA"], DataUse(purpose="ancestry"), True),
    (["GRU", "NCU"], DataUse(disease="x", commercial=True), False),
    (["GRU", "NPU"], DataUse(disease="x", commercial=True), True),
    (["GRU", "NPU"], DataUse(disease="x", for_profit=True), False),
    (["GRU", "NPUNCU"], DataUse(disease="x", commercial=True), False),
    (["GRU", "NMDS"], DataUse(purpose="methods"), False),
    (["GRU", "NPOA"], DataUse(purpose="ancestry"), False),
    (["GRU", "GSO"], DataUse(disease="x", genetic=False), False),
    (["GRU"], DataUse(purpose="clinical_care"), False),
    (["GRU", "CC"], DataUse(purpose="clinical_care"), True),
    (["GRU", "RS-pediatric"], DataUse(disease="x"), False),
    (["GRU", "RS-pediatric"], DataUse(disease="x", research_type="Pediatric"), True),
]


@pytest.mark.parametrize(("codes", "use", "allowed"), CASES)
def test_consent_rules(codes, use, allowed):
    decision = check_consent(codes, use, override="test")
    assert decision.allowed is allowed


def test_refusal_names_the_scope_and_requirements_are_obligations():
    with pytest.raises(ConsentError, match=r"PSN-X: consent scope HMB, NCU does not allow "
                                           r"population origins research"):
        check_consent(["HMB", "NCU"], DataUse(purpose="ancestry"), subject="PSN-X")
    decision = check_consent(["GRU", "IRB", "PUB", "GS-Europe"], DataUse(disease="x"))
    assert decision.allowed
    assert decision.obligations == ("IRB (ethics approval required)", "PUB (publication required)",
                                    "GS-Europe (geographical restriction)")


@pytest.mark.parametrize(("codes", "message"), [
    ([], "no primary code"),
    (["GRU", "HMB"], "two primary codes"),
    (["DS"], "DS needs its disease"),
    (["GRU", "XYZ"], "unknown consent code 'XYZ'"),
])
def test_bad_consent_codes(codes, message):
    with pytest.raises(InputError, match=message):
        parse_consent(codes)


def test_duo_ids_are_accepted():
    scope = parse_consent(["DUO:0000042", "DUO:0000046"])
    assert scope.codes == ("GRU", "NCU")
