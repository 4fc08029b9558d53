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


@pytest.mark.xfail(strict=True, reason=(
    "ctdna call/track copy the input's patient_id (MRN-48213977) into calls.tsv, "
    "sample_tests.tsv, events.tsv, kinetics.tsv, summary.tsv (column patient_id) and sample_id "
    "(Smithfield-J-d0000...) into calls.tsv and sample_tests.tsv (column sample_id); with plots, "
    "the file name plots/MRN-48213977.png; stdout: the events table (patient_id) and the line "
    "'results written to <absolute output path>' / '... written to <path>' (the folder names "
    "the patient). Route to the ctdna owner: a --key option that pseudonymises patient_id and "
    "sample_id with oncoresist.privacy, and printing the folder's name only"))
def test_ctdna_commands_leak_nothing(case: Path, tmp_path: Path, capsys):
    folder = case.parent
    out = tmp_path / "Smithfield_Johanna_48213977_results"
    argvs = [["ctdna", "call", folder / "ctdna.tsv", "--normals", folder / "normals.tsv",
              "--out", out / "call"],
             ["ctdna", "track", folder / "ctdna.tsv", "--normals", folder / "normals.tsv",
              "--out", out / "track", "--no-plots"]]
    leaks = _leaks_of(argvs, [out], capsys)
    assert leaks.empty, _describe(leaks)


@pytest.mark.xfail(strict=True, reason=(
    "annotate copies the VCF sample column (SMITHFIELD_JOHANNA_T1) and the MAF "
    "Tumor_Sample_Barcode (MRN48213977-T1) into the findings table (column sample_id, TSV and "
    "JSON), the HTML summary ('<h2>Sample SMITHFIELD_JOHANNA_T1</h2>') and stdout ('Sample "
    "MRN48213977-T1 (1 alterations annotated)'). Route to the annotate owner: pseudonymise "
    "sample ids with oncoresist.privacy (Scrubber.sample_pseudonym) when a key is given"))
def test_annotate_commands_leak_nothing(case: Path, tmp_path: Path, capsys):
    folder = case.parent
    out = tmp_path / "annotate_out"
    argvs = [["annotate", folder / "tumour.vcf", "--therapy", "osimertinib", "--disease", "NSCLC",
              "-o", out / "vcf_findings.tsv", "--html", out / "vcf.html"],
             ["annotate", folder / "tumour.maf", "--therapy", "osimertinib",
              "-o", out / "maf_findings.json", "--format", "json"]]
    leaks = _leaks_of(argvs, [out], capsys)
    assert leaks.empty, _describe(leaks)


@pytest.mark.xfail(strict=True, reason=(
    "clonal fit copies the input's sample_id values (SMITHFIELD_J_biopsy_day0 ...) into "
    "results.tsv, results.mutations.tsv, results.clusters.tsv (column sample_id) and the "
    "clusters table printed on stdout. Route to the clonal owner (pseudonymise sample ids "
    "with oncoresist.privacy when a key is given)"))
def test_clonal_fit_leaks_nothing(case: Path, tmp_path: Path, capsys):
    out = tmp_path / "clonal_out"
    argvs = [["clonal", "fit", case.parent / "clonal.tsv", "--out", out / "results.tsv",
              "--max-clusters", "3", "--restarts", "2", "--seed", "1"]]
    leaks = _leaks_of(argvs, [out], capsys)
    assert leaks.empty, _describe(leaks)


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
