"""The case report: one offline HTML file, TSV/JSON tables and MultiQC custom content."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncoresist._core import write_table, write_text_atomic
from oncoresist.report import _figures
from oncoresist.report._html import Section, escape, figure_html, render_html, table_html
from oncoresist.report._multiqc import multiqc_linegraph, multiqc_table

MECHANISM_ORDER = ("on-target", "bypass", "downstream", "phenotypic", "microenvironment", "pharmacological")
_RESISTANCE_EFFECTS = ("resistance", "reduced sensitivity", "putative resistance")
SECTION_IDS = ("summary", "findings", "ctdna", "clones", "model", "forecast", "provenance")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return round(value, 10)
    return value


def _records(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None:
        return []
    return [_jsonable(r) for r in frame.to_dict(orient="records")]


def _sample_names(result) -> dict[str, str]:
    """Pseudonymous names for every sample and patient id found in the inputs."""
    name = result.pseudonym
    mapping: dict[str, str] = {}
    loaded = result.loaded
    if loaded.ctdna is not None:
        for pid in loaded.ctdna["patient_id"].astype(str).unique():
            mapping[pid] = name
        for sid, day in loaded.ctdna.groupby("sample_id")["day"].first().items():
            mapping[str(sid)] = f"{name}-plasma-d{int(day)}"
    if result.clonal is not None:
        days = result.clonal["days"]
        for i, sid in enumerate(_clonal_samples(result)):
            mapping.setdefault(str(sid), f"{name}-clonal-d{days[sid]}" if sid in days else f"{name}-clonal{i}")
    if result.findings is not None:
        for source, sid in result.findings[["source", "sample_id"]].drop_duplicates().itertuples(index=False):
            if str(source).startswith("sequencing"):
                index = str(source).split("]")[0].removeprefix("sequencing[")
                mapping.setdefault(str(sid), f"{name}-seq{index}")
    return mapping


def _clonal_samples(result) -> list[str]:
    """The clonal input's samples, in time order (days when given, else file order)."""
    samples = list(dict.fromkeys(result.clonal["fit"].clusters_frame()["sample_id"].astype(str)))
    days = result.clonal["days"]
    return sorted(samples, key=lambda s: (days.get(s, float("inf")), samples.index(s)))


def _pseudonymise(frame: pd.DataFrame | None, mapping: dict[str, str]) -> pd.DataFrame | None:
    if frame is None:
        return None
    frame = frame.copy()
    for column in ("patient_id", "sample_id"):
        if column in frame.columns:
            frame[column] = frame[column].map(lambda v: mapping.get(str(v), v))
    return frame.drop(columns=[c for c in frame.columns if c.startswith("_")])


def _history(result) -> list[tuple[tuple[str, ...], int, int | None]]:
    return [(tuple(result.loaded.canonical(line.drugs)), line.start_day, line.end_day)
            for line in result.loaded.case.therapy_history]


def _summary_section(result) -> Section:
    case = result.loaded.case
    history = pd.DataFrame([
        {"line": i + 1, "drugs": " + ".join(drugs), "start_day": start,
         "end_day": "ongoing" if end is None else end}
        for i, (drugs, start, end) in enumerate(_history(result))
    ])
    steps = []
    for step in ("annotation", "ctdna", "clonal", "model", "calibration", "forecast"):
        if step in result.skipped:
            steps.append({"step": step, "status": "skipped", "why": result.skipped[step]})
        else:
            steps.append({"step": step, "status": "done", "why": ""})
    data = [f"{len(case.sequencing)} sequencing file(s)",
            "serial ctDNA" if result.loaded.ctdna is not None else "no ctDNA",
            "imaging" if result.loaded.imaging is not None else "no imaging",
            "multi-sample clonal input" if case.clonal is not None else "no clonal input"]
    body = (
        f"<p><b>Patient</b> {escape(case.pseudonym)} &middot; <b>disease</b> {escape(case.disease)} "
        f"&middot; <b>consent</b> {escape(', '.join(case.consent))} &middot; <b>seed</b> {result.seed}</p>"
        f"<p><b>Data</b>: {escape('; '.join(data))}. Days are counted from the case's day 0.</p>"
        "<h3>Therapy so far</h3>" + table_html(history) +
        "<h3>Steps</h3>" + table_html(pd.DataFrame(steps))
    )
    if result.forecast is not None:
        best = result.forecast.summary().sort_values("ttp_median", ascending=False).iloc[0]
        body += (
            f'<p>Forecast from day {result.forecast.start_day:g}: the longest median time to '
            f"progression is <b>{escape(best['strategy'])}</b> "
            f"({_days(best['ttp_median'])}, 90% credible interval {_days(best['ttp_ci_low'])} to "
            f"{_days(best['ttp_ci_high'])}), under the model's assumptions (see below).</p>"
        )
    return Section("summary", "Patient summary", body)


