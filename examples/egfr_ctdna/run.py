"""Run the EGFR ctDNA example: python examples/egfr_ctdna/run.py [OUT] (default: egfr_ctdna_out).

Calls every variant against the panel of normals, follows each patient over time, annotates the
emerging variants in their therapy context and writes calls, events, kinetics and one plot per
patient (the same as `oncoresist ctdna track` on the files in data/).
"""

import sys
from pathlib import Path

from oncoresist import ctdna

HERE = Path(__file__).parent / "data"


def main(out: str = "egfr_ctdna_out") -> int:
    result = ctdna.track(HERE / "samples.tsv", normals=HERE / "normals.tsv", therapy=HERE / "therapy.tsv",
                         imaging=HERE / "imaging.tsv")
    result.write(out)
    shown = result.events[result.events["event"] == "emergence"]
    for row in shown.itertuples(index=False):
        print(f"{row.patient_id}: {row.annotation} (first detected day {row.day:g}, confirmed day "
              f"{row.confirmed_day:g})")
    lead = result.summary.dropna(subset=["lead_time_days"])
    for row in lead.itertuples(index=False):
        print(f"{row.patient_id} on {row.drugs}: molecular progression {row.lead_time_days:g} days before imaging")
    print(f"plots: {Path(out) / 'plots'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
