"""Leak test (issue 13): a case seeded with recognisable identifiers goes through every command
of the package that exists; none of the identifiers may appear in any output file, any line
printed, or any row of the store.

The case (tests/data/store/leaky_case, invented person) carries: the name Johanna Smithfield,
hospital number MRN-48213977, date of birth 1961-04-23, sample names that embed the name or
the number (VCF column, ##SAMPLE line, MAF Tumor_Sample_Barcode, ctDNA sample_id and
patient_id, clonal sample_id), a ##commandline and a ##reference with file paths naming her,
and it is copied into a folder named Smithfield_Johanna_48213977 so that every absolute path
the commands see names her too.

Commands of other capabilities that still leak are marked xfail(strict=True) with the exact
field, so that the lead can route the fix and the marker must be removed once it is fixed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from oncoresist.cli._app import main
from oncoresist.privacy import find_leaks

CASE_DATA = Path(__file__).parents[1] / "data" / "store" / "leaky_case"
# The lab's own pseudonym (LAB-0007) is linkable by the lab, so the store must not keep it
# either; other commands show it by design (it is the case's pseudonym).
IDENTIFIERS = ["Johanna Smithfield", "Smithfield", "48213977", "Smithfield_Johanna_48213977",
               "SMITHFIELD_JOHANNA_T1", "MRN48213977-T1"]
DATES = ["1961-04-23"]


@pytest.fixture
def case(tmp_path: Path) -> Path:
    folder = tmp_path / "Smithfield_Johanna_48213977"
    shutil.copytree(CASE_DATA, folder)
    # Input files named after the patient, as labs name them: the commands below read these,
    # so a file name recorded in an output's provenance would leak.
    for name in ("ctdna.tsv", "normals.tsv", "tumour.vcf", "tumour.maf", "clonal.tsv"):
        shutil.copy(folder / name, folder / f"Smithfield_{name}")
    return folder / "case.yaml"


def _run(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _check(outputs: list[Path], texts: dict[str, str], identifiers=IDENTIFIERS) -> pd.DataFrame:
    return find_leaks([p for p in outputs if p.exists()], identifiers, dates=DATES, texts=texts)


def _describe(leaks: pd.DataFrame) -> str:
    rows = leaks.drop_duplicates(["where", "identifier"]).head(40)
    return "\n".join(f"{r.where}:{r.line}: {r.identifier!r} in ...{r.context}..."
                     for r in rows.itertuples())


def _dump_store(db: Path) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
        return {f"store table {t}": con.execute(f'SELECT * FROM "{t}"').fetchdf().to_csv(sep="\t")
                for t in tables}
    finally:
        con.close()


def test_store_commands_leak_nothing(case: Path, tmp_path: Path, capsys):
    keys = tmp_path / "keys"
    out = tmp_path / "out_store"
    out.mkdir()
    db = out / "cohort.duckdb"
    texts = {}
    commands = [
        ["store", "keygen", keys / "cohort.key"],
        ["store", "init", db],
        ["store", "ingest", db, case, "--key", keys / "cohort.key"],
        ["store", "ingest", db, case, "--key", keys / "cohort.key"],
        ["store", "query", db, "SELECT * FROM samples", "--format", "tsv"],
        ["store", "query", db, "SELECT * FROM ctdna_events", "-o", out / "events.parquet"],
        ["store", "query", db, "SELECT * FROM annotations", "-o", out / "annotations.tsv"],
        ["store", "cohort", db, "--emerging", "EGFR C797S", "-o", out / "emerging.tsv"],
        ["store", "cohort", db, "--lead-times", "-o", out / "lead.tsv"],
        ["store", "cohort", db, "--response-rates", "--format", "tsv"],
        ["store", "audit", db, "-o", out / "audit.tsv"],
        ["store", "audit", db, "--verify"],
        ["store", "info", db],
    ]
    for i, argv in enumerate(commands):
        code, stdout, stderr = _run(capsys, argv)
        assert code == 0, (argv, stderr)
        texts[f"stdout of {' '.join(map(str, argv[:2]))} #{i}"] = stdout
        texts[f"stderr of {' '.join(map(str, argv[:2]))} #{i}"] = stderr
    texts.update(_dump_store(db))
    # The store holds data: the check is not vacuous.
    assert "PSN-" in texts["store table patients"]
    assert "SMP-" in texts["store table samples"]
    leaks = _check([out], texts, IDENTIFIERS + ["LAB-0007"])
    assert leaks.empty, "the store leaked:\n" + _describe(leaks)


def test_store_scrub_command_cleans_a_leaky_vcf(case: Path, tmp_path: Path, capsys):
    keys = tmp_path / "keys"
    _run(capsys, ["store", "keygen", keys / "k.json"])
    target = tmp_path / "travel"
    shutil.copytree(case.parent, target)
    code, stdout, stderr = _run(capsys, [
        "store", "scrub", target, "--key", keys / "k.json", "--patient", "MRN-48213977",
        "--identifier", "Johanna Smithfield", "--identifier", "Smithfield", "--date", "1961-04-23",
        "--sample", "SMITHFIELD_JOHANNA_T1", "--sample", "MRN48213977-T1"])
    assert code == 0, stderr
    # Sample ids such as Smithfield-J-d0000 are not registered one by one: the registered
    # surname removes that part of them, which is what a user scrubbing by name gets.
    leaks = _check([target], {"stdout": stdout, "stderr": stderr})
    assert leaks.empty, _describe(leaks)
    vcf = (target / "tumour.vcf").read_text()
    assert "##commandline" not in vcf
    assert "##SAMPLE=<ID=SMP-" in vcf


def _leaks_of(argvs: list[list], outputs: list[Path], capsys) -> pd.DataFrame:
    texts = {}
    for i, argv in enumerate(argvs):
        code, stdout, stderr = _run(capsys, argv)
        assert code == 0, (argv, stderr)
        texts[f"stdout #{i}"] = stdout
        texts[f"stderr #{i}"] = stderr
    return _check(outputs, texts)


def test_ctdna_commands_leak_nothing(case: Path, tmp_path: Path, capsys):
    folder = case.parent
    out = tmp_path / "Smithfield_Johanna_48213977_results"
    key = tmp_path / "keys" / "k.json"
    argvs = [["store", "keygen", key],
             ["ctdna", "call", folder / "Smithfield_ctdna.tsv", "--normals",
              folder / "Smithfield_normals.tsv", "--out", out / "call", "--key", key],
             ["ctdna", "track", folder / "Smithfield_ctdna.tsv", "--normals",
              folder / "Smithfield_normals.tsv", "--out", out / "track", "--key", key]]
    leaks = _leaks_of(argvs, [out], capsys)
    assert leaks.empty, _describe(leaks)
    # Not vacuous, and the pseudonyms are the store's: the patient's PSN-, and sample SMP-s
    # qualified by it, so these tables join with the store's observations.
    from oncoresist.privacy import load_key

    secret = load_key(key)
    patient = secret.patient("MRN-48213977")
    calls = pd.read_csv(out / "track" / "calls.tsv", sep="\t", comment="#")
    assert set(calls["patient_id"]) == {patient}
    assert secret.sample("Smithfield-J-d0000", patient=patient) in set(calls["sample_id"])
    assert (out / "track" / "plots" / f"{patient}.png").is_file()


def test_annotate_commands_leak_nothing(case: Path, tmp_path: Path, capsys):
    folder = case.parent
    out = tmp_path / "annotate_out"
    key = tmp_path / "keys" / "k.json"
    argvs = [["store", "keygen", key],
             ["annotate", folder / "Smithfield_tumour.vcf", "--therapy", "osimertinib", "--disease", "NSCLC",
              "-o", out / "vcf_findings.tsv", "--html", out / "vcf.html", "--key", key],
             ["annotate", folder / "Smithfield_tumour.maf", "--therapy", "osimertinib",
              "-o", out / "maf_findings.json", "--format", "json", "--key", key,
              "--patient", "LAB-0007"]]
    leaks = _leaks_of(argvs, [out], capsys)
    assert leaks.empty, _describe(leaks)
    # Not vacuous: without --patient a sample gets the pseudonym Scrubber (store scrub) gives
    # it; with --patient, the store's (qualified by the patient's pseudonym).
    from oncoresist.privacy import Scrubber, load_key

    secret = load_key(key)
    vcf = pd.read_csv(out / "vcf_findings.tsv", sep="\t", comment="#")
    assert set(vcf["sample_id"]) == {Scrubber(secret).sample_pseudonym("SMITHFIELD_JOHANNA_T1")}
    maf = (out / "maf_findings.json").read_text()
    assert secret.sample("MRN48213977-T1", patient=secret.patient("LAB-0007")) in maf


def test_clonal_fit_leaks_nothing(case: Path, tmp_path: Path, capsys):
    out = tmp_path / "clonal_out"
    key = tmp_path / "keys" / "k.json"
    argvs = [["store", "keygen", key],
             ["clonal", "fit", case.parent / "Smithfield_clonal.tsv", "--out", out / "results.tsv",
              "--max-clusters", "3", "--restarts", "2", "--seed", "1", "--key", key,
              "--patient", "LAB-0007"]]
    leaks = _leaks_of(argvs, [out], capsys)
    assert leaks.empty, _describe(leaks)
    # Not vacuous, and the store's pseudonyms (qualified by the patient's pseudonym).
    from oncoresist.privacy import load_key

    secret = load_key(key)
    expected = {secret.sample(f"SMITHFIELD_J_{s}", patient=secret.patient("LAB-0007"))
                for s in ("biopsy_day0", "biopsy_day280", "plasma_day400")}
    for name in ("results.tsv", "results.mutations.tsv", "results.clusters.tsv"):
        table = pd.read_csv(out / name, sep="\t", comment="#")
        assert set(table["sample_id"]) == expected, name


@pytest.mark.slow  # about 15 s: the whole case pipeline
def test_case_run_leaks_nothing(case: Path, tmp_path: Path, capsys):
    out = tmp_path / "case_out"
    leaks = _leaks_of([["case", "run", case, "--out", out]], [out], capsys)
    assert leaks.empty, _describe(leaks)


# Commands named by issue 13 that do not exist yet (no CLI group registered when this was
# written); they are not covered and are not faked.
NOT_YET_COVERED = ["report"]


def test_uncovered_commands_are_still_missing():
    """When one of them appears, this fails: add its leak test."""
    from oncoresist.cli._app import app

    groups = {g.name for g in app.registered_groups} | {c.name for c in app.registered_commands}
    assert not set(NOT_YET_COVERED) & groups, "add a leak test for " + ", ".join(
        set(NOT_YET_COVERED) & groups)