def _days(value: float) -> str:
    return "beyond the horizon" if not np.isfinite(value) else f"{value:.0f} days"


def _findings_section(result, mapping) -> Section:
    findings = result.findings
    if findings is None:
        return Section("findings", "Resistance findings",
                       f'<p class="skipped">Skipped: {escape(result.skipped.get("annotation", ""))}</p>')
    frame = _pseudonymise(findings, mapping)
    relevant = frame[frame["effect"].isin(_RESISTANCE_EFFECTS)].copy()
    columns = ["alteration", "drug", "context", "effect", "evidence_level", "confidence", "disease_match",
               "co_occurrence", "rule_id", "references", "alternatives", "sample_id", "source"]
    columns = [c for c in columns if c in relevant.columns]
    parts = [
        f"<p>{len(relevant)} resistance finding(s) in the context of the current therapy "
        f"({escape(' + '.join(_history(result)[-1][0]))}) and earlier lines, from "
        f"{escape(', '.join(sorted(frame['source'].astype(str).unique())))}. Putative (inferred) "
        "mechanisms come from the pathway graph, not from curated evidence.</p>"
    ]
    mechanisms = [m for m in MECHANISM_ORDER if m in set(relevant["mechanism"])]
    mechanisms += sorted(set(relevant["mechanism"].astype(str)) - set(mechanisms))
    for mechanism in mechanisms:
        block = relevant[relevant["mechanism"] == mechanism].sort_values(["effect", "evidence_level", "alteration"])
        block = block.drop_duplicates(["alteration", "drug", "effect", "rule_id"])
        parts.append(f"<h3>{escape(mechanism or 'unclassified')}</h3>" + table_html(block[columns]))
    other = frame[~frame["effect"].isin(_RESISTANCE_EFFECTS)]
    if len(other):
        rest = other.drop_duplicates(["alteration", "drug", "effect"])[["alteration", "drug", "effect", "source"]]
        parts.append("<h3>Other alterations</h3>" + table_html(rest))
    return Section("findings", "Resistance findings", "".join(parts))


def _ctdna_section(result, mapping) -> Section:
    if result.ctdna is None:
        return Section("ctdna", "ctDNA timeline",
                       f'<p class="skipped">Skipped: {escape(result.skipped.get("ctdna", ""))}</p>')
    calls = _pseudonymise(result.ctdna.calls, mapping)
    events = _pseudonymise(result.ctdna.events, mapping)
    bands = {}
    if result.calibration is not None and result.calibration.method == "smc":
        model = result.calibration.model
        start = float(min(calls["day"].min(), 0))
        days = np.linspace(start, float(result.forecast_start or calls["day"].max()), 120)
        for variant in calls["variant"].unique():
            if variant in model.truncal or variant in model.resistance:
                bands[variant] = result.calibration.allele_fraction_bands(variant, days)
    fig = _figures.ctdna_timeline(calls, events, _history(result), bands=bands, imaging=result.loaded.imaging,
                                  forecast_start=result.forecast_start)
    caption = ("Plasma allele fractions (filled: detected; open triangles: LoD95 of samples without "
               "detection), therapy lines shaded, confirmed emergences dotted, imaging progression as "
               "black triangles; lines and bands: the calibrated model's median and 90% credible band.")
    shown = events[["event", "variant", "day", "confirmed_day", "grade", "drugs", "evidence"]]
    kinetics = result.ctdna.kinetics
    body = figure_html(fig, caption, alt="ctDNA timeline") + "<h3>Events</h3>" + table_html(shown)
    if kinetics is not None and len(kinetics):
        body += "<h3>Kinetics</h3>" + table_html(_pseudonymise(kinetics, mapping))
    return Section("ctdna", "ctDNA timeline", body)


