"""The main job on bundled example data (what `make demo` runs)."""

from __future__ import annotations

import sys

from oncoresist.cli import main

if __name__ == "__main__":
    sys.exit(main(["--version"]))
