"""Self-contained HTML: sections, tables and figures embedded as base64 PNG; no external URL."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#1d2430;background:#fff}
header{background:#17324d;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px}
header p{margin:4px 0 0 0;font-size:13px;opacity:.9}
.statement{background:#fff4d6;border-left:6px solid #d9a400;padding:10px 32px;font-weight:600}
nav{padding:8px 32px;border-bottom:1px solid #dde3ea;font-size:13px}
nav a{margin-right:14px;color:#17324d}
main{padding:8px 32px 32px 32px;max-width:1200px}
section{margin-top:22px}
h2{font-size:18px;border-bottom:2px solid #17324d;padding-bottom:4px}
h3{font-size:15px;margin-bottom:6px}
table{border-collapse:collapse;font-size:12px;margin:6px 0 12px 0}
th,td{border:1px solid #cfd6de;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#eef2f6}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:8px 0 16px 0}
figure img{max-width:100%;border:1px solid #e3e7ec}
figcaption{font-size:12px;color:#4a5563}
.note{font-size:12px;color:#4a5563}
.skipped{color:#8a4b00}
footer{padding:14px 32px;font-size:12px;color:#4a5563;border-top:1px solid #dde3ea}
"""


@dataclass(frozen=True)
class Section:
    """One section of a report: an anchor id, a title and its HTML body."""

    id: str
    title: str
    body: str


def escape(text: object) -> str:
    """HTML-escape any value's text."""
    return html.escape("" if text is None else str(text), quote=True)


def figure_html(fig, caption: str, *, alt: str | None = None, dpi: int = 96) -> str:
    """A matplotlib figure as an ``<figure>`` with an embedded PNG (closed afterwards).

    PNG metadata is stripped of the software version so identical figures give identical bytes.
    """
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<figure><img alt="{escape(alt or caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def _cell(value: object) -> tuple[str, bool]:
    if isinstance(value, float):
        if value != value:  # NaN
            return "", True
        if value in (float("inf"), float("-inf")):
            return ("&gt; horizon" if value > 0 else "-inf"), True
        return (f"{value:.4g}"), True
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return str(value), True
    return escape(value), False


def table_html(frame: pd.DataFrame, *, max_rows: int = 200, caption: str | None = None) -> str:
    """A DataFrame as an HTML table (numbers right-aligned, at most ``max_rows`` rows)."""
    if frame is None or frame.empty:
        return '<p class="note">(no rows)</p>'
    shown = frame.head(max_rows)
    head = "".join(f"<th>{escape(c)}</th>" for c in shown.columns)
    rows = []
    for record in shown.itertuples(index=False):
        cells = []
        for value in record:
            value = value.item() if hasattr(value, "item") else value
            text, numeric = _cell(value)
            cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f'<p class="note">{len(frame) - max_rows} more rows in the TSV files.</p>' if len(frame) > max_rows else ""
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def render_html(
    title: str,
    sections: Sequence[Section],
    *,
    statement: str,
    subtitle: str = "",
    footer: str = "",
) -> str:
    """A whole report page: header, research-use statement, navigation, sections, footer."""
    nav = "".join(f'<a href="#{escape(s.id)}">{escape(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{escape(s.id)}"><h2>{escape(s.title)}</h2>{s.body}</section>' for s in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>"
        f'<div class="statement" id="research-use">{escape(statement)}</div>'
        f"<nav>{nav}</nav><main>{body}</main>"
        f"<footer>{escape(footer)} {escape(statement)}</footer></body></html>\n"
    )
