"""Per-sample summaries: resistance to the current therapy by mechanism class, options next.

Curated findings and inferred ones are kept apart in every rendering (text, HTML, JSON).
"""

from __future__ import annotations

import html
from collections import defaultdict

import pandas as pd

_RESISTANCE = ("resistance", "reduced sensitivity")
_MECHANISM_ORDER = ("on-target", "bypass", "downstream", "phenotypic", "microenvironment",
                    "pharmacological", "unclassified")


def _fmt_vaf(value) -> str:
    return "" if value is None or pd.isna(value) else f"VAF {value:.1%}"


def _fmt_cn(value) -> str:
    return "" if value is None or pd.isna(value) else f"CN {value:g}"


def sample_summaries(frame: pd.DataFrame, samples: tuple[str, ...]) -> list[dict]:
    """One plain-JSON summary per sample (in input order)."""
    out = []
    for sample in samples:
        rows = frame[(frame["sample_id"] == sample) & (frame["context"] == "therapy")]
        resistance = rows[~rows["inferred"].astype(bool) & rows["effect"].isin(_RESISTANCE)]
        # evidence from another disease stays in the table but not in the summary
        curated = resistance[resistance["disease_match"] != "other"]
        other_disease = sorted(set(resistance.loc[resistance["disease_match"] == "other",
                                                  "alteration"]))
        mechanisms: dict[str, list[dict]] = defaultdict(list)
        for alteration, block in curated.groupby("alteration", sort=False):
            best = block.iloc[0]
            mechanisms[best["mechanism"]].append({
                "alteration": alteration,
                "effect": best["effect"],
                "evidence_level": best["evidence_level"],
                "drugs": sorted(set(block["drug"])),
                "rules": list(dict.fromkeys(block["rule_id"]))[:4],
                "n_rules": int(block["rule_id"].nunique()),
                "measure": ", ".join(x for x in (_fmt_vaf(best["vaf"]),
                                                 _fmt_cn(best["copy_number"])) if x),
                "co_occurrence": list(dict.fromkeys(
                    f"{c} [{rule}" + (f"; remains active: {alt}" if alt else "") + "]"
                    for c, rule, alt in zip(block["co_occurrence"], block["rule_id"],
                                            block["alternatives"], strict=True)
                    if c
                )),
            })
        inferred = rows[rows["inferred"].astype(bool)]
        putative = [
            {"alteration": r["alteration"], "mechanism": r["mechanism"], "drug": r["drug"],
             "path": r["path"]}
            for _, r in inferred.drop_duplicates(["alteration", "drug"]).iterrows()
        ]
        sensitivity = sorted({
            f"{r['alteration']} ({r['drug']}, level {r['evidence_level']})"
            for _, r in rows[rows["effect"] == "sensitivity"].iterrows()
        })
        options, excluded = [], []
        for kept, dropped in zip(curated["alternatives"], curated["alternatives_excluded"],
                                 strict=True):
            options += [o for o in kept.split("; ") if o]
            excluded += [o for o in dropped.split("; ") if o]
        unknown = sorted({c for c in rows["co_occurrence"] if "unknown" in c})
        out.append({
            "sample_id": sample,
            "mechanisms": {m: mechanisms[m] for m in _MECHANISM_ORDER if m in mechanisms},
            "inferred": putative,
            "sensitivity": sensitivity,
            "options": list(dict.fromkeys(options)),
            "options_excluded": list(dict.fromkeys(excluded)),
            "co_occurrence_unknown": unknown,
            "other_disease": other_disease,
            "n_alterations": int(frame.loc[frame["sample_id"] == sample, "alteration"].nunique()),
        })
    return out


