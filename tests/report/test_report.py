"""The HTML report is self-contained and complete; MultiQC files follow MultiQC's custom content."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from oncoresist import RESEARCH_USE_STATEMENT
from oncoresist.report import Section, multiqc_linegraph, multiqc_table, render_html, table_html
from oncoresist.report._case import SECTION_IDS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def out(mini_report) -> Path:
    return mini_report


def test_html_is_self_contained(out):
    html = (out / "report.html").read_text()
    # no resource is fetched from anywhere: no http(s) or protocol-relative src/href, no @import
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", html)
    assert "@import" not in html
    assert "url(" not in html
    assert "<script" not in html
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) >= 5
    for data in images:
        assert base64.b64decode(data).startswith(PNG_MAGIC)


def test_html_sections_and_statement(out):
    html = (out / "report.html").read_text()
    for section in SECTION_IDS:
        assert f'<section id="{section}">' in html
    assert html.count(RESEARCH_USE_STATEMENT) == 2  # banner and footer
    assert "Skipped: no multi-sample clonal input" not in html  # the clonal note reads differently
    assert "Multi-sample deconvolution skipped" in html
    for heading in ("on-target", "Events", "Compartment tree of the fitted model", "Sampler stages",
                    "Input files"):
        assert heading in html


def test_multiqc_files_parse(out):
    for path in out.glob("*_mqc.tsv"):
        lines = path.read_text().splitlines()
        config = yaml.safe_load("\n".join(line[2:] for line in lines if line.startswith("# ")))
        assert config["plot_type"] == "table"
        assert config["id"].startswith("oncoresist_")
        body = pd.read_csv(path, sep="\t", comment="#")
        assert len(body) >= 1
        assert body.columns[0] == "sample"
        assert body["sample"].is_unique  # MultiQC keys rows by the first column
    survival = yaml.safe_load((out / "oncoresist_survival_mqc.yaml").read_text())
    assert survival["plot_type"] == "linegraph"
    assert set(survival["data"]) == {"TEST-CASE-01 | stay", "TEST-CASE-01 | combo", "TEST-CASE-01 | pulse"}
    assert survival["data"]["TEST-CASE-01 | stay"][0] == 1


def test_json_has_no_nan_or_infinity(out):
    text = (out / "case.json").read_text()
    assert "NaN" not in text
    assert "Infinity" not in text


def test_render_html_escapes():
    page = render_html("<t>", [Section("s", "S & T", "<p>ok</p>")], statement="research only")
    assert "<title>&lt;t&gt;</title>" in page
    assert "S &amp; T" in page


def test_table_html_marks_censored_values():
    html = table_html(pd.DataFrame({"strategy": ["a"], "ttp": [float("inf")], "nan": [float("nan")]}))
    assert "&gt; horizon" in html


def test_multiqc_writers(tmp_path):
    table = multiqc_table(pd.DataFrame({"sample": ["P1 | x"], "v": [1.5]}), tmp_path / "t_mqc.tsv",
                          id="t", section_name='quote " inside', description="tab\tin text")
    config = yaml.safe_load("\n".join(line[2:] for line in table.read_text().splitlines() if line.startswith("# ")))
    assert config["section_name"] == 'quote " inside'
    graph = multiqc_linegraph({"a": {0: 1.0, 7: 0.25}}, tmp_path / "g_mqc.yaml", id="g", section_name="G",
                              description="d", xlab="x", ylab="y")
    assert yaml.safe_load(graph.read_text())["data"]["a"] == {0: 1, 7: 0.25}
