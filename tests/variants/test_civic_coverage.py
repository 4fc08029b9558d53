"""The parser on the real CIViC resistance variant names (fixture: civic_resistance_variants.tsv)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from oncoresist import ParseError
from oncoresist.variants import parse_alteration

FIXTURE = Path(__file__).with_name("civic_resistance_variants.tsv")


def _rows():
    with FIXTURE.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


ROWS = _rows()


def test_fixture_covers_the_935_resistance_items():
    # CIViC 2021-08: 935 evidence items with clinical_significance == Resistance (issue 2)
    assert sum(int(r["evidence_items"]) for r in ROWS) == 935
    assert len(ROWS) == 444


def test_every_variant_with_an_alteration_meaning_parses():
    failures = []
    for row in ROWS:
        if row["expected"] != "parse":
            continue
        try:
            parse_alteration(row["gene"], row["variant"])
        except ParseError as exc:
            failures.append(str(exc))
    assert failures == []


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r["expected"] != "parse"], ids=lambda r: f"{r['gene']}-{r['variant']}")
def test_the_others_are_refused_with_a_reason(row):
    with pytest.raises(ParseError) as info:
        parse_alteration(row["gene"], row["variant"])
    message = str(info.value)
    assert row["variant"] in message
    assert row["gene"] in message


def test_coverage_in_evidence_items():
    parsed = sum(int(r["evidence_items"]) for r in ROWS if r["expected"] == "parse")
    # 13 refused pairs carry 15 items (2 each for KRAS RS61764370 and BCL2L11 deletion
    # polymorphism, counted in the fixture), so 920 of 935 items parse.
    assert parsed == 920