def _cluster_label(mutations: list[str]) -> str:
    """Short description of a cluster: its named (gene-level) mutations and how many others."""
    named = sorted(m for m in mutations if ":p." in m or ":c." in m)
    others = len(mutations) - len(named)
    text = ", ".join(m.replace(":", " ") for m in named[:4])
    if len(named) > 4:
        others += len(named) - 4
    if others:
        text = f"{text} + {others} other mutation(s)" if text else f"{others} mutation(s)"
    return text


def _sum_rule_sizes(clusters: pd.DataFrame, parents: dict, times: dict) -> pd.DataFrame:
    """Cluster CCFs per time, children scaled down to their parent where they exceed it."""
    table = clusters.drop_duplicates(["cluster_id", "sample_id"])
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(int(parent), []).append(int(child))
    rows = []
    for sample, block in table.groupby("sample_id", sort=False):
        ccf = {int(c): min(1.0, max(0.0, float(v)))
               for c, v in zip(block["cluster_id"], block["cellular_prevalence"], strict=True)}
        stack = [(-1, 1.0)]
        while stack:
            node, limit = stack.pop()
            kids = children.get(node, [])
            total = sum(ccf[k] for k in kids)
            scale = limit / total if total > limit > 0 else (0.0 if limit <= 0 else 1.0)
            for k in kids:
                ccf[k] *= scale
                stack.append((k, ccf[k]))
        rows += [{"time": float(times[str(sample)]), "clone_id": c, "size": v} for c, v in sorted(ccf.items())]
    return pd.DataFrame(rows)


def _clones_section(result, mapping) -> Section:
    from oncoresist.clonal import pl as clonal_pl

    parts = []
    if result.clonal is not None:
        fit, search = result.clonal["fit"], result.clonal["trees"]
        tree = search.best
        members = fit.mutations_frame().drop_duplicates("mutation_id").groupby("cluster_id")["mutation_id"]
        labels = {int(c): _cluster_label(list(ids)) for c, ids in members}

        def node(c: int) -> str:
            return "germline" if c < 0 else f"cluster {c} ({escape(labels.get(c, ''))})"

        lines = [f"{node(c)} &larr; {node(p)}" for c, p in sorted(tree.parents.items())]
        state = "consistent with the sum rule in every sample" if tree.consistent else \
            "least-violating tree: no tree satisfies the sum rule in every sample"
        parts.append(f"<h3>Clone tree from multi-sample deconvolution</h3><p>Best of {len(search.trees)} "
                     f"tree(s), {state}.<br>" + "<br>".join(lines) + "</p>")
        # numeric times only, so that no input sample name reaches the figure
        samples = _clonal_samples(result)
        days = result.clonal["days"]
        times = {s: float(days[s]) for s in samples} if days else {s: float(i) for i, s in enumerate(samples)}
        sizes = _sum_rule_sizes(fit.clusters_frame(), tree.parents, times)
        ax = clonal_pl.muller(sizes, tree.parents, cumulative=True)
        ax.set_xlabel("day" if days else "sample (time order)")
        parts.append(figure_html(ax.figure, "Muller plot of the deconvolved clones (PyClone-VI input, "
                                 "oncoresist.clonal), samples in time order. Where the children's "
                                 "estimated CCFs add up to more than their parent's (allowed by the tree "
                                 "search within the estimates' uncertainty), they are scaled down to it.",
                                 alt="clonal Muller plot"))
        parts.append(table_html(_pseudonymise(fit.clusters_frame(), mapping)))
    else:
        parts.append(f'<p class="skipped">Multi-sample deconvolution skipped: '
                     f'{escape(result.skipped.get("clonal", ""))}.</p>')
    if result.calibration is not None and result.model is not None:
        model = result.model
        chain = " &rarr; ".join(escape(t) for t in model.types)
        parts.append(f"<h3>Compartment tree of the fitted model</h3><p>{chain} (nested: each compartment "
                     "descends from the one before it)</p>")
        first = min(0.0, float(result.loaded.ctdna["day"].min()) if result.loaded.ctdna is not None else 0.0)
        days = np.linspace(first, float(result.forecast_start), 150)
        fig = _figures.fitted_muller(result.calibration, days, _history(result), clonal_pl=clonal_pl)
        parts.append(figure_html(fig, "Muller plot of the calibrated model (posterior median sizes of "
                                 "the compartments), therapy lines shaded.", alt="model Muller plot"))
    return Section("clones", "Clones", "".join(parts))