def render_text(summaries: list[dict], header: list[str], footer: list[str]) -> str:
    lines = list(header)
    for s in summaries:
        lines.append("")
        lines.append(f"Sample {s['sample_id']} ({s['n_alterations']} alterations annotated)")
        if s["mechanisms"]:
            lines.append("  Resistance to the current therapy (curated evidence):")
            for mechanism, items in s["mechanisms"].items():
                lines.append(f"    {mechanism}:")
                for item in items:
                    measure = f" [{item['measure']}]" if item["measure"] else ""
                    more = f" +{item['n_rules'] - len(item['rules'])} more" \
                        if item["n_rules"] > len(item["rules"]) else ""
                    lines.append(
                        f"      {item['alteration']}{measure}: {item['effect']} to "
                        f"{', '.join(item['drugs'])}, level {item['evidence_level']} "
                        f"({', '.join(item['rules'])}{more})"
                    )
                    for note in item["co_occurrence"]:
                        lines.append(f"        co-occurrence: {note}")
        else:
            lines.append("  No curated resistance mechanism to the current therapy found.")
        if s["other_disease"]:
            lines.append("  Resistance evidence only from other diseases (see the table): "
                         + ", ".join(s["other_disease"]))
        if s["inferred"]:
            lines.append("  Putative mechanisms (inferred from the pathway graph, not curated):")
            for item in s["inferred"]:
                lines.append(f"    {item['path']}")
        if s["sensitivity"]:
            lines.append("  Sensitivity: " + "; ".join(s["sensitivity"]))
        if s["options"]:
            lines.append("  Options the knowledge base supports next: " + ", ".join(s["options"]))
        if s["options_excluded"]:
            lines.append("  Not listed as options (resistance in this sample): "
                         + ", ".join(s["options_excluded"]))
    lines.append("")
    lines.extend(footer)
    return "\n".join(lines) + "\n"


def render_html(summaries: list[dict], header: list[str], footer: list[str],
                table: pd.DataFrame) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>oncoresist annotation</title>',
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}"
        "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;"
        "padding:2px 6px;text-align:left}.inferred{color:#8a4b00}.note{color:#555}</style>",
        "</head><body>",
        "<h1>Resistance annotation</h1>",
    ]
    parts += [f'<p class="note">{e(line)}</p>' for line in header]
    for s in summaries:
        parts.append(f"<h2>Sample {e(s['sample_id'])}</h2>")
        if s["mechanisms"]:
            parts.append("<h3>Resistance to the current therapy (curated evidence)</h3><ul>")
            for mechanism, items in s["mechanisms"].items():
                parts.append(f"<li><b>{e(mechanism)}</b><ul>")
                for item in items:
                    measure = f" [{e(item['measure'])}]" if item["measure"] else ""
                    notes = "".join(f"<br><i>co-occurrence: {e(n)}</i>"
                                    for n in item["co_occurrence"])
                    parts.append(
                        f"<li>{e(item['alteration'])}{measure}: {e(item['effect'])} to "
                        f"{e(', '.join(item['drugs']))}, level {e(item['evidence_level'])} "
                        f"({e(', '.join(item['rules']))}){notes}</li>"
                    )
                parts.append("</ul></li>")
            parts.append("</ul>")
        else:
            parts.append("<p>No curated resistance mechanism to the current therapy found.</p>")
        if s["inferred"]:
            parts.append('<h3 class="inferred">Putative mechanisms (inferred, not curated)</h3>'
                         "<ul>")
            parts += [f'<li class="inferred">{e(i["path"])}</li>' for i in s["inferred"]]
            parts.append("</ul>")
        if s["options"]:
            parts.append(f"<p><b>Options the knowledge base supports next:</b> "
                         f"{e(', '.join(s['options']))}</p>")
        if s["options_excluded"]:
            parts.append(f"<p>Not listed as options (resistance in this sample): "
                         f"{e(', '.join(s['options_excluded']))}</p>")
    shown = table[table["effect"] != "no known effect"]
    parts.append("<h2>Findings</h2>")
    parts.append(shown.to_html(index=False, escape=True, na_rep="", border=0))
    parts += [f'<p class="note">{e(line)}</p>' for line in footer]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
