"""`oncoresist kb ...` commands: TSV when piped, JSON with --json, one-line errors, exit 2."""

from __future__ import annotations

import io
import json

import pandas as pd

from oncoresist.cli import main


def _tsv(text: str) -> pd.DataFrame:
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return pd.read_csv(io.StringIO(body), sep="\t", dtype=str, keep_default_na=False)


def test_kb_drug_json(capsys):
    assert main(["kb", "drug", "Imatinib Mesylate", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["name"] == "imatinib"
    assert "STI-571" in payload["synonyms"]


def test_kb_drug_piped_is_tsv(capsys):
    assert main(["kb", "drug", "osimertinib"]) == 0
    frame = _tsv(capsys.readouterr().out)
    assert frame.set_index("field").loc["name", "value"] == "osimertinib"


def test_kb_alteration(capsys):
    assert main(["kb", "alteration", "EGFR", "T790M"]) == 0
    frame = _tsv(capsys.readouterr().out)
    assert "EGFR p.T790M" in set(frame["alteration"])
    assert set(frame.loc[frame["alteration"] == "EGFR p.T790M", "mechanism"]) == {"on-target"}


def test_kb_alteration_json_with_drug(capsys):
    assert main(["kb", "alteration", "EGFR T790M", "--drug", "Tarceva", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["query"]["drug"] == "erlotinib"
    assert payload["rules"]
    assert all("erlotinib" in r["drugs"] for r in payload["rules"])


def test_kb_mechanisms(capsys):
    assert main(["kb", "mechanisms", "--drug", "erlotinib", "--disease", "NSCLC"]) == 0
    frame = _tsv(capsys.readouterr().out)
    assert {"on-target", "bypass", "downstream"} <= set(frame["mechanism"])


def test_unknown_drug_is_one_line_and_exit_2(capsys):
    assert main(["kb", "drug", "osimertinb"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "did you mean 'osimertinib'" in err


def test_unparsable_alteration_exit_2(capsys):
    assert main(["kb", "alteration", "EGFR", "T790M!!"]) == 2
    assert "T790M!!" in capsys.readouterr().err


def test_kb_extra_error_names_file_and_line(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "schema_version: 1\nrules:\n  - id: X\n    gene: EGFR\n    alterations: T790M\n"
    )
    assert main(["kb", "mechanisms", "--drug", "erlotinib", "--kb-extra", str(path)]) == 2
    err = capsys.readouterr().err
    assert "line 5" in err
    assert "alterations" in err


def test_kb_build_json(tmp_path, capsys):
    assert main(["kb", "build", "--out", str(tmp_path), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["counts"]["civic"]["items"] == 935
    assert (tmp_path / "kb.json").is_file()
    assert (tmp_path / "import_report.tsv").is_file()