def _model_section(result) -> Section:
    if result.model is None:
        return Section("model", "Fitted model",
                       f'<p class="skipped">Skipped: {escape(result.skipped.get("model", ""))}</p>')
    calibration = result.calibration
    ranges = calibration.prior_ranges()
    bounds = list(zip(ranges["low"], ranges["high"], strict=True))
    method = ("sequential Monte Carlo with likelihood tempering" if calibration.method == "smc"
              else "none: the draws below are prior draws")
    info = calibration.info()
    body = (
        "<p>Compartments built from the knowledge base for the alterations found: a compartment is "
        "killed by a drug that targets one of its genes unless a curated rule gives one of its "
        "alterations resistance to it. Each compartment grows exponentially at its net rate under "
        "the current exposure and, from day 0, resistant compartments are also fed by mutation from "
        "their parent (per-division probability x birth rate "
        f"{result.model.birth_rate:g}/day; Bozic et al. 2013, doi:10.7554/eLife.00747); "
        "ctDNA allele fractions follow the tumour fraction of cfDNA "
        "(binomial read sampling), imaging burdens the cube root of the tumour size.</p>"
        + table_html(result.model.to_frame())
        + f"<p>Calibration: {escape(method)}; {info['n_observations']} observations; "
        + f"{len(calibration.draws)} posterior draws; "
        + (f"log evidence {calibration.log_evidence:.2f}; {len(info['stages'])} tempering stages."
           if calibration.method == "smc" else "")
        + "</p>"
        + table_html(calibration.summary())
        + _edge_note(calibration)
        + figure_html(_figures.posteriors(calibration.draws, list(ranges["log_scale"]), bounds),
                      "Posterior of each parameter on the range of its prior.", alt="parameter posteriors")
    )
    if calibration.trace:
        trace = pd.DataFrame(info["stages"])
        body += "<h3>Sampler stages</h3>" + table_html(trace)
    return Section("model", "Fitted model", body)


def _edge_note(calibration) -> str:
    edge = calibration.at_prior_edge()
    if not edge:
        return ""
    return (
        f'<p class="skipped">Posterior at the edge of its prior: {escape(", ".join(edge))}. The data push '
        "these parameters against a bound, which usually means the model does not describe this "
        "patient well there (for example a resistant clone that appeared later, or grew faster, than "
        "the pre-existing fraction, de novo mutation at the stated rate and the shared resistant growth "
        "rate allow); read the forecast with that in mind.</p>"
    )


def _prior_text(prior) -> str:
    text = f"{prior.distribution}({prior.low:g}, {prior.high:g})"
    return f"{text}, {prior.source}" if prior.source else text


def _beyond_horizon_note(fc) -> str:
    """Say why a strategy's median time to progression lies beyond the horizon."""
    notes = []
    for row in fc.summary().itertuples(index=False):
        if np.isfinite(row.ttp_median):
            continue
        notes.append(
            f"<b>{escape(row.strategy)}</b>: in {1 - row.p_progression_horizon:.0%} of the draws the tumour "
            f"does not progress within {fc.horizon_days} days; its resistance route is "
            f"{escape(row.resistance_route)}, which in those draws does not outgrow the tumour's nadir "
            "by the RECIST margin within the horizon (read it as 'later than the horizon', not 'never')."
        )
    return "<p>" + "<br>".join(notes) + "</p>" if notes else ""


