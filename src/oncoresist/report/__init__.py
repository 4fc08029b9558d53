"""Reports: one self-contained offline HTML file, and MultiQC custom content.

Figures are embedded as base64 PNG; the page loads nothing from the network. Every report
carries :data:`oncoresist.RESEARCH_USE_STATEMENT`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from oncoresist.report import _html, _multiqc
from oncoresist.report._html import Section

__all__ = [
    "Section",
    "figure_html",
    "multiqc_linegraph",
    "multiqc_table",
    "render_html",
    "table_html",
    "write_case_report",
]


def render_html(
    title: str,
    sections: Sequence[Section],
    *,
    statement: str | None = None,
    subtitle: str = "",
    footer: str = "",
) -> str:
    """Render a self-contained HTML page from sections.

    Parameters
    ----------
    title
        Page title and heading.
    sections
        :class:`Section` objects (``id``, ``title``, ``body`` HTML), in order.
    statement
        The research-use statement shown under the header and in the footer; default
        :data:`oncoresist.RESEARCH_USE_STATEMENT`.
    subtitle, footer
        Extra text for the header and the footer.

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> page = render_html("demo", [Section("a", "A section", "<p>hello</p>")])
    >>> '<section id="a">' in page and "not for clinical decisions" in page
    True
    >>> "http://" in page or "https://" in page
    False
    """
    from oncoresist import RESEARCH_USE_STATEMENT

    return _html.render_html(title, sections, statement=statement or RESEARCH_USE_STATEMENT,
                             subtitle=subtitle, footer=footer)


def figure_html(fig: Any, caption: str, *, alt: str | None = None, dpi: int = 96) -> str:
    """Embed a matplotlib figure as a base64 PNG ``<figure>``; the figure is closed.

    Parameters
    ----------
    fig
        A matplotlib Figure.
    caption
        Caption under the image (also its alt text unless ``alt`` is given).
    alt
        Alternative text.
    dpi
        Resolution.

    Returns
    -------
    str
        ``<figure><img src="data:image/png;base64,..."><figcaption>...</figcaption></figure>``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> figure_html(fig, "a line").startswith('<figure><img alt="a line" src="data:image/png;base64,')
    True
    """
    return _html.figure_html(fig, caption, alt=alt, dpi=dpi)


def table_html(frame: pd.DataFrame, *, max_rows: int = 200, caption: str | None = None) -> str:
    """Render a DataFrame as an HTML table (escaped; infinite values read "> horizon").

    Parameters
    ----------
    frame
        The table.
    max_rows
        Rows shown; a note says how many more there are.
    caption
        Optional caption.

    Returns
    -------
    str
        ``<table>...</table>``.

    Examples
    --------
    >>> html = table_html(pd.DataFrame({"drug": ["<x>"], "days": [3.0]}))
    >>> "&lt;x&gt;" in html and '<td class="num">3</td>' in html
    True
    """
    return _html.table_html(frame, max_rows=max_rows, caption=caption)


def multiqc_table(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    id: str,  # noqa: A002 - MultiQC's own key
    section_name: str,
    description: str,
) -> Path:
    """Write a MultiQC custom-content table (``*_mqc.tsv``), atomically.

    Parameters
    ----------
    frame
        The table; its first column names the rows (samples).
    path
        Output file; MultiQC finds it when the name ends in ``_mqc.tsv``.
    id, section_name, description
        MultiQC's section configuration.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x_mqc.tsv"
    >>> _ = multiqc_table(pd.DataFrame({"sample": ["P1"], "ttp": [120.0]}), p, id="x",
    ...                   section_name="X", description="d")
    >>> p.read_text().splitlines()[3], p.read_text().splitlines()[-1]
    ("# plot_type: 'table'", 'P1\\t120')
    """
    return _multiqc.multiqc_table(frame, path, id=id, section_name=section_name, description=description)


def multiqc_linegraph(
    series: Mapping[str, Mapping[float, float]],
    path: str | os.PathLike[str],
    *,
    id: str,  # noqa: A002 - MultiQC's own key
    section_name: str,
    description: str,
    xlab: str,
    ylab: str,
) -> Path:
    """Write line series as a MultiQC custom-content line graph (``*_mqc.yaml``), atomically.

    Parameters
    ----------
    series
        Name -> {x: y}.
    path
        Output file ending in ``_mqc.yaml``.
    id, section_name, description, xlab, ylab
        MultiQC's section and plot configuration.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib, yaml
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s_mqc.yaml"
    >>> _ = multiqc_linegraph({"A": {0: 1.0, 7: 0.5}}, p, id="s", section_name="S",
    ...                       description="d", xlab="day", ylab="fraction")
    >>> content = yaml.safe_load(p.read_text())
    >>> content["plot_type"], content["data"]["A"][7]
    ('linegraph', 0.5)
    """
    return _multiqc.multiqc_linegraph(series, path, id=id, section_name=section_name,
                                      description=description, xlab=xlab, ylab=ylab)


def write_case_report(result: Any, folder: str | os.PathLike[str]) -> Path:
    """Write a case run's report into ``folder``: HTML, TSV/JSON and MultiQC files.

    The caller makes the folder atomic (``oncoresist.case.CaseResult.write`` does).

    Parameters
    ----------
    result
        An :class:`oncoresist.case.CaseResult`.
    folder
        An existing folder.

    Returns
    -------
    pathlib.Path
        The folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from oncoresist.case import run_case
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> res = run_case("examples/egfr_nsclc/case.yaml", out=out)  # doctest: +SKIP
    >>> (out / "report.html").exists()  # doctest: +SKIP
    True
    """
    from oncoresist.report._case import write_case_files

    write_case_files(result, Path(folder))
    return Path(folder)
