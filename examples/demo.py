"""The main job on bundled example data: what `make demo` runs.

Each section uses only the public API, on data shipped in the package or in examples/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from oncoresist import RESEARCH_USE_STATEMENT, ctdna, kb
from oncoresist.annotate import annotate
from oncoresist.case import run_case

EXAMPLES = Path(__file__).parent
OUT = Path("demo_out")

console = Console(width=120)
EVIDENCE_ORDER = "ABCDE"


def resistance_landscape(drugs: list[str], disease: str) -> None:
    """Known resistance mechanisms for each drug in one disease, grouped by mechanism class."""
    base = kb.load_kb()
    console.rule(f"[bold]Resistance landscape: {', '.join(drugs)} in {disease}")
    console.print(f"knowledge base {base.version}")
    for drug in drugs:
        frame = base.mechanisms(drug, disease).to_frame()
        table = Table(title=f"{drug}: {len(frame)} rules", show_lines=False, expand=True)
        for column in ("mechanism", "alteration", "best evidence", "rules", "remains active"):
            table.add_column(column, overflow="fold")
        frame["rank"] = frame["evidence_level"].map(EVIDENCE_ORDER.index)
        grouped = frame.groupby(["mechanism", "alteration"], sort=False)
        summary = grouped.agg(
            rank=("rank", "min"),
            rules=("id", "count"),
            alternatives=("alternatives", lambda s: "; ".join(sorted({a for v in s for a in v.split("; ") if a}))),
        ).reset_index()
        summary = summary.sort_values(["mechanism", "rank", "rules"], ascending=[True, True, False])
        for mechanism, block in summary.groupby("mechanism", sort=True):
            for i, row in enumerate(block.head(6).itertuples()):
                table.add_row(
                    mechanism if i == 0 else "",
                    row.alteration,
                    EVIDENCE_ORDER[row.rank],
                    str(row.rules),
                    row.alternatives[:60],
                )
            if len(block) > 6:
                table.add_row("", f"... {len(block) - 6} more", "", "", "")
        console.print(table)


def plasma_at_progression() -> None:
    """Annotate a plasma VCF (VEP CSQ) taken at progression on osimertinib after erlotinib."""
    console.rule("[bold]Plasma sample at progression on osimertinib (VCF with VEP CSQ)")
    result = annotate(
        EXAMPLES / "egfr_annotate" / "plasma_progression_osimertinib.vcf",
        therapy="osimertinib",
        history="erlotinib",
        disease="non-small cell lung cancer",
    )
    sys.stdout.write(result.summary())
    out = result.write(OUT / "annotation.tsv")
    console.print(f"annotation table: {out}")


def serial_ctdna() -> None:
    """Serial ctDNA of three synthetic patients: T790M on erlotinib, then C797S on osimertinib."""
    console.rule("[bold]Serial ctDNA: emerging resistance before imaging")
    data = EXAMPLES / "egfr_ctdna" / "data"
    result = ctdna.track(
        data / "samples.tsv",
        normals=data / "normals.tsv",
        therapy=data / "therapy.tsv",
        imaging=data / "imaging.tsv",
    )
    result.write(OUT / "ctdna")
    for row in result.events[result.events["event"] == "emergence"].itertuples(index=False):
        console.print(
            f"{row.patient_id}: {row.annotation} (first detected day {row.day:g}, "
            f"confirmed day {row.confirmed_day:g})"
        )
    for row in result.summary.dropna(subset=["lead_time_days"]).itertuples(index=False):
        console.print(
            f"{row.patient_id} on {row.drugs}: molecular progression "
            f"{row.lead_time_days:g} days before imaging"
        )
    console.print(f"calls, events, kinetics and plots: {OUT / 'ctdna'}")


def patient_case() -> None:
    """The main job: one patient's data to a calibrated forecast and a self-contained report."""
    console.rule("[bold]Patient case: annotate, track ctDNA, calibrate, forecast, report")
    result = run_case(EXAMPLES / "egfr_nsclc" / "case.yaml", out=OUT / "egfr_nsclc")
    table = Table(title="Forecast from the posterior (time to progression, days; 90% credible interval)")
    for column in ("strategy", "median", "interval", "P(progression by 1 year)", "resistance route"):
        table.add_column(column)

    def days(value: float) -> str:
        return "beyond horizon" if value == float("inf") else f"{value:g}"

    for row in result.to_frame().itertuples(index=False):
        table.add_row(
            row.strategy,
            days(row.ttp_median),
            f"{days(row.ttp_ci_low)}-{days(row.ttp_ci_high)}",
            f"{row.p_progression_1y:.2f}",
            row.resistance_route,
        )
    console.print(table)
    console.print(f"report: {OUT / 'egfr_nsclc' / 'report.html'}")


def main() -> None:
    console.print(f"[italic]{RESEARCH_USE_STATEMENT}")
    pd.set_option("display.width", 120)
    resistance_landscape(["erlotinib", "osimertinib"], "non-small cell lung cancer")
    plasma_at_progression()
    serial_ctdna()
    patient_case()


if __name__ == "__main__":
    main()