def _forecast_section(result) -> Section:
    if result.forecast is None:
        return Section("forecast", "Strategy forecast",
                       f'<p class="skipped">Skipped: {escape(result.skipped.get("forecast", ""))}</p>')
    fc = result.forecast
    settings = result.loaded.case.forecast
    mutation = result.loaded.case.mutation
    body = (
        f"<p>Each of {fc.draws['draw'].nunique()} posterior draws is projected from day "
        f"{fc.start_day:g} for {fc.horizon_days} days under each strategy. Progression: the sum of "
        f"diameters (tumour size<sup>1/3</sup>) {settings.progression_increase:.0%} above its nadir "
        "(RECIST 1.1); for intermittent and adaptive strategies above the larger of the nadir and the "
        "size at the start. Resistance emergence: cells that no drug of the strategy kills reach "
        f"{settings.resistance_majority:.0%} of the tumour. Resistant compartments also arise by "
        "mutation during therapy (per-division probability in the model table). A strategy whose "
        "drugs kill every observed compartment gets an <b>unknown-resistance</b> compartment: cells "
        "of the last compartment that acquire a mechanism not seen in this patient, killed by no drug "
        f"of the strategy, at {mutation.rate:g} per site and division times a number of sites drawn "
        f"for each posterior draw from {escape(_prior_text(mutation.unknown_sites))}; the column "
        "<i>resistance_route</i> says which applies.</p>"
        + table_html(fc.summary())
        + _beyond_horizon_note(fc)
        + figure_html(_figures.survival_curves(fc.survival(step=7), dict(fc.burden), fc.start_day),
                      "Left: fraction of posterior draws free of progression. Right: tumour burden, "
                      "median and 90% band.", alt="forecast survival curves")
        + figure_html(_figures.dose_cost(fc.draws), "Cumulative dose and cost until progression or the "
                      "horizon (medians over draws).", alt="dose and cost")
    )
    return Section("forecast", "Strategy forecast", body)


def _provenance_section(result) -> Section:
    prov = result.provenance.to_dict()
    inputs = pd.DataFrame([{"file": k, "sha256": v} for k, v in sorted(prov["inputs"].items())])
    body = (
        f"<p>oncoresist {escape(prov['version'])} (Python {escape(prov['python'])}); knowledge base "
        f"{escape(prov['kb_version'])}; seed {escape(prov['seed'])}; command {escape(prov['command'])}.</p>"
        + "<h3>Input files</h3>" + table_html(inputs)
        + "<h3>Parameters</h3><pre>" + escape(json.dumps(prov["parameters"], indent=1, sort_keys=True)) + "</pre>"
    )
    return Section("provenance", "Provenance", body)


def case_sections(result) -> list[Section]:
    """The report's sections, in order."""
    mapping = _sample_names(result)
    return [
        _summary_section(result),
        _findings_section(result, mapping),
        _ctdna_section(result, mapping),
        _clones_section(result, mapping),
        _model_section(result),
        _forecast_section(result),
        _provenance_section(result),
    ]


