"""Annotate the bundled plasma sample (EGFR-mutant NSCLC progressing on osimertinib).

Run: ``python examples/egfr_annotate/run.py`` (or the CLI line in README.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

from oncoresist.annotate import annotate

HERE = Path(__file__).parent


def main() -> None:
    result = annotate(
        HERE / "plasma_progression_osimertinib.vcf",
        therapy="osimertinib",
        history="erlotinib",
        disease="non-small cell lung cancer",
    )
    sys.stdout.write(result.summary())


if __name__ == "__main__":
    main()