def write_case_files(result, folder: Path) -> None:
    """Everything of a case run into ``folder`` (which the caller makes atomic)."""
    from oncoresist import RESEARCH_USE_STATEMENT

    folder = Path(folder)
    mapping = _sample_names(result)
    case = result.loaded.case
    html = render_html(
        f"oncoresist case report: {case.pseudonym}",
        case_sections(result),
        statement=RESEARCH_USE_STATEMENT,
        subtitle=f"{case.disease}; oncoresist {result.provenance.version}; knowledge base "
                 f"{result.provenance.kb_version}; seed {result.seed}",
        footer=f"Generated by {result.provenance.command}.",
    )
    write_text_atomic(folder / "report.html", html)
    prov = result.provenance
    if result.findings is not None:
        write_table(_pseudonymise(result.findings, mapping), folder / "findings.tsv")
    if result.ctdna is not None:
        write_table(_pseudonymise(result.ctdna.calls, mapping), folder / "ctdna_calls.tsv")
        write_table(_pseudonymise(result.ctdna.events, mapping), folder / "ctdna_events.tsv")
        write_table(_pseudonymise(result.ctdna.kinetics, mapping), folder / "ctdna_kinetics.tsv")
    if result.clonal is not None:
        write_table(_pseudonymise(result.clonal["fit"].clusters_frame(), mapping), folder / "clonal_clusters.tsv")
        write_table(result.clonal["trees"].to_frame(), folder / "clonal_trees.tsv")
    if result.model is not None:
        write_table(result.model.to_frame(), folder / "model.tsv")
    summary: dict[str, Any] = {
        "pseudonym": case.pseudonym,
        "disease": case.disease,
        "consent": list(case.consent),
        "seed": result.seed,
        "steps": {s: ("skipped: " + result.skipped[s]) if s in result.skipped else "done"
                  for s in ("annotation", "ctdna", "clonal", "model", "calibration", "forecast")},
        "research_use": RESEARCH_USE_STATEMENT,
        "provenance": prov.to_dict(),
    }
    if result.calibration is not None:
        cal = result.calibration
        write_table(cal.draws.round(10), folder / "posterior.tsv")
        write_table(cal.summary().round(10), folder / "posterior_summary.tsv")
        summary["calibration"] = cal.info()
        summary["posterior"] = _records(cal.summary())
        post = cal.summary()[["parameter", "median", "ci_low", "ci_high"]].copy()
        # MultiQC keys rows by their first column: one row per patient and parameter
        post.insert(0, "sample", [f"{case.pseudonym} | {p}" for p in post.pop("parameter")])
        multiqc_table(post, folder / "oncoresist_posterior_mqc.tsv", id="oncoresist_posterior",
                      section_name="oncoresist: calibrated parameters",
                      description=f"Posterior medians and 90% credible intervals ({case.pseudonym}).")
    if result.forecast is not None:
        fc = result.forecast
        write_table(fc.draws.round(6), folder / "forecast_draws.tsv")
        write_table(fc.summary().round(6), folder / "forecast_summary.tsv")
        survival = fc.survival(step=7)
        write_table(survival, folder / "forecast_survival.tsv")
        summary["forecast"] = {"start_day": fc.start_day, "horizon_days": fc.horizon_days,
                               "strategies": _records(fc.summary())}
        table = fc.summary()[["strategy", "ttp_median", "ttp_ci_low", "ttp_ci_high", "p_progression_1y",
                              "emergence_median", "cost_median"]].copy()
        table.insert(0, "sample", [f"{case.pseudonym} | {s}" for s in table.pop("strategy")])
        multiqc_table(table, folder / "oncoresist_forecast_mqc.tsv", id="oncoresist_forecast",
                      section_name="oncoresist: strategy forecast",
                      description="Time to progression (days; inf = beyond the horizon) with 90% "
                                  "credible intervals, per strategy.")
        series = {f"{case.pseudonym} | {name}": dict(zip(block["day"], block["progression_free"], strict=True))
                  for name, block in survival.groupby("strategy", sort=False)}
        multiqc_linegraph(series, folder / "oncoresist_survival_mqc.yaml", id="oncoresist_survival",
                          section_name="oncoresist: progression-free fraction",
                          description=f"Posterior forecast for {case.pseudonym}, from day {fc.start_day:g}.",
                          xlab="days from forecast start", ylab="fraction progression-free")
    if result.ctdna is not None and len(result.ctdna.events):
        events = _pseudonymise(result.ctdna.events, mapping)
        ev = events[["variant", "event", "day", "confirmed_day", "drugs"]].copy()
        ev.insert(0, "sample", [f"{case.pseudonym} | {i + 1}" for i in range(len(ev))])
        multiqc_table(ev, folder / "oncoresist_ctdna_events_mqc.tsv", id="oncoresist_ctdna_events",
                      section_name="oncoresist: ctDNA events", description="Events in serial ctDNA.")
    write_text_atomic(folder / "case.json", json.dumps(_jsonable(summary), indent=2, sort_keys=True) + "\n")
    prov.write(folder / "provenance.json")
